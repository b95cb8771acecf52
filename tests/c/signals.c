/*
 * signals: records probe:mark "main" events in a loop while a SIGALRM
 * handler, fired every 50 µs, records "handler" events. Prints both counts.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include "probe-tp.h"

static volatile sig_atomic_t handled;

static void on_alarm(int sig)
{
	(void)sig;
	tracepoint(probe, mark, "handler", (uint64_t)handled);
	handled++;
}

int main(void)
{
	struct sigaction sa;
	struct itimerval every = { { 0, 50 }, { 0, 50 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	uint64_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &every, NULL);
	for (i = 0; i < 2000000 || handled < 200; i++)
		tracepoint(probe, mark, "main", i);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("main=%llu handler=%d\n", (unsigned long long)i, (int)handled);
	return 0;
}
