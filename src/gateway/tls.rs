//! What the library trusts, and how it tells a TLS refusal from a broken network.
//!
//! Trusted: Mozilla's root certificates as bundled in the library (`webpki-root-certs`), plus
//! the certificates of `ca_file` when given (a shop's TLS-inspecting firewall has its own
//! CA). Never the system store implicitly, and verification can never be turned off.

use crate::error::{Error, Result};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use ureq::tls::{Certificate, PemItem, RootCerts};

/// A `ca_file` larger than this is certainly not a CA bundle.
const MAX_CA_FILE_BYTES: u64 = 4 << 20;

fn bundled() -> &'static [Certificate<'static>] {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()))
            .collect()
    })
}

/// The roots a client trusts: the bundled ones, plus those of `ca_file`.
pub(crate) fn root_certs(ca_file: Option<&Path>) -> Result<RootCerts> {
    let mut roots = bundled().to_vec();
    if let Some(path) = ca_file {
        roots.extend(read_ca_file(path)?);
    }
    Ok(RootCerts::Specific(Arc::new(roots)))
}

/// The certificates of a PEM file; a file without one is a configuration error.
fn read_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>> {
    let unusable = |why: String| {
        Error::config(format!(
            "`ca_file` {} is not usable: {why}; give a PEM file of the CA certificate(s) to trust (-----BEGIN CERTIFICATE-----)",
            path.display()
        ))
    };
    let size = std::fs::metadata(path)
        .map_err(|e| unusable(format!("it cannot be read ({e})")))?
        .len();
    if size > MAX_CA_FILE_BYTES {
        return Err(unusable(format!(
            "it is {size} bytes, far more than any CA bundle"
        )));
    }
    let pem = std::fs::read(path).map_err(|e| unusable(format!("it cannot be read ({e})")))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert.to_owned()),
            Ok(_) => {}
            Err(e) => return Err(unusable(format!("its PEM is broken ({e})"))),
        }
    }
    if certs.is_empty() {
        return Err(unusable("it holds no certificate".into()));
    }
    Ok(certs)
}

/// The rustls error inside a ureq error, if the failure was TLS's: rustls errors reach us
/// wrapped in I/O errors from the handshake.
pub(crate) fn tls_failure(error: &ureq::Error) -> Option<String> {
    match error {
        ureq::Error::Tls(what) => Some((*what).to_string()),
        ureq::Error::Rustls(e) => Some(e.to_string()),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(|e| e.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_roots_are_there_and_bad_ca_files_are_config_errors() {
        assert!(bundled().len() > 100, "Mozilla's roots are bundled");
        let dir = std::env::temp_dir().join(format!("jdy-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        for (path, needle) in [
            (dir.join("missing.pem"), "cannot be read"),
            (empty, "holds no certificate"),
        ] {
            let e = root_certs(Some(&path)).unwrap_err();
            assert_eq!(e.kind, crate::error::ErrorKind::Config);
            assert!(e.message.contains(needle), "{}", e.message);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_rustls_error_inside_an_io_error_is_recognised() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let why = tls_failure(&ureq::Error::Io(io)).unwrap();
        assert!(
            why.contains("UnknownIssuer") || why.contains("unknown issuer"),
            "{why}"
        );
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(tls_failure(&ureq::Error::Io(plain)), None);
    }
}
