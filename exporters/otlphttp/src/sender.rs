//! One export attempt over HTTP: `POST` the encoded batch to the signal's URL and
//! classify the answer.
//!
//! On the wire: `Content-Type: application/x-protobuf` (or `application/json`),
//! `Content-Encoding: gzip` (default) or `zstd`, the configured headers; the body is
//! the signal's `Export*ServiceRequest`.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use sonde_api::Payload;
use sonde_exporterhelper::{SendError, Sender};
use sonde_netconfig::tls::HttpsConnector;
use sonde_netconfig::Compression;

use crate::config::Encoding;
use crate::encode::body_off_reactor;
use crate::response;

/// Response bodies beyond this are not read (an error page, not an OTLP answer).
const MAX_RESPONSE_BODY: usize = 1 << 20;

pub(crate) struct HttpSender {
    pub(crate) client: Client<HttpsConnector, Full<Bytes>>,
    /// Per signal, in `Signal::ALL` order; `None` for a signal with no URL.
    pub(crate) urls: [Option<Uri>; 3],
    pub(crate) headers: HeaderMap,
    pub(crate) encoding: Encoding,
    pub(crate) compression: Compression,
    pub(crate) exporter: String,
}

/// An error with its causes, since hyper's top-level text alone says little.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl HttpSender {
    fn request(&self, url: Uri, body: Bytes) -> Result<Request<Full<Bytes>>, SendError> {
        let mut request = Request::post(url)
            .body(Full::new(body))
            .map_err(|e| SendError::permanent(format!("building the request: {e}")))?;
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            headers.insert(name, value.clone());
        }
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(self.encoding.content_type()),
        );
        if let Some(encoding) = self.compression.header_value() {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(
                USER_AGENT,
                HeaderValue::from_static(concat!("sonde/", env!("CARGO_PKG_VERSION"))),
            );
        }
        Ok(request)
    }
}

#[async_trait::async_trait]
impl Sender for HttpSender {
    async fn send(&self, payload: Arc<Payload>) -> Result<(), SendError> {
        let signal = payload.signal();
        let Some(url) = self.urls[signal.index()].clone() else {
            return Err(SendError::permanent(format!("no endpoint for {signal}")));
        };
        let body = body_off_reactor(payload, self.encoding, self.compression)
            .await
            .map_err(SendError::permanent)?;
        let request = self.request(url.clone(), body)?;
        let response = self.client.request(request).await.map_err(|e| {
            SendError::retryable(format!("failed to make an HTTP request: {}", chain(&e)))
        })?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(CONTENT_TYPE);
        let retry_after = header(RETRY_AFTER);
        // A body that cannot be read leaves the status to speak for itself.
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BODY)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();

        if status.is_success() {
            if let Some((rejected, message)) =
                response::partial_success(signal, content_type.as_deref(), &body)
            {
                tracing::warn!(
                    exporter = %self.exporter,
                    data_type = %signal,
                    rejected,
                    message,
                    "Partial success response"
                );
            }
            return Ok(());
        }
        let message = format!(
            "error exporting items, request to {url} responded with HTTP Status Code {}, Message={}",
            status.as_u16(),
            response::error_message(content_type.as_deref(), &body)
        );
        if !response::is_retryable(status) {
            return Err(SendError::permanent(message));
        }
        match retry_after
            .as_deref()
            .and_then(|v| response::retry_after(v, SystemTime::now()))
        {
            Some(delay) => Err(SendError::throttled(message, delay)),
            None => Err(SendError::retryable(message)),
        }
    }
}
