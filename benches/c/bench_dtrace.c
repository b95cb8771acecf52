/*
 * The loops of the ust-dtrace benchmark: the int3 event fired through the
 * macro ust-dtrace generates from bench_probes.d, unguarded or behind
 * DTBENCH_INT3_ENABLED(). Built twice into the UST benchmark: as is (with
 * SDT notes and semaphores), and with -DUST_DTRACE_NO_SDT
 * -DBENCH_DTRACE_LOOP=dtrace_loop_nosdt.
 */
#include <stdint.h>
#include "bench_probes.h"

#ifndef BENCH_DTRACE_LOOP
#define BENCH_DTRACE_LOOP dtrace_loop
#endif

void BENCH_DTRACE_LOOP(long n, uint32_t id, int guarded);

void BENCH_DTRACE_LOOP(long n, uint32_t id, int guarded)
{
	long i;

	if (guarded) {
		for (i = 0; i < n; i++)
			if (DTBENCH_INT3_ENABLED())
				DTBENCH_INT3(i, (int32_t) i * 3, id);
	} else {
		for (i = 0; i < n; i++)
			DTBENCH_INT3(i, (int32_t) i * 3, id);
	}
}
