/*
 * ust/declare-trace.h — tracepoints with custom probes (UST 0.x and Linux
 * style). Included by <ust/tracepoint.h>.
 *
 * In a header:   DECLARE_TRACE(conn_open, TP_PROTO(int fd, const char *peer),
 *                               TP_ARGS(fd, peer));
 * In one .c:     DEFINE_TRACE(conn_open);
 * At call sites: trace_conn_open(fd, peer);
 * Anywhere:      void probe(void *data, int fd, const char *peer) { ... }
 *                register_trace_conn_open(probe, data);
 *                unregister_trace_conn_open(probe, data);
 *
 * trace_NAME(args) calls every registered probe, each with its own `data`;
 * a probe is ordinary code and may itself call tracepoint(), trace_mark()
 * or another trace_NAME(). With no probe registered, trace_NAME costs one
 * load and one predicted branch. Probes may be registered and unregistered
 * from any thread at any time; the same probe with different `data` counts
 * as a different probe.
 *
 * Unregistration and freeing `data`: unregister_trace_NAME returns only
 * once no thread is still running the probe (a grace period, as in RCU),
 * so `data` may be freed as soon as it returns. How: each thread running
 * probes counts itself in (a nesting counter in its per-thread record,
 * the one libust's tracepoints use too) around the walk of the probe
 * array; unregistration publishes a new array without the probe, then uses
 * membarrier(2) to order every running thread's counts and waits for each
 * thread seen inside to come out. The
 * read side takes no lock, makes no system call and no atomic
 * read-modify-write. The rules that come with it: a probe must return
 * (no longjmp or exception out of it), and unregister_trace_NAME must not
 * be called from a probe (it would wait for itself: it returns -EDEADLK
 * and changes nothing). register_trace_NAME may be called from a probe.
 *
 * Both return 0, or a negative errno: -EEXIST (already registered),
 * -ENOENT (not registered), -EDEADLK, -EINVAL (NULL probe), -ENOSYS (no
 * membarrier(2): Linux < 4.3 or a filter forbids it; nothing changed).
 *
 * Limits: TP_PROTO takes at least one parameter; DEFINE_TRACE(NAME) must
 * be in exactly one .c of the program or library that calls trace_NAME
 * (another module may call trace_NAME if that symbol is visible to it).
 */
#ifndef UST_DECLARE_TRACE_H
#define UST_DECLARE_TRACE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One registered probe: a function (called with `data` first) and its data. */
struct ust_probe {
	void (*func)(void);
	void *data;
};

/* A custom tracepoint, defined once by DEFINE_TRACE. */
struct ust_probe_site {
	uint32_t struct_size;
	uint32_t reserved;
	const char *name;
	/* NULL (no probe), or a libust-owned array ended by a NULL func. */
	const struct ust_probe *probes;
};

/* The start of a thread's record, owned by libust (see the top of the file). */
struct ust_probe_reader {
	uint32_t struct_size;
	uint32_t nesting; /* tracepoint and probe-walk depth of the owning thread */
};

int ust_probe_register(const struct ust_probe_site *site, void (*func)(void), void *data);
int ust_probe_unregister(const struct ust_probe_site *site, void (*func)(void), void *data);
/* The calling thread's record, for it alone to use (NULL if it cannot be had). */
struct ust_probe_reader *ust_probe_reader_get(void);

/* `_UST_UNPAREN list` strips the parentheses of list: (a, b) gives a, b (internal). */
#define _UST_UNPAREN(...) __VA_ARGS__

/* TP_PROTO(type name, ...): the parameters of a DECLARE_TRACE tracepoint. */
#define TP_PROTO(...) (__VA_ARGS__)

/*
 * Counts the calling thread in as walking probes; `slot` caches its record
 * in this translation unit (internal).
 */
static inline struct ust_probe_reader *__ust_probe_enter(struct ust_probe_reader **slot)
{
	struct ust_probe_reader *r = *slot;

	if (__builtin_expect(r == NULL, 0)) {
		r = ust_probe_reader_get();
		if (r == NULL)
			return NULL;
		*slot = r;
	}
	__atomic_store_n(&r->nesting, __atomic_load_n(&r->nesting, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
	/* The probe array is read after the count (membarrier does the rest). */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return r;
}

/* Ends the walk: everything the probes did happens before the count drops (internal). */
static inline void __ust_probe_exit(struct ust_probe_reader *r)
{
	__atomic_store_n(&r->nesting, __atomic_load_n(&r->nesting, __ATOMIC_RELAXED) - 1,
			 __ATOMIC_RELEASE);
}

/*
 * DECLARE_TRACE(name, TP_PROTO(type arg, ...), TP_ARGS(arg, ...)): declares
 * trace_name(), register_trace_name(), unregister_trace_name() and
 * trace_name_enabled() (in a header, included wherever they are used).
 */
#define DECLARE_TRACE(name, proto, args)                                                  \
	extern struct ust_probe_site __ust_probe_site_##name;                            \
	static __thread struct ust_probe_reader *__ust_probe_tls_##name;                 \
	static void __ust_probe_call_##name(_UST_UNPAREN proto)                           \
		__attribute__((noinline, unused));                                        \
	static void __ust_probe_call_##name(_UST_UNPAREN proto)                           \
	{                                                                                 \
		struct ust_probe_reader *__ust_r =                                        \
			__ust_probe_enter(&__ust_probe_tls_##name);                       \
		const struct ust_probe *__ust_p;                                          \
		if (__ust_r == NULL)                                                      \
			return;                                                           \
		__ust_p = __atomic_load_n(&__ust_probe_site_##name.probes, __ATOMIC_ACQUIRE); \
		for (; __ust_p != NULL && __ust_p->func != NULL; __ust_p++)               \
			((void (*)(void *, _UST_UNPAREN proto))__ust_p->func)(            \
				__ust_p->data, _UST_UNPAREN args);                        \
		__ust_probe_exit(__ust_r);                                                \
	}                                                                                 \
	/* trace_name(args): runs every registered probe; no probe: one load, one branch. */ \
	static inline void trace_##name(_UST_UNPAREN proto)                               \
	{                                                                                 \
		if (__builtin_expect(__atomic_load_n(&__ust_probe_site_##name.probes,     \
						     __ATOMIC_RELAXED) != NULL, 0))       \
			__ust_probe_call_##name(_UST_UNPAREN args);                       \
	}                                                                                 \
	/* trace_name_enabled(): non-zero while a probe is registered. */               \
	static inline int trace_##name##_enabled(void)                                   \
	{                                                                                 \
		return __builtin_expect(__atomic_load_n(&__ust_probe_site_##name.probes,  \
							__ATOMIC_RELAXED) != NULL, 0);    \
	}                                                                                 \
	/* register_trace_name(probe, data): probe(data, args) runs on each call. */      \
	static inline int register_trace_##name(void (*probe)(void *, _UST_UNPAREN proto), \
						void *data)                               \
	{                                                                                 \
		return ust_probe_register(&__ust_probe_site_##name, (void (*)(void))probe, \
					  data);                                          \
	}                                                                                 \
	/* unregister_trace_name(probe, data): returns once no thread runs it. */        \
	static inline int unregister_trace_##name(                                        \
		void (*probe)(void *, _UST_UNPAREN proto), void *data)                   \
	{                                                                                 \
		return ust_probe_unregister(&__ust_probe_site_##name,                     \
					    (void (*)(void))probe, data);                 \
	}

/* DEFINE_TRACE(name): the tracepoint itself, in exactly one .c file. */
#define DEFINE_TRACE(name)                                                       \
	struct ust_probe_site __ust_probe_site_##name = {sizeof(struct ust_probe_site), 0, \
							 #name, NULL}

/* Linux spellings that need nothing here. */
#define EXPORT_TRACEPOINT_SYMBOL(name)
#define EXPORT_TRACEPOINT_SYMBOL_GPL(name)

#ifdef __cplusplus
}
#endif

#endif /* UST_DECLARE_TRACE_H */
