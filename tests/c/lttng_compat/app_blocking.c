/*
 * app_blocking: records N blocking:record events (a sequence number and 232
 * bytes of text) from one thread as fast as it can, for the blocking-channel
 * tests, with LTTng-UST or UST (built against the compatibility headers).
 *
 *   app_blocking N
 */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_CREATE_PROBES
#include "tp_blocking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char text[233];
	uint32_t n = argc > 1 ? (uint32_t) strtoul(argv[1], NULL, 10) : 1000;

	for (int i = 0; i < 232; i++)
		text[i] = (char) ('a' + i % 26);
	text[232] = 0;
	for (uint32_t seq = 0; seq < n; seq++) {
		text[0] = (char) ('A' + seq % 26);
		tracepoint(blocking, record, seq, text);
	}
	printf("blocking: %u events\n", n);
	return 0;
}
