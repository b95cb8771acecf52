/*
 * ust/tracelog.h — one-line events with a log level and a printf format,
 * LTTng-UST style.
 *
 *     #include <ust/tracelog.h>
 *     tracelog(TRACE_WARNING, "disk %s is %d%% full", disk, pct);
 *
 * records the event `lttng_ust_tracelog:TRACE_WARNING` (log level 4) with
 * the fields LTTng-UST records: `line` (32-bit signed), `file` and `func`
 * (strings: __FILE__, __func__ of the call), `_msg_length` and `msg` (the
 * formatted text). The event is named after the level token as written at
 * the call: `TRACE_WARNING` (UST's and LTTng-UST <= 2.12's names) or
 * `LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING` (LTTng-UST 2.13's), as LTTng-UST
 * names them, so `UST_LOGLEVEL`/`--loglevel` select by level and existing
 * scripts find the names they expect. The level must be written as one of
 * those 30 tokens (not a variable or a number).
 *
 * Disabled, tracelog costs one load and one predicted branch and evaluates
 * none of its arguments. The LTTng-UST names lttng_ust_tracelog and
 * lttng_ust_vtracelog are the same macros. See <ust/tracef.h> for when to
 * use which style.
 */
#ifndef UST_TRACELOG_H
#define UST_TRACELOG_H

#include <stdarg.h>
#include <ust/abi.h>
#include <ust/format.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What tracelog call sites and libust's lttng_ust_tracelog events agree on. */
#define UST_TRACELOG_SIGNATURE "ust-tracelog-line-file-func-msg-1"

/* Registers libust's tracef and tracelog events (once per process). */
int ust_tracef_events_register(void);

/* This module's call site of each level (internal): one per module. */
#define _UST_TRACELOG_TP(level)                                                       \
	struct ust_tracepoint __ust_tracelog_tp_##level                               \
		__attribute__((weak, visibility("hidden"))) = {                        \
			sizeof(struct ust_tracepoint), 0, "lttng_ust_tracelog:" #level, \
			UST_TRACELOG_SIGNATURE, NULL};
_UST_TRACELOG_TP(TRACE_EMERG)
_UST_TRACELOG_TP(TRACE_ALERT)
_UST_TRACELOG_TP(TRACE_CRIT)
_UST_TRACELOG_TP(TRACE_ERR)
_UST_TRACELOG_TP(TRACE_WARNING)
_UST_TRACELOG_TP(TRACE_NOTICE)
_UST_TRACELOG_TP(TRACE_INFO)
_UST_TRACELOG_TP(TRACE_DEBUG_SYSTEM)
_UST_TRACELOG_TP(TRACE_DEBUG_PROGRAM)
_UST_TRACELOG_TP(TRACE_DEBUG_PROCESS)
_UST_TRACELOG_TP(TRACE_DEBUG_MODULE)
_UST_TRACELOG_TP(TRACE_DEBUG_UNIT)
_UST_TRACELOG_TP(TRACE_DEBUG_FUNCTION)
_UST_TRACELOG_TP(TRACE_DEBUG_LINE)
_UST_TRACELOG_TP(TRACE_DEBUG)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_EMERG)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_ALERT)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_CRIT)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_NOTICE)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_SYSTEM)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROGRAM)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROCESS)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_MODULE)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_UNIT)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_FUNCTION)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE)
_UST_TRACELOG_TP(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG)
#undef _UST_TRACELOG_TP

struct ust_tracepoint *__ust_tracelog_tp_list[30] __attribute__((weak, visibility("hidden"))) = {
	&__ust_tracelog_tp_TRACE_EMERG,
	&__ust_tracelog_tp_TRACE_ALERT,
	&__ust_tracelog_tp_TRACE_CRIT,
	&__ust_tracelog_tp_TRACE_ERR,
	&__ust_tracelog_tp_TRACE_WARNING,
	&__ust_tracelog_tp_TRACE_NOTICE,
	&__ust_tracelog_tp_TRACE_INFO,
	&__ust_tracelog_tp_TRACE_DEBUG_SYSTEM,
	&__ust_tracelog_tp_TRACE_DEBUG_PROGRAM,
	&__ust_tracelog_tp_TRACE_DEBUG_PROCESS,
	&__ust_tracelog_tp_TRACE_DEBUG_MODULE,
	&__ust_tracelog_tp_TRACE_DEBUG_UNIT,
	&__ust_tracelog_tp_TRACE_DEBUG_FUNCTION,
	&__ust_tracelog_tp_TRACE_DEBUG_LINE,
	&__ust_tracelog_tp_TRACE_DEBUG,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_EMERG,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_ALERT,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_CRIT,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_NOTICE,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_SYSTEM,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROGRAM,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROCESS,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_MODULE,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_UNIT,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_FUNCTION,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE,
	&__ust_tracelog_tp_LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG};
/* How many translation units of this module ran the constructor below. */
int __ust_tracelog_registered __attribute__((weak, visibility("hidden")));

static void __attribute__((constructor)) __ust_tracelog_init(void)
{
	if (__ust_tracelog_registered++)
		return;
	if (ust_tracef_events_register() == 0)
		ust_tracepoints_register(__ust_tracelog_tp_list, 30);
}

static void __attribute__((destructor)) __ust_tracelog_fini(void)
{
	if (--__ust_tracelog_registered)
		return;
	ust_tracepoints_unregister(__ust_tracelog_tp_list);
}

/* Records one enabled tracelog (internal). */
static void __ust_vtracelog(const struct ust_event_handle *h, const char *file, int line,
			    const char *func, const char *fmt, va_list ap)
	__attribute__((noinline, unused, format(printf, 5, 0)));
static void __ust_vtracelog(const struct ust_event_handle *h, const char *file, int line,
			    const char *func, const char *fmt, va_list ap)
{
	struct __ust_log_origin o = {line, file, func};

	__ust_record_message(h, &o, fmt, ap);
}

static void __ust_tracelog(const struct ust_event_handle *h, const char *file, int line,
			   const char *func, const char *fmt, ...)
	__attribute__((noinline, unused, format(printf, 5, 6)));
static void __ust_tracelog(const struct ust_event_handle *h, const char *file, int line,
			   const char *func, const char *fmt, ...)
{
	struct __ust_log_origin o = {line, file, func};
	va_list ap;

	va_start(ap, fmt);
	__ust_record_message(h, &o, fmt, ap);
	va_end(ap);
}

/* The handle of call site `tp`: NULL while disabled (internal). */
#define _UST_TRACELOG_HANDLE(tp) __atomic_load_n(&(tp).handle, __ATOMIC_RELAXED)

/* tracelog's body once the level token became its call site (internal). */
#define _UST_TRACELOG(tp, fmt, ...)                                                    \
	do {                                                                           \
		const struct ust_event_handle *__ust_lh = _UST_TRACELOG_HANDLE(tp);    \
		if (__builtin_expect(__ust_lh != NULL, 0))                             \
			__ust_tracelog(__ust_lh, __FILE__, __LINE__, __func__, fmt,    \
				       ##__VA_ARGS__);                                 \
	} while (0)

#define _UST_VTRACELOG(tp, fmt, ap)                                                    \
	do {                                                                           \
		const struct ust_event_handle *__ust_lh = _UST_TRACELOG_HANDLE(tp);    \
		if (__builtin_expect(__ust_lh != NULL, 0))                             \
			__ust_vtracelog(__ust_lh, __FILE__, __LINE__, __func__, fmt, ap); \
	} while (0)

/*
 * tracelog(level, fmt, args...): record the printf-formatted message as
 * lttng_ust_tracelog:<level>, `level` being a TRACE_* or
 * LTTNG_UST_TRACEPOINT_LOGLEVEL_* token (pasted as written, not expanded).
 */
#define tracelog(level, fmt, ...) \
	_UST_TRACELOG(__ust_tracelog_tp_##level, fmt, ##__VA_ARGS__)

/* vtracelog(level, fmt, ap): tracelog with a va_list (for printf-like wrappers). */
#define vtracelog(level, fmt, ap) _UST_VTRACELOG(__ust_tracelog_tp_##level, fmt, ap)

/* LTTng-UST 2.13 names (object-like, so the level token stays as written). */
#define lttng_ust_tracelog tracelog
#define lttng_ust_vtracelog vtracelog

#ifdef __cplusplus
}
#endif

#endif /* UST_TRACELOG_H */
