//! Where a consumer's packets go: the `Output` trait a consumer appends
//! whole packets to (one stream per CPU buffer of its channel), and the
//! local one, `Files`: one stream file per CPU in a trace directory.
//!
//! The consumer decides what a packet is (it copies, checks and counts
//! it); an output only keeps it or says it could not. Three answers, each
//! with the consumer's guarantee kept:
//! - written: the whole packet is kept;
//! - lost (a full disk, an unreachable relay): nothing of it is kept, and
//!   the consumer counts its events as discarded in the packets that
//!   follow, so readers report them;
//! - not ready (`Output::ready` is false, a relay link busy sending): the
//!   consumer leaves the packet in the ring buffer for a later pass, where
//!   writers, finding the buffer full, discard and count new events.
//!
//! The daemon's outputs (rotation chunks, snapshot directories, relay
//! streams) build on this trait in `tools/src/daemon/`.

use crate::tracedir::TraceDir;
use std::fs::File;
use std::io::{self, Seek, Write};

/// One packet as the consumer hands it over: the CTF packet header and
/// context (`bytes[..header_len]`) followed by the events.
pub struct Packet<'a> {
    pub bytes: &'a [u8],
    pub header_len: usize,
    /// Events in the packet, when the consumer counted them.
    pub events: Option<u64>,
}

/// What became of an appended packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appended {
    Written,
    /// Nothing of the packet was kept, for this reason (a full disk).
    Lost(String),
}

/// The streams of one consumer, numbered as its channel's buffers.
pub trait Output: Send {
    /// Whether stream `stream` takes a packet now; when it does not, the
    /// consumer keeps the packet in the ring buffer and asks again later.
    fn ready(&mut self, _stream: usize) -> bool {
        true
    }

    /// Appends one whole packet to stream `stream`. An error is one the
    /// output cannot go on after (not a full disk: that is `Lost`).
    fn append(&mut self, stream: usize, packet: &Packet) -> io::Result<Appended>;

    /// Makes everything appended so far reach its destination.
    fn flush(&mut self) -> io::Result<()>;

    /// Stream `stream` holds nothing more until the time of `empty`, an
    /// empty packet at that time (header only) the output may use to say so
    /// (live viewers of a relay need it to move past a quiet stream); files
    /// ignore it.
    fn idle(&mut self, _stream: usize, _empty: &Packet) {}
}

/// One file per stream, `<prefix>_<cpu>` in a trace directory, created
/// afresh. A write that fails for lack of room is cut back to the end of
/// the previous packet, so a file only ever holds whole packets.
pub struct Files {
    files: Vec<(File, u64)>,
}

impl Files {
    /// Creates `<prefix>_<cpu>` in `dir` for each of `cpus`.
    pub fn create(dir: &TraceDir, prefix: &str, cpus: &[u32]) -> io::Result<Files> {
        let files = cpus
            .iter()
            .map(|cpu| Ok((dir.create(&format!("{prefix}_{cpu}"))?, 0)))
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Files { files })
    }

    /// The names `create` gives the stream files.
    pub fn names(prefix: &str, cpus: &[u32]) -> Vec<String> {
        cpus.iter().map(|cpu| format!("{prefix}_{cpu}")).collect()
    }
}

impl Output for Files {
    fn append(&mut self, stream: usize, packet: &Packet) -> io::Result<Appended> {
        let (file, len) = self
            .files
            .get_mut(stream)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no such stream"))?;
        match file.write_all(packet.bytes) {
            Ok(()) => {
                *len += packet.bytes.len() as u64;
                Ok(Appended::Written)
            }
            Err(e) if out_of_room(&e) => {
                file.set_len(*len)?;
                file.seek(io::SeekFrom::Start(*len))?;
                Ok(Appended::Lost(e.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.files.iter_mut().try_for_each(|(f, _)| f.flush())
    }
}

/// A full disk or an exhausted quota.
fn out_of_room(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ust-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn files_hold_the_packets_of_each_stream_in_order() {
        let d = scratch("files");
        // SAFETY: geteuid has no preconditions.
        let dir = TraceDir::open(&d, unsafe { libc::geteuid() }).unwrap();
        let mut out = Files::create(&dir, "p", &[0, 3]).unwrap();
        assert_eq!(Files::names("p", &[0, 3]), ["p_0", "p_3"]);
        let packet = |bytes: &'static [u8]| Packet {
            bytes,
            header_len: 1,
            events: Some(1),
        };
        assert_eq!(out.append(1, &packet(b"ab")).unwrap(), Appended::Written);
        assert_eq!(out.append(1, &packet(b"cd")).unwrap(), Appended::Written);
        assert_eq!(out.append(0, &packet(b"e")).unwrap(), Appended::Written);
        assert!(out.append(2, &packet(b"f")).is_err());
        out.flush().unwrap();
        assert_eq!(std::fs::read(d.join("p_3")).unwrap(), b"abcd");
        assert_eq!(std::fs::read(d.join("p_0")).unwrap(), b"e");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
