//! The Rust view of `include/ust/abi.h`: the descriptor structs shared with
//! compiled applications. Every struct is `#[repr(C)]`, starts with its own
//! size and only grows at the end; `tests/abi_layout.rs` compiles a C program
//! against the header and checks every size and offset against these.
//!
//! Nothing here dereferences anything: reading descriptors safely is the job
//! of `descriptor`.

use std::ffi::c_char;
use std::sync::atomic::AtomicPtr;

/// ABI major version (the soname's).
pub const ABI_MAJOR: u32 = 1;
/// ABI minor version.
pub const ABI_MINOR: u32 = 2;

/// `enum ust_field_kind`.
pub mod kind {
    pub const END: u16 = 0;
    pub const INTEGER: u16 = 1;
    pub const FLOAT: u16 = 2;
    pub const STRING: u16 = 3;
    pub const ARRAY: u16 = 4;
    pub const SEQUENCE: u16 = 5;
    pub const ENUM: u16 = 6;
}

/// `UST_FIELD_*` flags.
pub mod flag {
    pub const SIGNED: u16 = 1 << 0;
    pub const HEX: u16 = 1 << 1;
    pub const NETWORK: u16 = 1 << 2;
    pub const TEXT: u16 = 1 << 3;
    pub const NOWRITE: u16 = 1 << 4;
    pub const LEN_SIGNED: u16 = 1 << 5;
}

/// `struct ust_enum_entry`.
#[repr(C)]
pub struct EnumEntry {
    pub struct_size: u32,
    pub is_auto: u32,
    pub label: *const c_char,
    pub start: i64,
    pub end: i64,
}

/// `struct ust_enum_desc`.
#[repr(C)]
pub struct EnumDesc {
    pub struct_size: u32,
    pub nr_entries: u32,
    pub name: *const c_char,
    pub entries: *const EnumEntry,
}

/// `struct ust_field_desc`.
#[repr(C)]
pub struct FieldDesc {
    pub struct_size: u32,
    pub kind: u16,
    pub flags: u16,
    pub name: *const c_char,
    pub elem_bits: u32,
    pub length: u32,
    pub len_bits: u32,
    pub reserved: u32,
    pub enum_desc: *const EnumDesc,
}

/// `struct ust_event_desc`.
#[repr(C)]
pub struct EventDesc {
    pub struct_size: u32,
    pub nr_fields: u32,
    pub name: *const c_char,
    pub fields: *const FieldDesc,
    pub loglevel: *const i32,
    pub signature: *const c_char,
    /// Since ABI 1.1: read only when `struct_size` covers it.
    pub model_emf_uri: *const c_char,
}

/// `struct ust_provider_desc`.
#[repr(C)]
pub struct ProviderDesc {
    pub struct_size: u32,
    pub nr_events: u32,
    pub name: *const c_char,
    pub events: *const *const EventDesc,
    pub abi_major: u32,
    pub abi_minor: u32,
}

/// `struct ust_reservation`: what `reserve` hands to `commit`. Opaque to
/// C; `handle` gives the words their meaning.
#[repr(C)]
pub struct Reservation {
    pub words: [u64; 4],
}

/// `reserve` of `struct ust_event_handle`.
pub type ReserveFn = unsafe extern "C" fn(*const EventHandle, usize, *mut Reservation) -> *mut u8;
/// `commit` of `struct ust_event_handle`.
pub type CommitFn = unsafe extern "C" fn(*mut Reservation);

/// `reserve_tested` of `struct ust_event_handle` (since ABI 1.2).
pub type ReserveTestedFn =
    unsafe extern "C" fn(*const EventHandle, *const EventTest, usize, *mut Reservation) -> *mut u8;

/// `struct ust_event_handle`, followed by libust's private part.
#[repr(C)]
pub struct EventHandle {
    pub struct_size: u32,
    pub event_id: u32,
    pub reserve: ReserveFn,
    pub commit: CommitFn,
    /// Since ABI 1.2: the event's filter as value tests, or NULL.
    pub test: AtomicPtr<EventTest>,
    pub reserve_tested: ReserveTestedFn,
}

/// `struct ust_value_test` (since ABI 1.2).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ValueTest {
    pub field: u32,
    pub outside: u32,
    pub lo: i64,
    pub span: u64,
}

/// `UST_EVENT_TEST_MAX`.
pub const EVENT_TEST_MAX: usize = 8;

/// `struct ust_event_test` (since ABI 1.2).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventTest {
    pub struct_size: u32,
    pub nr_tests: u32,
    pub any: u32,
    pub reserved: u32,
    pub tests: [ValueTest; EVENT_TEST_MAX],
}

/// `struct ust_tracepoint`.
#[repr(C)]
pub struct Tracepoint {
    pub struct_size: u32,
    pub reserved: u32,
    pub name: *const c_char,
    pub signature: *const c_char,
    pub handle: AtomicPtr<EventHandle>,
}
