/* Tracepoint provider for the `ust view` differential tests: one event per CTF field kind. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ust_test

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./ust_test_tp.h"

#if !defined(UST_TEST_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define UST_TEST_TP_H

#include <lttng/tracepoint.h>
#include <stdint.h>

TRACEPOINT_ENUM(ust_test, state,
	TP_ENUM_VALUES(
		ctf_enum_value("IDLE", 0)
		ctf_enum_range("RUN", 1, 3)
		ctf_enum_value("STOP", 4)
		ctf_enum_value("ALSO_FOUR", 4)
		ctf_enum_value("NEG", -2)
	)
)

TRACEPOINT_EVENT(ust_test, ints,
	TP_ARGS(int64_t, v, uint64_t, u),
	TP_FIELDS(
		ctf_integer(int8_t, s8, v)
		ctf_integer(int16_t, s16, v)
		ctf_integer(int32_t, s32, v)
		ctf_integer(int64_t, s64, v)
		ctf_integer(uint8_t, u8, u)
		ctf_integer(uint16_t, u16, u)
		ctf_integer(uint32_t, u32, u)
		ctf_integer(uint64_t, u64, u)
		ctf_integer_hex(uint32_t, hex32, u)
		ctf_integer_hex(int16_t, hexs16, v)
		ctf_integer_network(uint32_t, net32, u)
		ctf_integer_network_hex(uint16_t, nethex16, u)
	)
)

TRACEPOINT_EVENT(ust_test, floats,
	TP_ARGS(double, d),
	TP_FIELDS(
		ctf_float(float, f, d)
		ctf_float(double, d, d)
	)
)

TRACEPOINT_EVENT(ust_test, strings,
	TP_ARGS(const char *, s, const char *, t),
	TP_FIELDS(
		ctf_string(s, s)
		ctf_array_text(char, text4, t, 4)
		ctf_sequence_text(char, seqtext, t, uint32_t, strlen(t))
	)
)

TRACEPOINT_EVENT(ust_test, arrays,
	TP_ARGS(const int32_t *, a, unsigned int, n),
	TP_FIELDS(
		ctf_array(int32_t, arr3, a, 3)
		ctf_array_hex(uint8_t, arrhex, a, 2)
		ctf_sequence(int32_t, seq, a, unsigned int, n)
		ctf_sequence_hex(uint16_t, seqhex, a, uint8_t, n)
	)
)

TRACEPOINT_EVENT(ust_test, enums,
	TP_ARGS(int, e),
	TP_FIELDS(
		ctf_enum(ust_test, state, int, st, e)
		ctf_enum(ust_test, state, int8_t, st8, e)
	)
)

TRACEPOINT_EVENT(ust_test, empty,
	TP_ARGS(),
	TP_FIELDS()
)

TRACEPOINT_EVENT(ust_test, tick,
	TP_ARGS(int, cpu, uint64_t, i),
	TP_FIELDS(
		ctf_integer(int, cpu, cpu)
		ctf_integer(uint64_t, i, i)
		ctf_string(msg, "tick")
	)
)

#endif

#include <lttng/tracepoint-event.h>
