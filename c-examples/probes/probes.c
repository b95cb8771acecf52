/*
 * probes: tracepoints with custom probes (DECLARE_TRACE/DEFINE_TRACE).
 *
 *   cc -I include -I c-examples/probes c-examples/probes/probes.c \
 *      -L target/release -lust -lpthread -o probes
 *   UST_TRACE=/tmp/probes-trace ./probes && babeltrace2 /tmp/probes-trace
 *
 * Two probes with their own data are attached to conn_open; they record
 * through a marker, so the event conn:open carries the probe's data (its
 * label) with the tracepoint's arguments. A statistics probe on conn_bytes
 * counts calls in its data; 200 times it is registered with fresh data,
 * unregistered and its data freed while two threads keep firing the
 * tracepoint. unregister_trace_conn_bytes waits until no thread runs the
 * probe, so no probe ever sees its data marked dead (conn:checked records
 * how many did: 0).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <ust/marker.h>
#include "conn-trace.h"

DEFINE_TRACE(conn_open);
DEFINE_TRACE(conn_bytes);

struct label {
	const char *text;
};

static void on_open(void *data, int fd, const char *peer)
{
	const struct label *l = (const struct label *)data;

	trace_mark(conn, open, "probe %s fd %d peer %s", l->text, fd, peer);
}

/* A probe's private data: counts calls, marked dead just before it is freed. */
struct stats {
	long calls;
	int dead;
};

/* How many times a probe saw its data marked dead: the grace period keeps it 0. */
static long violations;

static void on_bytes(void *data, int fd, long n)
{
	struct stats *s = (struct stats *)data;
	int i;

	(void)fd;
	__atomic_add_fetch(&s->calls, n, __ATOMIC_RELAXED);
	for (i = 0; i < 100; i++) {
		if (__atomic_load_n(&s->dead, __ATOMIC_RELAXED)) {
			__atomic_add_fetch(&violations, 1, __ATOMIC_RELAXED);
			break;
		}
	}
}

#define WORKERS 2
#define ROUNDS 200

static int stop;

/* Fires conn_bytes until told to stop. */
static void *worker(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		trace_conn_bytes(3, 1);
	return NULL;
}

int main(void)
{
	struct label audit = {"audit"}, debug = {"debug"};
	pthread_t threads[WORKERS];
	struct stats *stats;
	int round, i;

	trace_conn_open(1, "nobody listening");
	if (register_trace_conn_open(on_open, &audit) || register_trace_conn_open(on_open, &debug))
		return 1;
	if (register_trace_conn_open(on_open, &audit) != -EEXIST)
		return 2;
	trace_conn_open(4, "10.0.0.1");
	unregister_trace_conn_open(on_open, &debug);
	trace_conn_open(5, "10.0.0.2");
	if (unregister_trace_conn_open(on_open, &debug) != -ENOENT)
		return 3;
	unregister_trace_conn_open(on_open, &audit);
	trace_conn_open(6, "after unregistration");

	for (i = 0; i < WORKERS; i++)
		pthread_create(&threads[i], NULL, worker, NULL);
	for (round = 0; round < ROUNDS; round++) {
		stats = (struct stats *)calloc(1, sizeof(*stats));
		register_trace_conn_bytes(on_bytes, stats);
		while (__atomic_load_n(&stats->calls, __ATOMIC_RELAXED) < 100)
			;
		unregister_trace_conn_bytes(on_bytes, stats);
		/* No probe runs with `stats` any more: mark it dead, then free it. */
		__atomic_store_n(&stats->dead, 1, __ATOMIC_RELAXED);
		trace_mark(conn, round, "round %d calls %s", round,
			   stats->calls >= 100 ? "at least 100" : "too few");
		free(stats);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < WORKERS; i++)
		pthread_join(threads[i], NULL);
	trace_mark(conn, checked, "rounds %d violations %ld", ROUNDS, violations);
	printf("done\n");
	return 0;
}
