/*
 * value_tests_app: fires vt:mixed (tests/c/value-tests-tp.h: integers after
 * a _nowrite field, a string, a float, ctf_unused, an array and a sequence)
 * once for every combination of values at the corners of each integer type,
 * 450 events, for tools/tests/filter_record.rs to record under filters.
 */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_CREATE_PROBES
#include <stddef.h>
#include "value-tests-tp.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	static const int8_t i8s[] = {-128, -1, 0, 1, 127};
	static const uint64_t u64s[] = {0, 1, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX};
	static const uint16_t ports[] = {0, 0x1234, 0xffff};
	static const uint8_t flags[] = {0, 0x80, 0xff};
	static const int32_t arr[2] = {-7, 7};
	size_t a, b, c, d, e;
	int n = 0;

	for (a = 0; a < COUNT(i8s); a++)
		for (b = 0; b < COUNT(u64s); b++)
			for (c = 0; c < 2; c++)
				for (d = 0; d < COUNT(ports); d++)
					for (e = 0; e < COUNT(flags); e++, n++)
						tracepoint(vt, mixed, n, n % 3 ? "odd" : "even",
							   n * 0.5, arr, i8s[a], u64s[b], (int)c,
							   ports[d], flags[e]);
	return 0;
}
