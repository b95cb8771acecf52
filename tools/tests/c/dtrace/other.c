/* A second unit of the app program using the same provider. */
#include "app_probes.h"

void other(int i);

void other(int i)
{
	APP_QUERY_START("from other.c", (unsigned) i);
}
