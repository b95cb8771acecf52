/*
 * The provider of the dynamic example, built as its own shared library
 * (libdynamic-tp.so) and loaded with LD_PRELOAD or dlopen().
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER dynamic

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./dynamic-tp.h"

#if !defined(DYNAMIC_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define DYNAMIC_TP_H

#include <ust/tracepoint.h>

TRACEPOINT_EVENT(dynamic, work,
	TP_ARGS(int, item, const char *, phase),
	TP_FIELDS(
		ctf_integer(int, item, item)
		ctf_string(phase, phase)
	)
)

#endif /* DYNAMIC_TP_H */

#include <ust/tracepoint-event.h>
