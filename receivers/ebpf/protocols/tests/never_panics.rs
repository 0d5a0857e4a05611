//! The fuzz target's path without nightly: a fixed pseudo-random corpus of
//! recorded messages, cut, truncated, corrupted and interleaved, pushed
//! through sessions. Nothing may panic, and what comes out must be sane.

mod common;

use common::*;
use sonde_ebpf_protocols::{Event, Limits, Meta, Role};

const FIXTURES: [&[u8]; 16] = [
    include_bytes!("../testdata/http1/curl_get.req"),
    include_bytes!("../testdata/http1/curl_head.req"),
    include_bytes!("../testdata/http1/curl_post_json.req"),
    include_bytes!("../testdata/http1/curl_post_chunked.req"),
    include_bytes!("../testdata/http1/wrk_get3.req"),
    include_bytes!("../testdata/http1/py_get.resp"),
    include_bytes!("../testdata/http1/py_head.resp"),
    include_bytes!("../testdata/http1/py_404.resp"),
    include_bytes!("../testdata/http1/nginx_keepalive.resp"),
    include_bytes!("../testdata/http1/nginx_pipelined.resp"),
    include_bytes!("../testdata/http1/nginx_gzip_chunked.resp"),
    include_bytes!("../testdata/http1/nginx_continue.resp"),
    include_bytes!("../testdata/http1/nginx_304.resp"),
    include_bytes!("../testdata/http1/nginx_close.resp"),
    include_bytes!("../testdata/http1/nginx_big.resp"),
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n\r\n",
];

/// Some bytes to send, and who sends them: a fixture, maybe corrupted, or garbage.
fn payload(rng: &mut Rng) -> (Vec<u8>, Role) {
    let (mut bytes, from) = match rng.below(10) {
        0 => {
            let n = rng.below(600);
            (rng.bytes(n), Role::Client)
        }
        _ => {
            let i = rng.below(FIXTURES.len());
            // The first five fixtures are requests.
            (
                FIXTURES[i].to_vec(),
                if i < 5 { Role::Client } else { Role::Server },
            )
        }
    };
    for _ in 0..rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let i = rng.below(bytes.len());
        bytes[i] = match rng.below(4) {
            0 => b'\r',
            1 => b'\n',
            2 => b'0' + rng.below(10) as u8,
            _ => rng.next() as u8,
        };
    }
    // Now and then the wrong way round.
    let from = if rng.below(10) == 0 {
        from.peer()
    } else {
        from
    };
    (bytes, from)
}

fn check_meta(m: &Meta) {
    assert!(m.start_ns <= m.end_ns, "{m:?}");
    assert!(
        m.start_ns.is_multiple_of(100) && m.end_ns % 100 == 10,
        "{m:?}"
    );
    // The first syscall returned 10 ns after it entered; the last entered 10 ns
    // before it returned.
    assert_eq!(
        (m.first_exit_ns, m.last_enter_ns),
        (m.start_ns + 10, m.end_ns - 10),
        "{m:?}"
    );
}

#[test]
fn a_seeded_corpus_never_panics() {
    let mut rng = Rng::new(0x0b5e_55ed);
    let mut totals = (0usize, 0usize);
    for round in 0..10_000 {
        let local = if rng.below(2) == 0 {
            Role::Client
        } else {
            Role::Server
        };
        let limits = Limits {
            max_pending: 1 + rng.below(8),
            max_buffer: 64 + rng.below(4096),
        };
        let mut c = Conn::with_limits(local, limits);
        let mut pushed = 0;
        for _ in 0..rng.below(12) {
            let (bytes, from) = payload(&mut rng);
            let direction = if from == local { OUT } else { IN };
            // Cut into 1-4 syscalls, each maybe captured only in part.
            let mut at = 0;
            let parts = 1 + rng.below(4);
            for p in 0..parts {
                let end = if p + 1 == parts {
                    bytes.len()
                } else {
                    at + rng.below(bytes.len() - at + 1)
                };
                let piece = &bytes[at..end];
                at = end;
                if rng.below(3) == 0 {
                    let captured = rng.below(piece.len() + 1);
                    let extra = rng.below(3) * rng.below(5000);
                    c.push_cut(direction, &piece[..captured], piece.len() + extra);
                } else {
                    c.push(direction, piece);
                }
                pushed += 1;
            }
            if rng.below(20) == 0 {
                let events = &mut c.events;
                c.session.expire(enter(c.segments / 2), |e| events.push(e));
            }
        }
        c.close();
        let stats = *c.session.stats();
        assert_eq!(stats.segments, pushed, "round {round}");
        let exchanges = c.exchanges().len() as u64;
        assert!(
            2 * exchanges <= stats.messages,
            "round {round}: {exchanges} exchanges of {} messages",
            stats.messages
        );
        for e in &c.events {
            match e {
                Event::Exchange(x) => {
                    check_meta(&x.request_meta);
                    check_meta(&x.response_meta);
                }
                Event::Unpaired(u) => check_meta(&u.meta),
                Event::Started(_) => unreachable!("kept apart by the harness"),
            }
        }
        // Every exchange was announced when its request began.
        assert!(c.started.len() as u64 >= exchanges, "round {round}");
        // A closed session holds nothing: closing again reports nothing.
        let before = c.events.len();
        c.close();
        assert_eq!(c.events.len(), before, "round {round}");
        totals.0 += c.exchanges().len();
        totals.1 += c.unpaired().len();
    }
    // The corpus exercises pairing, not only rejection.
    eprintln!("exchanges, unpaired: {totals:?}");
    assert!(totals.0 > 4_000 && totals.1 > 10_000, "{totals:?}");
}
