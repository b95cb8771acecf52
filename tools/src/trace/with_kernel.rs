//! `ust trace --kernel`: its options, the kernel recorder started on the clock of the
//! userspace trace just created, and the lines it adds to the report. Without the privileges
//! for it, the reason is printed and the userspace trace is recorded alone.

use crate::ctl::show;
use crate::kernel::{self, Categories, ClockBlock, KernelRecorder};
use std::path::Path;

/// `--kernel`'s value.
pub fn categories(s: &str) -> Result<Categories, String> {
    Categories::parse(s).map_err(|e| e.to_string())
}

/// Starts recording kernel events into `output`/kernel on the clock of the userspace trace
/// just created in `userspace`; None (the reason printed) when it cannot.
pub fn start(
    cats: &Categories,
    buffer_size: Option<usize>,
    userspace: &Path,
    output: &Path,
) -> Option<KernelRecorder> {
    let started = std::fs::read_to_string(userspace.join("metadata"))
        .map_err(|e| kernel::Error::io("cannot read the userspace trace's metadata", e).to_string())
        .and_then(|text| ClockBlock::from_metadata(&text).map_err(|e| e.to_string()))
        .and_then(|clock| {
            let options = kernel::Options {
                buffer_size: buffer_size.unwrap_or_else(kernel::Options::default_buffer_size),
                trace_name: output
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "trace".into()),
            };
            KernelRecorder::start(&output.join("kernel"), cats, &clock, &options)
                .map_err(|e| e.to_string())
        });
    match started {
        Ok(r) => Some(r),
        Err(why) => {
            eprintln!("ust: cannot record kernel events: {why}");
            eprintln!("ust: recording the userspace trace only");
            None
        }
    }
}

/// Prints what the kernel recording wrote; returns the events it lost.
pub fn report(kernel: Option<&Result<kernel::Stats, kernel::Error>>) -> u64 {
    match kernel {
        None => 0,
        Some(Err(e)) => {
            eprintln!("ust: kernel trace incomplete: {e}");
            0
        }
        Some(Ok(k)) => {
            eprintln!(
                "ust: kernel: {} events recorded, {} written, {:.1} ms of CPU to record them",
                k.events,
                show::bytes(k.bytes),
                k.cpu_time.as_secs_f64() * 1e3
            );
            if k.lost > 0 {
                eprintln!(
                    "ust: WARNING: kernel: {} events LOST (ring buffers full): use a larger \
                     --kernel-buffer-size",
                    k.lost
                );
            }
            k.lost
        }
    }
}
