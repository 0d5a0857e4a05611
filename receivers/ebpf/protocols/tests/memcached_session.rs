//! Memcached through whole sessions, on syscalls recorded from pymemcache
//! and a raw socket against memcached 1.6 (testdata/memcached, made by
//! testdata/record.py).

mod transcript;

use sonde_ebpf_protocols::memcached::{self, Status};
use sonde_ebpf_protocols::{
    detect, DescribeContext, DescribeOptions, Detection, Direction, Exchange, Family, Kind, Limits,
    Protocol, Request, Response, Role, UnpairedReason, Value,
};
use transcript::*;

const PYMEMCACHE: &str = include_str!("../testdata/memcached/pymemcache.trace");
const RAW: &str = include_str!("../testdata/memcached/raw.trace");
const RAW_SERVER: &str = include_str!("../testdata/memcached/raw.server.trace");

fn mc(x: &Exchange) -> (&memcached::Request, &memcached::Response) {
    match (&x.request, &x.response) {
        (Request::Memcached(q), Response::Memcached(r)) => (q, r),
        other => panic!("not Memcached: {other:?}"),
    }
}

/// `command | raw query text | status` per exchange; `!reason command` per
/// lone request.
fn lines(replay: &Replay) -> Vec<String> {
    replay
        .events
        .iter()
        .filter_map(|e| match e {
            sonde_ebpf_protocols::Event::Exchange(x) => {
                let (q, r) = mc(x);
                Some(format!(
                    "{} | {} | {}",
                    q.command(),
                    q.query_text(true),
                    r.status().as_str()
                ))
            }
            sonde_ebpf_protocols::Event::Unpaired(u) => match lone_request(u) {
                Some(Request::Memcached(q)) => {
                    Some(format!("!{:?} {}", u.reason, q.query_text(true)))
                }
                _ => Some(format!("!{:?} response", u.reason)),
            },
            _ => None,
        })
        .collect()
}

fn play(text: &str, c: usize, local: Role, limits: Limits, capture: usize) -> Replay {
    let mut replay = Replay::with_limits(Protocol::Memcached, local, limits);
    replay.capture = capture;
    replay.play(&conn(&load(text), c));
    replay.close();
    replay
}

fn client(text: &str, c: usize) -> Replay {
    play(text, c, Role::Client, Limits::default(), usize::MAX)
}

#[test]
fn pymemcache_pairs_every_command() {
    let all: Vec<String> = (0..3).flat_map(|c| lines(&client(PYMEMCACHE, c))).collect();
    assert_eq!(
        all,
        [
            "set | set user:1 0 60 5 | STORED",
            "get | get user:1 | VALUE",
            "get | get nothing | END",
            "get | get user:1 nothing user:2 | VALUE",
            "add | add user:1 0 0 5 | NOT_STORED",
            "add | add user:2 0 0 3 | STORED",
            "replace | replace user:3 0 0 1 | NOT_STORED",
            "append | append user:1 0 0 1 | STORED",
            "prepend | prepend user:1 0 0 1 | STORED",
            "gets | gets user:1 | VALUE",
            "cas | cas user:1 0 0 5 4 | STORED",
            "cas | cas user:1 0 0 4 4 | EXISTS",
            "gets | gets user:1 user:2 | VALUE",
            "set | set n 0 0 2 | STORED",
            "incr | incr n 5 | NUMBER",
            "decr | decr n 20 | NUMBER",
            "incr | incr absent 1 | NOT_FOUND",
            // pymemcache reconnects after an error.
            "incr | incr user:1 1 | CLIENT_ERROR",
            "touch | touch user:1 100 | TOUCHED",
            "touch | touch absent 100 | NOT_FOUND",
            "set | set big 0 0 100000 | STORED",
            "get | get big | VALUE",
            "set | set huge 0 0 2000000 | SERVER_ERROR",
            "delete | delete user:2 | DELETED",
            "delete | delete user:2 | NOT_FOUND",
            "!OneWay set quiet 0 0 1 noreply",
            "!OneWay delete quiet noreply",
            "version | version | VERSION",
            "stats | stats | STAT",
            "stats | stats slabs | STAT",
            "flush_all | flush_all 0 | OK",
            "!OneWay quit",
        ]
    );
    let c1 = client(PYMEMCACHE, 1);
    let xs = c1.exchanges();
    // set big: the line and its 100 kB data in one write.
    assert_eq!(xs[2].request_meta.bytes, 20 + 100_002);
    // get big: the VALUE line, 100 kB over 25 reads, END.
    let reads = conn(&load(PYMEMCACHE), 1)
        .iter()
        .skip_while(|r| !r.data.starts_with(b"VALUE big"))
        .take_while(|r| !r.wrote)
        .count() as u64;
    assert_eq!(reads, 25);
    assert_eq!(xs[3].response_meta.bytes, 20 + 100_002 + 5);
    assert_eq!(
        xs[3].response_meta.end_ns - xs[3].response_meta.start_ns,
        100 * (reads - 1) + 10
    );
    // set huge: memcached refuses 2 MB, and swallows the data as we skip it.
    assert_eq!(xs[4].request_meta.bytes, 22 + 2_000_002);
    for c in 0..3 {
        assert_eq!(client(PYMEMCACHE, c).session.stats().malformed, 0);
    }
}

#[test]
fn raw_socket_pipelines_meta_commands_and_errors() {
    let c = client(RAW, 0);
    assert_eq!(
        lines(&c),
        [
            "set | set k1 0 0 2 | STORED",
            "set | set k2 5 0 2 | STORED",
            "gat | gat 100 k1 k2 k3 | VALUE",
            "gats | gats 100 k1 | VALUE",
            "get | get k1 k2 | VALUE",
            "get | get k2 | VALUE",
            "version | version | VERSION",
            "mn | mn | MN",
            "ms | ms mk 2 T60 F3 | HD",
            "mg | mg mk v f t c | VA",
            "mg | mg missing v | EN",
            // Quiet: memcached keeps the miss to itself.
            "!OneWay mg missing v q",
            "mn | mn | MN",
            "md | md mk | HD",
            "ma | ma counter N0 J13 v | VA",
            "_OTHER | bogus | ERROR",
            "set | set bad 0 0 notanumber | CLIENT_ERROR",
            "!OneWay set k3 0 0 2 noreply",
            "get | get k3 | VALUE",
            "verbosity | verbosity 1 | OK",
            "stats | stats items | STAT",
        ]
    );
    // Three commands in one write, their answers in one read.
    let xs = c.exchanges();
    assert_eq!(xs[4].request_meta.start_ns, xs[6].request_meta.start_ns);
    assert_eq!(xs[4].response_meta.end_ns, xs[6].response_meta.end_ns);
    assert_eq!(
        (
            xs[4].response_meta.bytes,
            xs[5].response_meta.bytes,
            xs[6].response_meta.bytes
        ),
        (41, 23, 16)
    );
    // The server's own view, recorded with it, pairs the same.
    let s = play(RAW_SERVER, 0, Role::Server, Limits::default(), usize::MAX);
    assert_eq!(lines(&s), lines(&c));
    assert!(s.exchanges().iter().all(|x| x.role == Role::Server));
}

#[test]
fn descriptions_follow_the_database_conventions() {
    let c = client(PYMEMCACHE, 0);
    let xs = c.exchanges();
    let describe = |x: &Exchange, raw: bool| {
        let options = DescribeOptions {
            raw_query_text: raw,
        };
        x.request
            .describe(
                Some(&x.response),
                DescribeContext {
                    role: x.role,
                    options: &options,
                },
            )
            .unwrap()
    };
    let set = describe(xs[0], false);
    assert_eq!((set.family, set.name.as_str()), (Family::Db, "set"));
    let text = |d: &sonde_ebpf_protocols::Description, key| d.attribute(key).cloned();
    assert_eq!(
        text(&set, "db.system.name"),
        Some(Value::Str("memcached".into()))
    );
    assert_eq!(
        text(&set, "db.operation.name"),
        Some(Value::Str("set".into()))
    );
    assert_eq!(
        text(&set, "db.query.text"),
        Some(Value::Str("set ? ? ? ?".into()))
    );
    assert_eq!(text(&set, "db.response.status_code"), None);
    assert!(!set.failed);
    assert_eq!(
        text(&describe(xs[0], true), "db.query.text"),
        Some(Value::Str("set user:1 0 60 5".into()))
    );
    // Not stored: a status code, not a failure.
    let add = describe(xs[4], false);
    assert_eq!(
        text(&add, "db.response.status_code"),
        Some(Value::Str("NOT_STORED".into()))
    );
    assert!(!add.failed && add.error_type.is_none());
    // CLIENT_ERROR: a failure.
    let incr = describe(xs[17], false);
    assert_eq!(
        (incr.failed, incr.error_type.as_deref()),
        (true, Some("CLIENT_ERROR"))
    );
    assert_eq!(
        text(&incr, "db.response.status_code"),
        Some(Value::Str("CLIENT_ERROR".into()))
    );
    // A one-way request is described without an answer.
    let c2 = client(PYMEMCACHE, 2);
    let lone = c2.unpaired_for(UnpairedReason::OneWay);
    let q = lone_request(lone[0]).unwrap();
    let d = q
        .describe(
            None,
            DescribeContext {
                role: Role::Client,
                options: &DescribeOptions::default(),
            },
        )
        .unwrap();
    assert_eq!(
        (d.name.as_str(), text(&d, "db.query.text")),
        ("set", Some(Value::Str("set ? ? ? ? noreply".into())))
    );
}

#[test]
fn every_split_of_every_syscall_gives_the_same_exchanges() {
    for (text, c) in [(PYMEMCACHE, 0), (PYMEMCACHE, 1), (PYMEMCACHE, 2), (RAW, 0)] {
        let whole = lines(&client(text, c));
        for size in [1, 2, 3, 5, 7, 13, 64, 1000] {
            let mut r = Replay::new(Protocol::Memcached, Role::Client);
            r.play_in_pieces(&conn(&load(text), c), size);
            r.close();
            assert_eq!(lines(&r), whole, "pieces of {size}");
            assert_eq!(r.session.stats().malformed, 0);
        }
    }
}

#[test]
fn values_and_listings_are_never_buffered() {
    let small = Limits {
        max_pending: 64,
        max_buffer: 256,
    };
    for (text, c) in [(PYMEMCACHE, 0), (PYMEMCACHE, 1), (PYMEMCACHE, 2), (RAW, 0)] {
        let r = play(text, c, Role::Client, small, usize::MAX);
        assert_eq!(lines(&r), lines(&client(text, c)));
    }
}

#[test]
fn a_capture_of_1_kib_keeps_the_pairing() {
    for (text, c) in [(PYMEMCACHE, 0), (PYMEMCACHE, 1), (PYMEMCACHE, 2), (RAW, 0)] {
        let cut = play(text, c, Role::Client, Limits::default(), 1024);
        let full = client(text, c);
        let commands = |r: &Replay| -> Vec<(String, Status)> {
            r.exchanges()
                .iter()
                .map(|x| (mc(x).0.command().to_owned(), mc(x).1.status()))
                .collect()
        };
        assert_eq!(commands(&cut), commands(&full));
    }
    // `stats` answers 2 kB: cut after its first KiB, the listing is taken
    // to end with the read.
    let cut = play(PYMEMCACHE, 2, Role::Client, Limits::default(), 1024);
    let stats = cut
        .exchanges()
        .into_iter()
        .find(|x| mc(x).0.query_text(true) == "stats")
        .unwrap();
    assert!(stats.response_meta.truncated);
}

#[test]
fn requests_are_detected_and_replies_are_not() {
    for text in [PYMEMCACHE, RAW] {
        for r in load(text) {
            let first = &r.data[..r.data.len().min(16)];
            let found = detect(first, Direction::Egress);
            let is_command_line = r.wrote
                && !first.starts_with(b"bogus")
                && !first.starts_with(b"quit")
                && !first.starts_with(b"v") // a data block written alone
                && !first.starts_with(b"h");
            if is_command_line {
                assert_eq!(
                    found,
                    Some(Detection {
                        protocol: Protocol::Memcached,
                        kind: Kind::Request
                    }),
                    "{first:?}"
                );
            } else if !r.wrote {
                assert_eq!(found, None, "{first:?}");
            }
        }
    }
    for other in [
        &b"GET / HTTP/1.1\r\n"[..],
        b"*1\r\n$4\r\nPING\r\n",
        b"getaway",
        b"stats_x",
        b"STORED\r\n",
        b"Set x",
        b"\x09\x00\x00\x00\x03SELECT 1",
    ] {
        assert_ne!(
            detect(other, Direction::Egress).map(|d| d.protocol),
            Some(Protocol::Memcached),
            "{other:?}"
        );
    }
}
