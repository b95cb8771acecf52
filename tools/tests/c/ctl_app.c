/*
 * ctl_app: the instrumented program of the `ust` session-control and `ust trace` tests.
 *
 *   ctl_app events N        N ctl_app:info and N ctl_app:debug events, then exit 0
 *   ctl_app lines           for each line read on stdin, one ctl_app:info (the line) and one
 *                           ctl_app:debug event, an "ok" line on stdout; exit 0 at end of input
 *   ctl_app pause N         N events of each kind, "ready" on stdout, then wait for a signal
 *   ctl_app exit CODE       exit with CODE, no events
 *   ctl_app spawn PROG ARG… fork; the child executes PROG ARG…; the parent records one
 *                           ctl_app:info "parent" event and exits with the child's status
 */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "ctl_app_tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void both(int n, const char *text)
{
	tracepoint(ctl_app, info, n, text);
	tracepoint(ctl_app, debug, n);
}

static int lines(void)
{
	char buf[256];
	int n = 0;

	while (fgets(buf, sizeof(buf), stdin)) {
		buf[strcspn(buf, "\n")] = 0;
		both(n++, buf);
		printf("ok\n");
		fflush(stdout);
	}
	return 0;
}

static int spawn(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	tracepoint(ctl_app, info, 0, "parent");
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int n = argc > 2 ? atoi(argv[2]) : 0;

	if (!strcmp(mode, "events") || !strcmp(mode, "pause")) {
		for (int i = 0; i < n; i++)
			both(i, mode);
		if (!strcmp(mode, "events"))
			return 0;
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (!strcmp(mode, "lines"))
		return lines();
	if (!strcmp(mode, "exit"))
		return n;
	if (!strcmp(mode, "spawn") && argc > 2)
		return spawn(argv + 2);
	fprintf(stderr, "usage: ctl_app events N | lines | pause N | exit CODE | spawn PROG ARG...\n");
	return 2;
}
