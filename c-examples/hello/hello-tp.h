/* The provider header of the hello example: one event, two fields. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER hello

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./hello-tp.h"

#if !defined(HELLO_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define HELLO_TP_H

#include <ust/tracepoint.h>

TRACEPOINT_EVENT(
	hello,
	greeting,
	TP_ARGS(int, count, const char *, who),
	TP_FIELDS(
		ctf_integer(int, count, count)
		ctf_string(who, who)
	)
)
TRACEPOINT_LOGLEVEL(hello, greeting, TRACE_INFO)

#endif /* HELLO_TP_H */

#include <ust/tracepoint-event.h>
