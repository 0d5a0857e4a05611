//! How much CPU the protocol layer costs per HTTP/1 exchange: wrk's request
//! and nginx's answer pushed through one keep-alive session, as the receiver
//! would per syscall. Prints ns per exchange; run with
//! `cargo run --release -p sonde-ebpf-protocols --example throughput`.

use std::time::Instant;

use sonde_ebpf_protocols::{Direction, Event, Limits, Protocol, Role, Segment, Session};

const REQUEST: &[u8] = b"GET /bench HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n";
const RESPONSE: &[u8] = include_bytes!("../testdata/http1/nginx_close.resp");

fn main() {
    let exchanges: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    // A keep-alive answer: the recording says close, which would end HTTP/1 after one.
    let response =
        String::from_utf8_lossy(RESPONSE).replace("Connection: close", "Connection: keep-alive");
    let mut session = Session::new(Protocol::Http1, Role::Server, Limits::default());
    let mut paired = 0u64;
    let started = Instant::now();
    for i in 0..exchanges {
        let t = i * 1000;
        let mut count = |e: Event| paired += u64::from(matches!(e, Event::Exchange(_)));
        session.push(
            Direction::Ingress,
            &Segment::new(REQUEST, t, t + 10),
            &mut count,
        );
        session.push(
            Direction::Egress,
            &Segment::new(response.as_bytes(), t + 20, t + 30),
            &mut count,
        );
    }
    let elapsed = started.elapsed();
    assert_eq!(paired, exchanges);
    println!(
        "{exchanges} exchanges in {:.3} s: {:.0} ns per exchange ({:.0} ns per syscall)",
        elapsed.as_secs_f64(),
        elapsed.as_nanos() as f64 / exchanges as f64,
        elapsed.as_nanos() as f64 / (2 * exchanges) as f64
    );
}
