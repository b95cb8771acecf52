/*
 * lttng/ust-api-compat.h (UST compatibility) — LTTng-UST's switch for its
 * pre-2.13 API names. Programs test LTTNG_UST_COMPAT_API(major) with #if;
 * UST always provides both the 2.13 names and the older ones (TRACEPOINT_EVENT,
 * ctf_integer, tracepoint, ...), whatever LTTNG_UST_COMPAT_API_VERSION says.
 */
#ifndef UST_LTTNG_COMPAT_UST_API_COMPAT_H
#define UST_LTTNG_COMPAT_UST_API_COMPAT_H

#ifndef LTTNG_UST_COMPAT_API_VERSION
#define LTTNG_UST_COMPAT_API_VERSION 0
#endif

/* LTTNG_UST_COMPAT_API(major): non-zero when the API of `major` is requested. */
#define LTTNG_UST_COMPAT_API(major) (LTTNG_UST_COMPAT_API_VERSION <= (major))

#endif /* UST_LTTNG_COMPAT_UST_API_COMPAT_H */
