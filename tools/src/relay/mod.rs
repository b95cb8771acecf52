//! `ust relay`: UST's own relay, receiving traces streamed by daemons over TLS with mutual
//! authentication (lttng-relayd's streaming protocol inside TLS), and writing them in
//! lttng-relayd's layout. Also `ust relay gen-keys` (the keys) and `ust relay push` (stream a
//! finished trace directory to any relay).
//!
//! One thread per connection, at most `MAX_CONNECTIONS` at once; `conn` bounds the time a
//! client may take, `control`/`data` bound every length and count it sends, `store` checks
//! every name before it reaches the file system.

mod conn;
mod control;
mod data;
mod store;

use crate::relayd::{self, replay, url};
use crate::tls::{self, KeyFiles};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Most connections served at once; more are closed as they come.
const MAX_CONNECTIONS: usize = 512;

const KEYS_HELP: &str = "\
Keys (mutual TLS): the relay accepts only daemons whose certificate your CA signed, and daemons
accept only a relay whose certificate that CA signed for the name they dial. Once, on a trusted
machine:

  ust relay gen-keys /etc/ust/relay-keys --relay-name collector.example.org --daemon web1
  # writes ca.pem, ca.key (keep it offline), relay.pem/relay.key, web1.pem/web1.key

Copy ca.pem, relay.pem and relay.key to the relay host, then run:

  ust relay -o /var/lib/ust-relay --keys /etc/ust/relay-keys

Copy ca.pem and web1.pem/web1.key to the traced host (as ca.pem, daemon.pem, daemon.key in
its key directory) and stream with tls://collector.example.org. More daemons later (the same
CA): ust relay gen-keys /etc/ust/relay-keys --daemon web2

The same with openssl:

  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \\
      -subj '/CN=UST relay CA' -keyout ca.key -out ca.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=collector' \\
      -keyout relay.key -out relay.csr
  openssl x509 -req -in relay.csr -CA ca.pem -CAkey ca.key -days 825 -out relay.pem \\
      -extfile <(printf 'subjectAltName=DNS:collector.example.org\\nextendedKeyUsage=serverAuth')
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=web1' \\
      -keyout daemon.key -out daemon.csr
  openssl x509 -req -in daemon.csr -CA ca.pem -CAkey ca.key -days 825 -out daemon.pem \\
      -extfile <(printf 'extendedKeyUsage=clientAuth')

Firewall: open the control and data ports (default 5352 and 5353) to the traced hosts only.";

/// Receive traces from UST daemons over TLS and write them as lttng-relayd does
/// (OUTPUT/HOSTNAME/SESSION-DATE-TIME/...), one tree per host.
///
/// Names a client sends (host, session, stream paths) are checked: anything that could leave
/// the output directory is refused. Read the traces with `ust view DIR`, `ust view --follow
/// DIR` while they grow, or babeltrace2.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, after_long_help = KEYS_HELP)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,

    /// Output directory (must exist, be yours and not writable by others).
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,

    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    listen: IpAddr,

    /// Control port (0: any free port, printed at start).
    #[arg(long, value_name = "PORT", default_value_t = url::TLS_CONTROL_PORT)]
    control_port: u16,

    /// Data port (0: any free port, printed at start).
    #[arg(long, value_name = "PORT", default_value_t = url::TLS_DATA_PORT)]
    data_port: u16,

    /// Key directory holding ca.pem, relay.pem and relay.key (see below).
    #[arg(long, value_name = "DIR", required_unless_present_any = ["plaintext", "action"])]
    keys: Option<PathBuf>,

    /// No TLS and no authentication: allowed only when listening on a loopback address
    /// (for tests, or behind your own tunnel).
    #[arg(long, conflicts_with = "keys")]
    plaintext: bool,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    GenKeys(GenKeysArgs),
    Push(PushArgs),
}

/// Create a CA (or reuse DIR/ca.key) and issue relay and daemon certificates into DIR.
#[derive(clap::Args, Debug)]
struct GenKeysArgs {
    /// Key directory (created if missing); existing files are never overwritten.
    dir: PathBuf,

    /// Name (DNS name or IP address) daemons dial the relay by; repeat for several.
    /// Issues relay.pem and relay.key.
    #[arg(long = "relay-name", value_name = "NAME")]
    relay_names: Vec<String>,

    /// Issue NAME.pem and NAME.key for a daemon; repeat for several.
    #[arg(long = "daemon", value_name = "NAME")]
    daemons: Vec<String>,
}

/// Stream a finished trace directory to a relay (lttng-relayd or ust relay), packet by packet.
#[derive(clap::Args, Debug)]
struct PushArgs {
    /// Trace directory (each directory below holding a `metadata` file is one trace).
    dir: PathBuf,

    /// Relay: net://HOST[:CONTROL_PORT[:DATA_PORT]] (lttng-relayd) or tls://HOST[:…] (ust relay).
    #[arg(long, value_name = "URL")]
    to: String,

    /// Session name on the relay.
    #[arg(long, value_name = "NAME")]
    session: String,

    /// Host name the relay files the session under (default: this host's name).
    #[arg(long, value_name = "NAME")]
    hostname: Option<String>,

    /// Make the session visible to live viewers, with this live timer.
    #[arg(long, value_name = "MICROSECONDS", default_value_t = 0)]
    live_timer: u32,

    /// Key directory for tls:// (ca.pem, daemon.pem, daemon.key).
    #[arg(long, value_name = "DIR")]
    keys: Option<PathBuf>,

    /// Pause between packets, to watch the session live.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    delay_ms: u64,

    /// Pause after announcing the streams and metadata, before the first packet (time for a
    /// live viewer such as babeltrace2, which starts from the newest packet, to attach).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    wait_ms: u64,
}

pub fn run(args: Args) -> ExitCode {
    let result = match args.action {
        Some(Action::GenKeys(g)) => gen_keys(&g),
        Some(Action::Push(p)) => push(&p),
        None => serve(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ust relay: error: {e}");
            ExitCode::from(1)
        }
    }
}

fn gen_keys(g: &GenKeysArgs) -> Result<(), String> {
    if g.relay_names.is_empty() && g.daemons.is_empty() && g.dir.join("ca.key").exists() {
        return Err("nothing to issue: give --relay-name and/or --daemon".into());
    }
    let issue = tls::Issue {
        relay_names: &g.relay_names,
        daemons: &g.daemons,
    };
    for f in tls::gen_keys(&g.dir, &issue).map_err(|e| e.to_string())? {
        println!("{}", f.display());
    }
    Ok(())
}

fn push(p: &PushArgs) -> Result<(), String> {
    let hostname = match &p.hostname {
        Some(h) => h.clone(),
        None => this_hostname(),
    };
    let mut options = relayd::Options::new(&p.session, &hostname);
    options.live_timer_us = p.live_timer;
    options.keys = p.keys.as_deref().map(|d| KeyFiles::in_dir(d, "daemon"));
    let session = relayd::Session::connect(&p.to, options).map_err(|e| e.to_string())?;
    let path = session.status().output_path.unwrap_or_default();
    let pace = replay::Pace {
        before_packets: Duration::from_millis(p.wait_ms),
        between_packets: Duration::from_millis(p.delay_ms),
    };
    let report = replay::replay(session, &p.dir, pace).map_err(|e| e.to_string())?;
    let c = report.status.counts;
    println!(
        "{}: {} trace(s), {} stream(s), {} packets ({} bytes) sent to {path}",
        p.to, report.traces, report.streams, c.packets_sent, c.bytes_sent
    );
    if report.status.reconnects > 0 {
        println!(
            "reconnected {} time(s); now writing to {}",
            report.status.reconnects,
            report.status.output_path.unwrap_or_default()
        );
    }
    if c.packets_discarded > 0 {
        let why = report.status.last_error.unwrap_or_default();
        return Err(format!(
            "{} packets ({} bytes) could not be delivered (last error: {why})",
            c.packets_discarded, c.bytes_discarded
        ));
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Kind {
    Control,
    Data,
}

fn serve(args: &Args) -> Result<(), String> {
    let out = args
        .output
        .as_deref()
        .ok_or("an output directory is needed (-o DIR)")?;
    store::check_output(out).map_err(|e| e.to_string())?;
    let tls = match (&args.keys, args.plaintext) {
        (Some(dir), _) => {
            Some(tls::server_config(&KeyFiles::in_dir(dir, "relay")).map_err(|e| e.to_string())?)
        }
        (None, true) if args.listen.is_loopback() => None,
        (None, true) => {
            return Err(format!(
                "--plaintext listens only on a loopback address, not {}",
                args.listen
            ))
        }
        (None, false) => return Err("--keys DIR is needed (or --plaintext on loopback)".into()),
    };
    let bind = |port: u16| {
        TcpListener::bind(SocketAddr::new(args.listen, port))
            .map_err(|e| format!("cannot listen on {}:{port}: {e}", args.listen))
    };
    let control = bind(args.control_port)?;
    let data = bind(args.data_port)?;
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).unwrap_or(0);
    println!(
        "ust relay: listening on {} control port {} data port {}{}, writing to {}",
        args.listen,
        port(&control),
        port(&data),
        if tls.is_some() {
            " (TLS)"
        } else {
            " (plaintext)"
        },
        out.display()
    );
    let shared = Arc::new(Shared {
        out: out.to_path_buf(),
        tls,
        streams: store::Streams::default(),
        connections: AtomicUsize::new(0),
    });
    let s = shared.clone();
    let data_thread = std::thread::spawn(move || accept_loop(&data, Kind::Data, &s));
    accept_loop(&control, Kind::Control, &shared);
    let _ = data_thread.join();
    Ok(())
}

struct Shared {
    out: PathBuf,
    tls: Option<Arc<rustls::ServerConfig>>,
    streams: store::Streams,
    connections: AtomicUsize,
}

fn accept_loop(listener: &TcpListener, kind: Kind, shared: &Arc<Shared>) {
    for incoming in listener.incoming() {
        let Ok(tcp) = incoming else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let peer = tcp
            .peer_addr()
            .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        if shared.connections.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            shared.connections.fetch_sub(1, Ordering::AcqRel);
            eprintln!("ust relay: {peer}: refused: already {MAX_CONNECTIONS} connections");
            continue;
        }
        let shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("ust-relay-conn".into())
            .spawn(move || {
                handle(tcp, peer, kind, &shared);
                shared.connections.fetch_sub(1, Ordering::AcqRel);
            });
        if let Err(e) = spawned {
            eprintln!("ust relay: {peer}: cannot start a thread: {e}");
        }
    }
}

fn handle(tcp: std::net::TcpStream, peer: SocketAddr, kind: Kind, shared: &Shared) {
    let what = match kind {
        Kind::Control => "control",
        Kind::Data => "data",
    };
    let mut c = match conn::accept(tcp, peer, shared.tls.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ust relay: {peer}: {what} connection refused: {e}");
            return;
        }
    };
    let result = match kind {
        Kind::Control => control::serve(&mut c, &shared.out, &shared.streams),
        Kind::Data => data::serve(&mut c, &shared.streams),
    };
    if let Err(e) = result {
        eprintln!("ust relay: {peer}: {what} connection dropped: {e}");
    }
}

/// This machine's host name (of its UTS namespace).
fn this_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into())
}
