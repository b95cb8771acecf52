/* The program tools/tests/kernel.rs traces with `ust trace --kernel`.
 *
 * kernel_subject         prints "pid P", forks a child (printed "child C") that three times
 *                        burns 30 ms of CPU, emits step("before_sleep", i), sleeps 20 ms and
 *                        emits step("after_sleep", i), then exits with status 7; meanwhile
 *                        starts a thread (printed "thread T") that emits step("thread", 0);
 *                        then reaps the child with wait4 and prints its exit status and the
 *                        CPU time getrusage gives it ("child_status 7", "child_cpu_us N");
 *                        exits with status 3.
 * kernel_subject storm N prints "pid P", makes N getppid() system calls and exits with
 *                        status 0. */
#define _GNU_SOURCE
#define TRACEPOINT_DEFINE
#define TRACEPOINT_CREATE_PROBES
#include "kernel_subject_tp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Runs on the CPU until this thread used `ns` more nanoseconds of it. */
static void burn(long ns)
{
	long end = cpu_ns() + ns;

	while (cpu_ns() < end)
		;
}

static void nap(long ns)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ns };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static pid_t thread_tid;

static void *thread_main(void *arg)
{
	(void) arg;
	thread_tid = gettid();
	tracepoint(ksubject, step, "thread", 0);
	return NULL;
}

static void child(void)
{
	for (int i = 0; i < 3; i++) {
		burn(30000000);
		tracepoint(ksubject, step, "before_sleep", i);
		nap(20000000);
		tracepoint(ksubject, step, "after_sleep", i);
	}
	_exit(7);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "storm") == 0) {
		long n = atol(argv[2]);

		printf("pid %d\n", getpid());
		fflush(stdout);
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		return 0;
	}
	printf("pid %d\n", getpid());
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		child();
	printf("child %d\n", pid);
	pthread_t t;
	if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	printf("thread %d\n", thread_tid);
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status))
		return 1;
	long us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec
		+ ru.ru_stime.tv_usec;
	printf("child_status %d\nchild_cpu_us %ld\n", WEXITSTATUS(status), us);
	return 3;
}
