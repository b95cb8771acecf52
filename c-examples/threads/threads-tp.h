/* The provider of the threads example: one event per loop iteration. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER threads

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./threads-tp.h"

#if !defined(THREADS_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define THREADS_TP_H

#include <stdint.h>
#include <ust/tracepoint.h>

TRACEPOINT_EVENT(threads, tick,
	TP_ARGS(uint32_t, thread, uint64_t, seq),
	TP_FIELDS(
		ctf_integer(uint32_t, thread, thread)
		ctf_integer(uint64_t, seq, seq)
	)
)

#endif /* THREADS_TP_H */

#include <ust/tracepoint-event.h>
