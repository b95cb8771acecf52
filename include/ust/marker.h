/*
 * ust/marker.h — printf-style markers (UST 0.x): one line per event, no
 * provider header.
 *
 *     #include <ust/marker.h>
 *     trace_mark(myapp, request, "id %d path %s took_us %lu", id, path, us);
 *     ust_marker(started, "workers %d", n);     // the event ust:started
 *
 * records the event `myapp:request` with the typed CTF fields `id` (32-bit
 * signed integer), `path` (string) and `took_us` (64-bit unsigned integer).
 *
 * The format is a list of `fieldname %conversion` pairs: each conversion
 * takes the last word written before it as its field name (other words
 * and punctuation, as in "addr 0x%x", are allowed and ignored). It is
 * parsed once, when the program (or library) that holds the marker is
 * loaded — never on the hot path — into how much of each argument to
 * store. Conversions and what they record:
 *
 *   %d %i          signed integer     (hh: 8, h: 16, none: 32, l ll z j t: 64 bits)
 *   %u %o          unsigned integer   (same sizes; %o is shown in decimal)
 *   %x %X          unsigned integer shown in hexadecimal (same sizes)
 *   %c             one character (a 1-byte text array)
 *   %s             NUL-terminated string (NULL is recorded as "(null)")
 *   %p             64-bit unsigned integer shown in hexadecimal
 *   %f %lf %e %g %a (and upper case)  double
 *
 * Flags, widths and precisions written as digits are accepted and ignored.
 * A format that cannot be typed — a conversion with no field name, the
 * same name twice, %n, a '*' width or precision, %Lf, %ls, %% or an unknown
 * conversion — is refused when the marker registers, with one message on
 * stderr naming the marker ("ust: marker myapp:request: ..."); that marker
 * records nothing and the program runs on. The compiler checks the
 * arguments against the format as it does for printf (-Wformat).
 *
 * Cost: disabled, one load and one predicted branch (the arguments are not
 * evaluated); enabled, the arguments are put in 64-bit slots (by their C
 * type, known at compile time) and one recorder shared by the translation
 * unit stores what the format asks between reserve and commit. At most 20
 * arguments. Markers are registered by a constructor and
 * unregistered by a destructor, so dlclose() of a library removes them.
 * Two markers with the same channel and name must have the same format.
 */
#ifndef UST_MARKER_H
#define UST_MARKER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ust/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the recorder stores one argument (set by libust, from the format). */
enum ust_marker_op {
	UST_MARKER_OP_INT8 = 1,   /* 1 byte of the integer */
	UST_MARKER_OP_INT16 = 2,  /* 2 bytes of the integer */
	UST_MARKER_OP_INT32 = 3,  /* 4 bytes of the integer */
	UST_MARKER_OP_INT64 = 4,  /* 8 bytes of the integer */
	UST_MARKER_OP_DOUBLE = 5, /* the double, 8 bytes */
	UST_MARKER_OP_STRING = 6, /* the string's bytes and NUL */
	UST_MARKER_OP_POINTER = 7 /* the pointer, 8 bytes */
};

/*
 * One marker call site. The program fills the first five members; libust
 * fills the rest when it registers the marker (before the tracepoint can
 * be enabled), and sets tp.handle while the event is recorded.
 */
struct ust_marker {
	uint32_t struct_size;
	uint32_t nr_ops;       /* libust: entries of `ops` (one per argument) */
	const char *channel;   /* "ust" for ust_marker() */
	const char *name;
	const char *format;
	const uint8_t *ops;    /* libust: enum ust_marker_op, one per argument */
	uint32_t fixed_size;   /* libust: payload bytes of the non-string arguments */
	uint32_t nr_strings;   /* libust: how many arguments are strings */
	struct ust_tracepoint tp; /* libust: "channel:name", enabled through tp.handle */
};

/* Register/unregister the `count` markers of a module (its constructor does). */
int ust_markers_register(struct ust_marker *const *markers, size_t count);
void ust_markers_unregister(struct ust_marker *const *markers);

/* ---- The recorder (internal): one copy per translation unit ----------- */

/*
 * The call site hands its arguments over as 64-bit slots (integers
 * converted, doubles as their bits, pointers as addresses, see
 * __ust_marker_slot below); the format says how much of each to store.
 */

/* The string an argument slot holds. */
static inline const char *__ust_marker_str(uint64_t slot)
{
	const char *s = (const char *)(uintptr_t)slot;
	return s ? s : "(null)";
}

/* Copies every argument to `p` in the recorded layout (little-endian). */
static inline void __ust_marker_write(const uint8_t *ops, uint32_t n, char *p,
				      const uint64_t *args)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		switch (ops[i]) {
		case UST_MARKER_OP_INT8:
			memcpy(p, &args[i], 1);
			p += 1;
			break;
		case UST_MARKER_OP_INT16:
			memcpy(p, &args[i], 2);
			p += 2;
			break;
		case UST_MARKER_OP_INT32:
			memcpy(p, &args[i], 4);
			p += 4;
			break;
		case UST_MARKER_OP_STRING: {
			const char *s = __ust_marker_str(args[i]);
			size_t len = strlen(s) + 1;
			memcpy(p, s, len);
			p += len;
			break;
		}
		default:
			memcpy(p, &args[i], 8);
			p += 8;
			break;
		}
	}
}

/*
 * Records one enabled marker: size, reserve, copy, commit. A call with
 * another number of arguments than its format has conversions (possible
 * only when -Wformat is off) is not recorded.
 */
static void __ust_marker_record(const struct ust_marker *m, const struct ust_event_handle *h,
				const uint64_t *args, size_t count) __attribute__((noinline, unused));
static void __ust_marker_record(const struct ust_marker *m, const struct ust_event_handle *h,
				const uint64_t *args, size_t count)
{
	struct ust_reservation r;
	const uint8_t *ops;
	uint32_t i, n;
	size_t len;
	char *p;

	/* Pairs with libust's release store of tp.handle, after it set ops. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	ops = m->ops;
	n = m->nr_ops;
	if (__builtin_expect(count != n, 0))
		return;
	len = m->fixed_size;
	for (i = 0; m->nr_strings && i < n; i++)
		if (ops[i] == UST_MARKER_OP_STRING)
			len += strlen(__ust_marker_str(args[i])) + 1;
	p = (char *)h->reserve(h, len, &r);
	if (__builtin_expect(p == NULL, 0))
		return;
	__ust_marker_write(ops, n, p, args);
	h->commit(&r);
}

/* Never called: lets the compiler check the arguments against the format. */
static inline void __ust_marker_check_format(const char *format, ...)
	__attribute__((format(printf, 1, 2), unused));
static inline void __ust_marker_check_format(const char *format, ...)
{
	(void)format;
}

/* ---- Registration (internal) ------------------------------------------ */

extern struct ust_marker *const __start___ust_markers_ptrs[]
	__attribute__((weak, visibility("hidden")));
extern struct ust_marker *const __stop___ust_markers_ptrs[]
	__attribute__((weak, visibility("hidden")));
/* How many translation units of this module ran the constructor below. */
int __ust_markers_registered __attribute__((weak, visibility("hidden")));

/* The first unit of a module to start registers all the module's markers. */
static void __attribute__((constructor)) __ust_markers_init(void)
{
	if (__ust_markers_registered++ || !__start___ust_markers_ptrs)
		return;
	ust_markers_register(__start___ust_markers_ptrs,
			     (size_t)(__stop___ust_markers_ptrs - __start___ust_markers_ptrs));
}

/* The last unit of a module to stop unregisters them. */
static void __attribute__((destructor)) __ust_markers_fini(void)
{
	if (--__ust_markers_registered || !__start___ust_markers_ptrs)
		return;
	ust_markers_unregister(__start___ust_markers_ptrs);
}

/* ---- Argument slots (internal) --------------------------------------- */

/* A double's bits. */
static inline uint64_t __ust_marker_dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

#ifdef __cplusplus
}
/* __ust_marker_slot(x): x as a 64-bit slot (C++: by overload). */
template <typename T> static inline uint64_t __ust_marker_slot(T v)
{
	return (uint64_t)v;
}
template <typename T> static inline uint64_t __ust_marker_slot(T *v)
{
	return (uint64_t)(uintptr_t)v;
}
static inline uint64_t __ust_marker_slot(double v)
{
	return __ust_marker_dbits(v);
}
static inline uint64_t __ust_marker_slot(float v)
{
	return __ust_marker_dbits(v);
}
extern "C" {
#else
/* __ust_marker_slot(x): x as a 64-bit slot (C: by _Generic on its type). */
#define __ust_marker_slot(x)                                                            \
	_Generic((x), float: __ust_marker_dbits(_Generic((x), float: (x), default: 0.0)), \
		 double: __ust_marker_dbits(_Generic((x), double: (x), default: 0.0)),    \
		 default: (uint64_t)(uintptr_t)_Generic((x), float: 0, double: 0, default: (x)))
#endif

/*
 * ", slot(a1), slot(a2), ..." for 0 to 20 arguments: trace_mark counts its
 * own arguments (so that an omitted list counts 0 in C and C++ alike) and
 * passes the count with them.
 */
#define _UST_MARKER_COUNTDOWN 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, \
	3, 2, 1, 0
#define _UST_MARKER_NARGS(...) _UST_MARKER_NARGS_I(__VA_ARGS__)
#define _UST_MARKER_NARGS_I(_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, \
	_15, _16, _17, _18, _19, _20, N, ...) N
#define _UST_MARKER_CAT(a, b) _UST_MARKER_CAT_I(a, b)
#define _UST_MARKER_CAT_I(a, b) a##b
#define _UST_MARKER_SLOTS(n, ...) _UST_MARKER_CAT(_UST_MARKER_S, n)(__VA_ARGS__)
#define _UST_MARKER_S0(...)
#define _UST_MARKER_S1(a) , __ust_marker_slot(a)
#define _UST_MARKER_S2(a, ...) , __ust_marker_slot(a) _UST_MARKER_S1(__VA_ARGS__)
#define _UST_MARKER_S3(a, ...) , __ust_marker_slot(a) _UST_MARKER_S2(__VA_ARGS__)
#define _UST_MARKER_S4(a, ...) , __ust_marker_slot(a) _UST_MARKER_S3(__VA_ARGS__)
#define _UST_MARKER_S5(a, ...) , __ust_marker_slot(a) _UST_MARKER_S4(__VA_ARGS__)
#define _UST_MARKER_S6(a, ...) , __ust_marker_slot(a) _UST_MARKER_S5(__VA_ARGS__)
#define _UST_MARKER_S7(a, ...) , __ust_marker_slot(a) _UST_MARKER_S6(__VA_ARGS__)
#define _UST_MARKER_S8(a, ...) , __ust_marker_slot(a) _UST_MARKER_S7(__VA_ARGS__)
#define _UST_MARKER_S9(a, ...) , __ust_marker_slot(a) _UST_MARKER_S8(__VA_ARGS__)
#define _UST_MARKER_S10(a, ...) , __ust_marker_slot(a) _UST_MARKER_S9(__VA_ARGS__)
#define _UST_MARKER_S11(a, ...) , __ust_marker_slot(a) _UST_MARKER_S10(__VA_ARGS__)
#define _UST_MARKER_S12(a, ...) , __ust_marker_slot(a) _UST_MARKER_S11(__VA_ARGS__)
#define _UST_MARKER_S13(a, ...) , __ust_marker_slot(a) _UST_MARKER_S12(__VA_ARGS__)
#define _UST_MARKER_S14(a, ...) , __ust_marker_slot(a) _UST_MARKER_S13(__VA_ARGS__)
#define _UST_MARKER_S15(a, ...) , __ust_marker_slot(a) _UST_MARKER_S14(__VA_ARGS__)
#define _UST_MARKER_S16(a, ...) , __ust_marker_slot(a) _UST_MARKER_S15(__VA_ARGS__)
#define _UST_MARKER_S17(a, ...) , __ust_marker_slot(a) _UST_MARKER_S16(__VA_ARGS__)
#define _UST_MARKER_S18(a, ...) , __ust_marker_slot(a) _UST_MARKER_S17(__VA_ARGS__)
#define _UST_MARKER_S19(a, ...) , __ust_marker_slot(a) _UST_MARKER_S18(__VA_ARGS__)
#define _UST_MARKER_S20(a, ...) , __ust_marker_slot(a) _UST_MARKER_S19(__VA_ARGS__)

/* ---- Call sites ---------------------------------------------------------- */

/*
 * trace_mark(channel, name, format, args...): record the event
 * `channel:name` with one typed field per conversion of `format` (a string
 * literal), at most 20 arguments. Disabled: one load and one predicted
 * branch; the arguments are not evaluated.
 */
#define trace_mark(channel, name, format, ...)                                          \
	do {                                                                            \
		static struct ust_marker __ust_marker_site = {                          \
			sizeof(struct ust_marker), 0, #channel, #name, format, NULL, 0, 0, \
			{sizeof(struct ust_tracepoint), 0, NULL, NULL, NULL}};          \
		static struct ust_marker *__ust_marker_ptr                              \
			__attribute__((used, section("__ust_markers_ptrs"))) =          \
				&__ust_marker_site;                                     \
		const struct ust_event_handle *__ust_mh =                               \
			__atomic_load_n(&__ust_marker_site.tp.handle, __ATOMIC_RELAXED); \
		(void)__ust_marker_ptr;                                                 \
		if (0)                                                                  \
			__ust_marker_check_format(format, ##__VA_ARGS__);               \
		if (__builtin_expect(__ust_mh != NULL, 0)) {                            \
			const uint64_t __ust_margs[] = {0 _UST_MARKER_SLOTS(             \
				_UST_MARKER_NARGS(0, ##__VA_ARGS__, _UST_MARKER_COUNTDOWN), \
				__VA_ARGS__)};                                            \
			__ust_marker_record(&__ust_marker_site, __ust_mh, __ust_margs + 1,  \
					    sizeof(__ust_margs) / sizeof(__ust_margs[0]) - 1); \
		}                                                                       \
	} while (0)

/* ust_marker(name, format, args...): trace_mark on the channel `ust`. */
#define ust_marker(name, format, ...) trace_mark(ust, name, format, ##__VA_ARGS__)

/* MARK_NOARGS: the format of a marker without fields (UST 0.x spelling). */
#define MARK_NOARGS " "

#ifdef __cplusplus
}
#endif

#endif /* UST_MARKER_H */
