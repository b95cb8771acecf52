/* The provider of the hello example: generates the event descriptions. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "hello-tp.h"
