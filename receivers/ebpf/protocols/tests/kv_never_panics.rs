//! Redis and Memcached under the fuzz targets' path without nightly: the
//! recorded syscalls, cut, truncated, corrupted, sent the wrong way and
//! interleaved, pushed through sessions. Nothing may panic, and what comes
//! out must be sane.

mod common;
mod transcript;

use common::Rng;
use sonde_ebpf_protocols::{
    DescribeContext, DescribeOptions, Direction, Event, Limits, Meta, Protocol, Role, Segment,
    Session,
};

const REDIS: [&str; 7] = [
    include_str!("../testdata/redis/redis_cli_resp3.trace"),
    include_str!("../testdata/redis/resp3_types.trace"),
    include_str!("../testdata/redis/redis_py.trace"),
    include_str!("../testdata/redis/redis_py_pubsub_resp2.trace"),
    include_str!("../testdata/redis/redis_py_pubsub_resp3.trace"),
    include_str!("../testdata/redis/inline.trace"),
    include_str!("../testdata/redis/benchmark_p16.trace"),
];

const MEMCACHED: [&str; 2] = [
    include_str!("../testdata/memcached/pymemcache.trace"),
    include_str!("../testdata/memcached/raw.trace"),
];

/// Every syscall of the recordings, as (bytes, sent by the client), large
/// ones shortened so the corpus stays quick.
fn corpus(texts: &[&str]) -> Vec<(Vec<u8>, bool)> {
    texts
        .iter()
        .flat_map(|t| transcript::load(t))
        .map(|r| {
            let mut data = r.data;
            data.truncate(8192);
            (data, r.wrote)
        })
        .collect()
}

fn check_meta(m: &Meta) {
    assert!(m.start_ns <= m.end_ns, "{m:?}");
    assert!(
        m.first_exit_ns <= m.end_ns && m.start_ns <= m.last_enter_ns,
        "{m:?}"
    );
}

fn run(protocol: Protocol, corpus: &[(Vec<u8>, bool)], seed: u64) {
    let mut rng = Rng::new(seed);
    let options = DescribeOptions {
        raw_query_text: true,
    };
    let mut exchanges = 0u64;
    for _ in 0..3_000 {
        let local = if rng.below(2) == 0 {
            Role::Client
        } else {
            Role::Server
        };
        let limits = Limits {
            max_pending: 1 + rng.below(8),
            max_buffer: 64 + rng.below(4096),
        };
        let mut session = Session::new(protocol, local, limits);
        let mut t = 0u64;
        let mut seen = 0u64;
        let mut check = |e: Event| {
            match &e {
                Event::Exchange(x) => {
                    check_meta(&x.request_meta);
                    check_meta(&x.response_meta);
                    let cx = DescribeContext {
                        role: x.role,
                        options: &options,
                    };
                    let d = x.request.describe(Some(&x.response), cx).unwrap();
                    assert!(!d.name.is_empty());
                    exchanges += 1;
                }
                Event::Unpaired(u) => check_meta(&u.meta),
                Event::Started(_) => {}
            }
            seen += 1;
        };
        // A run of consecutive syscalls from a random place, so requests
        // and their answers meet.
        let start = rng.below(corpus.len());
        for (data, by_client) in corpus.iter().skip(start).take(1 + rng.below(16)) {
            let mut data = data.clone();
            for _ in 0..rng.below(3) {
                if data.is_empty() {
                    break;
                }
                let i = rng.below(data.len());
                data[i] = match rng.below(5) {
                    0 => b'\r',
                    1 => b'\n',
                    2 => b"*$:+-_>%|!VE"[rng.below(12)],
                    3 => b'0' + rng.below(10) as u8,
                    _ => rng.next() as u8,
                };
            }
            let by_client = if rng.below(12) == 0 {
                !by_client
            } else {
                *by_client
            };
            let direction = if by_client == (local == Role::Client) {
                Direction::Egress
            } else {
                Direction::Ingress
            };
            // Cut into 1-4 syscalls, each maybe captured only in part.
            let mut at = 0;
            let parts = 1 + rng.below(4);
            for p in 0..parts {
                let end = if p + 1 == parts {
                    data.len()
                } else {
                    at + rng.below(data.len() - at + 1)
                };
                let piece = &data[at..end];
                at = end;
                let (captured, len) = if rng.below(3) == 0 {
                    let captured = rng.below(piece.len() + 1);
                    (captured, piece.len() + rng.below(3) * rng.below(5000))
                } else {
                    (piece.len(), piece.len())
                };
                let seg = Segment::new(&piece[..captured], t, t + 5).with_len(len);
                session.push(direction, &seg, &mut check);
                t += 10;
            }
            if rng.below(20) == 0 {
                session.expire(t / 2, &mut check);
            }
        }
        session.close(&mut check);
        let stats = *session.stats();
        assert!(stats.segments > 0);
        let _ = seen;
    }
    assert!(exchanges > 1000, "only {exchanges} exchanges");
}

#[test]
fn redis_never_panics() {
    run(Protocol::Redis, &corpus(&REDIS), 0x0b5e_55ed);
}

#[test]
fn memcached_never_panics() {
    run(Protocol::Memcached, &corpus(&MEMCACHED), 0x5eed_0fc0_ffee);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(7);
    for protocol in [Protocol::Redis, Protocol::Memcached] {
        for _ in 0..2_000 {
            let mut session = Session::new(protocol, Role::Client, Limits::default());
            let mut t = 0;
            for _ in 0..rng.below(8) {
                let n = rng.below(300);
                let mut bytes = rng.bytes(n);
                // Mostly protocol-looking bytes.
                for b in bytes.iter_mut() {
                    if rng.below(2) == 0 {
                        *b = b"*$:+-_>%|!\r\n0123456789 VALUEND getsmn"[rng.below(37)];
                    }
                }
                let direction = if rng.below(2) == 0 {
                    Direction::Egress
                } else {
                    Direction::Ingress
                };
                let seg =
                    Segment::new(&bytes, t, t + 5).with_len(n + rng.below(2) * rng.below(100));
                session.push(direction, &seg, |_| {});
                t += 10;
            }
            session.close(|_| {});
        }
    }
}
