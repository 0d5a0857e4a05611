//! The receiver's lifecycle. `start` checks the host and loads the kernel side;
//! when it cannot (not root, no BTF, ...), it says why in one line and the rest of
//! sonde keeps running. The work runs in one task: take events, let the tracer
//! order and join them, send spans every `span_flush_interval` and RED metrics
//! every `metrics.flush_interval`. `shutdown` detaches from the kernel, handles
//! what was already captured, and sends it.

use std::sync::Mutex;
use std::time::Duration;

use sonde_api::telemetry::ReceiverTelemetry;
use sonde_api::{
    BoxError, ComponentId, Context, CreateSettings, Host, Lifecycle, Payload, Signal,
    SignalConsumers,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::capture::{Capture, EventReceiver};
use crate::clock::{monotonic_now_ns, unix_now_ns, Clock};
use crate::config::{Config, Histogram, Temporality};
use crate::red::{HistogramKind, RedConfig, RedMetrics, Temporality as RedTemporality};
use crate::stats::EventCounters;
use crate::tracer::Tracer;
use sonde_processtags::{host_name, ProcessTable, ProcessTableConfig};

/// Events taken from the channel before the tracer runs again.
const BATCH: usize = 4096;
/// How often the kernel's counters are read into sonde's metrics.
const STATS_INTERVAL: Duration = Duration::from_secs(1);
/// Without new events, how often held events are looked at again. Coarser than
/// the reorder window on purpose: each wake-up costs more than the work it does.
const TICK: Duration = Duration::from_millis(50);

pub struct EbpfReceiver {
    id: ComponentId,
    config: Config,
    settings: CreateSettings,
    consumers: SignalConsumers,
    running: Mutex<Option<Running>>,
}

struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl EbpfReceiver {
    pub fn new(settings: CreateSettings, config: Config, consumers: SignalConsumers) -> Self {
        EbpfReceiver {
            id: settings.id.clone(),
            config,
            settings,
            consumers,
            running: Mutex::new(None),
        }
    }

    fn tracer(&self) -> Result<Tracer, String> {
        let processes = ProcessTable::new(ProcessTableConfig {
            host_name: host_name(),
            command_line: self.config.resource.command_line,
            ..ProcessTableConfig::default()
        });
        let red = RedMetrics::new(
            RedConfig {
                temporality: match self.config.metrics.temporality {
                    Temporality::Cumulative => RedTemporality::Cumulative,
                    Temporality::Delta => RedTemporality::Delta,
                },
                histogram: match self.config.metrics.histogram {
                    Histogram::Explicit => HistogramKind::default(),
                    Histogram::Exponential => HistogramKind::exponential(),
                },
                ..RedConfig::default()
            },
            unix_now_ns(),
        );
        let seed = unix_now_ns() ^ u64::from(std::process::id()).rotate_left(32);
        Tracer::new(&self.config, processes, red, Clock::now(), seed)
    }
}

#[sonde_api::async_trait]
impl Lifecycle for EbpfReceiver {
    async fn start(&self, _host: &Host) -> Result<(), BoxError> {
        let tracer = self.tracer()?;
        let capture_config = self.config.capture(std::process::id());
        let started = tokio::task::spawn_blocking(move || Capture::start(&capture_config))
            .await
            .map_err(|e| format!("loading the eBPF programs: {e}"))?;
        let (capture, events) = match started {
            Ok(started) => started,
            Err(err) => {
                // Not fatal: the rest of the collector serves on without eBPF.
                tracing::warn!(receiver = %self.id, "eBPF is off: {err}");
                return Ok(());
            }
        };
        tracing::info!(receiver = %self.id, "eBPF receiver tracing every process on this host");
        let (stop, stop_rx) = watch::channel(false);
        let work = Work {
            tracer,
            consumers: self.consumers.clone(),
            telemetry: self.settings.telemetry.receiver(&self.id, "ebpf"),
            counters: EventCounters::register(&self.settings.telemetry, &self.id),
            span_interval: self.config.span_flush_interval,
            metrics_interval: self.config.metrics.flush_interval,
        };
        let task = tokio::spawn(work.run(capture, events, stop_rx));
        let previous = self
            .running
            .lock()
            .map_err(|_| "receiver state poisoned")?
            .replace(Running { stop, task });
        if let Some(previous) = previous {
            let _ = previous.stop.send(true);
        }
        Ok(())
    }

    async fn shutdown(&self) -> Result<(), BoxError> {
        let running = self
            .running
            .lock()
            .map_err(|_| "receiver state poisoned")?
            .take();
        if let Some(running) = running {
            let _ = running.stop.send(true);
            running
                .task
                .await
                .map_err(|e| format!("eBPF receiver task: {e}"))?;
        }
        Ok(())
    }
}

struct Work {
    tracer: Tracer,
    consumers: SignalConsumers,
    telemetry: ReceiverTelemetry,
    counters: EventCounters,
    span_interval: Duration,
    metrics_interval: Duration,
}

impl Work {
    async fn run(
        mut self,
        capture: Capture,
        mut events: EventReceiver,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut next_spans = Instant::now() + self.span_interval;
        let mut next_metrics = Instant::now() + self.metrics_interval;
        let mut next_stats = Instant::now() + STATS_INTERVAL;
        loop {
            self.tracer.run(monotonic_now_ns());
            let now = Instant::now();
            if now >= next_spans {
                self.send_spans().await;
                next_spans = now + self.span_interval;
            }
            if now >= next_metrics {
                self.send_metrics().await;
                next_metrics = now + self.metrics_interval;
            }
            if now >= next_stats {
                self.read_stats(&capture);
                next_stats = now + STATS_INTERVAL;
            }
            let mut wake = next_spans.min(next_metrics).min(next_stats);
            if self.tracer.wait_ns(monotonic_now_ns()).is_some() {
                wake = wake.min(Instant::now() + TICK);
            }
            tokio::select! {
                received = events.recv() => match received {
                    Some(event) => {
                        self.tracer.push(event);
                        for _ in 0..BATCH {
                            match events.try_recv() {
                                Ok(event) => self.tracer.push(event),
                                Err(_) => break,
                            }
                        }
                    }
                    None => break,
                },
                _ = tokio::time::sleep_until(wake) => {}
                _ = stop.changed() => break,
            }
        }
        // Detach first: the reader drains the ring into the channel, then closes it.
        self.read_stats(&capture);
        capture.stop();
        while let Some(event) = events.recv().await {
            self.tracer.push(event);
        }
        self.tracer.finish();
        self.send_spans().await;
        self.send_metrics().await;
    }

    async fn send_spans(&mut self) {
        let Some((request, count)) = self.tracer.take_spans() else {
            return;
        };
        // The tracer writes the request's bytes itself; they pass on as such.
        match Payload::from_wire(Signal::Traces, request) {
            Ok(payload) => self.send(Signal::Traces, payload, count).await,
            Err(err) => {
                tracing::error!(error = %err, spans = count, "eBPF spans that do not decode; dropped");
                self.telemetry.refused(Signal::Traces, count);
            }
        }
    }

    async fn send_metrics(&mut self) {
        let Some(request) = self.tracer.flush_metrics(unix_now_ns()) else {
            return;
        };
        let payload = Payload::Metrics(request);
        let count = payload.item_count();
        self.send(Signal::Metrics, payload, count).await;
    }

    /// Hands data to its pipeline; what is refused is counted, as otelcol's
    /// receivers count it: the kernel cannot be asked to send it again.
    async fn send(&self, signal: Signal, payload: Payload, count: usize) {
        let Some(consumer) = self.consumers.get(signal) else {
            return;
        };
        match consumer.consume(payload, Context::default()).await {
            Ok(()) => self.telemetry.accepted(signal, count),
            Err(err) => {
                tracing::warn!(%signal, items = count, error = %err, "pipeline refused eBPF data; dropped");
                self.telemetry.refused(signal, count);
            }
        }
    }

    fn read_stats(&mut self, capture: &Capture) {
        match capture.stats() {
            Ok(stats) => self.counters.update(&stats, self.tracer.stats()),
            Err(err) => tracing::debug!(error = %err, "reading the eBPF counters"),
        }
    }
}

impl Drop for EbpfReceiver {
    fn drop(&mut self) {
        if let Ok(mut running) = self.running.lock() {
            if let Some(running) = running.take() {
                let _ = running.stop.send(true);
                running.task.abort();
            }
        }
    }
}
