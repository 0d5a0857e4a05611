//! The `skywalking` receiver's config, as otelcol-contrib's skywalking receiver reads
//! it: `protocols.grpc.endpoint` (default `localhost:11800`) and
//! `protocols.http.endpoint` (default `localhost:12800`). A protocol is on when its key
//! is present, even with no value; at least one must be.

use serde::{Deserialize, Deserializer, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

/// contrib's text when no protocol is configured.
pub const NO_PROTOCOL: &str =
    "must specify at least one protocol when using the Skywalking receiver";

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
    /// The largest message taken, in MiB (gRPC's usual 4 when 0).
    pub max_recv_msg_size_mib: u64,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            endpoint: "localhost:11800".into(),
            max_recv_msg_size_mib: 4,
        }
    }
}

impl GrpcConfig {
    pub fn max_recv_msg_size(&self) -> usize {
        let mib = match self.max_recv_msg_size_mib {
            0 => 4,
            mib => mib,
        };
        usize::try_from(mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub endpoint: String,
    /// The largest request body taken, in bytes (confighttp's 20 MiB when 0).
    pub max_request_body_size: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            endpoint: "localhost:12800".into(),
            max_request_body_size: 20 << 20,
        }
    }
}

impl HttpConfig {
    pub fn max_request_body_size(&self) -> usize {
        let size = match self.max_request_body_size {
            0 => 20 << 20,
            n => n,
        };
        usize::try_from(size).unwrap_or(usize::MAX)
    }
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

/// `host:port` with a port; the host may be empty (every interface).
fn check_endpoint(path: &[&str], what: &str, endpoint: &str) -> Result<(), ConfigError> {
    let Some((_, port)) = endpoint.rsplit_once(':') else {
        return Err(ConfigError::new(
            path,
            format!("unable to extract port for the {what} endpoint: address {endpoint}: missing port in address"),
        ));
    };
    if port.parse::<u16>().is_err() {
        return Err(ConfigError::new(
            path,
            format!("unable to extract port for the {what} endpoint: address {endpoint}: invalid port {port:?}"),
        ));
    }
    Ok(())
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        let p = &self.protocols;
        if p.grpc.is_none() && p.http.is_none() {
            return Err(ConfigError::new(&[], NO_PROTOCOL));
        }
        if let Some(grpc) = &p.grpc {
            check_endpoint(&["protocols", "grpc", "endpoint"], "gRPC", &grpc.endpoint)?;
        }
        if let Some(http) = &p.http {
            check_endpoint(&["protocols", "http", "endpoint"], "HTTP", &http.endpoint)?;
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
    fn present_protocols_are_on_with_defaults() {
        let c: Config = decode(&yaml("protocols: {grpc: , http: }")).unwrap();
        let grpc = c.protocols.grpc.unwrap();
        assert_eq!(grpc.endpoint, "localhost:11800");
        assert_eq!(grpc.max_recv_msg_size(), 4 << 20);
        let http = c.protocols.http.unwrap();
        assert_eq!(http.endpoint, "localhost:12800");
        assert_eq!(http.max_request_body_size(), 20 << 20);
        let c: Config = decode(&yaml("protocols: {http: {endpoint: ':9'}}")).unwrap();
        assert!(c.protocols.grpc.is_none());
    }

    #[test]
    fn errors_name_their_path() {
        let err = decode::<Config>(&yaml("protocols: {}")).unwrap_err();
        assert_eq!(err.to_string(), NO_PROTOCOL);
        let err = decode::<Config>(&yaml("protocols: {grpc: {endpoint: nope}}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "protocols::grpc::endpoint: unable to extract port for the gRPC endpoint: address nope: missing port in address"
        );
        let err = decode::<Config>(&yaml("protocols: {http: {endpoint: 'h:x'}}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "protocols::http::endpoint: unable to extract port for the HTTP endpoint: address h:x: invalid port \"x\""
        );
        let err = decode::<Config>(&yaml("protocols: {thrift: }")).unwrap_err();
        assert_eq!(err.to_string(), "'protocols' has invalid keys: thrift");
    }
}
