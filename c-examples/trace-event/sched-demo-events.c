/* The one unit that creates the sched_demo events (CREATE_TRACE_POINTS). */
#define CREATE_TRACE_POINTS
#include "sched-demo-trace.h"
