//! Puts captured events back in causal order before they are joined.
//!
//! The ring buffer delivers events when their syscall *returns*. A client's
//! `write` can return after the server's `read` of the same bytes has returned,
//! so the server's request may arrive first — and then it could not find the
//! client span that is its parent. But bytes are always written before they are
//! read: a send *entered* before the matching receive *returned*. Ordering sends
//! by entry time and everything else by return time, and holding each event for a
//! short window, restores that order.

use std::collections::VecDeque;

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

/// Events sorted by causal time, equal times in arrival order. They arrive almost
/// sorted (by return time), so each insertion lands at or near the back: a
/// sorted deque beats a heap, which would move every event up and down its levels.
#[derive(Default)]
pub struct Reorder {
    held: VecDeque<(u64, Event)>,
}

impl Reorder {
    pub fn push(&mut self, event: Event) {
        let time = causal_time(&event);
        let at = self
            .held
            .iter()
            .rposition(|(t, _)| *t <= time)
            .map_or(0, |i| i + 1);
        self.held.insert(at, (time, event));
    }

    /// The earliest held event, once `now_ns` (the kernel's monotonic clock) is a
    /// window past it, or at once when too many are held.
    pub fn pop_ready(&mut self, now_ns: u64) -> Option<Event> {
        let (time, _) = self.held.front()?;
        if time.saturating_add(WINDOW_NS) <= now_ns || self.held.len() > MAX_HELD {
            return self.held.pop_front().map(|(_, event)| event);
        }
        None
    }

    /// Every held event, in order (at shutdown).
    pub fn drain(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.held.drain(..).map(|(_, event)| event)
    }

    /// Nanoseconds until the earliest held event is ready, if any is held.
    pub fn wait_ns(&self, now_ns: u64) -> Option<u64> {
        self.held
            .front()
            .map(|(time, _)| time.saturating_add(WINDOW_NS).saturating_sub(now_ns))
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests;
