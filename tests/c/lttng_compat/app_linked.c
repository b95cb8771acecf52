/*
 * A program whose providers live in libraries (LTTng's hello-static-lib and
 * cmake-multiple-shared-libraries patterns): "linked_static" in a static
 * library, "linked_shared" in a shared library linked with --as-needed.
 * This unit only defines the tracepoints and fires them; every event is
 * recorded only if the linker kept both providers.
 */
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "tp_linked_static.h"
#include "tp_linked_shared.h"

int main(void)
{
	int round;

	for (round = 0; round < 3; round++) {
		lttng_ust_tracepoint(linked_static, hit, round, "static library");
		tracepoint(linked_shared, hit, round, "shared library");
	}
	return 0;
}
