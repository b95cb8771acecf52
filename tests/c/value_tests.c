/*
 * value_tests: drives the serializer <ust/tracepoint.h> generates for
 * vt:mixed with handles made here (no libust), and checks how it uses a
 * handle's value tests (ABI 1.2): a rejected event is neither reserved nor
 * committed, a passing one is reserved with reserve_tested naming the test,
 * slots are the recorded fields in order, and a handle of ABI 1.1 (which
 * ends before `test`) is never read past its end. Prints "ok N checks".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "value-tests-tp.h"

static int reserves, tested_reserves, commits, checks;
static const struct ust_event_test *reserved_with;
static size_t reserved_len;
static char buffer[256];

static void *fake_reserve(const struct ust_event_handle *h, size_t len, struct ust_reservation *r)
{
	(void)h;
	(void)r;
	reserves++;
	reserved_len = len;
	return buffer;
}

static void *fake_reserve_tested(const struct ust_event_handle *h, const struct ust_event_test *t,
				 size_t len, struct ust_reservation *r)
{
	(void)h;
	(void)r;
	tested_reserves++;
	reserved_with = t;
	reserved_len = len;
	return buffer;
}

static void fake_commit(struct ust_reservation *r)
{
	(void)r;
	commits++;
}

#define CHECK(cond)                                                              \
	do {                                                                     \
		checks++;                                                        \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                 \
		}                                                                \
	} while (0)

/* The event's values; fire() records them through `h`. */
struct values {
	int8_t i8;
	uint64_t u64;
	int color;
	uint16_t port;
	uint8_t flag;
};

static const int32_t arr[2] = {7, 8};
/* Payload: "abc\0" + double + 2 int32 + (u8 len + 2 int32) + i8 + u64 + int + u16 + u8. */
static const size_t payload_len = 4 + 8 + 8 + 1 + 8 + 1 + 8 + 4 + 2 + 1;

/* Fires vt:mixed once; returns 1 when it was recorded (reserved and committed). */
static int fire(const struct ust_event_handle *h, struct values v)
{
	int before = commits;
	reserves = tested_reserves = 0;
	reserved_with = NULL;
	__ust_ser__vt___mixed(h, 99, "abc", 1.5, arr, v.i8, v.u64, v.color, v.port, v.flag);
	if (commits == before)
		return 0;
	CHECK(reserved_len == payload_len);
	return 1;
}

static struct ust_event_test one_test(uint32_t field, int64_t lo, uint64_t span, uint32_t outside)
{
	struct ust_event_test t;
	memset(&t, 0, sizeof(t));
	t.struct_size = sizeof(t);
	t.nr_tests = 1;
	t.tests[0].field = field;
	t.tests[0].lo = lo;
	t.tests[0].span = span;
	t.tests[0].outside = outside;
	return t;
}

int main(void)
{
	struct ust_event_handle h = {sizeof(h), 1, fake_reserve, fake_commit, NULL,
				     fake_reserve_tested};
	struct values base = {-5, UINT64_MAX, 1, 0x1234, 0x80};
	struct values other = base;
	struct ust_event_test t;

	/* No test: reserve, as before ABI 1.2. */
	CHECK(fire(&h, base) && reserves == 1 && tested_reserves == 0);

	/* i8 == -5 (slot 4, after a _nowrite, a string, a float, ctf_unused, an array, a sequence). */
	t = one_test(4, -5, 0, 0);
	h.test = &t;
	CHECK(fire(&h, base) && tested_reserves == 1 && reserves == 0 && reserved_with == &t);
	other.i8 = 5;
	CHECK(!fire(&h, other) && tested_reserves == 0 && reserves == 0);

	/* u64 is converted to int64_t: UINT64_MAX is -1, as LTTng compares it. */
	t = one_test(5, -1, 0, 0);
	CHECK(fire(&h, base));
	/* u64 < 0 is the range INT64_MIN..-1. */
	t = one_test(5, INT64_MIN, (uint64_t)INT64_MAX, 0);
	CHECK(fire(&h, base));
	other = base;
	other.u64 = 3;
	CHECK(!fire(&h, other));

	/* The enum (slot 6), the network integer as given (slot 7), the hex one (slot 8). */
	t = one_test(6, 1, 0, 0);
	CHECK(fire(&h, base));
	t = one_test(7, 0x1234, 0, 0);
	CHECK(fire(&h, base));
	t = one_test(8, 0x80, 0, 0);
	CHECK(fire(&h, base));
	t = one_test(8, 0x80, 0, 1); /* != 0x80 */
	CHECK(!fire(&h, base));

	/* A slot past the last field rejects the event. */
	t = one_test(9, 0, UINT64_MAX, 0);
	CHECK(!fire(&h, base));

	/* && chain: i8 == -5 && color == 0; || chain: the same tests. */
	t = one_test(4, -5, 0, 0);
	t.nr_tests = 2;
	t.tests[1].field = 6;
	t.tests[1].lo = 0;
	CHECK(!fire(&h, base));
	other = base;
	other.color = 0;
	CHECK(fire(&h, other));
	t.any = 1;
	CHECK(fire(&h, base));
	other = base;
	other.i8 = 0;
	CHECK(!fire(&h, other));
	other.color = 0;
	CHECK(fire(&h, other));

	/* A count beyond the struct's tests stops at UST_EVENT_TEST_MAX. */
	t = one_test(4, -5, 0, 0);
	t.nr_tests = 1000;
	{
		int i;
		for (i = 1; i < UST_EVENT_TEST_MAX; i++)
			t.tests[i] = t.tests[0];
	}
	CHECK(fire(&h, base));

	/* A handle of ABI 1.1 ends before `test`: the serializer must not read it. */
	t = one_test(4, 100, 0, 0); /* would reject */
	h.struct_size = (uint32_t)offsetof(struct ust_event_handle, test);
	CHECK(fire(&h, base) && reserves == 1 && tested_reserves == 0);

	printf("ok %d checks\n", checks);
	return 0;
}
