use std::sync::Arc;

use sonde_api::config::{decode, ComponentConfig};
use tokio::net::{TcpListener, TcpStream};

use super::testcerts::{generate, TestCerts};
use super::*;

fn path(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn missing_file_is_named() {
    let c = TlsClientConfig {
        ca_file: "/nonexistent/ca.pem".into(),
        ..Default::default()
    };
    let err = c.rustls_config().unwrap_err().to_string();
    assert!(
        err.starts_with("failed to load CA file \"/nonexistent/ca.pem\": "),
        "{err}"
    );
}

#[test]
fn file_without_pem_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("empty.pem");
    std::fs::write(&f, "not a certificate").unwrap();
    let c = TlsClientConfig {
        ca_file: path(&f),
        ..Default::default()
    };
    assert_eq!(
        c.rustls_config().unwrap_err().to_string(),
        format!(
            "failed to load CA file {:?}: no PEM certificate found",
            path(&f)
        )
    );
}

#[test]
fn validate_checks_pairs_and_versions() {
    let half = TlsClientConfig {
        cert_file: "c.pem".into(),
        ..Default::default()
    };
    assert_eq!(
        half.validate().unwrap_err().to_string(),
        "for auth via TLS, provide both certificate and key, or neither"
    );
    let yaml: serde_yaml::Value = serde_yaml::from_str("min_version: \"1.1\"").unwrap();
    assert_eq!(
        decode::<TlsClientConfig>(&yaml).unwrap_err().to_string(),
        "min_version: invalid TLS version \"1.1\" (supported: \"1.2\", \"1.3\")"
    );
    let yaml: serde_yaml::Value = serde_yaml::from_str("{ca_fil: x}").unwrap();
    assert_eq!(
        decode::<TlsClientConfig>(&yaml).unwrap_err().to_string(),
        "'' has invalid keys: ca_fil"
    );
    assert!(TlsClientConfig::default().rustls_config().is_ok());
}

fn certs() -> Option<(tempfile::TempDir, TestCerts)> {
    let dir = tempfile::tempdir().unwrap();
    match generate(dir.path()) {
        Some(c) => Some((dir, c)),
        None => {
            eprintln!("skipping: the openssl CLI is not available to make test certificates");
            None
        }
    }
}

/// One handshake over 127.0.0.1; `Ok` when both sides agree.
async fn handshake(
    server: rustls::ServerConfig,
    client: rustls::ClientConfig,
) -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        acceptor.accept(tcp).await.map(|_| ())
    });
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let client = connector.connect(name, tcp).await.map(|_| ());
    let server = server.await.unwrap();
    client.map_err(|e| format!("client: {e}"))?;
    server.map_err(|e| format!("server: {e}"))
}

fn server(c: &TestCerts, client_ca: bool) -> rustls::ServerConfig {
    TlsServerConfig {
        cert_file: path(&c.server_cert),
        key_file: path(&c.server_key),
        client_ca_file: if client_ca {
            path(&c.ca)
        } else {
            String::new()
        },
        ..Default::default()
    }
    .rustls_config(&[])
    .unwrap()
}

#[tokio::test]
async fn client_trusts_its_ca_file_only() {
    let Some((_dir, c)) = certs() else { return };
    let with_ca = TlsClientConfig {
        ca_file: path(&c.ca),
        ..Default::default()
    };
    handshake(server(&c, false), with_ca.rustls_config().unwrap())
        .await
        .unwrap();
    let system = TlsClientConfig::default().rustls_config().unwrap();
    let err = handshake(server(&c, false), system).await.unwrap_err();
    assert!(err.starts_with("client: invalid peer certificate"), "{err}");
    let skip = TlsClientConfig {
        insecure_skip_verify: true,
        ..Default::default()
    };
    handshake(server(&c, false), skip.rustls_config().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let Some((_dir, c)) = certs() else { return };
    let with_cert = TlsClientConfig {
        ca_file: path(&c.ca),
        cert_file: path(&c.client_cert),
        key_file: path(&c.client_key),
        ..Default::default()
    };
    handshake(server(&c, true), with_cert.rustls_config().unwrap())
        .await
        .unwrap();
    let without = TlsClientConfig {
        ca_file: path(&c.ca),
        ..Default::default()
    };
    // TLS 1.3: the client learns of the refusal only when it reads; the server sees it.
    let err = handshake(server(&c, true), without.rustls_config().unwrap())
        .await
        .unwrap_err();
    assert!(err.contains("certificate"), "{err}");
}

#[test]
fn tonic_server_config_names_a_missing_file() {
    let s = TlsServerConfig {
        cert_file: "/nonexistent/server.pem".into(),
        key_file: "/nonexistent/server.key".into(),
        ..Default::default()
    };
    let err = s.tonic_config().unwrap_err().to_string();
    assert!(
        err.starts_with("failed to load server certificate \"/nonexistent/server.pem\""),
        "{err}"
    );
    assert!(s.is_enabled());
}
