//! The `ebpf` receiver's config: what to trace, how much of each payload to copy
//! out of the kernel, how URLs become routes, and how RED metrics are flushed.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sonde_api::config::{ComponentConfig, ConfigError};
use sonde_ebpf_protocols::Protocol;

use crate::capture::{CaptureConfig, MAX_COMM_LEN, MAX_FILTER_ENTRIES, MAX_PAYLOAD_SIZE};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Bytes of each syscall's payload copied out of the kernel.
    pub payload_size: usize,
    /// Only these pids are traced (empty: all).
    pub include_pids: Vec<u32>,
    pub exclude_pids: Vec<u32>,
    /// Only processes (kernel task names, at most 15 bytes) with these names (empty: all).
    pub include_processes: Vec<String>,
    pub exclude_processes: Vec<String>,
    /// Only connections with one of these ports at either end (empty: all).
    pub include_ports: Vec<u16>,
    pub exclude_ports: Vec<u16>,
    /// Size of the kernel-to-user ring buffer.
    pub ring_buffer_size_mib: usize,
    pub http: HttpConfig,
    pub protocols: ProtocolsConfig,
    pub resource: ResourceConfig,
    pub metrics: MetricsConfig,
    /// How long spans wait to be sent together.
    #[serde(with = "sonde_api::config::duration")]
    pub span_flush_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            payload_size: 1024,
            include_pids: Vec::new(),
            exclude_pids: Vec::new(),
            include_processes: Vec::new(),
            exclude_processes: Vec::new(),
            include_ports: Vec::new(),
            exclude_ports: Vec::new(),
            ring_buffer_size_mib: 8,
            http: HttpConfig::default(),
            protocols: ProtocolsConfig::default(),
            resource: ResourceConfig::default(),
            metrics: MetricsConfig::default(),
            span_flush_interval: Duration::from_millis(200),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Record `url.query` (off by default: queries carry tokens and personal data).
    pub capture_query: bool,
    /// Route templates that win over clustering, e.g. `/api/users/{id}/orders`.
    pub route_patterns: Vec<String>,
    /// Distinct routes kept per service; beyond, requests share one overflow route.
    pub max_routes_per_service: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            capture_query: false,
            route_patterns: Vec::new(),
            max_routes_per_service: 500,
        }
    }
}

/// Which application protocols are parsed, and how.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProtocolsConfig {
    /// The protocols parsed, by name (absent: every one sonde knows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<Vec<String>>,
    /// Ports whose connections are parsed as the named protocol whatever
    /// their first bytes, e.g. `{redis: [6380]}`.
    pub ports: BTreeMap<String, Vec<u16>>,
    /// `db.query.text` as sent, literals included (off: literals become `?`,
    /// since they carry personal data).
    pub raw_query_text: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceConfig {
    /// Add `process.command_line` (off by default: command lines carry secrets).
    pub command_line: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Temporality {
    Cumulative,
    Delta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Histogram {
    /// The semantic conventions' advisory bucket bounds.
    Explicit,
    /// Base-2 exponential buckets, at most 160 of them.
    Exponential,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    #[serde(with = "sonde_api::config::duration")]
    pub flush_interval: Duration,
    pub temporality: Temporality,
    pub histogram: Histogram,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            flush_interval: Duration::from_secs(10),
            temporality: Temporality::Cumulative,
            histogram: Histogram::Explicit,
        }
    }
}

impl Config {
    /// The kernel side's settings; `self_pid` is sonde's own, never traced.
    pub fn capture(&self, self_pid: u32) -> CaptureConfig {
        CaptureConfig {
            payload_size: self.payload_size,
            pid_allow: self.include_pids.clone(),
            pid_deny: self.exclude_pids.clone(),
            comm_allow: self.include_processes.clone(),
            comm_deny: self.exclude_processes.clone(),
            port_allow: self.include_ports.clone(),
            port_deny: self.exclude_ports.clone(),
            l7_ports: self.protocols.ports.values().flatten().copied().collect(),
            self_pid,
            ring_buffer_bytes: self.ring_buffer_size_mib.saturating_mul(1024 * 1024),
            ..CaptureConfig::default()
        }
    }
}

fn check_list_len<T>(key: &str, list: &[T]) -> Result<(), ConfigError> {
    if list.len() > MAX_FILTER_ENTRIES {
        return Err(ConfigError::new(
            &[key],
            format!(
                "{} entries, at most {MAX_FILTER_ENTRIES} fit the kernel's filter map",
                list.len()
            ),
        ));
    }
    Ok(())
}

impl ComponentConfig for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.payload_size == 0 || self.payload_size > MAX_PAYLOAD_SIZE {
            return Err(ConfigError::new(
                &["payload_size"],
                format!(
                    "{} is out of range: between 1 and {MAX_PAYLOAD_SIZE} bytes",
                    self.payload_size
                ),
            ));
        }
        check_list_len("include_pids", &self.include_pids)?;
        check_list_len("exclude_pids", &self.exclude_pids)?;
        check_list_len("include_processes", &self.include_processes)?;
        check_list_len("exclude_processes", &self.exclude_processes)?;
        check_list_len("include_ports", &self.include_ports)?;
        check_list_len("exclude_ports", &self.exclude_ports)?;
        let forced: Vec<u16> = self.protocols.ports.values().flatten().copied().collect();
        check_list_len("protocols.ports", &forced)?;
        for (key, names) in [
            ("include_processes", &self.include_processes),
            ("exclude_processes", &self.exclude_processes),
        ] {
            if let Some(long) = names
                .iter()
                .find(|n| n.is_empty() || n.len() > MAX_COMM_LEN)
            {
                return Err(ConfigError::new(
                    &[key],
                    format!(
                        "{long:?}: a process name is the kernel's task name, 1 to {MAX_COMM_LEN} bytes"
                    ),
                ));
            }
        }
        if self.ring_buffer_size_mib == 0 || !self.ring_buffer_size_mib.is_power_of_two() {
            return Err(ConfigError::new(
                &["ring_buffer_size_mib"],
                format!(
                    "{} must be a power of two (the kernel's ring buffer is)",
                    self.ring_buffer_size_mib
                ),
            ));
        }
        if self.http.max_routes_per_service == 0 {
            return Err(ConfigError::new(
                &["http", "max_routes_per_service"],
                "must be at least 1",
            ));
        }
        for (i, pattern) in self.http.route_patterns.iter().enumerate() {
            if !pattern.starts_with('/') {
                return Err(ConfigError::new(
                    &["http", "route_patterns", &i.to_string()],
                    format!("{pattern:?} must start with '/'"),
                ));
            }
        }
        self.protocols.validate()?;
        for (key, value) in [
            ("flush_interval", self.metrics.flush_interval),
            ("span_flush_interval", self.span_flush_interval),
        ] {
            if value.is_zero() {
                let path: &[&str] = if key == "flush_interval" {
                    &["metrics", "flush_interval"]
                } else {
                    &[key]
                };
                return Err(ConfigError::new(path, "must be greater than 0"));
            }
        }
        Ok(())
    }
}

impl ProtocolsConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let known = || {
            Protocol::ALL
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (i, name) in self.enabled.iter().flatten().enumerate() {
            if Protocol::from_name(name).is_none() {
                return Err(ConfigError::new(
                    &["protocols", "enabled", &i.to_string()],
                    format!("unknown protocol {name:?}; known: {}", known()),
                ));
            }
        }
        // One port may carry one protocol per transport (DNS over UDP and TCP).
        let mut owner: BTreeMap<(u16, bool), &str> = BTreeMap::new();
        for (name, ports) in &self.ports {
            let Some(protocol) = Protocol::from_name(name) else {
                return Err(ConfigError::new(
                    &["protocols", "ports", name],
                    format!("unknown protocol {name:?}; known: {}", known()),
                ));
            };
            let udp = protocol.transport() == sonde_ebpf_protocols::Transport::Udp;
            for &port in ports {
                if let Some(other) = owner.insert((port, udp), name) {
                    if other != name {
                        return Err(ConfigError::new(
                            &["protocols", "ports", name],
                            format!("port {port} is also given to {other:?}"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
