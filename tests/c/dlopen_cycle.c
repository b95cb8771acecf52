/*
 * dlopen_cycle: loads the plugin library (path in argv[1]), runs it,
 * unloads it, three times, checking each time that it really unloaded.
 *
 *   dlopen_cycle PLUGIN          the three rounds in a row
 *   dlopen_cycle PLUGIN lines    before each round, waits for a line on
 *                                stdin; after it, prints "ok"
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	int lines = argc > 2 && strcmp(argv[2], "lines") == 0;
	char buf[64];

	if (argc < 2)
		return 2;
	for (int round = 0; round < 3; round++) {
		void *lib;
		void (*run)(int, int);

		if (lines && !fgets(buf, sizeof(buf), stdin))
			return 1;
		lib = dlopen(argv[1], RTLD_NOW);
		if (!lib) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		*(void **)&run = dlsym(lib, "plugin_run");
		run(round, 10);
		dlclose(lib);
		if (dlopen(argv[1], RTLD_NOLOAD | RTLD_NOW)) {
			fprintf(stderr, "plugin still loaded after dlclose\n");
			return 1;
		}
		if (lines) {
			puts("ok");
			fflush(stdout);
		}
	}
	puts("dlopen_cycle: 3 rounds");
	return 0;
}
