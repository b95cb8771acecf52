/*
 * app: fires every probe of app.d once, from this unit, from a second C
 * unit (other.c), from a C++ unit (cxx.cc) and from a shared library
 * (libshared.c), all including the header ust-dtrace generated. Prints how
 * many probe arguments were evaluated: guarded or not, a disabled probe
 * evaluates none.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include "app_probes.h"

void other(int i);
void from_cxx(int n);
void shared_call(int n);

static int evaluated;

/* An argument whose evaluation is counted. */
static const char *counted(const char *s)
{
	evaluated++;
	return s;
}

int main(void)
{
	const char *argv0 = "app";

	APP_QUERY_START("select 1", 42);
	APP_QUERY_START(NULL, 7);
	APP_QUERY_DONE((char *) "select 1", -1, -5000000000L);
	APP_INTS(-128, 255, -32768, 65535, INT_MIN, UINT_MAX, LLONG_MIN, ULLONG_MAX);
	APP_FIXED(-8, 65000, -123456, UINT64_MAX, (size_t) 12345);
	APP_PTRS((void *) (uintptr_t) 0x1234, (struct session *) (uintptr_t) 0xdead0, &argv0);
	APP_FLAG(1, 0.5);
	APP_TICK();
	other(3);
	from_cxx(4);
	shared_call(5);
	if (APP_QUERY_START_ENABLED())
		APP_QUERY_START(counted("guarded"), 8);
	APP_QUERY_START(counted("unguarded"), 9);
	printf("evaluated=%d argv0=%p\n", evaluated, (void *) &argv0);
	return 0;
}
