//! Relay addresses: `net://HOST[:CONTROL_PORT[:DATA_PORT]]` (lttng-relayd's plain protocol,
//! as `lttng create --set-url` spells it) and `tls://HOST[:CONTROL_PORT[:DATA_PORT]]` (the same
//! protocol inside TLS, to `ust relay`). HOST may be a name, an IPv4 address or `[IPv6]`.

use std::fmt;

/// lttng-relayd's default ports.
pub const NET_CONTROL_PORT: u16 = 5342;
pub const NET_DATA_PORT: u16 = 5343;
/// `ust relay`'s default TLS ports.
pub const TLS_CONTROL_PORT: u16 = 5352;
pub const TLS_DATA_PORT: u16 = 5353;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Plain TCP, lttng-relayd's protocol.
    Net,
    /// The same protocol inside TLS with client certificates (`ust relay`).
    Tls,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayUrl {
    pub scheme: Scheme,
    /// Host as written, without brackets.
    pub host: String,
    pub control_port: u16,
    pub data_port: u16,
}

impl RelayUrl {
    pub fn parse(url: &str) -> Result<RelayUrl, String> {
        let (scheme, rest) = if let Some(r) = url.strip_prefix("net://") {
            (Scheme::Net, r)
        } else if let Some(r) = url.strip_prefix("net4://") {
            (Scheme::Net, r)
        } else if let Some(r) = url.strip_prefix("tls://") {
            (Scheme::Tls, r)
        } else {
            return Err(format!(
                "{url}: a relay URL is net://HOST[:CONTROL_PORT[:DATA_PORT]] (lttng-relayd) \
                 or tls://HOST[:CONTROL_PORT[:DATA_PORT]] (ust relay)"
            ));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, ports) = split_host(rest).ok_or_else(|| format!("{url}: no host"))?;
        let mut ports = ports.split(':').filter(|p| !p.is_empty());
        let port = |p: Option<&str>, default: u16| -> Result<u16, String> {
            match p {
                None => Ok(default),
                Some(p) => p
                    .parse::<u16>()
                    .ok()
                    .filter(|&n| n != 0)
                    .ok_or_else(|| format!("{url}: {p:?} is not a port number")),
            }
        };
        let (c, d) = match scheme {
            Scheme::Net => (NET_CONTROL_PORT, NET_DATA_PORT),
            Scheme::Tls => (TLS_CONTROL_PORT, TLS_DATA_PORT),
        };
        let control_port = port(ports.next(), c)?;
        let data_port = port(
            ports.next(),
            if control_port == c {
                d
            } else {
                control_port.wrapping_add(1)
            },
        )?;
        if ports.next().is_some() {
            return Err(format!("{url}: at most two ports (control and data)"));
        }
        Ok(RelayUrl {
            scheme,
            host: host.to_owned(),
            control_port,
            data_port,
        })
    }

    /// `host:port` for connecting.
    pub fn address(&self, port: u16) -> String {
        if self.host.contains(':') {
            format!("[{}]:{port}", self.host)
        } else {
            format!("{}:{port}", self.host)
        }
    }
}

impl fmt::Display for RelayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Net => "net",
            Scheme::Tls => "tls",
        };
        let host = self.address(self.control_port);
        write!(f, "{scheme}://{host}:{}", self.data_port)
    }
}

/// Splits `HOST[:PORTS]` or `[V6][:PORTS]` into host and the port text (with its leading
/// colon removed).
fn split_host(s: &str) -> Option<(&str, &str)> {
    if let Some(r) = s.strip_prefix('[') {
        let (host, after) = r.split_once(']')?;
        let ports = after.strip_prefix(':').unwrap_or(after);
        return (!host.is_empty() && (after.is_empty() || after.starts_with(':')))
            .then_some((host, ports));
    }
    let (host, ports) = s.split_once(':').unwrap_or((s, ""));
    (!host.is_empty() && !host.contains('/')).then_some((host, ports))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_default_as_lttng_does() {
        let u = RelayUrl::parse("net://collector").unwrap();
        assert_eq!((u.control_port, u.data_port), (5342, 5343));
        let u = RelayUrl::parse("net://10.0.0.1:6000").unwrap();
        assert_eq!((u.control_port, u.data_port), (6000, 6001));
        let u = RelayUrl::parse("tls://[::1]:7000:7100").unwrap();
        assert_eq!(
            (u.host.as_str(), u.control_port, u.data_port),
            ("::1", 7000, 7100)
        );
        assert_eq!(u.address(7000), "[::1]:7000");
        let u = RelayUrl::parse("tls://relay.example").unwrap();
        assert_eq!((u.control_port, u.data_port), (5352, 5353));
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        assert!(RelayUrl::parse("http://x")
            .unwrap_err()
            .contains("net://HOST"));
        assert!(RelayUrl::parse("net://").unwrap_err().contains("no host"));
        assert!(RelayUrl::parse("net://h:0").unwrap_err().contains("port"));
        assert!(RelayUrl::parse("net://h:1:2:3")
            .unwrap_err()
            .contains("two ports"));
        assert!(RelayUrl::parse("net://h:x").unwrap_err().contains("port"));
    }
}
