/* A provider for the behaviour tests: one event with a tag and a number. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER probe

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./probe-tp.h"

#if !defined(PROBE_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define PROBE_TP_H

#include <stdint.h>
#include <ust/tracepoint.h>

TRACEPOINT_EVENT(probe, mark,
	TP_ARGS(const char *, who, uint64_t, n),
	TP_FIELDS(
		ctf_string(who, who)
		ctf_integer(uint64_t, n, n)
	)
)

#endif /* PROBE_TP_H */

#include <ust/tracepoint-event.h>
