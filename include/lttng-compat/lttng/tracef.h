/*
 * lttng/tracef.h (UST compatibility) — tracef(fmt, ...): a printf-style
 * message recorded as an event. UST's <ust/tracef.h> implements it; this
 * header adds the LTTng-UST 2.13 names.
 */
#ifndef UST_LTTNG_COMPAT_TRACEF_H
#define UST_LTTNG_COMPAT_TRACEF_H

#include <ust/tracef.h>

/* lttng_ust_tracef(fmt, ...), lttng_ust_vtracef(fmt, ap): the 2.13 names. */
#define lttng_ust_tracef tracef
#define lttng_ust_vtracef vtracef

#endif /* UST_LTTNG_COMPAT_TRACEF_H */
