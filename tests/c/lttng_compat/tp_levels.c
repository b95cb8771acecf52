/* Probes of provider "levels" (compiled as C or as C++). */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "tp_levels.h"
