//! The daemon's shared state: the sessions (in creation order) and the
//! registered programs, and the one operation that spans both: asking
//! every program to bring itself in line with the sessions and waiting,
//! bounded, until they did.

use super::access::{self, Identity, Policy};
use super::app::App;
use super::relay::Link;
use super::session::{lock, ClockBase, Session, State};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use ust::ipc::proto::{CreateSession, Error};

/// Most sessions a daemon holds, and one user may hold (so one user cannot
/// lock the others out of the system daemon).
pub const MAX_SESSIONS: usize = 4096;
pub const MAX_SESSIONS_PER_USER: usize = 64;
/// Event description bytes all programs together may make the daemon hold.
const MAX_SCHEMA_BYTES: usize = 256 << 20;
/// How long a control command waits for programs to follow a change.
pub const SYNC_WAIT: Duration = Duration::from_millis(2500);

/// A refusal of a control request: its code, and the words to show when
/// the code alone would mislead.
#[derive(Debug)]
pub struct Refusal {
    pub code: Error,
    pub text: Option<String>,
}

impl Refusal {
    pub fn new(code: Error, text: String) -> Refusal {
        Refusal {
            code,
            text: Some(text),
        }
    }
}

impl From<Error> for Refusal {
    fn from(code: Error) -> Refusal {
        Refusal { code, text: None }
    }
}

pub struct Registry {
    pub policy: Policy,
    pub clock: ClockBase,
    sessions: Mutex<Vec<Arc<Session>>>,
    apps: Mutex<BTreeMap<u64, Arc<App>>>,
    next_session: AtomicU32,
    next_key: AtomicU64,
    /// Set at shutdown: no new session.
    closed: AtomicBool,
    /// Event description bytes held for all programs (see `MAX_SCHEMA_BYTES`).
    schema_bytes: AtomicUsize,
}

impl Registry {
    pub fn new(policy: Policy, clock: ClockBase) -> Registry {
        Registry {
            policy,
            clock,
            sessions: Mutex::new(Vec::new()),
            apps: Mutex::new(BTreeMap::new()),
            next_session: AtomicU32::new(1),
            next_key: AtomicU64::new(1),
            closed: AtomicBool::new(false),
            schema_bytes: AtomicUsize::new(0),
        }
    }

    /// A fresh key for a connection or program.
    pub fn new_key(&self) -> u64 {
        self.next_key.fetch_add(1, Ordering::Relaxed)
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Vec<Arc<Session>> {
        lock(&self.sessions).clone()
    }

    /// The session named `name` that `who` may control: their own first
    /// (names are per owner), then, for root, another user's.
    pub fn find_session(&self, name: &str, who: Identity) -> Option<Arc<Session>> {
        let sessions = lock(&self.sessions);
        let named = || sessions.iter().filter(|s| s.name == name);
        named()
            .find(|s| s.owner.uid == who.uid)
            .or_else(|| named().find(|s| who.may_control(&s.owner)))
            .cloned()
    }

    /// Creates a session owned by `owner`; names are unique per owner (so
    /// a name taken by another user reveals nothing), trace directories of
    /// live sessions unique across all, and each user holds at most
    /// `MAX_SESSIONS_PER_USER`.
    pub fn add_session(
        &self,
        req: &CreateSession,
        owner: Identity,
        relay: Option<Link>,
    ) -> Result<Arc<Session>, Refusal> {
        let mut sessions = lock(&self.sessions);
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::WrongState.into());
        }
        if sessions
            .iter()
            .any(|s| s.name == req.name && s.owner.uid == owner.uid)
        {
            return Err(Error::SessionExists.into());
        }
        let theirs = sessions.iter().filter(|s| s.owner.uid == owner.uid).count();
        if theirs >= MAX_SESSIONS_PER_USER {
            return Err(Refusal::new(
                Error::TooManySessions,
                format!(
                    "too many sessions for user {} (limit {MAX_SESSIONS_PER_USER}): destroy one first",
                    access::user_name(owner.uid)
                ),
            ));
        }
        if sessions.len() >= MAX_SESSIONS {
            return Err(Refusal::new(
                Error::TooManySessions,
                format!("the daemon holds its maximum of {MAX_SESSIONS} sessions"),
            ));
        }
        if let Some(other) = sessions
            .iter()
            .find(|s| !req.output.is_empty() && s.dir.as_os_str() == req.output.as_str())
        {
            let whose = if other.owner.uid == owner.uid {
                format!("your session \"{}\"", other.name)
            } else {
                "another user's session".into()
            };
            return Err(Refusal::new(
                Error::BadArgument,
                format!("{} is the trace directory of {whose}", req.output),
            ));
        }
        let id = self.next_session.fetch_add(1, Ordering::Relaxed);
        let session = Arc::new(Session::create(id, req, owner, self.clock, relay)?);
        sessions.push(session.clone());
        Ok(session)
    }

    /// Refuses new sessions from now on (shutdown).
    pub fn close(&self) {
        let _sessions = lock(&self.sessions);
        self.closed.store(true, Ordering::Release);
    }

    /// Reserves `n` bytes of event descriptions; false when over budget.
    pub fn reserve_schema_bytes(&self, n: usize) -> bool {
        let before = self.schema_bytes.fetch_add(n, Ordering::AcqRel);
        if before + n > MAX_SCHEMA_BYTES {
            self.schema_bytes.fetch_sub(n, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// Gives back bytes reserved with `reserve_schema_bytes`.
    pub fn release_schema_bytes(&self, n: usize) {
        self.schema_bytes.fetch_sub(n, Ordering::AcqRel);
    }

    pub fn remove_session(&self, id: u32) {
        lock(&self.sessions).retain(|s| s.id != id);
    }

    /// Every registered program.
    pub fn apps(&self) -> Vec<Arc<App>> {
        lock(&self.apps).values().cloned().collect()
    }

    pub fn add_app(&self, app: Arc<App>) {
        lock(&self.apps).insert(app.key, app);
    }

    pub fn remove_app(&self, key: u64) {
        lock(&self.apps).remove(&key);
    }

    /// Asks every program to follow the sessions' state (attach, enable,
    /// detach) and waits until each did, or `deadline`.
    pub fn sync_apps(&self, deadline: Instant) {
        let waits: Vec<mpsc::Receiver<()>> = self.apps().iter().map(|a| a.poke()).collect();
        for w in waits {
            let left = deadline.saturating_duration_since(Instant::now());
            let _ = w.recv_timeout(left);
        }
    }

    /// Stops a started session: programs detach (bounded wait), then
    /// whatever is left is written by the daemon itself.
    pub fn stop_session(&self, s: &Session) -> Result<(), Error> {
        s.begin_stop()?;
        let deadline = Instant::now() + SYNC_WAIT;
        self.sync_apps(deadline);
        s.wait_detached(deadline);
        s.end_stop();
        Ok(())
    }

    /// Stops (if started) and forgets a session.
    pub fn destroy_session(&self, s: &Session) {
        if s.state() == State::Started {
            let _ = self.stop_session(s);
        }
        s.destroy();
        self.remove_session(s.id);
        self.sync_apps(Instant::now() + SYNC_WAIT);
    }
}
