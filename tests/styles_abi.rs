//! The C and Rust views of the structs the other styles share with libust
//! agree (markers, custom probe sites, probes, reader records): a C program
//! compiled against the headers prints every size, offset and operation
//! code, and each must equal what the Rust definitions say.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::mem::{offset_of, size_of};
use std::process::Command;
use ust::grace::Reader;
use ust::marker::format::Op;
use ust::marker::Marker;
use ust::probe::{Probe, ProbeSite};

fn rust_layout() -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: usize| {
        m.insert(k.to_string(), v);
    };
    put("ust_marker", size_of::<Marker>());
    put("ust_marker.struct_size", offset_of!(Marker, struct_size));
    put("ust_marker.nr_ops", offset_of!(Marker, nr_ops));
    put("ust_marker.channel", offset_of!(Marker, channel));
    put("ust_marker.name", offset_of!(Marker, name));
    put("ust_marker.format", offset_of!(Marker, format));
    put("ust_marker.ops", offset_of!(Marker, ops));
    put("ust_marker.fixed_size", offset_of!(Marker, fixed_size));
    put("ust_marker.nr_strings", offset_of!(Marker, nr_strings));
    put("ust_marker.tp", offset_of!(Marker, tp));
    put("ust_probe", size_of::<Probe>());
    put("ust_probe.func", offset_of!(Probe, func));
    put("ust_probe.data", offset_of!(Probe, data));
    put("ust_probe_site", size_of::<ProbeSite>());
    put(
        "ust_probe_site.struct_size",
        offset_of!(ProbeSite, struct_size),
    );
    put("ust_probe_site.reserved", offset_of!(ProbeSite, reserved));
    put("ust_probe_site.name", offset_of!(ProbeSite, name));
    put("ust_probe_site.probes", offset_of!(ProbeSite, probes));
    put("ust_probe_reader", size_of::<Reader>());
    put(
        "ust_probe_reader.struct_size",
        offset_of!(Reader, struct_size),
    );
    put("ust_probe_reader.nesting", offset_of!(Reader, nesting));
    for (name, op) in [
        ("INT8", Op::Int8),
        ("INT16", Op::Int16),
        ("INT32", Op::Int32),
        ("INT64", Op::Int64),
        ("DOUBLE", Op::Double),
        ("STRING", Op::String),
        ("POINTER", Op::Pointer),
    ] {
        put(&format!("UST_MARKER_OP_{name}"), op as usize);
    }
    m
}

#[test]
fn c_and_rust_agree_on_the_styles_structs_and_codes() {
    let dir = scratch("styles-abi-layout");
    let exe = dir.join("abi_layout");
    compile(&[test_c("styles/abi_layout.c")], &exe, &[]);
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
