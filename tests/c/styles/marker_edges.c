/*
 * marker_edges: what tests/styles.rs checks beyond the example:
 *   edges:many      20 arguments, the most a marker takes
 *   edges:wrong     fewer arguments than conversions (built -Wno-format):
 *                   not recorded
 *   edges:clash     the name of another marker with another format:
 *                   refused at registration with a message
 *   plugin:work     a marker in a library loaded twice with dlopen() and
 *                   unloaded with dlclose() in between
 */
#include <dlfcn.h>
#include <stdio.h>
#include <ust/marker.h>

static void clash_a(void)
{
	trace_mark(edges, clash, "x %d", 1);
}

static void clash_b(void)
{
	trace_mark(edges, clash, "x %s", "two");
}

static int load_and_work(const char *lib, int n)
{
	void *h = dlopen(lib, RTLD_NOW);
	void (*work)(int);

	if (!h) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	*(void **)&work = dlsym(h, "plugin_work");
	work(n);
	return dlclose(h);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	trace_mark(edges, many,
		   "a %d b %d c %d d %d e %d f %d g %d h %d i %d j %d k %d l %d m %d n %d o %d "
		   "p %d q %d r %d s %d t %d",
		   1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20);
	trace_mark(edges, wrong, "a %d b %d", 1);
	clash_a();
	clash_b();
	return load_and_work(argv[1], 1) || load_and_work(argv[1], 2);
}
