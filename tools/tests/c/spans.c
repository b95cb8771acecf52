/* Emits N requests of 3 steps each, as begin/end pairs, and a note per request. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "spans_tp.h"

#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;

	for (int id = 0; id < n; id++) {
		tracepoint(spans, request_begin, id);
		for (int step = 0; step < 3; step++) {
			tracepoint(spans, step_start, step);
			tracepoint(spans, note, "working");
			tracepoint(spans, step_end, step);
		}
		tracepoint(spans, request_end, id);
	}
	return 0;
}
