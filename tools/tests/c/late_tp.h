/* A second provider for two_providers.c: registered after ctl_app's, at start-up. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER late

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./late_tp.h"

#if !defined(LATE_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define LATE_TP_H

#include <ust/tracepoint.h>

TRACEPOINT_EVENT(late, hit,
	TP_ARGS(int, n),
	TP_FIELDS(
		ctf_integer(int, n, n)
	)
)

#endif /* LATE_TP_H */

#include <ust/tracepoint-event.h>
