//! Kafka under libFuzzer: the input is read as a connection's syscalls,
//! each pushed through a session, with captures cut short, closes and
//! expiries mixed in. Requests and their answers pair by correlation id, so
//! the fuzzer reaches the response walks of every API once it learns to
//! repeat a request's id.
//!
//! Input layout: byte 0 picks the local role and the limits; then records
//! of `[control][length][length bytes]` as in `http1_stream.rs`, with a
//! 2-byte length (big-endian) so that one record can hold a large message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::{Direction, Event, Limits, Protocol, Role, Segment, Session};

fuzz_target!(|data: &[u8]| {
    let Some((&setup, mut rest)) = data.split_first() else {
        return;
    };
    let local = if setup & 1 == 0 { Role::Client } else { Role::Server };
    let limits = Limits {
        max_pending: 1 + usize::from(setup >> 1 & 7),
        max_buffer: 64 << (setup >> 4),
    };
    let mut session = Session::new(Protocol::Kafka, local, limits);
    let mut exchanges = 0u64;
    let mut count = |e: Event| {
        if let Event::Exchange(x) = &e {
            assert!(x.request_meta.start_ns <= x.request_meta.end_ns);
            assert!(x.response_meta.start_ns <= x.response_meta.end_ns);
            exchanges += 1;
        }
    };
    let mut t = 0u64;
    while let [control, hi, lo, tail @ ..] = rest {
        let extra = if control & 2 != 0 {
            tail.first().map_or(0, |&b| usize::from(b) * 256)
        } else {
            0
        };
        let n = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
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
