/*
 * lttng/tracepoint-event.h (UST compatibility) — the end of an LTTng-UST
 * provider header: maps the LTTNG_UST_TRACEPOINT_* provider settings onto
 * UST's and lets <ust/tracepoint-event.h> generate the provider.
 */
#if defined(LTTNG_UST_TRACEPOINT_CREATE_PROBES) && !defined(TRACEPOINT_CREATE_PROBES)
#define TRACEPOINT_CREATE_PROBES
#endif
#if defined(LTTNG_UST_TRACEPOINT_PROVIDER) && !defined(TRACEPOINT_PROVIDER)
#define TRACEPOINT_PROVIDER LTTNG_UST_TRACEPOINT_PROVIDER
#endif
#if defined(LTTNG_UST_TRACEPOINT_INCLUDE) && !defined(TRACEPOINT_INCLUDE)
#define TRACEPOINT_INCLUDE LTTNG_UST_TRACEPOINT_INCLUDE
#endif

#include <ust/tracepoint-event.h>
