/*
 * Uses stderr, printf, getpid, pid_t, bool, dlopen, strdup, free, assert
 * and EXIT_SUCCESS with no #include of its own but the provider header.
 */
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "tp_headers.h"

int main(void)
{
	bool flag = true;
	pid_t pid = getpid();
	void *self = dlopen(NULL, RTLD_NOW);
	char *text = strdup("through <lttng/tracepoint.h>");

	assert(text != NULL);
	fprintf(stderr, "app_headers: pid %d\n", (int) pid);
	lttng_ust_tracepoint(headers, used, flag, pid > 0, self != NULL, text);
	free(text);
	if (self)
		dlclose(self);
	return EXIT_SUCCESS;
}
