//! One read-only query over ClickHouse's HTTP interface.
//!
//! On the wire: `POST <endpoint>/?database=<db>&default_format=JSONCompact&
//! wait_end_of_query=1&readonly=1&max_result_rows=N&max_result_bytes=N&
//! result_overflow_mode=throw&max_execution_time=S&output_format_json_quote_64bit_integers=0`
//! with the statement as the body and `Authorization: Basic` when a username is set.
//! The settings travel in the URL, where ClickHouse checks them before `readonly=1`
//! takes effect, so the statement itself can change none of them.
//! `wait_end_of_query=1` makes ClickHouse buffer the result, so an error found late
//! still comes back as an HTTP error rather than the tail of a 200.

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use sonde_api::BoxError;
use sonde_netconfig::tls::HttpsConnector;

use crate::config::Config;

pub use sonde_clickhouse::exception_code;

/// ClickHouse's TIMEOUT_EXCEEDED: `max_execution_time` ran out.
const TIMEOUT_EXCEEDED: u32 = 159;

#[derive(Debug, thiserror::Error)]
pub enum ClickHouseError {
    /// ClickHouse refused or failed the query; the message is its own.
    #[error("{message}")]
    Server { code: Option<u32>, message: String },
    #[error("ClickHouse did not answer within {0:?}")]
    Timeout(Duration),
    #[error("failed to reach ClickHouse: {0}")]
    Unreachable(String),
    #[error("ClickHouse's answer is larger than {0} bytes")]
    TooLarge(usize),
}

impl ClickHouseError {
    /// Whether the query ran out of time (ours or ClickHouse's).
    pub fn is_timeout(&self) -> bool {
        match self {
            ClickHouseError::Timeout(_) => true,
            ClickHouseError::Server { code, .. } => *code == Some(TIMEOUT_EXCEEDED),
            _ => false,
        }
    }
}

pub struct ClickHouseClient {
    client: Client<HttpsConnector, Full<Bytes>>,
    /// Everything up to and including the settings: the statement goes in the body.
    url: String,
    auth: Option<HeaderValue>,
    timeout: Duration,
    max_answer: usize,
}

/// `application/x-www-form-urlencoded` escaping of a query-string value.
pub fn url_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// The request URL for `config`: endpoint, database, format and the bounds.
pub fn query_url(config: &Config) -> String {
    let base = config.clickhouse.endpoint.trim_end_matches('/');
    let mut url = format!("{base}/?database=");
    url_encode(&config.clickhouse.database, &mut url);
    let settings = [
        ("default_format", "JSONCompact".to_string()),
        ("wait_end_of_query", "1".to_string()),
        ("readonly", "1".to_string()),
        ("max_result_rows", config.max_rows.to_string()),
        ("max_result_bytes", config.max_result_bytes.to_string()),
        ("result_overflow_mode", "throw".to_string()),
        (
            "max_execution_time",
            config.max_execution_time.as_secs().to_string(),
        ),
        ("output_format_json_quote_64bit_integers", "0".to_string()),
    ];
    for (key, value) in settings {
        url.push('&');
        url.push_str(key);
        url.push('=');
        url_encode(&value, &mut url);
    }
    url
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

impl ClickHouseClient {
    pub fn new(config: &Config) -> Result<ClickHouseClient, BoxError> {
        let ch = &config.clickhouse;
        let auth = if ch.username.is_empty() {
            None
        } else {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", ch.username, ch.password));
            Some(
                HeaderValue::from_str(&format!("Basic {token}"))
                    .map_err(|e| format!("clickhouse::username: {e}"))?,
            )
        };
        let connector = ch.tls.https_connector(false)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(connector);
        // JSON text is larger than ClickHouse's own count of the result's bytes.
        let max_answer = usize::try_from(config.max_result_bytes.saturating_mul(4))
            .unwrap_or(usize::MAX)
            .saturating_add(1 << 20);
        Ok(ClickHouseClient {
            client,
            url: query_url(config),
            auth,
            timeout: ch.timeout,
            max_answer,
        })
    }

    /// Runs `statement` and returns ClickHouse's `JSONCompact` answer.
    pub async fn query(&self, statement: &str) -> Result<Bytes, ClickHouseError> {
        match tokio::time::timeout(self.timeout, self.exchange(statement)).await {
            Ok(result) => result,
            Err(_) => Err(ClickHouseError::Timeout(self.timeout)),
        }
    }

    async fn exchange(&self, statement: &str) -> Result<Bytes, ClickHouseError> {
        let mut request = Request::post(self.url.as_str())
            .body(Full::new(Bytes::from(statement.to_string())))
            .map_err(|e| ClickHouseError::Unreachable(format!("building the request: {e}")))?;
        let headers = request.headers_mut();
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("sonde/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if let Some(auth) = &self.auth {
            headers.insert(AUTHORIZATION, auth.clone());
        }
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| ClickHouseError::Unreachable(chain(&e)))?;
        let status = response.status();
        let code_header = response
            .headers()
            .get("x-clickhouse-exception-code")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = Limited::new(response.into_body(), self.max_answer)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    ClickHouseError::TooLarge(self.max_answer)
                } else {
                    ClickHouseError::Unreachable(format!("reading the answer: {e}"))
                }
            })?
            .to_bytes();
        if status.is_success() && code_header.is_none() {
            return Ok(body);
        }
        let message = String::from_utf8_lossy(&body).trim().to_string();
        let code = exception_code(code_header.as_deref(), &message);
        let message = if message.is_empty() {
            format!("ClickHouse answered HTTP {}", status.as_u16())
        } else {
            message
        };
        Err(ClickHouseError::Server { code, message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_carries_every_bound() {
        let config: Config = sonde_api::config::decode(
            &serde_yaml::from_str(
                "{max_rows: 5, max_result_bytes: 1024, max_execution_time: 7s, \
                 clickhouse: {endpoint: 'http://127.0.0.1:8123/', database: otel}}",
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            query_url(&config),
            "http://127.0.0.1:8123/?database=otel&default_format=JSONCompact\
             &wait_end_of_query=1&readonly=1&max_result_rows=5&max_result_bytes=1024\
             &result_overflow_mode=throw&max_execution_time=7\
             &output_format_json_quote_64bit_integers=0"
        );
    }

    #[test]
    fn timeouts_are_ours_or_clickhouses() {
        assert!(ClickHouseError::Timeout(Duration::from_secs(1)).is_timeout());
        let server = |code| ClickHouseError::Server {
            code: Some(code),
            message: String::new(),
        };
        assert!(server(159).is_timeout());
        assert!(!server(62).is_timeout());
    }
}
