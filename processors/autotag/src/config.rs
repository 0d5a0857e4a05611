//! The autotag processor's config: where procfs is, what `host.name` is, and
//! how long answers are kept and waited for.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};

use crate::kubernetes::config::KubernetesConfig;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the host's procfs is mounted (`/host/proc` when sonde runs in a
    /// container with the host's procfs mounted there).
    pub proc_root: PathBuf,
    /// `host.name` of local processes; empty means this host's name.
    pub host_name: String,
    /// Whether to add `process.command_line` (arguments can carry secrets).
    pub command_line: bool,
    /// How long the process found behind a client address is remembered.
    #[serde(with = "sonde_api::config::duration")]
    pub cache_ttl: Duration,
    /// How long data waits for a first lookup; past it the data goes on
    /// untagged and the lookup finishes in the background for the next request.
    #[serde(with = "sonde_api::config::duration")]
    pub lookup_timeout: Duration,
    /// Kubernetes tags from a watched API; off when absent, on with the
    /// defaults when present but empty (`kubernetes:`).
    #[serde(
        deserialize_with = "present_means_on",
        skip_serializing_if = "Option::is_none"
    )]
    pub kubernetes: Option<KubernetesConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            proc_root: PathBuf::from("/proc"),
            host_name: String::new(),
            command_line: false,
            cache_ttl: Duration::from_secs(60),
            lookup_timeout: Duration::from_millis(200),
            kubernetes: None,
        }
    }
}

fn present_means_on<'de, D>(deserializer: D) -> Result<Option<KubernetesConfig>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<KubernetesConfig>::deserialize(deserializer).map(|c| Some(c.unwrap_or_default()))
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.cache_ttl.is_zero() {
            return Err(ConfigError::new(
                &["cache_ttl"],
                "'cache_ttl' must be greater than zero",
            ));
        }
        if self.proc_root.as_os_str().is_empty() {
            return Err(ConfigError::new(
                &["proc_root"],
                "'proc_root' must name a directory",
            ));
        }
        match &self.kubernetes {
            Some(kubernetes) => kubernetes.validate(&["kubernetes"]),
            None => Ok(()),
        }
    }
}
