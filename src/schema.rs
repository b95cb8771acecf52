//! The owned, validated description of events: what libust keeps of the
//! C descriptors a provider registers, and what the metadata writer reads.

/// An integer's encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Int {
    pub bits: u32,
    pub signed: bool,
    pub hex: bool,
    /// Stored big-endian.
    pub network: bool,
    /// 8-bit elements shown as UTF-8 text.
    pub text: bool,
}

/// One enumeration label and its inclusive value range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumLabel {
    pub label: String,
    pub start: i64,
    pub end: i64,
}

/// The recorded type of a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    Integer(Int),
    Float {
        bits: u32,
    },
    String,
    Array {
        elem: Int,
        len: u32,
    },
    Sequence {
        elem: Int,
        len_int: Int,
    },
    Enum {
        container: Int,
        labels: Vec<EnumLabel>,
    },
}

/// One recorded payload field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: FieldType,
}

/// One event as registered by its provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSchema {
    /// "provider:event".
    pub name: String,
    pub loglevel: i32,
    /// Must equal the call site's for the event to be enabled.
    pub signature: String,
    pub fields: Vec<Field>,
    /// `TRACEPOINT_MODEL_EMF_URI`, written as the event's `model.emf.uri`.
    pub model_emf_uri: Option<String>,
}

/// The log level of events that declare none (TRACE_DEBUG_LINE).
pub const DEFAULT_LOGLEVEL: i32 = 13;
