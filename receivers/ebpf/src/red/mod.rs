//! RED metrics: the durations of finished requests of every protocol
//! aggregated into the semantic conventions' histograms, per process, ready to flush as OTLP.
//!
//! Pure and synchronous: no clock (the start and every flush time are passed
//! in as unix nanoseconds), no I/O, no locks. The receiver calls
//! [`RedMetrics::record`] once per request it pairs, [`RedMetrics::flush`] on
//! its interval, and [`RedMetrics::retire`] when a process exits.
//!
//! # What goes on the wire
//!
//! One `ExportMetricsServiceRequest` per flush (none when there is nothing to
//! send), with one `ResourceMetrics` per resource (ordered by resource key),
//! each with one `ScopeMetrics` named `sonde.receiver.ebpf` at the crate's
//! version, holding one metric per [`RedMetric`] that recorded something:
//! `http.server.request.duration`, `http.client.request.duration`,
//! `db.client.operation.duration`, `rpc.server.call.duration`,
//! `rpc.client.call.duration`, `messaging.client.operation.duration`,
//! `dns.lookup.duration`.
//!
//! All in unit `s`, as a `Histogram` (explicit bounds, by default the
//! semconv advisory ones, [`DEFAULT_BOUNDS`]) or an `ExponentialHistogram`
//! (base 2, scale from 20 down, at most `max_size` positive buckets, zero
//! threshold 0), with count, sum, min and max. A series is one attribute set
//! of [`RedAttributes`]: for HTTP/1 `http.request.method`; `http.route`,
//! `http.response.status_code` (int), `error.type`, `server.address`,
//! `server.port` (int) and `network.protocol.version` when set; for the other
//! protocols `error.type`, `server.*` and the attributes their family keeps
//! (`sonde_ebpf_protocols::Family::metric_keys`). Data points
//! are sorted by attributes (the field order of [`RedAttributes`]), so the
//! same records always give the same request.
//!
//! # Temporality
//!
//! * **Cumulative** (default): every series ever seen (until its resource is
//!   retired) at every flush; counts keep growing; the start time is the flush
//!   before the series' first record, or the aggregator's start.
//! * **Delta**: only the series recorded since the previous flush, counted
//!   from it; the start time is the previous flush (or the start). Idle series
//!   are not sent, and every series is forgotten at each flush.
//!
//! # Cardinality limit
//!
//! As the OpenTelemetry SDKs do, each metric of each resource holds at most
//! `max_series_per_resource` series, the overflow series included: attribute
//! sets beyond the first `max_series_per_resource - 1` are all counted in one
//! series whose only attribute is `otel.metric.overflow = true`. Nothing is
//! dropped: counts over all series still equal the number of requests. Under
//! delta the limit applies per flush interval.
//!
//! # Durations
//!
//! Durations are seconds. A negative or NaN duration (clocks that disagree)
//! is counted as 0, an infinite one as `f64::MAX`, so every request is counted.
//!
//! # Cost per record
//!
//! One hash of the attribute set and one lookup; a request of a known series
//! allocates nothing ([`RedMetrics::record`] drops the attributes it is
//! given; [`RedMetrics::record_borrowed`] clones them only for a new series,
//! so a caller that keeps its attributes need not build them). Explicit buckets
//! are found by binary search over the bounds; exponential ones by the float's
//! exponent and, above scale 0, one `log2` of its significand.

mod attributes;
mod config;
mod explicit;
mod exponential;
mod export;
mod series;
mod state;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use sonde_api::pdata::resource::v1::Resource;
use sonde_api::pdata::ExportMetricsServiceRequest;

pub use attributes::{
    RedAttributes, RedMetric, ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE, NETWORK_PROTOCOL_VERSION, OTEL_METRIC_OVERFLOW, SERVER_ADDRESS, SERVER_PORT,
};
pub use config::{
    HistogramKind, RedConfig, RedConfigError, Temporality, DEFAULT_BOUNDS,
    DEFAULT_EXPONENTIAL_MAX_SIZE, DEFAULT_MAX_SERIES, MIN_EXPONENTIAL_MAX_SIZE,
};
pub use exponential::MAX_SCALE;
pub use export::{SCOPE_NAME, UNIT};

use series::BucketParams;
use state::ResourceState;

/// The RED metrics aggregator. See the module documentation.
pub struct RedMetrics {
    config: RedConfig,
    /// The last flush, or the start: where the current interval begins.
    interval_start_unix_nano: u64,
    resources: HashMap<u64, ResourceState>,
}

impl RedMetrics {
    /// An empty aggregator whose first interval starts at `start_unix_nano`.
    /// An invalid config is repaired (see [`RedConfig::normalized`]); check it
    /// with [`RedConfig::validate`] first to report it instead.
    pub fn new(config: RedConfig, start_unix_nano: u64) -> RedMetrics {
        RedMetrics {
            config: config.normalized(),
            interval_start_unix_nano: start_unix_nano,
            resources: HashMap::new(),
        }
    }

    /// The config in use (after [`RedConfig::normalized`]).
    pub fn config(&self) -> &RedConfig {
        &self.config
    }

    /// One finished request. `resource_key` identifies `resource` (same key
    /// <=> same resource); the aggregator keeps the Arc to build
    /// ResourceMetrics.
    pub fn record(
        &mut self,
        resource_key: u64,
        resource: &Arc<Resource>,
        side: RedMetric,
        attributes: RedAttributes,
        duration_seconds: f64,
    ) {
        self.record_borrowed(resource_key, resource, side, &attributes, duration_seconds);
    }

    /// [`RedMetrics::record`] for a caller that keeps its attributes: they
    /// are cloned only when they make a new series, so a request of a known
    /// series allocates nothing at all.
    pub fn record_borrowed(
        &mut self,
        resource_key: u64,
        resource: &Arc<Resource>,
        side: RedMetric,
        attributes: &RedAttributes,
        duration_seconds: f64,
    ) {
        let value = sanitize(duration_seconds);
        let kind = &self.config.histogram;
        let state = self
            .resources
            .entry(resource_key)
            .or_insert_with(|| ResourceState::new(resource));
        state.dirty = true;
        let metric = &mut state.metrics[side.index()];
        if let Some(series) = metric.series.get_mut(attributes) {
            series.record(BucketParams::of(kind), value);
            return;
        }
        let series = metric.series_for(
            attributes.clone(),
            self.config.max_series_per_resource,
            kind,
            self.interval_start_unix_nano,
        );
        series.record(BucketParams::of(kind), value);
    }

    /// Everything recorded, as one OTLP request (None when there is nothing
    /// to send), stamped `now_unix_nano`; starts the next interval.
    pub fn flush(&mut self, now_unix_nano: u64) -> Option<ExportMetricsServiceRequest> {
        let temporality = self.config.temporality;
        let params = BucketParams::of(&self.config.histogram);
        let mut sent = Vec::new();
        self.resources.retain(|key, state| {
            let send = match temporality {
                Temporality::Cumulative => true,
                Temporality::Delta => state.dirty,
            };
            if send {
                let metrics = export::resource_metrics(state, params, temporality, now_unix_nano);
                sent.push((*key, metrics));
            }
            // Under delta a resource idle for a whole interval holds nothing:
            // forget it, its next record makes it again.
            let keep = !state.retired && (temporality == Temporality::Cumulative || state.dirty);
            if temporality == Temporality::Delta {
                state.clear();
            }
            state.dirty = false;
            keep
        });
        self.interval_start_unix_nano = now_unix_nano;
        if sent.is_empty() {
            return None;
        }
        sent.sort_unstable_by_key(|(key, _)| *key);
        Some(ExportMetricsServiceRequest {
            resource_metrics: sent.into_iter().map(|(_, metrics)| metrics).collect(),
        })
    }

    /// Forget the series of a resource (process exited) after its last flush:
    /// at once if the last flush sent everything it recorded, else right after
    /// the next flush has sent it. Unknown keys are ignored.
    pub fn retire(&mut self, resource_key: u64) {
        let Some(state) = self.resources.get_mut(&resource_key) else {
            return;
        };
        if state.dirty {
            state.retired = true;
        } else {
            self.resources.remove(&resource_key);
        }
    }

    /// The series held now, overflow series included, over every resource.
    pub fn series_count(&self) -> usize {
        self.resources
            .values()
            .map(ResourceState::series_count)
            .sum()
    }

    /// The resources held now.
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }
}

/// Every request counts: durations that cannot be real are clamped into range.
fn sanitize(duration_seconds: f64) -> f64 {
    if duration_seconds > 0.0 {
        duration_seconds.min(f64::MAX)
    } else {
        0.0
    }
}
