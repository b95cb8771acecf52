/*
 * dynamic: a program whose tracepoints do not depend on the tracer. Built
 * without -lust; at start it opens libust.so.1 if it is installed. Its
 * events are recorded only when the provider library is loaded:
 *   LD_PRELOAD=./libdynamic-tp.so UST_TRACE=/tmp/t ./dynamic
 * Without the provider, or without libust at all, it runs untraced.
 */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include <stdio.h>
#include <stdlib.h>
#include "dynamic-tp.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;

	for (int i = 0; i < n; i++) {
		tracepoint(dynamic, work, i, "start");
		tracepoint(dynamic, work, i, "done");
	}
	printf("dynamic: %d items\n", n);
	return 0;
}
