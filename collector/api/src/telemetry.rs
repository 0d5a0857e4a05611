//! The collector's own metrics, under otelcol's names, served by the service as
//! Prometheus text on `:8888/metrics`.
//!
//! Components do not register families themselves: they ask for a typed handle
//! ([`ReceiverTelemetry`], [`ExporterTelemetry`], [`BatchTelemetry`]) bound to their id,
//! so a name or label can only be spelled one way.

use std::sync::{Arc, Mutex};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};

use crate::component::ComponentId;
use crate::pdata::Signal;

pub type Labels = Vec<(&'static str, String)>;
/// A family of counters told apart by labels.
pub type Counters = Family<Labels, Counter>;
type Gauges = Family<Labels, Gauge>;
type Histograms = Family<Labels, Histogram, fn() -> Histogram>;

/// One counter family per signal, named `<prefix>_<spans|metric_points|log_records>`.
struct PerSignal([Counters; 3]);

impl PerSignal {
    fn register(registry: &mut Registry, prefix: &str, help: &str) -> PerSignal {
        let families = Signal::ALL.map(|signal| {
            let family = Counters::default();
            registry.register(
                format!("{prefix}_{}", signal.item_name()),
                format!("{help} ({})", signal.item_name().replace('_', " ")),
                family.clone(),
            );
            family
        });
        PerSignal(families)
    }

    fn bind(&self, labels: &Labels) -> [Counter; 3] {
        [0, 1, 2].map(|i| self.0[i].get_or_create(labels).clone())
    }
}

fn batch_size_histogram() -> Histogram {
    const BUCKETS: [f64; 22] = [
        10., 25., 50., 75., 100., 250., 500., 750., 1000., 2000., 3000., 4000., 5000., 6000.,
        7000., 8000., 9000., 10000., 20000., 30000., 50000., 100000.,
    ];
    Histogram::new(BUCKETS)
}

struct Inner {
    registry: Mutex<Registry>,
    /// Families components asked for by name, registered once however often asked.
    named_counters: Mutex<std::collections::HashMap<String, Counters>>,
    receiver_accepted: PerSignal,
    receiver_refused: PerSignal,
    exporter_sent: PerSignal,
    exporter_send_failed: PerSignal,
    exporter_enqueue_failed: PerSignal,
    processor_refused: PerSignal,
    exporter_queue_size: Gauges,
    exporter_queue_capacity: Gauges,
    batch_send_size: Histograms,
    batch_size_trigger: Counters,
    batch_timeout_trigger: Counters,
}

/// The metrics registry of one service. Cheap to clone.
#[derive(Clone)]
pub struct Telemetry {
    inner: Arc<Inner>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry::new()
    }
}

impl Telemetry {
    pub fn new() -> Telemetry {
        let mut r = Registry::default();
        let per = |r: &mut Registry, prefix: &str, help: &str| PerSignal::register(r, prefix, help);
        let receiver_accepted = per(
            &mut r,
            "otelcol_receiver_accepted",
            "Items successfully pushed into the pipeline",
        );
        let receiver_refused = per(
            &mut r,
            "otelcol_receiver_refused",
            "Items that could not be pushed into the pipeline",
        );
        let exporter_sent = per(
            &mut r,
            "otelcol_exporter_sent",
            "Items successfully sent to destination",
        );
        let exporter_send_failed = per(
            &mut r,
            "otelcol_exporter_send_failed",
            "Items that failed to be sent to destination",
        );
        let exporter_enqueue_failed = per(
            &mut r,
            "otelcol_exporter_enqueue_failed",
            "Items that failed to be added to the sending queue",
        );
        let processor_refused = per(
            &mut r,
            "otelcol_processor_refused",
            "Items refused by a processor",
        );
        let exporter_queue_size = Gauges::default();
        r.register(
            "otelcol_exporter_queue_size",
            "Current size of the retry queue (in batches)",
            exporter_queue_size.clone(),
        );
        let exporter_queue_capacity = Gauges::default();
        r.register(
            "otelcol_exporter_queue_capacity",
            "Fixed capacity of the retry queue (in batches)",
            exporter_queue_capacity.clone(),
        );
        let batch_send_size =
            Histograms::new_with_constructor(batch_size_histogram as fn() -> Histogram);
        r.register(
            "otelcol_processor_batch_batch_send_size",
            "Number of units in the batch",
            batch_send_size.clone(),
        );
        let batch_size_trigger = Counters::default();
        r.register(
            "otelcol_processor_batch_batch_size_trigger_send",
            "Number of times the batch was sent due to a size trigger",
            batch_size_trigger.clone(),
        );
        let batch_timeout_trigger = Counters::default();
        r.register(
            "otelcol_processor_batch_timeout_trigger_send",
            "Number of times the batch was sent due to a timeout trigger",
            batch_timeout_trigger.clone(),
        );
        Telemetry {
            inner: Arc::new(Inner {
                registry: Mutex::new(r),
                named_counters: Mutex::default(),
                receiver_accepted,
                receiver_refused,
                exporter_sent,
                exporter_send_failed,
                exporter_enqueue_failed,
                processor_refused,
                exporter_queue_size,
                exporter_queue_capacity,
                batch_send_size,
                batch_size_trigger,
                batch_timeout_trigger,
            }),
        }
    }

    /// Registers a metric of the service itself (process metrics, a component's extra).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        if let Ok(mut registry) = self.inner.registry.lock() {
            registry.register(name, help, metric);
        }
    }

    /// A component's own counter family, registered on first use: a component
    /// started again (or a new instance after a reload) adds to the same family
    /// instead of listing it twice.
    pub fn counters(&self, name: &str, help: &str) -> Counters {
        let Ok(mut named) = self.inner.named_counters.lock() else {
            return Counters::default();
        };
        named
            .entry(name.to_string())
            .or_insert_with(|| {
                let family = Counters::default();
                self.register(name, help, family.clone());
                family
            })
            .clone()
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Ok(registry) = self.inner.registry.lock() {
            // Writing into a String cannot fail.
            let _ = encode(&mut out, &registry);
        }
        out
    }

    pub fn receiver(&self, id: &ComponentId, transport: &str) -> ReceiverTelemetry {
        let labels = vec![
            ("receiver", id.to_string()),
            ("transport", transport.to_string()),
        ];
        ReceiverTelemetry {
            accepted: self.inner.receiver_accepted.bind(&labels),
            refused: self.inner.receiver_refused.bind(&labels),
        }
    }

    pub fn exporter(&self, id: &ComponentId) -> ExporterTelemetry {
        let labels = vec![("exporter", id.to_string())];
        let per_signal = |family: &Gauges| {
            Signal::ALL.map(|s| {
                family
                    .get_or_create(&vec![
                        ("exporter", id.to_string()),
                        ("data_type", s.to_string()),
                    ])
                    .clone()
            })
        };
        ExporterTelemetry {
            sent: self.inner.exporter_sent.bind(&labels),
            send_failed: self.inner.exporter_send_failed.bind(&labels),
            enqueue_failed: self.inner.exporter_enqueue_failed.bind(&labels),
            queue_size: per_signal(&self.inner.exporter_queue_size),
            queue_capacity: per_signal(&self.inner.exporter_queue_capacity),
        }
    }

    pub fn processor(&self, id: &ComponentId) -> ProcessorTelemetry {
        let labels = vec![("processor", id.to_string())];
        ProcessorTelemetry {
            refused: self.inner.processor_refused.bind(&labels),
        }
    }

    pub fn batch(&self, id: &ComponentId) -> BatchTelemetry {
        let labels = vec![("processor", id.to_string())];
        BatchTelemetry {
            send_size: self.inner.batch_send_size.get_or_create(&labels).clone(),
            size_trigger: self.inner.batch_size_trigger.get_or_create(&labels).clone(),
            timeout_trigger: self
                .inner
                .batch_timeout_trigger
                .get_or_create(&labels)
                .clone(),
        }
    }
}

/// `otelcol_receiver_{accepted,refused}_*` for one receiver and transport.
#[derive(Clone)]
pub struct ReceiverTelemetry {
    accepted: [Counter; 3],
    refused: [Counter; 3],
}

impl ReceiverTelemetry {
    pub fn accepted(&self, signal: Signal, items: usize) {
        self.accepted[signal.index()].inc_by(items as u64);
    }
    pub fn refused(&self, signal: Signal, items: usize) {
        self.refused[signal.index()].inc_by(items as u64);
    }
}

/// `otelcol_exporter_*` for one exporter.
#[derive(Clone)]
pub struct ExporterTelemetry {
    sent: [Counter; 3],
    send_failed: [Counter; 3],
    enqueue_failed: [Counter; 3],
    queue_size: [Gauge; 3],
    queue_capacity: [Gauge; 3],
}

impl ExporterTelemetry {
    pub fn sent(&self, signal: Signal, items: usize) {
        self.sent[signal.index()].inc_by(items as u64);
    }
    pub fn send_failed(&self, signal: Signal, items: usize) {
        self.send_failed[signal.index()].inc_by(items as u64);
    }
    pub fn enqueue_failed(&self, signal: Signal, items: usize) {
        self.enqueue_failed[signal.index()].inc_by(items as u64);
    }
    pub fn set_queue_size(&self, signal: Signal, batches: usize) {
        self.queue_size[signal.index()].set(batches as i64);
    }
    pub fn set_queue_capacity(&self, signal: Signal, batches: usize) {
        self.queue_capacity[signal.index()].set(batches as i64);
    }
}

/// `otelcol_processor_refused_*` for one processor (memory_limiter).
#[derive(Clone)]
pub struct ProcessorTelemetry {
    refused: [Counter; 3],
}

impl ProcessorTelemetry {
    pub fn refused(&self, signal: Signal, items: usize) {
        self.refused[signal.index()].inc_by(items as u64);
    }
}

/// `otelcol_processor_batch_*` for one batch processor.
#[derive(Clone)]
pub struct BatchTelemetry {
    send_size: Histogram,
    size_trigger: Counter,
    timeout_trigger: Counter,
}

impl BatchTelemetry {
    pub fn sent_on_size(&self, items: usize) {
        self.size_trigger.inc();
        self.send_size.observe(items as f64);
    }
    pub fn sent_on_timeout(&self, items: usize) {
        self.timeout_trigger.inc();
        self.send_size.observe(items as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_family_is_registered_once() {
        let t = Telemetry::new();
        let labels = vec![("receiver", "ebpf".to_string())];
        t.counters("sonde_things", "Things")
            .get_or_create(&labels)
            .inc_by(2);
        t.counters("sonde_things", "Things")
            .get_or_create(&labels)
            .inc_by(3);
        let text = t.encode();
        assert_eq!(
            text.matches("# TYPE sonde_things counter").count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("sonde_things_total{receiver=\"ebpf\"} 5"),
            "{text}"
        );
    }

    #[test]
    fn names_follow_otelcol() {
        let t = Telemetry::new();
        t.receiver(&ComponentId::new("otlp"), "grpc")
            .accepted(Signal::Traces, 3);
        t.exporter(&ComponentId::parse("otlp/2").unwrap())
            .set_queue_capacity(Signal::Logs, 1000);
        let text = t.encode();
        assert!(
            text.contains(
                "otelcol_receiver_accepted_spans_total{receiver=\"otlp\",transport=\"grpc\"} 3"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "otelcol_exporter_queue_capacity{exporter=\"otlp/2\",data_type=\"logs\"} 1000"
            ),
            "{text}"
        );
    }
}
