/*
 * lttng/ust-thread.h (UST compatibility) — LTTng-UST's per-thread
 * initialization, which a program calls before its first tracepoint in a
 * thread that may fire one from a signal handler. UST needs none: its
 * enabled path works from any thread and any signal handler as it is.
 */
#ifndef UST_LTTNG_COMPAT_UST_THREAD_H
#define UST_LTTNG_COMPAT_UST_THREAD_H

/* lttng_ust_init_thread(): nothing to do with UST. */
static inline void lttng_ust_init_thread(void)
{
}

#endif /* UST_LTTNG_COMPAT_UST_THREAD_H */
