//! Redis through whole sessions, on syscalls recorded from redis-cli,
//! redis-py, redis-benchmark and raw sockets against redis-server 7.0
//! (testdata/redis, made by testdata/record.py).

mod transcript;

use sonde_ebpf_protocols::redis::{self, Type};
use sonde_ebpf_protocols::{
    detect, DescribeContext, DescribeOptions, Detection, Direction, Event, Exchange, Family, Kind,
    Limits, Protocol, Request, Response, Role, UnpairedReason, Value,
};
use transcript::*;

const REDIS_CLI: &str = include_str!("../testdata/redis/redis_cli.trace");
const REDIS_CLI_RESP3: &str = include_str!("../testdata/redis/redis_cli_resp3.trace");
const RESP3_TYPES: &str = include_str!("../testdata/redis/resp3_types.trace");
const REDIS_PY: &str = include_str!("../testdata/redis/redis_py.trace");
const PUBSUB_RESP2: &str = include_str!("../testdata/redis/redis_py_pubsub_resp2.trace");
const PUBSUB_RESP3: &str = include_str!("../testdata/redis/redis_py_pubsub_resp3.trace");
const INLINE: &str = include_str!("../testdata/redis/inline.trace");
const BENCHMARK: &str = include_str!("../testdata/redis/benchmark_p16.trace");
const BENCHMARK_SERVER: &str = include_str!("../testdata/redis/benchmark_p16.server.trace");

const ALL: [&str; 9] = [
    REDIS_CLI,
    REDIS_CLI_RESP3,
    RESP3_TYPES,
    REDIS_PY,
    PUBSUB_RESP2,
    PUBSUB_RESP3,
    INLINE,
    BENCHMARK,
    BENCHMARK_SERVER,
];

fn redis(x: &Exchange) -> (&redis::Request, &redis::Response) {
    match (&x.request, &x.response) {
        (Request::Redis(q), Response::Redis(r)) => (q, r),
        other => panic!("not Redis: {other:?}"),
    }
}

/// One line per exchange: operation, query text (raw), reply type, error.
fn lines(replay: &Replay) -> Vec<String> {
    replay
        .exchanges()
        .iter()
        .map(|x| {
            let (q, r) = redis(x);
            format!(
                "{} | {} | {:?}{}",
                q.operation(),
                q.query_text(true),
                r.kind(),
                r.error().map(|e| format!(" {e}")).unwrap_or_default()
            )
        })
        .collect()
}

/// Every connection of a transcript, each through its own session.
fn replay_all(text: &str, local: Role, limits: Limits, capture: usize) -> Vec<Replay> {
    let records = load(text);
    let conns = records.iter().map(|r| r.conn).max().map_or(0, |n| n + 1);
    (0..conns)
        .map(|c| {
            let mut replay = Replay::with_limits(Protocol::Redis, local, limits);
            replay.capture = capture;
            replay.play(&conn(&records, c));
            replay.close();
            replay
        })
        .collect()
}

/// How many requests the client side wrote, counted by a plain RESP reader.
fn requests_written(records: &[Record]) -> usize {
    let mut n = 0;
    for r in records.iter().filter(|r| r.wrote) {
        let mut at = 0;
        let d = &r.data;
        while at < d.len() {
            if d[at] == b'*' {
                let line_end = at + d[at..].windows(2).position(|w| w == b"\r\n").unwrap();
                let count: usize = std::str::from_utf8(&d[at + 1..line_end])
                    .unwrap()
                    .parse()
                    .unwrap();
                at = line_end + 2;
                for _ in 0..count {
                    let le = at + d[at..].windows(2).position(|w| w == b"\r\n").unwrap();
                    let len: usize = std::str::from_utf8(&d[at + 1..le])
                        .unwrap()
                        .parse()
                        .unwrap();
                    at = le + 2 + len + 2;
                }
                n += 1;
            } else {
                // Inline, or the payload of a bulk written on its own.
                if d[at].is_ascii_alphabetic() && r.data.len() < 100 {
                    n += 1;
                }
                at = d.len();
            }
        }
    }
    n
}

#[test]
fn redis_cli_pairs_every_command_with_its_reply() {
    let records = load(REDIS_CLI);
    let mut c = Replay::new(Protocol::Redis, Role::Client);
    c.play(&records);
    c.close();
    assert!(c.unpaired().is_empty(), "{:?}", c.unpaired());
    let stats = *c.session.stats();
    assert_eq!((stats.malformed, stats.dropped_bytes), (0, 0), "{stats:?}");
    let lines = lines(&c);
    assert_eq!(lines.len(), 33);
    assert_eq!(lines.len(), requests_written(&records));
    let expected = [
        "COMMAND DOCS | COMMAND DOCS | Array",
        "PING | PING | SimpleString",
        "SET | SET user:1 alice | SimpleString",
        "GET | GET user:1 | BulkString",
        "GET | GET nothing | BulkString",
        "INCR | INCR counter | Integer",
        "INCRBY | INCRBY counter 41 | Integer",
        "LPUSH | LPUSH user:1 x | Error WRONGTYPE",
        "FOO | FOO bar | Error ERR",
        r#"SET | SET "key with space" "value\twith\ttabs" | SimpleString"#,
        r#"DEL | DEL user:1 counter "key with space" | Integer"#,
    ];
    assert_eq!(lines[..expected.len()], expected);
    let tail = [
        "CONFIG GET | CONFIG GET maxmemory | Array",
        "CLIENT SETNAME | CLIENT SETNAME recorder | SimpleString",
        "CLIENT GETNAME | CLIENT GETNAME | BulkString",
        "SELECT | SELECT 3 | SimpleString",
        "SET | SET k3 v3 | SimpleString",
        "EXISTS | EXISTS k3 | Integer",
        "SCAN | SCAN 0 COUNT 100 | Array",
        "MULTI | MULTI | SimpleString",
        "SET | SET a 1 | SimpleString",
        "INCR | INCR a | SimpleString",
        "LPUSH | LPUSH a oops | SimpleString",
        "EXEC | EXEC | Array",
        r#"EVAL | EVAL "return {1,2,{3,'x'}}" 0 | Array"#,
    ];
    assert_eq!(lines[lines.len() - tail.len()..], tail);

    // COMMAND DOCS: a 172 kB reply of arrays nested 12 deep, read in 16 kB
    // pieces, walked without being buffered.
    let docs = c.exchanges()[0];
    let reply: usize = records[1..]
        .iter()
        .take_while(|r| !r.wrote)
        .map(|r| r.data.len())
        .sum();
    assert_eq!(docs.response_meta.bytes, reply as u64);
    assert_eq!(reply, 172_298);
    let reads = records[1..].iter().take_while(|r| !r.wrote).count() as u64;
    assert_eq!(reads, 11);
    assert_eq!(
        (docs.response_meta.start_ns, docs.response_meta.end_ns),
        (100, 100 * reads + 10)
    );
    assert!(!docs.response_meta.truncated);

    // The database index follows SELECT.
    let dbs: Vec<_> = c.exchanges().iter().map(|x| redis(x).0.db()).collect();
    let select = lines.iter().position(|l| l.starts_with("SELECT")).unwrap();
    assert!(dbs[..select].iter().all(Option::is_none));
    assert!(dbs[select..].iter().all(|d| *d == Some(3)));
}

#[test]
fn descriptions_follow_the_database_conventions() {
    let mut c = Replay::new(Protocol::Redis, Role::Client);
    c.play(&load(REDIS_CLI));
    let sanitized = DescribeOptions::default();
    let raw = DescribeOptions {
        raw_query_text: true,
    };
    let describe = |x: &Exchange, options| {
        x.request
            .describe(
                Some(&x.response),
                DescribeContext {
                    role: x.role,
                    options,
                },
            )
            .unwrap()
    };
    let xs = c.exchanges();
    let set = describe(xs[2], &sanitized);
    assert_eq!(set.family, Family::Db);
    assert_eq!(set.name, "SET");
    assert_eq!(
        set.attribute("db.system.name"),
        Some(&Value::Str("redis".into()))
    );
    assert_eq!(
        set.attribute("db.operation.name"),
        Some(&Value::Str("SET".into()))
    );
    assert_eq!(
        set.attribute("db.query.text"),
        Some(&Value::Str("SET ? ?".into()))
    );
    assert_eq!(set.attribute("db.namespace"), None);
    assert_eq!(set.attribute("db.collection.name"), None);
    assert!(!set.failed && set.error_type.is_none());
    assert_eq!(
        describe(xs[2], &raw).attribute("db.query.text"),
        Some(&Value::Str("SET user:1 alice".into()))
    );

    let wrongtype = describe(xs[7], &sanitized);
    assert!(wrongtype.failed);
    assert_eq!(wrongtype.error_type.as_deref(), Some("WRONGTYPE"));
    assert_eq!(
        wrongtype.attribute("db.response.status_code"),
        Some(&Value::Str("WRONGTYPE".into()))
    );

    let config = describe(xs[20], &sanitized);
    assert_eq!(config.name, "CONFIG GET");
    assert_eq!(
        config.attribute("db.query.text"),
        Some(&Value::Str("CONFIG GET ?".into()))
    );
    let after_select = describe(xs[24], &sanitized);
    assert_eq!(
        after_select.attribute("db.namespace"),
        Some(&Value::Str("3".into()))
    );
    // EXEC succeeds though one command inside it failed.
    let exec = describe(xs[31], &sanitized);
    assert_eq!((exec.name.as_str(), exec.failed), ("EXEC", false));
}

#[test]
fn redis_benchmark_pipelines_of_16_pair_exactly_on_both_sides() {
    for (text, local) in [(BENCHMARK, Role::Client), (BENCHMARK_SERVER, Role::Server)] {
        let records = load(text);
        for (n, op) in [(1, "SET"), (2, "GET")] {
            let mut c = Replay::new(Protocol::Redis, local);
            c.play(&conn(&records, n));
            c.close();
            assert!(c.unpaired().is_empty());
            let xs = c.exchanges();
            assert_eq!(xs.len(), 48);
            for (i, x) in xs.iter().enumerate() {
                let (q, r) = redis(x);
                assert_eq!((q.operation(), x.role), (op.to_owned(), local));
                assert_eq!(
                    r.kind(),
                    if op == "SET" {
                        Type::SimpleString
                    } else {
                        Type::BulkString
                    }
                );
                // Batch b: its 16 requests in syscall 2b, its 16 replies in 2b+1.
                let b = (i / 16) as u64;
                assert_eq!(x.request_meta.start_ns, 200 * b);
                assert_eq!(x.response_meta.end_ns, 200 * b + 110);
                assert_eq!(
                    x.request_meta.tcp_seq,
                    2000 * b as u32 + (i % 16) as u32 * x.request_meta.bytes as u32
                );
            }
            assert_eq!(c.started.len(), 48);
        }
    }
    // The first connection pipelines two CONFIG GETs.
    let mut c = Replay::new(Protocol::Redis, Role::Client);
    c.play(&conn(&load(BENCHMARK), 0));
    assert_eq!(
        lines(&c),
        [
            "CONFIG GET | CONFIG GET save | Array",
            "CONFIG GET | CONFIG GET appendonly | Array"
        ]
    );
}

#[test]
fn the_server_side_of_each_client_recording_pairs_the_same() {
    for text in [REDIS_CLI, REDIS_PY, RESP3_TYPES, INLINE] {
        let records = load(text);
        let mut client = Replay::new(Protocol::Redis, Role::Client);
        client.play(&records);
        let mut server = Replay::new(Protocol::Redis, Role::Server);
        server.play_as_peer(&records);
        assert_eq!(lines(&client), lines(&server));
        assert!(server.exchanges().iter().all(|x| x.role == Role::Server));
    }
}

#[test]
fn redis_py_large_values_pipelines_and_transactions() {
    let records = load(REDIS_PY);
    let mut c = Replay::new(Protocol::Redis, Role::Client);
    c.play(&records);
    c.close();
    assert!(c.unpaired().is_empty());
    let lines = lines(&c);
    assert_eq!(lines.len(), requests_written(&records));
    assert_eq!(
        lines[..10],
        [
            "HELLO | HELLO 3 | Map",
            "CLIENT MAINT_NOTIFICATIONS | CLIENT MAINT_NOTIFICATIONS ON moving-endpoint-type internal-fqdn | Error ERR",
            "CLIENT SETINFO | CLIENT SETINFO LIB-NAME redis-py | Error ERR",
            "CLIENT SETINFO | CLIENT SETINFO LIB-VER 8.1.0 | Error ERR",
            "SELECT | SELECT 2 | SimpleString",
            "SET | SET small v | SimpleString",
            // The 100 kB value is not kept: its payload was skipped.
            "SET | SET big ... | SimpleString",
            "GET | GET big | BulkString",
            "LPUSH | LPUSH small x | Error WRONGTYPE",
            "MSET | MSET m1 1 m2 2 m3 3 | SimpleString",
        ]
    );
    // SET big: the header, the payload and its \r\n in three writes.
    let xs = c.exchanges();
    assert_eq!(xs[6].request_meta.bytes, 31 + 100_002);
    assert_eq!(
        (xs[6].request_meta.start_ns, xs[6].request_meta.end_ns),
        (1200, 1410)
    );
    // GET big: a 100 kB reply over four reads.
    assert_eq!(xs[7].response_meta.bytes, 100_011);
    // MULTI, four QUEUED, then EXEC's array (with an error inside).
    let multi = lines.iter().position(|l| l.starts_with("MULTI")).unwrap();
    assert_eq!(
        lines[multi..multi + 6],
        [
            "MULTI | MULTI | SimpleString",
            "SET | SET t 1 | SimpleString",
            "INCRBY | INCRBY t 1 | SimpleString",
            "GET | GET t | SimpleString",
            "LRANGE | LRANGE t 0 -1 | SimpleString",
            "EXEC | EXEC | Array",
        ]
    );
    // A 20-command pipeline in one write, 20 replies in one read.
    let pipeline: Vec<_> = xs
        .iter()
        .filter(|x| redis(x).0.query_text(true).starts_with("SET p"))
        .collect();
    assert_eq!(pipeline.len(), 20);
    assert!(pipeline
        .iter()
        .all(|x| x.request_meta.start_ns == pipeline[0].request_meta.start_ns));
    assert_eq!(
        xs.iter().filter(|x| redis(x).0.command() == "SCAN").count(),
        load(REDIS_PY)
            .iter()
            .filter(|r| r.wrote && r.data.windows(4).any(|w| w == b"SCAN"))
            .count()
    );
    assert!(xs[5..].iter().all(|x| redis(x).0.db() == Some(2)));
}

#[test]
fn resp3_types_pair_and_pushes_are_unsolicited() {
    let mut c = Replay::new(Protocol::Redis, Role::Client);
    c.play(&load(RESP3_TYPES));
    c.close();
    let kinds: Vec<_> = c.exchanges().iter().map(|x| redis(x).1.kind()).collect();
    assert_eq!(
        kinds,
        [
            Type::Map,
            Type::Attribute,
            Type::BigNumber,
            Type::Boolean,
            Type::Boolean,
            Type::VerbatimString,
            Type::Null,
            Type::Double,
            Type::Map,
            Type::Set,
            Type::SimpleString,
            Type::Null,
            Type::SimpleString,
            Type::Array,
            Type::Array,
        ]
    );
    // The invalidation push came in the same read as SET's +OK.
    let pushes = c.unpaired_for(UnpairedReason::Unsolicited);
    assert_eq!(pushes.len(), 1);
    let push = lone_response(pushes[0]).unwrap();
    let Response::Redis(push) = push else {
        panic!()
    };
    assert_eq!((push.kind(), push.is_pushed()), (Type::Push, true));
    assert_eq!(c.unpaired().len(), 1);

    let mut c = Replay::new(Protocol::Redis, Role::Client);
    c.play(&load(REDIS_CLI_RESP3));
    c.close();
    assert!(c.unpaired().is_empty());
    let lines = lines(&c);
    assert_eq!(
        lines[..3],
        [
            "HELLO | HELLO 3 | Map",
            "COMMAND DOCS | COMMAND DOCS | Map",
            "HELLO | HELLO 3 | Map"
        ]
    );
    assert_eq!(
        lines[3..],
        [
            "HSET | HSET h f1 v1 f2 v2 | Integer",
            "HGETALL | HGETALL h | Map",
            "SADD | SADD s m1 m2 | Integer",
            "SMEMBERS | SMEMBERS s | Set",
            "ZADD | ZADD z 1.5 one | Integer",
            "ZSCORE | ZSCORE z one | Double",
            "GET | GET nothing | Null",
            "XADD | XADD st 1-1 f v | BulkString",
            "XRANGE | XRANGE st - + | Array",
            "FOO | FOO | Error ERR",
        ]
    );
}

#[test]
fn pubsub_confirmations_pair_with_their_command_and_messages_are_unsolicited() {
    for text in [PUBSUB_RESP2, PUBSUB_RESP3] {
        let records = load(text);
        let mut c = Replay::new(Protocol::Redis, Role::Client);
        c.play(&conn(&records, 0));
        c.close();
        let ops: Vec<_> = c
            .exchanges()
            .iter()
            .map(|x| redis(x).0.operation())
            .filter(|o| !o.starts_with("CLIENT") && o != "HELLO")
            .collect();
        assert_eq!(
            ops,
            [
                "SUBSCRIBE",
                "PSUBSCRIBE",
                "PING",
                "UNSUBSCRIBE",
                "PUNSUBSCRIBE"
            ]
        );
        // The second channel's confirmation (twice: subscribe and
        // unsubscribe) and the two published messages.
        let lone = c.unpaired();
        assert_eq!(lone.len(), 4, "{lone:?}");
        assert!(lone
            .iter()
            .all(|u| u.reason == UnpairedReason::Unsolicited && u.role == Role::Client));
        // The publisher's connection is plain request and reply.
        let mut p = Replay::new(Protocol::Redis, Role::Client);
        p.play(&conn(&records, 1));
        assert!(p.unpaired().is_empty());
        assert_eq!(
            lines(&p)
                .iter()
                .filter(|l| l.starts_with("PUBLISH"))
                .count(),
            2
        );
    }
}

#[test]
fn inline_commands_are_words_on_a_line() {
    let mut c = Replay::new(Protocol::Redis, Role::Client);
    c.play(&load(INLINE));
    c.close();
    assert!(c.unpaired().is_empty());
    assert_eq!(
        lines(&c),
        [
            "PING | PING | SimpleString",
            "SET | SET inline 'hello world' | SimpleString",
            "GET | GET inline | BulkString",
            "EXISTS | EXISTS inline | Integer",
            "BOGUS | BOGUS | Error ERR",
        ]
    );
    let set = redis(c.exchanges()[1]).0;
    assert_eq!((set.args(), set.is_inline()), (2, true));
    assert_eq!(set.query_text(false), "SET ? ?");
}

#[test]
fn every_split_of_every_syscall_gives_the_same_exchanges() {
    for text in [
        REDIS_CLI_RESP3,
        RESP3_TYPES,
        REDIS_PY,
        INLINE,
        BENCHMARK,
        PUBSUB_RESP2,
    ] {
        let records = load(text);
        let whole = {
            let mut c = Replay::new(Protocol::Redis, Role::Client);
            c.play(&conn(&records, 0));
            c.close();
            (lines(&c), c.unpaired().len())
        };
        for size in [1, 2, 3, 5, 7, 13, 64, 1000] {
            let mut c = Replay::new(Protocol::Redis, Role::Client);
            c.play_in_pieces(&conn(&records, 0), size);
            c.close();
            assert_eq!((lines(&c), c.unpaired().len()), whole, "pieces of {size}");
            assert_eq!(c.session.stats().malformed, 0);
        }
    }
}

#[test]
fn nothing_larger_than_a_type_line_is_buffered() {
    // With 256 bytes of buffer per direction, every recording still pairs
    // as with the default 32 KiB: values and long replies are never held.
    for text in ALL {
        let small = Limits {
            max_pending: 64,
            max_buffer: 256,
        };
        let roomy = Limits::default();
        let local = if text == BENCHMARK_SERVER {
            Role::Server
        } else {
            Role::Client
        };
        let a = replay_all(text, local, small, usize::MAX);
        let b = replay_all(text, local, roomy, usize::MAX);
        for (a, b) in a.iter().zip(&b) {
            assert_eq!(lines(a), lines(b));
            assert_eq!(a.session.stats().malformed, 0);
        }
    }
}

#[test]
fn a_capture_of_1_kib_loses_values_not_the_pairing() {
    // The receiver copies the first 1024 bytes of each syscall by default.
    for text in ALL {
        let local = if text == BENCHMARK_SERVER {
            Role::Server
        } else {
            Role::Client
        };
        let full = replay_all(text, local, Limits::default(), usize::MAX);
        let cut = replay_all(text, local, Limits::default(), 1024);
        for (full, cut) in full.iter().zip(&cut) {
            let ops = |r: &Replay| -> Vec<String> {
                r.exchanges()
                    .iter()
                    .map(|x| redis(x).0.operation())
                    .collect()
            };
            assert_eq!(ops(full), ops(cut));
        }
    }
    // COMMAND DOCS is cut after its first KiB; the reply is taken to end
    // with that read and the rest of it is skipped until the next command.
    let cut = &replay_all(REDIS_CLI, Role::Client, Limits::default(), 1024)[0];
    let docs = cut.exchanges()[0];
    assert!(docs.response_meta.truncated);
    assert_eq!(docs.response_meta.bytes, 16384);
    assert_eq!(
        lines(cut)[1..],
        lines(&replay_all(REDIS_CLI, Role::Client, Limits::default(), usize::MAX)[0])[1..]
    );
    assert!(cut.unpaired().is_empty());
}

#[test]
fn requests_are_detected_and_replies_are_not() {
    for text in ALL {
        for r in load(text) {
            let first = &r.data[..r.data.len().min(16)];
            let client_wrote = if text == BENCHMARK_SERVER {
                !r.wrote
            } else {
                r.wrote
            };
            let found = detect(first, Direction::Egress);
            if !client_wrote {
                // An array of words reads as a command: only the
                // connection's role (from connect or accept) tells them
                // apart. Every other reply is not detected.
                if !first.starts_with(b"*") {
                    assert_eq!(found, None, "{first:?}");
                }
            } else if first.starts_with(b"*") {
                assert_eq!(
                    found,
                    Some(Detection {
                        protocol: Protocol::Redis,
                        kind: Kind::Request
                    }),
                    "{first:?}"
                );
            }
        }
    }
    assert_eq!(
        detect(b"PING\r\n", Direction::Egress).map(|d| d.protocol),
        Some(Protocol::Redis)
    );
    for other in [
        &b"GET / HTTP/1.1\r\n"[..],
        b"get foo\r\n",
        b"*",
        b"*3\r\n",
        b"+OK\r\n",
        b"\x09\x00\x00\x00\x03SELECT 1",
    ] {
        assert_ne!(
            detect(other, Direction::Egress).map(|d| d.protocol),
            Some(Protocol::Redis),
            "{other:?}"
        );
    }
}

#[test]
fn unanswered_commands_are_reported_at_close() {
    let mut c = Replay::new(Protocol::Redis, Role::Client);
    c.push(Direction::Egress, b"*2\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n");
    assert_eq!(c.started.len(), 1);
    c.close();
    let lone = c.unpaired_for(UnpairedReason::Closed);
    assert_eq!(lone.len(), 1);
    let Some(Request::Redis(q)) = lone_request(lone[0]) else {
        panic!()
    };
    assert_eq!(q.command(), "BLPOP");
    assert!(c.events.iter().all(|e| !matches!(e, Event::Exchange(_))));
}
