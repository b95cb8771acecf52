/* Probes of provider "ust_needed", built as a shared library. */
#define TRACEPOINT_CREATE_PROBES
#include "ust_tp_needed.h"
