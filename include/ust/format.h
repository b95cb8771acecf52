/*
 * ust/format.h — the message formatter and recorders behind tracef and
 * tracelog (internal: include <ust/tracef.h> or <ust/tracelog.h>).
 *
 * The message is what vsnprintf would print, byte for byte. Formats made
 * only of the common conversions without flags, width or precision (%d %i
 * %u %x %X %o %c %s %p %% with the h hh l ll z j t modifiers) are formatted
 * here, directly; any other format (floats, widths, ...) goes to vsnprintf.
 * Messages up to UST_FORMAT_STACK - 1 bytes are built on the stack; longer
 * ones in a heap buffer of their exact size (the only case that allocates).
 * The message is recorded as LTTng-UST records it: a 32-bit length and the
 * bytes, without NUL.
 */
#ifndef UST_FORMAT_H
#define UST_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ust/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Size of the stack buffer a message is formatted into. */
#define UST_FORMAT_STACK 512

/* Output of the formatter: writes what fits in `cap`, counts everything. */
struct __ust_sink {
	char *buf;
	size_t cap;
	size_t len;
};

static inline void __ust_sink_put(struct __ust_sink *s, const char *p, size_t n)
{
	if (s->len < s->cap) {
		size_t room = s->cap - s->len;
		memcpy(s->buf + s->len, p, n < room ? n : room);
	}
	s->len += n;
}

/* Appends one character (formats are mostly short runs: no memcpy call). */
static inline void __ust_sink_char(struct __ust_sink *s, char c)
{
	if (s->len < s->cap)
		s->buf[s->len] = c;
	s->len++;
}

/* Appends `v` in base 10, straight into the buffer when it fits. */
static inline void __ust_sink_decimal(struct __ust_sink *s, unsigned long long v)
{
	unsigned long long limit = 10;
	size_t n = 1;
	char tmp[20], *d;

	while (n < 20 && v >= limit) {
		n++;
		limit *= 10;
	}
	d = s->len + n <= s->cap ? s->buf + s->len + n : tmp + n;
	/* A constant divisor: the compiler multiplies instead of dividing. */
	do {
		*--d = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (s->len + n > s->cap)
		__ust_sink_put(s, tmp, n);
	else
		s->len += n;
}

/* Appends `v` in base 16 (lower or upper case) or 8. */
static inline void __ust_sink_pow2(struct __ust_sink *s, unsigned long long v, unsigned shift,
				   int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned long long mask = (1ULL << shift) - 1;
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = digits[v & mask];
		v >>= shift;
	} while (v);
	while (i < sizeof(tmp))
		__ust_sink_char(s, tmp[i++]);
}

/*
 * Formats `fmt` into `s` (vsnprintf's output, truncated to s->cap bytes,
 * s->len counting all); returns 0, or -1 when the format needs vsnprintf
 * (`ap` is then partly consumed: the caller uses its own copy).
 */
static inline int __ust_format_fast(struct __ust_sink *s, const char *fmt, va_list ap)
{
	while (*fmt) {
		unsigned long long u;
		int mod = 0; /* 'H': hh, 'h', 0, 'l': 64-bit */
		int is_signed;

		while (*fmt && *fmt != '%')
			__ust_sink_char(s, *fmt++);
		if (!*fmt)
			break;
		fmt++;
		if (*fmt == 'h') {
			mod = fmt[1] == 'h' ? 'H' : 'h';
			fmt += mod == 'H' ? 2 : 1;
		} else if (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't') {
			if (fmt[0] == 'l' && fmt[1] == 'l')
				fmt++;
			mod = 'l';
			fmt++;
		}
		switch (*fmt) {
		case '%':
			if (mod)
				return -1;
			__ust_sink_char(s, '%');
			fmt++;
			continue;
		case 's': {
			const char *str;
			if (mod)
				return -1;
			str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			__ust_sink_put(s, str, strlen(str));
			fmt++;
			continue;
		}
		case 'c': {
			char c;
			if (mod)
				return -1;
			c = (char)va_arg(ap, int);
			__ust_sink_char(s, c);
			fmt++;
			continue;
		}
		case 'p': {
			void *p;
			if (mod)
				return -1;
			p = va_arg(ap, void *);
			if (p) {
				__ust_sink_put(s, "0x", 2);
				__ust_sink_pow2(s, (unsigned long long)(uintptr_t)p, 4, 0);
			} else {
				__ust_sink_put(s, "(nil)", 5);
			}
			fmt++;
			continue;
		}
		case 'd':
		case 'i':
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			break;
		default:
			return -1;
		}
		is_signed = *fmt == 'd' || *fmt == 'i';
		if (mod == 'l')
			u = va_arg(ap, unsigned long long);
		else
			u = (unsigned long long)(is_signed ? (long long)va_arg(ap, int)
							   : (long long)va_arg(ap, unsigned int));
		if (is_signed) {
			long long v = mod == 'H' ? (signed char)u
				      : mod == 'h' ? (short)u
				      : mod == 'l' ? (long long)u
						   : (int)u;
			if (v < 0) {
				__ust_sink_char(s, '-');
				u = 0ULL - (unsigned long long)v;
			} else {
				u = (unsigned long long)v;
			}
			__ust_sink_decimal(s, u);
		} else {
			if (mod == 'H')
				u = (unsigned char)u;
			else if (mod == 'h')
				u = (unsigned short)u;
			else if (mod != 'l')
				u = (unsigned int)u;
			if (*fmt == 'u')
				__ust_sink_decimal(s, u);
			else
				__ust_sink_pow2(s, u, *fmt == 'o' ? 3 : 4, *fmt == 'X');
		}
		fmt++;
	}
	return 0;
}

/* Where a formatted message is: `text` (`len` bytes) and what to free. */
struct __ust_message {
	const char *text;
	size_t len;
	char *heap;
};

/*
 * Formats `fmt` with `ap` into `stack` (UST_FORMAT_STACK bytes) or, when
 * longer, a heap buffer; returns -1 if neither works (the event is dropped).
 */
static inline int __ust_format(struct __ust_message *m, char *stack, const char *fmt, va_list ap)
{
	struct __ust_sink s = {stack, UST_FORMAT_STACK, 0};
	va_list aq;
	int n;

	va_copy(aq, ap);
	m->heap = NULL;
	if (__ust_format_fast(&s, fmt, ap) == 0 && s.len < UST_FORMAT_STACK) {
		va_end(aq);
		m->text = stack;
		m->len = s.len;
		return 0;
	}
	n = vsnprintf(stack, UST_FORMAT_STACK, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	m->text = stack;
	m->len = (size_t)n;
	return n < UST_FORMAT_STACK ? 0 : 1;
}

/* Formats a message longer than the stack buffer into the heap. */
static inline int __ust_format_heap(struct __ust_message *m, const char *fmt, va_list ap)
{
	m->heap = (char *)malloc(m->len + 1);
	if (!m->heap)
		return -1;
	vsnprintf(m->heap, m->len + 1, fmt, ap);
	m->text = m->heap;
	return 0;
}

/* Appends the message as LTTng-UST records it: a uint32 length, the bytes. */
static inline char *__ust_put_message(char *p, const struct __ust_message *m)
{
	uint32_t len = (uint32_t)m->len;
	memcpy(p, &len, sizeof(len));
	memcpy(p + sizeof(len), m->text, m->len);
	return p + sizeof(len) + m->len;
}

/* Where a tracelog call is: recorded before the message. */
struct __ust_log_origin {
	int32_t line;
	const char *file;
	const char *func;
};

/* Appends tracelog's fields line, file and func. */
static inline char *__ust_put_origin(char *p, const struct __ust_log_origin *o, size_t file_len,
				     size_t func_len)
{
	memcpy(p, &o->line, sizeof(o->line));
	p += sizeof(o->line);
	memcpy(p, o->file, file_len);
	p += file_len;
	memcpy(p, o->func, func_len);
	return p + func_len;
}

/*
 * Records one message event: tracelog's origin fields when `o` is not NULL
 * (nothing for tracef), then the message formatted from `fmt` and `ap`.
 */
static inline void __ust_record_message(const struct ust_event_handle *h,
					const struct __ust_log_origin *o, const char *fmt,
					va_list ap)
{
	char stack[UST_FORMAT_STACK];
	size_t file_len = 0, func_len = 0, origin_len = 0;
	struct __ust_message m;
	struct ust_reservation r;
	va_list aq;
	char *p;
	int how;

	va_copy(aq, ap);
	how = __ust_format(&m, stack, fmt, ap);
	if (how == 1)
		how = __ust_format_heap(&m, fmt, aq);
	va_end(aq);
	if (how < 0 || m.len > UINT32_MAX) {
		free(m.heap);
		return;
	}
	if (o) {
		file_len = strlen(o->file) + 1;
		func_len = strlen(o->func) + 1;
		origin_len = sizeof(o->line) + file_len + func_len;
	}
	p = (char *)h->reserve(h, origin_len + sizeof(uint32_t) + m.len, &r);
	if (p) {
		if (o)
			p = __ust_put_origin(p, o, file_len, func_len);
		__ust_put_message(p, &m);
		h->commit(&r);
	}
	if (m.heap)
		free(m.heap);
}

#ifdef __cplusplus
}
#endif

#endif /* UST_FORMAT_H */
