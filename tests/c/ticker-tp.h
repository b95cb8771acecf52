/*
 * A provider written for LTTng-UST (<lttng/...> headers): the merge test
 * builds it once with LTTng-UST and once with UST's compatibility headers.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ticker

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./ticker-tp.h"

#if !defined(TICKER_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define TICKER_TP_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(ticker, tick,
	TP_ARGS(const char *, tracer, int, n),
	TP_FIELDS(
		ctf_string(tracer, tracer)
		ctf_integer(int, n, n)
	)
)

#endif /* TICKER_TP_H */

#include <lttng/tracepoint-event.h>
