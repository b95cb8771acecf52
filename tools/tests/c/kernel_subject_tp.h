/* Tracepoint provider of kernel_subject.c: one event marking each step of the program. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ksubject

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./kernel_subject_tp.h"

#if !defined(KERNEL_SUBJECT_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define KERNEL_SUBJECT_TP_H

#include <ust/tracepoint.h>

TRACEPOINT_EVENT(ksubject, step,
	TP_ARGS(const char *, what, int, i),
	TP_FIELDS(
		ctf_string(what, what)
		ctf_integer(int, i, i)
	)
)

#endif

#include <ust/tracepoint-event.h>
