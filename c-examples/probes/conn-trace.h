/*
 * conn-trace.h — custom tracepoints of the probes example: declared here,
 * defined once (DEFINE_TRACE) in probes.c, fired with trace_conn_open()
 * and trace_conn_bytes().
 */
#ifndef CONN_TRACE_H
#define CONN_TRACE_H

#include <ust/tracepoint.h>

DECLARE_TRACE(conn_open, TP_PROTO(int fd, const char *peer), TP_ARGS(fd, peer))
DECLARE_TRACE(conn_bytes, TP_PROTO(int fd, long n), TP_ARGS(fd, n))

#endif
