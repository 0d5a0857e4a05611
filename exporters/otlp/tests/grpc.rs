//! The `otlp` exporter against an in-test OTLP/gRPC server on 127.0.0.1: what arrives,
//! with which metadata and compression, and which answers are retried.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use sonde_api::component::{ConsumerComponent, Host, ServiceStatus};
use sonde_api::pdata::{logs, trace};
use sonde_api::telemetry::Telemetry;
use sonde_api::{ComponentId, Context, CreateSettings, Payload, Signal};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataMap;
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Replies from a script (then plain success) and records every request.
#[derive(Default)]
struct Backend {
    replies: Mutex<VecDeque<Result<i64, Status>>>,
    requests: Mutex<Vec<(Payload, MetadataMap)>>,
}

impl Backend {
    fn record(&self, payload: Payload, metadata: &MetadataMap) -> Result<i64, Status> {
        self.requests
            .lock()
            .unwrap()
            .push((payload, metadata.clone()));
        self.replies.lock().unwrap().pop_front().unwrap_or(Ok(0))
    }
    fn script(&self, replies: Vec<Result<i64, Status>>) {
        *self.replies.lock().unwrap() = replies.into();
    }
    fn requests(&self) -> Vec<(Payload, MetadataMap)> {
        self.requests.lock().unwrap().clone()
    }
}

#[derive(Clone)]
struct Svc(Arc<Backend>);

#[tonic::async_trait]
impl TraceService for Svc {
    async fn export(
        &self,
        r: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let md = r.metadata().clone();
        let rejected = self.0.record(Payload::Traces(r.into_inner()), &md)?;
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: (rejected > 0).then(|| ExportTracePartialSuccess {
                rejected_spans: rejected,
                error_message: "some spans were too old".into(),
            }),
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Svc {
    async fn export(
        &self,
        r: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let md = r.metadata().clone();
        self.0.record(Payload::Metrics(r.into_inner()), &md)?;
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Svc {
    async fn export(
        &self,
        r: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let md = r.metadata().clone();
        self.0.record(Payload::Logs(r.into_inner()), &md)?;
        Ok(Response::new(ExportLogsServiceResponse::default()))
    }
}

/// Starts a server on 127.0.0.1:0 and returns its port.
async fn serve(backend: Arc<Backend>, tls: Option<tonic::transport::ServerTlsConfig>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let svc = Svc(backend);
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls).unwrap();
    }
    let router = builder
        .add_service(
            TraceServiceServer::new(svc.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd),
        )
        .add_service(
            MetricsServiceServer::new(svc.clone()).accept_compressed(CompressionEncoding::Gzip),
        )
        .add_service(LogsServiceServer::new(svc).accept_compressed(CompressionEncoding::Gzip));
    tokio::spawn(router.serve_with_incoming(TcpListenerStream::new(listener)));
    port
}

fn host() -> Host {
    let (fatal, _) = tokio::sync::mpsc::unbounded_channel();
    let (_, status) = tokio::sync::watch::channel(ServiceStatus::Running);
    Host::new(fatal, status)
}

/// An exporter without a queue, so `consume` returns the outcome; fast retries.
async fn exporter(yaml_extra: &str, endpoint: &str) -> (Arc<dyn ConsumerComponent>, Telemetry) {
    let retry = if yaml_extra.contains("retry_on_failure") {
        ""
    } else {
        "retry_on_failure: {initial_interval: 1ms, max_interval: 5ms, max_elapsed_time: 10s}"
    };
    let yaml = format!(
        "endpoint: \"{endpoint}\"\nsending_queue: {{enabled: false}}\n{retry}\n{yaml_extra}"
    );
    let telemetry = Telemetry::new();
    let settings = CreateSettings {
        id: ComponentId::new("otlp"),
        telemetry: telemetry.clone(),
    };
    let exporter = sonde_exporter_otlp::factory()
        .create(
            settings,
            &serde_yaml::from_str(&yaml).unwrap(),
            &Signal::ALL,
        )
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
                        trace_id: vec![7; 16],
                        span_id: vec![i as u8; 8],
                        name: format!("GET /{i}"),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

fn sent_spans(t: &Telemetry) -> String {
    t.encode()
        .lines()
        .filter(|l| {
            l.starts_with("otelcol_exporter_sent_spans_total")
                || l.starts_with("otelcol_exporter_send_failed_spans_total")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn payload_headers_and_gzip_arrive() {
    let backend = Arc::new(Backend::default());
    let port = serve(backend.clone(), None).await;
    let (exp, telemetry) = exporter(
        "tls: {insecure: true}\nheaders: {x-tenant: acme}",
        &format!("127.0.0.1:{port}"),
    )
    .await;
    exp.consume(traces(3), Context::default()).await.unwrap();
    let logs = Payload::Logs(ExportLogsServiceRequest {
        resource_logs: vec![logs::v1::ResourceLogs {
            scope_logs: vec![logs::v1::ScopeLogs {
                log_records: vec![logs::v1::LogRecord::default()],
                ..Default::default()
            }],
            ..Default::default()
        }],
    });
    exp.consume(logs.clone(), Context::default()).await.unwrap();
    exp.consume(Payload::empty(Signal::Metrics), Context::default())
        .await
        .unwrap();
    exp.shutdown().await.unwrap();

    let got = backend.requests();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].0, traces(3));
    assert_eq!(got[1].0, logs);
    assert_eq!(got[2].0, Payload::empty(Signal::Metrics));
    let md = &got[0].1;
    assert_eq!(md.get("x-tenant").unwrap(), "acme");
    assert_eq!(md.get("grpc-encoding").unwrap(), "gzip");
    assert_eq!(
        sent_spans(&telemetry),
        "otelcol_exporter_sent_spans_total{exporter=\"otlp\"} 3\n\
         otelcol_exporter_send_failed_spans_total{exporter=\"otlp\"} 0"
    );
}

#[tokio::test]
async fn compression_none_and_http_scheme() {
    let backend = Arc::new(Backend::default());
    let port = serve(backend.clone(), None).await;
    let (exp, _) = exporter("compression: none", &format!("http://127.0.0.1:{port}")).await;
    exp.consume(traces(1), Context::default()).await.unwrap();
    assert!(backend.requests()[0].1.get("grpc-encoding").is_none());
}

#[tokio::test]
async fn unavailable_is_retried_then_succeeds() {
    let backend = Arc::new(Backend::default());
    backend.script(vec![
        Err(Status::unavailable("restarting")),
        Err(Status::unavailable("restarting")),
    ]);
    let port = serve(backend.clone(), None).await;
    let (exp, telemetry) = exporter("tls: {insecure: true}", &format!("127.0.0.1:{port}")).await;
    exp.consume(traces(2), Context::default()).await.unwrap();
    assert_eq!(backend.requests().len(), 3);
    assert!(
        sent_spans(&telemetry).contains("otelcol_exporter_sent_spans_total{exporter=\"otlp\"} 2")
    );
}

#[tokio::test]
async fn invalid_argument_is_not_retried() {
    let backend = Arc::new(Backend::default());
    backend.script(vec![Err(Status::invalid_argument("bad span"))]);
    let port = serve(backend.clone(), None).await;
    let (exp, telemetry) = exporter("tls: {insecure: true}", &format!("127.0.0.1:{port}")).await;
    let err = exp
        .consume(traces(2), Context::default())
        .await
        .unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(
        err.message(),
        "not retryable error: rpc error: code = InvalidArgument desc = bad span"
    );
    assert_eq!(backend.requests().len(), 1);
    assert!(sent_spans(&telemetry)
        .contains("otelcol_exporter_send_failed_spans_total{exporter=\"otlp\"} 2"));
}

#[tokio::test]
async fn resource_exhausted_is_retried_only_with_retry_info() {
    let backend = Arc::new(Backend::default());
    backend.script(vec![Err(Status::resource_exhausted("quota"))]);
    let port = serve(backend.clone(), None).await;
    let (exp, _) = exporter("tls: {insecure: true}", &format!("127.0.0.1:{port}")).await;
    let err = exp
        .consume(traces(1), Context::default())
        .await
        .unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(backend.requests().len(), 1);

    let backend = Arc::new(Backend::default());
    backend.script(vec![Err(Status::with_error_details(
        Code::ResourceExhausted,
        "quota",
        ErrorDetails::with_retry_info(Some(Duration::from_millis(2))),
    ))]);
    let port = serve(backend.clone(), None).await;
    let (exp, _) = exporter("tls: {insecure: true}", &format!("127.0.0.1:{port}")).await;
    exp.consume(traces(1), Context::default()).await.unwrap();
    assert_eq!(backend.requests().len(), 2);
}

#[tokio::test]
async fn partial_success_is_not_retried_and_counts_as_sent() {
    let backend = Arc::new(Backend::default());
    backend.script(vec![Ok(2)]);
    let port = serve(backend.clone(), None).await;
    let (exp, telemetry) = exporter("tls: {insecure: true}", &format!("127.0.0.1:{port}")).await;
    exp.consume(traces(5), Context::default()).await.unwrap();
    assert_eq!(backend.requests().len(), 1);
    assert!(
        sent_spans(&telemetry).contains("otelcol_exporter_sent_spans_total{exporter=\"otlp\"} 5")
    );
}

#[tokio::test]
async fn a_backend_down_at_start_is_fine() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // Start succeeds with nothing listening; the send fails retryably.
    let (exp, _) = exporter(
        "tls: {insecure: true}\nretry_on_failure: {enabled: false}",
        &format!("127.0.0.1:{port}"),
    )
    .await;
    let err = exp
        .consume(traces(1), Context::default())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    exp.shutdown().await.unwrap();
}

#[tokio::test]
async fn tls_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let Some(certs) = sonde_netconfig::tls::testcerts::generate(dir.path()) else {
        eprintln!("skipping: the openssl CLI is not available to make test certificates");
        return;
    };
    let server_tls = sonde_netconfig::tls::TlsServerConfig {
        cert_file: certs.server_cert.to_string_lossy().into(),
        key_file: certs.server_key.to_string_lossy().into(),
        ..Default::default()
    }
    .tonic_config()
    .unwrap();
    let backend = Arc::new(Backend::default());
    let port = serve(backend.clone(), Some(server_tls)).await;
    let (exp, _) = exporter(
        &format!("tls: {{ca_file: \"{}\"}}", certs.ca.display()),
        &format!("localhost:{port}"),
    )
    .await;
    exp.consume(traces(1), Context::default()).await.unwrap();
    assert_eq!(backend.requests()[0].0, traces(1));

    // Without the CA the handshake fails: retryable (the backend may fix its cert).
    let (exp, _) = exporter(
        "retry_on_failure: {enabled: false}",
        &format!("localhost:{port}"),
    )
    .await;
    let err = exp
        .consume(traces(1), Context::default())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(backend.requests().len(), 1);
}
