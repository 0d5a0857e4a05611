//! How much CPU the protocol layer costs per Redis and Memcached exchange:
//! recorded requests and answers pushed through one connection's session,
//! as the receiver would per syscall. Prints ns per exchange; run with
//! `cargo run --release -p sonde-ebpf-protocols --example kv_throughput`.

use std::time::Instant;

use sonde_ebpf_protocols::{Direction, Event, Limits, Protocol, Role, Segment, Session};

/// A name, the protocol, one request and its answer, and how many of each
/// one syscall carries.
type Case = (&'static str, Protocol, &'static [u8], &'static [u8], u64);

const CASES: [Case; 4] = [
    (
        "redis GET, one command per syscall (redis-py)",
        Protocol::Redis,
        b"*2\r\n$3\r\nGET\r\n$8\r\nuser:123\r\n",
        b"$5\r\nalice\r\n",
        1,
    ),
    (
        "redis SET, 16 per syscall (redis-benchmark -P 16)",
        Protocol::Redis,
        b"*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n",
        b"+OK\r\n",
        16,
    ),
    (
        "memcached get, one hit (pymemcache)",
        Protocol::Memcached,
        b"get user:123\r\n",
        b"VALUE user:123 0 5\r\nalice\r\nEND\r\n",
        1,
    ),
    (
        "memcached set (pymemcache)",
        Protocol::Memcached,
        b"set user:123 0 60 5\r\nalice\r\n",
        b"STORED\r\n",
        1,
    ),
];

fn main() {
    let rounds: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(500_000);
    for (name, protocol, request, answer, per) in CASES {
        let request = request.repeat(per as usize);
        let answer = answer.repeat(per as usize);
        let mut session = Session::new(protocol, Role::Client, Limits::default());
        let mut paired = 0u64;
        let started = Instant::now();
        for i in 0..rounds {
            let t = i * 1000;
            let mut count = |e: Event| paired += u64::from(matches!(e, Event::Exchange(_)));
            session.push(
                Direction::Egress,
                &Segment::new(&request, t, t + 10),
                &mut count,
            );
            session.push(
                Direction::Ingress,
                &Segment::new(&answer, t + 20, t + 30),
                &mut count,
            );
        }
        let elapsed = started.elapsed();
        assert_eq!(paired, rounds * per);
        println!(
            "{name}: {:.0} ns per exchange",
            elapsed.as_nanos() as f64 / paired as f64
        );
    }
}
