//! The extension over real HTTP on 127.0.0.1.

use sonde_api::component::ServiceStatus;
use sonde_api::{ComponentId, Host, Lifecycle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

use crate::config::Config;
use crate::server::HealthCheck;

/// Sends `GET path` and returns (status code, body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

fn config(yaml: &str) -> Config {
    let mut c: Config = sonde_api::config::decode(&serde_yaml::from_str(yaml).unwrap()).unwrap();
    c.endpoint = "127.0.0.1:0".to_string();
    c
}

/// Waits until the status watcher has caught up with the service's status.
async fn until(addr: std::net::SocketAddr, path: &str, code: u16) -> String {
    for _ in 0..500 {
        let (status, body) = get(addr, path).await;
        if status == code {
            return body;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("never got {code}");
}

#[tokio::test]
async fn follows_the_service_status() {
    let (fatal, _fatal_rx) = mpsc::unbounded_channel();
    let (status_tx, status) = watch::channel(ServiceStatus::Starting);
    let host = Host::new(fatal, status);
    let hc = HealthCheck::new(ComponentId::new("health_check"), config("{}"));
    hc.start(&host).await.unwrap();
    let addr = hc.local_addr().unwrap();

    let (code, body) = get(addr, "/").await;
    assert_eq!(code, 503);
    assert_eq!(
        body,
        r#"{"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""}"#
    );

    status_tx.send(ServiceStatus::Running).unwrap();
    let body = until(addr, "/", 200).await;
    assert!(
        body.starts_with(r#"{"status":"Server available","upSince":""#),
        "{body}"
    );
    assert!(body.contains(r#"Z","uptime":""#), "{body}");

    status_tx.send(ServiceStatus::Stopping).unwrap();
    until(addr, "/", 503).await;

    hc.shutdown().await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn custom_path_and_bodies() {
    let (fatal, _fatal_rx) = mpsc::unbounded_channel();
    let (_status_tx, status) = watch::channel(ServiceStatus::Running);
    let host = Host::new(fatal, status);
    let hc = HealthCheck::new(
        ComponentId::new("health_check"),
        config("{path: /health/status, response_body: {healthy: up, unhealthy: down}}"),
    );
    hc.start(&host).await.unwrap();
    let addr = hc.local_addr().unwrap();
    assert_eq!(until(addr, "/health/status", 200).await, "up");
    assert_eq!(get(addr, "/").await.0, 404);
    assert_eq!(get(addr, "/health/status/x").await.0, 404);
    hc.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_taken_port_fails_start_naming_the_endpoint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = taken.local_addr().unwrap().to_string();
    let (fatal, _fatal_rx) = mpsc::unbounded_channel();
    let (_status_tx, status) = watch::channel(ServiceStatus::Starting);
    let mut c = config("{}");
    c.endpoint = endpoint.clone();
    let hc = HealthCheck::new(ComponentId::new("health_check"), c);
    let err = hc.start(&Host::new(fatal, status)).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("health_check: failed to listen on {endpoint}: ")),
        "{err}"
    );
}

#[test]
fn factory_describes_itself() {
    let f = crate::factory();
    assert_eq!(f.type_name(), "health_check");
    let default = f.default_config();
    assert_eq!(
        default["endpoint"],
        serde_yaml::Value::from("localhost:13133")
    );
    assert_eq!(default["path"], serde_yaml::Value::from("/"));
    assert!(f.validate(&default).is_ok());
}
