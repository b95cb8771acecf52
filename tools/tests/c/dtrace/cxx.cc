// A C++ unit of the app program using the same provider.
#include "app_probes.h"

extern "C" void from_cxx(int n);

void from_cxx(int n)
{
	APP_QUERY_START("from cxx.cc", n);
	APP_FLAG(true, 0.25);
}
