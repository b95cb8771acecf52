//! One TCP connection to a relay, plain or inside TLS, with connect and I/O time limits so a
//! dead or stalled relay costs the caller a bounded wait, never a hang.

use super::url::{RelayUrl, Scheme};
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// How a connection is secured.
#[derive(Clone)]
pub enum Security {
    Plain,
    /// TLS with this configuration (CA, client certificate).
    Tls(Arc<ClientConfig>),
}

enum Inner {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// A connected control or data socket.
pub struct Link {
    inner: Inner,
    /// `host:port`, for messages.
    pub peer: String,
}

/// Connects to `url`'s host on `port`, trying each address it resolves to.
pub fn connect(
    url: &RelayUrl,
    port: u16,
    security: &Security,
    timeout: Duration,
) -> io::Result<Link> {
    let peer = url.address(port);
    let fail =
        |e: io::Error| io::Error::new(e.kind(), format!("cannot connect to relay {peer}: {e}"));
    let addrs = peer.to_socket_addrs().map_err(fail)?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host name has no address");
    let mut stream = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let tcp = stream.ok_or_else(|| fail(last))?;
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(timeout))?;
    tcp.set_write_timeout(Some(timeout))?;
    let inner = match (security, url.scheme) {
        (Security::Tls(config), Scheme::Tls) => {
            let name = crate::tls::server_name(&url.host)?;
            let conn = ClientConnection::new(config.clone(), name)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
            let mut tls = StreamOwned::new(conn, tcp);
            // Complete the handshake now, so a refused certificate is reported as such.
            while tls.conn.is_handshaking() {
                tls.conn
                    .complete_io(&mut tls.sock)
                    .map_err(|e| tls_failure(&peer, e))?;
            }
            Inner::Tls(Box::new(tls))
        }
        (Security::Plain, Scheme::Net) => Inner::Plain(tcp),
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{url}: the URL scheme and the keys given do not match"),
            ))
        }
    };
    Ok(Link { inner, peer })
}

fn tls_failure(peer: &str, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("TLS handshake with relay {peer} failed: {e}"),
    )
}

impl Link {
    fn stream(&mut self) -> &mut dyn ReadWrite {
        match &mut self.inner {
            Inner::Plain(s) => s,
            Inner::Tls(s) => s.as_mut(),
        }
    }

    /// Sends all of `parts`, in order.
    pub fn send(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        let peer = self.peer.clone();
        let s = self.stream();
        for p in parts {
            s.write_all(p).map_err(|e| lost(&peer, e))?;
        }
        s.flush().map_err(|e| lost(&peer, e))
    }

    /// Receives exactly `n` bytes.
    pub fn recv(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let peer = self.peer.clone();
        let mut buf = vec![0u8; n];
        self.stream()
            .read_exact(&mut buf)
            .map_err(|e| lost(&peer, e))?;
        Ok(buf)
    }

    /// Closes both directions (best effort: the peer may be gone already).
    pub fn shutdown(&mut self) {
        match &mut self.inner {
            Inner::Plain(s) => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            Inner::Tls(s) => {
                s.conn.send_close_notify();
                let _ = s.flush();
                let _ = s.sock.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

fn lost(peer: &str, e: io::Error) -> io::Error {
    let what = match e.kind() {
        io::ErrorKind::UnexpectedEof => "closed the connection".to_owned(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => "did not answer in time".to_owned(),
        _ => e.to_string(),
    };
    io::Error::new(e.kind(), format!("relay {peer}: {what}"))
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}
