/*
 * lttng/ust-events.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/ust-events.h>, which holds LTTng-UST's internal probe and event structures (UST's are in <ust/abi.h>)"
