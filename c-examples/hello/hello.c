/*
 * hello: the smallest instrumented program. Prints nothing of its own
 * beyond a greeting; run with UST_TRACE=DIR to record hello:greeting events.
 */
#include <stdio.h>
#include <stdlib.h>
#include "hello-tp.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	const char *who = argc > 2 ? argv[2] : "world";

	for (int i = 0; i < n; i++)
		tracepoint(hello, greeting, i, who);
	printf("hello, %s (%d events)\n", who, n);
	return 0;
}
