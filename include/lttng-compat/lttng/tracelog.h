/*
 * lttng/tracelog.h (UST compatibility) — tracelog(level, fmt, ...): a
 * printf-style message recorded as an event of a log level. UST's
 * <ust/tracelog.h> implements it; this header adds the LTTng-UST 2.13 names.
 */
#ifndef UST_LTTNG_COMPAT_TRACELOG_H
#define UST_LTTNG_COMPAT_TRACELOG_H

#include <lttng/tracepoint.h>
#include <ust/tracelog.h>

/* lttng_ust_tracelog(level, fmt, ...), lttng_ust_vtracelog(level, fmt, ap): the 2.13 names. */
#define lttng_ust_tracelog tracelog
#define lttng_ust_vtracelog vtracelog

#endif /* UST_LTTNG_COMPAT_TRACELOG_H */
