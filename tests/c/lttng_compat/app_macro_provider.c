/*
 * Fires the "ros2_like" events the way ROS 2's tracetools does: through a
 * TRACEPOINT(event, ...) wrapper that passes TRACEPOINT_PROVIDER, and
 * directly with the provider and the event named by macros. (LTTng-UST's
 * tracepoint_enabled and do_tracepoint paste their arguments unexpanded, so
 * they are used with plain names here; ust_linked.c uses them with macros.)
 */
#define TRACEPOINT_DEFINE
#include "tp_macro_provider.h"

#define TRACEPOINT(event_name, ...) tracepoint(TRACEPOINT_PROVIDER, event_name, __VA_ARGS__)
#define START_EVENT callback_start

int main(void)
{
	int id;

	TRACEPOINT(rcl_init, 0xc0ffeeu, "rolling");
	for (id = 0; id < 3; id++) {
		tracepoint(TRACEPOINT_PROVIDER, START_EVENT, id, 1);
		if (tracepoint_enabled(ros2_like, callback_end))
			do_tracepoint(ros2_like, callback_end, id, 0);
	}
	lttng_ust_tracepoint(TRACEPOINT_PROVIDER, rcl_init, 7u, "humble");
	return 0;
}
