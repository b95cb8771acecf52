/*
 * probe_rules: the rules of custom probes that tests/styles.rs checks
 * through the recorded markers:
 *   rules:nested       a probe firing another custom tracepoint (nesting)
 *   rules:from_probe   unregistering from a probe is refused (-EDEADLK),
 *                      registering from a probe works
 *   rules:threads      100 short-lived threads each fire a probe once
 *                      (reader records recycled at thread exit)
 *   rules:fork_child   after fork() while another thread is inside a probe,
 *                      the child's unregistration returns (it does not wait
 *                      for a thread the child does not have)
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ust/marker.h>
#include <ust/tracepoint.h>

DECLARE_TRACE(outer, TP_PROTO(int v), TP_ARGS(v))
DECLARE_TRACE(inner, TP_PROTO(int v, int depth), TP_ARGS(v, depth))
DECLARE_TRACE(slow, TP_PROTO(int v), TP_ARGS(v))
DEFINE_TRACE(outer);
DEFINE_TRACE(inner);
DEFINE_TRACE(slow);

static void on_inner(void *data, int v, int depth)
{
	trace_mark(rules, nested, "tag %s v %d depth %d", (const char *)data, v, depth);
}

static void on_outer(void *data, int v)
{
	(void)data;
	trace_inner(v, 1);
}

static void late(void *data, int v)
{
	trace_mark(rules, late, "tag %s v %d", (const char *)data, v);
}

static void self_unregister(void *data, int v)
{
	int unreg = unregister_trace_outer(self_unregister, data);
	int reg = register_trace_outer(late, (void *)"late");

	trace_mark(rules, from_probe, "v %d unregister %d register %d", v, unreg, reg);
}

static long thread_calls;

static void count(void *data, int v)
{
	(void)data;
	__atomic_add_fetch(&thread_calls, v, __ATOMIC_RELAXED);
}

static void *short_lived(void *arg)
{
	(void)arg;
	trace_outer(1);
	return NULL;
}

static int in_slow;

static void on_slow(void *data, int v)
{
	(void)data;
	(void)v;
	__atomic_store_n(&in_slow, 1, __ATOMIC_RELEASE);
	usleep(300000);
}

static void *slow_caller(void *arg)
{
	(void)arg;
	trace_slow(1);
	return NULL;
}

int main(void)
{
	pthread_t t[100];
	pid_t child;
	int i, status;

	register_trace_inner(on_inner, (void *)"in");
	register_trace_outer(on_outer, NULL);
	trace_outer(7);
	unregister_trace_outer(on_outer, NULL);
	trace_outer(8);

	register_trace_outer(self_unregister, (void *)"self");
	trace_outer(1);
	trace_outer(2);
	unregister_trace_outer(self_unregister, (void *)"self");
	unregister_trace_outer(late, (void *)"late");
	trace_outer(3);

	register_trace_outer(count, NULL);
	for (i = 0; i < 100; i++) {
		pthread_create(&t[i], NULL, short_lived, NULL);
		pthread_join(t[i], NULL);
	}
	unregister_trace_outer(count, NULL);
	trace_mark(rules, threads, "calls %ld", thread_calls);

	register_trace_slow(on_slow, NULL);
	pthread_create(&t[0], NULL, slow_caller, NULL);
	while (!__atomic_load_n(&in_slow, __ATOMIC_ACQUIRE))
		;
	child = fork();
	if (child == 0)
		_exit(unregister_trace_slow(on_slow, NULL) == 0 ? 0 : 1);
	waitpid(child, &status, 0);
	trace_mark(rules, fork_child, "exit %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	unregister_trace_slow(on_slow, NULL);
	pthread_join(t[0], NULL);
	return 0;
}
