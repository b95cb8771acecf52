/*
 * lttng/tracef.h (UST compatibility) — LTTng-UST's tracef for programs
 * built against UST: lttng_ust_tracef, lttng_ust_vtracef and tracef record
 * lttng_ust_tracef:event with LTTng-UST's fields (see <ust/tracef.h>).
 */
#include <ust/tracef.h>
