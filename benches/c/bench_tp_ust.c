/* Probes and tracepoint definitions of the UST benchmark provider. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "bench_tp_ust.h"
