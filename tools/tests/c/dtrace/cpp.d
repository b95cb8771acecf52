/*
 * A provider file for -C: its types come from a header found through -I
 * (which itself includes a system header), a macro, and conditions set by
 * -D and -U on the ust-dtrace command line.
 */
#include <net_types.h>

#define BYTES_T long

provider net {
	probe connect(port_t port, BYTES_T bytes, offset_t offset, const char *host);
#ifdef WITH_RETRY
	probe retry(unsigned attempt);
#endif
#ifdef WITHOUT_THIS
	probe gone();
#endif
};
