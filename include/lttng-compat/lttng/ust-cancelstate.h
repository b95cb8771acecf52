/*
 * lttng/ust-cancelstate.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/ust-cancelstate.h>, which holds LTTng-UST's internal thread cancel-state helpers"
