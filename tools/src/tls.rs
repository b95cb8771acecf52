//! TLS for the relay link: rustls configurations with mutual authentication (the relay accepts
//! only clients whose certificate the configured CA signed; clients accept only a relay whose
//! certificate that CA signed for the name they dialled), the key files they read, and the
//! key generation behind `ust relay gen-keys` (rcgen; no hand-written cryptography).
//!
//! Key directory layout (what `gen-keys` writes and the defaults read):
//! `ca.pem` (the CA certificate: both sides), `ca.key` (the CA key: keep it off the relay and
//! the traced machines), `relay.pem`/`relay.key` (the relay), `daemon.pem`/`daemon.key`
//! (tracing hosts), `NAME.pem`/`NAME.key` for extra daemons issued with `--daemon NAME`.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::fs;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The three files one side of the link needs.
#[derive(Clone, Debug)]
pub struct KeyFiles {
    /// The CA certificate that signed the peer's certificate.
    pub ca: PathBuf,
    /// This side's certificate.
    pub cert: PathBuf,
    /// This side's private key.
    pub key: PathBuf,
}

impl KeyFiles {
    /// `DIR/ca.pem`, `DIR/NAME.pem`, `DIR/NAME.key`.
    pub fn in_dir(dir: &Path, name: &str) -> KeyFiles {
        KeyFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}.key")),
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn bad(path: &Path, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

fn certs(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let bytes = fs::read(path).map_err(|e| bad(path, e))?;
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&bytes).collect();
    match certs {
        Ok(c) if !c.is_empty() => Ok(c),
        Ok(_) => Err(bad(path, "no PEM certificate in the file")),
        Err(e) => Err(bad(path, e)),
    }
}

fn key(path: &Path) -> io::Result<PrivateKeyDer<'static>> {
    let bytes = fs::read(path).map_err(|e| bad(path, e))?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| bad(path, e))
}

fn roots(path: &Path) -> io::Result<Arc<RootCertStore>> {
    let mut store = RootCertStore::empty();
    for c in certs(path)? {
        store.add(c).map_err(|e| bad(path, e))?;
    }
    Ok(Arc::new(store))
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

/// The relay's configuration: its certificate, and client certificates required, checked
/// against the CA.
pub fn server_config(files: &KeyFiles) -> io::Result<Arc<ServerConfig>> {
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(&files.ca)?, provider())
        .build()
        .map_err(|e| bad(&files.ca, e))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs(&files.cert)?, key(&files.key)?)
        .map_err(|e| bad(&files.cert, e))?;
    Ok(Arc::new(config))
}

/// A daemon's configuration: the relay's certificate checked against the CA, and this
/// daemon's certificate presented.
pub fn client_config(files: &KeyFiles) -> io::Result<Arc<ClientConfig>> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_root_certificates(roots(&files.ca)?)
        .with_client_auth_cert(certs(&files.cert)?, key(&files.key)?)
        .map_err(|e| bad(&files.cert, e))?;
    Ok(Arc::new(config))
}

/// The name a client checks the relay's certificate against.
pub fn server_name(host: &str) -> io::Result<ServerName<'static>> {
    ServerName::try_from(host.to_owned()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host}: not a host name: {e}"),
        )
    })
}

/// Distinguished name of the CA `gen-keys` makes (a certificate's issuer must match it).
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "UST relay CA");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

/// Writes `text` to a new file `path` (refusing to replace one), mode 0600 for keys.
fn write_new(path: &Path, text: &str, secret: bool) -> io::Result<()> {
    use std::io::Write;
    let mode = if secret { 0o600 } else { 0o644 };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| bad(path, e))?;
    f.write_all(text.as_bytes())
}

fn rcgen_error(e: rcgen::Error) -> io::Error {
    io::Error::other(e.to_string())
}

/// What `gen-keys` should issue.
pub struct Issue<'a> {
    /// Names (DNS or IP) daemons will dial the relay by; empty: no relay certificate.
    pub relay_names: &'a [String],
    /// File stems of the daemon certificates to issue.
    pub daemons: &'a [String],
}

/// Creates the CA in `dir` if it has none (else reuses `ca.key`), then issues the relay and
/// daemon certificates asked for. Returns the files written.
pub fn gen_keys(dir: &Path, issue: &Issue<'_>) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).map_err(|e| bad(dir, e))?;
    let mut written = Vec::new();
    let ca_key_path = dir.join("ca.key");
    let ca_key = if ca_key_path.exists() {
        let pem = fs::read_to_string(&ca_key_path).map_err(|e| bad(&ca_key_path, e))?;
        KeyPair::from_pem(&pem).map_err(|e| bad(&ca_key_path, e))?
    } else {
        let key = KeyPair::generate().map_err(rcgen_error)?;
        let cert = ca_params().self_signed(&key).map_err(rcgen_error)?;
        write_new(&ca_key_path, &key.serialize_pem(), true)?;
        write_new(&dir.join("ca.pem"), &cert.pem(), false)?;
        written.extend([ca_key_path.clone(), dir.join("ca.pem")]);
        key
    };
    let ca = ca_params().self_signed(&ca_key).map_err(rcgen_error)?;
    let mut leaves: Vec<(String, Vec<String>, ExtendedKeyUsagePurpose)> = Vec::new();
    if !issue.relay_names.is_empty() {
        leaves.push((
            "relay".into(),
            issue.relay_names.to_vec(),
            ExtendedKeyUsagePurpose::ServerAuth,
        ));
    }
    for d in issue.daemons {
        if d.is_empty() || d.contains('/') || d.starts_with('.') || d == "ca" || d == "relay" {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{d:?}: not a usable daemon name"),
            ));
        }
        leaves.push((
            d.clone(),
            vec![d.clone()],
            ExtendedKeyUsagePurpose::ClientAuth,
        ));
    }
    for (stem, names, usage) in leaves {
        let mut params = CertificateParams::new(names.clone()).map_err(rcgen_error)?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, names[0].as_str());
        params.distinguished_name = dn;
        params.extended_key_usages = vec![usage];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().map_err(rcgen_error)?;
        let cert = params.signed_by(&key, &ca, &ca_key).map_err(rcgen_error)?;
        let (pem, key_path) = (
            dir.join(format!("{stem}.pem")),
            dir.join(format!("{stem}.key")),
        );
        write_new(&key_path, &key.serialize_pem(), true)?;
        write_new(&pem, &cert.pem(), false)?;
        written.extend([pem, key_path]);
    }
    Ok(written)
}
