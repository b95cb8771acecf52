/*
 * forking: the parent records 2 events, forks a child that records 5 and
 * exits, then records 2 more. Prints "child exited 0" when the child ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "probe-tp.h"

int main(void)
{
	int status;
	pid_t pid;

	tracepoint(probe, mark, "parent", 0);
	tracepoint(probe, mark, "parent", 1);
	pid = fork();
	if (pid == 0) {
		for (uint64_t i = 0; i < 5; i++)
			tracepoint(probe, mark, "child", i);
		exit(0);
	}
	waitpid(pid, &status, 0);
	tracepoint(probe, mark, "parent", 2);
	tracepoint(probe, mark, "parent", 3);
	printf("child exited %d\n", WEXITSTATUS(status));
	return 0;
}
