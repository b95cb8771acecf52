/*
 * threads: N threads (first argument, default 4) each record M events
 * (second argument, default 10000) numbered 0..M-1, as fast as they can.
 * Some threads start before the first event is recorded, all run at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "threads-tp.h"

static unsigned long events_per_thread = 10000;

static void *worker(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;

	for (uint64_t i = 0; i < events_per_thread; i++)
		tracepoint(threads, tick, id, i);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t *t;

	if (argc > 2)
		events_per_thread = strtoul(argv[2], NULL, 10);
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("threads: %d x %lu events\n", n, events_per_thread);
	free(t);
	return 0;
}
