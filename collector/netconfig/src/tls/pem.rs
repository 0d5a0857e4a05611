//! Reading PEM certificates and keys from a file or inline text, with errors that
//! name the file.

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{Source, TlsError};

fn read(source: &Source<'_>) -> Result<(Vec<u8>, String), TlsError> {
    if !source.file.is_empty() {
        let bytes = std::fs::read(source.file).map_err(|e| TlsError::Read {
            what: source.what,
            path: source.file.to_string(),
            source: e,
        })?;
        Ok((bytes, source.file.to_string()))
    } else {
        Ok((source.pem.as_bytes().to_vec(), "<inline pem>".to_string()))
    }
}

/// Every certificate in the source; at least one.
pub(crate) fn certs(source: &Source<'_>) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let (bytes, path) = read(source)?;
    let certs = rustls_pemfile::certs(&mut bytes.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid {
            what: source.what,
            path: path.clone(),
            message: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Empty {
            what: source.what,
            path,
            expected: "certificate",
        });
    }
    Ok(certs)
}

/// The first private key in the source (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn key(source: &Source<'_>) -> Result<PrivateKeyDer<'static>, TlsError> {
    let (bytes, path) = read(source)?;
    rustls_pemfile::private_key(&mut bytes.as_slice())
        .map_err(|e| TlsError::Invalid {
            what: source.what,
            path: path.clone(),
            message: e.to_string(),
        })?
        .ok_or(TlsError::Empty {
            what: source.what,
            path,
            expected: "private key",
        })
}

/// A root store from the source's certificates.
pub(crate) fn roots(source: &Source<'_>) -> Result<rustls::RootCertStore, TlsError> {
    let mut store = rustls::RootCertStore::empty();
    for cert in certs(source)? {
        store.add(cert).map_err(|e| TlsError::Invalid {
            what: source.what,
            path: source.file.to_string(),
            message: e.to_string(),
        })?;
    }
    Ok(store)
}

/// The system's trust roots; unreadable entries are skipped with a warning.
pub(crate) fn system_roots() -> rustls::RootCertStore {
    let found = rustls_native_certs::load_native_certs();
    for err in &found.errors {
        tracing::warn!(error = %err, "skipping a system CA certificate");
    }
    let mut store = rustls::RootCertStore::empty();
    let (_, ignored) = store.add_parsable_certificates(found.certs);
    if ignored > 0 {
        tracing::debug!(ignored, "system CA certificates rustls could not parse");
    }
    store
}
