//! Helpers of the daemon tests: a `ust daemon` process on a private socket,
//! a control client speaking the protocol directly, and a fake instrumented
//! program written with `ust::ipc` and real ring buffers (it registers,
//! answers the daemon's commands and records events with reserve/commit,
//! exactly as libust's listener does).
#![allow(dead_code)]

use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use ust::clock::Source;
use ust::ipc::proto::{AppHello, AppInfo, CreateSession, Ctl, Error, Message};
use ust::ipc::wire::Conn;
use ust::ringbuf::{Geometry, RingBuffer};
use ust::schema::{EventSchema, Field, FieldType, Int};

/// How long helpers wait for something that must happen (a failure, not a
/// measurement, when exceeded).
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A fresh scratch directory, removed first if a previous run left it.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ust-daemon-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Waits until `cond` holds, panicking with `what` after `PATIENCE`.
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < end, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `ust daemon --socket DIR/run/daemon.sock`, killed when dropped.
pub struct DaemonProc {
    child: Option<Child>,
    pub dir: PathBuf,
    pub socket: PathBuf,
}

impl DaemonProc {
    pub fn start(name: &str) -> DaemonProc {
        DaemonProc::start_in(scratch(name))
    }

    /// Where a daemon started by `start_in(dir)` listens.
    pub fn socket_in(dir: &Path) -> PathBuf {
        dir.join("run").join("daemon.sock")
    }

    /// A daemon in an existing scratch directory.
    pub fn start_in(dir: PathBuf) -> DaemonProc {
        DaemonProc::spawn(dir, Command::new(env!("CARGO_BIN_EXE_ust")))
    }

    /// A daemon run by `NOBODY` (needs root), in a scratch directory anyone
    /// may write to.
    pub fn start_as_nobody(name: &str) -> DaemonProc {
        let dir = scratch(name);
        open_up(&dir, &dir);
        let mut cmd = Command::new("setpriv");
        cmd.arg(format!("--reuid={NOBODY}"))
            .arg(format!("--regid={NOBODY}"))
            .arg("--clear-groups")
            .arg(env!("CARGO_BIN_EXE_ust"));
        DaemonProc::spawn(dir, cmd)
    }

    fn spawn(dir: PathBuf, mut cmd: Command) -> DaemonProc {
        let socket = DaemonProc::socket_in(&dir);
        let child = cmd
            .args(["daemon", "--socket"])
            .arg(&socket)
            .stdin(Stdio::null())
            .stderr(std::fs::File::create(dir.join("daemon.log")).unwrap())
            .spawn()
            .expect("ust daemon starts");
        let mut d = DaemonProc {
            child: Some(child),
            dir,
            socket,
        };
        wait_for("the daemon's socket", || {
            assert!(d.alive(), "the daemon exited at start-up: {}", d.log());
            Conn::connect(&d.socket).is_ok()
        });
        d
    }

    /// What the daemon printed on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }

    /// The daemon is up, answers `List`, and never panicked.
    pub fn assert_healthy(&mut self) {
        assert!(self.alive(), "the daemon died: {}", self.log());
        self.ctl().list();
        assert!(!self.log().contains("panicked"), "{}", self.log());
    }

    pub fn ctl(&self) -> CtlClient {
        CtlClient::connect(&self.socket)
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGKILL; returns the scratch directory (kept).
    pub fn kill(mut self) -> PathBuf {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        self.dir.clone()
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        child.wait().unwrap()
    }
}

/// Kills a daemon still running; after a passing test, also removes its
/// scratch directory (a failing one keeps it for inspection, and so does
/// `terminate`, whose caller reads the trace afterwards).
impl Drop for DaemonProc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            if !std::thread::panicking() {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }
    }
}

/// A control client: `CtlHello`, then one request per call.
pub struct CtlClient {
    pub conn: Conn,
    seq: u32,
}

pub type Reply = Result<Message, i32>;

impl CtlClient {
    pub fn connect(socket: &Path) -> CtlClient {
        let conn = Conn::connect(socket).expect("connect to the daemon");
        conn.send(0, 0, &Message::CtlHello, &[]).unwrap();
        CtlClient { conn, seq: 0 }
    }

    /// One request: the reply message, or the error status.
    pub fn call(&mut self, ctl: Ctl) -> Reply {
        self.seq += 1;
        let (frame, _) = self
            .conn
            .call(self.seq, &Message::Ctl(ctl), Some(PATIENCE))
            .expect("the daemon answers");
        if frame.status == 0 {
            Ok(frame.message)
        } else {
            Err(frame.status)
        }
    }

    pub fn create(&mut self, name: &str, dir: &Path) -> Reply {
        self.create_with(name, dir, 4096, 4, false)
    }

    pub fn create_with(
        &mut self,
        name: &str,
        dir: &Path,
        subbuf_size: u64,
        num_subbuf: u32,
        overwrite: bool,
    ) -> Reply {
        self.call(Ctl::Create(CreateSession {
            name: name.into(),
            output: dir.display().to_string(),
            subbuf_size,
            num_subbuf,
            overwrite,
            ..CreateSession::default()
        }))
    }

    pub fn enable(&mut self, session: &str, globs: &[&str], loglevel: Option<i32>) -> Reply {
        self.call(Ctl::Enable {
            session: session.into(),
            channel: String::new(),
            loglevel,
            globs: globs.iter().map(|g| g.to_string()).collect(),
            filter: String::new(),
        })
    }

    pub fn disable(&mut self, session: &str, globs: &[&str]) -> Reply {
        self.call(Ctl::Disable {
            session: session.into(),
            channel: String::new(),
            globs: globs.iter().map(|g| g.to_string()).collect(),
        })
    }

    pub fn start(&mut self, session: &str) -> Reply {
        self.call(Ctl::Start {
            session: session.into(),
        })
    }

    pub fn stop(&mut self, session: &str) -> Reply {
        self.call(Ctl::Stop {
            session: session.into(),
        })
    }

    pub fn destroy(&mut self, session: &str) -> Reply {
        self.call(Ctl::Destroy {
            session: session.into(),
        })
    }

    pub fn status(&mut self, session: &str) -> Reply {
        self.call(Ctl::Status {
            session: session.into(),
        })
    }

    /// (session names, programs) as `ust list` gets them.
    pub fn list(&mut self) -> (Vec<String>, Vec<AppInfo>) {
        match self.call(Ctl::List) {
            Ok(Message::List { sessions, apps }) => {
                (sessions.into_iter().map(|s| s.name).collect(), apps)
            }
            other => panic!("list answered {other:?}"),
        }
    }
}

pub fn code(e: Error) -> i32 {
    e as i32
}

/// The description of a fake event: one u64 field `value`.
pub fn schema(name: &str, loglevel: i32) -> EventSchema {
    EventSchema {
        name: name.into(),
        loglevel,
        signature: "uint64_t value".into(),
        fields: vec![Field {
            name: "value".into(),
            ty: FieldType::Integer(Int {
                bits: 64,
                signed: false,
                hex: false,
                network: false,
                text: false,
            }),
        }],
        model_emf_uri: None,
    }
}

/// How a fake program behaves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers every command as libust does.
    Good,
    /// Reads commands and never answers (a stopped or hung program).
    Silent,
    /// Answers `Channel` with descriptors of plain files, not sealed memfds.
    Unsealed,
    /// Answers every command, but often wrongly (seeded choices: wrong
    /// sequence number, error status, garbage, too few descriptors, extra
    /// messages, a control request).
    Chaotic(u64),
}

#[derive(Default)]
struct FakeState {
    buffers: Option<Arc<Vec<RingBuffer>>>,
    /// The buffers' memfds, as sent to the daemon.
    memfds: Option<Arc<Vec<OwnedFd>>>,
    session: u32,
    enabled: HashMap<String, u32>,
    ready: bool,
    /// Commands received, by kind ("Channel", "Enable", ...).
    log: Vec<String>,
    /// The connection ended.
    closed: bool,
}

/// A fake instrumented program in this process.
pub struct FakeApp {
    pub conn: Arc<Conn>,
    state: Arc<(Mutex<FakeState>, Condvar)>,
    listener: Option<JoinHandle<()>>,
    pub ncpu: u32,
}

impl FakeApp {
    /// Registers `procname` with `events` (name, log level) and, unless it
    /// is silent, waits for `Ready`.
    pub fn register(
        socket: &Path,
        procname: &str,
        events: &[(&str, i32)],
        behaviour: Behaviour,
    ) -> FakeApp {
        let conn = Arc::new(Conn::connect(socket).expect("connect"));
        let ncpu = 2;
        let hello = AppHello {
            pid: std::process::id(),
            ppid: 1,
            abi_major: ust::abi::ABI_MAJOR as u16,
            abi_minor: ust::abi::ABI_MINOR as u16,
            ncpu,
            procname: procname.into(),
        };
        conn.send(0, 0, &Message::AppHello(hello), &[]).unwrap();
        for (name, level) in events {
            conn.send(0, 0, &Message::AppEvent(schema(name, *level)), &[])
                .unwrap();
        }
        // "All announced": the daemon need not wait for a pause.
        conn.send(0, 0, &Message::Ready, &[]).unwrap();
        let state: Arc<(Mutex<FakeState>, Condvar)> = Arc::default();
        let (c, s) = (conn.clone(), state.clone());
        let listener = std::thread::spawn(move || listen(&c, &s, ncpu, behaviour));
        let app = FakeApp {
            conn,
            state,
            listener: Some(listener),
            ncpu,
        };
        if matches!(behaviour, Behaviour::Good | Behaviour::Unsealed) {
            app.wait("Ready", |s| s.ready);
        }
        app
    }

    fn wait(&self, what: &str, cond: impl Fn(&FakeState) -> bool) {
        let (m, cv) = &*self.state;
        let guard = m.lock().unwrap();
        let (_g, timeout) = cv
            .wait_timeout_while(guard, PATIENCE, |s| !cond(s))
            .unwrap();
        assert!(!timeout.timed_out(), "the program never got {what}");
    }

    /// Announces one more event (as after a dlopen).
    pub fn announce(&self, name: &str, level: i32) {
        self.conn
            .send(0, 0, &Message::AppEvent(schema(name, level)), &[])
            .unwrap();
    }

    pub fn is_enabled(&self, name: &str) -> bool {
        self.state.0.lock().unwrap().enabled.contains_key(name)
    }

    pub fn has_channel(&self) -> bool {
        self.state.0.lock().unwrap().buffers.is_some()
    }

    /// Commands received so far, by kind.
    pub fn log(&self) -> Vec<String> {
        self.state.0.lock().unwrap().log.clone()
    }

    /// The memory of the buffers the daemon consumes (to scribble on).
    pub fn memfds(&self) -> Option<Arc<Vec<OwnedFd>>> {
        self.state.0.lock().unwrap().memfds.clone()
    }

    /// Whether the daemon got `Ready` to it or closed the connection.
    pub fn settled(&self) -> bool {
        let st = self.state.0.lock().unwrap();
        st.ready || st.closed
    }

    /// Records `name` with `value` on `cpu`'s buffer if it is enabled.
    pub fn emit(&self, name: &str, cpu: usize, value: u64) -> bool {
        let st = self.state.0.lock().unwrap();
        let (Some(id), Some(bufs)) = (st.enabled.get(name), st.buffers.as_ref()) else {
            return false;
        };
        let Some(r) = bufs[cpu].reserve(*id, 8) else {
            return false;
        };
        // SAFETY: `reserve` returned room for 8 payload bytes.
        unsafe { r.payload.cast::<u64>().write_unaligned(value) };
        // SAFETY: `commit` points at a slot counter of a live buffer.
        unsafe { (*r.commit).fetch_add(r.len, Ordering::Release) };
        true
    }

    /// Dies like a SIGKILLed program: the connection goes, nothing is
    /// flushed, the buffers stay as they are.
    pub fn kill(mut self) {
        // SAFETY: shutdown on our own socket.
        unsafe { libc::shutdown(self.conn.raw_fd(), libc::SHUT_RDWR) };
        if let Some(t) = self.listener.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for FakeApp {
    fn drop(&mut self) {
        // SAFETY: shutdown on our own socket.
        unsafe { libc::shutdown(self.conn.raw_fd(), libc::SHUT_RDWR) };
        if let Some(t) = self.listener.take() {
            let _ = t.join();
        }
    }
}

/// The fake program's listener thread.
fn listen(conn: &Conn, state: &(Mutex<FakeState>, Condvar), ncpu: u32, behaviour: Behaviour) {
    answer_commands(conn, state, ncpu, behaviour);
    state.0.lock().unwrap().closed = true;
    state.1.notify_all();
}

fn answer_commands(
    conn: &Conn,
    state: &(Mutex<FakeState>, Condvar),
    ncpu: u32,
    mut behaviour: Behaviour,
) {
    while let Ok((frame, _)) = conn.recv(None) {
        let mut st = state.0.lock().unwrap();
        st.log.push(kind(&frame.message).into());
        let mut fds: Vec<RawFd> = Vec::new();
        let status = match frame.message {
            Message::Ready => {
                st.ready = true;
                state.1.notify_all();
                continue;
            }
            _ if behaviour == Behaviour::Silent => continue,
            Message::Channel(_) if behaviour == Behaviour::Unsealed => {
                let files: Vec<std::fs::File> = (0..ncpu).map(|_| unsealed_file()).collect();
                fds = files.iter().map(|f| f.as_raw_fd()).collect();
                let sent = conn.send(frame.seq, 0, &Message::Ack, &fds);
                drop(files);
                if sent.is_err() {
                    return;
                }
                continue;
            }
            Message::Channel(spec) => {
                ust::clock::select(Some(if spec.clock == 0 {
                    Source::Tsc
                } else {
                    Source::Monotonic
                }));
                let geo = Geometry {
                    subbuf_size: spec.subbuf_size,
                    num_subbuf: spec.num_subbuf as u64,
                    overwrite: spec.overwrite,
                };
                let mut bufs: Vec<RingBuffer> = (0..ncpu)
                    .map(|cpu| RingBuffer::create(cpu, geo).unwrap())
                    .collect();
                let memfds: Vec<OwnedFd> = bufs.iter_mut().map(|b| b.take_fd().unwrap()).collect();
                fds = memfds.iter().map(|f| f.as_raw_fd()).collect();
                st.buffers = Some(Arc::new(bufs));
                st.memfds = Some(Arc::new(memfds));
                st.session = spec.session;
                0
            }
            Message::Enable {
                session,
                event_id,
                name,
                ..
            } if session == st.session => {
                st.enabled.insert(name, event_id);
                0
            }
            Message::Disable { session, name, .. } if session == st.session => {
                st.enabled.remove(&name);
                0
            }
            Message::Flush { session } if session == st.session => {
                st.buffers
                    .iter()
                    .flat_map(|b| b.iter())
                    .for_each(|b| b.flush());
                0
            }
            Message::Release { session } if session == st.session => {
                st.enabled.clear();
                st.buffers = None;
                st.memfds = None;
                0
            }
            _ => Error::NoSuchSession as i32,
        };
        state.1.notify_all();
        let sent = match &mut behaviour {
            Behaviour::Chaotic(seed) => chaos(conn, seed, frame.seq, status, &fds),
            _ => conn.send(frame.seq, status, &Message::Ack, &fds),
        };
        if sent.is_err() {
            return;
        }
    }
}

/// One reply of a chaotic program: right or wrong, by the seed.
fn chaos(conn: &Conn, seed: &mut u64, seq: u32, status: i32, fds: &[RawFd]) -> std::io::Result<()> {
    match xorshift(seed) % 8 {
        0 => conn.send(seq.wrapping_add(1), status, &Message::Ack, fds),
        1 => conn.send(seq, xorshift(seed) as i32, &Message::Ack, fds),
        2 => {
            let junk = xorshift(seed).to_le_bytes();
            // SAFETY: sends 8 bytes from a live array on our own socket.
            unsafe { libc::send(conn.raw_fd(), junk.as_ptr().cast(), 8, libc::MSG_NOSIGNAL) };
            Ok(())
        }
        3 => conn.send(seq, status, &Message::Ack, &fds[..fds.len().min(1)]),
        4 => {
            let name = format!("chaos:{}", xorshift(seed) % 1000);
            conn.send(0, 0, &Message::AppEvent(schema(&name, 3)), &[])?;
            conn.send(seq, status, &Message::Ack, fds)
        }
        5 => conn.send(seq, 0, &Message::Ctl(Ctl::List), &[]),
        _ => conn.send(seq, status, &Message::Ack, fds),
    }
}

/// A 1 MiB scratch file, already unlinked.
fn unsealed_file() -> std::fs::File {
    let path = std::env::temp_dir().join(format!("ust-unsealed-{}", std::process::id()));
    let f = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    f.set_len(1 << 20).unwrap();
    std::fs::remove_file(&path).unwrap();
    f
}

/// Writes `rounds` × 256 random words at random places of a buffer's whole
/// shared mapping (control block, slots and data), from a second mapping.
pub fn scribble(memfd: &OwnedFd, seed: &mut u64, rounds: usize) {
    let file = std::fs::File::from(memfd.try_clone().unwrap());
    let len = file.metadata().unwrap().len() as usize;
    // SAFETY: a new shared mapping of the whole memfd, checked below.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    assert_ne!(ptr, libc::MAP_FAILED);
    for _ in 0..rounds {
        for _ in 0..256 {
            let at = (xorshift(seed) as usize % (len / 8)) * 8;
            // SAFETY: `at + 8 <= len`, inside the mapping; the daemon only
            // ever reads this memory with atomics or copies.
            unsafe {
                ptr.cast::<u8>()
                    .add(at)
                    .cast::<u64>()
                    .write_volatile(xorshift(seed))
            };
        }
        std::thread::yield_now();
    }
    // SAFETY: unmapping exactly the mapping made above.
    unsafe { libc::munmap(ptr, len) };
}

/// Offset of the cumulative discarded-events counter in a ring buffer's
/// shared control block (`ringbuf::Control`: four u64, then the 64-byte
/// aligned position, consumed and discarded words).
pub const DISCARDED_OFFSET: usize = 192;

/// Writes `value` at byte `offset` of a buffer's shared memory, as a
/// program scribbling on its own buffers would.
pub fn poke_u64(memfd: &OwnedFd, offset: usize, value: u64) {
    let file = std::fs::File::from(memfd.try_clone().unwrap());
    use std::os::unix::fs::FileExt;
    file.write_all_at(&value.to_le_bytes(), offset as u64)
        .unwrap();
}

/// Deterministic xorshift64.
pub fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn kind(m: &Message) -> &'static str {
    match m {
        Message::Channel(_) => "Channel",
        Message::Enable { .. } => "Enable",
        Message::Disable { .. } => "Disable",
        Message::Flush { .. } => "Flush",
        Message::Release { .. } => "Release",
        Message::Ready => "Ready",
        _ => "other",
    }
}

/// babeltrace2's text for `dir` (None, with a note, when not installed).
pub fn babeltrace(dir: &Path) -> Option<String> {
    let out = Command::new("babeltrace2").arg(dir).output();
    match out {
        Ok(o) => {
            assert!(
                o.status.success(),
                "babeltrace2 failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            Some(String::from_utf8_lossy(&o.stdout).into_owned())
        }
        Err(_) => {
            eprintln!("skipped: babeltrace2 is not installed");
            None
        }
    }
}

/// Events per name in the trace at `dir`, read with UST's reader.
pub fn events_by_name(dir: &Path) -> HashMap<String, u64> {
    let traces = ust_reader::open_all(&[dir.to_path_buf()]).expect("trace opens");
    let mut merger = ust_reader::Merger::new(traces, true, false);
    let mut out = HashMap::new();
    while let Some(ev) = merger.next_event() {
        *out.entry(ev.class().name.clone()).or_default() += 1;
    }
    assert!(merger.take_errors().is_empty(), "the trace reads cleanly");
    out
}

/// Events of `dir` in `counts`, or 0.
pub fn count(counts: &HashMap<String, u64>, name: &str) -> u64 {
    counts.get(name).copied().unwrap_or(0)
}

/// The directory holding this build's libust.so (beside the test binary,
/// in deps/) and its libust.so.1 link, copied once per test process.
pub fn lib_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let built = exe.parent().unwrap().join("libust.so");
        assert!(
            built.exists(),
            "libust.so not built beside {}",
            exe.display()
        );
        let dir = scratch("lib");
        std::fs::copy(&built, dir.join("libust.so")).unwrap();
        std::os::unix::fs::symlink("libust.so", dir.join("libust.so.1")).unwrap();
        dir
    })
    .clone()
}

/// Compiles the C `sources` (with their directory on the include path)
/// against include/ and libust into `out`.
pub fn compile_c(sources: &[PathBuf], out: &Path) {
    compile_c_with(sources, out, &[]);
}

/// `compile_c` with extra compiler arguments (`-shared -fPIC` for a library).
pub fn compile_c_with(sources: &[PathBuf], out: &Path, extra: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let lib = lib_dir();
    let result = Command::new("cc")
        .args(["-O2", "-g", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(root.join("include"))
        .arg("-I")
        .arg(sources[0].parent().unwrap())
        .args(extra)
        .args(sources)
        .arg("-o")
        .arg(out)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lust")
        .output()
        .expect("cc runs");
    assert!(
        result.status.success(),
        "cc: {}",
        String::from_utf8_lossy(&result.stderr)
    );
}

/// A C program of this repository, compiled into `dir`.
pub fn c_program(dir: &Path, name: &str, sources: &[&str]) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let exe = dir.join(name);
    let sources: Vec<PathBuf> = sources.iter().map(|s| root.join(s)).collect();
    compile_c(&sources, &exe);
    exe
}

/// The uid (and gid) of the second user of the security tests.
pub const NOBODY: u32 = 65534;

/// Runs `f` on a thread whose credentials are `NOBODY`'s (needs root).
/// Linux credentials belong to each thread (the raw system calls, unlike
/// glibc's wrappers, change only the caller), so the rest of the test
/// process stays root; sockets the thread connects carry its identity.
pub fn as_nobody<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(move || {
        // SAFETY: raw credential system calls on this thread only, with
        // plain integer arguments (and no group list).
        unsafe {
            assert_eq!(
                libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<u32>()),
                0
            );
            assert_eq!(
                libc::syscall(libc::SYS_setresgid, NOBODY, NOBODY, NOBODY),
                0
            );
            assert_eq!(
                libc::syscall(libc::SYS_setresuid, NOBODY, NOBODY, NOBODY),
                0
            );
        }
        f()
    })
    .join()
    .expect("the thread as nobody")
}

/// Makes `path` and the directories above it up to `top` reachable by anyone.
pub fn open_up(top: &Path, path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut p = path.to_path_buf();
    loop {
        let mode = if p.is_dir() { 0o777 } else { 0o666 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        if p == top || !p.pop() {
            break;
        }
    }
}

/// A test program in its `lines` mode, driven a step at a time: each line written to it is
/// one step, which it answers with `ok`.
pub struct Lines {
    child: Child,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
}

impl Lines {
    /// Starts `cmd` (its arguments and environment set by the caller), untraced by
    /// `UST_TRACE`, its standard input and output piped to the test.
    pub fn spawn(mut cmd: Command) -> Lines {
        let mut child = cmd
            .env_remove("UST_TRACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let output = std::io::BufReader::new(child.stdout.take().unwrap());
        Lines {
            child,
            input,
            output,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one step and waits for its `ok`.
    pub fn say(&mut self, word: &str) {
        use std::io::{BufRead, Write};
        writeln!(self.input, "{word}").unwrap();
        let mut answer = String::new();
        self.output.read_line(&mut answer).unwrap();
        assert_eq!(answer, "ok\n");
    }

    /// Closes its input (its last step) and waits for it to exit.
    pub fn finish(self) -> ExitStatus {
        let Lines {
            mut child, input, ..
        } = self;
        drop(input);
        child.wait().unwrap()
    }
}
