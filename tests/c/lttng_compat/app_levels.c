/* Fires each "levels" event twice (compiled as C or as C++). */
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "tp_levels.h"

int main(void)
{
	int n;

	for (n = 0; n < 2; n++) {
		lttng_ust_tracepoint(levels, warned, n);
		lttng_ust_tracepoint(levels, modelled, n);
		lttng_ust_tracepoint(levels, uri_only, n);
		lttng_ust_tracepoint(levels, debug_reading, n);
		lttng_ust_tracepoint(levels, plain_reading, n);
	}
	return 0;
}
