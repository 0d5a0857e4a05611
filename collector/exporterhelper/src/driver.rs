//! The exporter component every exporter is: a [`Consumer`] whose `consume` puts the
//! batch on the sending queue (or sends it at once when the queue is disabled), and a
//! [`Lifecycle`] that runs the queue's consumer tasks and drains them at shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sonde_api::telemetry::ExporterTelemetry;
use sonde_api::{
    BoxError, ComponentId, ConsumeError, Consumer, Context, CreateSettings, Host, Lifecycle,
    Payload, Signal,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{QueueConfig, RetryConfig};
use crate::queue::{Queue, Refused};
use crate::retry::{Failure, Retrier};
use crate::sender::Sender;

/// The shared settings of one exporter instance.
#[derive(Debug, Clone)]
pub struct DriverOptions {
    /// Per attempt; zero means no limit.
    pub timeout: Duration,
    pub retry: RetryConfig,
    pub queue: QueueConfig,
    /// How long shutdown waits for the queue to drain before dropping what is left.
    pub shutdown_timeout: Duration,
}

impl DriverOptions {
    pub fn new(timeout: Duration, retry: RetryConfig, queue: QueueConfig) -> DriverOptions {
        DriverOptions {
            timeout,
            retry,
            queue,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// An exporter: a [`Sender`] behind the queue, retry and timeout.
pub struct Driver {
    inner: Arc<Inner>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    stop: watch::Sender<bool>,
}

struct Inner {
    id: ComponentId,
    sender: Arc<dyn Sender>,
    retrier: Retrier,
    telemetry: ExporterTelemetry,
    queue: Option<Queue>,
    num_consumers: usize,
    shutdown_timeout: Duration,
}

impl Driver {
    /// `signals` are the signals of the pipelines this exporter is in; they get queue gauges.
    pub fn new(
        settings: &CreateSettings,
        signals: &[Signal],
        options: DriverOptions,
        sender: Arc<dyn Sender>,
    ) -> Driver {
        let telemetry = settings.telemetry.exporter(&settings.id);
        let (stop, stopping) = watch::channel(false);
        let queue = options.queue.enabled.then(|| {
            Queue::new(
                options.queue.queue_size,
                options.queue.block_on_overflow,
                signals,
                telemetry.clone(),
            )
        });
        Driver {
            inner: Arc::new(Inner {
                id: settings.id.clone(),
                sender: sender.clone(),
                retrier: Retrier {
                    sender,
                    config: options.retry,
                    timeout: options.timeout,
                    stopping,
                    exporter: settings.id.to_string(),
                },
                telemetry,
                queue,
                num_consumers: options.queue.num_consumers.max(1),
                shutdown_timeout: options.shutdown_timeout,
            }),
            tasks: Mutex::new(Vec::new()),
            stop,
        }
    }
}

impl Inner {
    /// Sends with retry and does the accounting: sent, or send_failed and an error log.
    async fn export(&self, payload: Payload) -> Result<(), Failure> {
        let signal = payload.signal();
        let items = payload.item_count();
        match self.retrier.send(Arc::new(payload)).await {
            Ok(()) => {
                self.telemetry.sent(signal, items);
                Ok(())
            }
            Err(failure) => {
                self.dropped(signal, items, &failure);
                Err(failure)
            }
        }
    }

    fn dropped(&self, signal: Signal, items: usize, why: &dyn std::fmt::Display) {
        self.telemetry.send_failed(signal, items);
        tracing::error!(
            exporter = %self.id,
            data_type = %signal,
            dropped_items = items,
            error = %why,
            "Exporting failed. Dropping data."
        );
    }

    async fn run_consumer(self: Arc<Self>) {
        let Some(queue) = &self.queue else { return };
        while let Some(payload) = queue.pop().await {
            // If shutdown aborts this task mid-export, the guard counts the batch as dropped.
            let in_flight = InFlight {
                inner: &self,
                signal: payload.signal(),
                items: payload.item_count(),
            };
            // The outcome is accounted for in `export`; nobody waits for it.
            let _ = self.export(payload).await;
            std::mem::forget(in_flight);
        }
    }
}

/// A batch a consumer task has taken off the queue and not finished exporting.
struct InFlight<'a> {
    inner: &'a Inner,
    signal: Signal,
    items: usize,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.inner.dropped(
            self.signal,
            self.items,
            &"export cut short by the shutdown timeout",
        );
    }
}

#[async_trait::async_trait]
impl Consumer for Driver {
    async fn consume(&self, payload: Payload, _ctx: Context) -> Result<(), ConsumeError> {
        let inner = &self.inner;
        let Some(queue) = &inner.queue else {
            return inner.export(payload).await.map_err(|failure| {
                if failure.is_permanent() {
                    ConsumeError::permanent(failure.to_string())
                } else {
                    ConsumeError::retryable(failure.to_string())
                }
            });
        };
        match queue.push(payload).await {
            Ok(()) => Ok(()),
            Err(Refused::Full(payload)) => {
                inner
                    .telemetry
                    .enqueue_failed(payload.signal(), payload.item_count());
                tracing::warn!(
                    exporter = %inner.id,
                    data_type = %payload.signal(),
                    items = payload.item_count(),
                    "Sending queue is full, refusing data."
                );
                Err(ConsumeError::retryable("sending queue is full"))
            }
            Err(Refused::Closed(payload)) => {
                inner
                    .telemetry
                    .enqueue_failed(payload.signal(), payload.item_count());
                Err(ConsumeError::retryable("exporter is shutting down"))
            }
        }
    }
}

#[async_trait::async_trait]
impl Lifecycle for Driver {
    async fn start(&self, _host: &Host) -> Result<(), BoxError> {
        self.inner.sender.start().await?;
        if self.inner.queue.is_some() {
            let mut tasks = self
                .tasks
                .lock()
                .map_err(|_| "exporter task list poisoned")?;
            for _ in 0..self.inner.num_consumers {
                tasks.push(tokio::spawn(self.inner.clone().run_consumer()));
            }
        }
        Ok(())
    }

    async fn shutdown(&self) -> Result<(), BoxError> {
        let inner = &self.inner;
        // Retries stop first so what is queued gets one attempt each, as otelcol does.
        let _ = self.stop.send(true);
        if let Some(queue) = &inner.queue {
            queue.close();
            let mut tasks: Vec<_> = match self.tasks.lock() {
                Ok(mut guard) => guard.drain(..).collect(),
                Err(_) => Vec::new(),
            };
            let drained = tokio::time::timeout(inner.shutdown_timeout, async {
                for task in tasks.iter_mut() {
                    let _ = task.await;
                }
            })
            .await;
            if drained.is_err() {
                for task in &tasks {
                    task.abort();
                }
                for task in tasks {
                    let _ = task.await;
                }
            }
            for payload in queue.drain_now() {
                inner.dropped(
                    payload.signal(),
                    payload.item_count(),
                    &"sending queue not drained before shutdown timeout",
                );
            }
        }
        inner.sender.shutdown().await;
        Ok(())
    }
}
