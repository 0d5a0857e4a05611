//! The `influxdb` receiver's config: otelcol-contrib's `influxdbreceiver` keys
//! (`endpoint`, default `localhost:8086`), plus `sums`, the metric names written as
//! cumulative monotonic sums instead of gauges.

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `host:port` to listen on; 8086 is InfluxDB's port.
    pub endpoint: String,
    /// Metric names (`<measurement>_<field>`) written as sums; `*` matches any run of
    /// characters (`*_total`).
    pub sums: Vec<String>,
    /// The largest request body taken, decompressed, in MiB.
    pub max_request_body_size_mib: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: "localhost:8086".into(),
            sums: Vec::new(),
            max_request_body_size_mib: 32,
        }
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        sonde_netconfig::validate_http_endpoint(&self.endpoint, self.max_request_body_size_mib)?;
        if let Some(i) = self.sums.iter().position(|p| p.is_empty()) {
            return Err(ConfigError::new(
                &["sums", &i.to_string()],
                "a pattern must not be empty",
            ));
        }
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
        assert_eq!(c.endpoint, "localhost:8086");
        assert!(c.sums.is_empty());
        let err = decode::<Config>(&serde_yaml::from_str("{sums: ['*_total', '']}").unwrap())
            .unwrap_err();
        assert_eq!(err.to_string(), "sums::1: a pattern must not be empty");
        let err = decode::<Config>(&serde_yaml::from_str("{bogus: 1}").unwrap()).unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }
}
