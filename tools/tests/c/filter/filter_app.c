/*
 * Emits a fixed sequence of "filt" events whose values cover the corners of
 * LTTng's filter semantics: signs, unsigned values at and past 2^63, floats
 * against integers, strings with stars, backslashes and non-ASCII bytes,
 * text arrays with and without NUL, sequences of several lengths.
 * Pinned to one CPU so that the trace order is the program order.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "filter_tp.h"

static const int64_t ints[] = {
	0, 1, -1, 7, 42, -42, 127, -128, 255, 256, 1000, -1000, 65535, 65536,
	100000, -100000, 2147483647, -2147483647 - 1, 4294967295LL,
	4294967296LL, 1000000000000LL, -1000000000000LL,
	INT64_MAX, INT64_MIN, 0x10, 0x30, 0xff00,
};

static const double doubles[] = {
	0.0, -0.0, 0.5, -0.5, 1.0, 1.5, 2.0, -2.5, 42.0, 42.25, 1e10, -1e10,
	1e300, 3.0e9, 0.1, 9007199254740993.0,
};

static const char *const strings[] = {
	"", "a", "ab", "abc", "abd", "abcd", "ABC", "hello world", "hello",
	"ab*c", "a*", "*", "back\\slash", "caf\xc3\xa9", "\xff", "zzz",
	"x*y*z", "hello*", "hellx", "b",
};

static void pin_to_first_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int main(void)
{
	static const int32_t arrays[][3] = {
		{ 0, 0, 0 }, { 1, 2, 3 }, { -1, 5, 42 }, { 42, -7, 0x7fffffff },
	};
	static const uint16_t seq[] = { 5, 65535, 42, 0 };
	static const int colors[] = { 0, 1, 5, 9, -5, 3 };
	static const uint8_t levels[] = { 0, 100, 200, 255, 0, 150 };
	const size_t nints = sizeof(ints) / sizeof(ints[0]);
	int32_t n = 0;
	size_t i;

	pin_to_first_cpu();
	for (i = 0; i < nints; i++) {
		/* Unsigned fields get the same bits, and the bits of the mirror value. */
		lttng_ust_tracepoint(filt, ints, n++, ints[i], (uint64_t) ints[i]);
		lttng_ust_tracepoint(filt, ints, n++, -ints[i], (uint64_t) ints[nints - 1 - i]);
	}
	lttng_ust_tracepoint(filt, ints, n++, 0, UINT64_MAX);
	lttng_ust_tracepoint(filt, ints, n++, 0, (uint64_t) 1 << 63);
	for (i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++)
		lttng_ust_tracepoint(filt, floats, n++, (float) doubles[i], doubles[i]);
	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		const char *s = strings[i];
		char tag[4] = { 0 };

		memcpy(tag, s, strlen(s) < 4 ? strlen(s) : 4);
		lttng_ust_tracepoint(filt, text, n++, s, tag, (uint8_t) strlen(s));
		/* The sequence stops one byte short: "abc" is recorded as "ab". */
		if (strlen(s) > 1)
			lttng_ust_tracepoint(filt, text, n++, s, tag, (uint8_t) (strlen(s) - 1));
	}
	for (i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		lttng_ust_tracepoint(filt, arrays, n++, arrays[i], seq, i);
	for (i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		lttng_ust_tracepoint(filt, enums, n++, colors[i], levels[i]);
	return 0;
}
