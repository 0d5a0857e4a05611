//! How much CPU the protocol layer costs per HTTP/2 exchange: h2load's
//! connection to nginx (50 GETs, HPACK's dynamic tables in use) replayed
//! through fresh sessions, one recorded read per syscall. Prints ns per
//! exchange; run with
//! `cargo run --release -p sonde-ebpf-protocols --example throughput_http2`.

use std::time::Instant;

use sonde_ebpf_protocols::{Direction, Event, Limits, Protocol, Role, Segment, Session};

const TRACE: &[u8] = include_bytes!("../testdata/http2/h2load_0.trace");

fn main() {
    let connections: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    // Records: 'C' or 'S', a 4-byte length, the bytes (see testdata/http2/record.py).
    let mut records = Vec::new();
    let mut at = 0;
    while at + 5 <= TRACE.len() {
        let len = u32::from_be_bytes([TRACE[at + 1], TRACE[at + 2], TRACE[at + 3], TRACE[at + 4]]);
        let end = at + 5 + len as usize;
        let direction = if TRACE[at] == b'C' {
            Direction::Ingress
        } else {
            Direction::Egress
        };
        records.push((direction, &TRACE[at + 5..end]));
        at = end;
    }
    let mut paired = 0u64;
    let started = Instant::now();
    for c in 0..connections {
        let mut session = Session::new(Protocol::Http2, Role::Server, Limits::default());
        let mut count = |e: Event| paired += u64::from(matches!(e, Event::Exchange(_)));
        for (i, (direction, bytes)) in records.iter().enumerate() {
            let t = (c * 1000 + i as u64) * 100;
            session.push(*direction, &Segment::new(bytes, t, t + 10), &mut count);
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(paired, connections * 50);
    let syscalls = connections * records.len() as u64;
    println!(
        "{paired} exchanges in {:.3} s: {:.0} ns per exchange ({:.0} ns per syscall)",
        elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / paired as f64,
        elapsed.as_nanos() as f64 / syscalls as f64
    );
}
