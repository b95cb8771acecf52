/* The provider of the dlopen test's plugin library. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER plugin

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./plugin-tp.h"

#if !defined(PLUGIN_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define PLUGIN_TP_H

#include <ust/tracepoint.h>

TRACEPOINT_EVENT(plugin, run,
	TP_ARGS(int, round, int, i),
	TP_FIELDS(
		ctf_integer(int, round, round)
		ctf_integer(int, i, i)
	)
)

#endif /* PLUGIN_TP_H */

#include <ust/tracepoint-event.h>
