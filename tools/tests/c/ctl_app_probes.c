/* The probes of ctl_app's provider alone, for a shared library (see two_providers.c). */
#define TRACEPOINT_CREATE_PROBES
#include "ctl_app_tp.h"
