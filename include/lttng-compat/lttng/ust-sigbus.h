/*
 * lttng/ust-sigbus.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/ust-sigbus.h>, which holds LTTng-UST's consumer SIGBUS handling (liblttng-ust-ctl)"
