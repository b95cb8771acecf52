/*
 * Benchmark loop shared by the UST and LTTng-UST builds (compile with
 * -DBENCH_UST for UST): each of THREADS threads fires N events of one kind,
 * timed with clock_gettime(CLOCK_MONOTONIC) around its loop only.
 *
 * usage: bench int3|str|tracef3|mark3|probe3 N THREADS
 * (tracef3: tracef("%d %d %d"); mark3: trace_mark with 3 integers; probe3: a
 * custom probe recording bench:int3 — the last two are UST's own styles;
 * these three only when built with -DBENCH_STYLES, a separate binary so
 * the other scenarios run the program with its one provider; built with
 * -DBENCH_DTRACE and bench_dtrace.c: also dtrace, dtrace-guarded,
 * dtrace-nosdt and dtrace-nosdt-guarded, the int3 event through
 * ust-dtrace's macros, see bench_dtrace.c)
 * prints: ns_per_event=<mean over threads of loop time / N> wall_ns=<first
 * loop start to last loop end> start_ns=<CLOCK_MONOTONIC at first loop start>
 * Whether the events are recorded depends on the tracer's session only, so
 * the same binary measures the disabled and the enabled tracepoint.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef BENCH_UST
#include "bench_tp_ust.h"
#else
#include "bench_tp_lttng.h"
#endif
#ifdef BENCH_STYLES
#ifdef BENCH_UST
#include <ust/marker.h>
#include <ust/tracef.h>
#else
#include <lttng/tracef.h>
#endif
#endif

#define MAX_THREADS 64

enum kind { INT3, STR, TRACEF3, MARK3, PROBE3, DTRACE, DTRACE_GUARDED, DTRACE_NOSDT,
	     DTRACE_NOSDT_GUARDED };
static const char *const kinds[] = {"int3", "str", "tracef3", "mark3", "probe3", "dtrace",
				    "dtrace-guarded", "dtrace-nosdt", "dtrace-nosdt-guarded"};

#ifdef BENCH_DTRACE
void dtrace_loop(long n, uint32_t id, int guarded);
void dtrace_loop_nosdt(long n, uint32_t id, int guarded);
#endif

#if defined(BENCH_UST) && defined(BENCH_STYLES)
/* A custom tracepoint whose probe records the same event as `int3`. */
DECLARE_TRACE(bench_probe3, TP_PROTO(int64_t a, int32_t b, uint32_t c), TP_ARGS(a, b, c))
DEFINE_TRACE(bench_probe3);

static void record_int3(void *data, int64_t a, int32_t b, uint32_t c)
{
	(void)data;
	tracepoint(bench, int3, a, b, c);
}
#endif

struct job {
	enum kind kind;
	long n;
	uint32_t id;
	struct timespec start, end;
};

static int64_t ns_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t) (b->tv_sec - a->tv_sec) * 1000000000 + (b->tv_nsec - a->tv_nsec);
}

static void *run(void *arg)
{
	static const char text[] = "twenty-char-payload!";
	struct job *job = arg;
	long i;

	clock_gettime(CLOCK_MONOTONIC, &job->start);
	switch (job->kind) {
	case STR:
		for (i = 0; i < job->n; i++)
			tracepoint(bench, str, text, (int32_t) i);
		break;
	case INT3:
		for (i = 0; i < job->n; i++)
			tracepoint(bench, int3, i, (int32_t) i * 3, job->id);
		break;
#ifdef BENCH_STYLES
	case TRACEF3:
		for (i = 0; i < job->n; i++)
			tracef("%d %d %d", (int) i, (int) i * 3, (int) job->id);
		break;
#endif
#if defined(BENCH_UST) && defined(BENCH_STYLES)
	case MARK3:
		for (i = 0; i < job->n; i++)
			trace_mark(bench, mark3, "a %ld b %d c %u", i, (int32_t) i * 3, job->id);
		break;
	case PROBE3:
		for (i = 0; i < job->n; i++)
			trace_bench_probe3(i, (int32_t) i * 3, job->id);
		break;
#endif
#ifdef BENCH_DTRACE
	case DTRACE:
	case DTRACE_GUARDED:
		dtrace_loop(job->n, job->id, job->kind == DTRACE_GUARDED);
		break;
	case DTRACE_NOSDT:
	case DTRACE_NOSDT_GUARDED:
		dtrace_loop_nosdt(job->n, job->id, job->kind == DTRACE_NOSDT_GUARDED);
		break;
#endif
	default:
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &job->end);
	return NULL;
}

static void report(const struct job *jobs, int threads)
{
	const struct timespec *first = &jobs[0].start, *last = &jobs[0].end;
	double ns_sum = 0;
	int t;

	for (t = 0; t < threads; t++) {
		ns_sum += (double) ns_between(&jobs[t].start, &jobs[t].end) / jobs[t].n;
		if (ns_between(&jobs[t].start, first) > 0)
			first = &jobs[t].start;
		if (ns_between(last, &jobs[t].end) > 0)
			last = &jobs[t].end;
	}
	printf("ns_per_event=%.3f wall_ns=%lld start_ns=%lld\n", ns_sum / threads,
		(long long) ns_between(first, last),
		(long long) first->tv_sec * 1000000000 + first->tv_nsec);
}

int main(int argc, char **argv)
{
	struct job jobs[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	int threads, t, kind = 0;
	long n;

	while (argc == 4 && kind < (int) (sizeof(kinds) / sizeof(kinds[0])) &&
	       strcmp(argv[1], kinds[kind]))
		kind++;
	if (argc != 4 || kind == (int) (sizeof(kinds) / sizeof(kinds[0]))) {
		fprintf(stderr, "usage: %s int3|str|tracef3|mark3|probe3 N THREADS\n", argv[0]);
		return 2;
	}
#ifndef BENCH_DTRACE
	if (kind >= DTRACE) {
		fprintf(stderr, "%s: built without -DBENCH_DTRACE\n", argv[1]);
		return 2;
	}
#endif
#ifndef BENCH_STYLES
	if (kind >= TRACEF3 && kind < DTRACE) {
		fprintf(stderr, "%s: built without -DBENCH_STYLES\n", argv[1]);
		return 2;
	}
#elif defined(BENCH_UST)
	if (kind == PROBE3 && register_trace_bench_probe3(record_int3, NULL))
		return 1;
#else
	if (kind == MARK3 || kind == PROBE3) {
		fprintf(stderr, "%s: UST's own style, not in LTTng-UST\n", argv[1]);
		return 2;
	}
#endif
	n = atol(argv[2]);
	threads = atoi(argv[3]);
	if (n <= 0 || threads <= 0 || threads > MAX_THREADS) {
		fprintf(stderr, "N must be > 0 and THREADS in 1..%d\n", MAX_THREADS);
		return 2;
	}
	for (t = 0; t < threads; t++) {
		jobs[t] = (struct job) { .kind = (enum kind) kind, .n = n, .id = (uint32_t) t };
		pthread_create(&tids[t], NULL, run, &jobs[t]);
	}
	for (t = 0; t < threads; t++)
		pthread_join(tids[t], NULL);
	report(jobs, threads);
	return 0;
}
