/*
 * lttng/ust-endian.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/ust-endian.h>, which holds LTTng-UST's internal byte-order macros (use <endian.h>)"
