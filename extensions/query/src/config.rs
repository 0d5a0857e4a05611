//! The `query` extension's config: where to listen, which ClickHouse to ask, the bounds
//! every query runs under, and the optional credentials clients must present.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};
use sonde_netconfig::tls::TlsClientConfig;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `host:port` to listen on; 20416 is DeepFlow's querier port.
    pub endpoint: String,
    pub clickhouse: ClickHouse,
    /// ClickHouse's `max_result_rows`, with `result_overflow_mode=throw`.
    pub max_rows: u64,
    /// ClickHouse's `max_result_bytes` (uncompressed, as ClickHouse counts them).
    pub max_result_bytes: u64,
    /// ClickHouse's `max_execution_time`.
    #[serde(with = "sonde_api::config::duration")]
    pub max_execution_time: Duration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: "localhost:20416".into(),
            clickhouse: ClickHouse::default(),
            max_rows: 10_000,
            max_result_bytes: 64 << 20,
            max_execution_time: Duration::from_secs(30),
            auth: None,
        }
    }
}

/// The ClickHouse the queries go to, over its HTTP interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClickHouse {
    /// `http://host:8123` or `https://host:8443`.
    pub endpoint: String,
    pub username: String,
    pub password: String,
    /// The database unqualified table names resolve in, and where the traces table is.
    pub database: String,
    /// The clickhouse exporter's `traces_table_name`; `<name>_trace_id_ts` bounds trace
    /// look-ups.
    pub traces_table_name: String,
    /// The whole HTTP exchange with ClickHouse; past it the client gets 504.
    #[serde(with = "sonde_api::config::duration")]
    pub timeout: Duration,
    pub tls: TlsClientConfig,
}

impl Default for ClickHouse {
    fn default() -> Self {
        ClickHouse {
            endpoint: String::new(),
            username: String::new(),
            password: String::new(),
            database: "default".into(),
            traces_table_name: "otel_traces".into(),
            timeout: Duration::from_secs(35),
            tls: TlsClientConfig::default(),
        }
    }
}

/// Credentials a client must present: one of `basic` or `bearer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Auth {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basic: Option<Basic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bearer: Option<Bearer>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Basic {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bearer {
    pub token: String,
}

/// A table or database name ClickHouse accepts unquoted; anything else is refused so
/// that names can go into SQL as they are.
fn plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.endpoint.trim().is_empty() {
            return Err(ConfigError::new(
                &["endpoint"],
                "endpoint must not be empty",
            ));
        }
        let ch = &self.clickhouse;
        if ch.endpoint.is_empty() {
            return Err(ConfigError::new(
                &["clickhouse", "endpoint"],
                "endpoint must be specified",
            ));
        }
        let uri: http::Uri = ch.endpoint.parse().map_err(|e| {
            ConfigError::new(
                &["clickhouse", "endpoint"],
                format!("endpoint must be url format: {:?}: {e}", ch.endpoint),
            )
        })?;
        if !matches!(uri.scheme_str(), Some("http") | Some("https")) || uri.host().is_none() {
            return Err(ConfigError::new(
                &["clickhouse", "endpoint"],
                format!(
                    "endpoint must be http://host:port or https://host:port: {:?}",
                    ch.endpoint
                ),
            ));
        }
        if uri.path() != "/" || uri.query().is_some() {
            return Err(ConfigError::new(
                &["clickhouse", "endpoint"],
                format!(
                    "endpoint takes no path or query ({:?}): name the database with \
                     `database`",
                    ch.endpoint
                ),
            ));
        }
        for (key, name) in [
            ("database", &ch.database),
            ("traces_table_name", &ch.traces_table_name),
        ] {
            if !plain_identifier(name) {
                return Err(ConfigError::new(
                    &["clickhouse", key],
                    format!("{key} must be letters, digits and '_': {name:?}"),
                ));
            }
        }
        if ch.timeout.is_zero() {
            return Err(ConfigError::new(
                &["clickhouse", "timeout"],
                "timeout must be positive",
            ));
        }
        ch.tls
            .validate()
            .map_err(|e| e.under(&["clickhouse", "tls"]))?;
        if self.max_rows == 0 {
            return Err(ConfigError::new(&["max_rows"], "max_rows must be positive"));
        }
        if self.max_result_bytes == 0 {
            return Err(ConfigError::new(
                &["max_result_bytes"],
                "max_result_bytes must be positive",
            ));
        }
        if self.max_execution_time.as_secs() == 0 {
            return Err(ConfigError::new(
                &["max_execution_time"],
                "max_execution_time must be at least 1s (ClickHouse counts whole seconds)",
            ));
        }
        if let Some(auth) = &self.auth {
            match (&auth.basic, &auth.bearer) {
                (Some(basic), None) if !basic.username.is_empty() => {}
                (Some(_), None) => {
                    return Err(ConfigError::new(
                        &["auth", "basic", "username"],
                        "username must not be empty",
                    ))
                }
                (None, Some(bearer)) if !bearer.token.is_empty() => {}
                (None, Some(_)) => {
                    return Err(ConfigError::new(
                        &["auth", "bearer", "token"],
                        "token must not be empty",
                    ))
                }
                _ => {
                    return Err(ConfigError::new(
                        &["auth"],
                        "auth takes exactly one of basic or bearer",
                    ))
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_api::config::decode;

    fn decode_str(s: &str) -> Result<Config, ConfigError> {
        decode(&serde_yaml::from_str(s).unwrap())
    }

    #[test]
    fn defaults() {
        let c = decode_str("clickhouse: {endpoint: 'http://127.0.0.1:8123'}").unwrap();
        assert_eq!(c.endpoint, "localhost:20416");
        assert_eq!(c.max_rows, 10_000);
        assert_eq!(c.max_result_bytes, 67_108_864);
        assert_eq!(c.max_execution_time, Duration::from_secs(30));
        assert_eq!(c.clickhouse.database, "default");
        assert_eq!(c.clickhouse.traces_table_name, "otel_traces");
        assert_eq!(c.clickhouse.timeout, Duration::from_secs(35));
        assert_eq!(c.auth, None);
    }

    #[test]
    fn decodes_every_key() {
        let c = decode_str(
            "{endpoint: '0.0.0.0:1', max_rows: 5, max_result_bytes: 1000, max_execution_time: 2s, \
             clickhouse: {endpoint: 'https://ch:8443', username: u, password: p, database: otel, \
             traces_table_name: spans, timeout: 3s, tls: {insecure_skip_verify: true}}, \
             auth: {bearer: {token: t}}}",
        )
        .unwrap();
        assert_eq!(c.max_rows, 5);
        assert_eq!(c.max_execution_time, Duration::from_secs(2));
        assert_eq!(c.clickhouse.database, "otel");
        assert_eq!(c.clickhouse.traces_table_name, "spans");
        assert!(c.clickhouse.tls.insecure_skip_verify);
        assert_eq!(c.auth.unwrap().bearer, Some(Bearer { token: "t".into() }));
    }

    #[test]
    fn unknown_keys_are_named_with_their_path() {
        let err = decode_str("clickhouse: {endpoint: 'http://a:1', passwd: x}").unwrap_err();
        assert_eq!(err.to_string(), "'clickhouse' has invalid keys: passwd");
        let err = decode_str("clickhouse: {endpoint: 'http://a:1'}\nauth: {basic: {user: x}}")
            .unwrap_err();
        assert_eq!(err.to_string(), "'auth.basic' has invalid keys: user");
    }

    #[test]
    fn bad_values_are_refused() {
        let err = decode_str("{}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "clickhouse::endpoint: endpoint must be specified"
        );
        let err = decode_str("clickhouse: {endpoint: 'tcp://a:9000'}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "clickhouse::endpoint: endpoint must be http://host:port or https://host:port: \"tcp://a:9000\""
        );
        let err = decode_str("clickhouse: {endpoint: 'http://a:1/otel'}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "clickhouse::endpoint: endpoint takes no path or query (\"http://a:1/otel\"): \
             name the database with `database`"
        );
        let err = decode_str("clickhouse: {endpoint: 'http://a:1', database: 'a;b'}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "clickhouse::database: database must be letters, digits and '_': \"a;b\""
        );
        let err = decode_str(
            "clickhouse: {endpoint: 'http://a:1'}\nauth: {basic: {username: a}, bearer: {token: b}}",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "auth: auth takes exactly one of basic or bearer"
        );
    }
}
