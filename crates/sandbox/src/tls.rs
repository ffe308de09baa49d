//! HTTPS for the sandbox: a CA generated at start (rcgen), a server certificate it issues,
//! good or deliberately bad, and the CA's certificate written to a file clients can trust
//! through `ca_file`. Nothing here is a real certificate of anyone's.

use crate::options::Certificate;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// What an HTTPS sandbox serves with.
pub(crate) struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    /// The CA's certificate, PEM.
    pub ca_pem: String,
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("sandbox TLS setup failed: {e}"))
}

/// A CA and a server certificate of the kind asked for.
pub(crate) fn setup(kind: Certificate) -> io::Result<Tls> {
    let ca_key = KeyPair::generate().map_err(invalid)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(invalid)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "jdy-member sandbox CA (not real)");
    let ca_cert = ca.self_signed(&ca_key).map_err(invalid)?;

    let names = match kind {
        Certificate::WrongHost => vec!["wrong-host.sandbox.invalid".to_string()],
        Certificate::Valid | Certificate::Expired => {
            vec!["127.0.0.1".to_string(), "localhost".to_string()]
        }
    };
    let server_key = KeyPair::generate().map_err(invalid)?;
    let mut server = CertificateParams::new(names).map_err(invalid)?;
    server
        .distinguished_name
        .push(DnType::CommonName, "jdy-member sandbox gateway");
    let now = OffsetDateTime::now_utc();
    if kind == Certificate::Expired {
        server.not_before = now - Duration::days(30);
        server.not_after = now - Duration::days(1);
    } else {
        server.not_before = now - Duration::days(1);
        server.not_after = now + Duration::days(30);
    }
    let issuer = Issuer::from_params(&ca, &ca_key);
    let server_cert = server.signed_by(&server_key, &issuer).map_err(invalid)?;

    let chain: Vec<CertificateDer<'static>> =
        vec![server_cert.der().clone(), ca_cert.der().clone()];
    let key = PrivateKeyDer::try_from(server_key.serialize_der()).map_err(invalid)?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(invalid)?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(invalid)?;
    Ok(Tls {
        config: Arc::new(config),
        ca_pem: ca_cert.pem(),
    })
}

/// Writes the CA certificate into a new folder of its own under the temporary directory.
pub(crate) fn write_ca(pem: &str, port: u16) -> io::Result<PathBuf> {
    let folder = std::env::temp_dir().join(format!(
        "jdy-member-sandbox-{}-{port}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::create_dir_all(&folder)?;
    let path = folder.join("sandbox-ca.pem");
    std::fs::write(&path, pem)?;
    Ok(path)
}

/// Removes what [`write_ca`] wrote.
pub(crate) fn remove_ca(path: &Path) {
    let _ = std::fs::remove_file(path);
    if let Some(folder) = path.parent() {
        let _ = std::fs::remove_dir(folder);
    }
}
