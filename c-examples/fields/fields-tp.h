/*
 * The provider of the fields example: every field macro, an enumeration,
 * an event class with two instances, and log levels.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER fields

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./fields-tp.h"

#if !defined(FIELDS_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define FIELDS_TP_H

#include <stdint.h>
#include <ust/tracepoint.h>

TRACEPOINT_ENUM(fields, state,
	TP_ENUM_VALUES(
		ctf_enum_value("IDLE", 0)
		ctf_enum_range("RUNNING", 1, 3)
		ctf_enum_auto("STOPPED")
	)
)

TRACEPOINT_EVENT(fields, integers,
	TP_ARGS(int8_t, i8, uint8_t, u8, int16_t, i16, uint16_t, u16,
		int32_t, i32, uint32_t, u32, int64_t, i64, uint64_t, u64),
	TP_FIELDS(
		ctf_integer(int8_t, i8, i8)
		ctf_integer(uint8_t, u8, u8)
		ctf_integer(int16_t, i16, i16)
		ctf_integer(uint16_t, u16, u16)
		ctf_integer(int32_t, i32, i32)
		ctf_integer(uint32_t, u32, u32)
		ctf_integer(int64_t, i64, i64)
		ctf_integer(uint64_t, u64, u64)
		ctf_integer_hex(uint32_t, hex, u32)
		ctf_integer_network(uint16_t, port, u16)
		ctf_integer_network_hex(uint32_t, addr, u32)
		ctf_integer_nowrite(int, hidden, i32)
	)
)

TRACEPOINT_EVENT(fields, floats,
	TP_ARGS(float, f, double, d),
	TP_FIELDS(
		ctf_float(float, f, f)
		ctf_float(double, d, d)
		ctf_float_nowrite(double, hidden, d)
	)
)

TRACEPOINT_EVENT(fields, text,
	TP_ARGS(const char *, s, const char *, maybe_null),
	TP_FIELDS(
		ctf_string(s, s)
		ctf_string(maybe_null, maybe_null)
		ctf_string_nowrite(hidden, s)
	)
)

TRACEPOINT_EVENT(fields, arrays,
	TP_ARGS(const int32_t *, values, const char *, tag, const uint8_t *, bytes, size_t, n),
	TP_FIELDS(
		ctf_array(int32_t, values, values, 3)
		ctf_array_hex(uint8_t, mac, bytes, 6)
		ctf_array_text(char, tag, tag, 4)
		ctf_sequence(uint8_t, seq, bytes, size_t, n)
		ctf_sequence_hex(uint8_t, seq_hex, bytes, unsigned int, n)
		ctf_sequence_text(char, seq_text, tag, uint16_t, n)
		ctf_array_nowrite(int32_t, hidden, values, 3)
	)
)

TRACEPOINT_EVENT(fields, enums,
	TP_ARGS(int, s),
	TP_FIELDS(
		ctf_enum(fields, state, int, state, s)
		ctf_enum_nowrite(fields, state, int, hidden, s)
	)
)

TRACEPOINT_EVENT_CLASS(fields, request,
	TP_ARGS(uint32_t, id, const char *, path),
	TP_FIELDS(
		ctf_integer(uint32_t, id, id)
		ctf_string(path, path)
	)
)
TRACEPOINT_EVENT_INSTANCE(fields, request, request_begin,
	TP_ARGS(uint32_t, id, const char *, path))
TRACEPOINT_EVENT_INSTANCE(fields, request, request_end,
	TP_ARGS(uint32_t, id, const char *, path))
TRACEPOINT_LOGLEVEL(fields, request_begin, TRACE_INFO)
TRACEPOINT_LOGLEVEL(fields, request_end, TRACE_WARNING)

TRACEPOINT_EVENT(fields, empty, TP_ARGS(), TP_FIELDS())

#endif /* FIELDS_TP_H */

#include <ust/tracepoint-event.h>
