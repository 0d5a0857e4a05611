//! The factory, config errors, start / shutdown, bind failures and graceful drain.

mod common;

use std::sync::Arc;

use common::*;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use prost::Message;
use sonde_api::telemetry::Telemetry;
use sonde_api::Lifecycle;
use sonde_api::{ComponentId, CreateSettings, Signal, SignalConsumers, Stability};
use tokio::sync::Notify;

fn yaml(s: &str) -> serde_yaml::Value {
    serde_yaml::from_str(s).unwrap()
}

fn settings() -> CreateSettings {
    CreateSettings {
        id: ComponentId::parse("otlp/in").unwrap(),
        telemetry: Telemetry::new(),
    }
}

#[test]
fn factory_names_defaults_and_errors() {
    let f = sonde_receiver_otlp::factory();
    assert_eq!(f.type_name(), "otlp");
    assert!(f.module().starts_with("sonde-receiver-otlp v"));
    for s in Signal::ALL {
        assert_eq!(f.stability(s), Some(Stability::Stable));
    }
    assert_eq!(f.default_config(), yaml("protocols: {}"));
    assert_eq!(
        f.validate(&f.default_config()).unwrap_err().to_string(),
        "must specify at least one protocol when using the OTLP receiver"
    );
    assert!(f.validate(&yaml("protocols:\n  grpc:\n  http:\n")).is_ok());
    assert_eq!(
        f.validate(&yaml(
            "protocols: {http: {max_request_body_size: 1, foo: 2}}"
        ))
        .unwrap_err()
        .to_string(),
        "'protocols.http' has invalid keys: foo"
    );
    assert_eq!(
        f.validate(&yaml("protocol:\n  grpc:\n"))
            .unwrap_err()
            .to_string(),
        "'' has invalid keys: protocol"
    );
}

#[tokio::test]
async fn start_and_shutdown_twice() {
    let f = sonde_receiver_otlp::factory();
    let mut consumers = SignalConsumers::default();
    consumers.set(Signal::Traces, Arc::new(Capture::default()));
    let receiver = f.create(settings(), &yaml(BOTH), consumers).unwrap();
    let (host, _fatal, _status) = host();
    for _ in 0..2 {
        receiver.start(&host).await.unwrap();
        receiver.shutdown().await.unwrap();
    }
    // Shutting down what is not running is fine.
    receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_port_in_use_fails_start_naming_the_endpoint() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port();
    let f = sonde_receiver_otlp::factory();
    for config in [
        format!("protocols: {{grpc: {{endpoint: 'localhost:{port}'}}}}"),
        format!("protocols: {{grpc: {{endpoint: '127.0.0.1:0'}}, http: {{endpoint: 'localhost:{port}'}}}}"),
    ] {
        let receiver = f
            .create(settings(), &yaml(&config), SignalConsumers::default())
            .unwrap();
        let (host, _fatal, _status) = host();
        let err = receiver.start(&host).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("listen tcp 127.0.0.1:{port}: address already in use")
        );
    }
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish_then_stops_listening() {
    let r = start(BOTH, ALL).await;
    let gate = Arc::new(Notify::new());
    *r.capture.gate.lock().unwrap() = Some(gate.clone());
    let http_addr = r.http_url();
    let grpc_url = r.grpc_url();

    let http_request = tokio::spawn(async move {
        post(
            http_addr,
            "/v1/traces",
            PROTOBUF,
            traces("h", 1).encode_to_vec(),
        )
        .await
    });
    r.capture.entered.notified().await;
    let mut grpc_client = TraceServiceClient::connect(grpc_url).await.unwrap();
    let grpc_request = tokio::spawn(async move { grpc_client.export(traces("g", 2)).await });
    r.capture.entered.notified().await;

    let receiver = r.receiver.clone();
    let shutdown = tokio::spawn(async move { receiver.shutdown().await.unwrap() });
    // The servers have been told to stop once the receiver forgets its addresses.
    while r.receiver.local_addrs() != (None, None) {
        tokio::task::yield_now().await;
    }
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(
        !shutdown.is_finished(),
        "shutdown must wait for in-flight requests"
    );

    gate.notify_waiters();
    let answer = http_request.await.unwrap();
    assert_eq!(answer.status, 200);
    grpc_request.await.unwrap().unwrap();
    shutdown.await.unwrap();
    assert_eq!(r.capture.payloads().len(), 2);
    assert!(tokio::net::TcpStream::connect(http_addr).await.is_err());
}
