/*
 * ust/tracepoint.h — declare tracepoints and fire them.
 *
 * The LTTng-UST 2.x provider API with the <ust/...> prefix. A provider
 * header (see c-examples/hello/hello-tp.h) includes this file, declares its
 * events with TRACEPOINT_EVENT(provider, event, TP_ARGS(...), TP_FIELDS(...))
 * and ends with #include <ust/tracepoint-event.h>. Code then calls
 * tracepoint(provider, event, args...).
 *
 * How it works, in one paragraph: each field macro (ctf_integer, ...)
 * expands to a parenthesised tuple, so TP_FIELDS(...) becomes a sequence
 * "(..)(..)(..)" that the macros below walk once per purpose. In every
 * unit that includes a provider header, each event class gets a small
 * out-of-line serializer: it runs the event's filter first when libust
 * offers it as tests of integer field values (handle->test), computes the
 * payload size, asks libust for space (handle->reserve), copies the fields
 * in and commits. Field expressions are evaluated once more for the filter,
 * as LTTng-UST does. A call site is one relaxed load of the tracepoint's
 * handle and one predicted branch; the arguments are evaluated only when
 * the event is enabled. The unit that defines TRACEPOINT_DEFINE holds the
 * tracepoint structs and registers them from a constructor, and refers to a
 * symbol of each provider it uses so that the linker keeps the provider;
 * the unit that defines TRACEPOINT_CREATE_PROBES holds the event
 * descriptions and defines that symbol (see <ust/tracepoint-event.h>).
 *
 * Every public macro taking a provider or event name expands its arguments
 * before pasting them into symbol names, as LTTng-UST's do, so
 * tracepoint(TRACEPOINT_PROVIDER, event, ...) works.
 */
#ifndef UST_TRACEPOINT_H
#define UST_TRACEPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ust/abi.h>

#ifdef TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include <dlfcn.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels, most severe first (syslog-like; LTTng-UST's numbering). */
enum {
	TRACE_EMERG = 0,          /* system is unusable */
	TRACE_ALERT = 1,          /* action must be taken immediately */
	TRACE_CRIT = 2,           /* critical conditions */
	TRACE_ERR = 3,            /* error conditions */
	TRACE_WARNING = 4,        /* warning conditions */
	TRACE_NOTICE = 5,         /* normal, but significant, condition */
	TRACE_INFO = 6,           /* informational message */
	TRACE_DEBUG_SYSTEM = 7,   /* debug, system-level scope */
	TRACE_DEBUG_PROGRAM = 8,  /* debug, program-level scope */
	TRACE_DEBUG_PROCESS = 9,  /* debug, process-level scope */
	TRACE_DEBUG_MODULE = 10,  /* debug, module-level scope */
	TRACE_DEBUG_UNIT = 11,    /* debug, compilation-unit scope */
	TRACE_DEBUG_FUNCTION = 12, /* debug, function-level scope */
	TRACE_DEBUG_LINE = 13,    /* debug, line-level scope (the default) */
	TRACE_DEBUG = 14          /* debug-level message */
};

/* ---- Preprocessor helpers (internal) ----------------------------------- */

#define _UST_CAT_I(a, b) a##b
#define _UST_CAT(a, b) _UST_CAT_I(a, b)
#define _UST_STR_I(x) #x
#define _UST_STR(x) _UST_STR_I(x)

/*
 * _UST_EXTERN_C: `extern`, with C linkage in C++ (symbols a provider's units
 * share). _UST_STATIC_ASSERT: the language's static assertion.
 */
#ifdef __cplusplus
#define _UST_EXTERN_C extern "C"
#define _UST_STATIC_ASSERT static_assert
#else
#define _UST_EXTERN_C extern
#define _UST_STATIC_ASSERT _Static_assert
#endif

/* Number of arguments, 1..20 (an empty list counts as 1). */
#define _UST_NARGS(...) _UST_NARGS_I(__VA_ARGS__, 20, 19, 18, 17, 16, 15, 14, 13, \
	12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define _UST_NARGS_I(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13,  \
	_14, _15, _16, _17, _18, _19, _20, N, ...) N

/*
 * TP_ARGS(type, name, ...) pairs, kept in parentheses so they travel as one
 * macro argument. _UST_PARAMS turns them into ", type name, ..." (a
 * prototype tail) and _UST_VARS into ", name, ..." (a call tail); TP_ARGS()
 * and TP_ARGS(void) give nothing.
 */
#define _UST_PARAMS(...) _UST_CAT(_UST_P, _UST_NARGS(__VA_ARGS__))(__VA_ARGS__)
#define _UST_VARS(...) _UST_CAT(_UST_V, _UST_NARGS(__VA_ARGS__))(__VA_ARGS__)
#define _UST_UNUSED __attribute__((unused))
#define _UST_P1(x)
#define _UST_P2(t, n) , t n _UST_UNUSED
#define _UST_P4(t, n, ...) , t n _UST_UNUSED _UST_P2(__VA_ARGS__)
#define _UST_P6(t, n, ...) , t n _UST_UNUSED _UST_P4(__VA_ARGS__)
#define _UST_P8(t, n, ...) , t n _UST_UNUSED _UST_P6(__VA_ARGS__)
#define _UST_P10(t, n, ...) , t n _UST_UNUSED _UST_P8(__VA_ARGS__)
#define _UST_P12(t, n, ...) , t n _UST_UNUSED _UST_P10(__VA_ARGS__)
#define _UST_P14(t, n, ...) , t n _UST_UNUSED _UST_P12(__VA_ARGS__)
#define _UST_P16(t, n, ...) , t n _UST_UNUSED _UST_P14(__VA_ARGS__)
#define _UST_P18(t, n, ...) , t n _UST_UNUSED _UST_P16(__VA_ARGS__)
#define _UST_P20(t, n, ...) , t n _UST_UNUSED _UST_P18(__VA_ARGS__)
#define _UST_V1(x)
#define _UST_V2(t, n) , n
#define _UST_V4(t, n, ...) , n _UST_V2(__VA_ARGS__)
#define _UST_V6(t, n, ...) , n _UST_V4(__VA_ARGS__)
#define _UST_V8(t, n, ...) , n _UST_V6(__VA_ARGS__)
#define _UST_V10(t, n, ...) , n _UST_V8(__VA_ARGS__)
#define _UST_V12(t, n, ...) , n _UST_V10(__VA_ARGS__)
#define _UST_V14(t, n, ...) , n _UST_V12(__VA_ARGS__)
#define _UST_V16(t, n, ...) , n _UST_V14(__VA_ARGS__)
#define _UST_V18(t, n, ...) , n _UST_V16(__VA_ARGS__)
#define _UST_V20(t, n, ...) , n _UST_V18(__VA_ARGS__)

/* 1 when `type` is a signed arithmetic type. */
#define _UST_IS_SIGNED(type) (((type)-1) < (type)1)

/* ---- Provider-header vocabulary ---------------------------------------- */

/* TP_ARGS(type1, name1, type2, name2, ...): the tracepoint's parameters (max 10). */
#define TP_ARGS(...) (__VA_ARGS__)
/* TP_FIELDS(ctf_...(...) ctf_...(...)): the recorded payload, in order. */
#define TP_FIELDS(...) __VA_ARGS__
/* TP_ENUM_VALUES(ctf_enum_value(...) ...): the labels of a TRACEPOINT_ENUM. */
#define TP_ENUM_VALUES(...) __VA_ARGS__

/*
 * Field macros. Each records one payload field named `name` from the C
 * expression `expr` (or `src`), evaluated only when the event is enabled.
 * The _nowrite variants keep the argument but record nothing.
 */
/* ctf_integer(type, name, expr): an integer of C type `type`, in decimal. */
#define ctf_integer(type, name, expr) (_UST_INT, type, name, expr, 0)
/* ctf_integer_hex(type, name, expr): an integer displayed in hexadecimal. */
#define ctf_integer_hex(type, name, expr) (_UST_INT, type, name, expr, UST_FIELD_HEX)
/* ctf_integer_network(type, name, expr): an integer already in network (big-endian) order. */
#define ctf_integer_network(type, name, expr) (_UST_INT, type, name, expr, UST_FIELD_NETWORK)
/* ctf_integer_network_hex(type, name, expr): big-endian, displayed in hexadecimal. */
#define ctf_integer_network_hex(type, name, expr) \
	(_UST_INT, type, name, expr, UST_FIELD_NETWORK | UST_FIELD_HEX)
/* ctf_integer_nowrite(type, name, expr): declared, not recorded. */
#define ctf_integer_nowrite(type, name, expr) (_UST_INT, type, name, expr, UST_FIELD_NOWRITE)
/* ctf_float(type, name, expr): a float or double. */
#define ctf_float(type, name, expr) (_UST_FLOAT, type, name, expr, 0)
/* ctf_float_nowrite(type, name, expr): declared, not recorded. */
#define ctf_float_nowrite(type, name, expr) (_UST_FLOAT, type, name, expr, UST_FIELD_NOWRITE)
/* ctf_string(name, expr): a NUL-terminated string; NULL is recorded as "(null)". */
#define ctf_string(name, expr) (_UST_STRING, char, name, expr, 0)
/* ctf_string_nowrite(name, expr): declared, not recorded. */
#define ctf_string_nowrite(name, expr) (_UST_STRING, char, name, expr, UST_FIELD_NOWRITE)
/* ctf_array(type, name, src, len): `len` (a constant) integers of `type` from `src`. */
#define ctf_array(type, name, src, len) (_UST_ARRAY, type, name, src, 0, len)
/* ctf_array_hex(type, name, src, len): as ctf_array, elements in hexadecimal. */
#define ctf_array_hex(type, name, src, len) (_UST_ARRAY, type, name, src, UST_FIELD_HEX, len)
/* ctf_array_network(type, name, src, len): elements already in network order. */
#define ctf_array_network(type, name, src, len) \
	(_UST_ARRAY, type, name, src, UST_FIELD_NETWORK, len)
/* ctf_array_network_hex(type, name, src, len): big-endian, hexadecimal. */
#define ctf_array_network_hex(type, name, src, len) \
	(_UST_ARRAY, type, name, src, UST_FIELD_NETWORK | UST_FIELD_HEX, len)
/* ctf_array_text(char, name, src, len): `len` bytes shown as text. */
#define ctf_array_text(type, name, src, len) (_UST_ARRAY, type, name, src, UST_FIELD_TEXT, len)
/* ctf_array_nowrite(type, name, src, len): declared, not recorded. */
#define ctf_array_nowrite(type, name, src, len) \
	(_UST_ARRAY, type, name, src, UST_FIELD_NOWRITE, len)
/* ctf_array_nowrite_hex(type, name, src, len): declared, not recorded. */
#define ctf_array_nowrite_hex(type, name, src, len) \
	(_UST_ARRAY, type, name, src, UST_FIELD_NOWRITE | UST_FIELD_HEX, len)
/* ctf_array_network_nowrite(type, name, src, len): declared, not recorded. */
#define ctf_array_network_nowrite(type, name, src, len) \
	(_UST_ARRAY, type, name, src, UST_FIELD_NOWRITE | UST_FIELD_NETWORK, len)
/* ctf_array_network_nowrite_hex(type, name, src, len): declared, not recorded. */
#define ctf_array_network_nowrite_hex(type, name, src, len) \
	(_UST_ARRAY, type, name, src, UST_FIELD_NOWRITE | UST_FIELD_NETWORK | UST_FIELD_HEX, len)
/* ctf_array_text_nowrite(char, name, src, len): declared, not recorded. */
#define ctf_array_text_nowrite(type, name, src, len) \
	(_UST_ARRAY, type, name, src, UST_FIELD_NOWRITE | UST_FIELD_TEXT, len)
/*
 * ctf_sequence(type, name, src, len_type, len): `len` integers of `type`
 * from `src`, preceded by a `_name_length` field of type `len_type`.
 */
#define ctf_sequence(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, 0, len_type, len)
/* ctf_sequence_hex(...): as ctf_sequence, elements in hexadecimal. */
#define ctf_sequence_hex(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, UST_FIELD_HEX, len_type, len)
/* ctf_sequence_network(...): elements already in network order. */
#define ctf_sequence_network(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, UST_FIELD_NETWORK, len_type, len)
/* ctf_sequence_network_hex(...): big-endian, hexadecimal. */
#define ctf_sequence_network_hex(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, UST_FIELD_NETWORK | UST_FIELD_HEX, len_type, len)
/* ctf_sequence_text(char, name, src, len_type, len): `len` bytes shown as text. */
#define ctf_sequence_text(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, UST_FIELD_TEXT, len_type, len)
/* ctf_sequence_nowrite(...): declared, not recorded. */
#define ctf_sequence_nowrite(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, UST_FIELD_NOWRITE, len_type, len)
/* ctf_sequence_nowrite_hex(...): declared, not recorded. */
#define ctf_sequence_nowrite_hex(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, UST_FIELD_NOWRITE | UST_FIELD_HEX, len_type, len)
/* ctf_sequence_network_nowrite(...): declared, not recorded. */
#define ctf_sequence_network_nowrite(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, UST_FIELD_NOWRITE | UST_FIELD_NETWORK, len_type, len)
/* ctf_sequence_network_nowrite_hex(...): declared, not recorded. */
#define ctf_sequence_network_nowrite_hex(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, UST_FIELD_NOWRITE | UST_FIELD_NETWORK | UST_FIELD_HEX, \
	 len_type, len)
/* ctf_sequence_text_nowrite(...): declared, not recorded. */
#define ctf_sequence_text_nowrite(type, name, src, len_type, len) \
	(_UST_SEQ, type, name, src, UST_FIELD_NOWRITE | UST_FIELD_TEXT, len_type, len)
/*
 * ctf_enum(provider, enum, type, name, expr): an integer of `type` shown
 * with the labels of TRACEPOINT_ENUM(provider, enum, ...).
 */
#define ctf_enum(prov, ename, type, name, expr) (_UST_ENUM, type, name, expr, 0, prov, ename)
/* ctf_enum_nowrite(provider, enum, type, name, expr): declared, not recorded. */
#define ctf_enum_nowrite(prov, ename, type, name, expr) \
	(_UST_ENUM, type, name, expr, UST_FIELD_NOWRITE, prov, ename)
/* ctf_unused(expr): marks a TP_ARGS parameter as deliberately unused. */
#define ctf_unused(expr) (_UST_NONE, void, _, expr, 0)
/* ctf_unused_nowrite(expr): same as ctf_unused. */
#define ctf_unused_nowrite(expr) (_UST_NONE, void, _, expr, 0)

/* ctf_enum_value(label, value): one label of a TRACEPOINT_ENUM. */
#define ctf_enum_value(label, value) (label, value, value, 0)
/* ctf_enum_range(label, first, last): a label for first..last inclusive. */
#define ctf_enum_range(label, first, last) (label, first, last, 0)
/* ctf_enum_auto(label): the previous label's last value plus one. */
#define ctf_enum_auto(label) (label, 0, 0, 1)

/* ---- Checking TP_FIELDS (internal) ------------------------------------- */

/*
 * Every field macro above expands to a parenthesised tuple. _UST_FIELDS_REST
 * walks past the leading tuples of a TP_FIELDS list and leaves what follows
 * them: nothing when every field is one UST knows, else the first unknown
 * macro call onward (say, a newer tracer's blob field), which the call-site
 * pass reports by name in a static assertion. The other passes then see no
 * field at all, so that one message is all the compiler prints.
 */
#define _UST_CHECK_A(...) _UST_CHECK_B
#define _UST_CHECK_B(...) _UST_CHECK_A
#define _UST_REST__UST_CHECK_A
#define _UST_REST__UST_CHECK_B
#define _UST_FIELDS_REST(fields) _UST_CAT(_UST_REST_, _UST_CHECK_A fields)
/* 1 when `rest` (empty, or starting with an identifier) is empty, else 0. */
#define _UST_SECOND(...) _UST_SECOND_I(__VA_ARGS__)
#define _UST_SECOND_I(a, b, ...) b
#define _UST_EMPTY_PROBE_ ~, 1
#define _UST_IS_EMPTY(rest) _UST_SECOND(_UST_EMPTY_PROBE(rest), 0, ~)
#define _UST_EMPTY_PROBE(rest) _UST_EMPTY_PROBE_I(rest)
#define _UST_EMPTY_PROBE_I(rest) _UST_EMPTY_PROBE_##rest
#define _UST_IF_1(yes, no) yes
#define _UST_IF_0(yes, no) no
#define _UST_FIELDS_OK(fields) _UST_IS_EMPTY(_UST_FIELDS_REST(fields))
/* `fields` when it holds only known field macros, else nothing. */
#define _UST_VALID_FIELDS(fields) _UST_CAT(_UST_IF_, _UST_FIELDS_OK(fields))(fields, )
/* A static assertion naming what is wrong in `fields`. */
#define _UST_BAD_FIELDS(provider, cls, fields)                                   \
	_UST_STATIC_ASSERT(0, "UST: TP_FIELDS of " #provider ":" #cls ": not a field " \
			      "macro UST knows, at: " _UST_STR(_UST_FIELDS_REST(fields)));

/* ---- Serialization helpers (internal) ---------------------------------- */

/* Copy `n` bytes to *p and advance *p. */
static inline void _ust_put(char **p, const void *src, size_t n)
{
	memcpy(*p, src, n);
	*p += n;
}

#define _UST_NOWRITE(flags) (((flags)&UST_FIELD_NOWRITE) != 0)

/*
 * Pass "size": statements adding each field's size to __ust_len. Strings
 * and sequences evaluate their source here, once, into locals that the
 * write pass reuses.
 */
#define _UST_SIZE_ONE(kind, ...) _UST_CAT(_UST_SIZE_, kind)(__VA_ARGS__)
#define _UST_SIZE_A(...) _UST_SIZE_ONE(__VA_ARGS__) _UST_SIZE_B
#define _UST_SIZE_B(...) _UST_SIZE_ONE(__VA_ARGS__) _UST_SIZE_A
#define _UST_SIZE_A_END
#define _UST_SIZE_B_END
#define _UST_SIZE_ALL(fields) _UST_CAT(_UST_SIZE_A fields, _END)
#define _UST_SIZE__UST_INT(type, name, expr, flags) \
	__ust_len += _UST_NOWRITE(flags) ? 0 : sizeof(type);
#define _UST_SIZE__UST_FLOAT _UST_SIZE__UST_INT
#define _UST_SIZE__UST_ENUM(type, name, expr, flags, prov, ename) \
	_UST_SIZE__UST_INT(type, name, expr, flags)
#define _UST_SIZE__UST_NONE(type, name, expr, flags)
#define _UST_SIZE__UST_STRING(type, name, expr, flags)                         \
	const char *__ust_str_##name = "";                                     \
	size_t __ust_slen_##name = 0;                                          \
	if (!_UST_NOWRITE(flags)) {                                            \
		__ust_str_##name = (expr);                                     \
		if (!__ust_str_##name)                                         \
			__ust_str_##name = "(null)";                           \
		__ust_slen_##name = strlen(__ust_str_##name) + 1;              \
		__ust_len += __ust_slen_##name;                                \
	}
#define _UST_SIZE__UST_ARRAY(type, name, src, flags, len) \
	__ust_len += _UST_NOWRITE(flags) ? 0 : sizeof(type) * (size_t)(len);
#define _UST_SIZE__UST_SEQ(type, name, src, flags, len_type, len)                 \
	len_type __ust_seqlen_##name = 0;                                          \
	if (!_UST_NOWRITE(flags)) {                                                \
		__ust_seqlen_##name = (len_type)(len);                             \
		__ust_len += sizeof(len_type) + sizeof(type) * (size_t)__ust_seqlen_##name; \
	}

/* Pass "write": statements copying each field to __ust_p. */
#define _UST_WRITE_ONE(kind, ...) _UST_CAT(_UST_WRITE_, kind)(__VA_ARGS__)
#define _UST_WRITE_A(...) _UST_WRITE_ONE(__VA_ARGS__) _UST_WRITE_B
#define _UST_WRITE_B(...) _UST_WRITE_ONE(__VA_ARGS__) _UST_WRITE_A
#define _UST_WRITE_A_END
#define _UST_WRITE_B_END
#define _UST_WRITE_ALL(fields) _UST_CAT(_UST_WRITE_A fields, _END)
#define _UST_WRITE__UST_INT(type, name, expr, flags)                               \
	if (!_UST_NOWRITE(flags)) {                                                \
		type __ust_v = (type)(expr);                                       \
		_ust_put(&__ust_p, &__ust_v, sizeof(__ust_v));   \
	}
#define _UST_WRITE__UST_FLOAT _UST_WRITE__UST_INT
#define _UST_WRITE__UST_ENUM(type, name, expr, flags, prov, ename) \
	_UST_WRITE__UST_INT(type, name, expr, flags)
#define _UST_WRITE__UST_NONE(type, name, expr, flags)
#define _UST_WRITE__UST_STRING(type, name, expr, flags)                      \
	if (!_UST_NOWRITE(flags))                                            \
		_ust_put(&__ust_p, __ust_str_##name, __ust_slen_##name);
#define _UST_WRITE__UST_ARRAY(type, name, src, flags, len)                       \
	if (!_UST_NOWRITE(flags))                                                \
		_ust_put(&__ust_p, (const void *)(src), sizeof(type) * (size_t)(len));
#define _UST_WRITE__UST_SEQ(type, name, src, flags, len_type, len)                   \
	if (!_UST_NOWRITE(flags)) {                                                  \
		_ust_put(&__ust_p, &__ust_seqlen_##name, sizeof(len_type));          \
		_ust_put(&__ust_p, (const void *)(src),                              \
			 sizeof(type) * (size_t)__ust_seqlen_##name);                \
	}

/*
 * Pass "values" (run only when the handle has value tests, ABI 1.2):
 * statements storing each recorded integer field's value, converted to
 * int64_t, in __ust_v[__ust_n++]; other recorded fields take a slot they
 * leave unset, so that slot i is the event's i-th recorded field, as the
 * tests count them. _UST_NVALUES_ALL counts the slots ("+ 1" per field).
 */
#define _UST_NVALUES_ONE(kind, ...) _UST_CAT(_UST_NVALUES_, kind)(__VA_ARGS__)
#define _UST_NVALUES_A(...) _UST_NVALUES_ONE(__VA_ARGS__) _UST_NVALUES_B
#define _UST_NVALUES_B(...) _UST_NVALUES_ONE(__VA_ARGS__) _UST_NVALUES_A
#define _UST_NVALUES_A_END
#define _UST_NVALUES_B_END
#define _UST_NVALUES_ALL(fields) _UST_CAT(_UST_NVALUES_A fields, _END)
#define _UST_NVALUES__UST_INT(type, name, expr, flags) +!_UST_NOWRITE(flags)
#define _UST_NVALUES__UST_FLOAT _UST_NVALUES__UST_INT
#define _UST_NVALUES__UST_STRING _UST_NVALUES__UST_INT
#define _UST_NVALUES__UST_ENUM(type, name, expr, flags, prov, ename) +!_UST_NOWRITE(flags)
#define _UST_NVALUES__UST_ARRAY(type, name, src, flags, len) +!_UST_NOWRITE(flags)
#define _UST_NVALUES__UST_SEQ(type, name, src, flags, len_type, len) +!_UST_NOWRITE(flags)
#define _UST_NVALUES__UST_NONE(...)

#define _UST_VALUE_ONE(kind, ...) _UST_CAT(_UST_VALUE_, kind)(__VA_ARGS__)
#define _UST_VALUE_A(...) _UST_VALUE_ONE(__VA_ARGS__) _UST_VALUE_B
#define _UST_VALUE_B(...) _UST_VALUE_ONE(__VA_ARGS__) _UST_VALUE_A
#define _UST_VALUE_A_END
#define _UST_VALUE_B_END
#define _UST_VALUE_ALL(fields) _UST_CAT(_UST_VALUE_A fields, _END)
#define _UST_VALUE__UST_INT(type, name, expr, flags) \
	if (!_UST_NOWRITE(flags))                    \
		__ust_v[__ust_n++] = (int64_t)(type)(expr);
#define _UST_VALUE__UST_ENUM(type, name, expr, flags, prov, ename) \
	_UST_VALUE__UST_INT(type, name, expr, flags)
#define _UST_VALUE__UST_FLOAT(type, name, expr, flags) __ust_n += !_UST_NOWRITE(flags);
#define _UST_VALUE__UST_STRING _UST_VALUE__UST_FLOAT
#define _UST_VALUE__UST_ARRAY(type, name, src, flags, len) __ust_n += !_UST_NOWRITE(flags);
#define _UST_VALUE__UST_SEQ(type, name, src, flags, len_type, len) \
	__ust_n += !_UST_NOWRITE(flags);
#define _UST_VALUE__UST_NONE(...)

/*
 * The handle's value tests (see struct ust_event_test), or NULL: none, or a
 * libust older than ABI 1.2, whose handles end before them.
 */
static inline const struct ust_event_test *_ust_event_test(const struct ust_event_handle *h)
{
	if (h->struct_size < offsetof(struct ust_event_handle, reserve_tested) +
				     sizeof(h->reserve_tested))
		return NULL;
	return __atomic_load_n(&h->test, __ATOMIC_ACQUIRE);
}

/*
 * Whether an event whose recorded fields have the values `v` (n slots)
 * passes `t`: its tests in order, until one decides (one holding under ||,
 * one failing under &&).
 */
static inline int _ust_event_test_passes(const struct ust_event_test *t, const int64_t *v,
					 uint32_t n)
{
	const uint32_t any = t->any & 1;
	const uint32_t nr = t->nr_tests < UST_EVENT_TEST_MAX ? t->nr_tests : UST_EVENT_TEST_MAX;
	uint32_t i;
	for (i = 0; i < nr; i++) {
		const struct ust_value_test *c = &t->tests[i];
		uint32_t holds;
		if (c->field >= n)
			return 0;
		holds = ((uint64_t)v[c->field] - (uint64_t)c->lo <= c->span) ^ (c->outside & 1);
		if (holds == any)
			return (int)any;
	}
	return (int)!any;
}

/* ---- Firing tracepoints ------------------------------------------------- */

/* The handle of a tracepoint: NULL while it is disabled (internal). */
#define _UST_HANDLE(provider, name) \
	__atomic_load_n(&__ust_tp__##provider##___##name.handle, __ATOMIC_RELAXED)

/*
 * tracepoint(provider, event, args...): record the event if it is enabled.
 * Disabled, it costs one load and one predicted branch; the arguments are
 * not evaluated.
 */
#define tracepoint(...) _UST_TRACEPOINT(__VA_ARGS__)
#define _UST_TRACEPOINT(provider, name, ...)                                        \
	do {                                                                        \
		const struct ust_event_handle *__ust_h = _UST_HANDLE(provider, name); \
		if (__builtin_expect(__ust_h != NULL, 0))                           \
			__ust_cb__##provider##___##name(__ust_h, ##__VA_ARGS__);    \
	} while (0)

/*
 * tracepoint_enabled(provider, event): non-zero when the event is being
 * recorded, to skip expensive argument preparation.
 */
#define tracepoint_enabled(provider, name) \
	__builtin_expect(_UST_HANDLE(provider, name) != NULL, 0)

/* do_tracepoint(provider, event, args...): fire after tracepoint_enabled(). */
#define do_tracepoint(...) _UST_TRACEPOINT(__VA_ARGS__)

/* ---- Tracepoint definition and registration (TRACEPOINT_DEFINE) -------- */

#ifdef TRACEPOINT_DEFINE

/*
 * TRACEPOINT_WEAK_DEFINITIONS: defined, with TRACEPOINT_DEFINE and
 * TRACEPOINT_CREATE_PROBES, before a unit first includes <ust/tracepoint.h>,
 * by headers that define their provider in every unit including them
 * (those ust-dtrace generates). The tracepoints are then weak definitions,
 * of which the linker keeps one per module (program or shared library), and
 * <ust/tracepoint-event.h> registers the provider once per module.
 */
#ifdef TRACEPOINT_WEAK_DEFINITIONS
#define _UST_DEFINITION __attribute__((weak))
#else
#define _UST_DEFINITION
#endif

/*
 * Defines one tracepoint struct and lists it in this module's section, and
 * refers to its provider (see _UST_PROVIDER_REF).
 */
#define _UST_DEFINE_TRACEPOINT(provider, cls, name)                                \
	struct ust_tracepoint __ust_tp__##provider##___##name _UST_DEFINITION = {  \
		sizeof(struct ust_tracepoint), 0, #provider ":" #name,             \
		__ust_sig__##provider##___##cls, NULL};                            \
	static struct ust_tracepoint *__ust_tp_ptr__##provider##___##name          \
		__attribute__((used, section("__ust_tracepoints_ptrs"))) =         \
			&__ust_tp__##provider##___##name;                          \
	_UST_PROVIDER_REF(provider, name)

#ifdef TRACEPOINT_PROBE_DYNAMIC_LINKAGE
/* The provider is loaded at run time (LD_PRELOAD, dlopen): no reference. */
#define _UST_PROVIDER_REF(provider, name)
#else
/*
 * A reference to __ust_tracepoint_provider_<provider>, which the provider's
 * TRACEPOINT_CREATE_PROBES unit defines: the linker then takes the provider
 * object out of a static library, and keeps the provider's shared library
 * as a dependency under --as-needed. Without the provider, linking fails
 * ("undefined reference to __ust_tracepoint_provider_..."), as it does
 * with LTTng-UST.
 */
#define _UST_PROVIDER_REF(provider, name)                                          \
	_UST_EXTERN_C int __ust_tracepoint_provider_##provider;                    \
	static int *const __ust_provider_ref__##provider##___##name                \
		__attribute__((used)) = &__ust_tracepoint_provider_##provider;
#endif

extern struct ust_tracepoint *const __start___ust_tracepoints_ptrs[]
	__attribute__((weak, visibility("hidden")));
extern struct ust_tracepoint *const __stop___ust_tracepoints_ptrs[]
	__attribute__((weak, visibility("hidden")));
/* How many TRACEPOINT_DEFINE units of this module ran their constructor. */
int __ust_tracepoints_registered __attribute__((weak, visibility("hidden")));

#ifdef TRACEPOINT_PROBE_DYNAMIC_LINKAGE
/* libust.so.1, opened at run time: the program does not depend on it. */
void *__ust_tracepoints_lib __attribute__((weak, visibility("hidden")));

static void __attribute__((constructor)) __ust_tracepoints_init(void)
{
	int (*reg)(struct ust_tracepoint *const *, size_t);
	if (__ust_tracepoints_registered++ || !__start___ust_tracepoints_ptrs)
		return;
	__ust_tracepoints_lib = dlopen("libust.so.1", RTLD_NOW | RTLD_GLOBAL);
	if (!__ust_tracepoints_lib)
		return;
	*(void **)&reg = dlsym(__ust_tracepoints_lib, "ust_tracepoints_register");
	if (reg)
		reg(__start___ust_tracepoints_ptrs,
		    (size_t)(__stop___ust_tracepoints_ptrs - __start___ust_tracepoints_ptrs));
}

static void __attribute__((destructor)) __ust_tracepoints_fini(void)
{
	void (*unreg)(struct ust_tracepoint *const *);
	if (--__ust_tracepoints_registered || !__ust_tracepoints_lib)
		return;
	*(void **)&unreg = dlsym(__ust_tracepoints_lib, "ust_tracepoints_unregister");
	if (unreg)
		unreg(__start___ust_tracepoints_ptrs);
}
#else /* TRACEPOINT_PROBE_DYNAMIC_LINKAGE */
static void __attribute__((constructor)) __ust_tracepoints_init(void)
{
	if (__ust_tracepoints_registered++ || !__start___ust_tracepoints_ptrs)
		return;
	ust_tracepoints_register(__start___ust_tracepoints_ptrs,
				 (size_t)(__stop___ust_tracepoints_ptrs -
					  __start___ust_tracepoints_ptrs));
}

static void __attribute__((destructor)) __ust_tracepoints_fini(void)
{
	if (--__ust_tracepoints_registered || !__start___ust_tracepoints_ptrs)
		return;
	ust_tracepoints_unregister(__start___ust_tracepoints_ptrs);
}
#endif /* TRACEPOINT_PROBE_DYNAMIC_LINKAGE */

#else /* TRACEPOINT_DEFINE */
#define _UST_DEFINE_TRACEPOINT(provider, cls, name)
#endif /* TRACEPOINT_DEFINE */

#ifdef __cplusplus
}
#endif

/* ---- Provider-header statements ---------------------------------------- */

/*
 * Each statement expands its arguments (so a provider may be named by a
 * macro such as TRACEPOINT_PROVIDER) and hands them to an _UST_* macro that
 * the current pass defines: the call-site pass below, or one of the passes
 * of <ust/tracepoint-event.h>.
 */

/*
 * TRACEPOINT_EVENT_CLASS(provider, class, TP_ARGS(...), TP_FIELDS(...)):
 * a payload layout shared by TRACEPOINT_EVENT_INSTANCEs.
 */
#define TRACEPOINT_EVENT_CLASS(provider, cls, args, fields) \
	_UST_EVENT_CLASS(provider, cls, args, fields)

/*
 * TRACEPOINT_EVENT_INSTANCE(provider, class, event, TP_ARGS(...)): an event
 * with the payload of `class`.
 */
#define TRACEPOINT_EVENT_INSTANCE(provider, cls, name, args) \
	_UST_EVENT_INSTANCE(provider, cls, name, args)

/* TRACEPOINT_EVENT(provider, event, TP_ARGS(...), TP_FIELDS(...)): a class and its one instance. */
#define TRACEPOINT_EVENT(provider, name, args, fields)       \
	TRACEPOINT_EVENT_CLASS(provider, name, args, fields) \
	TRACEPOINT_EVENT_INSTANCE(provider, name, name, args)

/* TRACEPOINT_ENUM(provider, enum, TP_ENUM_VALUES(...)): labels for ctf_enum. */
#define TRACEPOINT_ENUM(provider, name, values) _UST_ENUM(provider, name, values)

/* TRACEPOINT_LOGLEVEL(provider, event, TRACE_*): the event's log level. */
#define TRACEPOINT_LOGLEVEL(provider, name, level) _UST_LOGLEVEL(provider, name, level)

/*
 * TRACEPOINT_MODEL_EMF_URI(provider, event, "uri"): a URI naming the
 * event's model, recorded as the event's `model.emf.uri` in the trace
 * metadata (as LTTng-UST does).
 */
#define TRACEPOINT_MODEL_EMF_URI(provider, name, uri) _UST_MODEL_EMF_URI(provider, name, uri)

/* The other styles this header offers: custom probes, kernel-style TRACE_EVENT. */
#include <ust/declare-trace.h>
#include <ust/trace-event.h>

#endif /* UST_TRACEPOINT_H */

/*
 * The call-site pass: what the provider-header statements mean in ordinary
 * code. Outside the include guard because <ust/tracepoint-event.h>
 * redefines these macros for its own passes and removes them when done.
 */
#ifndef _UST_EVENT_CLASS

/*
 * The class's signature and its out-of-line serializer (the filter's value
 * tests when the handle has some, then reserve, copy, commit); or, when
 * `fields` holds something else than field macros, a static assertion
 * saying so (and an empty serializer, so that nothing else fails).
 */
#define _UST_EVENT_CLASS(provider, cls, args, fields) \
	_UST_CAT(_UST_CLASS_, _UST_FIELDS_OK(fields))(provider, cls, args, fields)
#define _UST_CLASS_0(provider, cls, args, fields) \
	_UST_BAD_FIELDS(provider, cls, fields) _UST_CLASS_1(provider, cls, args, )
#define _UST_CLASS_1(provider, cls, args, fields)                                   \
	static const char __ust_sig__##provider##___##cls[] _UST_UNUSED = #fields; \
	static void __ust_ser__##provider##___##cls(                                \
		const struct ust_event_handle *__ust_h _UST_PARAMS args)            \
		__attribute__((noinline, unused));                                  \
	static void __ust_ser__##provider##___##cls(                                \
		const struct ust_event_handle *__ust_h _UST_PARAMS args)            \
	{                                                                           \
		size_t __ust_len = 0;                                               \
		struct ust_reservation __ust_r;                                     \
		char *__ust_p;                                                      \
		const struct ust_event_test *__ust_t = _ust_event_test(__ust_h);    \
		if (__ust_t != NULL) {                                              \
			int64_t __ust_v[1 _UST_NVALUES_ALL(fields)];                \
			uint32_t __ust_n = 0;                                       \
			__ust_v[0] = 0;                                             \
			_UST_VALUE_ALL(fields)                                      \
			if (!_ust_event_test_passes(__ust_t, __ust_v, __ust_n))     \
				return;                                             \
		}                                                                   \
		_UST_SIZE_ALL(fields)                                               \
		if (__ust_t != NULL)                                                \
			__ust_p = (char *)__ust_h->reserve_tested(__ust_h, __ust_t, \
								  __ust_len, &__ust_r); \
		else                                                                \
			__ust_p = (char *)__ust_h->reserve(__ust_h, __ust_len, &__ust_r); \
		if (__builtin_expect(__ust_p == NULL, 0))                           \
			return;                                                     \
		_UST_WRITE_ALL(fields)                                              \
		__ust_h->commit(&__ust_r);                                          \
	}

/*
 * The tracepoint's declaration and the call site's callback (and, in the
 * TRACEPOINT_DEFINE unit, the tracepoint itself).
 */
#define _UST_EVENT_INSTANCE(provider, cls, name, args)                                    \
	extern struct ust_tracepoint __ust_tp__##provider##___##name                      \
		__attribute__((visibility("hidden")));                                    \
	static inline void __ust_cb__##provider##___##name(                               \
		const struct ust_event_handle *__ust_h _UST_PARAMS args) _UST_UNUSED;     \
	static inline void __ust_cb__##provider##___##name(                               \
		const struct ust_event_handle *__ust_h _UST_PARAMS args)                  \
	{                                                                                 \
		__ust_ser__##provider##___##cls(__ust_h _UST_VARS args);                  \
	}                                                                                 \
	_UST_DEFINE_TRACEPOINT(provider, cls, name)

/* Enumerations, log levels and model URIs only matter to the event descriptions. */
#define _UST_ENUM(provider, name, values)
#define _UST_LOGLEVEL(provider, name, level)
#define _UST_MODEL_EMF_URI(provider, name, uri)

#endif /* _UST_EVENT_CLASS */
