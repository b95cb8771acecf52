/*
 * Tracepoint provider "compat213", written exactly as an LTTng-UST 2.13
 * program would (namespaced LTTNG_UST_* / lttng_ust_field_* API), with no
 * UST-specific line.  It exercises every field macro of the 2.13 API so that
 * tests/lttng_compat.rs can compare the trace UST writes with LTTng's.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER compat213

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./tp_v213.h"

#if !defined(TP_V213_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define TP_V213_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_ENUM(compat213, color,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_value("RED", 0)
		lttng_ust_field_enum_value("GREEN", 1)
		lttng_ust_field_enum_range("WARM", 10, 19)
		lttng_ust_field_enum_auto("NEXT")
		lttng_ust_field_enum_value("NEGATIVE", -5)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, integers,
	LTTNG_UST_TP_ARGS(int64_t, base),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int8_t, i8, (int8_t) base)
		lttng_ust_field_integer(uint8_t, u8, (uint8_t) base)
		lttng_ust_field_integer(int16_t, i16, (int16_t) (base * 300))
		lttng_ust_field_integer(uint16_t, u16, (uint16_t) (base * 300))
		lttng_ust_field_integer(int32_t, i32, (int32_t) (base * 70000))
		lttng_ust_field_integer(uint32_t, u32, (uint32_t) (base * 70000))
		lttng_ust_field_integer(int64_t, i64, base * 5000000000LL)
		lttng_ust_field_integer(uint64_t, u64, (uint64_t) base * 5000000000ULL)
		lttng_ust_field_integer(char, c, (char) (base + 'A'))
		lttng_ust_field_integer(unsigned char, uc, (unsigned char) base)
		lttng_ust_field_integer(short, s, (short) -base)
		lttng_ust_field_integer(long, l, (long) base * -1000)
		lttng_ust_field_integer(unsigned long, ul, (unsigned long) base)
		lttng_ust_field_integer(size_t, sz, (size_t) base + 1)
		lttng_ust_field_integer(ssize_t, ssz, (ssize_t) base - 1)
		lttng_ust_field_integer(int, expr, (int) (base * base - 7))
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, extremes,
	LTTNG_UST_TP_ARGS(int, unused_arg),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int8_t, i8_min, INT8_MIN)
		lttng_ust_field_integer(int8_t, i8_max, INT8_MAX)
		lttng_ust_field_integer(uint8_t, u8_max, UINT8_MAX)
		lttng_ust_field_integer(int16_t, i16_min, INT16_MIN)
		lttng_ust_field_integer(uint16_t, u16_max, UINT16_MAX)
		lttng_ust_field_integer(int32_t, i32_min, INT32_MIN)
		lttng_ust_field_integer(uint32_t, u32_max, UINT32_MAX)
		lttng_ust_field_integer(int64_t, i64_min, INT64_MIN)
		lttng_ust_field_integer(int64_t, i64_max, INT64_MAX)
		lttng_ust_field_integer(uint64_t, u64_max, UINT64_MAX)
		lttng_ust_field_unused(unused_arg)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, hex_network,
	LTTNG_UST_TP_ARGS(uint32_t, v, int16_t, neg),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer_hex(uint32_t, hex32, v)
		lttng_ust_field_integer_hex(uint8_t, hex8, (uint8_t) v)
		lttng_ust_field_integer_hex(int16_t, hex_neg, neg)
		lttng_ust_field_integer_hex(uint64_t, hex64, (uint64_t) v << 20)
		lttng_ust_field_integer_network(uint32_t, net32, v)
		lttng_ust_field_integer_network(int16_t, net_neg, neg)
		lttng_ust_field_integer_network(uint64_t, net64, (uint64_t) v << 24)
		lttng_ust_field_integer_network_hex(uint16_t, nethex16, (uint16_t) v)
		lttng_ust_field_integer_network_hex(uint32_t, nethex32, v)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, floats,
	LTTNG_UST_TP_ARGS(float, f, double, d),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_float(float, f32, f)
		lttng_ust_field_float(double, f64, d)
		lttng_ust_field_float(double, f64_from_float, f)
		lttng_ust_field_float(float, f32_from_double, d)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, strings,
	LTTNG_UST_TP_ARGS(const char *, str, const char *, maybe_null),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_string(str, str)
		lttng_ust_field_string(maybe_null, maybe_null)
		lttng_ust_field_string(literal, "constant literal")
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, arrays,
	LTTNG_UST_TP_ARGS(const int32_t *, ints, const uint8_t *, bytes,
		const char *, text),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_array(int32_t, arr, ints, 4)
		lttng_ust_field_array_hex(uint8_t, arr_hex, bytes, 3)
		lttng_ust_field_array_network(int32_t, arr_net, ints, 2)
		lttng_ust_field_array_network_hex(uint8_t, arr_nethex, bytes, 2)
		lttng_ust_field_array_text(char, arr_text, text, 8)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, sequences,
	LTTNG_UST_TP_ARGS(const int16_t *, vals, size_t, n, const char *, text,
		unsigned int, tlen),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_sequence(int16_t, seq, vals, size_t, n)
		lttng_ust_field_sequence_hex(int16_t, seq_hex, vals, uint8_t, n)
		lttng_ust_field_sequence_network(int16_t, seq_net, vals, uint16_t, n)
		lttng_ust_field_sequence_network_hex(int16_t, seq_nethex, vals,
			unsigned int, n)
		lttng_ust_field_sequence_text(char, seq_text, text, unsigned int, tlen)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, enums,
	LTTNG_UST_TP_ARGS(int, value),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_enum(compat213, color, int, color_int, value)
		lttng_ust_field_enum(compat213, color, int8_t, color_i8, value)
		lttng_ust_field_enum(compat213, color, uint16_t, color_u16, value)
		lttng_ust_field_enum(compat213, color, int64_t, color_i64, value)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, nowrite,
	LTTNG_UST_TP_ARGS(int, v, const char *, s, const int32_t *, ints),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, before, v)
		lttng_ust_field_integer_nowrite(int, hidden_int, v)
		lttng_ust_field_float_nowrite(double, hidden_double, v * 0.5)
		lttng_ust_field_string_nowrite(hidden_str, s)
		lttng_ust_field_array_nowrite(int32_t, hidden_arr, ints, 2)
		lttng_ust_field_array_nowrite_hex(int32_t, hidden_arr_hex, ints, 2)
		lttng_ust_field_array_network_nowrite(int32_t, hidden_arr_net, ints, 2)
		lttng_ust_field_array_network_nowrite_hex(int32_t, hidden_arr_nethex,
			ints, 2)
		lttng_ust_field_array_text_nowrite(char, hidden_arr_text, s, 2)
		lttng_ust_field_sequence_nowrite(int32_t, hidden_seq, ints, size_t, 2)
		lttng_ust_field_sequence_nowrite_hex(int32_t, hidden_seq_hex, ints,
			size_t, 2)
		lttng_ust_field_sequence_network_nowrite(int32_t, hidden_seq_net,
			ints, size_t, 2)
		lttng_ust_field_sequence_network_nowrite_hex(int32_t,
			hidden_seq_nethex, ints, size_t, 2)
		lttng_ust_field_sequence_text_nowrite(char, hidden_seq_text, s,
			size_t, 2)
		lttng_ust_field_enum_nowrite(compat213, color, int, hidden_enum, v)
		lttng_ust_field_unused_nowrite(v)
		lttng_ust_field_string(after, s)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, only_nowrite,
	LTTNG_UST_TP_ARGS(int, v),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer_nowrite(int, hidden, v)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(compat213, empty,
	LTTNG_UST_TP_ARGS(),
	LTTNG_UST_TP_FIELDS()
)

LTTNG_UST_TRACEPOINT_EVENT_CLASS(compat213, request_class,
	LTTNG_UST_TP_ARGS(int, id, const char *, what),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, id, id)
		lttng_ust_field_string(what, what)
	)
)

LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(compat213, request_class, compat213,
	request_begin,
	LTTNG_UST_TP_ARGS(int, id, const char *, what)
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(compat213, request_begin,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO)

LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(compat213, request_class, compat213,
	request_end,
	LTTNG_UST_TP_ARGS(int, id, const char *, what)
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(compat213, request_end,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE)

#endif /* TP_V213_H */

#include <lttng/tracepoint-event.h>
