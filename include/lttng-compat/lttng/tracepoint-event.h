/*
 * lttng/tracepoint-event.h (UST compatibility) — the end of an LTTng-UST
 * provider header: maps the LTTNG_UST_TRACEPOINT_* provider settings onto
 * UST's and lets <ust/tracepoint-event.h> generate the provider.
 *
 * A unit that creates the probes also defines the symbols LTTng-UST's
 * provider objects define, lttng_ust_tracepoint_provider_<provider> (2.13)
 * and __tracepoint_provider_<provider> (up to 2.12), for code and build
 * scripts that refer to them by hand.
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

#ifdef TRACEPOINT_CREATE_PROBES
#define _UST_LTTNG_PROVIDER_SYMBOLS
#endif

#include <ust/tracepoint-event.h>

/* Once the passes are over (the provider header includes this file in each). */
#if defined(_UST_LTTNG_PROVIDER_SYMBOLS) && !defined(TRACEPOINT_HEADER_MULTI_READ)
#undef _UST_LTTNG_PROVIDER_SYMBOLS
#ifdef __cplusplus
extern "C" {
#endif
int _UST_CAT(lttng_ust_tracepoint_provider_, TRACEPOINT_PROVIDER) _UST_PROVIDER_VISIBILITY = 0;
int _UST_CAT(__tracepoint_provider_, TRACEPOINT_PROVIDER) _UST_PROVIDER_VISIBILITY = 0;
#ifdef __cplusplus
}
#endif
#endif /* _UST_LTTNG_PROVIDER_SYMBOLS */
