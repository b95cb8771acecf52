/* The provider of probe-tp.h, linked into the behaviour test programs. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "probe-tp.h"
