/* Probes of provider "linked_shared", built as a shared library. */
#define TRACEPOINT_CREATE_PROBES
#include "tp_linked_shared.h"
