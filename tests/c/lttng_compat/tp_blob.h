/*
 * Tracepoint provider "blob" with a field macro UST does not know (a blob
 * field of a newer LTTng-UST): compiling it must fail with a message that
 * names the macro (see bad_field.c).
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER blob

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./tp_blob.h"

#if !defined(TP_BLOB_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define TP_BLOB_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(blob, packet,
	LTTNG_UST_TP_ARGS(const void *, data, size_t, len),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(size_t, len, len)
		lttng_ust_field_blob(payload, data, len)
	)
)

#endif /* TP_BLOB_H */

#include <lttng/tracepoint-event.h>
