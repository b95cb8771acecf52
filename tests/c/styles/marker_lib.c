/* marker_lib: a dlopen()ed library with a marker (tests/c/styles/marker_edges.c). */
#include <ust/marker.h>

void plugin_work(int n);

void plugin_work(int n)
{
	trace_mark(plugin, work, "n %d", n);
}
