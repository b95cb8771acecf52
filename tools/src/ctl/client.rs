//! The `ust` command's end of the control protocol: finding the daemon's socket, one
//! request and its reply per call, and every failure turned into the one line the user sees.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;
use ust::ipc::paths;
use ust::ipc::proto::{Ctl, Error, Message};
use ust::ipc::wire::Conn;

/// How long a request may wait for its reply; stopping and destroying a session wait for
/// its buffers to be written out, so they get longer.
const QUICK: Duration = Duration::from_secs(30);
const DRAIN: Duration = Duration::from_secs(600);

/// Why a command failed: the line printed after `ust: `.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A connection to the daemon, after the `CtlHello` greeting.
pub struct Client {
    conn: Conn,
    path: PathBuf,
    seq: u32,
}

impl Client {
    /// Connects to `socket`, or else to the first daemon found at the usual places
    /// (`UST_DAEMON_SOCKET`, the per-user socket, the system socket).
    pub fn connect(socket: Option<&Path>) -> Result<Client, Failure> {
        let candidates = match socket {
            Some(s) => vec![s.to_path_buf()],
            None => paths::candidate_sockets(),
        };
        for path in &candidates {
            match Conn::connect(path) {
                Ok(conn) => return Client::greet(conn, path),
                Err(e) if absent(&e) => continue,
                Err(e) => return Err(connect_failure(path, &e)),
            }
        }
        let shown: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        Err(Failure(format!(
            "no daemon at {} (start one with `ust daemon`)",
            shown.join(" or ")
        )))
    }

    fn greet(conn: Conn, path: &Path) -> Result<Client, Failure> {
        check_daemon_owner(&conn, path)?;
        let client = Client {
            conn,
            path: path.to_path_buf(),
            seq: 1,
        };
        client
            .conn
            .send(0, 0, &Message::CtlHello, &[])
            .map_err(|e| client.transport_failure(&e))?;
        Ok(client)
    }

    /// Sends one request and returns the daemon's successful reply.
    pub fn request(&mut self, ctl: Ctl) -> Result<Message, Failure> {
        let timeout = match ctl {
            Ctl::Stop { .. } | Ctl::Destroy { .. } | Ctl::Snapshot(_) | Ctl::Rotate { .. } => DRAIN,
            _ => QUICK,
        };
        self.seq = self.seq.wrapping_add(1);
        let (frame, _fds) = self
            .conn
            .call(self.seq, &Message::Ctl(ctl.clone()), Some(timeout))
            .map_err(|e| self.transport_failure(&e))?;
        match frame.message {
            _ if frame.status == 0 => Ok(frame.message),
            Message::Refused(text) => Err(Failure(text)),
            _ => Err(self.refusal(&ctl, frame.status)),
        }
    }

    fn transport_failure(&self, e: &io::Error) -> Failure {
        let at = self.path.display();
        Failure(match e.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe => {
                format!("the daemon at {at} closed the connection (permission denied?)")
            }
            io::ErrorKind::TimedOut => format!("the daemon at {at} did not answer in time"),
            io::ErrorKind::InvalidInput => "the request is too large (too many patterns?)".into(),
            _ => format!("lost the connection to the daemon at {at}: {e}"),
        })
    }

    /// The line for a request the daemon refused with `status`.
    fn refusal(&self, ctl: &Ctl, status: i32) -> Failure {
        let Some(error) = Error::from_code(status) else {
            return Failure(format!(
                "the daemon answered with unknown error code {status}"
            ));
        };
        let session = session_of(ctl);
        Failure(match error {
            Error::NoSuchSession => format!("no session named \"{session}\""),
            Error::SessionExists => format!("a session named \"{session}\" already exists"),
            Error::PermissionDenied => {
                format!("permission denied by the daemon at {}", self.path.display())
            }
            Error::Io if matches!(ctl, Ctl::Create(_)) => format!(
                "cannot write a trace in {} (session \"{session}\" not created)",
                output_of(ctl)
            ),
            Error::UnsupportedVersion => format!(
                "the daemon at {} speaks another protocol version (upgrade `ust`?)",
                self.path.display()
            ),
            _ if session.is_empty() => format!("cannot {}: {}", verb(ctl), error.describe()),
            _ => format!(
                "cannot {} session \"{session}\": {}",
                verb(ctl),
                error.describe()
            ),
        })
    }
}

/// Talks only to a daemon running as this user or root, as programs do:
/// anyone may put a socket where another user's daemon is expected.
fn check_daemon_owner(conn: &Conn, path: &Path) -> Result<(), Failure> {
    let uid = conn
        .peer_cred()
        .map_err(|e| {
            Failure(format!(
                "cannot identify the daemon at {}: {e}",
                path.display()
            ))
        })?
        .uid;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if uid == me || uid == 0 {
        return Ok(());
    }
    Err(Failure(format!(
        "the daemon at {} runs as user {uid}, not as you or root: not talking to it",
        path.display()
    )))
}

/// Nobody listens at the path: try the next place.
fn absent(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOENT | libc::ECONNREFUSED | libc::ENOTDIR)
    )
}

fn connect_failure(path: &Path, e: &io::Error) -> Failure {
    let at = path.display();
    Failure(match e.raw_os_error() {
        Some(libc::EACCES | libc::EPERM) => {
            format!("permission denied: cannot connect to the daemon at {at}")
        }
        _ => format!("cannot connect to the daemon at {at}: {e}"),
    })
}

/// The session a request is about ("" for `list`).
fn session_of(ctl: &Ctl) -> &str {
    match ctl {
        Ctl::Create(c) => &c.name,
        Ctl::EnableChannel(c) => &c.session,
        Ctl::Enable { session, .. }
        | Ctl::Disable { session, .. }
        | Ctl::Start { session }
        | Ctl::Stop { session }
        | Ctl::Destroy { session }
        | Ctl::Status { session }
        | Ctl::Rotate { session }
        | Ctl::EnableRotation { session, .. }
        | Ctl::EnableKernel { session, .. } => session,
        Ctl::Snapshot(r) => &r.session,
        Ctl::Trigger(t) => &t.snapshot.session,
        Ctl::List => "",
    }
}

/// The trace directory of a `create` request.
fn output_of(ctl: &Ctl) -> &str {
    match ctl {
        Ctl::Create(c) => &c.output,
        _ => "",
    }
}

/// What the request does, for "cannot … session".
fn verb(ctl: &Ctl) -> &'static str {
    match ctl {
        Ctl::Create(_) => "create",
        Ctl::EnableChannel(_) => "add a channel to",
        Ctl::Enable { .. } => "enable events in",
        Ctl::Disable { .. } => "disable events in",
        Ctl::Start { .. } => "start",
        Ctl::Stop { .. } => "stop",
        Ctl::Destroy { .. } => "destroy",
        Ctl::Status { .. } => "read the status of",
        Ctl::List => "list sessions and programs",
        Ctl::Snapshot(_) => "take a snapshot of",
        Ctl::Rotate { .. } => "rotate",
        Ctl::EnableRotation { .. } => "set the rotation of",
        Ctl::Trigger(_) => "set the snapshot trigger of",
        Ctl::EnableKernel { .. } => "record kernel events in",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_session() {
        let (conn, _peer) = Conn::pair().unwrap();
        let client = Client {
            conn,
            path: PathBuf::from("/run/x.sock"),
            seq: 1,
        };
        let start = Ctl::Start {
            session: "s1".into(),
        };
        let line = |ctl: &Ctl, e: Error| client.refusal(ctl, e as i32).0;
        assert_eq!(
            line(&start, Error::NoSuchSession),
            "no session named \"s1\""
        );
        assert_eq!(
            line(&start, Error::WrongState),
            "cannot start session \"s1\": not possible in the session's current state"
        );
        assert_eq!(
            line(&Ctl::List, Error::PermissionDenied),
            "permission denied by the daemon at /run/x.sock"
        );
        let create = Ctl::Create(ust::ipc::proto::CreateSession {
            name: "s2".into(),
            output: "/ro/t".into(),
            subbuf_size: 4096,
            num_subbuf: 2,
            ..Default::default()
        });
        assert_eq!(
            line(&create, Error::Io),
            "cannot write a trace in /ro/t (session \"s2\" not created)"
        );
        assert_eq!(
            client.refusal(&Ctl::List, 999).0,
            "the daemon answered with unknown error code 999"
        );
    }

    #[test]
    fn a_missing_socket_names_every_place_tried() {
        let missing = Path::new("/nonexistent/ust/d.sock");
        let err = Client::connect(Some(missing)).err().unwrap();
        assert_eq!(
            err.0,
            "no daemon at /nonexistent/ust/d.sock (start one with `ust daemon`)"
        );
    }
}
