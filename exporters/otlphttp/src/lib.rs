//! The OTLP/HTTP exporter (`otlphttp`, alias `otlp_http`): posts each batch to
//! `<endpoint>/v1/<signal>` (or the per-signal URL) as protobuf or OTLP/JSON, behind
//! the shared exporter driver (sending queue, retry, timeout).
//!
//! Layout: [`config`] (otelcol's keys), `encode` (body encoding and compression on the
//! blocking pool), `sender` (one attempt), `response` (retryable statuses,
//! `Retry-After`, error and partial-success bodies).

pub mod config;
mod encode;
mod response;
mod sender;

use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use sonde_api::component::{ConsumerComponent, TypedFactory};
use sonde_api::{BoxError, CreateSettings, ExporterFactory, Signal, Stability};
use sonde_exporterhelper::{Driver, DriverOptions};

use crate::config::Config;

struct OtlpHttpExporterFactory;

pub fn factory() -> Arc<dyn ExporterFactory> {
    Arc::new(OtlpHttpExporterFactory)
}

impl TypedFactory for OtlpHttpExporterFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "otlphttp";
    const ALIASES: &'static [&'static str] = &["otlp_http"];
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ExporterFactory for OtlpHttpExporterFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Stable)
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        signals: &[Signal],
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        let config: Config = sonde_api::config::decode(config)?;
        let mut urls = [None, None, None];
        for (slot, signal) in urls.iter_mut().zip(Signal::ALL) {
            match config.url(signal) {
                Ok(url) => *slot = Some(url),
                // Only the signals of this exporter's pipelines need a URL.
                Err(e) if signals.contains(&signal) => return Err(e.into()),
                Err(_) => {}
            }
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("headers::{name}: {e}"))?;
            let value =
                HeaderValue::from_str(value).map_err(|e| format!("headers::{name}: {e}"))?;
            headers.insert(name, value);
        }
        let connector = config.tls.https_connector(false)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(config.idle_conn_timeout)
            .pool_max_idle_per_host(config.max_idle_conns_per_host)
            .build(connector);
        let sender = sender::HttpSender {
            client,
            urls,
            headers,
            encoding: config.encoding,
            compression: config.compression,
            exporter: settings.id.to_string(),
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
