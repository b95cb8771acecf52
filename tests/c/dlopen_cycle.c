/*
 * dlopen_cycle: loads the plugin library (path in argv[1]), runs it,
 * unloads it, three times, checking each time that it really unloaded.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	for (int round = 0; round < 3; round++) {
		void *lib = dlopen(argv[1], RTLD_NOW);
		void (*run)(int, int);

		if (!lib) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		*(void **)&run = dlsym(lib, "plugin_run");
		run(round, 10);
		dlclose(lib);
		if (dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD)) {
			fprintf(stderr, "plugin still loaded after dlclose\n");
			return 1;
		}
	}
	puts("dlopen_cycle: 3 rounds");
	return 0;
}
