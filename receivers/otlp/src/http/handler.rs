//! One OTLP/HTTP request, start to answer, with otelcol's error contract:
//!
//! | case                                        | status | body                                  |
//! |---------------------------------------------|--------|---------------------------------------|
//! | path not served (no pipeline for its signal)| 404    | `404 page not found` (text)           |
//! | method other than POST                      | 405    | text, with `Allow: POST`              |
//! | Content-Type not protobuf or JSON           | 415    | text naming the supported types       |
//! | body over `max_request_body_size`           | 413    | `google.rpc.Status`                   |
//! | bad Content-Encoding, body or compression   | 400    | `google.rpc.Status`, code 3           |
//! | pipeline: retryable / throttled / permanent | 503 / 429 / 400 | `google.rpc.Status` (+ `Retry-After`) |
//! | accepted                                    | 200    | empty `Export*ServiceResponse`        |
//!
//! `google.rpc.Status` bodies and successes use the request's encoding.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use sonde_api::Signal;
use sonde_netconfig::compression::{Compression, DecodeError};
use tonic::Code;

use super::cors::Cors;
use super::encoding::{Encoding, JSON, PROTOBUF};
use crate::status::RpcError;
use sonde_api::intake::Intake;

/// What every request of one HTTP server shares.
pub struct HttpState {
    pub intake: Intake,
    /// URL path → signal, for the signals some pipeline takes.
    pub routes: Vec<(String, Signal)>,
    pub max_body: usize,
    pub cors: Option<Cors>,
}

pub async fn handle(
    State(state): State<Arc<HttpState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    if let Some(cors) = &state.cors {
        if Cors::is_preflight(&parts.method, &parts.headers) {
            let (status, headers) = cors.preflight(&parts.headers);
            let mut response = Response::new(Body::empty());
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            return response;
        }
    }
    let mut response = answer(&state, &parts, body, peer).await;
    if let Some(cors) = &state.cors {
        cors.decorate(&parts.method, &parts.headers, response.headers_mut());
    }
    response
}

async fn answer(
    state: &HttpState,
    parts: &http::request::Parts,
    body: Body,
    peer: SocketAddr,
) -> Response {
    let path = parts.uri.path();
    let Some(signal) = state
        .routes
        .iter()
        .find(|(route, _)| route == path)
        .map(|(_, signal)| *signal)
    else {
        return text(StatusCode::NOT_FOUND, "404 page not found\n");
    };
    if parts.method != Method::POST {
        let mut response = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 method not allowed, supported: [POST]",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let content_type = header_text(&parts.headers, header::CONTENT_TYPE).unwrap_or("");
    let Some(encoding) = Encoding::from_content_type(content_type) else {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("415 unsupported media type, supported: [{JSON}, {PROTOBUF}]"),
        );
    };
    let (raw, compression) = match read_body(parts, body, state.max_body).await {
        Ok(read) => read,
        Err(response) => return response.into_response(encoding),
    };
    let limit = state.max_body;
    let work_size = match compression {
        // Telemetry compresses about 4:1; weigh a compressed body by what it unpacks to.
        Compression::None => raw.len(),
        _ => raw.len().saturating_mul(4),
    };
    let unpack = move || {
        let bytes = match compression.decode(&raw, limit) {
            Ok(Cow::Borrowed(_)) => raw.clone(),
            Ok(Cow::Owned(unpacked)) => Bytes::from(unpacked),
            Err(DecodeError::TooLarge { limit }) => return Err(BodyError::TooLarge(limit)),
            Err(other) => return Err(BodyError::Bad(other.to_string())),
        };
        encoding.decode(signal, bytes).map_err(BodyError::Malformed)
    };
    let payload = match off_the_runtime_if_large(work_size, unpack).await {
        Some(Ok(payload)) => payload,
        Some(Err(err)) => return err.into_response(encoding),
        None => return text(StatusCode::INTERNAL_SERVER_ERROR, "decoding task failed\n"),
    };
    let result = state
        .intake
        .deliver(payload, Some(peer), || header_pairs(&parts.headers))
        .await;
    match result {
        Ok(()) => {
            let mut response = Response::new(Body::from(encoding.success_body()));
            set_content_type(&mut response, encoding.content_type());
            response
        }
        Err(err) => {
            let err = RpcError::from_consume(&err);
            status(encoding, err.http_status(), &err)
        }
    }
}

/// A body that could not be read, before its encoding is applied.
enum BodyError {
    TooLarge(usize),
    Bad(String),
    Malformed(RpcError),
}

impl BodyError {
    fn into_response(self, encoding: Encoding) -> Response {
        match self {
            BodyError::TooLarge(limit) => status(
                encoding,
                StatusCode::PAYLOAD_TOO_LARGE,
                // The code gRPC gives a message over its size limit.
                &RpcError::new(
                    Code::ResourceExhausted,
                    format!("request body larger than {limit} bytes"),
                ),
            ),
            BodyError::Bad(message) => status(
                encoding,
                StatusCode::BAD_REQUEST,
                &RpcError::malformed(message),
            ),
            BodyError::Malformed(err) => status(encoding, StatusCode::BAD_REQUEST, &err),
        }
    }
}

/// Reads the body, never holding more than `limit` bytes; decompression comes later,
/// with the same limit.
async fn read_body(
    parts: &http::request::Parts,
    body: Body,
    limit: usize,
) -> Result<(Bytes, Compression), BodyError> {
    let compression =
        Compression::from_header(header_text(&parts.headers, header::CONTENT_ENCODING))
            .map_err(|e| BodyError::Bad(e.to_string()))?;
    let declared =
        header_text(&parts.headers, header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    let raw = Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                BodyError::TooLarge(limit)
            } else {
                BodyError::Bad(format!("reading the body: {e}"))
            }
        })?
        .to_bytes();
    Ok((raw, compression))
}

/// Bodies at least this large are decompressed and decoded on the blocking pool, so a
/// big request never holds a runtime thread for long; below it the hop costs more than
/// it saves.
const OFF_RUNTIME_BYTES: usize = 64 * 1024;

/// Runs CPU work in place or on the blocking pool; `None` if the pooled task died.
async fn off_the_runtime_if_large<T: Send + 'static>(
    size: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    if size < OFF_RUNTIME_BYTES {
        return Some(work());
    }
    tokio::task::spawn_blocking(work).await.ok()
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Request headers as `(name, value)` pairs; names are lower-case already.
fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
        })
        .collect()
}

fn set_content_type(response: &mut Response, value: &'static str) {
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
}

fn text(code: StatusCode, body: &str) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = code;
    set_content_type(&mut response, "text/plain; charset=utf-8");
    response
}

/// A `google.rpc.Status` answer in `encoding`, with `Retry-After` when it applies.
fn status(encoding: Encoding, code: StatusCode, err: &RpcError) -> Response {
    let mut response = Response::new(Body::from(encoding.status_body(err)));
    *response.status_mut() = code;
    set_content_type(&mut response, encoding.content_type());
    if let Some(seconds) = err.retry_after_header() {
        if let Ok(value) = HeaderValue::from_str(&seconds) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}
