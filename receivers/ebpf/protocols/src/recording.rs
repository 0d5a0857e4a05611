//! Recorded conversations for the tests of the protocols whose peers talk
//! back and forth (PostgreSQL; MySQL's are strace transcripts, see
//! `tests/transcript`): each `.rec` file in `testdata/` is
//! what a recording TCP proxy between the real client and the real server
//! read, one record per `recv()`, in order: a tag byte (`C` from the client,
//! `S` from the server), a big-endian u32 length, the bytes.

use crate::describe::{DescribeContext, DescribeOptions, Description};
use crate::protocol::{Direction, Role};
use crate::registry::{Protocol, Request, Response};
use crate::segment::Segment;
use crate::session::{Event, Limits, Session, Stats, Unpaired};
use crate::TraceContext;

/// The records of a `.rec` file: who sent the bytes, and the bytes.
pub(crate) fn records(file: &[u8]) -> Vec<(Role, &[u8])> {
    let mut out = Vec::new();
    let mut rest = file;
    while let [tag, a, b, c, d, tail @ ..] = rest {
        let n = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
        let from = if *tag == b'C' {
            Role::Client
        } else {
            Role::Server
        };
        out.push((from, &tail[..n]));
        rest = &tail[n..];
    }
    out
}

/// What a replay gave.
pub(crate) struct Outcome {
    pub exchanges: Vec<(Request, Response)>,
    pub unpaired: Vec<Unpaired>,
    pub contexts: Vec<TraceContext>,
    pub stats: Stats,
}

impl Outcome {
    /// Each exchange described as seen by the client.
    pub fn described(&self) -> Vec<Description> {
        let options = DescribeOptions::default();
        let cx = DescribeContext {
            role: Role::Client,
            options: &options,
        };
        self.exchanges
            .iter()
            .filter_map(|(q, r)| q.describe(Some(r), cx))
            .collect()
    }

    /// The span names of the exchanges, in order.
    pub fn names(&self) -> Vec<String> {
        self.described().into_iter().map(|d| d.name).collect()
    }
}

/// How each recorded read reaches the session: as one syscall, a byte per
/// syscall, or captured only up to a size.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cut {
    Whole,
    Bytes,
    Capture(usize),
}

/// Replays `file` through a session of `protocol` on the client's side,
/// then closes it.
pub(crate) fn replay(protocol: Protocol, file: &[u8], cut: Cut) -> Outcome {
    replay_records(protocol, &records(file), cut)
}

pub(crate) fn replay_records(protocol: Protocol, recs: &[(Role, &[u8])], cut: Cut) -> Outcome {
    let mut session = Session::new(protocol, Role::Client, Limits::default());
    let mut events = Vec::new();
    let mut t = 0u64;
    for (from, bytes) in recs {
        let direction = match from {
            Role::Client => Direction::Egress,
            Role::Server => Direction::Ingress,
        };
        let mut push = |data: &[u8], len: usize| {
            let seg = Segment::new(data, t, t + 10).with_len(len);
            session.push(direction, &seg, |e| events.push(e));
            t += 100;
        };
        match cut {
            Cut::Whole => push(bytes, bytes.len()),
            Cut::Bytes => {
                for i in 0..bytes.len() {
                    push(&bytes[i..=i], 1);
                }
            }
            Cut::Capture(n) => push(&bytes[..bytes.len().min(n)], bytes.len()),
        }
    }
    session.close(|e| events.push(e));
    let mut out = Outcome {
        exchanges: Vec::new(),
        unpaired: Vec::new(),
        contexts: Vec::new(),
        stats: *session.stats(),
    };
    for e in events {
        match e {
            Event::Started(s) => out.contexts.push(s.context),
            Event::Exchange(x) => out.exchanges.push((x.request, x.response)),
            Event::Unpaired(u) => out.unpaired.push(u),
        }
    }
    out
}
