/*
 * lttng/tracepoint-types.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/tracepoint-types.h>, which holds LTTng-UST's internal tracepoint structures (UST's are in <ust/abi.h>)"
