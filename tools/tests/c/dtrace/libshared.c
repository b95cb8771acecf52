/* libshared.so: a shared library of the app program using the same provider. */
#include "app_probes.h"

void shared_call(int n);

void shared_call(int n)
{
	APP_LIB_CALL("libshared", n);
	APP_QUERY_START("from libshared", (unsigned) n);
}
