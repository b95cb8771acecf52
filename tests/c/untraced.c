/*
 * untraced: records a few events, then prints how many threads the
 * process has: 1 when not traced (UST starts nothing).
 */
#include <dirent.h>
#include <stdio.h>
#include "probe-tp.h"

int main(void)
{
	int threads = 0;
	DIR *d;
	struct dirent *e;

	for (uint64_t i = 0; i < 3; i++)
		tracepoint(probe, mark, "main", i);
	d = opendir("/proc/self/task");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			threads++;
	if (d)
		closedir(d);
	printf("threads=%d\n", threads);
	return 0;
}
