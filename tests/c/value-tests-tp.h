/*
 * Provider for value_tests.c: one event whose fields are of every kind, in
 * an order that puts the integers after fields that take a slot without a
 * value (string, float, array, sequence) and after fields that take none
 * (a _nowrite integer, ctf_unused).
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER vt

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./value-tests-tp.h"

#if !defined(VALUE_TESTS_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define VALUE_TESTS_TP_H

#include <stdint.h>
#include <ust/tracepoint.h>

TRACEPOINT_ENUM(vt, color,
	TP_ENUM_VALUES(
		ctf_enum_value("RED", 0)
		ctf_enum_value("BLUE", 1)
	)
)

/* Slots: s 0, d 1, arr 2, seq 3, i8 4, u64 5, color 6, port 7, flag 8. */
TRACEPOINT_EVENT(vt, mixed,
	TP_ARGS(int, hidden, const char *, s, double, d, const int32_t *, arr,
		int8_t, i8, uint64_t, u64, int, color, uint16_t, port, uint8_t, flag),
	TP_FIELDS(
		ctf_integer_nowrite(int, hidden, hidden)
		ctf_string(s, s)
		ctf_float(double, d, d)
		ctf_unused(hidden)
		ctf_array(int32_t, arr, arr, 2)
		ctf_sequence(int32_t, seq, arr, uint8_t, 2)
		ctf_integer(int8_t, i8, i8)
		ctf_integer(uint64_t, u64, u64)
		ctf_enum(vt, color, int, color, color)
		ctf_integer_network(uint16_t, port, port)
		ctf_integer_hex(uint8_t, flag, flag)
	)
)

#endif /* VALUE_TESTS_TP_H */

#include <ust/tracepoint-event.h>
