//! The clients: realistic HTTP-server spans, 100 (configurable) per
//! ExportTraceServiceRequest, sent over OTLP/gRPC without compression -- either as
//! fast as the connections allow, or at a fixed rate.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    span, status, ResourceSpans, ScopeSpans, Span, Status,
};
use tonic::transport::Channel;

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.into())
}

/// One request of `n` spans; `seed` makes the ids unique across requests.
pub fn request(seed: u64, n: usize) -> ExportTraceServiceRequest {
    const ROUTES: [&str; 4] = [
        "/api/users/{id}",
        "/api/orders",
        "/health",
        "/api/cart/{id}/items",
    ];
    let now = 1_700_000_000_000_000_000u64 + seed * 1_000_000;
    let spans = (0..n)
        .map(|i| {
            let id = seed.wrapping_mul(1 << 16) + i as u64;
            let route = ROUTES[i % ROUTES.len()];
            Span {
                trace_id: [seed.to_be_bytes(), (i as u64).to_be_bytes()].concat(),
                span_id: id.to_be_bytes().to_vec(),
                parent_span_id: if i % 3 == 0 {
                    Vec::new()
                } else {
                    (id - 1).to_be_bytes().to_vec()
                },
                name: format!("GET {route}"),
                kind: span::SpanKind::Server as i32,
                start_time_unix_nano: now + i as u64 * 1000,
                end_time_unix_nano: now + i as u64 * 1000 + 2_500_000,
                attributes: vec![
                    kv("http.request.method", s("GET")),
                    kv("http.route", s(route)),
                    kv("url.path", s(&route.replace("{id}", &i.to_string()))),
                    kv("http.response.status_code", any_value::Value::IntValue(200)),
                    kv("server.address", s("api.internal.example")),
                    kv("server.port", any_value::Value::IntValue(8080)),
                    kv("client.address", s("10.1.2.3")),
                    kv(
                        "user_agent.original",
                        s("Mozilla/5.0 (X11; Linux x86_64) bench/1.0"),
                    ),
                    kv("network.protocol.version", s("1.1")),
                ],
                status: Some(Status {
                    code: status::StatusCode::Unset as i32,
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("checkout")),
                    kv("service.version", s("2.3.1")),
                    kv("host.name", s("bench-host-01")),
                    kv("deployment.environment.name", s("bench")),
                    kv("telemetry.sdk.language", s("rust")),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "sonde-bench".into(),
                    version: "0.1.0".into(),
                    ..Default::default()
                }),
                spans,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

/// What the clients saw.
#[derive(Clone, Default)]
pub struct Tally {
    pub ok_spans: Arc<AtomicU64>,
    pub errors: Arc<AtomicU64>,
}

async fn connect(port: u16) -> Result<TraceServiceClient<Channel>, tonic::transport::Error> {
    Ok(
        TraceServiceClient::connect(format!("http://127.0.0.1:{port}"))
            .await?
            .max_encoding_message_size(64 << 20),
    )
}

async fn send(
    client: &mut TraceServiceClient<Channel>,
    req: ExportTraceServiceRequest,
    n: usize,
    tally: &Tally,
) {
    match client.export(req).await {
        Ok(_) => tally.ok_spans.fetch_add(n as u64, Ordering::Relaxed),
        Err(_) => tally.errors.fetch_add(1, Ordering::Relaxed),
    };
}

/// `clients` connections, each sending back to back until `stop` is set.
pub async fn max_throughput(
    port: u16,
    clients: usize,
    spans: usize,
    stop: Arc<AtomicBool>,
) -> Result<Tally, String> {
    let tally = Tally::default();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mut client = connect(port).await.map_err(|e| format!("connect: {e}"))?;
        let (tally, stop) = (tally.clone(), stop.clone());
        // Built once per client: the benchmark measures sonde, not the request builder.
        let template = request(c as u64 + 1, spans);
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                send(&mut client, template.clone(), spans, &tally).await;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    Ok(tally)
}

/// `rate` spans per second in requests of `spans`, for `duration`, each request on
/// its own task so a slow answer does not lower the rate.
pub async fn fixed_rate(
    port: u16,
    rate: u64,
    spans: usize,
    duration: Duration,
) -> Result<Tally, String> {
    let tally = Tally::default();
    let client = connect(port).await.map_err(|e| format!("connect: {e}"))?;
    let per_second = (rate / spans as u64).max(1);
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / per_second));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let end = tokio::time::Instant::now() + duration;
    let mut seed = 1_000_000u64;
    let mut inflight = Vec::new();
    while tokio::time::Instant::now() < end {
        ticker.tick().await;
        seed += 1;
        let (mut client, tally, req) = (client.clone(), tally.clone(), request(seed, spans));
        inflight.push(tokio::spawn(async move {
            send(&mut client, req, spans, &tally).await
        }));
        inflight.retain(|t| !t.is_finished());
    }
    for task in inflight {
        let _ = task.await;
    }
    Ok(tally)
}
