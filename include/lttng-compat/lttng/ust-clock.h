/*
 * lttng/ust-clock.h (UST compatibility): UST has no equivalent
 * of this LTTng-UST header. Including it stops the build here, with
 * the reason, rather than silently picking up LTTng-UST's header of the
 * same name.
 */
#error "UST does not provide <lttng/ust-clock.h>, which holds LTTng-UST's clock override plugin API (UST picks its clock itself: see UST_CLOCK)"
