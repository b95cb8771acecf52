/*
 * Tracepoint provider "ust_needed" written with UST's own API: a shared
 * library the program links with --as-needed (see ust_linked.c). Its log
 * level and model URI name the provider through TRACEPOINT_PROVIDER.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ust_needed

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./ust_tp_needed.h"

#if !defined(UST_TP_NEEDED_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define UST_TP_NEEDED_H

#include <ust/tracepoint.h>

TRACEPOINT_EVENT(TRACEPOINT_PROVIDER, hit,
	TP_ARGS(int, round),
	TP_FIELDS(ctf_integer(int, round, round))
)
TRACEPOINT_LOGLEVEL(TRACEPOINT_PROVIDER, hit, TRACE_NOTICE)
TRACEPOINT_MODEL_EMF_URI(TRACEPOINT_PROVIDER, hit, "urn:example:ust_needed:hit")

#endif /* UST_TP_NEEDED_H */

#include <ust/tracepoint-event.h>
