/*
 * styles abi_layout: prints the size of every struct the other styles'
 * headers share with libust, and the offset of every member, one
 * "struct.member offset" line each, for tests/styles_abi.rs to compare
 * with the Rust definitions; and the marker operation codes.
 */
#include <stdio.h>
#include <ust/marker.h>
#include <ust/tracepoint.h>

#define SIZE(s) printf(#s " %zu\n", sizeof(struct s))
#define OFF(s, m) printf(#s "." #m " %zu\n", offsetof(struct s, m))

int main(void)
{
	SIZE(ust_marker);
	OFF(ust_marker, struct_size);
	OFF(ust_marker, nr_ops);
	OFF(ust_marker, channel);
	OFF(ust_marker, name);
	OFF(ust_marker, format);
	OFF(ust_marker, ops);
	OFF(ust_marker, fixed_size);
	OFF(ust_marker, nr_strings);
	OFF(ust_marker, tp);
	SIZE(ust_probe);
	OFF(ust_probe, func);
	OFF(ust_probe, data);
	SIZE(ust_probe_site);
	OFF(ust_probe_site, struct_size);
	OFF(ust_probe_site, reserved);
	OFF(ust_probe_site, name);
	OFF(ust_probe_site, probes);
	SIZE(ust_probe_reader);
	OFF(ust_probe_reader, struct_size);
	OFF(ust_probe_reader, nesting);
	printf("UST_MARKER_OP_INT8 %d\n", UST_MARKER_OP_INT8);
	printf("UST_MARKER_OP_INT16 %d\n", UST_MARKER_OP_INT16);
	printf("UST_MARKER_OP_INT32 %d\n", UST_MARKER_OP_INT32);
	printf("UST_MARKER_OP_INT64 %d\n", UST_MARKER_OP_INT64);
	printf("UST_MARKER_OP_DOUBLE %d\n", UST_MARKER_OP_DOUBLE);
	printf("UST_MARKER_OP_STRING %d\n", UST_MARKER_OP_STRING);
	printf("UST_MARKER_OP_POINTER %d\n", UST_MARKER_OP_POINTER);
	return 0;
}
