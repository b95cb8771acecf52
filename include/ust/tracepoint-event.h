/*
 * ust/tracepoint-event.h — generate a provider's event descriptions.
 *
 * Included at the end of every provider header. It does nothing unless the
 * including unit defined TRACEPOINT_CREATE_PROBES; then it re-reads the
 * provider header (TRACEPOINT_INCLUDE) in the numbered passes below, each of
 * which first resets the _UST_* macros that the provider-header statements
 * (TRACEPOINT_EVENT, ...) hand their expanded arguments to, and then gives
 * them one meaning. The result is a `struct ust_provider_desc` registered
 * with libust by a constructor and unregistered by a destructor (so
 * dlclose() of a provider library removes its events), and the symbol
 * __ust_tracepoint_provider_<provider> that TRACEPOINT_DEFINE units refer to.
 */
#include <ust/tracepoint.h>

#ifdef TRACEPOINT_CREATE_PROBES

/* Re-reading the provider header must not start these passes again. */
#undef TRACEPOINT_CREATE_PROBES
#undef LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_HEADER_MULTI_READ
#define LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ

/* Pass-local helpers: one field or enum label per tuple of the sequences. */
#define _UST_DESC_ONE(kind, ...) _UST_CAT(_UST_DESC_, kind)(__VA_ARGS__)
#define _UST_DESC_A(...) _UST_DESC_ONE(__VA_ARGS__) _UST_DESC_B
#define _UST_DESC_B(...) _UST_DESC_ONE(__VA_ARGS__) _UST_DESC_A
#define _UST_DESC_A_END
#define _UST_DESC_B_END
#define _UST_DESC_ALL(fields) _UST_CAT(_UST_DESC_A fields, _END)
/*
 * The initializers contain commas, which would split the sequence walk's
 * result into several macro arguments: each element therefore expands to a
 * deferred call (_UST_LATER(f) (args)) that only runs once the walk is done.
 */
#define _UST_EMPTY()
#define _UST_LATER(f) f _UST_EMPTY()
#define _UST_FIELD_NOW(kind, flags, name, bits, length, len_bits, enum_desc) \
	{sizeof(struct ust_field_desc), kind, (uint16_t)(flags), #name, \
	 (uint32_t)(bits), (uint32_t)(length), (uint32_t)(len_bits), 0, enum_desc},
#define _UST_FIELD _UST_LATER(_UST_FIELD_NOW)
#define _UST_SIGNED_FLAG(type) (_UST_IS_SIGNED(type) ? UST_FIELD_SIGNED : 0)
#define _UST_DESC__UST_INT(type, name, expr, flags) \
	_UST_FIELD(UST_FIELD_INTEGER, (flags) | _UST_SIGNED_FLAG(type), name, \
		   sizeof(type) * 8, 0, 0, NULL)
#define _UST_DESC__UST_FLOAT(type, name, expr, flags) \
	_UST_FIELD(UST_FIELD_FLOAT, flags, name, sizeof(type) * 8, 0, 0, NULL)
#define _UST_DESC__UST_STRING(type, name, expr, flags) \
	_UST_FIELD(UST_FIELD_STRING, flags, name, 8, 0, 0, NULL)
#define _UST_DESC__UST_ARRAY(type, name, src, flags, len) \
	_UST_FIELD(UST_FIELD_ARRAY, (flags) | _UST_SIGNED_FLAG(type), name, \
		   sizeof(type) * 8, len, 0, NULL)
#define _UST_DESC__UST_SEQ(type, name, src, flags, len_type, len)                   \
	_UST_FIELD(UST_FIELD_SEQUENCE,                                               \
		   (flags) | _UST_SIGNED_FLAG(type) |                                \
			   (_UST_IS_SIGNED(len_type) ? UST_FIELD_LEN_SIGNED : 0),    \
		   name, sizeof(type) * 8, 0, sizeof(len_type) * 8, NULL)
#define _UST_DESC__UST_ENUM(type, name, expr, flags, prov, ename) \
	_UST_FIELD(UST_FIELD_ENUM, (flags) | _UST_SIGNED_FLAG(type), name, \
		   sizeof(type) * 8, 0, 0, &__ust_enum__##prov##___##ename)
#define _UST_DESC__UST_NONE(type, name, expr, flags)

#define _UST_ENUMV_NOW(label, first, last, is_auto) \
	{sizeof(struct ust_enum_entry), is_auto, label, (int64_t)(first), (int64_t)(last)},
#define _UST_ENUMV_ONE _UST_LATER(_UST_ENUMV_NOW)
#define _UST_ENUMV_A(...) _UST_ENUMV_ONE(__VA_ARGS__) _UST_ENUMV_B
#define _UST_ENUMV_B(...) _UST_ENUMV_ONE(__VA_ARGS__) _UST_ENUMV_A
#define _UST_ENUMV_A_END
#define _UST_ENUMV_B_END
#define _UST_ENUMV_ALL(values) _UST_CAT(_UST_ENUMV_A values, _END)

/*
 * Pass 1 — enumerations, field tables, log levels and model URIs.
 * TRACEPOINT_ENUM emits its label table; TRACEPOINT_EVENT_CLASS the class's
 * field descriptors (terminated by a UST_FIELD_END entry; none when the
 * call-site pass reported bad fields); TRACEPOINT_LOGLEVEL the level's
 * value and TRACEPOINT_MODEL_EMF_URI the URI, each under a fixed assembler
 * name (C++ would mangle the names of these static constants); and
 * TRACEPOINT_EVENT_INSTANCE weak references to those two, NULL when the
 * event has no TRACEPOINT_LOGLEVEL or TRACEPOINT_MODEL_EMF_URI.
 */
#undef _UST_ENUM
#undef _UST_EVENT_CLASS
#undef _UST_EVENT_INSTANCE
#undef _UST_LOGLEVEL
#undef _UST_MODEL_EMF_URI
#define _UST_ENUM(provider, name, values)                                             \
	static const struct ust_enum_entry __ust_enum_entries__##provider##___##name[] = { \
		_UST_ENUMV_ALL(values){sizeof(struct ust_enum_entry), 0, NULL, 0, 0}};     \
	static const struct ust_enum_desc __ust_enum__##provider##___##name = {            \
		sizeof(struct ust_enum_desc),                                              \
		(uint32_t)(sizeof(__ust_enum_entries__##provider##___##name) /             \
			   sizeof(struct ust_enum_entry) - 1),                             \
		#provider "_" #name, __ust_enum_entries__##provider##___##name};
#define _UST_EVENT_CLASS(provider, cls, args, fields)                             \
	static const struct ust_field_desc __ust_fields__##provider##___##cls[] = { \
		_UST_DESC_ALL(_UST_VALID_FIELDS(fields))                          \
		_UST_FIELD_NOW(UST_FIELD_END, 0, , 0, 0, 0, NULL)};
#define _UST_LOGLEVEL(provider, name, level)                                \
	static const int __ust_loglevel__##provider##___##name               \
		__asm__("__ust_loglevel__" #provider "___" #name) __attribute__((used)) = (level);
#define _UST_MODEL_EMF_URI(provider, name, uri)                            \
	static const char __ust_emf_uri__##provider##___##name[]            \
		__asm__("__ust_emf_uri__" #provider "___" #name) __attribute__((used)) = uri;
#define _UST_EVENT_INSTANCE(provider, cls, name, args)                                   \
	static int __ust_loglevel_ref__##provider##___##name                             \
		__attribute__((weakref("__ust_loglevel__" #provider "___" #name)));      \
	static char __ust_emf_uri_ref__##provider##___##name                             \
		__attribute__((weakref("__ust_emf_uri__" #provider "___" #name)));
#include TRACEPOINT_INCLUDE

/*
 * Pass 2 — event descriptors: one `struct ust_event_desc` per
 * TRACEPOINT_EVENT_INSTANCE, pointing at its class's fields and signature,
 * its log level and its model URI.
 */
#undef _UST_ENUM
#undef _UST_EVENT_CLASS
#undef _UST_EVENT_INSTANCE
#undef _UST_LOGLEVEL
#undef _UST_MODEL_EMF_URI
#define _UST_ENUM(provider, name, values)
#define _UST_EVENT_CLASS(provider, cls, args, fields)
#define _UST_LOGLEVEL(provider, name, level)
#define _UST_MODEL_EMF_URI(provider, name, uri)
#define _UST_EVENT_INSTANCE(provider, cls, name, args)                                \
	static const struct ust_event_desc __ust_event__##provider##___##name = {     \
		sizeof(struct ust_event_desc),                                        \
		(uint32_t)(sizeof(__ust_fields__##provider##___##cls) /               \
			   sizeof(struct ust_field_desc) - 1),                        \
		#provider ":" #name, __ust_fields__##provider##___##cls,              \
		&__ust_loglevel_ref__##provider##___##name,                           \
		__ust_sig__##provider##___##cls,                                      \
		&__ust_emf_uri_ref__##provider##___##name};
#include TRACEPOINT_INCLUDE

/*
 * Pass 3 — the provider: the NULL-terminated list of its events, its
 * descriptor, the constructor/destructor pair that (un)registers it, and
 * the symbol its TRACEPOINT_DEFINE units refer to.
 */
#undef _UST_EVENT_INSTANCE
#define _UST_EVENT_INSTANCE(provider, cls, name, args) &__ust_event__##provider##___##name,
static const struct ust_event_desc *const _UST_CAT(__ust_events__, TRACEPOINT_PROVIDER)[] = {
#include TRACEPOINT_INCLUDE
	NULL};

static const struct ust_provider_desc _UST_CAT(__ust_provider__, TRACEPOINT_PROVIDER) = {
	sizeof(struct ust_provider_desc),
	(uint32_t)(sizeof(_UST_CAT(__ust_events__, TRACEPOINT_PROVIDER)) /
		   sizeof(const struct ust_event_desc *) - 1),
	_UST_STR(TRACEPOINT_PROVIDER), _UST_CAT(__ust_events__, TRACEPOINT_PROVIDER),
	UST_ABI_MAJOR, UST_ABI_MINOR};

#ifdef TRACEPOINT_WEAK_DEFINITIONS
/*
 * Every unit of the module holds this pass (see TRACEPOINT_WEAK_DEFINITIONS
 * in <ust/tracepoint.h>): the first constructor to run registers its copy of
 * the provider and records it here, the others leave it be.
 */
const struct ust_provider_desc *_UST_CAT(__ust_provider_owner__, TRACEPOINT_PROVIDER)
	__attribute__((weak, visibility("hidden")));
#define _UST_PROVIDER_OWNER _UST_CAT(__ust_provider_owner__, TRACEPOINT_PROVIDER)
#endif

static void __attribute__((constructor)) _UST_CAT(__ust_provider_init__, TRACEPOINT_PROVIDER)(void)
{
#ifdef TRACEPOINT_WEAK_DEFINITIONS
	if (_UST_PROVIDER_OWNER)
		return;
	_UST_PROVIDER_OWNER = &_UST_CAT(__ust_provider__, TRACEPOINT_PROVIDER);
#endif
	ust_provider_register(&_UST_CAT(__ust_provider__, TRACEPOINT_PROVIDER));
}

static void __attribute__((destructor)) _UST_CAT(__ust_provider_fini__, TRACEPOINT_PROVIDER)(void)
{
#ifdef TRACEPOINT_WEAK_DEFINITIONS
	if (_UST_PROVIDER_OWNER != &_UST_CAT(__ust_provider__, TRACEPOINT_PROVIDER))
		return;
	_UST_PROVIDER_OWNER = NULL;
#undef _UST_PROVIDER_OWNER
#endif
	ust_provider_unregister(&_UST_CAT(__ust_provider__, TRACEPOINT_PROVIDER));
}

/*
 * __ust_tracepoint_provider_<provider>: its address is all that matters
 * (see _UST_PROVIDER_REF in <ust/tracepoint.h>). Visible to other modules
 * unless TRACEPOINT_PROVIDER_HIDDEN_DEFINITION is defined, for programs
 * whose TRACEPOINT_DEFINE unit is in the same module as the provider.
 */
#undef _UST_PROVIDER_VISIBILITY
#ifdef TRACEPOINT_PROVIDER_HIDDEN_DEFINITION
#define _UST_PROVIDER_VISIBILITY __attribute__((visibility("hidden")))
#else
#define _UST_PROVIDER_VISIBILITY __attribute__((visibility("default")))
#endif
#ifdef __cplusplus
extern "C" {
#endif
int _UST_CAT(__ust_tracepoint_provider_, TRACEPOINT_PROVIDER) _UST_PROVIDER_VISIBILITY
#ifdef TRACEPOINT_WEAK_DEFINITIONS
	__attribute__((weak))
#endif
	= 0;
#ifdef __cplusplus
}
#endif

/* Reset: the next provider header starts from the call-site meanings. */
#undef _UST_ENUM
#undef _UST_EVENT_CLASS
#undef _UST_EVENT_INSTANCE
#undef _UST_LOGLEVEL
#undef _UST_MODEL_EMF_URI
#undef TRACEPOINT_HEADER_MULTI_READ
#undef LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ

/* The next provider header included by this unit gets its passes too. */
#define TRACEPOINT_CREATE_PROBES

#endif /* TRACEPOINT_CREATE_PROBES */
