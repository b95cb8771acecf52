/*
 * Tracepoint provider "ust_archived" written with UST's own API: archived
 * alone in a static library (see ust_linked.c).
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ust_archived

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./ust_tp_archived.h"

#if !defined(UST_TP_ARCHIVED_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define UST_TP_ARCHIVED_H

#include <ust/tracepoint.h>

TRACEPOINT_EVENT(ust_archived, hit,
	TP_ARGS(int, round),
	TP_FIELDS(ctf_integer(int, round, round))
)

#endif /* UST_TP_ARCHIVED_H */

#include <ust/tracepoint-event.h>
