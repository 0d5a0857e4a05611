//! A connection driven by hand: segments in, events collected, times known.
#![allow(dead_code)]

use sonde_ebpf_protocols::http1;
use sonde_ebpf_protocols::{
    Direction, Event, Exchange, Limits, Protocol, Request, Response, Role, Segment, Session,
    Started, Unpaired,
};

pub const IN: Direction = Direction::Ingress;
pub const OUT: Direction = Direction::Egress;

/// Segment `k` (from 0) enters at `k * 100` and exits at `k * 100 + 10`.
pub fn enter(k: u64) -> u64 {
    k * 100
}

pub fn exit(k: u64) -> u64 {
    k * 100 + 10
}

pub struct Conn {
    pub session: Session,
    /// Exchanges and unpaired messages, in the order reported.
    pub events: Vec<Event>,
    /// Requests seen beginning, in order.
    pub started: Vec<Started>,
    pub segments: u64,
}

/// Keeps starts apart, so `events` lists outcomes only.
fn collect<'a>(
    events: &'a mut Vec<Event>,
    started: &'a mut Vec<Started>,
) -> impl FnMut(Event) + 'a {
    move |e| match e {
        Event::Started(s) => started.push(s),
        other => events.push(other),
    }
}

impl Conn {
    pub fn new(local: Role) -> Self {
        Conn::with_limits(local, Limits::default())
    }

    pub fn with_limits(local: Role, limits: Limits) -> Self {
        Conn::of(Protocol::Http1, local, limits)
    }

    /// A connection speaking `protocol`.
    pub fn of(protocol: Protocol, local: Role, limits: Limits) -> Self {
        Conn {
            session: Session::new(protocol, local, limits),
            events: Vec::new(),
            started: Vec::new(),
            segments: 0,
        }
    }

    /// A fully captured syscall.
    pub fn push(&mut self, direction: Direction, bytes: &[u8]) {
        self.push_cut(direction, bytes, bytes.len());
    }

    /// A syscall that moved `len` bytes of which `captured` were seen.
    pub fn push_cut(&mut self, direction: Direction, captured: &[u8], len: usize) {
        let k = self.segments;
        self.segments += 1;
        let mut seg = Segment::new(captured, enter(k), exit(k)).with_len(len);
        seg.tcp_seq = 1000 * k as u32;
        seg.tid = 7;
        seg.trace_id = k + 1;
        self.session.push(
            direction,
            &seg,
            collect(&mut self.events, &mut self.started),
        );
    }

    pub fn close(&mut self) {
        self.session
            .close(collect(&mut self.events, &mut self.started));
    }

    pub fn exchanges(&self) -> Vec<&Exchange> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Exchange(x) => Some(x),
                _ => None,
            })
            .collect()
    }

    pub fn unpaired(&self) -> Vec<&Unpaired> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Unpaired(u) => Some(u),
                _ => None,
            })
            .collect()
    }

    /// (method, path, status) of every exchange, in order.
    pub fn summary(&self) -> Vec<(String, String, u16)> {
        self.exchanges()
            .iter()
            .map(|x| {
                let (q, r) = http(x);
                (
                    q.method_original().to_owned(),
                    q.path().to_owned(),
                    r.status,
                )
            })
            .collect()
    }
}

pub fn http(x: &Exchange) -> (&http1::Request, &http1::Response) {
    (req(&x.request), resp(&x.response))
}

pub fn req(r: &Request) -> &http1::Request {
    match r {
        Request::Http1(r) => r,
        other => panic!("not HTTP/1: {other:?}"),
    }
}

pub fn resp(r: &Response) -> &http1::Response {
    match r {
        Response::Http1(r) => r,
        other => panic!("not HTTP/1: {other:?}"),
    }
}

/// A deterministic byte generator (xorshift64*), so no rand crate is needed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Replays one recorded syscall's `bytes` into `session` as a corpus run
/// scrambles it: one time in 30 as if the other end had sent them, in random
/// pieces (a quarter captured only in part) 10 ns apart from `*t` on, and one
/// time in 40 followed by an expiry. Every event goes to `f`.
pub fn replay_scrambled(
    session: &mut Session,
    local: Role,
    sent_by_client: bool,
    bytes: &[u8],
    rng: &mut Rng,
    t: &mut u64,
    f: &mut impl FnMut(Event),
) {
    let sent_by_client = if rng.below(30) == 0 {
        !sent_by_client
    } else {
        sent_by_client
    };
    let direction = if sent_by_client == (local == Role::Client) {
        Direction::Egress
    } else {
        Direction::Ingress
    };
    let mut at = 0;
    while at < bytes.len() {
        let n = 1 + rng.below(bytes.len() - at);
        let piece = &bytes[at..at + n];
        at += n;
        let captured = if rng.below(4) == 0 {
            rng.below(n + 1)
        } else {
            n
        };
        let seg = Segment::new(&piece[..captured], *t, *t + 5).with_len(n);
        session.push(direction, &seg, &mut *f);
        *t += 10;
    }
    if rng.below(40) == 0 {
        session.expire(*t / 2, &mut *f);
    }
}
