//! One syscall's worth of bytes in, one message's timing and origin out.

/// The bytes one data syscall moved on a TCP socket, as the capture saw them.
///
/// `data` is the captured prefix; `len` is what the syscall moved. When the
/// capture is shorter than the syscall (a 1 KiB capture of a 10 KiB write),
/// the uncaptured `len - data.len()` bytes are skipped, and a message that
/// spans them is marked truncated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Captured bytes, from the first byte the syscall moved.
    pub data: &'a [u8],
    /// Bytes the syscall moved; a value below `data.len()` counts as `data.len()`.
    pub len: usize,
    /// Syscall entry time, ns (any monotonic clock, the same for every segment).
    pub enter_ns: u64,
    /// Syscall exit time, ns.
    pub exit_ns: u64,
    /// TCP sequence number of `data[0]`.
    pub tcp_seq: u32,
    /// Thread that made the syscall.
    pub tid: u32,
    /// The caller's per-thread chained trace id at this syscall.
    pub trace_id: u64,
}

impl<'a> Segment<'a> {
    /// A fully captured segment with the given times and zero ids.
    pub fn new(data: &'a [u8], enter_ns: u64, exit_ns: u64) -> Self {
        Segment {
            data,
            len: data.len(),
            enter_ns,
            exit_ns,
            tcp_seq: 0,
            tid: 0,
            trace_id: 0,
        }
    }

    /// The same segment, saying the syscall moved `len` bytes in all.
    pub fn with_len(mut self, len: usize) -> Self {
        self.len = len;
        self
    }

    /// Bytes moved that were not captured.
    pub fn missing(&self) -> usize {
        self.len.saturating_sub(self.data.len())
    }
}

/// Where and when a message was on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Entry time of the syscall that carried the message's first byte.
    pub start_ns: u64,
    /// Exit time of the syscall that carried its last byte.
    pub end_ns: u64,
    /// Exit time of the syscall that carried its first byte: when a receiver
    /// had the message's start in hand (a blocked `read` enters long before).
    pub first_exit_ns: u64,
    /// Entry time of the syscall that carried its last byte: before it, the
    /// peer cannot have received the end. With `first_exit_ns`, the server
    /// side of an exchange is timed inside the client side's `start_ns..end_ns`.
    pub last_enter_ns: u64,
    /// TCP sequence number of its first byte.
    pub tcp_seq: u32,
    /// Thread of the syscall that carried its first byte.
    pub tid: u32,
    /// Chained trace id of that syscall.
    pub trace_id: u64,
    /// Bytes the message spans on the wire, head and body.
    pub bytes: u64,
    /// Some of its bytes were not captured (the head may be cut: see the
    /// protocol's own message for what was seen).
    pub truncated: bool,
}

/// The part of a segment a run of buffered bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    /// Offset in the stream's window where this segment's bytes begin.
    pub at: usize,
    pub enter_ns: u64,
    pub exit_ns: u64,
    /// Sequence number of the byte at `at`.
    pub tcp_seq: u32,
    pub tid: u32,
    pub trace_id: u64,
}

impl Origin {
    pub fn of(seg: &Segment<'_>, at: usize, tcp_seq: u32) -> Self {
        Origin {
            at,
            enter_ns: seg.enter_ns,
            exit_ns: seg.exit_ns,
            tcp_seq,
            tid: seg.tid,
            trace_id: seg.trace_id,
        }
    }

    /// When the syscall that carried these bytes entered and returned.
    pub fn times(&self) -> crate::stream::Times {
        crate::stream::Times {
            enter_ns: self.enter_ns,
            exit_ns: self.exit_ns,
        }
    }

    /// The start of a message whose first byte is at window offset `pos`.
    pub fn start_at(&self, pos: usize) -> Meta {
        Meta {
            start_ns: self.enter_ns,
            end_ns: self.exit_ns,
            first_exit_ns: self.exit_ns,
            last_enter_ns: self.enter_ns,
            // TCP sequence numbers wrap by design; the offset is below 2^32.
            tcp_seq: self.tcp_seq.wrapping_add(pos.wrapping_sub(self.at) as u32),
            tid: self.tid,
            trace_id: self.trace_id,
            bytes: 0,
            truncated: false,
        }
    }
}
