//! The CTF 1.8 writer: the binary layout of packet and event headers
//! (`header`) and the TSDL metadata describing a trace (`metadata`).
//! Every type is byte-aligned (`align = 8` bits), as LTTng-UST writes on
//! x86, so a payload's layout does not depend on where it lands in a packet.

pub mod header;
pub mod metadata;
pub mod walk;
