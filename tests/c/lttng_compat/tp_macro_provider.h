/*
 * Tracepoint provider "ros2_like", written the way ROS 2's tracetools
 * writes its provider: the statements name the provider through the
 * TRACEPOINT_PROVIDER macro instead of spelling it out, so each macro must
 * expand its arguments before pasting them into symbol names.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ros2_like

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./tp_macro_provider.h"

#if !defined(TP_MACRO_PROVIDER_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define TP_MACRO_PROVIDER_H

#include <lttng/tracepoint.h>

/*
 * LTTng-UST's TRACEPOINT_ENUM and TRACEPOINT_LOGLEVEL paste their provider
 * unexpanded (its log level is then silently lost), so they spell it out
 * here; UST expands them too (see ust_tp_needed.h).
 */
TRACEPOINT_ENUM(ros2_like, state,
	TP_ENUM_VALUES(
		ctf_enum_value("IDLE", 0)
		ctf_enum_value("BUSY", 1)
	)
)

TRACEPOINT_EVENT(TRACEPOINT_PROVIDER, rcl_init,
	TP_ARGS(unsigned int, context, const char *, version),
	TP_FIELDS(
		ctf_integer_hex(unsigned int, context, context)
		ctf_string(version, version)
	)
)
TRACEPOINT_LOGLEVEL(ros2_like, rcl_init, TRACE_INFO)

TRACEPOINT_EVENT_CLASS(TRACEPOINT_PROVIDER, callback,
	TP_ARGS(int, id, int, state),
	TP_FIELDS(
		ctf_integer(int, id, id)
		ctf_enum(TRACEPOINT_PROVIDER, state, int, state, state)
	)
)
TRACEPOINT_EVENT_INSTANCE(TRACEPOINT_PROVIDER, callback, callback_start,
	TP_ARGS(int, id, int, state))
TRACEPOINT_EVENT_INSTANCE(TRACEPOINT_PROVIDER, callback, callback_end,
	TP_ARGS(int, id, int, state))
TRACEPOINT_LOGLEVEL(ros2_like, callback_end, TRACE_DEBUG)

#endif /* TP_MACRO_PROVIDER_H */

#include <lttng/tracepoint-event.h>
