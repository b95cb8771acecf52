/*
 * lttng/tracepoint.h (UST compatibility) — build programs instrumented for
 * LTTng-UST 2.x unchanged against UST: `-I include/lttng-compat` (or
 * `pkg-config --cflags ust-lttng-compat`) and link with `-lust`.
 *
 * Maps the LTTng-UST 2.13 names (LTTNG_UST_TRACEPOINT_EVENT,
 * lttng_ust_field_integer, lttng_ust_tracepoint, ...) onto UST's, which
 * already carry the ≤ 2.12 names (TRACEPOINT_EVENT, ctf_integer,
 * tracepoint, ...).
 *
 * It includes the system headers LTTng-UST's <lttng/tracepoint.h> includes,
 * because instrumented programs rely on them (stderr, getpid(), dlopen(),
 * bool, assert(), ...), and LTTng-UST's version (<lttng/ust-version.h>).
 */
#if defined(LTTNG_UST_TRACEPOINT_DEFINE) && !defined(TRACEPOINT_DEFINE)
#define TRACEPOINT_DEFINE
#endif
#if defined(LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE) && !defined(TRACEPOINT_PROBE_DYNAMIC_LINKAGE)
#define TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#endif
#if defined(LTTNG_UST_TRACEPOINT_PROVIDER_HIDDEN_DEFINITION) && \
	!defined(TRACEPOINT_PROVIDER_HIDDEN_DEFINITION)
#define TRACEPOINT_PROVIDER_HIDDEN_DEFINITION
#endif

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/types.h>
#include <unistd.h>
#include <dlfcn.h>
#include <lttng/ust-api-compat.h>
#include <lttng/ust-config.h>
#include <lttng/ust-version.h>
#include <ust/tracepoint.h>

#ifndef UST_LTTNG_COMPAT_TRACEPOINT_H
#define UST_LTTNG_COMPAT_TRACEPOINT_H

/* Provider-header macros. */
#define LTTNG_UST_TRACEPOINT_EVENT TRACEPOINT_EVENT
#define LTTNG_UST_TRACEPOINT_EVENT_CLASS TRACEPOINT_EVENT_CLASS
#define LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(tmpl_provider, tmpl_name, provider, name, args) \
	TRACEPOINT_EVENT_INSTANCE(provider, tmpl_name, name, args)
#define LTTNG_UST_TRACEPOINT_LOGLEVEL TRACEPOINT_LOGLEVEL
#define LTTNG_UST_TRACEPOINT_MODEL_EMF_URI TRACEPOINT_MODEL_EMF_URI
#define LTTNG_UST_TRACEPOINT_ENUM TRACEPOINT_ENUM
#define LTTNG_UST_TP_ARGS TP_ARGS
#define LTTNG_UST_TP_FIELDS TP_FIELDS
#define LTTNG_UST_TP_ENUM_VALUES TP_ENUM_VALUES

/* Firing. */
#define lttng_ust_tracepoint tracepoint
#define lttng_ust_tracepoint_enabled tracepoint_enabled
#define lttng_ust_do_tracepoint do_tracepoint

/* Fields. */
#define lttng_ust_field_integer ctf_integer
#define lttng_ust_field_integer_hex ctf_integer_hex
#define lttng_ust_field_integer_network ctf_integer_network
#define lttng_ust_field_integer_network_hex ctf_integer_network_hex
#define lttng_ust_field_integer_nowrite ctf_integer_nowrite
#define lttng_ust_field_float ctf_float
#define lttng_ust_field_float_nowrite ctf_float_nowrite
#define lttng_ust_field_string ctf_string
#define lttng_ust_field_string_nowrite ctf_string_nowrite
#define lttng_ust_field_array ctf_array
#define lttng_ust_field_array_hex ctf_array_hex
#define lttng_ust_field_array_network ctf_array_network
#define lttng_ust_field_array_network_hex ctf_array_network_hex
#define lttng_ust_field_array_nowrite ctf_array_nowrite
#define lttng_ust_field_array_nowrite_hex ctf_array_nowrite_hex
#define lttng_ust_field_array_network_nowrite ctf_array_network_nowrite
#define lttng_ust_field_array_network_nowrite_hex ctf_array_network_nowrite_hex
#define lttng_ust_field_array_text ctf_array_text
#define lttng_ust_field_array_text_nowrite ctf_array_text_nowrite
#define lttng_ust_field_sequence ctf_sequence
#define lttng_ust_field_sequence_hex ctf_sequence_hex
#define lttng_ust_field_sequence_network ctf_sequence_network
#define lttng_ust_field_sequence_network_hex ctf_sequence_network_hex
#define lttng_ust_field_sequence_nowrite ctf_sequence_nowrite
#define lttng_ust_field_sequence_nowrite_hex ctf_sequence_nowrite_hex
#define lttng_ust_field_sequence_network_nowrite ctf_sequence_network_nowrite
#define lttng_ust_field_sequence_network_nowrite_hex ctf_sequence_network_nowrite_hex
#define lttng_ust_field_sequence_text ctf_sequence_text
#define lttng_ust_field_sequence_text_nowrite ctf_sequence_text_nowrite
#define lttng_ust_field_enum ctf_enum
#define lttng_ust_field_enum_nowrite ctf_enum_nowrite
#define lttng_ust_field_unused ctf_unused
#define lttng_ust_field_unused_nowrite ctf_unused_nowrite
#define lttng_ust_field_enum_value ctf_enum_value
#define lttng_ust_field_enum_range ctf_enum_range
#define lttng_ust_field_enum_auto ctf_enum_auto

/* Log levels. */
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_EMERG TRACE_EMERG
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_ALERT TRACE_ALERT
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_CRIT TRACE_CRIT
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR TRACE_ERR
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING TRACE_WARNING
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_NOTICE TRACE_NOTICE
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO TRACE_INFO
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_SYSTEM TRACE_DEBUG_SYSTEM
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROGRAM TRACE_DEBUG_PROGRAM
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROCESS TRACE_DEBUG_PROCESS
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_MODULE TRACE_DEBUG_MODULE
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_UNIT TRACE_DEBUG_UNIT
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_FUNCTION TRACE_DEBUG_FUNCTION
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE TRACE_DEBUG_LINE
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG TRACE_DEBUG

#endif /* UST_LTTNG_COMPAT_TRACEPOINT_H */
