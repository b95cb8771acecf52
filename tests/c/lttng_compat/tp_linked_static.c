/* Probes of provider "linked_static", archived alone in a static library. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "tp_linked_static.h"
