//! Where `ust relay` writes: lttng-relayd's layout under the output directory,
//! `HOSTNAME/SESSION-YYYYMMDD-HHMMSS/PATH/{metadata, CHANNEL, index/CHANNEL.idx}`, one tree per
//! host. Every name a client sends is checked here before it touches the file system: host
//! and session names are single components of `[A-Za-z0-9._-]` not starting with a dot, stream
//! paths are such components joined by `/`; anything else (`..`, `/`, NUL, control bytes) is
//! refused, so no client can make the relay write outside its output directory. Files are
//! created new (never replacing, never through a symbolic link).
//!
//! Also owns the streams table shared by control connections (which create streams and send
//! indexes) and data connections (which send packets), with each packet written whole. The
//! two connections of a client are served by two threads: a stream outlives its control
//! connection until the data connection has written every packet the control connection
//! announced (`Streams::retire`), as lttng-relayd keeps a closed stream until its data.

use crate::relayd::proto::PacketIndex;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// Longest host name component accepted.
const HOST_MAX: usize = 64;
/// Longest session name, channel name or path component accepted.
const NAME_MAX: usize = 200;
/// Most components in a stream path.
const PATH_DEPTH: usize = 8;
/// Most index entries a stream may have waiting for their packet (or the reverse).
const PENDING_MAX: usize = 4096;
/// Bytes of one index entry: nine big-endian u64.
const INDEX_ENTRY_LEN: u32 = 72;

/// Checks one path component a client sent.
pub fn component(what: &str, s: &str, max: usize) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= max
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {s:?} refused: 1 to {max} characters of A-Z a-z 0-9 . _ -, not starting with a dot"
        ))
    }
}

/// Checks a stream path (relative components joined by `/`, or empty).
pub fn stream_path(s: &str) -> Result<Vec<&str>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() > PATH_DEPTH {
        return Err(format!(
            "stream path {s:?} refused: more than {PATH_DEPTH} levels"
        ));
    }
    for p in &parts {
        component("stream path component", p, NAME_MAX)?;
    }
    Ok(parts)
}

/// The output directory: must exist, belong to this user and not be writable by others.
pub fn check_output(dir: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let refuse = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{}: {why}", dir.display()),
        ))
    };
    if !meta.is_dir() {
        return refuse("not a directory (a symbolic link is not followed)");
    }
    if meta.uid() != me {
        return refuse("not owned by the user running the relay");
    }
    if meta.permissions().mode() & 0o022 != 0 {
        return refuse("writable by group or others: another user could plant links in it");
    }
    Ok(())
}

/// Creates `dir/name` as a new directory if missing; refuses anything but a real directory.
fn subdir(dir: &Path, name: &str) -> io::Result<PathBuf> {
    let path = dir.join(name);
    match fs::DirBuilder::new().mode(0o750).create(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if !fs::symlink_metadata(&path)?.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{}: exists and is not a directory", path.display()),
                ));
            }
        }
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
    Ok(path)
}

/// A new file `dir/name` (never an existing file, never through a link).
fn new_file(dir: &Path, name: &str) -> io::Result<File> {
    let path = dir.join(name);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Creates `OUT/HOST/SESSION-DATE-TIME` (with `-N` appended if that exists already).
/// Returns its path relative to `OUT` and its full path.
pub fn session_dir(
    out: &Path,
    host: &str,
    session: &str,
    creation_time: u64,
) -> Result<(String, PathBuf), String> {
    component("hostname", host, HOST_MAX)?;
    component("session name", session, NAME_MAX)?;
    let stamp = crate::localtime::local(creation_time.min(i64::MAX as u64) as i64)
        .map(|t| {
            format!(
                "{:04}{:02}{:02}-{:02}{:02}{:02}",
                t.year, t.month, t.day, t.hour, t.min, t.sec
            )
        })
        .unwrap_or_else(|| "00000000-000000".into());
    let host_dir = subdir(out, host).map_err(|e| e.to_string())?;
    for n in 0..100 {
        let name = match n {
            0 => format!("{session}-{stamp}"),
            n => format!("{session}-{stamp}-{n}"),
        };
        match fs::DirBuilder::new()
            .mode(0o750)
            .create(host_dir.join(&name))
        {
            Ok(()) => return Ok((format!("{host}/{name}"), host_dir.join(name))),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: {e}", host_dir.join(name).display())),
        }
    }
    Err(format!(
        "{host}/{session}-{stamp}: 100 sessions of that name this second"
    ))
}

/// Who owns a stream: only the connection identity that created it may send its packets.
pub type Identity = Vec<u8>;

/// One stream being written.
pub struct StreamOut {
    pub owner: Identity,
    pub metadata: bool,
    file: File,
    index: Option<File>,
    /// Bytes written to `file`.
    offset: u64,
    /// Packets written (data) so far, by network sequence number.
    written: u64,
    /// Data packets whose index has not arrived: seq → offset.
    offsets: HashMap<u64, u64>,
    /// Indexes whose packet has not arrived: seq → index.
    indexes: HashMap<u64, PacketIndex>,
    /// Sequence number of the last packet, once `CLOSE_STREAM` said it (`u64::MAX`: none).
    last: Option<u64>,
}

impl StreamOut {
    /// Creates the stream's file (and, for data, its index file) under `session/PATH`.
    pub fn create(
        session: &Path,
        path: &[&str],
        channel: &str,
        owner: Identity,
    ) -> Result<StreamOut, String> {
        component("channel name", channel, NAME_MAX)?;
        let mut dir = session.to_path_buf();
        for p in path {
            dir = subdir(&dir, p).map_err(|e| e.to_string())?;
        }
        let metadata = channel == "metadata";
        let file = new_file(&dir, channel).map_err(|e| e.to_string())?;
        let index = if metadata {
            None
        } else {
            let idx_dir = subdir(&dir, "index").map_err(|e| e.to_string())?;
            let mut f = new_file(&idx_dir, &format!("{channel}.idx")).map_err(|e| e.to_string())?;
            let mut header = Vec::with_capacity(16);
            for v in [0xC1F1_DCC1u32, 1, 1, INDEX_ENTRY_LEN] {
                header.extend_from_slice(&v.to_be_bytes());
            }
            f.write_all(&header).map_err(|e| e.to_string())?;
            Some(f)
        };
        Ok(StreamOut {
            owner,
            metadata,
            file,
            index,
            offset: 0,
            written: 0,
            offsets: HashMap::new(),
            indexes: HashMap::new(),
            last: None,
        })
    }

    /// Appends metadata bytes and `padding` zero bytes.
    pub fn write_metadata(&mut self, bytes: &[u8], padding: u32) -> io::Result<()> {
        let mut all = Vec::with_capacity(bytes.len() + padding as usize);
        all.extend_from_slice(bytes);
        all.resize(bytes.len() + padding as usize, 0);
        self.file.write_all(&all)?;
        self.offset += all.len() as u64;
        Ok(())
    }

    /// Writes one whole packet (received in full) and its zero padding in one write, then
    /// its index entry if the index came first.
    pub fn write_packet(&mut self, seq: u64, packet: &mut Vec<u8>, padding: u32) -> io::Result<()> {
        let at = self.offset;
        packet.resize(packet.len() + padding as usize, 0);
        self.file.write_all(packet)?;
        self.offset += packet.len() as u64;
        self.written += 1;
        match self.indexes.remove(&seq) {
            Some(i) => self.write_index(at, &i),
            None => self.remember(seq, at),
        }
    }

    /// Records the index of packet `seq`, written now if its packet is there.
    pub fn add_index(&mut self, seq: u64, index: PacketIndex) -> io::Result<()> {
        match self.offsets.remove(&seq) {
            Some(at) => self.write_index(at, &index),
            None if self.indexes.len() < PENDING_MAX => {
                self.indexes.insert(seq, index);
                Ok(())
            }
            None => Err(too_many()),
        }
    }

    fn remember(&mut self, seq: u64, at: u64) -> io::Result<()> {
        if self.offsets.len() >= PENDING_MAX {
            return Err(too_many());
        }
        self.offsets.insert(seq, at);
        Ok(())
    }

    fn write_index(&mut self, offset: u64, i: &PacketIndex) -> io::Result<()> {
        let Some(f) = self.index.as_mut() else {
            return Ok(());
        };
        let mut e = Vec::with_capacity(INDEX_ENTRY_LEN as usize);
        for v in [
            offset,
            i.packet_size,
            i.content_size,
            i.timestamp_begin,
            i.timestamp_end,
            i.events_discarded,
            i.stream_id,
            i.stream_instance_id,
            i.packet_seq_num,
        ] {
            e.extend_from_slice(&v.to_be_bytes());
        }
        f.write_all(&e)
    }

    /// True while packets up to `last_seq` have not all been written.
    pub fn pending(&self, last_seq: u64) -> bool {
        last_seq != u64::MAX && self.written <= last_seq
    }

    /// Records the sequence number of the stream's last packet (`CLOSE_STREAM`).
    pub fn close_at(&mut self, last_seq: u64) {
        self.last = Some(last_seq);
    }

    /// True while a packet the control connection announced (by its index, or by the last
    /// sequence number at close) has not been written.
    fn awaits_packets(&self) -> bool {
        !self.indexes.is_empty() || self.last.is_some_and(|last| self.pending(last))
    }
}

fn too_many() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("more than {PENDING_MAX} packets or indexes without their match"),
    )
}

/// The streams of every session, by relay handle.
#[derive(Default)]
pub struct Streams {
    inner: Mutex<Table>,
    /// Signalled after each packet a data connection writes (see `retire`).
    written: Condvar,
}

#[derive(Default)]
struct Table {
    next: u64,
    streams: HashMap<u64, Arc<Mutex<StreamOut>>>,
}

impl Streams {
    fn table(&self) -> MutexGuard<'_, Table> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn insert(&self, s: StreamOut) -> u64 {
        let mut t = self.table();
        t.next += 1;
        let h = t.next;
        t.streams.insert(h, Arc::new(Mutex::new(s)));
        h
    }

    pub fn get(&self, h: u64) -> Option<Arc<Mutex<StreamOut>>> {
        self.table().streams.get(&h).cloned()
    }

    /// Says a packet was written (call without holding a stream's lock).
    pub fn wrote(&self) {
        let _table = self.table();
        self.written.notify_all();
    }

    /// Forgets the streams of a control connection that ended, once every packet it
    /// announced is written, or at `deadline` (a client that announces packets it never
    /// sends holds nothing longer).
    pub fn retire(&self, handles: &[u64], deadline: Instant) {
        let mut t = self.table();
        loop {
            let awaited = handles
                .iter()
                .any(|h| t.streams.get(h).is_some_and(|s| lock(s).awaits_packets()));
            let now = Instant::now();
            if !awaited || now >= deadline {
                break;
            }
            t = match self.written.wait_timeout(t, deadline - now) {
                Ok((t, _)) => t,
                Err(e) => e.into_inner().0,
            };
        }
        for h in handles {
            t.streams.remove(h);
        }
    }
}

/// Locks a stream, whatever a panicking holder left.
pub fn lock(s: &Mutex<StreamOut>) -> MutexGuard<'_, StreamOut> {
    s.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_output_directory_are_refused() {
        for bad in [
            "..",
            ".",
            "../../etc",
            "a/b",
            "",
            ".hidden",
            "x\0y",
            "é",
            "a b",
            "a\nb",
        ] {
            assert!(component("hostname", bad, HOST_MAX).is_err(), "{bad:?}");
        }
        assert!(component("hostname", &"h".repeat(65), HOST_MAX).is_err());
        for good in ["web-1", "node.example.org", "ust_trace", "A9"] {
            assert!(component("hostname", good, HOST_MAX).is_ok(), "{good:?}");
        }
        assert!(stream_path("ust/uid/0/64-bit").is_ok());
        assert_eq!(stream_path("").unwrap().len(), 0);
        for bad in [
            "../x",
            "a/../../b",
            "/abs",
            "a//b",
            "a/",
            "a/./b",
            "a/b/c/d/e/f/g/h/i",
        ] {
            assert!(stream_path(bad).is_err(), "{bad:?}");
        }
    }
}
