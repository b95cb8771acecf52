/*
 * The library-provider pattern of app_linked.c with UST's own API: provider
 * "ust_archived" in a static library, "ust_needed" in a shared library
 * linked with --as-needed. "ust_needed" is named through
 * TRACEPOINT_PROVIDER (the last provider included), with every firing
 * macro. Prints nothing; the test reads the trace.
 */
#define TRACEPOINT_DEFINE
#include "ust_tp_archived.h"
#include "ust_tp_needed.h"

int main(void)
{
	int round;

	for (round = 0; round < 3; round++) {
		tracepoint(ust_archived, hit, round);
		tracepoint(TRACEPOINT_PROVIDER, hit, round);
		if (tracepoint_enabled(TRACEPOINT_PROVIDER, hit))
			do_tracepoint(TRACEPOINT_PROVIDER, hit, round + 10);
	}
	return 0;
}
