/*
 * Workloads for benches/kernel.sh, timed with clock_gettime(CLOCK_MONOTONIC) around the loop:
 *
 *   kernel_load pingpong N   two processes pinned to CPU 0 pass one byte back and forth N
 *                            times through two pipes: each round trip is 2 context switches
 *                            (and 2 wake-ups, 4 system calls)
 *   kernel_load getppid N    N getppid() system calls
 *
 * prints: ns_per_op=<loop time / N> cpu_ns_per_op=<CPU time of the workload's processes / N>
 * (the CPU time is where the kernel charges what recording its events costs the workload;
 * for pingpong it adds the child's, from wait4).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long cpu_ns(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000LL
		+ (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000LL;
}

static long long self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return cpu_ns(&ru);
}

static void report(long n, long long wall, long long cpu)
{
	printf("ns_per_op=%.1f cpu_ns_per_op=%.1f\n", (double) wall / n, (double) cpu / n);
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static int pingpong(long n)
{
	int there[2], back[2];
	char c = 0;

	if (pipe(there) != 0 || pipe(back) != 0)
		return 1;
	pin_to_cpu0();
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		for (long i = 0; i < n; i++)
			if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	long long start = now_ns(), cpu = self_cpu_ns();
	for (long i = 0; i < n; i++)
		if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
			return 1;
	long long end = now_ns();
	cpu = self_cpu_ns() - cpu;
	int status;
	struct rusage ru;
	if (wait4(child, &status, 0, &ru) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	report(n, end - start, cpu + cpu_ns(&ru));
	return 0;
}

static int getppids(long n)
{
	long long start = now_ns(), cpu = self_cpu_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	long long end = now_ns();
	report(n, end - start, self_cpu_ns() - cpu);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: kernel_load pingpong|getppid N\n");
		return 2;
	}
	long n = atol(argv[2]);
	if (strcmp(argv[1], "pingpong") == 0)
		return pingpong(n);
	if (strcmp(argv[1], "getppid") == 0)
		return getppids(n);
	fprintf(stderr, "usage: kernel_load pingpong|getppid N\n");
	return 2;
}
