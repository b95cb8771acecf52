/*
 * lttng/ust-fork.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/ust-fork.h>, which holds LTTng-UST's fork and namespace notifications (UST handles fork() itself)"
