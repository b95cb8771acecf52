/*
 * net: fires the probes of cpp.d (generated with -C), and one of app.d from
 * the same unit, which includes both generated headers.
 */
#include <stdio.h>
#include "net_probes.h"
#include "app_probes.h"

#ifdef NET_GONE
#error "-U WITHOUT_THIS did not reach the preprocessor"
#endif

int main(void)
{
	int port = 70000; /* does not fit port_t: recorded as 70000 - 65536 */

	NET_CONNECT(port, -5000000000L, -2, "example.org");
	NET_RETRY(3);
	APP_TICK();
	puts("net done");
	return 0;
}
