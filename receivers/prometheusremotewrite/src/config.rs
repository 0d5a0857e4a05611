//! The `prometheusremotewrite` receiver's config: otelcol-contrib's
//! `prometheusremotewritereceiver` keys (`endpoint`, default `localhost:9090`;
//! `time_threshold`, hours, default 24), plus the body limit and how many metric
//! families' types are remembered between requests.

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `host:port` to listen on; 9090 is Prometheus's own port, as in otelcol-contrib.
    pub endpoint: String,
    /// Samples older than this many hours are dropped (counted); 0 keeps every sample.
    pub time_threshold: u64,
    /// The largest request body taken, in MiB, compressed and decompressed alike.
    pub max_request_body_size_mib: usize,
    /// How many metric families' types (from Prometheus's metadata requests) are
    /// kept; past it the oldest are forgotten and their series typed by name.
    pub max_remembered_families: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: "localhost:9090".into(),
            time_threshold: 24,
            max_request_body_size_mib: 32,
            max_remembered_families: 10_000,
        }
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        sonde_netconfig::validate_http_endpoint(&self.endpoint, self.max_request_body_size_mib)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_api::config::decode;

    #[test]
    fn defaults_and_errors() {
        let c: Config = decode(&serde_yaml::from_str("{}").unwrap()).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.endpoint, "localhost:9090");
        assert_eq!(c.time_threshold, 24);
        let c: Config = decode(
            &serde_yaml::from_str("{endpoint: '0.0.0.0:19291', time_threshold: 0}").unwrap(),
        )
        .unwrap();
        assert_eq!(
            (c.endpoint.as_str(), c.time_threshold),
            ("0.0.0.0:19291", 0)
        );
        let err = decode::<Config>(&serde_yaml::from_str("{endpoint: ' '}").unwrap()).unwrap_err();
        assert_eq!(err.to_string(), "endpoint: endpoint must not be empty");
        let err =
            decode::<Config>(&serde_yaml::from_str("{max_request_body_size_mib: 0}").unwrap())
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "max_request_body_size_mib: must be at least 1"
        );
        let err = decode::<Config>(&serde_yaml::from_str("{bogus: 1}").unwrap()).unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }
}
