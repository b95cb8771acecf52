/*
 * Probe object for all "qemu_*" providers, as QEMU's generated ust.c does:
 * one translation unit with TRACEPOINT_DEFINE and TRACEPOINT_CREATE_PROBES
 * that includes every provider header.
 */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_CREATE_PROBES
#include "tp_qemu_block.h"
#include "tp_qemu_net.h"
