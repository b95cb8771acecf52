//! From kernel tracepoint records to LTTng kernel events: which tracepoints each category
//! reads, the LTTng event class each becomes (lttng-modules 2.13's names, fields and
//! meanings), and the conversion of one record, fields found by name in the running
//! kernel's formats.
//!
//! What changes on the way: the kernel's `pid` fields hold thread ids and become `*_tid`;
//! LTTng's `*_pid` are process ids (thread-group ids), taken from the sample's pid (the task
//! current when the tracepoint fired) or, for a new task, from `task:task_newtask`'s clone
//! flags; priorities are shifted by MAX_RT_PRIO as lttng-modules does; `raw_syscalls`
//! records become `syscall_entry_<name>`/`syscall_exit_<name>` through the system call
//! table.
//!
//! The recorder's own threads are left out: their system calls, exits, exec, creation and
//! wake-ups are dropped here. `sched_switch` records are all kept, those into and out of the
//! recorder's threads too, so that each CPU's timeline stays continuous.

use super::category::{Categories, Category};
use super::error::Error;
use super::format::{Format, Slot};
use super::schema::{EventClass, Payload, Ty, HEX64, I32, I64, U32};
use super::syscalls;
use super::tracefs::Tracefs;
use std::collections::{HashMap, HashSet};

/// Ids of the state-dump classes, always declared first.
pub const STATEDUMP_START: u16 = 0;
pub const STATEDUMP_END: u16 = 1;
pub const PROCESS_STATE: u16 = 2;

/// lttng-modules records `prio - MAX_RT_PRIO`; tracefs records `prio`.
const MAX_RT_PRIO: i64 = 100;
const CLONE_THREAD: u64 = 0x0001_0000;
/// Bound on the per-thread state kept between two records (a lost record can leave an
/// entry behind for ever).
const MAX_PENDING: usize = 65536;
/// Arguments of a system call entry.
const NR_ARGS: usize = 6;

/// A tracepoint to open.
pub struct Tracepoint {
    /// `system:event`, for messages.
    pub name: String,
    pub id: u64,
}

/// What a tracepoint's records become, with the fields read from them.
enum Source {
    Switch {
        class: u16,
        prev_comm: Slot,
        prev_pid: Slot,
        prev_prio: Slot,
        prev_state: Slot,
        next_comm: Slot,
        next_pid: Slot,
        next_prio: Slot,
    },
    Wake {
        class: u16,
        comm: Slot,
        pid: Slot,
        prio: Slot,
        target_cpu: Slot,
    },
    Fork {
        class: u16,
        parent_comm: Slot,
        parent_pid: Slot,
        child_comm: Slot,
        child_pid: Slot,
    },
    NewTask {
        pid: Slot,
        clone_flags: Slot,
    },
    Exec {
        class: u16,
        filename: Slot,
        pid: Slot,
        old_pid: Slot,
    },
    Exit {
        class: u16,
        comm: Slot,
        pid: Slot,
        prio: Slot,
    },
    Free {
        class: u16,
        comm: Slot,
        pid: Slot,
        prio: Slot,
    },
    IrqEntry {
        class: u16,
        irq: Slot,
        name: Slot,
    },
    IrqExit {
        class: u16,
        irq: Slot,
        ret: Slot,
    },
    Softirq {
        class: u16,
        vec: Slot,
    },
    SysEnter {
        id: Slot,
        args: Slot,
    },
    SysExit {
        id: Slot,
        ret: Slot,
    },
}

/// A named system call's classes and entry argument types (None: no tracefs format for it,
/// the six raw arguments are recorded as `args`).
struct Call {
    entry: u16,
    exit: u16,
    args: Option<Vec<(usize, Ty)>>,
}

struct Syscalls {
    /// Indexed by number; None for numbers without a name.
    calls: Vec<Option<Call>>,
    unknown_entry: u16,
    unknown_exit: u16,
}

/// What is remembered between records.
struct State {
    own_pid: u32,
    /// The recorder's threads (learnt from samples and thread creations).
    own_tids: HashSet<u32>,
    /// Thread-group id of new tasks, from `task_newtask`, until their fork record.
    new_tgid: HashMap<u32, u32>,
    /// Arguments of unknown system calls in progress, per thread.
    unknown_args: HashMap<u32, [u64; NR_ARGS]>,
    /// The recorder's pid namespace inode (LTTng's `*_ns_inum`).
    ns_inum: u64,
    payload: Payload,
}

/// The conversion of every enabled tracepoint's records.
pub struct Mapper {
    /// Indexed by tracepoint id (`common_type`).
    sources: Vec<Option<Source>>,
    common_type: Slot,
    classes: Vec<EventClass>,
    syscalls: Option<Syscalls>,
    state: State,
}

/// Builds classes while the sources are set up.
struct Builder<'a> {
    tracefs: &'a Tracefs,
    classes: Vec<EventClass>,
    sources: Vec<(u64, Source)>,
    tracepoints: Vec<Tracepoint>,
    common_type: Option<Slot>,
}

impl Builder<'_> {
    fn class(&mut self, name: &str, fields: &[(&str, Ty)]) -> u16 {
        self.classes.push(EventClass::new(name, fields));
        (self.classes.len() - 1) as u16
    }

    /// Reads `system:event`'s format and schedules it to be opened.
    fn tracepoint(&mut self, system: &str, event: &str) -> Result<Format, Error> {
        let format = self.tracefs.format(system, event)?;
        if self.common_type.is_none() {
            self.common_type = Some(field(&format, system, event, "common_type")?);
        }
        self.tracepoints.push(Tracepoint {
            name: format!("{system}:{event}"),
            id: format.id,
        });
        Ok(format)
    }

    fn add(&mut self, format: &Format, source: Source) {
        self.sources.push((format.id, source));
    }

    fn sched(&mut self) -> Result<(), Error> {
        let f = self.tracepoint("sched", "sched_switch")?;
        let get = |n: &str| field(&f, "sched", "sched_switch", n);
        let source = Source::Switch {
            class: self.class(
                "sched_switch",
                &[
                    ("prev_comm", Ty::Comm),
                    ("prev_tid", I32),
                    ("prev_prio", I32),
                    ("prev_state", I64),
                    ("next_comm", Ty::Comm),
                    ("next_tid", I32),
                    ("next_prio", I32),
                ],
            ),
            prev_comm: get("prev_comm")?,
            prev_pid: get("prev_pid")?,
            prev_prio: get("prev_prio")?,
            prev_state: get("prev_state")?,
            next_comm: get("next_comm")?,
            next_pid: get("next_pid")?,
            next_prio: get("next_prio")?,
        };
        self.add(&f, source);
        for event in ["sched_waking", "sched_wakeup", "sched_wakeup_new"] {
            let f = self.tracepoint("sched", event)?;
            let get = |n: &str| field(&f, "sched", event, n);
            let source = Source::Wake {
                class: self.class(
                    event,
                    &[
                        ("comm", Ty::Comm),
                        ("tid", I32),
                        ("prio", I32),
                        ("target_cpu", I32),
                    ],
                ),
                comm: get("comm")?,
                pid: get("pid")?,
                prio: get("prio")?,
                target_cpu: get("target_cpu")?,
            };
            self.add(&f, source);
        }
        let f = self.tracepoint("sched", "sched_process_fork")?;
        let get = |n: &str| field(&f, "sched", "sched_process_fork", n);
        let source = Source::Fork {
            class: self.class(
                "sched_process_fork",
                &[
                    ("parent_comm", Ty::Comm),
                    ("parent_tid", I32),
                    ("parent_pid", I32),
                    ("parent_ns_inum", U32),
                    ("child_comm", Ty::Comm),
                    ("child_tid", I32),
                    ("vtids", Ty::TidSequence),
                    ("child_pid", I32),
                    ("child_ns_inum", U32),
                ],
            ),
            parent_comm: get("parent_comm")?,
            parent_pid: get("parent_pid")?,
            child_comm: get("child_comm")?,
            child_pid: get("child_pid")?,
        };
        self.add(&f, source);
        let f = self.tracepoint("task", "task_newtask")?;
        let get = |n: &str| field(&f, "task", "task_newtask", n);
        let source = Source::NewTask {
            pid: get("pid")?,
            clone_flags: get("clone_flags")?,
        };
        self.add(&f, source);
        let f = self.tracepoint("sched", "sched_process_exec")?;
        let get = |n: &str| field(&f, "sched", "sched_process_exec", n);
        let source = Source::Exec {
            class: self.class(
                "sched_process_exec",
                &[("filename", Ty::Str), ("tid", I32), ("old_tid", I32)],
            ),
            filename: get("filename")?,
            pid: get("pid")?,
            old_pid: get("old_pid")?,
        };
        self.add(&f, source);
        for event in ["sched_process_exit", "sched_process_free"] {
            let f = self.tracepoint("sched", event)?;
            let get = |n: &str| field(&f, "sched", event, n);
            let class = self.class(event, &[("comm", Ty::Comm), ("tid", I32), ("prio", I32)]);
            let (comm, pid, prio) = (get("comm")?, get("pid")?, get("prio")?);
            let source = if event == "sched_process_exit" {
                Source::Exit {
                    class,
                    comm,
                    pid,
                    prio,
                }
            } else {
                Source::Free {
                    class,
                    comm,
                    pid,
                    prio,
                }
            };
            self.add(&f, source);
        }
        Ok(())
    }

    fn irq(&mut self) -> Result<(), Error> {
        let f = self.tracepoint("irq", "irq_handler_entry")?;
        let source = Source::IrqEntry {
            class: self.class("irq_handler_entry", &[("irq", I32), ("name", Ty::Str)]),
            irq: field(&f, "irq", "irq_handler_entry", "irq")?,
            name: field(&f, "irq", "irq_handler_entry", "name")?,
        };
        self.add(&f, source);
        let f = self.tracepoint("irq", "irq_handler_exit")?;
        let source = Source::IrqExit {
            class: self.class("irq_handler_exit", &[("irq", I32), ("ret", I32)]),
            irq: field(&f, "irq", "irq_handler_exit", "irq")?,
            ret: field(&f, "irq", "irq_handler_exit", "ret")?,
        };
        self.add(&f, source);
        for event in ["softirq_entry", "softirq_exit", "softirq_raise"] {
            let f = self.tracepoint("irq", event)?;
            let source = Source::Softirq {
                class: self.class(&format!("irq_{event}"), &[("vec", U32)]),
                vec: field(&f, "irq", event, "vec")?,
            };
            self.add(&f, source);
        }
        Ok(())
    }

    fn syscalls(&mut self) -> Result<Syscalls, Error> {
        let f = self.tracepoint("raw_syscalls", "sys_enter")?;
        let source = Source::SysEnter {
            id: field(&f, "raw_syscalls", "sys_enter", "id")?,
            args: field(&f, "raw_syscalls", "sys_enter", "args")?,
        };
        self.add(&f, source);
        let f = self.tracepoint("raw_syscalls", "sys_exit")?;
        let source = Source::SysExit {
            id: field(&f, "raw_syscalls", "sys_exit", "id")?,
            ret: field(&f, "raw_syscalls", "sys_exit", "ret")?,
        };
        self.add(&f, source);
        let args = ("args", Ty::HexArray(NR_ARGS as u8));
        let unknown_entry = self.class("syscall_entry_unknown", &[("id", I32), args]);
        let unknown_exit = self.class("syscall_exit_unknown", &[("id", I32), ("ret", I64), args]);
        let calls = syscalls::names()
            .iter()
            .map(|name| (!name.is_empty()).then(|| self.call(name)))
            .collect();
        Ok(Syscalls {
            calls,
            unknown_entry,
            unknown_exit,
        })
    }

    /// The classes of one named system call, arguments from its tracefs format.
    fn call(&mut self, name: &str) -> Call {
        let args: Option<Vec<(String, usize, Ty)>> = self.tracefs.syscall_entry(name).map(|f| {
            f.own_fields()
                .filter(|a| a.name != "__syscall_nr")
                .take(NR_ARGS)
                .enumerate()
                .map(|(k, a)| {
                    let name = if syscalls::plain_identifier(&a.name) {
                        a.name.clone()
                    } else {
                        format!("arg{k}")
                    };
                    (name, k, syscalls::arg_type(&a.ctype))
                })
                .collect()
        });
        let entry_fields: Vec<(&str, Ty)> = match &args {
            Some(list) => list.iter().map(|(n, _, t)| (n.as_str(), *t)).collect(),
            None => vec![("args", Ty::HexArray(NR_ARGS as u8))],
        };
        let entry = self.class(&format!("syscall_entry_{name}"), &entry_fields);
        let exit = self.class(&format!("syscall_exit_{name}"), &[("ret", I64)]);
        Call {
            entry,
            exit,
            args: args.map(|l| l.into_iter().map(|(_, k, t)| (k, t)).collect()),
        }
    }
}

fn field(format: &Format, system: &str, event: &str, name: &str) -> Result<Slot, Error> {
    format.field(name).map(|f| f.at).ok_or_else(|| {
        Error::Unsupported(format!(
            "the tracepoint {system}:{event} has no field {name:?} on this kernel"
        ))
    })
}

impl Mapper {
    /// Reads the formats of the tracepoints `categories` need; returns the conversion and
    /// the tracepoints to open.
    pub fn new(
        tracefs: &Tracefs,
        categories: &Categories,
    ) -> Result<(Mapper, Vec<Tracepoint>), Error> {
        let mut b = Builder {
            tracefs,
            classes: Vec::new(),
            sources: Vec::new(),
            tracepoints: Vec::new(),
            common_type: None,
        };
        b.class("lttng_statedump_start", &[]);
        b.class("lttng_statedump_end", &[]);
        b.class(
            "lttng_statedump_process_state",
            &[
                ("tid", I32),
                ("pid", I32),
                ("ppid", I32),
                ("name", Ty::Comm),
                ("type", I32),
                ("mode", I32),
                ("submode", I32),
                ("status", I32),
                ("cpu", U32),
                ("file_table_address", HEX64),
            ],
        );
        let mut syscalls = None;
        for c in categories.iter() {
            match c {
                Category::Sched => b.sched()?,
                Category::Irq => b.irq()?,
                Category::Syscalls => syscalls = Some(b.syscalls()?),
            }
        }
        let common_type = b
            .common_type
            .ok_or_else(|| Error::Usage("no kernel event category given".into()))?;
        let mut sources: Vec<Option<Source>> = Vec::new();
        for (id, source) in b.sources {
            let id = id as usize;
            if sources.len() <= id {
                sources.resize_with(id + 1, || None);
            }
            sources[id] = Some(source);
        }
        let mapper = Mapper {
            sources,
            common_type,
            classes: b.classes,
            syscalls,
            state: State {
                own_pid: std::process::id(),
                own_tids: own_threads(),
                new_tgid: HashMap::new(),
                unknown_args: HashMap::new(),
                ns_inum: pid_ns_inum(),
                payload: Payload::default(),
            },
        };
        Ok((mapper, b.tracepoints))
    }

    /// Notes the recorder's threads alive now. Called again once the tracepoints are enabled:
    /// a thread created between the first reading (when the mapper was made) and the enabling
    /// has no fork record to learn it from, and its wake-ups would otherwise be recorded until
    /// it fires an event of its own.
    pub fn learn_own_threads(&mut self) {
        self.state.own_tids.extend(own_threads());
    }

    /// Every class, its id being its index.
    pub fn classes(&self) -> &[EventClass] {
        &self.classes
    }

    /// The payload written by the last successful `map` (or for the caller to fill).
    pub fn payload(&mut self) -> &mut Payload {
        &mut self.state.payload
    }

    /// Converts one sample (fired while thread `tid` of process `pid` was current) into an
    /// event of class `id` whose payload is then in `payload()`; None when the record is
    /// dropped (bookkeeping record, the recorder's own activity, or unreadable).
    pub fn map(&mut self, pid: u32, tid: u32, raw: &[u8]) -> Option<u16> {
        let kind = self.common_type.int(raw)? as usize;
        let source = self.sources.get(kind)?.as_ref()?;
        let state = &mut self.state;
        if pid == state.own_pid {
            state.own_tids.insert(tid);
        }
        state.payload.clear();
        match source {
            Source::Switch {
                class,
                prev_comm,
                prev_pid,
                prev_prio,
                prev_state,
                next_comm,
                next_pid,
                next_prio,
            } => {
                state
                    .payload
                    .comm(prev_comm.text(raw)?)
                    .i32(prev_pid.int(raw)?)
                    .i32(prev_prio.int(raw)? - MAX_RT_PRIO)
                    .u64(prev_state.int(raw)? as u64)
                    .comm(next_comm.text(raw)?)
                    .i32(next_pid.int(raw)?)
                    .i32(next_prio.int(raw)? - MAX_RT_PRIO);
                Some(*class)
            }
            Source::Wake {
                class,
                comm,
                pid: target,
                prio,
                target_cpu,
            } => {
                let target = target.int(raw)?;
                if state.own_tids.contains(&(target as u32)) {
                    return None;
                }
                state
                    .payload
                    .comm(comm.text(raw)?)
                    .i32(target)
                    .i32(prio.int(raw)? - MAX_RT_PRIO)
                    .i32(target_cpu.int(raw)?);
                Some(*class)
            }
            Source::NewTask {
                pid: child,
                clone_flags,
            } => {
                let child = child.int(raw)? as u32;
                let tgid = if clone_flags.int(raw)? as u64 & CLONE_THREAD != 0 {
                    pid
                } else {
                    child
                };
                bounded(&mut state.new_tgid).insert(child, tgid);
                None
            }
            Source::Fork {
                class,
                parent_comm,
                parent_pid,
                child_comm,
                child_pid,
            } => {
                let child = child_pid.int(raw)?;
                let tgid = state
                    .new_tgid
                    .remove(&(child as u32))
                    .unwrap_or(child as u32);
                if tgid == state.own_pid {
                    state.own_tids.insert(child as u32);
                    return None;
                }
                state
                    .payload
                    .comm(parent_comm.text(raw)?)
                    .i32(parent_pid.int(raw)?)
                    .i32(i64::from(pid))
                    .u32(state.ns_inum)
                    .comm(child_comm.text(raw)?)
                    .i32(child)
                    .one_tid(child)
                    .i32(i64::from(tgid))
                    .u32(state.ns_inum);
                Some(*class)
            }
            Source::Exec {
                class,
                filename,
                pid: new,
                old_pid,
            } => {
                if pid == state.own_pid {
                    return None;
                }
                state
                    .payload
                    .string(filename.text(raw)?)
                    .i32(new.int(raw)?)
                    .i32(old_pid.int(raw)?);
                Some(*class)
            }
            Source::Exit {
                class,
                comm,
                pid: subject,
                prio,
            } => {
                if pid == state.own_pid {
                    return None;
                }
                task_payload(&mut state.payload, comm, subject, prio, raw)?;
                Some(*class)
            }
            Source::Free {
                class,
                comm,
                pid: subject,
                prio,
            } => {
                if state.own_tids.remove(&(subject.int(raw)? as u32)) {
                    return None;
                }
                task_payload(&mut state.payload, comm, subject, prio, raw)?;
                Some(*class)
            }
            Source::IrqEntry { class, irq, name } => {
                state.payload.i32(irq.int(raw)?).string(name.text(raw)?);
                Some(*class)
            }
            Source::IrqExit { class, irq, ret } => {
                state.payload.i32(irq.int(raw)?).i32(ret.int(raw)?);
                Some(*class)
            }
            Source::Softirq { class, vec } => {
                state.payload.u32(vec.int(raw)? as u64);
                Some(*class)
            }
            Source::SysEnter { id, args } => {
                if pid == state.own_pid {
                    return None;
                }
                let calls = self.syscalls.as_ref()?;
                let nr = id.int(raw)?;
                let mut values = [0u64; NR_ARGS];
                for (k, v) in values.iter_mut().enumerate() {
                    *v = args.u64_at(raw, k)?;
                }
                match known(calls, nr) {
                    Some(call) => {
                        match &call.args {
                            Some(types) => {
                                for &(k, ty) in types {
                                    let bits = match ty {
                                        Ty::Int { bits, .. } => bits,
                                        _ => 64,
                                    };
                                    state.payload.int(bits, values[k]);
                                }
                            }
                            None => {
                                for v in values {
                                    state.payload.u64(v);
                                }
                            }
                        }
                        Some(call.entry)
                    }
                    None => {
                        state.payload.i32(nr);
                        for v in values {
                            state.payload.u64(v);
                        }
                        bounded(&mut state.unknown_args).insert(tid, values);
                        Some(calls.unknown_entry)
                    }
                }
            }
            Source::SysExit { id, ret } => {
                if pid == state.own_pid {
                    return None;
                }
                let calls = self.syscalls.as_ref()?;
                let (nr, ret) = (id.int(raw)?, ret.int(raw)?);
                match known(calls, nr) {
                    Some(call) => {
                        state.payload.u64(ret as u64);
                        Some(call.exit)
                    }
                    None => {
                        let args = state.unknown_args.remove(&tid).unwrap_or_default();
                        state.payload.i32(nr).u64(ret as u64);
                        for v in args {
                            state.payload.u64(v);
                        }
                        Some(calls.unknown_exit)
                    }
                }
            }
        }
    }
}

fn known(calls: &Syscalls, nr: i64) -> Option<&Call> {
    usize::try_from(nr)
        .ok()
        .and_then(|n| calls.calls.get(n))
        .and_then(Option::as_ref)
}

fn task_payload(p: &mut Payload, comm: &Slot, pid: &Slot, prio: &Slot, raw: &[u8]) -> Option<()> {
    p.comm(comm.text(raw)?)
        .i32(pid.int(raw)?)
        .i32(prio.int(raw)? - MAX_RT_PRIO);
    Some(())
}

/// The map, emptied first when it reached its bound.
fn bounded<V>(map: &mut HashMap<u32, V>) -> &mut HashMap<u32, V> {
    if map.len() >= MAX_PENDING {
        map.clear();
    }
    map
}

/// The threads of this process now.
fn own_threads() -> HashSet<u32> {
    std::fs::read_dir("/proc/self/task")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The inode of this process's pid namespace (0 when unreadable).
fn pid_ns_inum() -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/pid")
        .map(|m| m.ino())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Writes `events/SYS/EVENT/format` with `fields` (C declaration, size) laid out from
    /// offset 8, after the common fields.
    fn format(root: &Path, sys: &str, event: &str, id: u16, fields: &[(&str, usize)]) {
        let dir = root.join("events").join(sys).join(event);
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = format!(
            "name: {event}\nID: {id}\nformat:\n\tfield:unsigned short common_type;\t\
             offset:0;\tsize:2;\tsigned:0;\n\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
        );
        let mut offset = 8;
        for (decl, size) in fields {
            let signed = u8::from(!decl.starts_with('u') && !decl.contains("char"));
            text.push_str(&format!(
                "\tfield:{decl};\toffset:{offset};\tsize:{size};\tsigned:{signed};\n"
            ));
            offset += size;
        }
        std::fs::write(dir.join("format"), text).unwrap();
    }

    const COMM: (&str, usize) = ("char comm[16]", 16);

    fn fake_tracefs() -> Tracefs {
        static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("ust-fake-tracefs-{}-{run}", std::process::id());
        let root = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&root);
        let pid = ("pid_t pid", 4);
        let prio = ("int prio", 4);
        format(
            &root,
            "sched",
            "sched_switch",
            1,
            &[
                ("char prev_comm[16]", 16),
                ("pid_t prev_pid", 4),
                ("int prev_prio", 4),
                ("long prev_state", 8),
                ("char next_comm[16]", 16),
                ("pid_t next_pid", 4),
                ("int next_prio", 4),
            ],
        );
        for (id, event) in [
            (2, "sched_waking"),
            (3, "sched_wakeup"),
            (4, "sched_wakeup_new"),
        ] {
            format(
                &root,
                "sched",
                event,
                id,
                &[COMM, pid, prio, ("int target_cpu", 4)],
            );
        }
        format(
            &root,
            "sched",
            "sched_process_fork",
            5,
            &[
                ("char parent_comm[16]", 16),
                ("pid_t parent_pid", 4),
                ("char child_comm[16]", 16),
                ("pid_t child_pid", 4),
            ],
        );
        format(
            &root,
            "task",
            "task_newtask",
            6,
            &[pid, COMM, ("u64 clone_flags", 8)],
        );
        format(
            &root,
            "sched",
            "sched_process_exec",
            7,
            &[("char filename[16]", 16), pid, ("pid_t old_pid", 4)],
        );
        format(&root, "sched", "sched_process_exit", 8, &[COMM, pid, prio]);
        format(&root, "sched", "sched_process_free", 9, &[COMM, pid, prio]);
        format(
            &root,
            "raw_syscalls",
            "sys_enter",
            10,
            &[("long id", 8), ("unsigned long args[6]", 48)],
        );
        format(
            &root,
            "raw_syscalls",
            "sys_exit",
            11,
            &[("long id", 8), ("long ret", 8)],
        );
        let nr0 = syscalls::names()[0];
        format(
            &root,
            "syscalls",
            &format!("sys_enter_{nr0}"),
            12,
            &[
                ("int __syscall_nr", 8),
                ("unsigned int fd", 8),
                ("char * buf", 8),
            ],
        );
        Tracefs::at(root)
    }

    /// A record of tracepoint `id` with `fields` appended after the common fields.
    fn record(id: u16, fields: &[&[u8]]) -> Vec<u8> {
        let mut r = id.to_le_bytes().to_vec();
        r.resize(8, 0);
        for f in fields {
            r.extend_from_slice(f);
        }
        r
    }

    fn comm(s: &str) -> Vec<u8> {
        let mut b = s.as_bytes().to_vec();
        b.resize(16, 0);
        b
    }

    fn class(m: &Mapper, id: u16) -> &str {
        &m.classes()[usize::from(id)].name
    }

    fn mapper() -> Mapper {
        let tracefs = fake_tracefs();
        let cats = Categories::parse("sched,syscalls").unwrap();
        let (m, tracepoints) = Mapper::new(&tracefs, &cats).unwrap();
        assert_eq!(
            tracepoints.len(),
            11,
            "9 sched tracepoints and 2 raw_syscalls"
        );
        let _ = std::fs::remove_dir_all(tracefs.root());
        m
    }

    #[test]
    fn forks_get_process_ids_from_clone_flags() {
        let mut m = mapper();
        let (p, child, thread) = (4000u32, 4001i32, 4002i32);
        let newtask = |tid: i32, flags: u64| {
            record(6, &[&tid.to_le_bytes(), &comm("x"), &flags.to_le_bytes()])
        };
        let fork = |tid: i32| {
            record(
                5,
                &[
                    &comm("bash"),
                    &(p as i32).to_le_bytes(),
                    &comm("bash"),
                    &tid.to_le_bytes(),
                ],
            )
        };
        assert_eq!(m.map(p, p, &newtask(child, 0x11)), None);
        assert_eq!(m.map(p, p, &newtask(thread, CLONE_THREAD)), None);
        for (tid, tgid) in [(child, child), (thread, p as i32)] {
            let id = m.map(p, p, &fork(tid)).unwrap();
            assert_eq!(class(&m, id), "sched_process_fork");
            let ns = m.state.ns_inum;
            let mut want = Payload::default();
            want.comm(b"bash")
                .i32(i64::from(p))
                .i32(i64::from(p))
                .u32(ns)
                .comm(b"bash")
                .i32(i64::from(tid))
                .one_tid(i64::from(tid))
                .i32(i64::from(tgid))
                .u32(ns);
            assert_eq!(m.payload().0, want.0, "fork of {tid}");
        }
    }

    #[test]
    fn switches_and_wakeups_use_lttng_names_and_priorities() {
        let mut m = mapper();
        let switch = record(
            1,
            &[
                &comm("a"),
                &7i32.to_le_bytes(),
                &120i32.to_le_bytes(),
                &1i64.to_le_bytes(),
                &comm("b"),
                &8i32.to_le_bytes(),
                &99i32.to_le_bytes(),
            ],
        );
        let id = m.map(7, 7, &switch).unwrap();
        assert_eq!(class(&m, id), "sched_switch");
        let mut want = Payload::default();
        want.comm(b"a")
            .i32(7)
            .i32(20)
            .u64(1)
            .comm(b"b")
            .i32(8)
            .i32(-1);
        assert_eq!(m.payload().0, want.0);
        let waking = record(
            2,
            &[
                &comm("b"),
                &8i32.to_le_bytes(),
                &120i32.to_le_bytes(),
                &1i32.to_le_bytes(),
            ],
        );
        assert_eq!(
            m.map(0, 0, &waking)
                .map(|id| class(&m, id).to_string())
                .as_deref(),
            Some("sched_waking")
        );
    }

    #[test]
    fn the_recorder_threads_are_dropped_except_from_sched_switch() {
        let mut m = mapper();
        let own = std::process::id();
        let helper = 999_999i32;
        let newtask = record(
            6,
            &[
                &helper.to_le_bytes(),
                &comm("x"),
                &CLONE_THREAD.to_le_bytes(),
            ],
        );
        let fork = record(
            5,
            &[
                &comm("ust"),
                &(own as i32).to_le_bytes(),
                &comm("ust"),
                &helper.to_le_bytes(),
            ],
        );
        assert_eq!(m.map(own, own, &newtask), None);
        assert_eq!(m.map(own, own, &fork), None, "the recorder's new thread");
        let waking = record(
            2,
            &[
                &comm("ust"),
                &helper.to_le_bytes(),
                &120i32.to_le_bytes(),
                &0i32.to_le_bytes(),
            ],
        );
        assert_eq!(
            m.map(0, 0, &waking),
            None,
            "a wake-up of the recorder's thread"
        );
        let getpid = record(10, &[&39i64.to_le_bytes(), &[0u8; 48]]);
        assert_eq!(
            m.map(own, helper as u32, &getpid),
            None,
            "the recorder's system call"
        );
        assert!(m.map(4000, 4000, &getpid).is_some(), "another's");
        let switch = record(
            1,
            &[
                &comm("ust"),
                &helper.to_le_bytes(),
                &120i32.to_le_bytes(),
                &1i64.to_le_bytes(),
                &comm("swapper/0"),
                &0i32.to_le_bytes(),
                &120i32.to_le_bytes(),
            ],
        );
        assert!(
            m.map(own, helper as u32, &switch).is_some(),
            "sched_switch stays"
        );
    }

    #[test]
    fn system_calls_are_named_or_unknown() {
        let mut m = mapper();
        let mut args = Vec::new();
        for a in [3u64, 0xdead, 5, 6, 7, 8] {
            args.extend_from_slice(&a.to_le_bytes());
        }
        let id = m
            .map(1, 1, &record(10, &[&0i64.to_le_bytes(), &args]))
            .unwrap();
        assert_eq!(
            class(&m, id),
            format!("syscall_entry_{}", syscalls::names()[0])
        );
        let mut want = Payload::default();
        want.int(32, 3).u64(0xdead);
        assert_eq!(
            m.payload().0,
            want.0,
            "the arguments tracefs names: fd (u32), buf"
        );
        let id = m
            .map(1, 1, &record(10, &[&1i64.to_le_bytes(), &args]))
            .unwrap();
        assert_eq!(
            m.payload().0,
            args,
            "no tracefs format: the six raw arguments"
        );
        assert_eq!(
            class(&m, id),
            format!("syscall_entry_{}", syscalls::names()[1])
        );
        let id = m
            .map(1, 1, &record(10, &[&100_000i64.to_le_bytes(), &args]))
            .unwrap();
        assert_eq!(class(&m, id), "syscall_entry_unknown");
        let id = m
            .map(
                1,
                1,
                &record(11, &[&100_000i64.to_le_bytes(), &(-38i64).to_le_bytes()]),
            )
            .unwrap();
        assert_eq!(class(&m, id), "syscall_exit_unknown");
        let mut want = Payload::default();
        want.i32(100_000).u64(-38i64 as u64);
        want.0.extend_from_slice(&args);
        assert_eq!(m.payload().0, want.0, "id, ret and the entry's arguments");
    }
}
