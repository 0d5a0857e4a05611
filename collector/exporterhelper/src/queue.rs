//! The bounded in-memory sending queue of one exporter instance, all signals
//! together, with its depth published per signal (`otelcol_exporter_queue_size`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use sonde_api::telemetry::ExporterTelemetry;
use sonde_api::{Payload, Signal};
use tokio::sync::mpsc;

pub(crate) enum Refused {
    Full(Payload),
    Closed(Payload),
}

pub(crate) struct Queue {
    /// `None` once shutdown started: nothing new gets in.
    tx: Mutex<Option<mpsc::Sender<Payload>>>,
    /// Shared by the consumer tasks; whoever holds the lock waits for the next batch.
    rx: tokio::sync::Mutex<mpsc::Receiver<Payload>>,
    depth: [AtomicUsize; 3],
    block_on_overflow: bool,
    telemetry: ExporterTelemetry,
}

impl Queue {
    pub(crate) fn new(
        capacity: usize,
        block_on_overflow: bool,
        signals: &[Signal],
        telemetry: ExporterTelemetry,
    ) -> Queue {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        for signal in signals {
            telemetry.set_queue_capacity(*signal, capacity);
            telemetry.set_queue_size(*signal, 0);
        }
        Queue {
            tx: Mutex::new(Some(tx)),
            rx: tokio::sync::Mutex::new(rx),
            depth: Default::default(),
            block_on_overflow,
            telemetry,
        }
    }

    pub(crate) async fn push(&self, payload: Payload) -> Result<(), Refused> {
        let tx = match self.tx.lock() {
            Ok(guard) => guard.clone(),
            Err(_) => None,
        };
        let Some(tx) = tx else {
            return Err(Refused::Closed(payload));
        };
        let signal = payload.signal();
        // Counted before the send so a fast consumer never takes the gauge below zero.
        self.add(signal, 1);
        let result = if self.block_on_overflow {
            tx.send(payload)
                .await
                .map_err(|mpsc::error::SendError(p)| Refused::Closed(p))
        } else {
            tx.try_send(payload).map_err(|e| match e {
                mpsc::error::TrySendError::Full(p) => Refused::Full(p),
                mpsc::error::TrySendError::Closed(p) => Refused::Closed(p),
            })
        };
        if result.is_err() {
            self.sub(signal);
        }
        result
    }

    /// The next batch, or `None` once the queue is closed and empty.
    pub(crate) async fn pop(&self) -> Option<Payload> {
        let payload = self.rx.lock().await.recv().await?;
        self.sub(payload.signal());
        Some(payload)
    }

    /// What is left, without waiting (after the consumers were stopped).
    pub(crate) fn drain_now(&self) -> Vec<Payload> {
        let mut left = Vec::new();
        if let Ok(mut rx) = self.rx.try_lock() {
            while let Ok(payload) = rx.try_recv() {
                self.sub(payload.signal());
                left.push(payload);
            }
        }
        left
    }

    /// Stops taking new batches; the channel closes once in-flight pushes are done.
    pub(crate) fn close(&self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
    }

    fn add(&self, signal: Signal, n: usize) {
        let now = self.depth[signal.index()].fetch_add(n, Ordering::SeqCst) + n;
        self.telemetry.set_queue_size(signal, now);
    }

    fn sub(&self, signal: Signal) {
        let now = self.depth[signal.index()].fetch_sub(1, Ordering::SeqCst) - 1;
        self.telemetry.set_queue_size(signal, now);
    }
}
