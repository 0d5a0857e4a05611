//! The `otlphttp` exporter against an in-test HTTP server on 127.0.0.1: paths,
//! content types, bodies, compression, and which statuses are retried.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;
use sonde_api::component::{ConsumerComponent, Host, ServiceStatus};
use sonde_api::pdata::{metrics, trace, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use sonde_api::telemetry::Telemetry;
use sonde_api::{ComponentId, Context, CreateSettings, Payload, Signal};
use sonde_netconfig::Compression;
use tokio::net::TcpListener;

struct Seen {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

type Reply = (u16, Vec<(&'static str, String)>, Vec<u8>);

#[derive(Default)]
struct Backend {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
}

impl Backend {
    fn script(&self, replies: Vec<Reply>) {
        *self.replies.lock().unwrap() = replies.into();
    }
    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

async fn handle(
    backend: Arc<Backend>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let headers = req.headers().clone();
    let body = req.into_body().collect().await.unwrap().to_bytes().to_vec();
    backend.seen.lock().unwrap().push(Seen {
        path,
        headers,
        body,
    });
    let (status, headers, body) =
        backend
            .replies
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((200, vec![], vec![]));
    let mut response = Response::builder().status(status);
    for (k, v) in headers {
        response = response.header(k, v);
    }
    Ok(response.body(Full::new(Bytes::from(body))).unwrap())
}

async fn serve(backend: Arc<Backend>) -> u16 {
    serve_tls(backend, None).await
}

/// With `tls`, every connection is accepted through rustls first.
async fn serve_tls(backend: Arc<Backend>, tls: Option<tokio_rustls::TlsAcceptor>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let backend = backend.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |r| handle(backend.clone(), r));
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                match tls {
                    None => {
                        let _ = builder.serve_connection(TokioIo::new(tcp), svc).await;
                    }
                    Some(tls) => {
                        let Ok(stream) = tls.accept(tcp).await else {
                            return;
                        };
                        let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                    }
                }
            });
        }
    });
    port
}

fn host() -> Host {
    let (fatal, _) = tokio::sync::mpsc::unbounded_channel();
    let (_, status) = tokio::sync::watch::channel(ServiceStatus::Running);
    Host::new(fatal, status)
}

/// An exporter without a queue, so `consume` returns the outcome; fast retries.
async fn exporter(yaml: &str) -> (Arc<dyn ConsumerComponent>, Telemetry) {
    exporter_for(yaml, &Signal::ALL).await
}

async fn exporter_for(yaml: &str, signals: &[Signal]) -> (Arc<dyn ConsumerComponent>, Telemetry) {
    let retry = if yaml.contains("retry_on_failure") {
        ""
    } else {
        "retry_on_failure: {initial_interval: 1ms, max_interval: 5ms, max_elapsed_time: 10s}"
    };
    let yaml = format!("sending_queue: {{enabled: false}}\n{retry}\n{yaml}");
    let telemetry = Telemetry::new();
    let settings = CreateSettings {
        id: ComponentId::new("otlphttp"),
        telemetry: telemetry.clone(),
    };
    let exporter = sonde_exporter_otlphttp::factory()
        .create(settings, &serde_yaml::from_str(&yaml).unwrap(), signals)
        .unwrap();
    exporter.start(&host()).await.unwrap();
    (exporter, telemetry)
}

fn traces(n: usize) -> Payload {
    Payload::Traces(ExportTraceServiceRequest {
        resource_spans: vec![trace::v1::ResourceSpans {
            scope_spans: vec![trace::v1::ScopeSpans {
                spans: (0..n)
                    .map(|i| trace::v1::Span {
                        trace_id: vec![0xab; 16],
                        span_id: vec![i as u8 + 1; 8],
                        name: format!("GET /{i}"),
                        start_time_unix_nano: 1_700_000_000_000_000_000,
                        kind: 2,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

fn gauge_points() -> Payload {
    Payload::Metrics(ExportMetricsServiceRequest {
        resource_metrics: vec![metrics::v1::ResourceMetrics {
            scope_metrics: vec![metrics::v1::ScopeMetrics {
                metrics: vec![metrics::v1::Metric {
                    name: "up".into(),
                    data: Some(metrics::v1::metric::Data::Gauge(metrics::v1::Gauge {
                        data_points: vec![metrics::v1::NumberDataPoint::default()],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

fn header<'a>(s: &'a Seen, name: &str) -> Option<&'a str> {
    s.headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn proto_gzip_per_signal_paths() {
    let backend = Arc::new(Backend::default());
    let port = serve(backend.clone()).await;
    let (exp, telemetry) = exporter(&format!(
        "endpoint: http://127.0.0.1:{port}\nheaders: {{x-tenant: acme}}"
    ))
    .await;
    exp.consume(traces(2), Context::default()).await.unwrap();
    exp.consume(gauge_points(), Context::default())
        .await
        .unwrap();
    exp.consume(Payload::empty(Signal::Logs), Context::default())
        .await
        .unwrap();
    exp.shutdown().await.unwrap();

    let seen = backend.seen.lock().unwrap();
    let paths: Vec<_> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["/v1/traces", "/v1/metrics", "/v1/logs"]);
    let first = &seen[0];
    assert_eq!(
        header(first, "content-type"),
        Some("application/x-protobuf")
    );
    assert_eq!(header(first, "content-encoding"), Some("gzip"));
    assert_eq!(header(first, "x-tenant"), Some("acme"));
    let raw = Compression::Gzip.decode(&first.body, 1 << 20).unwrap();
    assert_eq!(Payload::decode(Signal::Traces, &raw).unwrap(), traces(2));
    let raw = Compression::Gzip.decode(&seen[1].body, 1 << 20).unwrap();
    assert_eq!(
        Payload::decode(Signal::Metrics, &raw).unwrap(),
        gauge_points()
    );
    assert!(telemetry
        .encode()
        .contains("otelcol_exporter_sent_spans_total{exporter=\"otlphttp\"} 2"));
}

#[tokio::test]
async fn json_encoding_has_hex_ids_and_decodes_equal() {
    let backend = Arc::new(Backend::default());
    let port = serve(backend.clone()).await;
    let (exp, _) = exporter(&format!(
        "endpoint: http://127.0.0.1:{port}/otlp/\nencoding: json\ncompression: none"
    ))
    .await;
    exp.consume(traces(1), Context::default()).await.unwrap();
    let seen = backend.seen.lock().unwrap();
    assert_eq!(seen[0].path, "/otlp/v1/traces");
    assert_eq!(header(&seen[0], "content-type"), Some("application/json"));
    assert_eq!(header(&seen[0], "content-encoding"), None);
    let json: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    let span = &json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(span["traceId"], "abababababababababababababababab");
    assert_eq!(span["spanId"], "0101010101010101");
    assert_eq!(span["kind"], 2);
    let back: ExportTraceServiceRequest = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(Payload::Traces(back), traces(1));
}

#[tokio::test]
async fn signal_endpoint_is_used_as_is() {
    let backend = Arc::new(Backend::default());
    let port = serve(backend.clone()).await;
    let (exp, _) = exporter_for(
        &format!("traces_endpoint: http://127.0.0.1:{port}/ingest/spans\ncompression: zstd"),
        &[Signal::Traces],
    )
    .await;
    exp.consume(traces(1), Context::default()).await.unwrap();
    let seen = backend.seen.lock().unwrap();
    assert_eq!(seen[0].path, "/ingest/spans");
    assert_eq!(header(&seen[0], "content-encoding"), Some("zstd"));
}

#[tokio::test]
async fn unavailable_with_retry_after_is_retried() {
    let backend = Arc::new(Backend::default());
    backend.script(vec![
        (503, vec![("retry-after", "0".into())], vec![]),
        (429, vec![], vec![]),
        (502, vec![], vec![]),
    ]);
    let port = serve(backend.clone()).await;
    let (exp, _) = exporter(&format!("endpoint: http://127.0.0.1:{port}")).await;
    exp.consume(traces(1), Context::default()).await.unwrap();
    assert_eq!(backend.count(), 4);
}

#[tokio::test]
async fn bad_request_is_not_retried_and_its_message_is_kept() {
    let backend = Arc::new(Backend::default());
    let status = tonic_types::Status {
        code: 3,
        message: "span name too long".into(),
        details: vec![],
    };
    backend.script(vec![(
        400,
        vec![("content-type", "application/x-protobuf".into())],
        status.encode_to_vec(),
    )]);
    let port = serve(backend.clone()).await;
    let (exp, telemetry) = exporter(&format!("endpoint: http://127.0.0.1:{port}")).await;
    let err = exp
        .consume(traces(3), Context::default())
        .await
        .unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(
        err.message(),
        format!(
            "not retryable error: error exporting items, request to \
             http://127.0.0.1:{port}/v1/traces responded with HTTP Status Code 400, \
             Message=span name too long"
        )
    );
    assert_eq!(backend.count(), 1);
    assert!(telemetry
        .encode()
        .contains("otelcol_exporter_send_failed_spans_total{exporter=\"otlphttp\"} 3"));
}

#[tokio::test]
async fn partial_success_is_not_retried() {
    let backend = Arc::new(Backend::default());
    let body = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: 1,
            error_message: "one span too old".into(),
        }),
    };
    backend.script(vec![(
        200,
        vec![("content-type", "application/x-protobuf".into())],
        body.encode_to_vec(),
    )]);
    let port = serve(backend.clone()).await;
    let (exp, telemetry) = exporter(&format!("endpoint: http://127.0.0.1:{port}")).await;
    exp.consume(traces(2), Context::default()).await.unwrap();
    assert_eq!(backend.count(), 1);
    assert!(telemetry
        .encode()
        .contains("otelcol_exporter_sent_spans_total{exporter=\"otlphttp\"} 2"));
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let yaml = format!("endpoint: http://127.0.0.1:{port}");
    let (exp, _) =
        exporter(&yaml.replace("endpoint", "retry_on_failure: {enabled: false}\nendpoint")).await;
    let err = exp
        .consume(traces(1), Context::default())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        err.message()
            .starts_with("retries are disabled: failed to make an HTTP request: "),
        "{err}"
    );
}

#[tokio::test]
async fn https_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let Some(certs) = sonde_netconfig::tls::testcerts::generate(dir.path()) else {
        eprintln!("skipping: the openssl CLI is not available to make test certificates");
        return;
    };
    let server = sonde_netconfig::tls::TlsServerConfig {
        cert_file: certs.server_cert.to_string_lossy().into(),
        key_file: certs.server_key.to_string_lossy().into(),
        ..Default::default()
    }
    .rustls_config(&[b"h2", b"http/1.1"])
    .unwrap();
    let backend = Arc::new(Backend::default());
    let port = serve_tls(
        backend.clone(),
        Some(tokio_rustls::TlsAcceptor::from(Arc::new(server))),
    )
    .await;
    let (exp, _) = exporter(&format!(
        "endpoint: https://localhost:{port}\ntls: {{ca_file: \"{}\"}}",
        certs.ca.display()
    ))
    .await;
    exp.consume(traces(1), Context::default()).await.unwrap();
    assert_eq!(backend.count(), 1);

    // The system roots do not know the test CA: the handshake fails, retryably.
    let (exp, _) = exporter(&format!(
        "endpoint: https://localhost:{port}\nretry_on_failure: {{enabled: false}}"
    ))
    .await;
    let err = exp
        .consume(traces(1), Context::default())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(backend.count(), 1);
}
