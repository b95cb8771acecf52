//! The `ust` command's side of the daemon: one request, one reply, for
//! each `Ctl` message, with the permission checks of `access` (a user sees
//! and controls only their own sessions and programs; root sees all).
//!
//! Replies: `Create` and `Status` answer `SessionInfo`, `List` answers
//! `List`, the others `Ack`; a refusal is an `Ack` with an `Error` status.
//! `Start`, `Enable` and `Disable` answer once the programs followed (or a
//! bounded wait passed); `Stop` once every committed event is on disk.
//! The event counts of `Status` and `List` are read from the trace on disk
//! (again only when more was written since).

use super::access::{self, Identity};
use super::registry::{Refusal, Registry, SYNC_WAIT};
use super::relay::Link;
use super::session::Session;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use ust::ipc::proto::{
    AppInfo, CreateSession, Ctl, Error, Message, SessionInfo, MAX_MESSAGE, MAX_STRING,
};
use ust::ipc::wire::Conn;

/// Answers requests until the client hangs up or breaks the protocol.
pub fn serve(reg: &Registry, conn: &Conn, who: Identity) {
    loop {
        let frame = match conn.recv(None) {
            Ok((frame, _fds)) => frame,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                let _ = conn.send(0, Error::BadMessage as i32, &Message::Ack, &[]);
                return;
            }
            Err(_) => return,
        };
        let Message::Ctl(ctl) = frame.message else {
            let _ = conn.send(frame.seq, Error::BadMessage as i32, &Message::Ack, &[]);
            return;
        };
        let sent = match handle(reg, who, ctl) {
            Ok(reply) => conn.send(frame.seq, 0, &reply, &[]),
            Err(Refusal {
                code,
                text: Some(text),
            }) => conn.send(frame.seq, code as i32, &Message::Refused(text), &[]),
            Err(Refusal { code, text: None }) => {
                conn.send(frame.seq, code as i32, &Message::Ack, &[])
            }
        };
        if sent.is_err() {
            return;
        }
    }
}

/// Answers a client the daemon does not admit: its first request gets
/// `PermissionDenied` (so the command can say so), then the connection ends.
pub fn refuse(conn: &Conn) {
    for _ in 0..2 {
        match conn.recv(Some(SYNC_WAIT)) {
            Ok((frame, _)) if matches!(frame.message, Message::Ctl(_)) => {
                let _ = conn.send(
                    frame.seq,
                    Error::PermissionDenied as i32,
                    &Message::Ack,
                    &[],
                );
                return;
            }
            Ok((frame, _)) if frame.message == Message::CtlHello => continue,
            _ => return,
        }
    }
}

fn handle(reg: &Registry, who: Identity, ctl: Ctl) -> Result<Message, Refusal> {
    let ack = |_| Message::Ack;
    match ctl {
        Ctl::Create(req) => {
            let relay = relay_link(reg, &req, who)?;
            reg.add_session(&req, who, relay)
                .map(|s| Message::SessionInfo(s.info()))
        }
        Ctl::Snapshot(req) => Ok(Message::Written(
            owned(reg, who, &req.session)?.snapshot(&req)?,
        )),
        Ctl::Rotate { session } => Ok(Message::Written(owned(reg, who, &session)?.rotate()?)),
        Ctl::EnableRotation {
            session,
            size,
            timer_ms,
        } => {
            let timer = (timer_ms > 0).then(|| Duration::from_millis(timer_ms));
            owned(reg, who, &session)?.set_rotation(size, timer)?;
            Ok(Message::Ack)
        }
        Ctl::Trigger(trigger) => {
            let s = owned(reg, who, &trigger.snapshot.session)?;
            if !trigger.filter.is_empty() {
                check_filter(&trigger.filter)?;
            }
            s.set_trigger(trigger)?;
            follow(reg, &s);
            Ok(Message::Ack)
        }
        Ctl::EnableKernel {
            session,
            categories,
            buffer_size,
        } => {
            let s = owned(reg, who, &session)?;
            let _op = super::session::lock(&s.op);
            s.enable_kernel(&categories, buffer_size)?;
            Ok(Message::Ack)
        }
        Ctl::EnableChannel(cfg) => {
            owned(reg, who, &cfg.session)?.enable_channel(&cfg)?;
            Ok(Message::Ack)
        }
        Ctl::Enable {
            session,
            channel,
            loglevel,
            globs,
            filter,
        } => {
            let s = owned(reg, who, &session)?;
            let filter = (!filter.is_empty()).then_some(filter);
            if let Some(f) = &filter {
                check_filter(f)?;
            }
            s.enable(&globs, loglevel, &channel, filter.as_deref())?;
            follow(reg, &s);
            Ok(Message::Ack)
        }
        Ctl::Disable {
            session,
            channel,
            globs,
        } => {
            let s = owned(reg, who, &session)?;
            s.disable(&globs, &channel)?;
            follow(reg, &s);
            Ok(Message::Ack)
        }
        Ctl::Start { session } => {
            let s = owned(reg, who, &session)?;
            let _op = super::session::lock(&s.op);
            s.start()?;
            follow(reg, &s);
            Ok(Message::Ack)
        }
        Ctl::Stop { session } => {
            let s = owned(reg, who, &session)?;
            let _op = super::session::lock(&s.op);
            Ok(reg.stop_session(&s).map(ack)?)
        }
        Ctl::Destroy { session } => {
            let s = owned(reg, who, &session)?;
            let _op = super::session::lock(&s.op);
            reg.destroy_session(&s);
            Ok(Message::Ack)
        }
        Ctl::Status { session } => Ok(Message::SessionInfo(owned(reg, who, &session)?.info())),
        Ctl::List => Ok(list(reg, who)),
    }
}

/// The relay link of a `create --relay`, connected (as the session's
/// owner, who must be able to read the keys) before the session exists: an
/// unreachable relay refuses the session, with its host and port named.
fn relay_link(reg: &Registry, req: &CreateSession, who: Identity) -> Result<Option<Link>, Refusal> {
    if req.relay.is_empty() {
        return Ok(None);
    }
    if req.snapshot {
        return Err(Refusal::new(
            Error::BadArgument,
            "a flight recorder writes its snapshots on this machine: --snapshot and --relay \
             do not go together"
                .into(),
        ));
    }
    if reg
        .find_session(&req.name, who)
        .is_some_and(|s| s.owner.uid == who.uid)
    {
        return Err(Error::SessionExists.into());
    }
    let keys = (!req.keys.is_empty()).then(|| PathBuf::from(&req.keys));
    let hostname = ust::sysinfo::hostname();
    access::as_owner(who, || {
        Link::connect(
            &req.relay,
            &req.name,
            &hostname,
            keys.as_deref(),
            req.live_timer_us,
        )
    })
    .map(Some)
    .map_err(|e| Refusal::new(Error::Io, e.to_string()))
}

/// Refuses a filter expression the programs could not parse, saying where.
fn check_filter(expr: &str) -> Result<(), Refusal> {
    ust_filter::Filter::parse(expr)
        .map(drop)
        .map_err(|e| Refusal::new(Error::BadFilter, format!("filter: {e}")))
}

/// The session named `name` among those `who` may control (another
/// user's session is, to them, no session at all).
fn owned(reg: &Registry, who: Identity, name: &str) -> Result<Arc<Session>, Error> {
    reg.find_session(name, who).ok_or(Error::NoSuchSession)
}

/// Programs follow a change of a started session before the reply.
fn follow(reg: &Registry, s: &Session) {
    if s.recording() {
        reg.sync_apps(Instant::now() + SYNC_WAIT);
    }
}

/// The sessions and programs `who` may see, as many as fit in one message.
fn list(reg: &Registry, who: Identity) -> Message {
    let mut room = MAX_MESSAGE - 64;
    let mut sessions = Vec::new();
    for s in reg.sessions() {
        if !who.may_control(&s.owner) {
            continue;
        }
        let info = s.info();
        if !take_room(&mut room, session_size(&info)) {
            continue;
        }
        sessions.push(info);
    }
    let mut apps = Vec::new();
    for a in reg.apps() {
        if !who.may_trace(a.uid) {
            continue;
        }
        let mut info = AppInfo {
            pid: a.pid,
            uid: a.uid,
            procname: a.procname.clone(),
            events: Vec::new(),
        };
        if !take_room(&mut room, 10 + str_size(&info.procname)) {
            break;
        }
        for name in a.event_names() {
            if !take_room(&mut room, str_size(&name)) {
                break;
            }
            info.events.push(name);
        }
        apps.push(info);
    }
    Message::List { sessions, apps }
}

fn take_room(room: &mut usize, n: usize) -> bool {
    let ok = n <= *room;
    if ok {
        *room -= n;
    }
    ok
}

/// Encoded size of a string (u16 length + at most `MAX_STRING` bytes).
fn str_size(s: &str) -> usize {
    2 + s.len().min(MAX_STRING)
}

fn session_size(s: &SessionInfo) -> usize {
    ust::ipc::proto::session_info_len(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ust::ipc::proto::encode;

    #[test]
    fn size_estimates_match_the_encoding() {
        let info = SessionInfo {
            name: "n".into(),
            output: "/o".repeat(3000),
            state: 1,
            apps: 1,
            events: 2,
            discarded: 3,
            bytes: 4,
            channels: vec![ust::ipc::proto::ChannelInfo {
                name: "channel0".into(),
                subbuf_size: 4096,
                num_subbuf: 2,
                overwrite: false,
                blocking_timeout_us: 0,
                events: 1,
                discarded: 2,
                bytes: 3,
            }],
            errors: vec!["disk full".into()],
            outputs: Default::default(),
        };
        let app = AppInfo {
            pid: 1,
            uid: 2,
            procname: "p".into(),
            events: vec!["e:v".into()],
        };
        let empty = encode(
            0,
            0,
            &Message::List {
                sessions: vec![],
                apps: vec![],
            },
        )
        .len();
        let full = encode(
            0,
            0,
            &Message::List {
                sessions: vec![info.clone()],
                apps: vec![app],
            },
        )
        .len();
        assert_eq!(
            full - empty,
            session_size(&info) + 10 + str_size("p") + str_size("e:v")
        );
    }
}
