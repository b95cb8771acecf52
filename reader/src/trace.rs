//! Finding and opening traces: the directories given, their metadata and their streams.
//!
//! Owns babeltrace2 2.0's discovery rules: a trace is a directory holding `metadata`,
//! searched recursively below each input, directories taken in path order; stream files are
//! the other non-empty regular files not starting with `.`; files of one stream (same class
//! and instance id, with beginning times) are chained in time order; trace directories with
//! the same UUID form one trace read with the largest of their metadata, and a stream file
//! seen twice (a copied trace) is read once; streams are numbered as babeltrace2 numbers
//! them (`StreamFiles::id`). A clock offset that overflows is refused here, as babeltrace2
//! refuses to open such a trace.

use super::error::ReadError;
use super::metadata;
use super::stream;
use super::types::Metadata;
use std::path::{Path, PathBuf};

/// One trace, ready to be read.
pub struct Trace {
    pub dir: PathBuf,
    /// Where `dir` is below the input directory it was found in (empty when it is the input).
    pub below: PathBuf,
    pub meta: Metadata,
    /// The streams, ordered by the path of their first file.
    pub streams: Vec<StreamFiles>,
}

/// One stream of a trace: its files and babeltrace2's id for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFiles {
    /// In time order.
    pub files: Vec<PathBuf>,
    /// The `stream_instance_id` of its packets; for a stream without one (or without
    /// beginning times to chain its files by), a counter over such streams of the trace in
    /// the order of their paths, as babeltrace2 2.0 numbers them.
    pub id: u64,
    /// `id` is that counter (see `number_by_path`).
    pub by_path: bool,
}

/// The id of a stream whose first file has this instance id and beginning time: the
/// instance id, or None when the stream is numbered by path (`number_by_path`).
pub fn instance_id(instance: Option<u64>, begin: Option<u64>) -> Option<u64> {
    // Files without beginning times cannot be chained: each is a stream of its own.
    instance.filter(|_| begin.is_some())
}

/// Numbers the streams without an instance id 0, 1, … in the order of their first file's
/// path, as babeltrace2 2.0 does; true if an id changed.
pub fn number_by_path(streams: &mut [StreamFiles]) -> bool {
    let mut order: Vec<usize> = (0..streams.len()).filter(|&s| streams[s].by_path).collect();
    order.sort_by(|&a, &b| {
        streams[a].files[0]
            .as_os_str()
            .cmp(streams[b].files[0].as_os_str())
    });
    let mut changed = false;
    for (n, s) in order.into_iter().enumerate() {
        changed |= streams[s].id != n as u64;
        streams[s].id = n as u64;
    }
    changed
}

impl Trace {
    /// babeltrace2's trace name: the `hostname` of the environment, followed by where the
    /// trace is below the input directory (`vm/ust/uid/1000/64-bit`); empty for a trace
    /// without a hostname given as the input itself.
    pub fn name(&self) -> String {
        let below = self.below.display().to_string();
        match self.meta.env_str("hostname") {
            Some(host) if below.is_empty() => host.to_string(),
            Some(host) => format!("{host}/{below}"),
            None => below,
        }
    }
}

/// The trace directories at or below each input path, in a stable order, each with the
/// input it was found in.
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, PathBuf)>, ReadError> {
    let mut found = Vec::new();
    for input in inputs {
        let before = found.len();
        let meta = std::fs::metadata(input).map_err(|e| ReadError::new(input, e.to_string()))?;
        if !meta.is_dir() {
            return Err(ReadError::new(
                input,
                "not a directory (give a trace directory)",
            ));
        }
        let mut dirs = Vec::new();
        walk(input, &mut dirs, 0)?;
        found.extend(dirs.into_iter().map(|d| (input.clone(), d)));
        if found.len() == before {
            return Err(ReadError::new(
                input,
                "no CTF trace found here (no `metadata` file in it or below it)",
            ));
        }
    }
    // babeltrace2 sorts the paths of a trace's directories: the first copy of a packet
    // found in several directories of one trace (same UUID) is the one read.
    found.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, depth: usize) -> Result<(), ReadError> {
    if dir.join("metadata").is_file() {
        found.push(dir.to_path_buf());
        return Ok(());
    }
    if depth > 32 {
        return Ok(());
    }
    for sub in sorted_entries(dir)? {
        if sub.is_dir() {
            walk(&sub, found, depth + 1)?;
        }
    }
    Ok(())
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, ReadError> {
    let rd = std::fs::read_dir(dir).map_err(|e| ReadError::new(dir, e.to_string()))?;
    let mut out: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    out.sort();
    Ok(out)
}

/// The stream data files of a trace directory.
pub fn stream_files(dir: &Path) -> Result<Vec<PathBuf>, ReadError> {
    Ok(sorted_entries(dir)?
        .into_iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name != "metadata"
                && !name.starts_with('.')
                && std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0)
        })
        .collect())
}

/// Opens every trace at or below `inputs`, merging directories that share a trace UUID.
pub fn open_all(inputs: &[PathBuf]) -> Result<Vec<Trace>, ReadError> {
    let mut traces: Vec<(Trace, Vec<StreamKey>)> = Vec::new();
    for (input, dir) in discover(inputs)? {
        let meta = metadata::load(&dir.join("metadata"))?;
        let mut keyed = Vec::new();
        for file in stream_files(&dir)? {
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            // A file whose first packet does not decode stays a stream of its own: reading it
            // reports the error in place, after what the other streams could give.
            let (class, instance, begin) = stream::identify(&file, &meta)
                .unwrap_or(Some((u64::MAX, None, None)))
                .unwrap_or_default();
            if let (Some(c), Some(b)) = (&meta.clock, begin) {
                if c.ns_from_origin(b).is_none() {
                    return Err(ReadError::new(&file, format!("packet beginning time ({b} cycles of clock `{}`, offset {} s) cannot be converted to nanoseconds from the clock's origin: it overflows a signed 64-bit integer", c.name, c.offset_s)));
                }
            }
            keyed.push(StreamKey {
                class,
                instance,
                begin,
                size,
                file,
            });
        }
        match traces
            .iter_mut()
            .find(|(t, _)| t.meta.uuid.is_some() && t.meta.uuid == meta.uuid)
        {
            Some((t, files)) => {
                // babeltrace2 reads all of them with the largest metadata (the first of the
                // largest): the others are taken to be earlier states of it.
                if class_count(&meta) > class_count(&t.meta) {
                    t.meta = meta;
                    t.below = dir.strip_prefix(&input).unwrap_or(&dir).to_path_buf();
                    t.dir = dir;
                }
                files.extend(keyed)
            }
            None => traces.push((
                Trace {
                    below: dir.strip_prefix(&input).unwrap_or(&dir).to_path_buf(),
                    dir,
                    meta,
                    streams: Vec::new(),
                },
                keyed,
            )),
        }
    }
    Ok(traces
        .into_iter()
        .map(|(mut t, keys)| {
            t.streams = group_streams(keys);
            t
        })
        .collect())
}

/// Stream classes plus event classes: how babeltrace2 compares metadata of one trace.
fn class_count(meta: &Metadata) -> usize {
    meta.streams.iter().map(|s| 1 + s.events.len()).sum()
}

struct StreamKey {
    class: u64,
    instance: Option<u64>,
    begin: Option<u64>,
    size: u64,
    file: PathBuf,
}

/// Chains the files of each stream in time order, dropping exact duplicates, and numbers
/// the streams as babeltrace2 does.
fn group_streams(mut keys: Vec<StreamKey>) -> Vec<StreamFiles> {
    for k in &mut keys {
        k.instance = instance_id(k.instance, k.begin);
    }
    keys.sort_by_key(|k| (k.class, k.instance, k.begin));
    keys.dedup_by(|b, a| {
        a.instance.is_some()
            && (a.class, a.instance, a.begin, a.size) == (b.class, b.instance, b.begin, b.size)
    });
    let mut groups: Vec<(Option<u64>, Vec<PathBuf>)> = Vec::new();
    let mut last: Option<(u64, Option<u64>)> = None;
    for k in keys {
        let same = k.instance.is_some() && last == Some((k.class, k.instance));
        last = Some((k.class, k.instance));
        match groups.last_mut() {
            Some((_, files)) if same => files.push(k.file),
            _ => groups.push((k.instance, vec![k.file])),
        }
    }
    groups.sort_by(|a, b| a.1[0].as_os_str().cmp(b.1[0].as_os_str()));
    let mut streams: Vec<StreamFiles> = groups
        .into_iter()
        .map(|(instance, files)| StreamFiles {
            files,
            id: instance.unwrap_or(0),
            by_path: instance.is_none(),
        })
        .collect();
    number_by_path(&mut streams);
    streams
}
