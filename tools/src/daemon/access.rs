//! Who may talk to the daemon and what each peer may touch.
//!
//! - Admission (checked on every connection with `SO_PEERCRED`): the
//!   per-user daemon admits its own uid and root; the system daemon admits
//!   root and members of group `tracing` (primary or supplementary group,
//!   read from `/proc/<pid>/status`).
//! - Ownership: a user controls and reads only the sessions they created
//!   (root: all), and a session traces only programs of its owner's uid
//!   (root's sessions trace everyone).
//! - Files: a root daemon creates a session's files with the owner's
//!   file-system identity (`setfsuid`/`setfsgid`, which are per thread), so
//!   the owner's permissions decide where a trace may go and the files are
//!   the owner's.

use std::io;
use ust::ipc::wire::PeerCred;

/// The group whose members may use the system daemon.
pub const TRACING_GROUP: &str = "tracing";

/// A user, as the kernel identified them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
}

impl Identity {
    /// The identity of a connected peer.
    pub fn of(cred: &PeerCred) -> Identity {
        Identity {
            uid: cred.uid,
            gid: cred.gid,
        }
    }

    /// Whether this user may control a session owned by `owner`.
    pub fn may_control(&self, owner: &Identity) -> bool {
        self.uid == 0 || self.uid == owner.uid
    }

    /// Whether a session owned by this user may trace a program of `uid`.
    pub fn may_trace(&self, uid: u32) -> bool {
        self.uid == 0 || self.uid == uid
    }
}

/// Which peers a daemon admits.
#[derive(Clone, Debug)]
pub struct Policy {
    /// `None`: per-user (own uid and root); `Some(gid)`: system-wide.
    tracing_gid: Option<u32>,
    own_uid: u32,
}

impl Policy {
    /// The per-user policy of the current user.
    pub fn per_user() -> Policy {
        Policy {
            tracing_gid: None,
            // SAFETY: geteuid has no preconditions.
            own_uid: unsafe { libc::geteuid() },
        }
    }

    /// The system-wide policy: root and group `tracing` (which must exist).
    pub fn system() -> io::Result<Policy> {
        let gid = group_gid(TRACING_GROUP).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("group `{TRACING_GROUP}` does not exist (create it with `groupadd --system {TRACING_GROUP}`)"),
            )
        })?;
        Ok(Policy {
            tracing_gid: Some(gid),
            own_uid: 0,
        })
    }

    /// The group of the system socket, if this is the system policy.
    pub fn tracing_gid(&self) -> Option<u32> {
        self.tracing_gid
    }

    /// Whether a peer may use this daemon at all.
    pub fn admits(&self, cred: &PeerCred) -> bool {
        if cred.uid == 0 || (self.tracing_gid.is_none() && cred.uid == self.own_uid) {
            return true;
        }
        match self.tracing_gid {
            Some(gid) => cred.gid == gid || supplementary_groups(cred.pid).contains(&gid),
            None => false,
        }
    }
}

/// The gid of group `name`, from /etc/group.
/// The login name of `uid` (from /etc/passwd), or `uid N`.
pub fn user_name(uid: u32) -> String {
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                let mut parts = l.split(':');
                let name = parts.next()?;
                (parts.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

fn group_gid(name: &str) -> Option<u32> {
    let groups = std::fs::read_to_string("/etc/group").ok()?;
    groups.lines().find_map(|line| {
        let mut parts = line.split(':');
        (parts.next() == Some(name))
            .then(|| parts.nth(1).and_then(|g| g.parse().ok()))
            .flatten()
    })
}

/// The supplementary groups of process `pid` (empty if it is gone).
fn supplementary_groups(pid: u32) -> Vec<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Groups:"))
        .map(|g| {
            g.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `f` with this thread's file-system identity set to `owner`, when
/// the daemon runs as root for another user; otherwise just runs `f`.
/// The user that owns the files made with `as_owner(owner, …)`: the owner
/// for a root daemon, else the daemon's own user.
pub fn file_owner(owner: Identity) -> u32 {
    // SAFETY: geteuid has no preconditions.
    match unsafe { libc::geteuid() } {
        0 => owner.uid,
        me => me,
    }
}

pub fn as_owner<T>(owner: Identity, f: impl FnOnce() -> T) -> T {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || owner.uid == 0 {
        return f();
    }
    // SAFETY: setfsgid/setfsuid change only this thread's file-system
    // identity (raw per-thread system calls); they are restored below.
    let (old_gid, old_uid) = unsafe { (libc::setfsgid(owner.gid), libc::setfsuid(owner.uid)) };
    let out = f();
    // SAFETY: as above; restoring the uid first gives back the
    // capabilities needed to restore the gid.
    unsafe {
        libc::setfsuid(old_uid as libc::uid_t);
        libc::setfsgid(old_gid as libc::gid_t);
    }
    out
}

/// A root system daemon keeps no supplementary groups, so that acting with
/// a user's file-system identity gives exactly that user's access.
pub fn drop_supplementary_groups() -> io::Result<()> {
    // SAFETY: geteuid has no preconditions; setgroups with an empty list
    // reads no memory.
    if unsafe { libc::geteuid() } == 0 && unsafe { libc::setgroups(0, std::ptr::null()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_uid_and_root_are_admitted_per_user() {
        let p = Policy {
            tracing_gid: None,
            own_uid: 1000,
        };
        let cred = |uid| PeerCred {
            pid: std::process::id(),
            uid,
            gid: uid,
        };
        assert!(p.admits(&cred(1000)));
        assert!(p.admits(&cred(0)));
        assert!(!p.admits(&cred(1001)));
    }

    #[test]
    fn system_policy_admits_the_tracing_group() {
        let p = Policy {
            tracing_gid: Some(4242),
            own_uid: 0,
        };
        let member = PeerCred {
            pid: u32::MAX,
            uid: 1000,
            gid: 4242,
        };
        let stranger = PeerCred {
            gid: 1000,
            ..member
        };
        assert!(p.admits(&member));
        assert!(!p.admits(&stranger));
    }

    #[test]
    fn ownership_rules() {
        let (alice, bob, root) = (
            Identity { uid: 1, gid: 1 },
            Identity { uid: 2, gid: 2 },
            Identity { uid: 0, gid: 0 },
        );
        assert!(alice.may_control(&alice) && !bob.may_control(&alice) && root.may_control(&alice));
        assert!(alice.may_trace(1) && !alice.may_trace(2) && root.may_trace(2));
    }

    #[test]
    fn files_made_as_owner_are_theirs_and_follow_their_rights() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: needs root");
            return;
        }
        let dir = std::env::temp_dir().join(format!("ust-as-owner-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let nobody = Identity {
            uid: 65534,
            gid: 65534,
        };
        let denied = as_owner(nobody, || std::fs::File::create(dir.join("x")));
        assert_eq!(denied.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        as_owner(nobody, || std::fs::File::create(dir.join("y"))).unwrap();
        let meta = std::fs::metadata(dir.join("y")).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
        std::fs::File::create(dir.join("z")).unwrap();
        assert_eq!(
            std::fs::metadata(dir.join("z")).unwrap().uid(),
            0,
            "root again after"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
