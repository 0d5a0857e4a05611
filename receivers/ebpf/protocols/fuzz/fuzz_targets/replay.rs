//! The connection replay every `*_stream` target runs: the input is read as
//! a connection's syscalls, each pushed through a session of one protocol,
//! with captures cut short, closes and expiries mixed in, and every exchange
//! and one-way request described.
//!
//! Input layout: byte 0 is the [`Setup`]; then records of
//! `[control][length][length bytes]` (the length one byte, or two
//! big-endian for `wide` targets whose messages are large). Control bit 0:
//! direction; bit 1: the syscall moved more than was captured (the next
//! byte, times 64 — 256 when wide — more); bit 2: expire requests older
//! than this syscall; bits 3-7 all set: close.

use sonde_ebpf_protocols::{
    DescribeContext, DescribeOptions, Direction, Event, Half, Limits, Protocol, Role, Segment,
    Session,
};

/// What byte 0 picks: bit 0 the local role, bits 1-3 the pending limit,
/// bit 3 raw query text, the bits from 4 (under `buffer_mask`) the buffer.
pub struct Setup {
    pub local: Role,
    pub limits: Limits,
    pub options: DescribeOptions,
}

impl Setup {
    pub fn from_byte(setup: u8, buffer_mask: u8) -> Setup {
        Setup {
            local: if setup & 1 == 0 {
                Role::Client
            } else {
                Role::Server
            },
            limits: Limits {
                max_pending: 1 + usize::from(setup >> 1 & 7),
                max_buffer: 64 << (setup >> 4 & buffer_mask),
            },
            options: DescribeOptions {
                raw_query_text: setup & 8 != 0,
            },
        }
    }
}

/// Replays `records` through a session of `protocol` and checks what every
/// session must keep: messages end after they start, every outcome can be
/// described, and each exchange is two messages the session saw begin.
pub fn replay(protocol: Protocol, setup: &Setup, mut records: &[u8], wide: bool) {
    let mut session = Session::new(protocol, setup.local, setup.limits);
    let options = &setup.options;
    let mut exchanges = 0u64;
    let mut count = |e: Event| match &e {
        Event::Exchange(x) => {
            assert!(x.request_meta.start_ns <= x.request_meta.end_ns);
            assert!(x.response_meta.start_ns <= x.response_meta.end_ns);
            let cx = DescribeContext {
                role: x.role,
                options,
            };
            assert!(x.request.describe(Some(&x.response), cx).is_some());
            exchanges += 1;
        }
        Event::Unpaired(u) => {
            if let Half::Request(q) = &u.message {
                let cx = DescribeContext {
                    role: u.role,
                    options,
                };
                assert!(q.describe(None, cx).is_some());
            }
        }
        Event::Started(_) => {}
    };
    let (head, unit) = if wide { (3, 256) } else { (2, 64) };
    let mut t = 0u64;
    while records.len() >= head {
        let control = records[0];
        let len = if wide {
            usize::from(u16::from_be_bytes([records[1], records[2]]))
        } else {
            usize::from(records[1])
        };
        let tail = &records[head..];
        let extra = if control & 2 != 0 {
            tail.first().map_or(0, |&b| usize::from(b) * unit)
        } else {
            0
        };
        let (bytes, next) = tail.split_at(len.min(tail.len()));
        records = next;
        if control >> 3 == 0x1f {
            session.close(&mut count);
            continue;
        }
        let direction = if control & 1 == 0 {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        let seg = Segment::new(bytes, t, t + 5).with_len(bytes.len() + extra);
        session.push(direction, &seg, &mut count);
        if control & 4 != 0 {
            session.expire(t / 2, &mut count);
        }
        t += 10;
    }
    session.close(&mut count);
    assert!(2 * exchanges <= session.stats().messages);
}
