/*
 * lttng/ust-libc-wrapper.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/ust-libc-wrapper.h>, which holds LTTng-UST's libc wrapper (liblttng-ust-libc-wrapper)"
