//! The memory_limiter processor's config, with otelcol's keys, defaults and messages.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Time between two readings of the process's memory. Required.
    #[serde(with = "sonde_api::config::duration")]
    pub check_interval: Duration,
    /// The hard limit, in MiB. Takes precedence over `limit_percentage`.
    pub limit_mib: u32,
    /// Headroom under the hard limit, in MiB: the soft limit is `limit_mib - spike_limit_mib`.
    /// 0 = 20% of the limit.
    pub spike_limit_mib: u32,
    /// The hard limit, in percent of the memory available (cgroup limit, else MemTotal).
    pub limit_percentage: u32,
    /// The headroom, in percent of the memory available.
    pub spike_limit_percentage: u32,
    /// Least time between two allocator trims while above the soft limit.
    #[serde(with = "sonde_api::config::duration")]
    pub min_gc_interval_when_soft_limited: Duration,
    /// Least time between two allocator trims while above the hard limit.
    #[serde(with = "sonde_api::config::duration")]
    pub min_gc_interval_when_hard_limited: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            check_interval: Duration::ZERO,
            limit_mib: 0,
            spike_limit_mib: 0,
            limit_percentage: 0,
            spike_limit_percentage: 0,
            min_gc_interval_when_soft_limited: Duration::from_secs(10),
            min_gc_interval_when_hard_limited: Duration::ZERO,
        }
    }
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, msg: &str| Err(ConfigError::new(&[key], msg));
        if self.check_interval.is_zero() {
            return err(
                "check_interval",
                "'check_interval' must be greater than zero",
            );
        }
        if self.min_gc_interval_when_soft_limited < self.min_gc_interval_when_hard_limited {
            return err(
                "min_gc_interval_when_soft_limited",
                "'min_gc_interval_when_soft_limited' should be larger than 'min_gc_interval_when_hard_limited'",
            );
        }
        if self.limit_mib == 0 && self.limit_percentage == 0 {
            return err(
                "limit_mib",
                "'limit_mib' or 'limit_percentage' must be greater than zero",
            );
        }
        if self.limit_percentage > 100 || self.spike_limit_percentage > 100 {
            return err(
                "limit_percentage",
                "'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less than or equal to hundred",
            );
        }
        if self.limit_mib > 0 && self.limit_mib <= self.spike_limit_mib {
            return err(
                "spike_limit_mib",
                "'spike_limit_mib' must be smaller than 'limit_mib'",
            );
        }
        if self.limit_percentage > 0 && self.limit_percentage <= self.spike_limit_percentage {
            return err(
                "spike_limit_percentage",
                "'spike_limit_percentage' must be smaller than 'limit_percentage'",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonde_api::config::decode;

    fn check(yaml: &str) -> Result<Config, String> {
        let value: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
        decode::<Config>(&value).map_err(|e| e.under(&["processors", "memory_limiter"]).to_string())
    }

    #[test]
    fn decodes_a_valid_config() {
        let c = check("{check_interval: 1s, limit_mib: 4000, spike_limit_mib: 800}").unwrap();
        assert_eq!(c.check_interval, Duration::from_secs(1));
        assert_eq!(c.limit_mib, 4000);
        assert_eq!(c.spike_limit_mib, 800);
        assert_eq!(c.min_gc_interval_when_soft_limited, Duration::from_secs(10));
    }

    #[test]
    fn default_config_is_invalid_like_otelcol() {
        assert_eq!(
            check("{}").unwrap_err(),
            "processors::memory_limiter::check_interval: 'check_interval' must be greater than zero"
        );
    }

    #[test]
    fn otelcol_messages() {
        assert_eq!(
            check("{check_interval: 1s}").unwrap_err(),
            "processors::memory_limiter::limit_mib: 'limit_mib' or 'limit_percentage' must be greater than zero"
        );
        assert_eq!(
            check("{check_interval: 1s, limit_mib: 100, spike_limit_mib: 100}").unwrap_err(),
            "processors::memory_limiter::spike_limit_mib: 'spike_limit_mib' must be smaller than 'limit_mib'"
        );
        assert_eq!(
            check("{check_interval: 1s, limit_percentage: 101}").unwrap_err(),
            "processors::memory_limiter::limit_percentage: 'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less than or equal to hundred"
        );
        assert_eq!(
            check("{check_interval: 1s, limit_percentage: 50, spike_limit_percentage: 50}")
                .unwrap_err(),
            "processors::memory_limiter::spike_limit_percentage: 'spike_limit_percentage' must be smaller than 'limit_percentage'"
        );
        assert_eq!(
            check("{check_interval: 1s, limit_mib: 10, min_gc_interval_when_hard_limited: 20s}")
                .unwrap_err(),
            "processors::memory_limiter::min_gc_interval_when_soft_limited: 'min_gc_interval_when_soft_limited' should be larger than 'min_gc_interval_when_hard_limited'"
        );
    }
}
