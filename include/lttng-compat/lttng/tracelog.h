/*
 * lttng/tracelog.h (UST compatibility) — LTTng-UST's tracelog for programs
 * built against UST: lttng_ust_tracelog, lttng_ust_vtracelog and tracelog
 * record lttng_ust_tracelog:<level token> with LTTng-UST's fields (see
 * <ust/tracelog.h>); the LTTNG_UST_TRACEPOINT_LOGLEVEL_* names come with
 * <lttng/tracepoint.h>, as they do with LTTng-UST.
 */
#include <lttng/tracepoint.h>
#include <ust/tracelog.h>
