//! The batch processor's config, with otelcol's keys and defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Items (spans, data points, log records) after which a batch is sent regardless of
    /// the timeout. A trigger, not a cap: a batch may hold more. 0 = only the timeout sends.
    pub send_batch_size: u32,
    /// Time after which a non-empty batch is sent regardless of its size. 0 = send at once.
    #[serde(with = "sonde_api::config::duration")]
    pub timeout: Duration,
    /// The most items one send may carry; larger batches are split. 0 = no limit.
    pub send_batch_max_size: u32,
    /// Accepted for compatibility; batching per client metadata is not implemented.
    pub metadata_keys: Vec<String>,
    /// Accepted for compatibility (see `metadata_keys`).
    pub metadata_cardinality_limit: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            send_batch_size: 8192,
            timeout: Duration::from_millis(200),
            send_batch_max_size: 0,
            metadata_keys: Vec::new(),
            metadata_cardinality_limit: 1000,
        }
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.send_batch_max_size > 0 && self.send_batch_max_size < self.send_batch_size {
            return Err(ConfigError::new(
                &["send_batch_max_size"],
                "send_batch_max_size must be greater or equal to send_batch_size",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for key in &self.metadata_keys {
            if !seen.insert(key.to_ascii_lowercase()) {
                return Err(ConfigError::new(
                    &["metadata_keys"],
                    format!("duplicate entry in metadata_keys: {key:?} (case-insensitive)"),
                ));
            }
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
    fn defaults_match_otelcol() {
        let c: Config = decode(&serde_yaml::Value::Null).unwrap();
        assert_eq!(c.send_batch_size, 8192);
        assert_eq!(c.timeout, Duration::from_millis(200));
        assert_eq!(c.send_batch_max_size, 0);
        assert_eq!(c.metadata_cardinality_limit, 1000);
    }

    #[test]
    fn decodes_keys() {
        let c: Config = decode(&yaml(
            "{send_batch_size: 10, timeout: 1s, send_batch_max_size: 20, metadata_keys: [tenant]}",
        ))
        .unwrap();
        assert_eq!(c.send_batch_size, 10);
        assert_eq!(c.timeout, Duration::from_secs(1));
        assert_eq!(c.send_batch_max_size, 20);
        assert_eq!(c.metadata_keys, vec!["tenant".to_string()]);
    }

    #[test]
    fn max_below_size_is_rejected() {
        let err = decode::<Config>(&yaml("{send_batch_size: 100, send_batch_max_size: 99}"))
            .unwrap_err()
            .under(&["processors", "batch"]);
        assert_eq!(
            err.to_string(),
            "processors::batch::send_batch_max_size: send_batch_max_size must be greater or equal to send_batch_size"
        );
    }

    #[test]
    fn unknown_key_is_rejected() {
        let err = decode::<Config>(&yaml("{sendbatchsize: 1}")).unwrap_err();
        assert_eq!(err.to_string(), "'' has invalid keys: sendbatchsize");
    }
}
