//! One accepted connection of `ust relay`, plain (loopback only) or TLS with a client
//! certificate, with the time limits that keep a silent or slow client from holding it:
//! the TLS handshake and the first message must come within `HANDSHAKE_TIME`, and once a
//! message has started, all of it within `MESSAGE_TIME`.

use super::store::Identity;
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest wait for the TLS handshake, and for the first message of a connection.
pub const HANDSHAKE_TIME: Duration = Duration::from_secs(10);
/// Longest time one message may take to arrive once its first byte has.
const MESSAGE_TIME: Duration = Duration::from_secs(30);
/// How often a blocked read wakes up to check its deadline.
const TICK: Duration = Duration::from_millis(500);
/// Largest piece read at once while receiving a large message.
const READ_PIECE: usize = 256 * 1024;

trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

pub struct Conn {
    stream: Box<dyn ReadWrite>,
    /// Who is on the other side: the client certificate, or `plain`.
    pub identity: Identity,
    pub peer: SocketAddr,
    /// Whether the first message was received (the idle limit no longer applies).
    pub started: bool,
    opened: Instant,
}

/// Wraps an accepted socket; with `tls`, completes the handshake (bounded in time) and takes
/// the client certificate as the identity.
pub fn accept(
    tcp: TcpStream,
    peer: SocketAddr,
    tls: Option<&Arc<ServerConfig>>,
) -> io::Result<Conn> {
    tcp.set_read_timeout(Some(TICK))?;
    tcp.set_write_timeout(Some(MESSAGE_TIME))?;
    tcp.set_nodelay(true)?;
    let opened = Instant::now();
    let (stream, identity): (Box<dyn ReadWrite>, Identity) = match tls {
        None => (Box::new(tcp), b"plain".to_vec()),
        Some(config) => {
            let conn = ServerConnection::new(config.clone())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            let mut s = StreamOwned::new(conn, tcp);
            while s.conn.is_handshaking() {
                match s.conn.complete_io(&mut s.sock) {
                    Ok(_) => {}
                    Err(e) if timed_out(&e) && opened.elapsed() < HANDSHAKE_TIME => {}
                    Err(e) if timed_out(&e) => return Err(slow("TLS handshake")),
                    Err(e) => return Err(io::Error::new(e.kind(), format!("TLS handshake: {e}"))),
                }
            }
            let identity = s
                .conn
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec())
                .ok_or_else(|| {
                    io::Error::new(io::ErrorKind::PermissionDenied, "no client certificate")
                })?;
            (Box::new(s), identity)
        }
    };
    Ok(Conn {
        stream,
        identity,
        peer,
        started: false,
        opened,
    })
}

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn slow(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} too slow"))
}

impl Conn {
    /// Fills `buf`. Ok(false) when the peer closed the connection cleanly before the first
    /// byte. Waiting for that first byte is unlimited once the connection has started.
    pub fn read_message(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        let mut got = 0;
        let mut deadline = None;
        while got < buf.len() {
            match self.stream.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "message cut short",
                    ))
                }
                Ok(n) => {
                    got += n;
                    deadline.get_or_insert(Instant::now() + MESSAGE_TIME);
                }
                Err(e) if timed_out(&e) => self.check_time(deadline)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.started = true;
        Ok(true)
    }

    /// Reads `n` more bytes of a message already started, growing `out` only as bytes
    /// arrive (a length field alone never makes the relay allocate).
    pub fn read_body(&mut self, n: usize, out: &mut Vec<u8>) -> io::Result<()> {
        let deadline = Some(Instant::now() + MESSAGE_TIME);
        let end = out.len() + n;
        while out.len() < end {
            let start = out.len();
            let piece = (end - start).min(READ_PIECE);
            out.resize(start + piece, 0);
            match self.stream.read(&mut out[start..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "message cut short",
                    ))
                }
                Ok(k) => out.truncate(start + k),
                Err(e) => {
                    out.truncate(start);
                    if timed_out(&e) {
                        self.check_time(deadline)?;
                    } else if e.kind() != io::ErrorKind::Interrupted {
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }

    fn check_time(&self, deadline: Option<Instant>) -> io::Result<()> {
        match deadline {
            Some(d) if Instant::now() >= d => Err(slow("message")),
            None if !self.started && self.opened.elapsed() >= HANDSHAKE_TIME => {
                Err(slow("first message"))
            }
            _ => Ok(()),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }
}
