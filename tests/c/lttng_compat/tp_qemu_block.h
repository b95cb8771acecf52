/*
 * Tracepoint provider "qemu_block" in the LTTng-UST <= 2.12 style, shaped like
 * the header QEMU's "ust" trace backend generates (TRACEPOINT_EVENT, TP_ARGS,
 * ctf_integer, ctf_integer_hex for pointers, TP_ARGS(void)), plus the rest of
 * the 2.x field macros, event classes, log levels and enums.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER qemu_block

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./tp_qemu_block.h"

#if !defined(TP_QEMU_BLOCK_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define TP_QEMU_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <lttng/tracepoint.h>

/*
 * LTTng ust 2.0 does not allow you to use TP_ARGS(void) for tracepoints
 * requiring no arguments. We define these macros introduced in more recent
 * versions of LTTng ust as a workaround
 */
#ifndef _TP_EXPROTO1
#define _TP_EXPROTO1(a)       void
#endif
#ifndef _TP_EXDATA_PROTO1
#define _TP_EXDATA_PROTO1(a)  void *__tp_data
#endif
#ifndef _TP_EXDATA_VAR1
#define _TP_EXDATA_VAR1(a)    __tp_data
#endif
#ifndef _TP_EXVAR1
#define _TP_EXVAR1(a)
#endif

TRACEPOINT_ENUM(qemu_block, io_kind,
	TP_ENUM_VALUES(
		ctf_enum_value("READ", 0)
		ctf_enum_value("WRITE", 1)
		ctf_enum_range("VENDOR", 100, 199)
	)
)

TRACEPOINT_EVENT(
   qemu_block,
   bdrv_open_common,
   TP_ARGS(void *, bs, const char *, filename, int, flags, const char *, format_name),
   TP_FIELDS(
       ctf_integer_hex(void *, bs, bs)
       ctf_string(filename, filename)
       ctf_integer(int, flags, flags)
       ctf_string(format_name, format_name)
   )
)

TRACEPOINT_EVENT(
   qemu_block,
   vm_stop_flush_all,
   TP_ARGS(void),
   TP_FIELDS(
   )
)

TRACEPOINT_EVENT(
   qemu_block,
   blk_co_preadv,
   TP_ARGS(void *, blk, void *, bs, int64_t, offset, unsigned int, bytes, int, flags),
   TP_FIELDS(
       ctf_integer_hex(void *, blk, blk)
       ctf_integer_hex(void *, bs, bs)
       ctf_integer(int64_t, offset, offset)
       ctf_integer(unsigned int, bytes, bytes)
       ctf_integer(int, flags, flags)
   )
)

TRACEPOINT_EVENT(
   qemu_block,
   widths,
   TP_ARGS(int, k),
   TP_FIELDS(
       ctf_integer(int8_t, i8, -k)
       ctf_integer(uint8_t, u8, 200 + k)
       ctf_integer(int16_t, i16, -1000 * k)
       ctf_integer(uint16_t, u16, 60000 + k)
       ctf_integer(int32_t, i32, -100000 * k)
       ctf_integer(uint32_t, u32, 4000000000u + k)
       ctf_integer(int64_t, i64, -10000000000LL * k)
       ctf_integer(uint64_t, u64, 10000000000000000000ULL + k)
       ctf_integer(bool, flag, k & 1)
       ctf_integer_hex(uint16_t, h16, 0xbeef + k)
       ctf_integer_network(uint32_t, n32, 0x11223344 + k)
       ctf_integer_network_hex(uint64_t, nh64, 0x0102030405060708ULL + k)
       ctf_float(float, ratio, k / 4.0f)
       ctf_float(double, precise, k / 3.0)
   )
)

TRACEPOINT_EVENT(
   qemu_block,
   buffers,
   TP_ARGS(const uint32_t *, lbas, const char *, serial, const uint8_t *, sense, uint16_t, sense_len),
   TP_FIELDS(
       ctf_array(uint32_t, lbas, lbas, 3)
       ctf_array_text(char, serial, serial, 6)
       ctf_sequence(uint8_t, sense, sense, uint16_t, sense_len)
       ctf_sequence_text(char, model, serial, size_t, sense_len)
   )
)

TRACEPOINT_EVENT(
   qemu_block,
   io,
   TP_ARGS(int, kind, int64_t, sector, const char *, dev, const uint32_t *, lbas),
   TP_FIELDS(
       ctf_enum(qemu_block, io_kind, int, kind, kind)
       ctf_enum(qemu_block, io_kind, uint8_t, kind8, kind)
       ctf_integer(int64_t, sector, sector)
       ctf_integer_nowrite(int, kind_hidden, kind)
       ctf_float_nowrite(double, sector_f, sector)
       ctf_string_nowrite(dev_hidden, dev)
       ctf_array_nowrite(uint32_t, lbas_hidden, lbas, 3)
       ctf_array_text_nowrite(char, dev_text_hidden, dev, 2)
       ctf_sequence_nowrite(uint32_t, lbas_seq_hidden, lbas, size_t, 2)
       ctf_sequence_text_nowrite(char, dev_seq_hidden, dev, int, 2)
       ctf_enum_nowrite(qemu_block, io_kind, int, kind_enum_hidden, kind)
       ctf_string(dev, dev)
   )
)

TRACEPOINT_LOGLEVEL(qemu_block, io, TRACE_NOTICE)

#endif /* TP_QEMU_BLOCK_H */

#include <lttng/tracepoint-event.h>
