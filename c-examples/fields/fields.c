/*
 * fields: records one event of each kind with known values, so a test can
 * check every field type as babeltrace2 prints it.
 */
#include <stdio.h>
#include "fields-tp.h"

int main(void)
{
	const int32_t values[3] = { -1, 0, 2147483647 };
	const uint8_t bytes[6] = { 0x00, 0x1b, 0x21, 0xab, 0xcd, 0xef };

	tracepoint(fields, integers, -128, 255, -32768, 65535, -2147483647 - 1,
		   4294967295u, INT64_MIN, UINT64_MAX);
	tracepoint(fields, integers, 1, 2, 3, 0x1234, 5, 0x0a000001, 7, 8);
	tracepoint(fields, floats, 1.5f, -0.25);
	tracepoint(fields, text, "quote\" tab\t newline\n é", NULL);
	tracepoint(fields, arrays, values, "abcd", bytes, 3);
	tracepoint(fields, arrays, values, "wxyz", bytes, 0);
	for (int s = 0; s < 6; s++)
		tracepoint(fields, enums, s);
	tracepoint(fields, request_begin, 7, "/index.html");
	tracepoint(fields, request_end, 7, "/index.html");
	if (tracepoint_enabled(fields, empty))
		do_tracepoint(fields, empty);
	puts("fields: done");
	return 0;
}
