/*
 * lttng/ust-config.h (UST compatibility) — LTTng-UST's build options, as
 * programs test them with #ifdef. UST has none of them: in particular no
 * LTTNG_UST_HAVE_SDT_INTEGRATION (tracepoints are not SystemTap probes).
 */
#ifndef UST_LTTNG_COMPAT_UST_CONFIG_H
#define UST_LTTNG_COMPAT_UST_CONFIG_H
#endif /* UST_LTTNG_COMPAT_UST_CONFIG_H */
