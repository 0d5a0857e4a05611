//! SkyWalking's HTTP collector endpoints (port 12800), as agents configured with
//! `protocol: http` call them.
//!
//! * `POST /v3/segments` (a JSON array of segments, as contrib takes it) and
//!   `POST /v3/segment` (one segment, as the Python agent sends it): translated and
//!   delivered, then `200` with an empty body. Plain or `Content-Encoding: gzip|zstd`.
//! * `POST /v3/management/reportProperties` and `/v3/management/keepAlive`: `200 {}`.
//! * `POST /v3/logs`: `200`, the log records dropped and counted in
//!   `sonde_receiver_skywalking_dropped_messages{service="log"}`.
//! * Bodies of 64 KiB or more are decoded on the blocking pool, off the reactor.
//! * A body that is not such JSON: `400` with serde_json's message (line and column) as
//!   `{"status":"failing","msg":".."}`, contrib's error shape. A pipeline that refuses:
//!   `503` (`429` when throttled) with `Retry-After`; a permanent refusal `400`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use sonde_api::consumer::ErrorKind;
use sonde_api::intake::Intake;
use sonde_api::telemetry::Counters;
use sonde_netconfig::compression::{Compression, DecodeError};

use sonde_api::Payload;

/// What every request needs.
pub struct HttpState {
    pub intake: Intake,
    /// `sonde_receiver_skywalking_dropped_messages`.
    pub dropped: Counters,
    pub receiver: String,
    pub max_body: usize,
}

pub fn router(state: Arc<HttpState>) -> Router {
    let limit = state.max_body;
    Router::new()
        .route("/v3/segments", post(segments))
        .route("/v3/segment", post(segment))
        .route("/v3/management/reportProperties", post(answer))
        .route("/v3/management/keepAlive", post(answer))
        .route("/v3/logs", post(logs))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

fn failing(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "status": "failing", "msg": message });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The body, decompressed; or the status and message that refuse it.
fn body(
    state: &HttpState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<u8>, (StatusCode, String)> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    Compression::from_header(encoding)
        .and_then(|c| c.decode(body, state.max_body))
        .map(|body| body.into_owned())
        .map_err(|err| {
            let status = match err {
                DecodeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                DecodeError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                DecodeError::Corrupt { .. } => StatusCode::BAD_REQUEST,
            };
            (status, err.to_string())
        })
}

/// Bodies at least this large are decompressed, parsed and translated on the blocking
/// pool, so a big request never holds a runtime thread for long; below it the hop
/// costs more than it saves.
const OFF_RUNTIME_BYTES: usize = 64 * 1024;

/// Which endpoint: what its body holds, and the word errors begin with.
#[derive(Clone, Copy)]
enum Shape {
    Array,
    One,
}

async fn segments(
    State(state): State<Arc<HttpState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    take(state, peer, headers, bytes, Shape::Array).await
}

async fn segment(
    State(state): State<Arc<HttpState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    take(state, peer, headers, bytes, Shape::One).await
}

async fn take(
    state: Arc<HttpState>,
    peer: SocketAddr,
    headers: HeaderMap,
    bytes: Bytes,
    shape: Shape,
) -> Response {
    let size = bytes.len();
    let work = {
        let state = state.clone();
        move || -> Result<Payload, (StatusCode, String)> {
            let bytes = body(&state, &headers, &bytes)?;
            let segments = match shape {
                Shape::Array => crate::json::segments(&bytes)
                    .map_err(|err| (StatusCode::BAD_REQUEST, format!("bad segments: {err}")))?,
                Shape::One => vec![crate::json::segment(&bytes)
                    .map_err(|err| (StatusCode::BAD_REQUEST, format!("bad segment: {err}")))?],
            };
            Ok(crate::translate::payload(&segments))
        }
    };
    let result = if size < OFF_RUNTIME_BYTES {
        work()
    } else {
        match tokio::task::spawn_blocking(work).await {
            Ok(result) => result,
            Err(err) => Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("decoding failed: {err}"),
            )),
        }
    };
    match result {
        Ok(payload) => deliver(&state, payload, peer).await,
        Err((status, message)) => failing(status, &message),
    }
}

async fn deliver(state: &HttpState, payload: Payload, peer: SocketAddr) -> Response {
    let Err(err) = state.intake.deliver(payload, Some(peer), Vec::new).await else {
        return StatusCode::OK.into_response();
    };
    let status = match err.kind() {
        ErrorKind::Permanent => return failing(StatusCode::BAD_REQUEST, err.message()),
        ErrorKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Retryable => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut response = failing(status, err.message());
    let seconds = err.retry_after().map_or(1, |d| d.as_secs().max(1));
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

async fn answer() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        "{}",
    )
        .into_response()
}

async fn logs(State(state): State<Arc<HttpState>>, headers: HeaderMap, bytes: Bytes) -> Response {
    let bytes = match body(&state, &headers, &bytes) {
        Ok(bytes) => bytes,
        Err((status, message)) => return failing(status, &message),
    };
    // The Python agent posts an array of LogData; only their number matters here.
    let records = match serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&bytes) {
        Ok(records) => records.len() as u64,
        Err(err) => return failing(StatusCode::BAD_REQUEST, &format!("bad logs: {err}")),
    };
    if records > 0 {
        state
            .dropped
            .get_or_create(&vec![
                ("receiver", state.receiver.clone()),
                ("service", "log".to_string()),
            ])
            .inc_by(records);
    }
    answer().await
}
