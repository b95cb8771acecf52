/* A provider for the blocking-channel tests: one 245-byte event (header included). */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER blocking

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./tp_blocking.h"

#if !defined(TP_BLOCKING_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define TP_BLOCKING_H

#include <lttng/tracepoint.h>
#include <stdint.h>

TRACEPOINT_EVENT(blocking, record,
	TP_ARGS(uint32_t, seq, const char *, text),
	TP_FIELDS(
		ctf_integer(uint32_t, seq, seq)
		ctf_array_text(char, text, text, 232)
	)
)

#endif /* TP_BLOCKING_H */

#include <lttng/tracepoint-event.h>
