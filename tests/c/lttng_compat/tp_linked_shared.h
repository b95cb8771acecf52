/*
 * Tracepoint provider "linked_shared" (LTTng-UST <= 2.12 names). Its probes
 * (tp_linked_shared.c) are a shared library that the program links with
 * --as-needed: only the TRACEPOINT_DEFINE unit's reference to the provider
 * keeps it among the program's dependencies (see app_linked.c).
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER linked_shared

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./tp_linked_shared.h"

#if !defined(TP_LINKED_SHARED_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define TP_LINKED_SHARED_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(linked_shared, hit,
	TP_ARGS(int, round, const char *, where),
	TP_FIELDS(
		ctf_integer(int, round, round)
		ctf_string(where, where)
	)
)
TRACEPOINT_LOGLEVEL(linked_shared, hit, TRACE_NOTICE)

#endif /* TP_LINKED_SHARED_H */

#include <lttng/tracepoint-event.h>
