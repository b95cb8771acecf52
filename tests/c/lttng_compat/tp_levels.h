/*
 * Tracepoint provider "levels": log levels and EMF model URIs, in both API
 * generations, declared before and after their events. Built as C and as
 * C++ (tp_levels.c and app_levels.c compile as either): a C++ provider must
 * keep its log levels and URIs.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER levels

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./tp_levels.h"

#if !defined(TP_LEVELS_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define TP_LEVELS_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(levels, warned,
	LTTNG_UST_TP_ARGS(int, n),
	LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(int, n, n))
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(levels, warned, LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)

TRACEPOINT_MODEL_EMF_URI(levels, modelled, "http://example.com/models/levels?event=modelled")
TRACEPOINT_LOGLEVEL(levels, modelled, TRACE_CRIT)
TRACEPOINT_EVENT(levels, modelled,
	TP_ARGS(int, n),
	TP_FIELDS(ctf_integer(int, n, n))
)

LTTNG_UST_TRACEPOINT_EVENT(levels, uri_only,
	LTTNG_UST_TP_ARGS(int, n),
	LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(int, n, n))
)
LTTNG_UST_TRACEPOINT_MODEL_EMF_URI(levels, uri_only, "urn:example:levels:uri_only")

LTTNG_UST_TRACEPOINT_EVENT_CLASS(levels, reading,
	LTTNG_UST_TP_ARGS(int, n),
	LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(int, n, n))
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(levels, reading, levels, debug_reading,
	LTTNG_UST_TP_ARGS(int, n))
LTTNG_UST_TRACEPOINT_LOGLEVEL(levels, debug_reading, LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_FUNCTION)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(levels, reading, levels, plain_reading,
	LTTNG_UST_TP_ARGS(int, n))

#endif /* TP_LEVELS_H */

#include <lttng/tracepoint-event.h>
