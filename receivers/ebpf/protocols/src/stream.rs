//! One direction of one connection: syscall segments in, units out.
//!
//! The stream keeps the captured bytes a parser could not use yet (a head
//! split over several syscalls), skips the bytes a unit spans beyond what
//! was captured or received (a body, an uncaptured tail), times each message
//! from the syscalls that carried its first and last bytes, and finds its
//! footing again after garbage: once it loses track (a malformed unit, a
//! gap it cannot see across), it drops segments until one begins with what
//! the protocol says may start a message.

use crate::pairing::Pairer;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{ProtocolParser, Role, Step};
use crate::segment::{Meta, Origin, Segment};
use crate::session::{Emit, Limits, Stats};

/// What a stream works with besides its own state.
pub(crate) struct Cx<'a, P: ProtocolParser> {
    pub parser: &'a mut P,
    pub pairer: &'a mut Pairer<P>,
    pub stats: &'a mut Stats,
    pub limits: &'a Limits,
    pub emit: Emit<'a, P>,
}

#[derive(Default)]
pub(crate) struct Stream {
    /// Captured bytes not consumed yet (only after an `Incomplete`).
    buf: Vec<u8>,
    /// Which segment each run of the window came from, by offset.
    origins: Vec<Origin>,
    /// Bytes of the current unit still to come in later segments.
    skip: usize,
    /// Whether the unit being skipped ends its message.
    skip_ends: bool,
    /// The message in progress: its start, bytes so far, truncation.
    open: Option<Meta>,
    /// Out of step: the next bytes must look like a message start.
    expect_start: bool,
    /// Do not parse again before the window holds this many bytes.
    need: usize,
    /// Entry and exit times of the latest segment.
    last: Times,
}

/// When one syscall entered and returned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Times {
    pub enter_ns: u64,
    pub exit_ns: u64,
}

impl Times {
    fn of(seg: &Segment<'_>) -> Times {
        Times {
            enter_ns: seg.enter_ns,
            exit_ns: seg.exit_ns,
        }
    }
}

impl Stream {
    /// A stream that joins a connection at an unknown point: it waits for a
    /// message start.
    pub fn new() -> Self {
        Stream {
            expect_start: true,
            ..Stream::default()
        }
    }

    pub fn push<P: ProtocolParser>(&mut self, from: Role, seg: &Segment<'_>, cx: &mut Cx<'_, P>) {
        let mut data = seg.data;
        let mut missing = seg.missing();
        let mut seq = seg.tcp_seq;
        let prev = self.last;
        self.last = Times::of(seg);

        if self.skip > 0 {
            let n = self.skip.min(data.len());
            data = &data[n..];
            seq = seq.wrapping_add(n as u32);
            self.skip -= n;
            let gap = self.skip.min(missing);
            missing -= gap;
            self.skip -= gap;
            if gap > 0 {
                self.mark_truncated();
                self.expect_start = true;
            }
            if self.skip > 0 {
                return;
            }
            if self.skip_ends {
                self.finish(from, Times::of(seg), cx);
            }
        }
        if data.is_empty() && missing == 0 {
            return;
        }
        if self.expect_start && self.buf.is_empty() {
            if data.is_empty() || !P::may_start(from, data) {
                cx.stats.dropped_segments += 1;
                cx.stats.dropped_bytes += data.len() as u64;
                cx.parser.reset(from);
                return;
            }
            self.expect_start = false;
        }

        // The window is the buffered bytes followed by this segment's, or
        // this segment's alone (no copy) when nothing is buffered.
        let mut buf = std::mem::take(&mut self.buf);
        let direct = buf.is_empty();
        if direct {
            self.origins.clear();
            self.origins.push(Origin::of(seg, 0, seq));
        } else {
            self.origins.push(Origin::of(seg, buf.len(), seq));
            buf.extend_from_slice(data);
        }
        let window: &[u8] = if direct { data } else { &buf };
        let pos = self.run(from, window, missing, Times::of(seg), prev, cx);

        if direct {
            buf.clear();
            buf.extend_from_slice(&data[pos..]);
        } else {
            buf.drain(..pos);
        }
        self.rebase(pos, buf.is_empty());
        self.buf = buf;
        if self.buf.len() > cx.limits.max_buffer {
            cx.stats.malformed += 1;
            cx.stats.last_malformed = Some(Malformed::TooLong);
            let dropped = self.buf.len();
            self.buf.clear();
            self.origins.clear();
            self.abandon(from, dropped, Times::of(seg), cx);
        }
    }

    /// Parse units off `window` (then `missing` uncaptured bytes); returns
    /// how many window bytes were consumed or dropped.
    fn run<P: ProtocolParser>(
        &mut self,
        from: Role,
        window: &[u8],
        mut missing: usize,
        this: Times,
        prev: Times,
        cx: &mut Cx<'_, P>,
    ) -> usize {
        let mut pos = 0;
        loop {
            let rest = &window[pos..];
            if rest.is_empty() && missing == 0 {
                return pos;
            }
            if missing == 0 && rest.len() < self.need {
                return pos;
            }
            let origin = self.origin_at(pos);
            let input = Input {
                bytes: rest,
                missing,
                start_ns: origin.enter_ns,
            };
            let (step, consumed) = match cx.parser.parse(from, input, cx.pairer.pending_for(from)) {
                ParseResult::Incomplete { needed } => {
                    if missing == 0 {
                        self.need = needed.map_or(0, |n| rest.len().saturating_add(n));
                        return pos;
                    }
                    // Nothing usable before the gap, and the gap hides the rest.
                    cx.stats.truncated += 1;
                    let end = self.end_before(pos, prev);
                    self.abandon(from, rest.len(), end, cx);
                    return window.len();
                }
                ParseResult::Malformed(reason) => {
                    self.count_malformed(reason, cx);
                    let end = self.end_before(pos, prev);
                    self.abandon(from, rest.len(), end, cx);
                    return window.len();
                }
                ParseResult::Parsed { consumed: 0, .. } => {
                    self.count_malformed(Malformed::NoProgress, cx);
                    let end = self.end_before(pos, prev);
                    self.abandon(from, rest.len(), end, cx);
                    return window.len();
                }
                ParseResult::Parsed { message, consumed } => (message, consumed),
            };
            self.need = 0;
            let ends = matches!(step, Step::Whole(_) | Step::End);
            if let Step::Whole(message) | Step::Head(message) = step {
                if self.open.is_some() {
                    // The parser began a message without ending the last one.
                    self.mark_truncated();
                    let end = self.end_before(pos, prev);
                    self.finish(from, end, cx);
                }
                let mut start = origin.start_at(pos);
                if let Some(ns) = P::started_ns(&message) {
                    start.start_ns = start.start_ns.min(ns);
                }
                cx.stats.messages += 1;
                self.open = Some(start);
                cx.pairer.begin(from, message, start, cx.stats, cx.emit);
            }
            if let Some(open) = &mut self.open {
                open.bytes = open.bytes.saturating_add(consumed as u64);
            }
            if consumed <= rest.len() {
                pos += consumed;
                if ends {
                    let end = self.origin_at(pos - 1).times();
                    self.finish(from, end, cx);
                }
            } else if consumed - rest.len() <= missing {
                // The unit ends in the uncaptured tail.
                missing -= consumed - rest.len();
                pos = window.len();
                self.mark_truncated();
                self.expect_start = true;
                if ends {
                    self.finish(from, this, cx);
                }
            } else {
                // The unit goes on in later segments.
                if missing > 0 {
                    self.mark_truncated();
                    self.expect_start = true;
                }
                self.skip = consumed - rest.len() - missing;
                self.skip_ends = ends;
                return window.len();
            }
            if cx.pairer.upgraded() {
                return window.len();
            }
        }
    }

    /// The connection closed: end the message in progress and forget the rest.
    pub fn close<P: ProtocolParser>(&mut self, from: Role, cx: &mut Cx<'_, P>) {
        if self.open.is_some() && (self.skip > 0 || !cx.parser.ends_at_close(from)) {
            self.mark_truncated();
        }
        self.finish(from, self.last, cx);
        cx.stats.dropped_bytes += self.buf.len() as u64;
        self.buf.clear();
        self.origins.clear();
        self.skip = 0;
        self.need = 0;
        self.expect_start = true;
        cx.parser.reset(from);
    }

    /// Lose track: end the message in progress as truncated, forget the
    /// parser's state and wait for a message start.
    fn abandon<P: ProtocolParser>(
        &mut self,
        from: Role,
        dropped: usize,
        end: Times,
        cx: &mut Cx<'_, P>,
    ) {
        cx.stats.dropped_bytes += dropped as u64;
        self.mark_truncated();
        self.finish(from, end, cx);
        cx.parser.reset(from);
        self.skip = 0;
        self.need = 0;
        self.expect_start = true;
    }

    fn count_malformed<P: ProtocolParser>(&self, reason: Malformed, cx: &mut Cx<'_, P>) {
        cx.stats.malformed += 1;
        cx.stats.last_malformed = Some(reason);
    }

    fn finish<P: ProtocolParser>(&mut self, from: Role, end: Times, cx: &mut Cx<'_, P>) {
        if let Some(mut meta) = self.open.take() {
            meta.end_ns = end.exit_ns;
            meta.last_enter_ns = end.enter_ns;
            cx.pairer.end(from, meta, cx.emit);
        }
    }

    fn mark_truncated(&mut self) {
        if let Some(open) = &mut self.open {
            open.truncated = true;
        }
    }

    /// The segment that carried window byte `pos`.
    fn origin_at(&self, pos: usize) -> Origin {
        // Sorted by offset; a head sent a byte per syscall makes many.
        let i = self.origins.partition_point(|o| o.at <= pos);
        // `origins` is never empty while a window is parsed: push adds this
        // segment's before parsing.
        match self.origins.get(i.saturating_sub(1)) {
            Some(o) => *o,
            None => Origin {
                at: 0,
                enter_ns: self.last.enter_ns,
                exit_ns: self.last.exit_ns,
                tcp_seq: 0,
                tid: 0,
                trace_id: 0,
            },
        }
    }

    /// Times of the syscall that carried the byte before window `pos`.
    fn end_before(&self, pos: usize, prev: Times) -> Times {
        match pos.checked_sub(1) {
            Some(last) => self.origin_at(last).times(),
            None => prev,
        }
    }

    /// The window lost its first `consumed` bytes.
    fn rebase(&mut self, consumed: usize, empty: bool) {
        if empty {
            self.origins.clear();
            return;
        }
        if consumed == 0 {
            return;
        }
        let first = self
            .origins
            .partition_point(|o| o.at <= consumed)
            .saturating_sub(1);
        self.origins.drain(..first);
        for o in &mut self.origins {
            if o.at <= consumed {
                o.tcp_seq = o.tcp_seq.wrapping_add((consumed - o.at) as u32);
                o.at = 0;
            } else {
                o.at -= consumed;
            }
        }
    }
}
