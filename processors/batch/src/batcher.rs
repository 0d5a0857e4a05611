//! The pure half of the batch processor: payloads in, payloads ready to send out.
//!
//! No clock and no task: the caller passes `now` and asks for the [`Batcher::deadline`],
//! so tests drive time by hand. Counting is in otelcol's units (spans, data points, log
//! records); splitting keeps the resource and scope around every item it moves.

use std::time::{Duration, Instant};

use sonde_api::Payload;

/// When a batch is sent, and how big a send may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Send once this many items are held (0: never on size, only on timeout).
    pub send_size: usize,
    /// At most this many items per send (0: no limit).
    pub max_size: usize,
    /// Send what is held this long after the batch was started (0: at once).
    pub timeout: Duration,
}

/// Accumulates payloads of one signal.
pub struct Batcher {
    limits: Limits,
    pending: Option<Payload>,
    items: usize,
    deadline: Option<Instant>,
}

impl Batcher {
    pub fn new(limits: Limits) -> Batcher {
        Batcher {
            limits,
            pending: None,
            items: 0,
            deadline: None,
        }
    }

    /// Items held now.
    pub fn items(&self) -> usize {
        self.items
    }

    /// When the held batch must be sent, if anything is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Adds `payload`; returns the batches the size trigger made ready, in order, each of
    /// at most `max_size` items.
    pub fn offer(&mut self, payload: Payload, now: Instant) -> Vec<Payload> {
        self.items += payload.item_count();
        match &mut self.pending {
            None => self.pending = Some(payload),
            Some(pending) => {
                if let Err(other) = pending.merge(payload) {
                    // One batcher serves one pipeline, hence one signal; a payload of another
                    // signal is a wiring bug upstream. Keep it rather than lose it: it goes out
                    // with the next send, alone.
                    tracing::error!(
                        signal = %other.signal(),
                        "batch processor got a payload of another signal; sending it unbatched"
                    );
                    self.items -= other.item_count();
                    return vec![other];
                }
            }
        }
        let mut ready = Vec::new();
        while self.size_triggered() {
            ready.extend(self.take_front(self.chunk_len()));
        }
        if self.pending.is_none() {
            self.deadline = None;
        } else if !ready.is_empty() || self.deadline.is_none() {
            // otelcol restarts its timer after every send; what is left waits a full timeout.
            self.deadline = Some(now + self.limits.timeout);
        }
        ready
    }

    /// One batch of at most `max_size` items when the deadline has passed. Call again until
    /// `None`: a batch larger than `max_size` comes out in several sends.
    pub fn flush_due(&mut self, now: Instant) -> Option<Payload> {
        match self.deadline {
            Some(deadline) if deadline <= now => {}
            _ => return None,
        }
        let out = self.take_front(self.chunk_len())?;
        if self.pending.is_none() {
            self.deadline = None;
        }
        Some(out)
    }

    /// Everything held, in sends of at most `max_size` items (for shutdown).
    pub fn drain(&mut self) -> Vec<Payload> {
        let mut out = Vec::new();
        while let Some(batch) = self.take_front(self.chunk_len()) {
            out.push(batch);
        }
        self.deadline = None;
        out
    }

    fn size_triggered(&self) -> bool {
        if self.pending.is_none() || self.items == 0 {
            return false;
        }
        if self.limits.timeout.is_zero() {
            return true;
        }
        self.limits.send_size > 0 && self.items >= self.limits.send_size
    }

    /// How many items the next send carries.
    fn chunk_len(&self) -> usize {
        if self.limits.max_size > 0 {
            self.items.min(self.limits.max_size)
        } else {
            self.items
        }
    }

    /// Removes the first `n` items; the whole batch when `n` covers it (which also drops
    /// resources that held no item).
    fn take_front(&mut self, n: usize) -> Option<Payload> {
        let mut pending = self.pending.take()?;
        if n >= self.items {
            self.items = 0;
            return Some(pending);
        }
        let front = pending.split_front(n);
        self.items -= front.item_count();
        self.pending = Some(pending);
        Some(front)
    }
}

#[cfg(test)]
mod tests;
