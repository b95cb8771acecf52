/*
 * tracef: one-line printf-style events (<ust/tracef.h>, <ust/tracelog.h>).
 *
 *   cc -I include tracef.c -L target/release -lust -o tracef
 *   UST_TRACE=/tmp/tracef-trace ./tracef 3 && babeltrace2 /tmp/tracef-trace
 *
 * records lttng_ust_tracef:event and lttng_ust_tracelog:<level> events
 * with the same fields LTTng-UST records for the same calls.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ust/tracef.h>
#include <ust/tracelog.h>

/* A printf-like logging helper of the program, forwarding to vtracelog. */
static void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtracelog(TRACE_WARNING, fmt, ap);
	va_end(ap);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	const char *missing = argc > 99 ? argv[0] : NULL; /* NULL, unknown to the compiler */
	char big[700];
	int i;

	for (i = 0; i < n; i++)
		tracef("iteration %d of %d: %s", i, n, i % 2 ? "odd" : "even");
	tracef("ints %hhd %hd %ld %lld %zu %u %x %X %o %lx", (signed char)-5, (short)-300, -7L,
	       -9LL, (size_t)42, 4000000000u, 0xbeefu, 0xbeefu, 8u, 0xfffffffffUL);
	tracef("chars %c%c %s %p %p 100%%", 'o', 'k', missing, (void *)0x1000,
	       (void *)NULL);
	tracef("floats %.2f %g %5d|%-4s|", 3.14159, 1e-3, 42, "ab");
	for (i = 0; i < (int)sizeof(big) - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = '\0';
	tracef("long %s", big);
	tracelog(TRACE_ERR, "disk %s is %d%% full", "sda", 97);
	tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO, "started with %d workers", n);
	log_warning("low memory: %lu kB left", 1024UL);
	printf("%d iterations\n", n);
	return 0;
}
