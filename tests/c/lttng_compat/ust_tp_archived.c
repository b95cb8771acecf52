/* Probes of provider "ust_archived", archived alone in a static library. */
#define TRACEPOINT_CREATE_PROBES
#include "ust_tp_archived.h"
