/*
 * ticker: records `ticker:tick` 30 times, 3 ms apart, tagged with argv[1]
 * (which tracer recorded it). Built for both LTTng-UST and UST.
 */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_CREATE_PROBES
#include <time.h>
#include "ticker-tp.h"

int main(int argc, char **argv)
{
	const char *tag = argc > 1 ? argv[1] : "?";
	struct timespec pause = { 0, 3000000 };

	for (int i = 0; i < 30; i++) {
		tracepoint(ticker, tick, tag, i);
		nanosleep(&pause, NULL);
	}
	return 0;
}
