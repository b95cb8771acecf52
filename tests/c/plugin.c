/* A dlopen()ed library holding a provider and its call sites. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "plugin-tp.h"

void plugin_run(int round, int n);

void plugin_run(int round, int n)
{
	for (int i = 0; i < n; i++)
		tracepoint(plugin, run, round, i);
}
