//! The transport: Unix SOCK_SEQPACKET sockets (one datagram per message,
//! boundaries kept), file descriptors passed with SCM_RIGHTS, the peer's
//! credentials read with SO_PEERCRED, and timeouts on every wait so a
//! silent peer cannot block its partner.
//!
//! The only `unsafe` here is the socket system calls and the control
//! message (cmsg) handling they need.

use super::proto::{self, Frame, Message, MAX_CPUS, MAX_MESSAGE};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

/// A connected SOCK_SEQPACKET socket.
pub struct Conn {
    fd: OwnedFd,
}

/// A listening SOCK_SEQPACKET socket.
pub struct Listener {
    fd: OwnedFd,
}

/// The identity of the process at the other end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerCred {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn socket() -> io::Result<OwnedFd> {
    // SAFETY: plain socket creation; the result is checked.
    let fd = check(unsafe {
        libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0)
    })?;
    // SAFETY: `fd` is a fresh descriptor owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn sockaddr(path: &Path) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() >= addr.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "socket path too long",
        ));
    }
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    Ok((
        addr,
        std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
    ))
}

impl Listener {
    /// Binds `path` (replacing a stale socket file) and listens.
    pub fn bind(path: &Path) -> io::Result<Listener> {
        let fd = socket()?;
        let (addr, len) = sockaddr(path)?;
        let _ = std::fs::remove_file(path);
        // SAFETY: `addr` is a valid sockaddr_un of `len` bytes.
        check(unsafe { libc::bind(fd.as_raw_fd(), std::ptr::from_ref(&addr).cast(), len) })?;
        // SAFETY: listening on a bound socket we own.
        check(unsafe { libc::listen(fd.as_raw_fd(), 128) })?;
        Ok(Listener { fd })
    }

    /// Accepts one connection (blocking unless the socket is non-blocking).
    pub fn accept(&self) -> io::Result<Conn> {
        // SAFETY: accept4 on our listening socket; peer address not wanted.
        let fd = check(unsafe {
            libc::accept4(
                self.fd.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_CLOEXEC,
            )
        })?;
        // SAFETY: a fresh descriptor from accept4.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Conn { fd })
    }

    /// The listening descriptor (for poll).
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Waits until `fd` is readable; `Ok(false)` on timeout.
pub fn wait_readable(fd: RawFd, timeout: Option<Duration>) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
    loop {
        // SAFETY: one valid pollfd.
        match unsafe { libc::poll(&mut p, 1, ms) } {
            n if n > 0 => return Ok(true),
            0 => return Ok(false),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

impl Conn {
    /// Connects to the daemon socket at `path`; fails at once if nobody listens.
    pub fn connect(path: &Path) -> io::Result<Conn> {
        let fd = socket()?;
        let (addr, len) = sockaddr(path)?;
        // SAFETY: `addr` is a valid sockaddr_un of `len` bytes.
        check(unsafe { libc::connect(fd.as_raw_fd(), std::ptr::from_ref(&addr).cast(), len) })?;
        Ok(Conn { fd })
    }

    /// A connected pair (for tests and in-process daemons).
    pub fn pair() -> io::Result<(Conn, Conn)> {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors.
        check(unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        })?;
        // SAFETY: two fresh descriptors from socketpair.
        Ok(unsafe {
            (
                Conn {
                    fd: OwnedFd::from_raw_fd(fds[0]),
                },
                Conn {
                    fd: OwnedFd::from_raw_fd(fds[1]),
                },
            )
        })
    }

    /// The socket descriptor (for poll).
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// The peer's pid, uid and gid, as the kernel saw them at connect time.
    pub fn peer_cred(&self) -> io::Result<PeerCred> {
        // SAFETY: ucred is plain data; getsockopt fills at most `len` bytes.
        let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: as above, on our socket.
        check(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                std::ptr::from_mut(&mut cred).cast(),
                &mut len,
            )
        })?;
        Ok(PeerCred {
            pid: cred.pid as u32,
            uid: cred.uid,
            gid: cred.gid,
        })
    }

    /// Sends one message, with `fds` attached (SCM_RIGHTS).
    pub fn send(&self, seq: u32, status: i32, m: &Message, fds: &[RawFd]) -> io::Result<()> {
        let bytes = proto::encode(seq, status, m);
        if bytes.len() > MAX_MESSAGE || fds.len() > MAX_CPUS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "message too large",
            ));
        }
        let mut iov = libc::iovec {
            iov_base: bytes.as_ptr().cast_mut().cast(),
            iov_len: bytes.len(),
        };
        let fd_bytes = std::mem::size_of_val(fds);
        // SAFETY: CMSG_SPACE only computes a size.
        let space = unsafe { libc::CMSG_SPACE(fd_bytes as u32) } as usize;
        let mut control = vec![0u8; if fds.is_empty() { 0 } else { space }];
        // SAFETY: msghdr is plain data; all-zero is valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !fds.is_empty() {
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = control.len();
            // SAFETY: `control` has CMSG_SPACE(fd_bytes) bytes, enough for
            // one header and the descriptors copied into its data.
            unsafe {
                let cmsg = libc::CMSG_FIRSTHDR(&msg);
                (*cmsg).cmsg_level = libc::SOL_SOCKET;
                (*cmsg).cmsg_type = libc::SCM_RIGHTS;
                (*cmsg).cmsg_len = libc::CMSG_LEN(fd_bytes as u32) as usize;
                std::ptr::copy_nonoverlapping(
                    fds.as_ptr().cast::<u8>(),
                    libc::CMSG_DATA(cmsg),
                    fd_bytes,
                );
            }
        }
        loop {
            // SAFETY: `msg` points at live buffers; MSG_NOSIGNAL avoids SIGPIPE.
            let n = unsafe { libc::sendmsg(self.fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
            if n >= 0 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Receives one message and the descriptors attached to it, waiting at
    /// most `timeout`. A closed peer is `UnexpectedEof`; an oversized or
    /// malformed datagram is `InvalidData` (descriptors it carried are closed).
    pub fn recv(&self, timeout: Option<Duration>) -> io::Result<(Frame, Vec<OwnedFd>)> {
        if !wait_readable(self.fd.as_raw_fd(), timeout)? {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time"));
        }
        let mut buf = vec![0u8; MAX_MESSAGE];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: CMSG_SPACE only computes a size.
        let space =
            unsafe { libc::CMSG_SPACE((MAX_CPUS * std::mem::size_of::<RawFd>()) as u32) } as usize;
        let mut control = vec![0u8; space];
        // SAFETY: msghdr is plain data; all-zero is valid.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len();
        let n = loop {
            // SAFETY: `msg` points at live buffers of the sizes it states.
            let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
            if n >= 0 {
                break n as usize;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        };
        let fds = received_fds(&msg);
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer closed the connection",
            ));
        }
        if msg.msg_flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "oversized message",
            ));
        }
        let frame = proto::decode(&buf[..n])
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        Ok((frame, fds))
    }

    /// Sends a request and waits for its reply (same `seq`).
    pub fn call(
        &self,
        seq: u32,
        m: &Message,
        timeout: Option<Duration>,
    ) -> io::Result<(Frame, Vec<OwnedFd>)> {
        self.send(seq, 0, m, &[])?;
        let (frame, fds) = self.recv(timeout)?;
        if frame.seq != seq {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "reply out of order",
            ));
        }
        Ok((frame, fds))
    }
}

/// Takes ownership of every descriptor in the control messages of `msg`.
fn received_fds(msg: &libc::msghdr) -> Vec<OwnedFd> {
    let mut out = Vec::new();
    // SAFETY: walks the control buffer the kernel filled, within
    // `msg_controllen`, using the CMSG_* accessors; each SCM_RIGHTS payload
    // is an array of descriptors now owned by this process.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg);
                let bytes = (*cmsg).cmsg_len - (data as usize - cmsg as usize);
                for i in 0..bytes / std::mem::size_of::<RawFd>() {
                    let fd = data.cast::<RawFd>().add(i).read_unaligned();
                    out.push(OwnedFd::from_raw_fd(fd));
                }
            }
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
    out
}

/// Makes a directory for a socket with `mode`, owned by the caller.
pub fn make_socket_dir(dir: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
}

/// Sets a filesystem path's group (by gid) and mode.
pub fn chown_group(path: &Path, gid: u32, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: chown with a valid NUL-terminated path; -1 keeps the owner.
    check(unsafe { libc::chown(c.as_ptr(), u32::MAX, gid) })?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, Write};

    #[test]
    fn messages_and_descriptors_cross_a_socket_pair() {
        let (a, b) = Conn::pair().unwrap();
        let mut file = tempfile();
        file.write_all(b"shared").unwrap();
        a.send(7, 0, &Message::Flush { session: 3 }, &[file.as_raw_fd()])
            .unwrap();
        let (frame, fds) = b.recv(Some(Duration::from_secs(1))).unwrap();
        assert_eq!(frame.message, Message::Flush { session: 3 });
        assert_eq!(frame.seq, 7);
        assert_eq!(fds.len(), 1);
        let mut got = std::fs::File::from(fds.into_iter().next().unwrap());
        got.rewind().unwrap();
        let mut s = String::new();
        got.read_to_string(&mut s).unwrap();
        assert_eq!(s, "shared");
        let cred = b.peer_cred().unwrap();
        assert_eq!(cred.pid, std::process::id());
    }

    #[test]
    fn garbage_and_silence_are_errors_not_hangs() {
        let (a, b) = Conn::pair().unwrap();
        let err = b.recv(Some(Duration::from_millis(20))).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        // SAFETY: sending raw bytes on our own socket.
        unsafe { libc::send(a.raw_fd(), b"garbage".as_ptr().cast(), 7, 0) };
        assert_eq!(b.recv(None).unwrap_err().kind(), io::ErrorKind::InvalidData);
        drop(a);
        assert_eq!(
            b.recv(None).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }

    fn tempfile() -> std::fs::File {
        let path = std::env::temp_dir().join(format!("ust-wire-{}", std::process::id()));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }
}
