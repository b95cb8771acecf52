/*
 * Benchmark loop shared by the UST and LTTng-UST builds (compile with
 * -DBENCH_UST for UST): each of THREADS threads fires N events of one kind,
 * timed with clock_gettime(CLOCK_MONOTONIC) around its loop only.
 *
 * usage: bench int3|str N THREADS
 * (built with -DBENCH_DTRACE and bench_dtrace.c: also dtrace, dtrace-guarded,
 * dtrace-nosdt and dtrace-nosdt-guarded, the int3 event through ust-dtrace's
 * macros; see bench_dtrace.c)
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

#define MAX_THREADS 64

#ifdef BENCH_DTRACE
void dtrace_loop(long n, uint32_t id, int guarded);
void dtrace_loop_nosdt(long n, uint32_t id, int guarded);
#endif

struct job {
	int string_event;
	/* Set for the ust-dtrace kinds: the loop to run, and whether it is guarded. */
	void (*dtrace)(long n, uint32_t id, int guarded);
	int guarded;
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
	if (job->dtrace) {
		job->dtrace(job->n, job->id, job->guarded);
	} else if (job->string_event) {
		for (i = 0; i < job->n; i++)
			tracepoint(bench, str, text, (int32_t) i);
	} else {
		for (i = 0; i < job->n; i++)
			tracepoint(bench, int3, i, (int32_t) i * 3, job->id);
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

/* Sets up `job` for the event kind `name`; 0 if there is no such kind. */
static int set_kind(struct job *job, const char *name)
{
	*job = (struct job) { .string_event = !strcmp(name, "str") };
#ifdef BENCH_DTRACE
	if (!strcmp(name, "dtrace") || !strcmp(name, "dtrace-guarded"))
		job->dtrace = dtrace_loop;
	else if (!strcmp(name, "dtrace-nosdt") || !strcmp(name, "dtrace-nosdt-guarded"))
		job->dtrace = dtrace_loop_nosdt;
	job->guarded = strstr(name, "-guarded") != NULL;
	if (job->dtrace)
		return 1;
#endif
	return !strcmp(name, "int3") || job->string_event;
}

int main(int argc, char **argv)
{
	struct job jobs[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	int threads, t;
	long n;

	if (argc != 4 || !set_kind(&jobs[0], argv[1])) {
		fprintf(stderr, "usage: %s int3|str N THREADS\n", argv[0]);
		return 2;
	}
	n = atol(argv[2]);
	threads = atoi(argv[3]);
	if (n <= 0 || threads <= 0 || threads > MAX_THREADS) {
		fprintf(stderr, "N must be > 0 and THREADS in 1..%d\n", MAX_THREADS);
		return 2;
	}
	for (t = 0; t < threads; t++) {
		set_kind(&jobs[t], argv[1]);
		jobs[t].n = n;
		jobs[t].id = (uint32_t) t;
		pthread_create(&tids[t], NULL, run, &jobs[t]);
	}
	for (t = 0; t < threads; t++)
		pthread_join(tids[t], NULL);
	report(jobs, threads);
	return 0;
}
