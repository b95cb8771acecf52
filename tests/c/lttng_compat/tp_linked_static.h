/*
 * Tracepoint provider "linked_static" (LTTng-UST 2.13 names). Its probes
 * (tp_linked_static.c) are archived alone in a static library: nothing but
 * the TRACEPOINT_DEFINE unit's reference to the provider makes the linker
 * take them (see app_linked.c).
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER linked_static

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./tp_linked_static.h"

#if !defined(TP_LINKED_STATIC_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define TP_LINKED_STATIC_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(linked_static, hit,
	LTTNG_UST_TP_ARGS(int, round, const char *, where),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, round, round)
		lttng_ust_field_string(where, where)
	)
)

#endif /* TP_LINKED_STATIC_H */

#include <lttng/tracepoint-event.h>
