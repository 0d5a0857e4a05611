//! The ClickHouse exporter (`clickhouse`): writes traces, logs and metrics into
//! otelcol-contrib's ClickHouse schema (`otel_traces`, `otel_traces_trace_id_ts` and
//! its materialized view, `otel_logs`, the five `otel_metrics_<type>` tables) as
//! RowBinary inserts over ClickHouse's HTTP interface, behind the shared exporter
//! driver (sending queue, retry, timeout).
//!
//! Layout: [`config`] (contrib's keys), [`schema`] (the DDL, pure), [`rowbinary`],
//! [`traces`], [`logs`] and [`metrics`] (OTLP as rows, pure), `columns` and
//! [`attributes`] (values as contrib stores them), [`compress`] (the body on the wire),
//! `sender` (requests and the schema at start), [`version`] (the server-version
//! check), `response` (which errors are permanent).
//!
//! A pipeline of a signal outside [`SIGNALS`] is refused when the exporter is created.

pub mod attributes;
mod columns;
pub mod compress;
pub mod config;
pub mod logs;
pub mod metrics;
pub mod protowire;
mod response;
pub mod rowbinary;
pub mod schema;
mod sender;
pub mod smart;
pub mod traces;
pub mod version;

use std::sync::Arc;

use base64::Engine;
use http::HeaderValue;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use sonde_api::component::{ConsumerComponent, TypedFactory};
use sonde_api::{BoxError, CreateSettings, ExporterFactory, Signal, Stability};
use sonde_exporterhelper::{Driver, DriverOptions};
use tokio::sync::Mutex;

use crate::config::Config;
use crate::schema::SchemaParams;

/// clickhouse-go's DSN options: they configure the Go driver, not the server, and
/// ClickHouse would refuse them as unknown settings.
const DRIVER_OPTIONS: &[&str] = &[
    "dial_timeout",
    "read_timeout",
    "compress",
    "compress_level",
    "secure",
    "skip_verify",
    "connection_open_strategy",
    "block_buffer_size",
    "max_compression_buffer",
    "max_open_conns",
    "max_idle_conns",
    "conn_max_lifetime",
    "username",
    "password",
    "debug",
    "client_info_product",
    "http_proxy",
    "http_path",
    "database",
];

/// The signals written so far; a pipeline of any other is refused at creation.
pub const SIGNALS: &[Signal] = &[Signal::Traces, Signal::Logs, Signal::Metrics];

struct ClickHouseExporterFactory;

pub fn factory() -> Arc<dyn ExporterFactory> {
    Arc::new(ClickHouseExporterFactory)
}

impl TypedFactory for ClickHouseExporterFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "clickhouse";
    const MODULE: &'static str = sonde_api::module_name!();
}

/// The query-string settings of every request: the endpoint's, then
/// `connection_params`, then `async_insert` unless one of those set it.
pub fn settings(config: &Config) -> Result<Vec<(String, String)>, BoxError> {
    let endpoint = config.endpoint()?;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: &str| {
        if DRIVER_OPTIONS.contains(&k) {
            return;
        }
        match out.iter_mut().find(|(key, _)| key == k) {
            Some(pair) => pair.1 = v.to_string(),
            None => out.push((k.to_string(), v.to_string())),
        }
    };
    for (k, v) in &endpoint.params {
        set(k, v);
    }
    for (k, v) in &config.connection_params {
        set(k, v);
    }
    if !out.iter().any(|(k, _)| k == "async_insert") {
        let flag = if config.async_insert { "1" } else { "0" };
        out.push(("async_insert".into(), flag.into()));
    }
    Ok(out)
}

/// The DDL of the tables the pipelines' signals write, the database once.
pub fn schema_ddl(schema: &SchemaParams, signals: &[Signal]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for signal in signals {
        let statements = match signal {
            Signal::Traces => schema.traces_ddl(),
            Signal::Logs => schema.logs_ddl(),
            Signal::Metrics => schema.metrics_ddl(),
        };
        for statement in statements {
            if !out.contains(&statement) {
                out.push(statement);
            }
        }
    }
    out
}

impl ExporterFactory for ClickHouseExporterFactory {
    fn stability(&self, signal: Signal) -> Option<Stability> {
        match signal {
            Signal::Traces | Signal::Logs | Signal::Metrics => Some(Stability::Alpha),
        }
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        signals: &[Signal],
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        let config: Config = sonde_api::config::decode(config)?;
        if let Some(signal) = signals.iter().find(|s| !SIGNALS.contains(s)) {
            return Err(format!(
                "the clickhouse exporter does not export {signal} yet (it writes {})",
                SIGNALS
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .into());
        }
        let endpoint = config.endpoint()?;
        let user = if config.username.is_empty() {
            endpoint.user.clone()
        } else {
            Some((config.username.clone(), config.password.clone()))
        };
        let auth = match user {
            Some((name, password)) => {
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{name}:{password}"));
                Some(
                    HeaderValue::from_str(&format!("Basic {token}"))
                        .map_err(|e| format!("username: {e}"))?,
                )
            }
            None => None,
        };
        let schema = SchemaParams::from_config(&config);
        let ddl = if config.create_schema {
            schema_ddl(&schema, signals)
        } else {
            Vec::new()
        };
        let connector = config.tls.https_connector(false)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(connector);
        let sender = sender::ClickHouseSender {
            client,
            base: endpoint.base.clone(),
            database: schema.database.clone(),
            settings: crate::settings(&config)?,
            auth,
            compress: config.compress,
            inserts: sender::Inserts {
                traces: schema.traces_insert(),
                logs: schema.logs_insert(),
                gauge: schema.gauge_insert(),
                sum: schema.sum_insert(),
                histogram: schema.histogram_insert(),
                exp_histogram: schema.exp_histogram_insert(),
                summary: schema.summary_insert(),
            },
            pending_ddl: Mutex::new(ddl),
            version_checked: std::sync::atomic::AtomicBool::new(false),
            exporter: settings.id.to_string(),
            signals: signals.to_vec(),
            schema,
            logs_plan: std::sync::OnceLock::new(),
            traces_checked: std::sync::atomic::AtomicBool::new(false),
            metrics_checked: std::sync::atomic::AtomicBool::new(false),
            known_resources: config
                .smart_encoding
                .enabled
                .then(|| std::sync::Mutex::new(smart::KnownResources::new(config.ttl))),
            views_checked: std::sync::atomic::AtomicBool::new(false),
        };
        let options = DriverOptions::new(
            config.timeout,
            config.retry_on_failure.clone(),
            config.sending_queue.clone(),
        );
        Ok(Arc::new(Driver::new(
            &settings,
            signals,
            options,
            Arc::new(sender),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_ddl_per_signal_creates_the_database_once() {
        let config: Config = sonde_api::config::decode(
            &serde_yaml::from_str("{endpoint: 'http://a:8123', database: otel}").unwrap(),
        )
        .unwrap();
        let schema = SchemaParams::from_config(&config);
        let firsts: Vec<String> =
            schema_ddl(&schema, &[Signal::Logs, Signal::Metrics, Signal::Traces])
                .iter()
                .map(|s| s.lines().next().unwrap_or("").to_string())
                .collect();
        assert_eq!(
            firsts,
            [
                "CREATE DATABASE IF NOT EXISTS \"otel\"",
                "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_logs\" (",
                "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_metrics_gauge\" (",
                "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_metrics_sum\" (",
                "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_metrics_histogram\" (",
                "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_metrics_exponential_histogram\" (",
                "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_metrics_summary\" (",
                "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_traces\" (",
                "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_traces_trace_id_ts\" (",
                "CREATE MATERIALIZED VIEW IF NOT EXISTS \"otel\".\"otel_traces_trace_id_ts_mv\"",
            ]
        );
    }

    #[test]
    fn settings_merge_and_drop_driver_options() {
        let config: Config = sonde_api::config::decode(
            &serde_yaml::from_str(
                "{endpoint: 'http://a:8123/otel?dial_timeout=5s&max_threads=2', \
                 connection_params: {max_threads: '4', compress: lz4, insert_deduplicate: '0'}}",
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            settings(&config).unwrap(),
            vec![
                ("max_threads".to_string(), "4".to_string()),
                ("insert_deduplicate".to_string(), "0".to_string()),
                ("async_insert".to_string(), "1".to_string()),
            ]
        );
    }
}
