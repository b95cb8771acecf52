/*
 * ust/define_trace.h — the end of a kernel-style trace header (see
 * <ust/trace-event.h>). It does nothing unless the including unit defined
 * CREATE_TRACE_POINTS; then it re-reads the trace header — found as
 * TRACE_INCLUDE_PATH/TRACE_INCLUDE_FILE.h (TRACE_INCLUDE_FILE defaults to
 * TRACE_SYSTEM; without TRACE_INCLUDE_PATH, <trace/events/FILE.h>), as in
 * Linux — in the numbered passes below and defines the events of
 * TRACE_SYSTEM: their descriptions, their tracepoints, and the
 * constructor/destructor pair that registers them with libust (so
 * dlclose() of a library removes them).
 */
#ifdef CREATE_TRACE_POINTS

/* Re-reading the trace header must not start these passes again. */
#undef CREATE_TRACE_POINTS
#define TRACE_HEADER_MULTI_READ

#ifndef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE TRACE_SYSTEM
#define _UST_TE_UNDEF_INCLUDE_FILE
#endif
#ifdef TRACE_INCLUDE_PATH
#define _UST_TE_INCLUDE(file) _UST_STR(TRACE_INCLUDE_PATH/file.h)
#else
#define _UST_TE_INCLUDE(file) <trace/events/file.h>
#endif
#define _UST_TE_HEADER _UST_TE_INCLUDE(TRACE_INCLUDE_FILE)

/* Pass-local helpers: one field descriptor per member tuple (deferred: the
 * initializers hold commas the walk must not see). */
#define _UST_TE_EMPTY()
#define _UST_TE_LATER(f) f _UST_TE_EMPTY()
#define _UST_TE_DESC_NOW(kind, flags, item, bits, length, len_bits) \
	{sizeof(struct ust_field_desc), kind, (uint16_t)(flags), #item, \
	 (uint32_t)(bits), (uint32_t)(length), (uint32_t)(len_bits), 0, NULL},
#define _UST_TE_DESC _UST_TE_LATER(_UST_TE_DESC_NOW)
#define _UST_TE_DESC_ONE(kind, ...) _UST_CAT(_UST_TE_DESC_, kind)(__VA_ARGS__)
#define _UST_TE_DESC_A(...) _UST_TE_DESC_ONE(__VA_ARGS__) _UST_TE_DESC_B
#define _UST_TE_DESC_B(...) _UST_TE_DESC_ONE(__VA_ARGS__) _UST_TE_DESC_A
#define _UST_TE_DESC_A_END
#define _UST_TE_DESC_B_END
/* GCC's type classes: 5 pointer, 8 real (float); the rest are integers. */
#define _UST_TE_CLASS(type) __builtin_classify_type((type)0)
#define _UST_TE_INT_FLAGS(type)                                            \
	(_UST_TE_CLASS(type) == 5 ? UST_FIELD_HEX                          \
	 : _UST_IS_SIGNED(type)   ? UST_FIELD_SIGNED                       \
				  : 0)
#define _UST_TE_ELEM_FLAGS(type) \
	(_UST_TE_INT_FLAGS(type) | (_UST_TE_IS_CHAR(type) ? UST_FIELD_TEXT : 0))
#define _UST_TE_DESC__UST_TE_FIELD(type, item, flags)                               \
	_UST_TE_DESC(_UST_TE_CLASS(type) == 8 ? UST_FIELD_FLOAT : UST_FIELD_INTEGER, \
		     _UST_TE_CLASS(type) == 8 ? 0 : (flags) | _UST_TE_INT_FLAGS(type), \
		     item, sizeof(type) * 8, 0, 0)
#define _UST_TE_DESC__UST_TE_ARRAY(type, item, len) \
	_UST_TE_DESC(UST_FIELD_ARRAY, _UST_TE_ELEM_FLAGS(type), item, sizeof(type) * 8, len, 0)
#define _UST_TE_DESC__UST_TE_STRING(type, item, src) \
	_UST_TE_DESC(UST_FIELD_STRING, 0, item, 8, 0, 0)
#define _UST_TE_DESC__UST_TE_DYNARRAY(type, item, len) \
	_UST_TE_DESC(UST_FIELD_SEQUENCE, _UST_TE_ELEM_FLAGS(type), item, sizeof(type) * 8, 0, 32)

/* What the tracepoints and event descriptions of this header agree on. */
#define _UST_TE_SIGNATURE "ust-trace-event:" _UST_STR(TRACE_SYSTEM)

/*
 * Pass 1 — field tables: DECLARE_EVENT_CLASS emits its class's field
 * descriptors, terminated by a UST_FIELD_END entry.
 */
#undef TRACE_EVENT
#undef DECLARE_EVENT_CLASS
#undef DEFINE_EVENT
#undef DEFINE_EVENT_PRINT
#define DECLARE_EVENT_CLASS(cls, proto, args, tstruct, assign, print)                 \
	static const struct ust_field_desc _UST_TE_SYM(__ust_te_fields__, cls)[] _UST_UNUSED = { \
		_UST_CAT(_UST_TE_DESC_A tstruct, _END) _UST_TE_DESC_NOW(UST_FIELD_END, 0, , \
									0, 0, 0)};
#define DEFINE_EVENT(cls, name, proto, args)
#define DEFINE_EVENT_PRINT(cls, name, proto, args, print)
#define TRACE_EVENT(name, proto, args, tstruct, assign, print) \
	DECLARE_EVENT_CLASS(name, proto, args, tstruct, assign, print)
#include _UST_TE_HEADER

/*
 * Pass 2 — events: each DEFINE_EVENT's description (pointing at its
 * class's fields) and its tracepoint, the one every unit's trace_NAME()
 * checks; a pointer to each goes to a section of this TRACE_SYSTEM, which
 * pass 3 registers whole (a list in an initializer could not take the
 * header's `;` after each event).
 */
#undef TRACE_EVENT
#undef DECLARE_EVENT_CLASS
#undef DEFINE_EVENT
#undef DEFINE_EVENT_PRINT
#define _UST_TE_SECTION(what) __attribute__((used, section(what _UST_STR(TRACE_SYSTEM))))
#define DECLARE_EVENT_CLASS(cls, proto, args, tstruct, assign, print)
#define DEFINE_EVENT(cls, name, proto, args)                                                \
	static const struct ust_event_desc _UST_TE_SYM(__ust_te_event__, name) = {          \
		sizeof(struct ust_event_desc),                                              \
		(uint32_t)(sizeof(_UST_TE_SYM(__ust_te_fields__, cls)) /                    \
			   sizeof(struct ust_field_desc) - 1),                              \
		_UST_STR(TRACE_SYSTEM) ":" #name, _UST_TE_SYM(__ust_te_fields__, cls), NULL, \
		_UST_TE_SIGNATURE, NULL};                                                    \
	static const struct ust_event_desc *_UST_TE_SYM(__ust_te_event_ptr__, name)         \
		_UST_TE_SECTION("__ust_te_events_") = &_UST_TE_SYM(__ust_te_event__, name); \
	struct ust_tracepoint _UST_TE_SYM(__ust_te_tp__, name)                              \
		__attribute__((visibility("hidden"))) = {sizeof(struct ust_tracepoint), 0,  \
							 _UST_STR(TRACE_SYSTEM) ":" #name,  \
							 _UST_TE_SIGNATURE, NULL};          \
	static struct ust_tracepoint *_UST_TE_SYM(__ust_te_tp_ptr__, name)                  \
		_UST_TE_SECTION("__ust_te_tps_") = &_UST_TE_SYM(__ust_te_tp__, name);
#define DEFINE_EVENT_PRINT(cls, name, proto, args, print) DEFINE_EVENT(cls, name, proto, args)
#define TRACE_EVENT(name, proto, args, tstruct, assign, print) \
	DEFINE_EVENT(name, name, proto, args)
#include _UST_TE_HEADER

/*
 * Pass 3 — the provider TRACE_SYSTEM: its events and tracepoints are the
 * two sections filled by pass 2; a constructor registers them, a
 * destructor unregisters them.
 */
#define _UST_TE_BOUND(edge, what) _UST_CAT(_UST_CAT(edge, what), TRACE_SYSTEM)
extern const struct ust_event_desc *const _UST_TE_BOUND(__start_, __ust_te_events_)[]
	__attribute__((weak, visibility("hidden")));
extern const struct ust_event_desc *const _UST_TE_BOUND(__stop_, __ust_te_events_)[]
	__attribute__((weak, visibility("hidden")));
extern struct ust_tracepoint *const _UST_TE_BOUND(__start_, __ust_te_tps_)[]
	__attribute__((weak, visibility("hidden")));
extern struct ust_tracepoint *const _UST_TE_BOUND(__stop_, __ust_te_tps_)[]
	__attribute__((weak, visibility("hidden")));

static struct ust_provider_desc _UST_CAT(__ust_te_provider__, TRACE_SYSTEM) = {
	sizeof(struct ust_provider_desc), 0, _UST_STR(TRACE_SYSTEM), NULL, UST_ABI_MAJOR,
	UST_ABI_MINOR};

static void __attribute__((constructor)) _UST_CAT(__ust_te_init__, TRACE_SYSTEM)(void)
{
	struct ust_provider_desc *p = &_UST_CAT(__ust_te_provider__, TRACE_SYSTEM);

	p->events = _UST_TE_BOUND(__start_, __ust_te_events_);
	p->nr_events = (uint32_t)(_UST_TE_BOUND(__stop_, __ust_te_events_) -
				  _UST_TE_BOUND(__start_, __ust_te_events_));
	ust_provider_register(p);
	ust_tracepoints_register(_UST_TE_BOUND(__start_, __ust_te_tps_),
				 (size_t)(_UST_TE_BOUND(__stop_, __ust_te_tps_) -
					  _UST_TE_BOUND(__start_, __ust_te_tps_)));
}

static void __attribute__((destructor)) _UST_CAT(__ust_te_fini__, TRACE_SYSTEM)(void)
{
	ust_tracepoints_unregister(_UST_TE_BOUND(__start_, __ust_te_tps_));
	ust_provider_unregister(&_UST_CAT(__ust_te_provider__, TRACE_SYSTEM));
}

/* Reset: the call-site meanings again, for the rest of this unit. */
#undef TRACE_EVENT
#undef DECLARE_EVENT_CLASS
#undef DEFINE_EVENT
#undef DEFINE_EVENT_PRINT
#include <ust/trace-event.h>
#undef _UST_TE_SIGNATURE
#undef _UST_TE_SECTION
#undef _UST_TE_BOUND
#undef _UST_TE_HEADER
#undef _UST_TE_INCLUDE
#ifdef _UST_TE_UNDEF_INCLUDE_FILE
#undef TRACE_INCLUDE_FILE
#undef _UST_TE_UNDEF_INCLUDE_FILE
#endif
#undef TRACE_HEADER_MULTI_READ

/* The next trace header included by this unit gets its passes too. */
#define CREATE_TRACE_POINTS

#endif /* CREATE_TRACE_POINTS */
