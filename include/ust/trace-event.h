/*
 * ust/trace-event.h — Linux kernel-style TRACE_EVENT. Included by
 * <ust/tracepoint.h>; a trace header is written as for Linux:
 *
 *     #undef TRACE_SYSTEM
 *     #define TRACE_SYSTEM sched_demo
 *     #if !defined(SCHED_DEMO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
 *     #define SCHED_DEMO_TRACE_H
 *     #include <ust/tracepoint.h>
 *     TRACE_EVENT(switch_task,
 *         TP_PROTO(int prev, const char *next_comm, const int *cpus, int n),
 *         TP_ARGS(prev, next_comm, cpus, n),
 *         TP_STRUCT__entry(
 *             __field(int, prev)
 *             __array(char, tag, 4)
 *             __string(next, next_comm)
 *             __dynamic_array(int, cpus, n)),
 *         TP_fast_assign(
 *             __entry->prev = prev;
 *             memcpy(__entry->tag, "swt", 4);
 *             __assign_str(next, next_comm);
 *             memcpy(__get_dynamic_array(cpus), cpus, n * sizeof(int));),
 *         TP_printk("prev=%d next=%s", __entry->prev, __get_str(next)))
 *     #endif
 *     #undef TRACE_INCLUDE_PATH
 *     #define TRACE_INCLUDE_PATH .
 *     #define TRACE_INCLUDE_FILE sched-demo-trace
 *     #include <ust/define_trace.h>
 *
 * One .c defines CREATE_TRACE_POINTS before including the header (that unit
 * defines the events, see <ust/define_trace.h>); every unit may call
 * trace_switch_task(...), which records the event `sched_demo:switch_task`
 * with one CTF field per TP_STRUCT__entry member, in order:
 *
 *   __field(type, f)             an integer of `type` (signed or not; a
 *                                pointer as hexadecimal), or a float/double
 *   __field_hex(type, f)         an integer shown in hexadecimal
 *   __array(type, f, n)          n integers (char: text)
 *   __string(f, src)             a NUL-terminated string, copied from `src`
 *                                (NULL gives "(null)")
 *   __dynamic_array(type, f, n)  n integers (char: text), with a 32-bit
 *                                length field `_f_length` before them
 *
 * TP_fast_assign runs only when the event is enabled and space was
 * reserved; it fills `__entry->f` for __field/__array members and may
 * write through __get_str(f) / __get_dynamic_array(f) (length in bytes:
 * __get_dynamic_array_len(f)); __assign_str(f[, src]) is accepted and has
 * nothing left to do (the string was copied from __string's `src`).
 * TP_printk is kept as documentation: it is never evaluated. Also
 * accepted: DECLARE_EVENT_CLASS / DEFINE_EVENT / DEFINE_EVENT_PRINT.
 * Disabled, trace_NAME costs one load and one predicted branch.
 */
#ifndef UST_TRACE_EVENT_H
#define UST_TRACE_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ust/abi.h>

/* Entry members: each a tuple walked once per purpose (internal forms). */
/* __field(type, f): one integer, float or pointer member. */
#define __field(type, item) (_UST_TE_FIELD, type, item, 0)
/* __field_hex(type, f): an integer member shown in hexadecimal. */
#define __field_hex(type, item) (_UST_TE_FIELD, type, item, UST_FIELD_HEX)
/* __array(type, f, n): a fixed array member. */
#define __array(type, item, len) (_UST_TE_ARRAY, type, item, len)
/* __string(f, src): a string member copied from `src`. */
#define __string(item, src) (_UST_TE_STRING, char, item, src)
/* __dynamic_array(type, f, n): `n` elements, decided at each call. */
#define __dynamic_array(type, item, len) (_UST_TE_DYNARRAY, type, item, len)

/* TP_STRUCT__entry(members...): the recorded members, in order. */
#define TP_STRUCT__entry(...) __VA_ARGS__
/* TP_fast_assign(statements): fills __entry when the event is recorded. */
#define TP_fast_assign(...) (__VA_ARGS__)

/* Inside TP_fast_assign: where a string or dynamic array member is written. */
#define __get_str(item) (__ust_te_dyn_##item)
#define __get_dynamic_array(item) ((void *)__ust_te_dyn_##item)
#define __get_dynamic_array_len(item) (__ust_te_len_##item)
/* __assign_str(f) or __assign_str(f, src): already done from __string's src. */
#define __assign_str(...) ((void)0)

/* 1 when `type` is char itself (its arrays are text; internal). */
#ifdef __cplusplus
#define _UST_TE_IS_CHAR(type) __is_same(type, char)
#else
#define _UST_TE_IS_CHAR(type) __builtin_types_compatible_p(type, char)
#endif

/* Keeps a string member one NUL-terminated string of its recorded length. */
static inline void __ust_te_seal(char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	s[len - 1] = '\0';
}

/* One walker per pass over the member tuples (internal). */
#define _UST_TE_MEMBER_ONE(kind, ...) _UST_CAT(_UST_TE_MEMBER_, kind)(__VA_ARGS__)
#define _UST_TE_MEMBER_A(...) _UST_TE_MEMBER_ONE(__VA_ARGS__) _UST_TE_MEMBER_B
#define _UST_TE_MEMBER_B(...) _UST_TE_MEMBER_ONE(__VA_ARGS__) _UST_TE_MEMBER_A
#define _UST_TE_MEMBER_A_END
#define _UST_TE_MEMBER_B_END
#define _UST_TE_SIZE_ONE(kind, ...) _UST_CAT(_UST_TE_SIZE_, kind)(__VA_ARGS__)
#define _UST_TE_SIZE_A(...) _UST_TE_SIZE_ONE(__VA_ARGS__) _UST_TE_SIZE_B
#define _UST_TE_SIZE_B(...) _UST_TE_SIZE_ONE(__VA_ARGS__) _UST_TE_SIZE_A
#define _UST_TE_SIZE_A_END
#define _UST_TE_SIZE_B_END
#define _UST_TE_PLACE_ONE(kind, ...) _UST_CAT(_UST_TE_PLACE_, kind)(__VA_ARGS__)
#define _UST_TE_PLACE_A(...) _UST_TE_PLACE_ONE(__VA_ARGS__) _UST_TE_PLACE_B
#define _UST_TE_PLACE_B(...) _UST_TE_PLACE_ONE(__VA_ARGS__) _UST_TE_PLACE_A
#define _UST_TE_PLACE_A_END
#define _UST_TE_PLACE_B_END
#define _UST_TE_COPY_ONE(kind, ...) _UST_CAT(_UST_TE_COPY_, kind)(__VA_ARGS__)
#define _UST_TE_COPY_A(...) _UST_TE_COPY_ONE(__VA_ARGS__) _UST_TE_COPY_B
#define _UST_TE_COPY_B(...) _UST_TE_COPY_ONE(__VA_ARGS__) _UST_TE_COPY_A
#define _UST_TE_COPY_A_END
#define _UST_TE_COPY_B_END
#define _UST_TE_WALK(pass, members) _UST_CAT(_UST_TE_##pass##_A members, _END)

/* Pass "member": the C struct behind __entry (fixed-size members only). */
#define _UST_TE_MEMBER__UST_TE_FIELD(type, item, flags) type item;
#define _UST_TE_MEMBER__UST_TE_ARRAY(type, item, len) type item[len];
#define _UST_TE_MEMBER__UST_TE_STRING(type, item, src)
#define _UST_TE_MEMBER__UST_TE_DYNARRAY(type, item, len)

/* Pass "size": the payload size; strings and dynamic arrays measured once. */
#define _UST_TE_SIZE__UST_TE_FIELD(type, item, flags) __ust_len += sizeof(type);
#define _UST_TE_SIZE__UST_TE_ARRAY(type, item, len) __ust_len += sizeof(type) * (size_t)(len);
#define _UST_TE_SIZE__UST_TE_STRING(type, item, src)                               \
	const char *__ust_te_src_##item = (src);                                   \
	size_t __ust_te_len_##item;                                                \
	if (!__ust_te_src_##item)                                                  \
		__ust_te_src_##item = "(null)";                                    \
	__ust_te_len_##item = strlen(__ust_te_src_##item) + 1;                     \
	__ust_len += __ust_te_len_##item;
#define _UST_TE_SIZE__UST_TE_DYNARRAY(type, item, len)                             \
	uint32_t __ust_te_cnt_##item = (uint32_t)(len);                            \
	size_t __ust_te_len_##item = sizeof(type) * (size_t)__ust_te_cnt_##item;   \
	__ust_len += sizeof(uint32_t) + __ust_te_len_##item;

/* Pass "place": where each member goes in the reserved payload. */
#define _UST_TE_PLACE__UST_TE_FIELD(type, item, flags) \
	char *__ust_te_at_##item = __ust_p;            \
	__ust_p += sizeof(type);
#define _UST_TE_PLACE__UST_TE_ARRAY(type, item, len) \
	char *__ust_te_at_##item = __ust_p;          \
	__ust_p += sizeof(type) * (size_t)(len);
#define _UST_TE_PLACE__UST_TE_STRING(type, item, src)                         \
	char *__ust_te_dyn_##item = __ust_p;                                  \
	memcpy(__ust_p, __ust_te_src_##item, __ust_te_len_##item);            \
	__ust_p += __ust_te_len_##item;                                       \
	(void)__ust_te_dyn_##item;
#define _UST_TE_PLACE__UST_TE_DYNARRAY(type, item, len)                       \
	memcpy(__ust_p, &__ust_te_cnt_##item, sizeof(uint32_t));              \
	__ust_p += sizeof(uint32_t);                                          \
	char *__ust_te_dyn_##item = __ust_p;                                  \
	memset(__ust_p, 0, __ust_te_len_##item);                              \
	__ust_p += __ust_te_len_##item;                                       \
	(void)__ust_te_dyn_##item;

/* Pass "copy": the fixed members from __entry to the payload, strings sealed. */
#define _UST_TE_COPY__UST_TE_FIELD(type, item, flags) \
	memcpy(__ust_te_at_##item, &__entry->item, sizeof(type));
#define _UST_TE_COPY__UST_TE_ARRAY(type, item, len) \
	memcpy(__ust_te_at_##item, __entry->item, sizeof(__entry->item));
#define _UST_TE_COPY__UST_TE_STRING(type, item, src) \
	__ust_te_seal(__ust_te_dyn_##item, __ust_te_len_##item);
#define _UST_TE_COPY__UST_TE_DYNARRAY(type, item, len)

/* A symbol of event or class `name` of the current TRACE_SYSTEM (internal). */
#define _UST_TE_SYM(prefix, name) _UST_CAT(_UST_CAT(prefix, TRACE_SYSTEM), _UST_CAT(___, name))

#endif /* UST_TRACE_EVENT_H */

/*
 * The call-site meanings. Outside the include guard because
 * <ust/define_trace.h> redefines these macros for its passes and includes
 * this file again to restore them.
 */
#ifndef TRACE_EVENT

/*
 * DECLARE_EVENT_CLASS(class, TP_PROTO(...), TP_ARGS(...),
 * TP_STRUCT__entry(...), TP_fast_assign(...), TP_printk(...)): a layout
 * and assignment shared by DEFINE_EVENTs; emits the class's recorder.
 */
#define DECLARE_EVENT_CLASS(cls, proto, args, tstruct, assign, print)                  \
	static void _UST_TE_SYM(__ust_te_rec__, cls)(                                  \
		const struct ust_event_handle *__ust_h, _UST_UNPAREN proto)            \
		__attribute__((noinline, unused));                                     \
	static void _UST_TE_SYM(__ust_te_rec__, cls)(                                  \
		const struct ust_event_handle *__ust_h, _UST_UNPAREN proto)            \
	{                                                                              \
		struct _UST_TE_SYM(__ust_te_entry__, cls) {                            \
			_UST_TE_WALK(MEMBER, tstruct) char __ust_te_end;               \
		} __ust_te_e, *__entry = &__ust_te_e;                                  \
		size_t __ust_len = 0;                                                  \
		struct ust_reservation __ust_r;                                        \
		char *__ust_p;                                                         \
		_UST_TE_WALK(SIZE, tstruct)                                            \
		__ust_p = (char *)__ust_h->reserve(__ust_h, __ust_len, &__ust_r);      \
		if (__builtin_expect(__ust_p == NULL, 0))                              \
			return;                                                        \
		memset(&__ust_te_e, 0, sizeof(__ust_te_e));                            \
		_UST_TE_WALK(PLACE, tstruct)                                           \
		{                                                                      \
			_UST_UNPAREN assign                                            \
		}                                                                      \
		_UST_TE_WALK(COPY, tstruct)                                            \
		(void)__entry;                                                         \
		__ust_h->commit(&__ust_r);                                             \
	}

/*
 * DEFINE_EVENT(class, name, TP_PROTO(...), TP_ARGS(...)): the event
 * TRACE_SYSTEM:name with the layout of `class`; declares trace_name() and
 * trace_name_enabled().
 */
#define DEFINE_EVENT(cls, name, proto, args)                                            \
	extern struct ust_tracepoint _UST_TE_SYM(__ust_te_tp__, name)                   \
		__attribute__((visibility("hidden")));                                  \
	/* trace_name(args): record the event if enabled (disabled: one load, one branch). */ \
	static inline void trace_##name(_UST_UNPAREN proto)                             \
	{                                                                               \
		const struct ust_event_handle *__ust_h = __atomic_load_n(               \
			&_UST_TE_SYM(__ust_te_tp__, name).handle, __ATOMIC_RELAXED);    \
		if (__builtin_expect(__ust_h != NULL, 0))                               \
			_UST_TE_SYM(__ust_te_rec__, cls)(__ust_h, _UST_UNPAREN args);   \
	}                                                                               \
	/* trace_name_enabled(): non-zero while the event is recorded. */            \
	static inline int trace_##name##_enabled(void)                                  \
	{                                                                               \
		return __builtin_expect(__atomic_load_n(                                \
			&_UST_TE_SYM(__ust_te_tp__, name).handle, __ATOMIC_RELAXED) != NULL, 0); \
	}

/* DEFINE_EVENT_PRINT(class, name, proto, args, print): DEFINE_EVENT (print unused). */
#define DEFINE_EVENT_PRINT(cls, name, proto, args, print) DEFINE_EVENT(cls, name, proto, args)

/* TRACE_EVENT(name, proto, args, struct, assign, print): a class and its one event. */
#define TRACE_EVENT(name, proto, args, tstruct, assign, print)          \
	DECLARE_EVENT_CLASS(name, proto, args, tstruct, assign, print) \
	DEFINE_EVENT(name, name, proto, args)

#endif /* TRACE_EVENT */
