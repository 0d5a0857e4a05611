//! The memory_limiter processor (`memory_limiter`): refuses data while the collector's
//! memory is above a limit, so that receivers push back (retryable error → gRPC
//! `Unavailable` / HTTP 503) instead of the process being killed.
//!
//! Memory is the process's resident set size, read every `check_interval` and at most that
//! often on the data path. Nothing goes on the wire here.
//!
//! * [`config`]: keys, defaults, otelcol's validation messages.
//! * [`total_memory`]: the cgroup limit or MemTotal, for percentage limits.
//! * resident memory comes from [`sonde_api::process::rss_bytes`].
//! * [`checker`]: the decision, with injected readings.
//! * [`shared`]: one check per id, shared by all pipelines.
//! * [`processor`]: the pipeline component.

pub mod checker;
pub mod config;
pub mod processor;
pub mod shared;
pub mod total_memory;

use std::sync::Arc;

use sonde_api::component::{ConsumerComponent, ProcessorFactory, TypedFactory};
use sonde_api::{BoxError, CreateSettings, SharedConsumer, Signal, Stability};

use crate::checker::{Checker, Limits, TrimIntervals};
use crate::config::Config;
use crate::processor::MemoryLimiter;
use crate::shared::Shared;

const MIB: u64 = 1024 * 1024;

pub fn factory() -> Arc<dyn ProcessorFactory> {
    Arc::new(MemoryLimiterFactory)
}

struct MemoryLimiterFactory;

impl TypedFactory for MemoryLimiterFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "memory_limiter";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ProcessorFactory for MemoryLimiterFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Beta)
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        signal: Signal,
        next: SharedConsumer,
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        let config: Config = sonde_api::config::decode(config)?;
        let key = format!("{}|{:?}", settings.id, config);
        let shared = shared::get_or_create(key, || -> Result<Shared, BoxError> {
            let limits = limits(&config)?;
            tracing::info!(
                processor = %settings.id,
                limit_mib = limits.hard / MIB,
                spike_limit_mib = limits.spike / MIB,
                check_interval = ?config.check_interval,
                "Memory limiter configured"
            );
            let checker = Checker::new(
                limits,
                TrimIntervals {
                    soft: config.min_gc_interval_when_soft_limited,
                    hard: config.min_gc_interval_when_hard_limited,
                },
                Box::new(sonde_api::process::rss_bytes),
                Box::new(checker::trim_allocator),
            );
            Ok(Shared::new(checker, config.check_interval))
        })?;
        let telemetry = settings.telemetry.processor(&settings.id);
        Ok(Arc::new(MemoryLimiter::new(
            signal, shared, next, telemetry,
        )))
    }
}

/// The limits in bytes: fixed MiB when `limit_mib` is set, else percentages of the memory
/// available to the process.
fn limits(config: &Config) -> Result<Limits, BoxError> {
    if config.limit_mib > 0 {
        return Ok(Limits::new(
            u64::from(config.limit_mib) * MIB,
            u64::from(config.spike_limit_mib) * MIB,
        ));
    }
    let total = total_memory::total_memory().map_err(|err| {
        format!("failed to get total memory, use fixed memory settings (limit_mib): {err}")
    })?;
    tracing::info!(
        total_memory_mib = total / MIB,
        limit_percentage = config.limit_percentage,
        spike_limit_percentage = config.spike_limit_percentage,
        "Using percentage memory limiter"
    );
    Ok(Limits::from_percentages(
        total,
        config.limit_percentage,
        config.spike_limit_percentage,
    ))
}

#[cfg(test)]
mod tests;
