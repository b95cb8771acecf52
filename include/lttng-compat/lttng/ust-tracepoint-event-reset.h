/*
 * lttng/ust-tracepoint-event-reset.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/ust-tracepoint-event-reset.h>, which holds a pass of LTTng-UST's own <lttng/tracepoint-event.h> (UST's passes are in <ust/tracepoint-event.h>)"
