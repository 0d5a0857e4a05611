//! The async half of the batch processor: a bounded channel from `consume` into one task
//! that owns the [`Batcher`], a timer, and the call to the next consumer.
//!
//! `consume` waits for room in the channel, so a slow next consumer slows the receivers
//! down instead of losing data. Once a payload is in the channel it is accepted: a later
//! failure of the next consumer is logged and counted, as otelcol does. Shutdown closes the
//! channel; the task drains it, sends everything it holds, and only then does shutdown return.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sonde_api::telemetry::BatchTelemetry;
use sonde_api::{
    async_trait, BoxError, ComponentId, ConsumeError, Consumer, Context, Host, Lifecycle, Payload,
    SharedConsumer,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::batcher::{Batcher, Limits};

/// Payloads waiting between `consume` and the batching task. Small on purpose: the batch
/// itself is where data accumulates; the channel only decouples the two sides.
const CHANNEL_CAPACITY: usize = 16;

pub struct BatchProcessor {
    id: ComponentId,
    tx: Mutex<Option<mpsc::Sender<Payload>>>,
    /// Taken by `start`, which spawns the task.
    task_parts: Mutex<Option<TaskParts>>,
    task: Mutex<Option<JoinHandle<()>>>,
    failed_items: Arc<AtomicU64>,
}

struct TaskParts {
    rx: mpsc::Receiver<Payload>,
    batcher: Batcher,
    next: SharedConsumer,
    telemetry: BatchTelemetry,
}

impl BatchProcessor {
    pub fn new(
        id: ComponentId,
        limits: Limits,
        next: SharedConsumer,
        telemetry: BatchTelemetry,
    ) -> BatchProcessor {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        BatchProcessor {
            id,
            tx: Mutex::new(Some(tx)),
            task_parts: Mutex::new(Some(TaskParts {
                rx,
                batcher: Batcher::new(limits),
                next,
                telemetry,
            })),
            task: Mutex::new(None),
            failed_items: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Items the next consumer refused after this processor had accepted them.
    pub fn failed_items(&self) -> u64 {
        self.failed_items.load(Ordering::Relaxed)
    }

    fn sender(&self) -> Option<mpsc::Sender<Payload>> {
        self.tx.lock().ok().and_then(|tx| tx.clone())
    }
}

#[async_trait]
impl Consumer for BatchProcessor {
    async fn consume(&self, payload: Payload, _ctx: Context) -> Result<(), ConsumeError> {
        let Some(tx) = self.sender() else {
            return Err(ConsumeError::retryable(format!(
                "processor {} is shut down",
                self.id
            )));
        };
        tx.send(payload)
            .await
            .map_err(|_| ConsumeError::retryable(format!("processor {} is shut down", self.id)))
    }
}

#[async_trait]
impl Lifecycle for BatchProcessor {
    async fn start(&self, _host: &Host) -> Result<(), BoxError> {
        let parts = self.task_parts.lock().ok().and_then(|mut p| p.take());
        let Some(parts) = parts else {
            return Ok(()); // started already
        };
        let handle = tokio::spawn(run(self.id.clone(), parts, self.failed_items.clone()));
        if let Ok(mut task) = self.task.lock() {
            *task = Some(handle);
        }
        Ok(())
    }

    async fn shutdown(&self) -> Result<(), BoxError> {
        // Dropping our sender closes the channel once in-flight `consume` calls are done;
        // the task then flushes and ends.
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        let handle = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            handle
                .await
                .map_err(|err| format!("processor {}: batching task failed: {err}", self.id))?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Trigger {
    Size,
    Timeout,
}

async fn run(id: ComponentId, parts: TaskParts, failed: Arc<AtomicU64>) {
    let TaskParts {
        mut rx,
        mut batcher,
        next,
        telemetry,
    } = parts;
    let send = |payload: Payload, trigger: Trigger| {
        let next = next.clone();
        let telemetry = telemetry.clone();
        let failed = failed.clone();
        let id = id.clone();
        async move {
            let items = payload.item_count();
            match trigger {
                Trigger::Size => telemetry.sent_on_size(items),
                Trigger::Timeout => telemetry.sent_on_timeout(items),
            }
            if let Err(err) = next.consume(payload, Context::default()).await {
                let total = failed.fetch_add(items as u64, Ordering::Relaxed) + items as u64;
                tracing::warn!(
                    processor = %id,
                    items,
                    failed_total = total,
                    error = %err,
                    "batch processor: sending batch failed; data dropped"
                );
            }
        }
    };
    loop {
        let deadline = batcher.deadline();
        tokio::select! {
            received = rx.recv() => match received {
                Some(payload) => {
                    for batch in batcher.offer(payload, Instant::now()) {
                        send(batch, Trigger::Size).await;
                    }
                }
                None => break,
            },
            _ = sleep_until(deadline) => {
                let now = Instant::now();
                while let Some(batch) = batcher.flush_due(now) {
                    send(batch, Trigger::Timeout).await;
                }
            }
        }
    }
    for batch in batcher.drain() {
        send(batch, Trigger::Timeout).await;
    }
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
