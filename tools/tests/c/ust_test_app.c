/* Emits every ust_test event kind once, then `tick` events from threads pinned to each CPU.
 * No empty strings or text arrays: babeltrace2 2.0.4 recycles event objects and then shows
 * a stale value for an empty string, so those would not compare equal (the hand-made trace
 * of handmade.rs covers empty text).
 * Usage: ust_test_app [ticks-per-thread] */
#define _GNU_SOURCE
#define TRACEPOINT_DEFINE
#define TRACEPOINT_CREATE_PROBES
#include "ust_test_tp.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

static long ticks = 1000;

static void *ticker(void *arg)
{
	int cpu = (int) (long) arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	for (long i = 0; i < ticks; i++)
		tracepoint(ust_test, tick, cpu, (uint64_t) i);
	return NULL;
}

static void all_kinds(void)
{
	static const int64_t vals[] = { 0, 1, -1, 127, -128, 255, 32767, -32768, 65535,
		2147483647, -2147483648LL, 4294967295LL, INT64_MAX, INT64_MIN };
	int32_t arr[5] = { 1, -2, 300, 0x7fffffff, -5 };

	for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		tracepoint(ust_test, ints, vals[i], (uint64_t) vals[i]);
	tracepoint(ust_test, floats, 3.25);
	tracepoint(ust_test, floats, -0.1);
	tracepoint(ust_test, floats, 1e300);
	tracepoint(ust_test, floats, 1.0 / 3.0);
	tracepoint(ust_test, floats, 0.0 / 0.0);
	tracepoint(ust_test, floats, 1e-310);
	tracepoint(ust_test, strings, "plain", "abcdef");
	tracepoint(ust_test, strings, "quote \" back \\ tab \t nl \n cr \r bell \a esc \x1b del \x7f ? '", "a\tb");
	tracepoint(ust_test, strings, "utf-8: \xc3\xa9\xe2\x82\xac raw \xff", "z");
	tracepoint(ust_test, strings, "s", "xy");
	for (unsigned n = 0; n < 6; n++)
		tracepoint(ust_test, arrays, arr, n > 5 ? 5 : n);
	for (int e = -3; e < 7; e++)
		tracepoint(ust_test, enums, e);
	tracepoint(ust_test, empty);
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th[64];

	if (argc > 1)
		ticks = atol(argv[1]);
	if (ncpu > 64)
		ncpu = 64;
	all_kinds();
	for (long c = 0; c < ncpu; c++)
		pthread_create(&th[c], NULL, ticker, (void *) c);
	for (long c = 0; c < ncpu; c++)
		pthread_join(th[c], NULL);
	return 0;
}
