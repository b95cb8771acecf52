/* Tracepoint provider of ctl_app, the program the `ust` session-control and `ust trace`
 * tests run: one INFO event and one DEBUG event. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ctl_app

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./ctl_app_tp.h"

#if !defined(CTL_APP_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define CTL_APP_TP_H

#include <ust/tracepoint.h>

TRACEPOINT_EVENT(ctl_app, info,
	TP_ARGS(int, n, const char *, text),
	TP_FIELDS(
		ctf_integer(int, n, n)
		ctf_string(text, text)
	)
)
TRACEPOINT_LOGLEVEL(ctl_app, info, TRACE_INFO)

TRACEPOINT_EVENT(ctl_app, debug,
	TP_ARGS(int, n),
	TP_FIELDS(
		ctf_integer(int, n, n)
	)
)
TRACEPOINT_LOGLEVEL(ctl_app, debug, TRACE_DEBUG)

#endif /* CTL_APP_TP_H */

#include <ust/tracepoint-event.h>
