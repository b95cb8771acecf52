/* The provider of the fields example. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "fields-tp.h"
