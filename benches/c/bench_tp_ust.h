/*
 * Benchmark tracepoint provider "bench" for UST (<ust/...> headers): a
 * 3-integer event and a string + integer event.  bench_tp_lttng.h declares
 * the very same events for LTTng-UST.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER bench

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./bench_tp_ust.h"

#if !defined(BENCH_TP_UST_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define BENCH_TP_UST_H

#include <stdint.h>
#include <ust/tracepoint.h>

TRACEPOINT_EVENT(bench, int3,
	TP_ARGS(int64_t, a, int32_t, b, uint32_t, c),
	TP_FIELDS(
		ctf_integer(int64_t, a, a)
		ctf_integer(int32_t, b, b)
		ctf_integer(uint32_t, c, c)
	)
)

TRACEPOINT_EVENT(bench, str,
	TP_ARGS(const char *, s, int32_t, n),
	TP_FIELDS(
		ctf_string(s, s)
		ctf_integer(int32_t, n, n)
	)
)

#endif /* BENCH_TP_UST_H */

#include <ust/tracepoint-event.h>
