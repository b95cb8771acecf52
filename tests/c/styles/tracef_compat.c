/*
 * tracef_compat: tracef and tracelog written for LTTng-UST 2.13, built
 * unchanged against LTTng-UST and against UST's compatibility headers by
 * tests/tracef_lttng.rs, which compares the two traces field by field.
 * Covers every spelling (lttng_ust_tracef, tracef, lttng_ust_vtracef,
 * lttng_ust_tracelog, lttng_ust_vtracelog, tracelog), the formatter's fast
 * path, vsnprintf's (floats, widths) and messages longer than UST's stack
 * buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lttng/tracef.h>
#include <lttng/tracelog.h>

static void debug_v(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void debug_v(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lttng_ust_vtracef(fmt, ap);
	va_end(ap);
}

static void notice_v(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void notice_v(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lttng_ust_vtracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_NOTICE, fmt, ap);
	va_end(ap);
}

int main(int argc, char **argv)
{
	const char *missing = argc > 99 ? argv[0] : NULL;
	static char big[3000];
	size_t i;

	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('A' + i % 26);
	lttng_ust_tracef("plain text, no conversion");
	lttng_ust_tracef("%d %i %u %x %X %o", -42, 7, 4294967295u, 0xabcu, 0xabcu, 0777u);
	tracef("%hhd %hhu %hd %hu %ld %lu %lld %llu %zu %zd %jd %td", (signed char)-128,
	       (unsigned char)255, (short)-32768, (unsigned short)65535, -1L, 18446744073709551615UL,
	       -9223372036854775807LL - 1, 18446744073709551615ULL, (size_t)0, (ssize_t)-1,
	       (intmax_t)123456789012LL, (ptrdiff_t)-3);
	tracef("%c%c%c %s|%s| %p %p %%", 'a', 'b', 'c', "str", missing, (void *)0xdeadbeef,
	       (void *)NULL);
	tracef("%f %.3f %e %g %10.4f %-8d| %+d %05d %#x %#o %5s %.2s", 1.5, -2.25, 12345.678, 0.0001,
	       3.14159, 42, 42, 42, 255u, 8u, "ab", "xyz");
	tracef("%s", big);
	tracef("%s|%s", big, big);
	debug_v("via vtracef %d %s", 1, "one");
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR, "error %d of %s", 3, "disk");
	tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING, "warning %.1f%%", 99.5);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE, "%s", "");
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_EMERG, "emergency");
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG, "debug %lu", (unsigned long)strlen(big));
	notice_v("via vtracelog %s=%d", "x", 10);
	puts("done");
	return 0;
}
