/* Provider of the spans test program: a request made of steps, each a begin/end pair. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER spans

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./spans_tp.h"

#if !defined(SPANS_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define SPANS_TP_H

#include <ust/tracepoint.h>

TRACEPOINT_EVENT(spans, request_begin,
	TP_ARGS(int, id),
	TP_FIELDS(ctf_integer(int, id, id))
)
TRACEPOINT_EVENT(spans, request_end,
	TP_ARGS(int, id),
	TP_FIELDS(ctf_integer(int, id, id))
)
TRACEPOINT_EVENT(spans, step_start,
	TP_ARGS(int, step),
	TP_FIELDS(ctf_integer(int, step, step))
)
TRACEPOINT_EVENT(spans, step_end,
	TP_ARGS(int, step),
	TP_FIELDS(ctf_integer(int, step, step))
)
TRACEPOINT_EVENT(spans, note,
	TP_ARGS(const char *, text),
	TP_FIELDS(ctf_string(text, text))
)

#endif /* SPANS_TP_H */

#include <ust/tracepoint-event.h>
