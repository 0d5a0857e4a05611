//! The receiver's config, as otelcol's otlpreceiver reads it.
//!
//! A protocol is on when its key is present under `protocols`, even with no value
//! (`protocols: {grpc:, http:}` turns both on with their defaults), and off when the
//! key is absent. At least one must be on.

use serde::{Deserialize, Deserializer, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

use crate::endpoint::Endpoint;

/// otelcol's text when no protocol is configured.
pub const NO_PROTOCOL: &str = "must specify at least one protocol when using the OTLP receiver";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub protocols: Protocols,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Protocols {
    #[serde(
        deserialize_with = "present_is_some",
        skip_serializing_if = "Option::is_none"
    )]
    pub grpc: Option<GrpcConfig>,
    #[serde(
        deserialize_with = "present_is_some",
        skip_serializing_if = "Option::is_none"
    )]
    pub http: Option<HttpConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcConfig {
    pub endpoint: String,
    /// The largest request accepted, in MiB.
    pub max_recv_msg_size_mib: u64,
    pub include_metadata: bool,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            endpoint: "localhost:4317".to_string(),
            max_recv_msg_size_mib: 4,
            include_metadata: false,
        }
    }
}

impl GrpcConfig {
    /// The limit in bytes; 0 means gRPC's default of 4 MiB, as in otelcol's configgrpc.
    pub fn max_recv_msg_size(&self) -> usize {
        let mib = match self.max_recv_msg_size_mib {
            0 => 4,
            mib => mib,
        };
        usize::try_from(mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub endpoint: String,
    /// The largest request body accepted, in bytes, after decompression.
    pub max_request_body_size: u64,
    pub include_metadata: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors: Option<CorsConfig>,
    pub traces_url_path: String,
    pub metrics_url_path: String,
    pub logs_url_path: String,
}

/// otelcol's default `max_request_body_size`: 20 MiB.
pub const DEFAULT_MAX_REQUEST_BODY_SIZE: u64 = 20 * 1024 * 1024;

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            endpoint: "localhost:4318".to_string(),
            max_request_body_size: DEFAULT_MAX_REQUEST_BODY_SIZE,
            include_metadata: false,
            cors: None,
            traces_url_path: "/v1/traces".to_string(),
            metrics_url_path: "/v1/metrics".to_string(),
            logs_url_path: "/v1/logs".to_string(),
        }
    }
}

impl HttpConfig {
    pub fn max_request_body_size(&self) -> usize {
        // 0 means "the default", as in otelcol's confighttp.
        let size = match self.max_request_body_size {
            0 => DEFAULT_MAX_REQUEST_BODY_SIZE,
            n => n,
        };
        usize::try_from(size).unwrap_or(usize::MAX)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// Origins allowed to send cross-origin requests; `*` and one-wildcard patterns
    /// (`https://*.example.com`) are allowed.
    pub allowed_origins: Vec<String>,
    /// Request headers allowed besides the CORS-safelisted ones.
    pub allowed_headers: Vec<String>,
    /// How long a browser may cache a preflight answer, in seconds (0: not sent).
    pub max_age: u64,
}

/// A key that is present makes `Some`, even when its value is null.
fn present_is_some<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(
        Option::<T>::deserialize(deserializer)?.unwrap_or_default(),
    ))
}

/// otelcol makes a relative path absolute (`logs` serves `/logs`).
pub fn url_path(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        let p = &self.protocols;
        if p.grpc.is_none() && p.http.is_none() {
            return Err(ConfigError::new(&[], NO_PROTOCOL));
        }
        if let Some(grpc) = &p.grpc {
            Endpoint::parse(&grpc.endpoint)
                .map_err(|e| ConfigError::new(&["protocols", "grpc", "endpoint"], e))?;
        }
        if let Some(http) = &p.http {
            Endpoint::parse(&http.endpoint)
                .map_err(|e| ConfigError::new(&["protocols", "http", "endpoint"], e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_api::config::decode;

    fn yaml(s: &str) -> serde_yaml::Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn null_protocols_are_on_with_defaults() {
        let c: Config = decode(&yaml("protocols: {grpc: , http: }")).unwrap();
        let grpc = c.protocols.grpc.unwrap();
        assert_eq!(grpc.endpoint, "localhost:4317");
        assert_eq!(grpc.max_recv_msg_size(), 4 * 1024 * 1024);
        let unset = GrpcConfig {
            max_recv_msg_size_mib: 0,
            ..grpc.clone()
        };
        assert_eq!(unset.max_recv_msg_size(), 4 * 1024 * 1024);
        assert!(!grpc.include_metadata);
        let http = c.protocols.http.unwrap();
        assert_eq!(http.endpoint, "localhost:4318");
        assert_eq!(http.max_request_body_size(), 20_971_520);
        assert_eq!(http.traces_url_path, "/v1/traces");
        assert_eq!(http.metrics_url_path, "/v1/metrics");
        assert_eq!(http.logs_url_path, "/v1/logs");
        assert!(http.cors.is_none());
    }

    #[test]
    fn absent_protocol_is_off() {
        let c: Config = decode(&yaml("protocols: {http: {endpoint: '0.0.0.0:9999'}}")).unwrap();
        assert!(c.protocols.grpc.is_none());
        assert_eq!(c.protocols.http.unwrap().endpoint, "0.0.0.0:9999");
    }

    #[test]
    fn no_protocol_is_refused_with_otelcols_words() {
        for text in ["protocols: {}", "protocols:", "{}"] {
            let err = decode::<Config>(&yaml(text)).unwrap_err();
            assert_eq!(err.to_string(), NO_PROTOCOL, "{text}");
        }
        let err = decode::<Config>(&serde_yaml::Value::Null).unwrap_err();
        assert_eq!(err.to_string(), NO_PROTOCOL);
    }

    #[test]
    fn unknown_keys_name_their_parent() {
        let err = decode::<Config>(&yaml("protocols: {grpc: {endpont: 'x:1'}}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'protocols.grpc' has invalid keys: endpont"
        );
        let err = decode::<Config>(&yaml("protocols: {thrift: }")).unwrap_err();
        assert_eq!(err.to_string(), "'protocols' has invalid keys: thrift");
        let err =
            decode::<Config>(&yaml("protocols: {http: {cors: {allowed_origin: []}}}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'protocols.http.cors' has invalid keys: allowed_origin"
        );
    }

    #[test]
    fn bad_values_name_their_path() {
        let err = decode::<Config>(&yaml("protocols: {grpc: {endpoint: 'nope'}}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "protocols::grpc::endpoint: address nope: missing port in address"
        );
        let err =
            decode::<Config>(&yaml("protocols: {grpc: {max_recv_msg_size_mib: -1}}")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("protocols::grpc::max_recv_msg_size_mib: invalid value"),
            "{err}"
        );
    }

    #[test]
    fn default_round_trips_without_enabling_anything() {
        let value = sonde_api::config::default_value::<Config>();
        assert_eq!(value, yaml("protocols: {}"));
    }
}
