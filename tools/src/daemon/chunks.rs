//! Rotation of a session's trace on disk: the chunks it is cut into, in
//! LTTng's layout, and when to cut automatically.
//!
//! Chunk 0 is written in the session's directory itself, so a session
//! never rotated is a plain trace there; chunk N ≥ 1 in `OUTPUT/BEGIN-N/`.
//! Closing a chunk moves it to `OUTPUT/archives/BEGIN-END-N/` (BEGIN and
//! END local times as `YYYYmmddTHHMMSS±HHMM`) in one rename: chunk 0's
//! files are first gathered in a hidden `archives/.BEGIN-END-0/`, renamed
//! once complete. An archive so appears whole or not at all and, once
//! there, is never touched again: it may be moved or deleted.
//!
//! Each chunk is a complete trace (its own metadata, every stream's packets
//! of its time span, the trace UUID shared by all chunks, as LTTng does);
//! `Session::rotate` decides the cut and drains the consumers into the
//! closing chunk first, this module owns the directories and names.

use crate::localtime;
use std::io;
use std::time::{Duration, Instant};
use ust::tracedir::TraceDir;

/// The directory closed chunks go to.
pub const ARCHIVES: &str = "archives";
/// Most archive names `ust status` lists (the newest).
const MAX_LISTED: usize = 64;

/// When to rotate without being asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Once the chunk holds this many bytes (0: never).
    pub size: u64,
    /// Once the chunk is this old.
    pub timer: Option<Duration>,
}

/// What the session had written when a chunk began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    pub events: u64,
    pub bytes: u64,
}

/// The chunk being written.
struct Chunk {
    id: u64,
    begin: String,
    /// Its own directory and that directory's name in the session's;
    /// `None`: the session's directory itself (chunk 0).
    dir: Option<(TraceDir, String)>,
    /// Stream files written in it (to gather chunk 0's).
    files: Vec<String>,
    began: Mark,
    started: Instant,
}

/// A chunk no longer written, to archive.
pub struct Closed {
    chunk: Chunk,
    /// What the session had written when it closed.
    ended: Mark,
}

impl Closed {
    /// What was written into the chunk.
    pub fn holds(&self) -> Mark {
        Mark {
            events: self.ended.events.saturating_sub(self.chunk.began.events),
            bytes: self.ended.bytes.saturating_sub(self.chunk.began.bytes),
        }
    }
}

/// A session's chunks.
pub struct Chunks {
    current: Option<Chunk>,
    next_id: u64,
    /// Names of the closed chunks under `archives/`, newest last.
    archives: Vec<String>,
    archived: u64,
    pub policy: Policy,
}

impl Chunks {
    /// Chunk 0, in the session's directory.
    pub fn new() -> Chunks {
        Chunks {
            current: Some(Chunk {
                id: 0,
                begin: localtime::iso_basic(localtime::now_secs()),
                dir: None,
                files: Vec::new(),
                began: Mark::default(),
                started: Instant::now(),
            }),
            next_id: 1,
            archives: Vec::new(),
            archived: 0,
            policy: Policy::default(),
        }
    }

    /// The directory of the chunk being written (`top`: the session's);
    /// `None` between a rotation of a stopped session and its next start.
    pub fn dir<'a>(&'a self, top: &'a TraceDir) -> Option<&'a TraceDir> {
        self.current
            .as_ref()
            .map(|c| c.dir.as_ref().map_or(top, |(dir, _)| dir))
    }

    /// Writes chunk 0 in `top`'s new subdirectory `name` (made as `uid`)
    /// instead of `top` itself, nothing having been written in it yet: the
    /// userspace trace of a session with company (LTTng's `ust/` beside
    /// `kernel/`).
    pub fn nest_first(&mut self, top: &TraceDir, name: &str, uid: u32) -> io::Result<()> {
        match self.current.as_mut() {
            Some(c) if c.id == 0 && c.dir.is_none() && c.files.is_empty() => {
                c.dir = Some((top.subdir(name, uid)?, name.to_string()));
                Ok(())
            }
            _ => Err(io::Error::other("the trace was already written to")),
        }
    }

    /// Records stream files written in the current chunk.
    pub fn note(&mut self, names: impl IntoIterator<Item = String>) {
        if let Some(c) = self.current.as_mut() {
            c.files.extend(names);
        }
    }

    /// Whether the session ever rotated (its last chunk is then archived
    /// when it is destroyed, as LTTng does).
    pub fn rotated(&self) -> bool {
        self.archived > 0
    }

    /// Whether a chunk is being written.
    pub fn open(&self) -> bool {
        self.current.is_some()
    }

    /// Whether the policy asks for a rotation, the session having written
    /// `bytes` in all.
    pub fn due(&self, bytes: u64) -> bool {
        let Some(c) = &self.current else {
            return false;
        };
        let grown = self.policy.size > 0 && bytes.saturating_sub(c.began.bytes) >= self.policy.size;
        let aged = self.policy.timer.is_some_and(|t| c.started.elapsed() >= t);
        grown || aged
    }

    /// Starts the next chunk, `OUTPUT/BEGIN-N/` (as `uid`), the session
    /// having written `mark` so far; returns the chunk it follows, if it
    /// was open.
    pub fn begin_next(
        &mut self,
        top: &TraceDir,
        uid: u32,
        mark: Mark,
    ) -> io::Result<Option<Closed>> {
        let id = self.next_id;
        let begin = localtime::iso_basic(localtime::now_secs());
        let name = format!("{begin}-{id}");
        let dir = top.subdir(&name, uid)?;
        self.next_id += 1;
        let next = Chunk {
            id,
            begin,
            dir: Some((dir, name)),
            files: Vec::new(),
            began: mark,
            started: Instant::now(),
        };
        Ok(self
            .current
            .replace(next)
            .map(|chunk| Closed { chunk, ended: mark }))
    }

    /// Ends the current chunk without starting another (a stopped session).
    pub fn close(&mut self, mark: Mark) -> Option<Closed> {
        self.current
            .take()
            .map(|chunk| Closed { chunk, ended: mark })
    }

    /// Moves a closed chunk (its files all written) to
    /// `archives/BEGIN-END-N`; returns that path, relative to `top`.
    pub fn archive(&mut self, closed: Closed, top: &TraceDir, uid: u32) -> io::Result<String> {
        let c = closed.chunk;
        let name = format!(
            "{}-{}-{}",
            c.begin,
            localtime::iso_basic(localtime::now_secs()),
            c.id
        );
        let archives = top.subdir(ARCHIVES, uid)?;
        match &c.dir {
            Some((_, dir)) => top.move_to(dir, &archives, &name)?,
            None => gather(top, &c.files, &archives, &name, uid)?,
        }
        self.archives.push(name.clone());
        if self.archives.len() > MAX_LISTED {
            self.archives.remove(0);
        }
        self.archived += 1;
        Ok(format!("{ARCHIVES}/{name}"))
    }

    /// The current chunk's directory relative to the session's ("" for
    /// chunk 0 or none), the newest archives, and how many there are.
    pub fn info(&self) -> (String, Vec<String>, u64) {
        let chunk = match &self.current {
            Some(Chunk {
                dir: Some((_, name)),
                ..
            }) => name.clone(),
            _ => String::new(),
        };
        let archives = self
            .archives
            .iter()
            .map(|a| format!("{ARCHIVES}/{a}"))
            .collect();
        (chunk, archives, self.archived)
    }
}

/// Moves chunk 0's metadata and stream `files` from `top` into
/// `archives/.NAME`, then renames that to `archives/NAME`.
fn gather(
    top: &TraceDir,
    files: &[String],
    archives: &TraceDir,
    name: &str,
    uid: u32,
) -> io::Result<()> {
    let hidden = format!(".{name}");
    let into = archives.subdir(&hidden, uid)?;
    for f in std::iter::once("metadata").chain(files.iter().map(String::as_str)) {
        if top.contains(f) {
            top.move_to(f, &into, f)?;
        }
    }
    archives.move_to(&hidden, archives, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ust-chunks-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn me() -> u32 {
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() }
    }

    #[test]
    fn chunks_move_to_archives_whole_in_lttng_layout() {
        let d = scratch("layout");
        let top = TraceDir::open(&d, me()).unwrap();
        top.create("unrelated").unwrap();
        let mut chunks = Chunks::new();
        chunks.dir(&top).unwrap().create("metadata").unwrap();
        chunks.dir(&top).unwrap().create("p-1_0").unwrap();
        chunks.note(["p-1_0".to_string()]);
        assert!(!chunks.rotated() && chunks.info().0.is_empty());
        let at = |events, bytes| Mark { events, bytes };
        let zero = chunks.begin_next(&top, me(), at(10, 100)).unwrap().unwrap();
        assert_eq!(zero.holds(), at(10, 100));
        let (current, _, _) = chunks.info();
        assert!(current.ends_with("-1"), "{current}");
        let first = chunks.archive(zero, &top, me()).unwrap();
        assert!(chunks.rotated());
        chunks.dir(&top).unwrap().create("metadata").unwrap();
        let one = chunks.close(at(15, 300)).unwrap();
        assert!(chunks.dir(&top).is_none() && !chunks.open());
        assert_eq!(one.holds(), at(5, 200));
        let second = chunks.archive(one, &top, me()).unwrap();
        for (archive, id) in [(&first, 0), (&second, 1)] {
            let name = archive.strip_prefix("archives/").unwrap();
            let parts: Vec<&str> = name.rsplitn(2, '-').collect();
            assert_eq!(parts[0], id.to_string());
            assert_eq!(name.len(), 20 + 1 + 20 + 1 + 1, "{name}");
            assert!(d.join(archive).join("metadata").is_file());
        }
        assert!(d.join(&first).join("p-1_0").is_file());
        assert!(d.join("unrelated").is_file() && !d.join("metadata").exists());
        let (_, archives, count) = chunks.info();
        assert_eq!((archives, count), (vec![first, second], 2));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_policy_rotates_by_size_and_by_age() {
        let mut chunks = Chunks::new();
        assert!(!chunks.due(u64::MAX));
        chunks.policy.size = 1000;
        assert!(!chunks.due(999) && chunks.due(1000));
        chunks.policy = Policy {
            size: 0,
            timer: Some(Duration::ZERO),
        };
        assert!(chunks.due(0));
    }
}
