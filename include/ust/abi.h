/*
 * ust/abi.h — the binary interface between instrumented code and libust.so.1.
 *
 * Every struct here is shared between code compiled into applications and
 * the library, so each one starts with its own size (`struct_size`), only
 * ever grows at the end, and is checked against the Rust definitions in
 * src/abi.rs by a test (tests/abi_layout.rs). Applications never fill these
 * structs by hand: the macros of <ust/tracepoint.h> and
 * <ust/tracepoint-event.h> do.
 *
 * Conventions: strings are NUL-terminated and owned by the caller for the
 * lifetime of the registration; a NULL pointer means "absent".
 */
#ifndef UST_ABI_H
#define UST_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version: the major is the soname's (libust.so.1). */
#define UST_ABI_MAJOR 1
#define UST_ABI_MINOR 2

/* What a field descriptor describes. */
enum ust_field_kind {
	UST_FIELD_END = 0,      /* terminates a field array */
	UST_FIELD_INTEGER = 1,  /* ctf_integer and variants */
	UST_FIELD_FLOAT = 2,    /* ctf_float: 32 or 64 bits */
	UST_FIELD_STRING = 3,   /* ctf_string: NUL-terminated bytes */
	UST_FIELD_ARRAY = 4,    /* ctf_array: fixed number of integers */
	UST_FIELD_SEQUENCE = 5, /* ctf_sequence: length field, then integers */
	UST_FIELD_ENUM = 6      /* ctf_enum: an integer mapped to labels */
};

/* Field flags (apply to the integer, or to the elements of an array). */
#define UST_FIELD_SIGNED     (1u << 0) /* two's complement */
#define UST_FIELD_HEX        (1u << 1) /* displayed in base 16 */
#define UST_FIELD_NETWORK    (1u << 2) /* given and stored in network (big-endian) order */
#define UST_FIELD_TEXT       (1u << 3) /* 8-bit elements are UTF-8 text */
#define UST_FIELD_NOWRITE    (1u << 4) /* not recorded in the trace */
#define UST_FIELD_LEN_SIGNED (1u << 5) /* the sequence length type is signed */

/* One label of an enumeration: values start..end (inclusive). */
struct ust_enum_entry {
	uint32_t struct_size;
	uint32_t is_auto; /* 1: value is the previous entry's end + 1 */
	const char *label;
	int64_t start;
	int64_t end;
};

/* An enumeration declared with TRACEPOINT_ENUM. */
struct ust_enum_desc {
	uint32_t struct_size;
	uint32_t nr_entries;
	const char *name; /* "provider_enumname" */
	const struct ust_enum_entry *entries;
};

/* One field of an event's payload, in recording order. */
struct ust_field_desc {
	uint32_t struct_size;
	uint16_t kind;  /* enum ust_field_kind */
	uint16_t flags; /* UST_FIELD_* */
	const char *name;
	uint32_t elem_bits; /* size of the integer, float or element */
	uint32_t length;    /* ARRAY: number of elements */
	uint32_t len_bits;  /* SEQUENCE: size of the length integer */
	uint32_t reserved;
	const struct ust_enum_desc *enum_desc; /* ENUM only */
};

/* One event, as its provider describes it. */
struct ust_event_desc {
	uint32_t struct_size;
	uint32_t nr_fields;
	const char *name; /* "provider:event" */
	const struct ust_field_desc *fields;
	const int *loglevel;   /* NULL: TRACE_DEBUG_LINE (13) */
	const char *signature; /* must equal the call site's */
	/* End of ABI 1.0. Since 1.1: */
	const char *model_emf_uri; /* NULL: none (TRACEPOINT_MODEL_EMF_URI) */
};

/* A tracepoint provider: registered by the TRACEPOINT_CREATE_PROBES unit. */
struct ust_provider_desc {
	uint32_t struct_size;
	uint32_t nr_events;
	const char *name;
	const struct ust_event_desc *const *events;
	uint32_t abi_major;
	uint32_t abi_minor;
};

/* Space reserved in a ring buffer, from reserve to commit. Opaque. */
struct ust_reservation {
	uint64_t opaque[4];
};

/*
 * Since ABI 1.2: one comparison of an integer field's value with a constant,
 * stated as a range. `value` is the field's C value converted to int64_t; the
 * test holds when (uint64_t)(value - lo) <= span, or, with `outside`, when it
 * does not.
 */
struct ust_value_test {
	uint32_t field;   /* index among the event's recorded (not _nowrite) fields */
	uint32_t outside; /* 1: holds outside the range; 0: inside */
	int64_t lo;
	uint64_t span;
};

/* Most tests in one struct ust_event_test. */
#define UST_EVENT_TEST_MAX 8

/*
 * Since ABI 1.2: an event's filter when it is only comparisons of integer
 * fields with constants, joined by && or by ||, which the generated
 * serializer runs on the tracepoint's arguments before reserving room (see
 * _ust_event_test_passes in <ust/tracepoint.h>). Owned by libust, immutable
 * and never freed.
 */
struct ust_event_test {
	uint32_t struct_size;
	uint32_t nr_tests; /* 1..UST_EVENT_TEST_MAX */
	uint32_t any;      /* 1: passes when a test holds (||); 0: when all hold (&&) */
	uint32_t reserved;
	struct ust_value_test tests[UST_EVENT_TEST_MAX];
};

/*
 * An enabled event, owned by libust and never freed. Call sites receive it
 * from their tracepoint and serialize the payload between `reserve` (which
 * returns where to write `payload_len` bytes, or NULL when the event is
 * dropped) and `commit`.
 *
 * Since ABI 1.2 (read only when `struct_size` covers them): `test`, loaded
 * atomically, is NULL or the event's filter as value tests. A serializer
 * that ran `test` and found the event passing reserves with
 * `reserve_tested`, naming the test it ran, so that libust does not filter
 * the event again (unless the filter changed meanwhile).
 */
struct ust_event_handle {
	uint32_t struct_size;
	uint32_t event_id;
	void *(*reserve)(const struct ust_event_handle *handle, size_t payload_len,
			 struct ust_reservation *res);
	void (*commit)(struct ust_reservation *res);
	/* End of ABI 1.1. Since 1.2: */
	const struct ust_event_test *test;
	void *(*reserve_tested)(const struct ust_event_handle *handle,
				const struct ust_event_test *test, size_t payload_len,
				struct ust_reservation *res);
};

/* A call site's tracepoint, defined once per module by TRACEPOINT_DEFINE. */
struct ust_tracepoint {
	uint32_t struct_size;
	uint32_t reserved;
	const char *name;      /* "provider:event" */
	const char *signature; /* the stringified TP_FIELDS of its class */
	/* NULL while disabled; libust stores the handle when enabled. */
	const struct ust_event_handle *handle;
};

/* Register the providers of a module (called from constructors). */
int ust_provider_register(const struct ust_provider_desc *provider);
void ust_provider_unregister(const struct ust_provider_desc *provider);

/* Register the tracepoints of a module: `count` pointers from `tracepoints`. */
int ust_tracepoints_register(struct ust_tracepoint *const *tracepoints, size_t count);
void ust_tracepoints_unregister(struct ust_tracepoint *const *tracepoints);

#ifdef __cplusplus
}
#endif

#endif /* UST_ABI_H */
