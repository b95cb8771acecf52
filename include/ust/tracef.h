/*
 * ust/tracef.h — one-line events with a printf format, LTTng-UST style.
 *
 *     #include <ust/tracef.h>
 *     tracef("cache miss on %s after %d tries", key, tries);
 *
 * records the event `lttng_ust_tracef:event` (log level TRACE_DEBUG) with
 * the fields LTTng-UST 2.13 records: `_msg_length` (32-bit unsigned) and
 * `msg` (the formatted text, what printf would print), so scripts and
 * Trace Compass views written for LTTng-UST read it unchanged. The
 * arguments are checked against the format by the compiler.
 *
 * Use it while debugging: the message is formatted at every call (see
 * <ust/format.h>), its fields are not typed. For typed fields in one line,
 * use trace_mark (<ust/marker.h>); for production instrumentation,
 * TRACEPOINT_EVENT (<ust/tracepoint.h>).
 *
 * Disabled, tracef costs one load and one predicted branch and evaluates
 * none of its arguments. The LTTng-UST names lttng_ust_tracef and
 * lttng_ust_vtracef are the same macros.
 */
#ifndef UST_TRACEF_H
#define UST_TRACEF_H

#include <stdarg.h>
#include <ust/abi.h>
#include <ust/format.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a tracef call site and libust's lttng_ust_tracef:event agree on. */
#define UST_TRACEF_SIGNATURE "ust-tracef-msg-1"

/* Registers libust's tracef and tracelog events (once per process). */
int ust_tracef_events_register(void);

/* This module's tracef call site (internal): one per module. */
struct ust_tracepoint __ust_tracef_tp __attribute__((weak, visibility("hidden"))) = {
	sizeof(struct ust_tracepoint), 0, "lttng_ust_tracef:event", UST_TRACEF_SIGNATURE, NULL};
struct ust_tracepoint *__ust_tracef_tp_list[1] __attribute__((weak, visibility("hidden"))) = {
	&__ust_tracef_tp};
/* How many translation units of this module ran the constructor below. */
int __ust_tracef_registered __attribute__((weak, visibility("hidden")));

static void __attribute__((constructor)) __ust_tracef_init(void)
{
	if (__ust_tracef_registered++)
		return;
	if (ust_tracef_events_register() == 0)
		ust_tracepoints_register(__ust_tracef_tp_list, 1);
}

static void __attribute__((destructor)) __ust_tracef_fini(void)
{
	if (--__ust_tracef_registered)
		return;
	ust_tracepoints_unregister(__ust_tracef_tp_list);
}

/* Records one enabled tracef (internal). */
static void __ust_vtracef(const struct ust_event_handle *h, const char *fmt, va_list ap)
	__attribute__((noinline, unused, format(printf, 2, 0)));
static void __ust_vtracef(const struct ust_event_handle *h, const char *fmt, va_list ap)
{
	__ust_record_message(h, NULL, fmt, ap);
}

static void __ust_tracef(const struct ust_event_handle *h, const char *fmt, ...)
	__attribute__((noinline, unused, format(printf, 2, 3)));
static void __ust_tracef(const struct ust_event_handle *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	__ust_record_message(h, NULL, fmt, ap);
	va_end(ap);
}

/* The handle of this module's tracef call site: NULL while disabled (internal). */
#define _UST_TRACEF_HANDLE() __atomic_load_n(&__ust_tracef_tp.handle, __ATOMIC_RELAXED)

/* tracef(fmt, args...): record the printf-formatted message as lttng_ust_tracef:event. */
#define tracef(fmt, ...)                                                            \
	do {                                                                        \
		const struct ust_event_handle *__ust_th = _UST_TRACEF_HANDLE();     \
		if (__builtin_expect(__ust_th != NULL, 0))                          \
			__ust_tracef(__ust_th, fmt, ##__VA_ARGS__);                 \
	} while (0)

/* vtracef(fmt, ap): tracef with a va_list (for printf-like wrappers). */
#define vtracef(fmt, ap)                                                            \
	do {                                                                        \
		const struct ust_event_handle *__ust_th = _UST_TRACEF_HANDLE();     \
		if (__builtin_expect(__ust_th != NULL, 0))                          \
			__ust_vtracef(__ust_th, fmt, ap);                           \
	} while (0)

/* LTTng-UST 2.13 names. */
#define lttng_ust_tracef tracef
#define lttng_ust_vtracef vtracef

#ifdef __cplusplus
}
#endif

#endif /* UST_TRACEF_H */
