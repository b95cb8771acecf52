/*
 * abi_layout: prints the size of every struct of <ust/abi.h> and the
 * offset of every member, one "struct.member offset" line each, for
 * tests/abi_layout.rs to compare with the Rust definitions.
 */
#include <stdio.h>
#include <ust/abi.h>

#define SIZE(s) printf(#s " %zu\n", sizeof(struct s))
#define OFF(s, m) printf(#s "." #m " %zu\n", offsetof(struct s, m))

int main(void)
{
	SIZE(ust_enum_entry);
	OFF(ust_enum_entry, struct_size);
	OFF(ust_enum_entry, is_auto);
	OFF(ust_enum_entry, label);
	OFF(ust_enum_entry, start);
	OFF(ust_enum_entry, end);
	SIZE(ust_enum_desc);
	OFF(ust_enum_desc, struct_size);
	OFF(ust_enum_desc, nr_entries);
	OFF(ust_enum_desc, name);
	OFF(ust_enum_desc, entries);
	SIZE(ust_field_desc);
	OFF(ust_field_desc, struct_size);
	OFF(ust_field_desc, kind);
	OFF(ust_field_desc, flags);
	OFF(ust_field_desc, name);
	OFF(ust_field_desc, elem_bits);
	OFF(ust_field_desc, length);
	OFF(ust_field_desc, len_bits);
	OFF(ust_field_desc, reserved);
	OFF(ust_field_desc, enum_desc);
	SIZE(ust_event_desc);
	OFF(ust_event_desc, struct_size);
	OFF(ust_event_desc, nr_fields);
	OFF(ust_event_desc, name);
	OFF(ust_event_desc, fields);
	OFF(ust_event_desc, loglevel);
	OFF(ust_event_desc, signature);
	OFF(ust_event_desc, model_emf_uri);
	SIZE(ust_provider_desc);
	OFF(ust_provider_desc, struct_size);
	OFF(ust_provider_desc, nr_events);
	OFF(ust_provider_desc, name);
	OFF(ust_provider_desc, events);
	OFF(ust_provider_desc, abi_major);
	OFF(ust_provider_desc, abi_minor);
	SIZE(ust_reservation);
	SIZE(ust_event_handle);
	OFF(ust_event_handle, struct_size);
	OFF(ust_event_handle, event_id);
	OFF(ust_event_handle, reserve);
	OFF(ust_event_handle, commit);
	OFF(ust_event_handle, test);
	OFF(ust_event_handle, reserve_tested);
	SIZE(ust_value_test);
	OFF(ust_value_test, field);
	OFF(ust_value_test, outside);
	OFF(ust_value_test, lo);
	OFF(ust_value_test, span);
	SIZE(ust_event_test);
	OFF(ust_event_test, struct_size);
	OFF(ust_event_test, nr_tests);
	OFF(ust_event_test, any);
	OFF(ust_event_test, reserved);
	OFF(ust_event_test, tests);
	SIZE(ust_tracepoint);
	OFF(ust_tracepoint, struct_size);
	OFF(ust_tracepoint, reserved);
	OFF(ust_tracepoint, name);
	OFF(ust_tracepoint, signature);
	OFF(ust_tracepoint, handle);
	printf("UST_ABI_MAJOR %d\nUST_ABI_MINOR %d\n", UST_ABI_MAJOR, UST_ABI_MINOR);
	printf("UST_FIELD_NOWRITE %u\nUST_FIELD_LEN_SIGNED %u\n", UST_FIELD_NOWRITE, UST_FIELD_LEN_SIGNED);
	printf("UST_FIELD_ENUM %d\n", UST_FIELD_ENUM);
	printf("UST_EVENT_TEST_MAX %d\n", UST_EVENT_TEST_MAX);
	return 0;
}
