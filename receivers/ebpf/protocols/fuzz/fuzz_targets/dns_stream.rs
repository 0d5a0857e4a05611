//! DNS under libFuzzer, over UDP and over TCP: the input is read as a
//! connection's (or a UDP socket's) syscalls, each pushed through a session,
//! with captures cut short, closes and expiries mixed in; and the message
//! parser alone, on the raw input, whole and as a prefix.
//!
//! Input layout: byte 0 picks the transport (bit 7), the local role and the
//! limits; then records of `[control][length][length bytes]` as in
//! `http1_stream.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::dns::parse_message;
use sonde_ebpf_protocols::{Direction, Event, Limits, Protocol, Role, Segment, Session};

fuzz_target!(|data: &[u8]| {
    let _ = parse_message(data, true);
    let _ = parse_message(data, false);

    let Some((&setup, mut rest)) = data.split_first() else {
        return;
    };
    let protocol = if setup & 0x80 == 0 { Protocol::Dns } else { Protocol::DnsTcp };
    let local = if setup & 1 == 0 { Role::Client } else { Role::Server };
    let limits = Limits {
        max_pending: 1 + usize::from(setup >> 1 & 7),
        max_buffer: 64 << (setup >> 4 & 7),
    };
    let mut session = Session::new(protocol, local, limits);
    let mut exchanges = 0u64;
    let mut count = |e: Event| {
        if let Event::Exchange(x) = &e {
            assert!(x.request_meta.start_ns <= x.request_meta.end_ns);
            assert!(x.response_meta.start_ns <= x.response_meta.end_ns);
            exchanges += 1;
        }
    };
    let mut t = 0u64;
    while let [control, len, tail @ ..] = rest {
        let extra = if control & 2 != 0 {
            tail.first().map_or(0, |&b| usize::from(b) * 64)
        } else {
            0
        };
        let n = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(n);
        rest = next;
        if control >> 3 == 0x1f {
            session.close(&mut count);
            continue;
        }
        let direction = if control & 1 == 0 { Direction::Egress } else { Direction::Ingress };
        let seg = Segment::new(bytes, t, t + 5).with_len(bytes.len() + extra);
        session.push(direction, &seg, &mut count);
        if control & 4 != 0 {
            session.expire(t / 2, &mut count);
        }
        t += 10;
    }
    session.close(&mut count);
    assert!(2 * exchanges <= session.stats().messages);
});
