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
 * loaded — never on the hot path — into a list of argument kinds that the
 * recorder below walks with va_arg. Conversions and what they record:
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
 * evaluated); enabled, one call to a recorder shared by the whole
 * translation unit, which walks the argument kinds twice (size, then copy)
 * between reserve and commit. Markers are registered by a constructor and
 * unregistered by a destructor, so dlclose() of a library removes them.
 * Two markers with the same channel and name must have the same format.
 */
#ifndef UST_MARKER_H
#define UST_MARKER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ust/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the recorder reads and stores one argument (set by libust). */
enum ust_marker_op {
	UST_MARKER_OP_INT8 = 1,   /* va_arg(int), 1 byte stored */
	UST_MARKER_OP_INT16 = 2,  /* va_arg(int), 2 bytes stored */
	UST_MARKER_OP_INT32 = 3,  /* va_arg(int), 4 bytes stored */
	UST_MARKER_OP_INT64 = 4,  /* va_arg(long long), 8 bytes stored */
	UST_MARKER_OP_DOUBLE = 5, /* va_arg(double), 8 bytes stored */
	UST_MARKER_OP_STRING = 6, /* va_arg(const char *), bytes and NUL stored */
	UST_MARKER_OP_POINTER = 7 /* va_arg(void *), 8 bytes stored */
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

/* Bytes the string arguments take, NUL included (pass 1). */
static inline size_t __ust_marker_strings_size(const struct ust_marker *m, va_list ap)
{
	size_t len = 0;
	uint32_t i;

	for (i = 0; i < m->nr_ops; i++) {
		switch (m->ops[i]) {
		case UST_MARKER_OP_INT64:
			(void)va_arg(ap, long long);
			break;
		case UST_MARKER_OP_DOUBLE:
			(void)va_arg(ap, double);
			break;
		case UST_MARKER_OP_STRING: {
			const char *s = va_arg(ap, const char *);
			len += strlen(s ? s : "(null)") + 1;
			break;
		}
		case UST_MARKER_OP_POINTER:
			(void)va_arg(ap, void *);
			break;
		default:
			(void)va_arg(ap, int);
			break;
		}
	}
	return len;
}

/* Copies every argument to `p` in the recorded layout (pass 2). */
static inline void __ust_marker_write(const struct ust_marker *m, char *p, va_list ap)
{
	uint32_t i;

	for (i = 0; i < m->nr_ops; i++) {
		switch (m->ops[i]) {
		case UST_MARKER_OP_INT8: {
			int8_t v = (int8_t)va_arg(ap, int);
			memcpy(p, &v, 1);
			p += 1;
			break;
		}
		case UST_MARKER_OP_INT16: {
			int16_t v = (int16_t)va_arg(ap, int);
			memcpy(p, &v, 2);
			p += 2;
			break;
		}
		case UST_MARKER_OP_INT32: {
			int32_t v = (int32_t)va_arg(ap, int);
			memcpy(p, &v, 4);
			p += 4;
			break;
		}
		case UST_MARKER_OP_INT64: {
			long long v = va_arg(ap, long long);
			memcpy(p, &v, 8);
			p += 8;
			break;
		}
		case UST_MARKER_OP_DOUBLE: {
			double v = va_arg(ap, double);
			memcpy(p, &v, 8);
			p += 8;
			break;
		}
		case UST_MARKER_OP_STRING: {
			const char *s = va_arg(ap, const char *);
			size_t n;
			if (!s)
				s = "(null)";
			n = strlen(s) + 1;
			memcpy(p, s, n);
			p += n;
			break;
		}
		default: {
			uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
			memcpy(p, &v, 8);
			p += 8;
			break;
		}
		}
	}
}

/* Records one enabled marker: size, reserve, copy, commit. */
static void __ust_marker_record(const struct ust_marker *m, const struct ust_event_handle *h,
				...) __attribute__((noinline, unused));
static void __ust_marker_record(const struct ust_marker *m, const struct ust_event_handle *h,
				...)
{
	struct ust_reservation r;
	size_t len;
	va_list ap;
	char *p;

	/* Pairs with libust's release store of tp.handle, after it set ops. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	len = m->fixed_size;
	if (m->nr_strings) {
		va_start(ap, h);
		len += __ust_marker_strings_size(m, ap);
		va_end(ap);
	}
	p = (char *)h->reserve(h, len, &r);
	if (__builtin_expect(p == NULL, 0))
		return;
	va_start(ap, h);
	__ust_marker_write(m, p, ap);
	va_end(ap);
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

/* ---- Call sites ---------------------------------------------------------- */

/*
 * trace_mark(channel, name, format, args...): record the event
 * `channel:name` with one typed field per conversion of `format` (a string
 * literal). Disabled: one load and one predicted branch; the arguments are
 * not evaluated.
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
		if (__builtin_expect(__ust_mh != NULL, 0))                              \
			__ust_marker_record(&__ust_marker_site, __ust_mh, ##__VA_ARGS__); \
	} while (0)

/* ust_marker(name, format, args...): trace_mark on the channel `ust`. */
#define ust_marker(name, format, ...) trace_mark(ust, name, format, ##__VA_ARGS__)

/* MARK_NOARGS: the format of a marker without fields (UST 0.x spelling). */
#define MARK_NOARGS " "

#ifdef __cplusplus
}
#endif

#endif /* UST_MARKER_H */
