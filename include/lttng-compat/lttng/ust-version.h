/*
 * lttng/ust-version.h (UST compatibility) — the LTTng-UST API version these
 * compatibility headers implement: 2.13. Build systems read it (CMake's
 * FindLTTngUST, configure checks) and programs test it with #if. It says
 * nothing about UST's own version (see <ust/abi.h> for UST's ABI).
 */
#ifndef UST_LTTNG_COMPAT_UST_VERSION_H
#define UST_LTTNG_COMPAT_UST_VERSION_H

#define LTTNG_UST_MAJOR_VERSION 2
#define LTTNG_UST_MINOR_VERSION 13
#define LTTNG_UST_PATCHLEVEL_VERSION 0
#define LTTNG_UST_VERSION "2.13.0"

#endif /* UST_LTTNG_COMPAT_UST_VERSION_H */
