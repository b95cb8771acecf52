/* Types of cpp.d, from a C header as real provider files take them. */
#include <stdint.h>

typedef unsigned short port_t;
typedef int64_t offset_t;
