//! The Memcached stream parser under libFuzzer: the input is read as a
//! connection's syscalls, each pushed through a session, with captures cut
//! short, closes and expiries mixed in, and every exchange described.
//!
//! Input layout: byte 0 picks the local role and the limits; then records
//! of `[control][length][length bytes]`. Control bit 0: direction; bit 1:
//! the syscall moved more than was captured (the next byte, times 64, more);
//! bit 2: expire requests older than this syscall; bits 3-7 all set: close.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::{
    DescribeContext, DescribeOptions, Direction, Event, Limits, Protocol, Role, Segment, Session,
};

fuzz_target!(|data: &[u8]| {
    let Some((&setup, mut rest)) = data.split_first() else {
        return;
    };
    let local = if setup & 1 == 0 { Role::Client } else { Role::Server };
    let limits = Limits {
        max_pending: 1 + usize::from(setup >> 1 & 7),
        max_buffer: 64 << (setup >> 4),
    };
    let mut session = Session::new(Protocol::Memcached, local, limits);
    let options = DescribeOptions { raw_query_text: setup & 8 != 0 };
    let mut exchanges = 0u64;
    let mut count = |e: Event| {
        if let Event::Exchange(x) = &e {
            assert!(x.request_meta.start_ns <= x.request_meta.end_ns);
            assert!(x.response_meta.start_ns <= x.response_meta.end_ns);
            let cx = DescribeContext { role: x.role, options: &options };
            assert!(x.request.describe(Some(&x.response), cx).is_some());
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
    // Every exchange is two messages the session saw begin.
    assert!(2 * exchanges <= session.stats().messages);
});
