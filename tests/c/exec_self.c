/*
 * exec_self: records 5 probe:mark "first" events, waits until they reached
 * the disk (the trace's quiet-buffer flush), then replaces itself with exec
 * (same pid, UST_TRACE still set), and as "second" records 3 more.
 *
 *   exec_self          the first program
 *   exec_self second   the program it becomes
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "probe-tp.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "second") == 0) {
		for (uint64_t i = 0; i < 3; i++)
			tracepoint(probe, mark, "second", i);
		puts("second done");
		return 0;
	}
	for (uint64_t i = 0; i < 5; i++)
		tracepoint(probe, mark, "first", i);
	sleep(2);
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "second", (char *)NULL);
	perror("exec");
	return 1;
}
