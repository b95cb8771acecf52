/*
 * two_providers: a program that does not link libust, whose two providers
 * (ctl_app's and `late`) are shared libraries it is started with through
 * LD_PRELOAD (as LTTng-UST's `demo` example is): each library registers its
 * provider from its own constructor, one after the other. The program
 * records one event of each as soon as main() starts; under a daemon, both
 * must be recorded.
 */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "ctl_app_tp.h"
#include "late_tp.h"

int main(void)
{
	tracepoint(ctl_app, info, 1, "first");
	tracepoint(late, hit, 2);
	return 0;
}
