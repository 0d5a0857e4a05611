//! The config blocks every exporter shares, with otelcol's keys and defaults:
//! `retry_on_failure` (configretry) and `sending_queue` (exporterhelper's queue).
//! The per-attempt `timeout` is a plain duration in each exporter's own config,
//! since its default differs per exporter (otlp 5s, otlphttp 30s).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

/// `retry_on_failure`: exponential backoff between attempts of one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    pub enabled: bool,
    /// The wait after the first failure.
    #[serde(with = "sonde_api::config::duration")]
    pub initial_interval: Duration,
    /// Each wait is drawn from `interval * (1 ± randomization_factor)`.
    pub randomization_factor: f64,
    /// The interval grows by this factor after each failure.
    pub multiplier: f64,
    /// The interval stops growing here.
    #[serde(with = "sonde_api::config::duration")]
    pub max_interval: Duration,
    /// A batch is given up once the next attempt would start later than this after the
    /// first one. 0 = retry forever.
    #[serde(with = "sonde_api::config::duration")]
    pub max_elapsed_time: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            enabled: true,
            initial_interval: Duration::from_secs(5),
            randomization_factor: 0.5,
            multiplier: 1.5,
            max_interval: Duration::from_secs(30),
            max_elapsed_time: Duration::from_secs(300),
        }
    }
}

impl ComponentConfig for RetryConfig {
    /// Paths are relative to the block; callers put `retry_on_failure` in front.
    fn validate(&self) -> Result<(), ConfigError> {
        if !self.enabled {
            return Ok(());
        }
        if !(0.0..=1.0).contains(&self.randomization_factor) {
            return Err(ConfigError::new(
                &["randomization_factor"],
                "'randomization_factor' must be within [0, 1]",
            ));
        }
        if self.multiplier.is_nan() || self.multiplier <= 0.0 || self.multiplier.is_infinite() {
            return Err(ConfigError::new(
                &["multiplier"],
                "'multiplier' must be positive",
            ));
        }
        if self.max_interval < self.initial_interval {
            return Err(ConfigError::new(
                &["max_interval"],
                "'max_interval' must not be less than 'initial_interval'",
            ));
        }
        if !self.max_elapsed_time.is_zero() && self.max_elapsed_time < self.initial_interval {
            return Err(ConfigError::new(
                &["max_elapsed_time"],
                "'max_elapsed_time' must not be less than 'initial_interval'",
            ));
        }
        Ok(())
    }
}

/// `sending_queue`: the bounded in-memory queue in front of the consumers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    pub enabled: bool,
    /// Tasks that take batches off the queue and send them, concurrently.
    pub num_consumers: usize,
    /// Batches (requests) the queue holds, all signals together.
    pub queue_size: usize,
    /// When the queue is full: `false` refuses the batch with a retryable error,
    /// `true` makes the caller wait for room. `blocking` is the older name.
    #[serde(alias = "blocking")]
    pub block_on_overflow: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            enabled: true,
            num_consumers: 10,
            queue_size: 1000,
            block_on_overflow: false,
        }
    }
}

impl ComponentConfig for QueueConfig {
    /// Paths are relative to the block; callers put `sending_queue` in front.
    fn validate(&self) -> Result<(), ConfigError> {
        if !self.enabled {
            return Ok(());
        }
        if self.num_consumers == 0 {
            return Err(ConfigError::new(
                &["num_consumers"],
                "`num_consumers` must be positive",
            ));
        }
        if self.queue_size == 0 {
            return Err(ConfigError::new(
                &["queue_size"],
                "`queue_size` must be positive",
            ));
        }
        Ok(())
    }
}

/// Validates both blocks with their paths, for an exporter's own `validate()`.
pub fn validate(retry: &RetryConfig, queue: &QueueConfig) -> Result<(), ConfigError> {
    retry
        .validate()
        .map_err(|e| e.under(&["retry_on_failure"]))?;
    queue.validate().map_err(|e| e.under(&["sending_queue"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_api::config::decode;

    fn yaml(s: &str) -> serde_yaml::Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn defaults_are_otelcols() {
        let r = decode::<RetryConfig>(&serde_yaml::Value::Null).unwrap();
        assert_eq!(r, RetryConfig::default());
        assert_eq!(r.max_elapsed_time, Duration::from_secs(300));
        let q = decode::<QueueConfig>(&yaml("{}")).unwrap();
        assert_eq!((q.num_consumers, q.queue_size), (10, 1000));
    }

    #[test]
    fn accepts_blocking_alias() {
        let q = decode::<QueueConfig>(&yaml("blocking: true")).unwrap();
        assert!(q.block_on_overflow);
        let q = decode::<QueueConfig>(&yaml("block_on_overflow: true")).unwrap();
        assert!(q.block_on_overflow);
    }

    #[test]
    fn rejects_bad_values_with_paths() {
        let r = RetryConfig {
            randomization_factor: 1.5,
            ..RetryConfig::default()
        };
        let err = validate(&r, &QueueConfig::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "retry_on_failure::randomization_factor: 'randomization_factor' must be within [0, 1]"
        );
        let q = QueueConfig {
            queue_size: 0,
            ..QueueConfig::default()
        };
        let err = validate(&RetryConfig::default(), &q).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sending_queue::queue_size: `queue_size` must be positive"
        );
        let err = decode::<QueueConfig>(&yaml("size: 3")).unwrap_err();
        assert_eq!(err.to_string(), "'' has invalid keys: size");
    }
}
