//! The health_check extension's config, with otelcol-contrib's keys and defaults.

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `host:port` to listen on.
    pub endpoint: String,
    /// The path answered; one ending in `/` also answers everything under it.
    pub path: String,
    /// Fixed bodies instead of the JSON status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<ResponseBody>,
    /// Accepted for compatibility and ignored (otelcol deprecated it too).
    pub check_collector_pipeline: CheckCollectorPipeline,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: "localhost:13133".to_string(),
            path: "/".to_string(),
            response_body: None,
            check_collector_pipeline: CheckCollectorPipeline::default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseBody {
    pub healthy: String,
    pub unhealthy: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckCollectorPipeline {
    pub enabled: bool,
    pub interval: String,
    pub exporter_failure_threshold: u32,
}

impl Default for CheckCollectorPipeline {
    fn default() -> Self {
        CheckCollectorPipeline {
            enabled: false,
            interval: "5m".to_string(),
            exporter_failure_threshold: 5,
        }
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.endpoint.trim().is_empty() {
            return Err(ConfigError::new(
                &["endpoint"],
                "endpoint must not be empty",
            ));
        }
        if !self.path.starts_with('/') {
            return Err(ConfigError::new(
                &["path"],
                format!("path must start with '/': {:?}", self.path),
            ));
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
    fn defaults() {
        let c: Config = decode(&serde_yaml::Value::Null).unwrap();
        assert_eq!(c.endpoint, "localhost:13133");
        assert_eq!(c.path, "/");
        assert_eq!(c.response_body, None);
    }

    #[test]
    fn decodes_every_key() {
        let c: Config = decode(&yaml(
            "{endpoint: '0.0.0.0:1', path: /health/status, response_body: {healthy: up, unhealthy: down}, check_collector_pipeline: {enabled: true, interval: 1m, exporter_failure_threshold: 3}}",
        ))
        .unwrap();
        assert_eq!(c.endpoint, "0.0.0.0:1");
        assert_eq!(c.path, "/health/status");
        assert_eq!(
            c.response_body,
            Some(ResponseBody {
                healthy: "up".into(),
                unhealthy: "down".into()
            })
        );
        assert!(c.check_collector_pipeline.enabled);
    }

    #[test]
    fn bad_path_is_rejected() {
        let err = decode::<Config>(&yaml("path: health")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "path: path must start with '/': \"health\""
        );
    }
}
