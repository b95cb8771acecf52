/*
 * trace-event: kernel-style TRACE_EVENT in a userspace program.
 *
 *   cd c-examples/trace-event
 *   cc -I. -I ../../include trace-event.c sched-demo-events.c \
 *      -L ../../target/release -lust -o trace-event
 *   UST_TRACE=/tmp/te-trace ./trace-event && babeltrace2 /tmp/te-trace
 *
 * (-I. lets <ust/define_trace.h> find "./sched-demo-trace.h", as with
 * Linux's TRACE_INCLUDE_PATH.)
 */
#include <stdio.h>
#include "sched-demo-trace.h"

int main(void)
{
	static const int cpus[] = {0, 1, 3};
	const char *missing = NULL;
	int i;

	for (i = 0; i < 2; i++)
		trace_switch_task(i, i ? "worker" : "idle", cpus, 3 - i);
	trace_switch_task(-1, missing, cpus, 0);
	trace_mem_alloc((const void *)0x1000, 4096, 0.75);
	trace_mem_free((const void *)0x1000, 64, -1.5);
	if (trace_switch_task_enabled())
		puts("recording");
	return 0;
}
