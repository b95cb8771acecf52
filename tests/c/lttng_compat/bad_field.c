/* Must not compile: provider "blob" uses a field macro UST does not know. */
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "tp_blob.h"

int main(void)
{
	lttng_ust_tracepoint(blob, packet, "abc", 3);
	return 0;
}
