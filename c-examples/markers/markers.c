/*
 * markers: printf-style markers (<ust/marker.h>), no provider header.
 *
 *   cc -I include markers.c -L target/release -lust -o markers
 *   UST_TRACE=/tmp/markers-trace ./markers 3 && babeltrace2 /tmp/markers-trace
 *
 * Each format is a list of "fieldname %conversion" pairs: the events are
 * typed (shop:order has a 32-bit `id`, a string `item`, ...). The marker
 * shop:untyped has no field names, so it is refused when the program starts
 * (one line on stderr) and the program runs on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ust/marker.h>

static void checkout(int id, const char *item, unsigned qty, double price)
{
	trace_mark(shop, order, "id %d item %s qty %u price %f", id, item, qty, price);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	static const char *items[] = {"apple", "pear", NULL};
	int i;

	ust_marker(start, "orders %d", n);
	for (i = 0; i < n; i++)
		checkout(i, items[i % 3], (unsigned)(2 * i + 1), 0.5 + i);
	trace_mark(shop, sizes, "c %hhd s %hd l %ld ll %lld z %zu j %jd t %td", (signed char)-1,
		   (short)-2, -3L, -4LL, (size_t)5, (intmax_t)-6, (ptrdiff_t)-7);
	trace_mark(shop, display, "mask 0x%08x big %lX ch %c ptr %p mode %o", 0xbeefu, 0xabcdefUL,
		   'Z', (void *)0x1234, 0755u);
	trace_mark(shop, untyped, "%d", 42);
	ust_marker(done, MARK_NOARGS);
	printf("%d orders\n", n);
	return 0;
}
