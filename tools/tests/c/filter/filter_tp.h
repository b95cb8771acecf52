/*
 * Tracepoint provider "filt": one event per field kind, written with the
 * LTTng-UST 2.13 API so that the same source builds against LTTng-UST and
 * against UST's compatibility headers. tools/tests/filter_lttng.rs records it with
 * both tracers and checks that a filter expression keeps the same events.
 * Every event carries `n`, its position in the run.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER filt

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./filter_tp.h"

#if !defined(FILTER_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define FILTER_TP_H

#include <stddef.h>
#include <stdint.h>
#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_ENUM(filt, color,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("RED", 0)
		lttng_ust_field_enum_range("WARM", 1, 9)
		lttng_ust_field_enum_value("NEGATIVE", -5)
	)
)

LTTNG_UST_TRACEPOINT_ENUM(filt, level,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("LOW", 0)
		lttng_ust_field_enum_range("HIGH", 100, 255)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(filt, ints,
	LTTNG_UST_TP_ARGS(int32_t, n, int64_t, v, uint64_t, w),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int32_t, n, n)
		lttng_ust_field_integer(int8_t, i8, (int8_t) v)
		lttng_ust_field_integer(uint8_t, u8, (uint8_t) w)
		lttng_ust_field_integer(int16_t, i16, (int16_t) v)
		lttng_ust_field_integer(uint16_t, u16, (uint16_t) w)
		lttng_ust_field_integer(int32_t, i32, (int32_t) v)
		lttng_ust_field_integer(uint32_t, u32, (uint32_t) w)
		lttng_ust_field_integer(int64_t, i64, v)
		lttng_ust_field_integer(uint64_t, u64, w)
		lttng_ust_field_integer_hex(uint32_t, x, (uint32_t) w)
		lttng_ust_field_integer_network(uint16_t, net, (uint16_t) w)
		lttng_ust_field_integer_network(int32_t, snet, (int32_t) v)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(filt, floats,
	LTTNG_UST_TP_ARGS(int32_t, n, float, f, double, d),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int32_t, n, n)
		lttng_ust_field_float(float, f, f)
		lttng_ust_field_float(double, d, d)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(filt, text,
	LTTNG_UST_TP_ARGS(int32_t, n, const char *, s, const char *, tag, uint8_t, len),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int32_t, n, n)
		lttng_ust_field_string(s, s)
		lttng_ust_field_array_text(char, tag, tag, 4)
		lttng_ust_field_sequence_text(char, st, s, uint8_t, len)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(filt, arrays,
	LTTNG_UST_TP_ARGS(int32_t, n, const int32_t *, a, const uint16_t *, q, size_t, len),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int32_t, n, n)
		lttng_ust_field_array(int32_t, arr, a, 3)
		lttng_ust_field_sequence(uint16_t, seq, q, size_t, len)
		lttng_ust_field_array_network(int32_t, narr, a, 2)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(filt, enums,
	LTTNG_UST_TP_ARGS(int32_t, n, int, c, uint8_t, l),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int32_t, n, n)
		lttng_ust_field_enum(filt, color, int, color, c)
		lttng_ust_field_enum(filt, level, uint8_t, level, l)
	)
)

#endif /* FILTER_TP_H */

#include <lttng/tracepoint-event.h>
