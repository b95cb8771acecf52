//! The C and Rust views of the ABI agree: a C program compiled against
//! include/ust/abi.h prints every struct size and member offset and a few
//! constants, and each must equal what the Rust definitions in `ust::abi` say.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};
use std::process::Command;
use ust::abi::*;

fn rust_layout() -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: usize| {
        m.insert(k.to_string(), v);
    };
    put("ust_enum_entry", size_of::<EnumEntry>());
    put(
        "ust_enum_entry.struct_size",
        offset_of!(EnumEntry, struct_size),
    );
    put("ust_enum_entry.is_auto", offset_of!(EnumEntry, is_auto));
    put("ust_enum_entry.label", offset_of!(EnumEntry, label));
    put("ust_enum_entry.start", offset_of!(EnumEntry, start));
    put("ust_enum_entry.end", offset_of!(EnumEntry, end));
    put("ust_enum_desc", size_of::<EnumDesc>());
    put(
        "ust_enum_desc.struct_size",
        offset_of!(EnumDesc, struct_size),
    );
    put("ust_enum_desc.nr_entries", offset_of!(EnumDesc, nr_entries));
    put("ust_enum_desc.name", offset_of!(EnumDesc, name));
    put("ust_enum_desc.entries", offset_of!(EnumDesc, entries));
    put("ust_field_desc", size_of::<FieldDesc>());
    put(
        "ust_field_desc.struct_size",
        offset_of!(FieldDesc, struct_size),
    );
    put("ust_field_desc.kind", offset_of!(FieldDesc, kind));
    put("ust_field_desc.flags", offset_of!(FieldDesc, flags));
    put("ust_field_desc.name", offset_of!(FieldDesc, name));
    put("ust_field_desc.elem_bits", offset_of!(FieldDesc, elem_bits));
    put("ust_field_desc.length", offset_of!(FieldDesc, length));
    put("ust_field_desc.len_bits", offset_of!(FieldDesc, len_bits));
    put("ust_field_desc.reserved", offset_of!(FieldDesc, reserved));
    put("ust_field_desc.enum_desc", offset_of!(FieldDesc, enum_desc));
    put("ust_event_desc", size_of::<EventDesc>());
    put(
        "ust_event_desc.struct_size",
        offset_of!(EventDesc, struct_size),
    );
    put("ust_event_desc.nr_fields", offset_of!(EventDesc, nr_fields));
    put("ust_event_desc.name", offset_of!(EventDesc, name));
    put("ust_event_desc.fields", offset_of!(EventDesc, fields));
    put("ust_event_desc.loglevel", offset_of!(EventDesc, loglevel));
    put("ust_event_desc.signature", offset_of!(EventDesc, signature));
    put(
        "ust_event_desc.model_emf_uri",
        offset_of!(EventDesc, model_emf_uri),
    );
    put("ust_provider_desc", size_of::<ProviderDesc>());
    put(
        "ust_provider_desc.struct_size",
        offset_of!(ProviderDesc, struct_size),
    );
    put(
        "ust_provider_desc.nr_events",
        offset_of!(ProviderDesc, nr_events),
    );
    put("ust_provider_desc.name", offset_of!(ProviderDesc, name));
    put("ust_provider_desc.events", offset_of!(ProviderDesc, events));
    put(
        "ust_provider_desc.abi_major",
        offset_of!(ProviderDesc, abi_major),
    );
    put(
        "ust_provider_desc.abi_minor",
        offset_of!(ProviderDesc, abi_minor),
    );
    put("ust_reservation", size_of::<Reservation>());
    put("ust_event_handle", size_of::<EventHandle>());
    put(
        "ust_event_handle.struct_size",
        offset_of!(EventHandle, struct_size),
    );
    put(
        "ust_event_handle.event_id",
        offset_of!(EventHandle, event_id),
    );
    put("ust_event_handle.reserve", offset_of!(EventHandle, reserve));
    put("ust_event_handle.commit", offset_of!(EventHandle, commit));
    put("ust_event_handle.test", offset_of!(EventHandle, test));
    put(
        "ust_event_handle.reserve_tested",
        offset_of!(EventHandle, reserve_tested),
    );
    put("ust_value_test", size_of::<ValueTest>());
    put("ust_value_test.field", offset_of!(ValueTest, field));
    put("ust_value_test.outside", offset_of!(ValueTest, outside));
    put("ust_value_test.lo", offset_of!(ValueTest, lo));
    put("ust_value_test.span", offset_of!(ValueTest, span));
    put("ust_event_test", size_of::<EventTest>());
    put(
        "ust_event_test.struct_size",
        offset_of!(EventTest, struct_size),
    );
    put("ust_event_test.nr_tests", offset_of!(EventTest, nr_tests));
    put("ust_event_test.any", offset_of!(EventTest, any));
    put("ust_event_test.reserved", offset_of!(EventTest, reserved));
    put("ust_event_test.tests", offset_of!(EventTest, tests));
    put("ust_tracepoint", size_of::<Tracepoint>());
    put(
        "ust_tracepoint.struct_size",
        offset_of!(Tracepoint, struct_size),
    );
    put("ust_tracepoint.reserved", offset_of!(Tracepoint, reserved));
    put("ust_tracepoint.name", offset_of!(Tracepoint, name));
    put(
        "ust_tracepoint.signature",
        offset_of!(Tracepoint, signature),
    );
    put("ust_tracepoint.handle", offset_of!(Tracepoint, handle));
    put("UST_ABI_MAJOR", ABI_MAJOR as usize);
    put("UST_ABI_MINOR", ABI_MINOR as usize);
    put("UST_FIELD_NOWRITE", flag::NOWRITE as usize);
    put("UST_FIELD_LEN_SIGNED", flag::LEN_SIGNED as usize);
    put("UST_FIELD_ENUM", kind::ENUM as usize);
    put("UST_EVENT_TEST_MAX", EVENT_TEST_MAX);
    m
}

#[test]
fn c_and_rust_agree_on_every_size_offset_and_constant() {
    let dir = scratch("abi-layout");
    let exe = dir.join("abi_layout");
    compile(&[test_c("abi_layout.c")], &exe, &["-nolibust"]);
    let out = run_ok(&mut Command::new(&exe));
    let c: BTreeMap<String, usize> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect();
    assert_eq!(c, rust_layout());
}
