/* The probes of the `late` provider (see late_tp.h). */
#define TRACEPOINT_CREATE_PROBES
#include "late_tp.h"
