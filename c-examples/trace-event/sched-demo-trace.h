/*
 * sched-demo-trace.h — kernel-style trace header of the trace-event
 * example: TRACE_SYSTEM sched_demo, its events declared with TRACE_EVENT
 * and DECLARE_EVENT_CLASS/DEFINE_EVENT exactly as for Linux, the last line
 * including <ust/define_trace.h>.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM sched_demo

#if !defined(SCHED_DEMO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define SCHED_DEMO_TRACE_H

#include <stdint.h>
#include <string.h>
#include <ust/tracepoint.h>

TRACE_EVENT(switch_task,
	TP_PROTO(int prev, const char *next_comm, const int *cpus, int ncpus),
	TP_ARGS(prev, next_comm, cpus, ncpus),
	TP_STRUCT__entry(
		__field(int, prev)
		__array(char, tag, 4)
		__string(next, next_comm)
		__dynamic_array(int, cpus, ncpus)
		__field_hex(uint32_t, flags)
	),
	TP_fast_assign(
		__entry->prev = prev;
		memcpy(__entry->tag, "swt", 4);
		__assign_str(next, next_comm);
		memcpy(__get_dynamic_array(cpus), cpus, ncpus * sizeof(int));
		__entry->flags = (uint32_t)__get_dynamic_array_len(cpus);
	),
	TP_printk("prev=%d next=%s flags=%x", __entry->prev, __get_str(next), __entry->flags)
);

DECLARE_EVENT_CLASS(mem,
	TP_PROTO(const void *ptr, unsigned long size, double load),
	TP_ARGS(ptr, size, load),
	TP_STRUCT__entry(
		__field(const void *, ptr)
		__field(unsigned long, size)
		__field(double, load)
		__dynamic_array(char, label, 3)
	),
	TP_fast_assign(
		__entry->ptr = ptr;
		__entry->size = size;
		__entry->load = load;
		memcpy(__get_dynamic_array(label), size > 100 ? "big" : "sml", 3);
	),
	TP_printk("ptr=%p size=%lu", __entry->ptr, __entry->size)
);

DEFINE_EVENT(mem, mem_alloc,
	TP_PROTO(const void *ptr, unsigned long size, double load),
	TP_ARGS(ptr, size, load));

DEFINE_EVENT(mem, mem_free,
	TP_PROTO(const void *ptr, unsigned long size, double load),
	TP_ARGS(ptr, size, load));

#endif /* SCHED_DEMO_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE sched-demo-trace
#include <ust/define_trace.h>
