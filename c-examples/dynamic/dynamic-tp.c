/*
 * The provider library of the dynamic example:
 *   cc -shared -fPIC -I include dynamic-tp.c -o libdynamic-tp.so -lust
 */
#define TRACEPOINT_CREATE_PROBES
#include "dynamic-tp.h"
