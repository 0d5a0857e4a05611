//! The HTTP side: `POST /api/v1/write`, remote-write 1.0.
//!
//! * `Content-Type: application/x-protobuf` (a `proto=` other than
//!   `prometheus.WriteRequest`, i.e. remote-write 2.0, is refused) and
//!   `Content-Encoding: snappy`; anything else is 415 with a message.
//! * 204 when taken. A body that is not snappy, not a `WriteRequest`, or has a series
//!   without `__name__` or with a bad `le` / `quantile`: 400 naming the reason and the
//!   series (Prometheus drops a batch on 4xx and does not resend it). Too large: 413.
//! * A pipeline that refuses: 503 with `Retry-After`, so Prometheus sends again; a
//!   throttled pipeline (the memory limiter, a full queue) too, not 429, because
//!   Prometheus 2.x resends on 429 only with `retry_on_http_429`. A permanent
//!   refusal is 400.
//! * The translation runs off the reactor: a large body does not stall other clients.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use sonde_api::intake::Intake;
use sonde_api::telemetry::Counters;
use sonde_api::Payload;
use sonde_netconfig::http_refusal::{refusal_status, text as error};
use sonde_translator_prometheusremotewrite::{check_headers, Options, SharedFamilies, Translated};

/// The scope of every metric this receiver makes.
pub const SCOPE_NAME: &str = "sonde/receiver/prometheusremotewrite";

/// What every request needs.
pub struct AppState {
    pub intake: Intake,
    /// Family types from earlier requests (Prometheus sends metadata on its own).
    pub families: SharedFamilies,
    pub max_body: usize,
    /// Samples older than this are dropped; zero keeps all.
    pub time_threshold: Duration,
    /// `sonde_receiver_prometheusremotewrite_dropped_samples`, by reason.
    pub dropped: Counters,
    pub receiver: String,
}

pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.max_body;
    Router::new()
        .route("/api/v1/write", post(write))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

async fn write(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name| {
        headers
            .get(name)
            .map(|v: &HeaderValue| v.to_str().unwrap_or("(not text)"))
    };
    if let Err(message) = check_headers(text(header::CONTENT_TYPE), text(header::CONTENT_ENCODING))
    {
        tracing::debug!(%peer, %message, "remote-write request refused");
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message);
    }
    let translated = match translate_off_reactor(&state, body).await {
        Ok(translated) => translated,
        Err(response) => return response,
    };
    count_dropped(&state, &translated);
    if translated.data_points == 0 {
        return StatusCode::NO_CONTENT.into_response();
    }
    let payload = Payload::Metrics(translated.request);
    match state.intake.deliver(payload, Some(peer), Vec::new).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => {
            let (status, retry_after) = refusal_status(&err);
            // Prometheus resends 429 only with `retry_on_http_429`: 503 instead.
            let status = if status == StatusCode::TOO_MANY_REQUESTS {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                status
            };
            let mut response = error(status, err.message());
            if let Some(value) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

async fn translate_off_reactor(state: &Arc<AppState>, body: Bytes) -> Result<Translated, Response> {
    let state_for_task = Arc::clone(state);
    let max_decoded_bytes = state.max_body;
    let oldest_ms = (!state.time_threshold.is_zero()).then(|| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let oldest = now.saturating_sub(state.time_threshold);
        i64::try_from(oldest.as_millis()).unwrap_or(i64::MAX)
    });
    let joined = tokio::task::spawn_blocking(move || {
        let options = Options {
            max_decoded_bytes,
            scope_name: SCOPE_NAME,
            scope_version: env!("CARGO_PKG_VERSION"),
            known: None,
            oldest_ms,
        };
        state_for_task.families.translate(&body, options)
    })
    .await;
    match joined {
        Ok(Ok(translated)) => Ok(translated),
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "remote-write body refused");
            let status = if err.is_too_large() {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            Err(error(status, &err.to_string()))
        }
        Err(join) => {
            tracing::error!(error = %join, "remote-write translation failed");
            Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the translation of this request failed",
            ))
        }
    }
}

fn count_dropped(state: &AppState, translated: &Translated) {
    for (reason, n) in translated.dropped() {
        if n > 0 {
            state
                .dropped
                .get_or_create(&vec![
                    ("receiver", state.receiver.clone()),
                    ("reason", reason.to_string()),
                ])
                .inc_by(n as u64);
        }
    }
}
