/* Probes and tracepoint definitions of provider "filt". */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "filter_tp.h"
