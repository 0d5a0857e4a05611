//! The HTTP side: InfluxDB's write endpoints and its ping, on one listener.
//!
//! * `POST /write?db=..&precision=..` (1.x; `db` required, `precision` `n`, `u`,
//!   `ms`, `s`, `m`, `h`) and `POST /api/v2/write?org=..&bucket=..&precision=..`
//!   (2.x; `bucket` required, `precision` `ns`, `us`, `ms`, `s`): line protocol,
//!   plain or `Content-Encoding: gzip`. 204 when every line was taken.
//! * A batch with lines that do not parse: its good lines go to the pipeline first,
//!   then 400 names each bad line with its column (the first ten, then a count). The
//!   body is the version's error shape: 1.x `{"error": ".."}`, 2.x
//!   `{"code": "invalid", "message": ".."}`.
//! * A pipeline that refuses: 503 (429 when throttled, with `Retry-After`), so the
//!   client sends again; a permanent refusal is 400.
//! * `GET|HEAD /ping` answers 204 with `X-Influxdb-Version`; `GET /health` 200.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sonde_api::intake::Intake;
use sonde_api::telemetry::Counters;
use sonde_api::Payload;
use sonde_netconfig::compression::Compression;
use sonde_netconfig::http_refusal::{decode_error_status, refusal_status};
use sonde_translator_influx::line_protocol::Precision;
use sonde_translator_influx::metrics::SumPatterns;
use sonde_translator_influx::translate;

/// The scope of every metric this receiver makes.
pub const SCOPE_NAME: &str = "sonde/receiver/influxdb";

/// What every request needs.
pub struct AppState {
    pub intake: Intake,
    pub sums: SumPatterns,
    pub max_body: usize,
    /// `sonde_receiver_influxdb_dropped_fields`: string fields, which are no metric.
    pub dropped: Counters,
    pub receiver: String,
}

/// Which InfluxDB API a request came in on: its parameters and error shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    V1,
    V2,
}

pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.max_body;
    Router::new()
        .route("/write", post(write_v1))
        .route("/api/v2/write", post(write_v2))
        .route("/ping", get(ping).head(ping))
        .route("/health", get(health))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

async fn ping() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (
                "x-influxdb-version",
                concat!("sonde-", env!("CARGO_PKG_VERSION")),
            ),
            ("x-influxdb-build", "sonde"),
        ],
    )
        .into_response()
}

async fn health() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"name":"sonde","message":"ready for writes","status":"pass"}"#,
    )
        .into_response()
}

fn error(api: Api, status: StatusCode, message: &str) -> Response {
    let body = match api {
        Api::V1 => serde_json::json!({ "error": message }),
        Api::V2 => serde_json::json!({
            "code": if status.is_server_error() { "unavailable" } else { "invalid" },
            "message": message,
        }),
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn write_v1(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if param("db").is_none_or(str::is_empty) {
        return error(Api::V1, StatusCode::BAD_REQUEST, "database is required");
    }
    write(&state, Api::V1, param("precision"), peer, &headers, &body).await
}

async fn write_v2(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if param("bucket").is_none_or(str::is_empty) {
        return error(Api::V2, StatusCode::BAD_REQUEST, "bucket is required");
    }
    write(&state, Api::V2, param("precision"), peer, &headers, &body).await
}

async fn write(
    state: &AppState,
    api: Api,
    precision: Option<&str>,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let Some(precision) = Precision::parse(precision.unwrap_or("")) else {
        return error(
            api,
            StatusCode::BAD_REQUEST,
            &format!("invalid precision {:?}", precision.unwrap_or("")),
        );
    };
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let body = match Compression::from_header(encoding).and_then(|c| c.decode(body, state.max_body))
    {
        Ok(body) => body,
        Err(err) => return error(api, decode_error_status(&err), &err.to_string()),
    };
    let batch = translate(&body, precision, &state.sums, SCOPE_NAME);
    let partial_write = batch.partial_write_message();
    let converted = batch.metrics;
    if converted.skipped_strings > 0 {
        state
            .dropped
            .get_or_create(&vec![
                ("receiver", state.receiver.clone()),
                ("reason", "string_field".to_string()),
            ])
            .inc_by(converted.skipped_strings as u64);
    }
    if converted.data_points > 0 {
        let payload = Payload::Metrics(converted.request);
        if let Err(err) = state.intake.deliver(payload, Some(peer), Vec::new).await {
            let (status, retry_after) = refusal_status(&err);
            let mut response = error(api, status, err.message());
            if let Some(value) = retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
    }
    match partial_write {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(message) => error(api, StatusCode::BAD_REQUEST, &message),
    }
}
