//! The MQTT, NATS and AMQP 0-9-1 parsers under libFuzzer, the way
//! `http1_stream` drives HTTP/1: the input is a connection's syscalls pushed
//! through a session, captures cut short, closes and expiries mixed in, and
//! every outcome described.
//!
//! Input layout: byte 0 picks the protocol (bits 6-7), the local role (bit
//! 0) and the limits; then records of `[control][length][length bytes]` as
//! in `http1_stream`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::{
    DescribeContext, DescribeOptions, Direction, Event, Half, Limits, Protocol, Role, Segment,
    Session,
};

fuzz_target!(|data: &[u8]| {
    let Some((&setup, mut rest)) = data.split_first() else {
        return;
    };
    let protocol = match setup >> 6 {
        0 | 3 => Protocol::Mqtt,
        1 => Protocol::Nats,
        _ => Protocol::Amqp,
    };
    let local = if setup & 1 == 0 { Role::Client } else { Role::Server };
    let limits = Limits {
        max_pending: 1 + usize::from(setup >> 1 & 7),
        max_buffer: 64 << (setup >> 4 & 3),
    };
    let options = DescribeOptions::default();
    let mut session = Session::new(protocol, local, limits);
    let mut exchanges = 0u64;
    let mut count = |e: Event| match &e {
        Event::Exchange(x) => {
            assert!(x.request_meta.start_ns <= x.request_meta.end_ns);
            assert!(x.response_meta.start_ns <= x.response_meta.end_ns);
            let cx = DescribeContext { role: x.role, options: &options };
            assert!(x.request.describe(Some(&x.response), cx).is_some());
            exchanges += 1;
        }
        Event::Unpaired(u) => {
            if let Half::Request(q) = &u.message {
                let cx = DescribeContext { role: u.role, options: &options };
                assert!(q.describe(None, cx).is_some());
            }
        }
        Event::Started(_) => {}
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
