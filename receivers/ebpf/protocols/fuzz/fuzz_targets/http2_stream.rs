//! The HTTP/2 parser under libFuzzer: the input is read as a connection's
//! syscalls (the layout of `http1_stream.rs`), each pushed through an HTTP/2
//! session, with captures cut short, closes and expiries mixed in. Also the
//! HPACK decoder, on the raw input as one header block, whole and cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::http2::hpack::Decoder;
use sonde_ebpf_protocols::{Direction, Event, Limits, Protocol, Role, Segment, Session};

fuzz_target!(|data: &[u8]| {
    for cut in [false, true] {
        let mut decoder = Decoder::default();
        let _ = decoder.decode(data, cut, |_, _| {});
        let _ = decoder.decode(data, cut, |_, _| {});
    }

    let Some((&setup, mut rest)) = data.split_first() else {
        return;
    };
    let local = if setup & 1 == 0 { Role::Client } else { Role::Server };
    let limits = Limits {
        max_pending: 1 + usize::from(setup >> 1 & 7),
        max_buffer: 64 << (setup >> 4),
    };
    let mut session = Session::new(Protocol::Http2, local, limits);
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
