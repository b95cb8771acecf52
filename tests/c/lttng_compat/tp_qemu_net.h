/*
 * Second tracepoint provider, "qemu_net", in the LTTng-UST <= 2.12 style:
 * an event class with instances and the TRACE_* log levels.  QEMU compiles
 * several such provider headers into one probe object (tp_qemu_all.c).
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER qemu_net

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./tp_qemu_net.h"

#if !defined(TP_QEMU_NET_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define TP_QEMU_NET_H

#include <stdint.h>
#include <lttng/tracepoint.h>

TRACEPOINT_EVENT_CLASS(
   qemu_net,
   packet_class,
   TP_ARGS(const char *, nic, uint32_t, len, uint16_t, proto),
   TP_FIELDS(
       ctf_string(nic, nic)
       ctf_integer(uint32_t, len, len)
       ctf_integer_network_hex(uint16_t, proto, proto)
   )
)

TRACEPOINT_EVENT_INSTANCE(
   qemu_net,
   packet_class,
   net_rx,
   TP_ARGS(const char *, nic, uint32_t, len, uint16_t, proto)
)
TRACEPOINT_LOGLEVEL(qemu_net, net_rx, TRACE_DEBUG)

TRACEPOINT_EVENT_INSTANCE(
   qemu_net,
   packet_class,
   net_tx,
   TP_ARGS(const char *, nic, uint32_t, len, uint16_t, proto)
)
TRACEPOINT_LOGLEVEL(qemu_net, net_tx, TRACE_WARNING)

TRACEPOINT_EVENT(
   qemu_net,
   link_down,
   TP_ARGS(const char *, nic),
   TP_FIELDS(
       ctf_string(nic, nic)
   )
)
TRACEPOINT_LOGLEVEL(qemu_net, link_down, TRACE_EMERG)

#endif /* TP_QEMU_NET_H */

#include <lttng/tracepoint-event.h>
