//! The driver against a scripted fake sender: retries, drops, the full queue,
//! blocking, shutdown, the queue-less path, and the metrics each of them counts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sonde_api::component::{Host, Lifecycle, ServiceStatus};
use sonde_api::consumer::ErrorKind;
use sonde_api::pdata::{trace, ExportTraceServiceRequest};
use sonde_api::telemetry::Telemetry;
use sonde_api::{ComponentId, Consumer, Context, CreateSettings, Payload, Signal};
use sonde_exporterhelper::{Driver, DriverOptions, QueueConfig, RetryConfig, SendError, Sender};
use tokio::sync::watch;

/// Answers each attempt from a script (then `Ok`), and records what arrived.
struct Scripted {
    script: Mutex<VecDeque<Step>>,
    attempts: Mutex<usize>,
    delivered: Mutex<Vec<Payload>>,
    delivered_count: watch::Sender<usize>,
}

enum Step {
    Fail(SendError),
    Hang,
}

impl Scripted {
    fn new(script: Vec<Step>) -> Arc<Scripted> {
        Arc::new(Scripted {
            script: Mutex::new(script.into()),
            attempts: Mutex::new(0),
            delivered: Mutex::new(Vec::new()),
            delivered_count: watch::channel(0).0,
        })
    }
    fn attempts(&self) -> usize {
        *self.attempts.lock().unwrap()
    }
    fn delivered(&self) -> Vec<Payload> {
        self.delivered.lock().unwrap().clone()
    }
    async fn wait_delivered(&self, n: usize) {
        let mut rx = self.delivered_count.subscribe();
        rx.wait_for(|d| *d >= n).await.unwrap();
    }
}

#[async_trait::async_trait]
impl Sender for Scripted {
    async fn send(&self, payload: Arc<Payload>) -> Result<(), SendError> {
        *self.attempts.lock().unwrap() += 1;
        let step = self.script.lock().unwrap().pop_front();
        match step {
            Some(Step::Fail(err)) => Err(err),
            Some(Step::Hang) => std::future::pending().await,
            None => {
                self.delivered.lock().unwrap().push((*payload).clone());
                self.delivered_count.send_modify(|d| *d += 1);
                Ok(())
            }
        }
    }
}

fn spans(n: usize, name: &str) -> Payload {
    let spans = (0..n)
        .map(|i| trace::v1::Span {
            name: format!("{name}-{i}"),
            ..Default::default()
        })
        .collect();
    Payload::Traces(ExportTraceServiceRequest {
        resource_spans: vec![trace::v1::ResourceSpans {
            scope_spans: vec![trace::v1::ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

fn fast_retry() -> RetryConfig {
    RetryConfig {
        initial_interval: Duration::from_millis(1),
        max_interval: Duration::from_millis(5),
        max_elapsed_time: Duration::from_secs(60),
        ..RetryConfig::default()
    }
}

fn options(queue: QueueConfig) -> DriverOptions {
    DriverOptions::new(Duration::from_secs(5), fast_retry(), queue)
}

fn host() -> Host {
    let (fatal, _) = tokio::sync::mpsc::unbounded_channel();
    let (_, status) = watch::channel(ServiceStatus::Running);
    Host::new(fatal, status)
}

struct Fixture {
    telemetry: Telemetry,
    driver: Driver,
}

fn driver(options: DriverOptions, sender: Arc<Scripted>) -> Fixture {
    let telemetry = Telemetry::new();
    let settings = CreateSettings {
        id: ComponentId::parse("otlp/test").unwrap(),
        telemetry: telemetry.clone(),
    };
    let driver = Driver::new(&settings, &[Signal::Traces], options, sender);
    Fixture { telemetry, driver }
}

/// The value of one exposition line, e.g. `otelcol_exporter_sent_spans_total`.
fn metric(t: &Telemetry, name: &str) -> f64 {
    let text = t.encode();
    let wanted_labels = if name.starts_with("otelcol_exporter_queue_") {
        "{exporter=\"otlp/test\",data_type=\"traces\"}"
    } else {
        "{exporter=\"otlp/test\"}"
    };
    let prefix = format!("{name}{wanted_labels} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{prefix} not in\n{text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn retryable_failures_then_success_deliver_exactly_once() {
    let sender = Scripted::new(vec![
        Step::Fail(SendError::retryable("unavailable")),
        Step::Fail(SendError::throttled("slow down", Duration::from_millis(2))),
    ]);
    let f = driver(options(QueueConfig::default()), sender.clone());
    f.driver.start(&host()).await.unwrap();
    f.driver
        .consume(spans(3, "a"), Context::default())
        .await
        .unwrap();
    sender.wait_delivered(1).await;
    f.driver.shutdown().await.unwrap();

    assert_eq!(sender.attempts(), 3);
    assert_eq!(sender.delivered(), vec![spans(3, "a")]);
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_sent_spans_total"),
        3.0
    );
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_send_failed_spans_total"),
        0.0
    );
    assert_eq!(metric(&f.telemetry, "otelcol_exporter_queue_size"), 0.0);
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_queue_capacity"),
        1000.0
    );
}

#[tokio::test]
async fn permanent_failure_is_dropped_and_counted() {
    let sender = Scripted::new(vec![Step::Fail(SendError::permanent("bad data"))]);
    let f = driver(options(QueueConfig::default()), sender.clone());
    f.driver.start(&host()).await.unwrap();
    f.driver
        .consume(spans(4, "p"), Context::default())
        .await
        .unwrap();
    // A second batch shows the first was not retried: it is the next attempt.
    f.driver
        .consume(spans(1, "q"), Context::default())
        .await
        .unwrap();
    sender.wait_delivered(1).await;
    f.driver.shutdown().await.unwrap();

    assert_eq!(sender.attempts(), 2);
    assert_eq!(sender.delivered(), vec![spans(1, "q")]);
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_send_failed_spans_total"),
        4.0
    );
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_sent_spans_total"),
        1.0
    );
}

#[tokio::test]
async fn full_queue_refuses_with_retryable_error_and_counts() {
    let sender = Scripted::new(vec![]);
    let queue = QueueConfig {
        queue_size: 2,
        ..QueueConfig::default()
    };
    let f = driver(options(queue), sender.clone());
    // Not started: nothing takes batches off the queue.
    for name in ["a", "b"] {
        f.driver
            .consume(spans(2, name), Context::default())
            .await
            .unwrap();
    }
    let err = f
        .driver
        .consume(spans(5, "c"), Context::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Retryable);
    assert_eq!(err.message(), "sending queue is full");
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_enqueue_failed_spans_total"),
        5.0
    );
    assert_eq!(metric(&f.telemetry, "otelcol_exporter_queue_size"), 2.0);

    // Started late, the queued batches still go out at shutdown.
    f.driver.start(&host()).await.unwrap();
    f.driver.shutdown().await.unwrap();
    assert_eq!(sender.delivered(), vec![spans(2, "a"), spans(2, "b")]);
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_sent_spans_total"),
        4.0
    );
    assert_eq!(metric(&f.telemetry, "otelcol_exporter_queue_size"), 0.0);
}

#[tokio::test]
async fn block_on_overflow_waits_for_room() {
    let sender = Scripted::new(vec![]);
    let queue = QueueConfig {
        queue_size: 1,
        block_on_overflow: true,
        ..QueueConfig::default()
    };
    let f = driver(options(queue), sender.clone());
    let driver = Arc::new(f.driver);
    driver
        .consume(spans(1, "a"), Context::default())
        .await
        .unwrap();
    let waiting = {
        let driver = driver.clone();
        tokio::spawn(async move { driver.consume(spans(1, "b"), Context::default()).await })
    };
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert!(!waiting.is_finished(), "consume returned on a full queue");

    driver.start(&host()).await.unwrap();
    waiting.await.unwrap().unwrap();
    sender.wait_delivered(2).await;
    driver.shutdown().await.unwrap();
    assert_eq!(sender.delivered(), vec![spans(1, "a"), spans(1, "b")]);
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_enqueue_failed_spans_total"),
        0.0
    );
}

#[tokio::test]
async fn shutdown_drains_the_queue_and_refuses_new_data() {
    let sender = Scripted::new(vec![]);
    let queue = QueueConfig {
        num_consumers: 1,
        ..QueueConfig::default()
    };
    let f = driver(options(queue), sender.clone());
    for i in 0..5 {
        f.driver
            .consume(spans(1, &format!("s{i}")), Context::default())
            .await
            .unwrap();
    }
    f.driver.start(&host()).await.unwrap();
    f.driver.shutdown().await.unwrap();
    assert_eq!(sender.delivered().len(), 5);
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_sent_spans_total"),
        5.0
    );

    let err = f
        .driver
        .consume(spans(2, "late"), Context::default())
        .await
        .unwrap_err();
    assert_eq!(err.message(), "exporter is shutting down");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn shutdown_stops_retrying_and_counts_the_drop() {
    let sender = Scripted::new(
        (0..1000)
            .map(|_| Step::Fail(SendError::retryable("down")))
            .collect(),
    );
    let mut opts = options(QueueConfig::default());
    opts.retry.initial_interval = Duration::from_secs(3600);
    opts.retry.max_interval = Duration::from_secs(3600);
    opts.retry.max_elapsed_time = Duration::ZERO;
    let f = driver(opts, sender.clone());
    f.driver.start(&host()).await.unwrap();
    f.driver
        .consume(spans(2, "x"), Context::default())
        .await
        .unwrap();
    while sender.attempts() == 0 {
        tokio::task::yield_now().await;
    }
    // The batch is now waiting an hour for its retry; shutdown cuts it short.
    f.driver.shutdown().await.unwrap();
    assert_eq!(sender.attempts(), 1);
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_send_failed_spans_total"),
        2.0
    );
}

#[tokio::test]
async fn shutdown_timeout_drops_what_is_left() {
    let sender = Scripted::new(vec![Step::Hang]);
    let mut opts = options(QueueConfig {
        num_consumers: 1,
        ..QueueConfig::default()
    });
    opts.timeout = Duration::ZERO;
    opts.shutdown_timeout = Duration::from_millis(20);
    let f = driver(opts, sender.clone());
    for name in ["hangs", "queued"] {
        f.driver
            .consume(spans(3, name), Context::default())
            .await
            .unwrap();
    }
    f.driver.start(&host()).await.unwrap();
    f.driver.shutdown().await.unwrap();
    // The hanging batch is aborted with its task and the queued one never starts:
    // both are counted as dropped, none is lost quietly.
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_send_failed_spans_total"),
        6.0
    );
    assert_eq!(sender.delivered(), vec![]);
}

#[tokio::test]
async fn attempt_timeout_is_retried() {
    let sender = Scripted::new(vec![Step::Hang]);
    let mut opts = options(QueueConfig {
        enabled: false,
        ..QueueConfig::default()
    });
    opts.timeout = Duration::from_millis(10);
    let f = driver(opts, sender.clone());
    f.driver
        .consume(spans(1, "t"), Context::default())
        .await
        .unwrap();
    assert_eq!(sender.attempts(), 2);
    assert_eq!(sender.delivered(), vec![spans(1, "t")]);
}

#[tokio::test]
async fn without_queue_consume_returns_the_outcome() {
    let sender = Scripted::new(vec![Step::Fail(SendError::permanent("rejected: schema"))]);
    let no_queue = QueueConfig {
        enabled: false,
        ..QueueConfig::default()
    };
    let f = driver(options(no_queue.clone()), sender.clone());
    let err = f
        .driver
        .consume(spans(2, "a"), Context::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Permanent);
    assert_eq!(err.message(), "not retryable error: rejected: schema");
    f.driver
        .consume(spans(1, "b"), Context::default())
        .await
        .unwrap();
    assert_eq!(sender.delivered(), vec![spans(1, "b")]);
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_send_failed_spans_total"),
        2.0
    );
    assert_eq!(
        metric(&f.telemetry, "otelcol_exporter_sent_spans_total"),
        1.0
    );

    // Retries off: one attempt, and the error stays retryable for the caller.
    let sender = Scripted::new(vec![Step::Fail(SendError::retryable("unavailable"))]);
    let mut opts = options(no_queue.clone());
    opts.retry.enabled = false;
    let f = driver(opts, sender.clone());
    let err = f
        .driver
        .consume(spans(1, "c"), Context::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Retryable);
    assert_eq!(err.message(), "retries are disabled: unavailable");
    assert_eq!(sender.attempts(), 1);

    // max_elapsed_time shorter than the first wait: given up after one attempt.
    let sender = Scripted::new(vec![Step::Fail(SendError::retryable("unavailable"))]);
    let mut opts = options(no_queue);
    opts.retry.randomization_factor = 0.0;
    opts.retry.initial_interval = Duration::from_secs(20);
    opts.retry.max_elapsed_time = Duration::from_secs(10);
    let f = driver(opts, sender.clone());
    let err = f
        .driver
        .consume(spans(1, "d"), Context::default())
        .await
        .unwrap_err();
    assert_eq!(err.message(), "no more retries left: unavailable");
    assert_eq!(sender.attempts(), 1);
}
