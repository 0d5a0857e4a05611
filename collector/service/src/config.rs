//! The top-level config, otelcol's shape: component sections keyed by id, and
//! `service.{extensions,pipelines,telemetry}`. Component configs stay YAML here; each
//! factory decodes its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_yaml::{Mapping, Value};
use sonde_api::config::{ComponentConfig, ConfigError};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    pub receivers: Mapping,
    pub processors: Mapping,
    pub exporters: Mapping,
    pub connectors: Mapping,
    pub extensions: Mapping,
    pub service: ServiceConfig,
}

impl ComponentConfig for RawConfig {}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    pub extensions: Vec<String>,
    pub pipelines: BTreeMap<String, PipelineConfig>,
    pub telemetry: TelemetryConfig,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    pub receivers: Vec<String>,
    pub processors: Vec<String>,
    pub exporters: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    pub logs: LogsConfig,
    pub metrics: MetricsConfig,
    /// Accepted for compatibility; sonde does not trace itself.
    pub traces: Value,
    /// Accepted for compatibility.
    pub resource: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogsConfig {
    pub level: String,
    /// `console` (default) or `json`.
    pub encoding: String,
    pub development: bool,
    pub disable_caller: bool,
    pub disable_stacktrace: bool,
    pub output_paths: Vec<String>,
    pub error_output_paths: Vec<String>,
    pub initial_fields: Value,
    pub sampling: Value,
}

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig {
            level: "info".into(),
            encoding: "console".into(),
            development: false,
            disable_caller: false,
            disable_stacktrace: false,
            output_paths: vec!["stderr".into()],
            error_output_paths: vec!["stderr".into()],
            initial_fields: Value::Null,
            sampling: Value::Null,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// `none`, `basic`, `normal` (default) or `detailed`; `none` turns the endpoint off.
    pub level: String,
    /// The older form: `host:port` of the Prometheus endpoint.
    pub address: Option<String>,
    /// The newer form: `[{pull: {exporter: {prometheus: {host, port}}}}]`.
    pub readers: Vec<Value>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            level: "normal".into(),
            address: None,
            readers: Vec::new(),
        }
    }
}

impl MetricsConfig {
    /// Where `/metrics` is served, or `None` when turned off.
    pub fn endpoint(&self) -> Result<Option<String>, ConfigError> {
        if self.level == "none" {
            return Ok(None);
        }
        if let Some(address) = &self.address {
            return Ok(Some(address.clone()));
        }
        for (i, reader) in self.readers.iter().enumerate() {
            let prom = &reader["pull"]["exporter"]["prometheus"];
            if prom.is_null() {
                continue;
            }
            let host = prom["host"].as_str().unwrap_or("localhost");
            let port = prom["port"].as_u64().ok_or_else(|| {
                ConfigError::new(
                    &[
                        "service",
                        "telemetry",
                        "metrics",
                        "readers",
                        &i.to_string(),
                        "pull",
                        "exporter",
                        "prometheus",
                        "port",
                    ],
                    "must be a port number",
                )
            })?;
            return Ok(Some(format!("{host}:{port}")));
        }
        if self.readers.is_empty() {
            return Ok(Some("localhost:8888".into()));
        }
        Ok(None)
    }
}

impl TelemetryConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let levels = [
            "trace", "debug", "info", "warn", "error", "dpanic", "panic", "fatal",
        ];
        if !levels.contains(&self.logs.level.to_ascii_lowercase().as_str()) {
            return Err(ConfigError::new(
                &["service", "telemetry", "logs", "level"],
                format!("unrecognized level: {:?}", self.logs.level),
            ));
        }
        if !["console", "json"].contains(&self.logs.encoding.as_str()) {
            return Err(ConfigError::new(
                &["service", "telemetry", "logs", "encoding"],
                format!(
                    "unknown encoding {:?} (console or json)",
                    self.logs.encoding
                ),
            ));
        }
        if !["none", "basic", "normal", "detailed"].contains(&self.metrics.level.as_str()) {
            return Err(ConfigError::new(
                &["service", "telemetry", "metrics", "level"],
                format!("unknown metrics level {:?}", self.metrics.level),
            ));
        }
        self.metrics.endpoint().map(|_| ())
    }
}
