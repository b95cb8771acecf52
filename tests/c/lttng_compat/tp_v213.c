/* Probe and tracepoint definitions of provider "compat213" (LTTng 2.13 style). */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "tp_v213.h"
