/*
 * Application instrumented in the LTTng-UST 2.13 style (lttng_ust_tracepoint,
 * lttng_ust_tracepoint_enabled, lttng_ust_do_tracepoint).  It emits a fixed,
 * deterministic sequence of events so that two traces of it can be compared
 * payload by payload.  Pinned to one CPU so that event order is program order.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#include "tp_v213.h"

static void pin_to_first_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void emit_scalars(void)
{
	int64_t base;

	for (base = -2; base <= 3; base++)
		lttng_ust_tracepoint(compat213, integers, base);
	lttng_ust_tracepoint(compat213, extremes, 0);
	lttng_ust_tracepoint(compat213, hex_network, 0xdeadbeefu, -2);
	lttng_ust_tracepoint(compat213, hex_network, 0x01020304u, 0x1234);
	lttng_ust_tracepoint(compat213, floats, 3.25f, -1.0 / 3.0);
	lttng_ust_tracepoint(compat213, floats, -0.0f, 1e300);
	lttng_ust_tracepoint(compat213, floats, 1.1f, 6.02214076e23);
}

/*
 * Empty strings and zero-length text come first in their event class:
 * babeltrace2 2.0.4 can print the previous event's value for such a field
 * (fixed upstream, review.lttng.org/c/babeltrace/+/4528), depending on where
 * the field lands in the packet, which would make the comparison flaky.
 */
static void emit_strings(void)
{
	lttng_ust_tracepoint(compat213, strings, "", NULL);
	lttng_ust_tracepoint(compat213, strings, "plain", "not null");
	lttng_ust_tracepoint(compat213, strings,
		"quote\" backslash\\ tab\t newline\n bell\x07 utf8 \xc3\xa9", "x");
}

static void emit_compounds(void)
{
	static const int32_t ints[4] = { -1, 0, 2147483647, 42 };
	static const uint8_t bytes[3] = { 0x00, 0xab, 0xff };
	static const int16_t vals[5] = { -32768, -1, 0, 1, 32767 };
	size_t n;

	lttng_ust_tracepoint(compat213, arrays, ints, bytes, "\0bcdefgh");
	lttng_ust_tracepoint(compat213, arrays, ints, bytes, "ab\0cdefg");
	lttng_ust_tracepoint(compat213, arrays, ints, bytes, "abcdefgh");
	lttng_ust_tracepoint(compat213, sequences, vals, 3, "", 0);
	for (n = 0; n <= 5; n += 5)
		lttng_ust_tracepoint(compat213, sequences, vals, n, "text-seq", 4);
}

static void emit_enums_and_nowrite(void)
{
	static const int32_t ints[2] = { 7, -7 };
	static const int values[] = { 0, 1, 15, 20, -5, 99 };
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		lttng_ust_tracepoint(compat213, enums, values[i]);
	lttng_ust_tracepoint(compat213, nowrite, 5, "visible", ints);
	lttng_ust_tracepoint(compat213, only_nowrite, 6);
	lttng_ust_tracepoint(compat213, empty);
}

static void emit_class_instances(void)
{
	int id;

	for (id = 1; id <= 2; id++) {
		lttng_ust_tracepoint(compat213, request_begin, id, "GET /");
		if (lttng_ust_tracepoint_enabled(compat213, request_end))
			lttng_ust_do_tracepoint(compat213, request_end, id, "200 OK");
	}
}

int main(void)
{
	pin_to_first_cpu();
	emit_scalars();
	emit_strings();
	emit_compounds();
	emit_enums_and_nowrite();
	emit_class_instances();
	puts("app_v213 done");
	return 0;
}
