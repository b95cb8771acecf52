/* The provider of the threads example. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "threads-tp.h"
