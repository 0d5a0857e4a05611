//! Shared test fixtures: a capturing consumer that can be told to fail, a receiver
//! started on free loopback ports, small payloads, and a raw HTTP/1.1 client.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use sonde_api::pdata::common::v1::{any_value, AnyValue, KeyValue};
use sonde_api::pdata::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use sonde_api::pdata::metrics::v1::{
    metric, number_data_point, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
};
use sonde_api::pdata::resource::v1::Resource;
use sonde_api::pdata::trace::v1::{ResourceSpans, ScopeSpans, Span};
use sonde_api::pdata::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
};
use sonde_api::telemetry::Telemetry;
use sonde_api::{
    ComponentId, ConsumeError, Consumer, Context, CreateSettings, Host, Lifecycle, Payload,
    ServiceStatus, SignalConsumers,
};
use sonde_receiver_otlp::{Config, OtlpReceiver};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Notify};

/// Records what it is given; fails with `fail` when set; waits for `gate` when set.
#[derive(Default)]
pub struct Capture {
    pub received: Mutex<Vec<(Payload, Context)>>,
    pub fail: Mutex<Option<ConsumeError>>,
    pub gate: Mutex<Option<Arc<Notify>>>,
    pub entered: Notify,
}

impl Capture {
    /// What arrived, decoded (protobuf passes through as bytes).
    pub fn payloads(&self) -> Vec<Payload> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(p, _)| p.decoded().unwrap().into_owned())
            .collect()
    }

    /// True for each payload that arrived as bytes, not structs.
    pub fn kept_encoded(&self) -> Vec<bool> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(p, _)| matches!(p, Payload::Encoded(_)))
            .collect()
    }

    pub fn contexts(&self) -> Vec<Context> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, c)| c.clone())
            .collect()
    }

    pub fn fail_with(&self, err: ConsumeError) {
        *self.fail.lock().unwrap() = Some(err);
    }
}

#[sonde_api::async_trait]
impl Consumer for Capture {
    async fn consume(&self, payload: Payload, ctx: Context) -> Result<(), ConsumeError> {
        let gate = self.gate.lock().unwrap().clone();
        match gate {
            Some(gate) => {
                // Created before saying "entered", so a `notify_waiters` right after
                // cannot be missed.
                let opened = gate.notified();
                self.entered.notify_one();
                opened.await;
            }
            None => self.entered.notify_one(),
        }
        if let Some(err) = self.fail.lock().unwrap().clone() {
            return Err(err);
        }
        self.received.lock().unwrap().push((payload, ctx));
        Ok(())
    }
}

pub struct Running {
    pub receiver: Arc<OtlpReceiver>,
    pub capture: Arc<Capture>,
    pub telemetry: Telemetry,
    pub grpc: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
    _fatal: mpsc::UnboundedReceiver<String>,
    _status: watch::Sender<ServiceStatus>,
}

impl Running {
    pub fn http_url(&self) -> SocketAddr {
        self.http.expect("http enabled")
    }
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc.expect("grpc enabled"))
    }
}

pub fn host() -> (
    Host,
    mpsc::UnboundedReceiver<String>,
    watch::Sender<ServiceStatus>,
) {
    let (fatal, fatal_rx) = mpsc::unbounded_channel();
    let (status, status_rx) = watch::channel(ServiceStatus::Running);
    (Host::new(fatal, status_rx), fatal_rx, status)
}

/// Starts a receiver from `yaml` (endpoints should use port 0) wired for `signals`
/// (a subset of "traces", "metrics", "logs").
pub async fn start(yaml: &str, signals: &[&str]) -> Running {
    let config: Config = sonde_api::config::decode(&serde_yaml::from_str(yaml).unwrap()).unwrap();
    let capture = Arc::new(Capture::default());
    let mut consumers = SignalConsumers::default();
    for s in signals {
        consumers.set(sonde_api::Signal::parse(s).unwrap(), capture.clone());
    }
    let telemetry = Telemetry::new();
    let settings = CreateSettings {
        id: ComponentId::new("otlp"),
        telemetry: telemetry.clone(),
    };
    let receiver = Arc::new(OtlpReceiver::new(settings, config, consumers));
    let (host, fatal, status) = host();
    receiver.start(&host).await.unwrap();
    let (grpc, http) = receiver.local_addrs();
    Running {
        receiver,
        capture,
        telemetry,
        grpc,
        http,
        _fatal: fatal,
        _status: status,
    }
}

pub const BOTH: &str =
    "protocols: {grpc: {endpoint: '127.0.0.1:0'}, http: {endpoint: '127.0.0.1:0'}}";
pub const ALL: &[&str] = &["traces", "metrics", "logs"];

fn attr(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn resource(tag: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![attr("service.name", tag)],
        ..Default::default()
    })
}

/// `spans` spans under one resource named `tag`.
pub fn traces(tag: &str, spans: usize) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(tag),
            scope_spans: vec![ScopeSpans {
                spans: (0..spans)
                    .map(|i| Span {
                        trace_id: vec![7; 16],
                        span_id: vec![(i % 255) as u8 + 1; 8],
                        name: format!("{tag}-{i}"),
                        kind: 2,
                        start_time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
                        end_time_unix_nano: 1_700_000_000_500_000_000,
                        attributes: vec![attr("k", "v")],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn metrics(tag: &str, points: usize) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(tag),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: format!("{tag}.gauge"),
                    data: Some(metric::Data::Gauge(Gauge {
                        data_points: (0..points)
                            .map(|i| NumberDataPoint {
                                time_unix_nano: 1_700_000_000_000_000_000,
                                value: Some(number_data_point::Value::AsInt(
                                    -(i as i64) - 9_007_199_254_740_993,
                                )),
                                ..Default::default()
                            })
                            .collect(),
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn logs(tag: &str, records: usize) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(tag),
            scope_logs: vec![ScopeLogs {
                log_records: (0..records)
                    .map(|i| LogRecord {
                        time_unix_nano: 1_700_000_000_000_000_000,
                        severity_number: 9,
                        body: Some(AnyValue {
                            value: Some(any_value::Value::StringValue(format!("{tag} {i}"))),
                        }),
                        trace_id: vec![7; 16],
                        span_id: vec![1; 8],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(Bytes::from(body))).unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn post(addr: SocketAddr, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
    send(addr, "POST", path, &[("content-type", content_type)], body).await
}

pub const PROTOBUF: &str = "application/x-protobuf";
pub const JSON: &str = "application/json";
