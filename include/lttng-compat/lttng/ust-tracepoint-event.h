/*
 * lttng/ust-tracepoint-event.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/ust-tracepoint-event.h>, which holds the passes of LTTng-UST's own <lttng/tracepoint-event.h> (UST's are in <ust/tracepoint-event.h>)"
