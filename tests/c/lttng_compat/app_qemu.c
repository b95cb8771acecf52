/*
 * Application instrumented in the LTTng-UST <= 2.12 style, the way QEMU's
 * generated trace functions call it (tracepoint(), tracepoint_enabled(),
 * do_tracepoint()).  It emits a fixed, deterministic sequence of events and
 * pins itself to one CPU so that event order is program order.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#include "tp_qemu_block.h"
#include "tp_qemu_net.h"

static void pin_to_first_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void trace_block(void)
{
	static const uint32_t lbas[3] = { 0, 4096, 4294967295u };
	static const uint8_t sense[4] = { 0x70, 0x00, 0x05, 0xff };
	void *bs = (void *) (uintptr_t) 0x55d0c0ffee00u;
	int k;

	tracepoint(qemu_block, bdrv_open_common, bs, "/var/lib/disk.qcow2", 0x2002, "qcow2");
	tracepoint(qemu_block, vm_stop_flush_all);
	tracepoint(qemu_block, blk_co_preadv, (void *) 0, bs, 1LL << 40, 65536, 0);
	for (k = 0; k < 3; k++)
		tracepoint(qemu_block, widths, k);
	/* Zero-length text first: see the babeltrace2 2.0.4 note in app_v213.c. */
	tracepoint(qemu_block, buffers, lbas, "S\0abcd", sense, 0);
	tracepoint(qemu_block, buffers, lbas, "SN1234", sense, 4);
	tracepoint(qemu_block, io, 0, 2048, "vda", lbas);
	tracepoint(qemu_block, io, 1, -1, "vdb", lbas);
	tracepoint(qemu_block, io, 150, 0, "sr0", lbas);
	tracepoint(qemu_block, io, 7, 1, "nvme0n1", lbas);
}

static void trace_net(void)
{
	uint32_t len;

	for (len = 60; len <= 1514; len += 727) {
		tracepoint(qemu_net, net_rx, "virtio-net0", len, 0x0800);
		if (tracepoint_enabled(qemu_net, net_tx))
			do_tracepoint(qemu_net, net_tx, "e1000", len + 4, 0x86dd);
	}
	tracepoint(qemu_net, link_down, "e1000");
}

int main(void)
{
	pin_to_first_cpu();
	trace_block();
	trace_net();
	puts("app_qemu done");
	return 0;
}
