//! The DeepFlow agent's integration paths on one listener:
//!
//! * `POST /api/v1/otel/trace`: an OTLP/HTTP protobuf trace export (what an SDK's
//!   OTLP exporter sends when pointed at the agent); 200 with an empty
//!   `ExportTraceServiceResponse`.
//! * `POST /api/v1/prometheus`: a Prometheus remote-write 1.0 request (snappy
//!   protobuf), translated as the `prometheusremotewrite` receiver does; 204, 415
//!   for other encodings, 400 naming a bad series (Prometheus does not resend
//!   4xx), 503 on any refusal that may pass (Prometheus resends 429 only when
//!   told to).
//! * `POST /api/v1/telegraf`: line protocol, as Telegraf's `http` output sends it
//!   (`precision` from the query, nanoseconds by default); 204, or 400 naming the
//!   bad lines after the good ones went on. String fields make no metric; they
//!   are counted in `sonde_receiver_deepflow_dropped_fields`.
//!
//! Bodies may be gzip (`Content-Encoding`). A pipeline that refuses gets 503/429
//! with `Retry-After` (the sender retries), a permanent refusal 400. Error bodies
//! are plain text.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use sonde_api::intake::Intake;
use sonde_api::telemetry::Counters;
use sonde_api::{Payload, Signal};
use sonde_netconfig::compression::Compression;
use sonde_netconfig::http_refusal::{decode_error_status, refusal_status, text};
use sonde_translator_influx::line_protocol::Precision;
use sonde_translator_influx::metrics::SumPatterns;
use sonde_translator_prometheusremotewrite::{check_headers, Options, SharedFamilies};

/// The scope of the metrics this receiver makes from line protocol.
pub const SCOPE_NAME: &str = "sonde/receiver/deepflow";

pub struct AppState {
    pub intake: Intake,
    /// Family types from earlier remote-write requests (metadata comes apart).
    pub families: SharedFamilies,
    pub sums: SumPatterns,
    pub max_body: usize,
    /// `sonde_receiver_deepflow_dropped_fields`: string fields, which are no metric.
    pub dropped: Counters,
    /// `sonde_receiver_deepflow_dropped_samples`: remote-write samples made no data point.
    pub dropped_samples: Counters,
    pub receiver: String,
}

pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.max_body;
    Router::new()
        .route("/api/v1/otel/trace", post(otel_trace))
        .route("/api/v1/prometheus", post(prometheus))
        .route("/api/v1/telegraf", post(telegraf))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// The body, decompressed as `Content-Encoding` says.
fn body<'a>(
    state: &AppState,
    headers: &HeaderMap,
    body: &'a [u8],
) -> Result<std::borrow::Cow<'a, [u8]>, (StatusCode, String)> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    Compression::from_header(encoding)
        .and_then(|c| c.decode(body, state.max_body))
        .map_err(|err| (decode_error_status(&err), err.to_string()))
}

/// Hands `payload` on; `Err` is the answer to a refusal.
async fn deliver(state: &AppState, payload: Payload, peer: SocketAddr) -> Result<(), Response> {
    let Err(err) = state.intake.deliver(payload, Some(peer), Vec::new).await else {
        return Ok(());
    };
    let (status, retry_after) = refusal_status(&err);
    let mut response = text(status, err.message());
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Err(response)
}

/// A path whose signal no pipeline takes from this receiver.
fn not_wired(signal: Signal) -> Response {
    text(
        StatusCode::NOT_FOUND,
        &format!("no pipeline takes {signal} from this receiver"),
    )
}

async fn otel_trace(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    if !state.intake.serves(Signal::Traces) {
        return not_wired(Signal::Traces);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-protobuf") {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("{content_type:?} is not supported: send application/x-protobuf"),
        );
    }
    let body = match body(&state, &headers, &raw) {
        Ok(body) => bytes_of(body, &raw),
        Err((status, message)) => return text(status, &message),
    };
    let payload = match Payload::from_wire(Signal::Traces, body) {
        Ok(payload) => payload,
        Err(err) => {
            return text(
                StatusCode::BAD_REQUEST,
                &format!("not an OTLP trace export request: {err}"),
            )
        }
    };
    if let Err(response) = deliver(&state, payload, peer).await {
        return response;
    }
    // An empty ExportTraceServiceResponse encodes as no bytes.
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        Bytes::new(),
    )
        .into_response()
}

/// The decompressed body as `Bytes`, without a copy when it was not compressed.
fn bytes_of(body: std::borrow::Cow<'_, [u8]>, raw: &Bytes) -> Bytes {
    match body {
        std::borrow::Cow::Borrowed(_) => raw.clone(),
        std::borrow::Cow::Owned(owned) => Bytes::from(owned),
    }
}

async fn telegraf(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    if !state.intake.serves(Signal::Metrics) {
        return not_wired(Signal::Metrics);
    }
    let precision = params
        .iter()
        .find(|(k, _)| k == "precision")
        .map_or("", |(_, v)| v.as_str());
    let Some(precision) = Precision::parse(precision) else {
        return text(
            StatusCode::BAD_REQUEST,
            &format!("invalid precision {precision:?}"),
        );
    };
    let body = match body(&state, &headers, &raw) {
        Ok(body) => body,
        Err((status, message)) => return text(status, &message),
    };
    let batch = sonde_translator_influx::translate(&body, precision, &state.sums, SCOPE_NAME);
    let partial_write = batch.partial_write_message();
    if batch.metrics.skipped_strings > 0 {
        state
            .dropped
            .get_or_create(&vec![
                ("receiver", state.receiver.clone()),
                ("reason", "string_field".to_string()),
            ])
            .inc_by(batch.metrics.skipped_strings as u64);
    }
    if batch.metrics.data_points > 0 {
        let payload = Payload::Metrics(batch.metrics.request);
        if let Err(response) = deliver(&state, payload, peer).await {
            return response;
        }
    }
    match partial_write {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(message) => text(StatusCode::BAD_REQUEST, &message),
    }
}

async fn prometheus(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    if !state.intake.serves(Signal::Metrics) {
        return not_wired(Signal::Metrics);
    }
    let header_text = |name| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("(not text)"))
    };
    if let Err(message) = check_headers(
        header_text(header::CONTENT_TYPE),
        header_text(header::CONTENT_ENCODING),
    ) {
        return text(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message);
    }
    // Off the reactor: a large body must not stall other clients.
    let task_state = Arc::clone(&state);
    let translated = tokio::task::spawn_blocking(move || {
        let options = Options {
            max_decoded_bytes: task_state.max_body,
            scope_name: SCOPE_NAME,
            scope_version: env!("CARGO_PKG_VERSION"),
            known: None,
            oldest_ms: None,
        };
        task_state.families.translate(&raw, options)
    })
    .await;
    let translated = match translated {
        Ok(Ok(translated)) => translated,
        Ok(Err(err)) if err.is_too_large() => {
            return text(StatusCode::PAYLOAD_TOO_LARGE, &err.to_string())
        }
        Ok(Err(err)) => return text(StatusCode::BAD_REQUEST, &err.to_string()),
        Err(join) => {
            tracing::error!(error = %join, "remote-write translation failed");
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the translation of this request failed",
            );
        }
    };
    for (reason, n) in translated.dropped() {
        if n > 0 {
            state
                .dropped_samples
                .get_or_create(&vec![
                    ("receiver", state.receiver.clone()),
                    ("reason", reason.to_string()),
                ])
                .inc_by(n as u64);
        }
    }
    if translated.data_points == 0 {
        return StatusCode::NO_CONTENT.into_response();
    }
    match deliver(&state, Payload::Metrics(translated.request), peer).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(mut response) => {
            // Prometheus resends 5xx, and 429 only when configured to: a
            // throttled refusal is answered 503 so the samples come again.
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            }
            response
        }
    }
}
