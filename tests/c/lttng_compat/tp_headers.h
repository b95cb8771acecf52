/*
 * Tracepoint provider "headers". It includes <lttng/tracepoint.h> and
 * nothing else, and app_headers.c includes only this header: everything
 * the program uses from the C library comes through <lttng/tracepoint.h>,
 * as LTTng-UST's own ctf-types and ust-fields tests rely on.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER headers

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./tp_headers.h"

#if !defined(TP_HEADERS_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define TP_HEADERS_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(headers, used,
	LTTNG_UST_TP_ARGS(bool, flag, int, has_pid, int, has_self, const char *, text),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, flag, flag)
		lttng_ust_field_integer(int, has_pid, has_pid)
		lttng_ust_field_integer(int, has_self, has_self)
		lttng_ust_field_string(text, text)
	)
)

#endif /* TP_HEADERS_H */

#include <lttng/tracepoint-event.h>
