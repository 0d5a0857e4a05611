//! Puts captured events back in causal order before they are joined.
//!
//! The ring buffer delivers events when their syscall *returns*. A client's
//! `write` can return after the server's `read` of the same bytes has returned,
//! so the server's request may arrive first — and then it could not find the
//! client span that is its parent. But bytes are always written before they are
//! read: a send *entered* before the matching receive *returned*. Ordering sends
//! by entry time and everything else by return time, and holding each event for a
//! short window, restores that order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::capture::{Direction, Event};

/// How long an event waits for events that happened before it.
pub const WINDOW_NS: u64 = 20_000_000;
/// Past this many held events, the oldest go at once (ordering degrades, nothing is lost).
const MAX_HELD: usize = 200_000;

/// The time an event is ordered by.
pub fn causal_time(event: &Event) -> u64 {
    match event {
        Event::Data(d) if d.direction == Direction::Egress => d.enter_ns,
        Event::Data(d) => d.task.timestamp_ns,
        Event::Connection(e) => e.task.timestamp_ns,
        Event::Close(e) => e.task.timestamp_ns,
        Event::TcpState(e) => e.task.timestamp_ns,
        Event::Retransmit(e) => e.task.timestamp_ns,
        Event::ProcessExec(e) => e.task.timestamp_ns,
        Event::ProcessExit(e) => e.task.timestamp_ns,
    }
}

struct Held {
    time: u64,
    /// Arrival order, so equal times keep it.
    arrival: u64,
    event: Event,
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.arrival) == (other.time, other.arrival)
    }
}

impl Eq for Held {}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Held {
    /// Reversed: the heap's top is the earliest event.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.arrival).cmp(&(self.time, self.arrival))
    }
}

#[derive(Default)]
pub struct Reorder {
    heap: BinaryHeap<Held>,
    arrivals: u64,
}

impl Reorder {
    pub fn push(&mut self, event: Event) {
        let time = causal_time(&event);
        self.arrivals += 1;
        self.heap.push(Held {
            time,
            arrival: self.arrivals,
            event,
        });
    }

    /// The earliest held event, once `now_ns` (the kernel's monotonic clock) is a
    /// window past it, or at once when too many are held.
    pub fn pop_ready(&mut self, now_ns: u64) -> Option<Event> {
        let top = self.heap.peek()?;
        if top.time.saturating_add(WINDOW_NS) <= now_ns || self.heap.len() > MAX_HELD {
            return self.heap.pop().map(|held| held.event);
        }
        None
    }

    /// Every held event, in order (at shutdown).
    pub fn drain(&mut self) -> impl Iterator<Item = Event> + '_ {
        std::iter::from_fn(|| self.heap.pop().map(|held| held.event))
    }

    /// Nanoseconds until the earliest held event is ready, if any is held.
    pub fn wait_ns(&self, now_ns: u64) -> Option<u64> {
        self.heap
            .peek()
            .map(|top| top.time.saturating_add(WINDOW_NS).saturating_sub(now_ns))
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests;
