/*
 * lttng/tp/lttng-ust-tracef.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/tp/lttng-ust-tracef.h>, which holds the tracepoint provider inside LTTng-UST's tracef() (use <lttng/tracef.h>)"
