//! A session's kernel recording (`ust enable-kernel`): the categories asked for, the
//! recorder that runs from each start of the session to the next stop, and what the
//! recordings wrote.
//!
//! The tracepoints are opened with the daemon's own privileges; the trace files are made
//! with the session owner's file-system identity (`access::as_owner`), so they are the
//! owner's and only where the owner may write. The first recording is `OUTPUT/kernel`, a
//! later one (the session started again) `OUTPUT/kernel-N`: each is a complete LTTng kernel
//! trace on the userspace trace's clock, and babeltrace2 merges them all with `OUTPUT/ust`.

use super::access::{self, Identity};
use super::registry::Refusal;
use crate::kernel::{self, Categories, ClockBlock, KernelRecorder, Stats};
use std::path::Path;
use ust::ipc::proto::{Error, KernelInfo};

/// The kernel part of a session.
pub struct SessionKernel {
    categories: Categories,
    buffer_size: usize,
    recorder: Option<KernelRecorder>,
    /// Recordings started so far.
    runs: u32,
    /// Over every finished recording.
    totals: Stats,
}

impl SessionKernel {
    /// Kernel events of the categories `spec` (comma-separated), in rings of `buffer_size`
    /// bytes per CPU (0: the default). The tracepoints are opened once, and closed, so that
    /// missing privileges, tracefs or tracepoints are told now rather than at the start.
    pub fn new(spec: &str, buffer_size: u64) -> Result<SessionKernel, Refusal> {
        let categories = Categories::parse(spec).map_err(refusal)?;
        let buffer_size = match buffer_size {
            0 => kernel::Options::default_buffer_size(),
            n => usize::try_from(n).map_err(|_| Error::BadArgument)?,
        };
        KernelRecorder::open(&categories, buffer_size).map_err(refusal)?;
        Ok(SessionKernel {
            categories,
            buffer_size,
            recorder: None,
            runs: 0,
            totals: Stats::default(),
        })
    }

    /// Adds the categories of `other` (a second `enable-kernel` before the start).
    pub fn extend(&mut self, other: SessionKernel) {
        let both = format!("{},{}", self.spec(), other.spec());
        if let Ok(categories) = Categories::parse(&both) {
            self.categories = categories;
        }
        self.buffer_size = other.buffer_size;
    }

    /// Starts recording into a new directory of `top` (the session's output), on the clock
    /// the userspace trace's `metadata` declares, its files made as `owner`.
    pub fn start(
        &mut self,
        top: &Path,
        metadata: &str,
        trace_name: &str,
        owner: Identity,
    ) -> Result<(), Refusal> {
        if self.recorder.is_some() {
            return Ok(());
        }
        let clock = ClockBlock::from_metadata(metadata).map_err(refusal)?;
        let dir = top.join(dir_name(self.runs + 1));
        let opened = KernelRecorder::open(&self.categories, self.buffer_size).map_err(refusal)?;
        let created =
            access::as_owner(owner, || opened.create(&dir, &clock, trace_name)).map_err(refusal)?;
        self.recorder = Some(created.start().map_err(refusal)?);
        self.runs += 1;
        Ok(())
    }

    /// Stops recording, every record the kernel wrote on disk; a problem is returned as
    /// words for `ust status`.
    pub fn stop(&mut self) -> Option<String> {
        let recorder = self.recorder.take()?;
        match recorder.stop() {
            Ok(s) => {
                self.totals = Stats {
                    events: self.totals.events + s.events,
                    lost: self.totals.lost + s.lost,
                    bytes: self.totals.bytes + s.bytes,
                    cpu_time: self.totals.cpu_time + s.cpu_time,
                };
                None
            }
            Err(e) => Some(format!("kernel trace incomplete: {e}")),
        }
    }

    /// What `ust status` shows.
    pub fn info(&self) -> KernelInfo {
        KernelInfo {
            categories: self.spec(),
            buffer_size: self.buffer_size as u64,
            dir: dir_name(self.runs.max(1)),
            recording: self.recorder.is_some(),
            events: self.totals.events,
            lost: self.totals.lost,
            bytes: self.totals.bytes,
        }
    }

    /// The categories, comma-separated.
    fn spec(&self) -> String {
        self.categories
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The directory of recording number `run` (from 1).
fn dir_name(run: u32) -> String {
    match run {
        0 | 1 => "kernel".into(),
        n => format!("kernel-{n}"),
    }
}

/// A kernel recorder's error as the daemon's refusal, in the recorder's words.
fn refusal(e: kernel::Error) -> Refusal {
    let code = match e {
        kernel::Error::Permission(_) => Error::PermissionDenied,
        kernel::Error::Usage(_) => Error::BadArgument,
        _ => Error::Io,
    };
    Refusal::new(code, format!("kernel events: {e}"))
}
