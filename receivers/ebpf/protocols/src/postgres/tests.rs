//! Recorded from PostgreSQL 15.18 (Debian 12) through a recording proxy, over
//! TCP with SCRAM-SHA-256 authentication: psql 15 (simple queries, a notice,
//! an error, a 23 KB result), psycopg 3 (server-side binding: unnamed and
//! named statements, `executemany` as a pipeline, errors in Parse and in
//! Execute, a sqlcommenter comment), pgbench 15 with `-n -c 1 -t 3` in
//! each query mode (its first connection asks two setup queries), and psql
//! with `sslmode=require` (SSLRequest answered `S`, then TLS).

use super::*;
use crate::describe::{DescribeOptions, Value};
use crate::recording::{records, replay, replay_records, Cut};
use crate::registry::Protocol;
use crate::segment::Segment;
use crate::session::Session;

const PSQL: &[u8] = include_bytes!("../../testdata/postgres/psql_simple.rec");
const PSYCOPG: &[u8] = include_bytes!("../../testdata/postgres/psycopg.rec");
const PGBENCH_SETUP: &[u8] = include_bytes!("../../testdata/postgres/pgbench_setup.rec");
const PGBENCH_SIMPLE: &[u8] = include_bytes!("../../testdata/postgres/pgbench_simple.rec");
const PGBENCH_EXTENDED: &[u8] = include_bytes!("../../testdata/postgres/pgbench_extended.rec");
const PGBENCH_PREPARED: &[u8] = include_bytes!("../../testdata/postgres/pgbench_prepared.rec");
const PSQL_SSL: &[u8] = include_bytes!("../../testdata/postgres/psql_ssl.rec");

fn pg(file: &[u8], cut: Cut) -> crate::recording::Outcome {
    replay(Protocol::Postgres, file, cut)
}

fn resp(r: &crate::Response) -> &Response {
    match r {
        crate::Response::Postgres(r) => r,
        _ => panic!("not postgres"),
    }
}

fn req(r: &crate::Request) -> &Request {
    match r {
        crate::Request::Postgres(r) => r,
        _ => panic!("not postgres"),
    }
}

fn attr(d: &Description, key: &str) -> Option<String> {
    match d.attribute(key) {
        Some(Value::Str(s)) => Some(s.clone()),
        Some(Value::Int(i)) => Some(i.to_string()),
        _ => None,
    }
}

const PSQL_NAMES: [&str; 12] = [
    "CREATE",
    "DROP",
    "INSERT users",
    "SELECT users",
    "SELECT users",
    "UPDATE users",
    "SELECT missing_table",
    "BEGIN",
    "DELETE users",
    "COMMIT",
    "SELECT",
    "SELECT",
];

#[test]
fn psql_gives_one_exchange_per_query_and_nothing_for_the_startup() {
    let out = pg(PSQL, Cut::Whole);
    assert_eq!(out.names(), PSQL_NAMES);
    assert!(out.unpaired.is_empty(), "{:?}", out.unpaired);
    assert_eq!(out.stats.malformed, 0);
    let d = out.described();
    assert_eq!(attr(&d[2], "db.system.name").as_deref(), Some("postgresql"));
    assert_eq!(attr(&d[2], "db.namespace").as_deref(), Some("sondedb"));
    assert_eq!(attr(&d[2], "db.operation.name").as_deref(), Some("INSERT"));
    assert_eq!(attr(&d[2], "db.collection.name").as_deref(), Some("users"));
    assert_eq!(
        attr(&d[2], "db.query.text").as_deref(),
        Some("INSERT INTO users VALUES (?) ON CONFLICT DO NOTHING;")
    );
    assert_eq!(
        attr(&d[3], "db.query.text").as_deref(),
        Some("SELECT id, name FROM users WHERE name = ? AND id IN (?);")
    );
    // The notice is no error.
    assert_eq!((d[0].failed, d[1].failed), (false, false));
    // The error: SQLSTATE as status code and error type.
    assert_eq!(
        attr(&d[6], "db.response.status_code").as_deref(),
        Some("42P01")
    );
    assert_eq!(d[6].error_type.as_deref(), Some("42P01"));
    assert!(d[6].failed);
    assert_eq!(resp(&out.exchanges[6].1).error, Some(SqlState(*b"42P01")));
    // The 23 KB result, read whole: 200 rows, one CommandComplete.
    assert_eq!(resp(&out.exchanges[11].1).completed, 1);
    assert!(resp(&out.exchanges[11].1).whole);
    // The sqlcommenter comment's trace context.
    assert_eq!(
        out.contexts[4].traceparent.as_deref(),
        Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    );
    assert_eq!(out.contexts[3].traceparent, None);
    assert_eq!(
        attr(&d[4], "db.query.text").as_deref(),
        Some("SELECT * FROM users WHERE id = ?;")
    );
}

#[test]
fn raw_query_text_keeps_the_literals() {
    let out = pg(PSQL, Cut::Whole);
    let options = DescribeOptions {
        raw_query_text: true,
    };
    let cx = DescribeContext {
        role: Role::Client,
        options: &options,
    };
    let (q, r) = &out.exchanges[3];
    let d = q.describe(Some(r), cx).unwrap();
    assert_eq!(
        attr(&d, "db.query.text").as_deref(),
        Some("SELECT id, name FROM users WHERE name = 'alice' AND id IN (1, 2, 3);")
    );
}

#[test]
fn psycopg_extended_protocol_one_exchange_per_sync_with_execute() {
    let out = pg(PSYCOPG, Cut::Whole);
    assert_eq!(
        out.names(),
        [
            "SELECT users",
            "SELECT users",
            "SELECT users",
            "BATCH INSERT users",
            "SELECT nope",
            "SELECT",
            "BEGIN",
            "UPDATE users",
            "COMMIT",
            "SELECT",
            "SELECT",
        ]
    );
    assert!(out.unpaired.is_empty(), "{:?}", out.unpaired);
    let d = out.described();
    assert_eq!(
        attr(&d[0], "db.query.text").as_deref(),
        Some("SELECT id, name FROM users WHERE id = $1")
    );
    // Executions of the statement prepared as _pg3_0 know its text.
    assert_eq!(
        attr(&d[2], "db.query.text").as_deref(),
        Some("SELECT name FROM users WHERE id = $1")
    );
    assert_eq!(req(&out.exchanges[2].0).mode, Mode::Extended);
    // executemany: one pipeline of three Executes up to one Sync.
    assert_eq!(
        attr(&d[3], "db.operation.name").as_deref(),
        Some("BATCH INSERT")
    );
    assert_eq!(attr(&d[3], "db.collection.name").as_deref(), Some("users"));
    assert_eq!(attr(&d[3], "db.operation.batch.size").as_deref(), Some("3"));
    // Failing in Parse, and failing in Execute after ParseComplete.
    assert_eq!(d[4].error_type.as_deref(), Some("42P01"));
    assert_eq!(d[5].error_type.as_deref(), Some("22012"));
    assert_eq!(
        attr(&d[5], "db.response.status_code").as_deref(),
        Some("22012")
    );
    assert_eq!(
        attr(&d[7], "db.query.text").as_deref(),
        Some("UPDATE users SET score = $1 WHERE id = $2")
    );
    assert_eq!(
        out.contexts[10].traceparent.as_deref(),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
    assert_eq!(attr(&d[10], "db.namespace").as_deref(), Some("sondedb"));
}

#[test]
fn pgbench_gives_seven_exchanges_per_transaction_in_every_mode() {
    let setup = pg(PGBENCH_SETUP, Cut::Whole);
    assert_eq!(setup.names(), ["SELECT pgbench_branches", "SELECT"]);
    let tpcb = [
        "BEGIN",
        "UPDATE pgbench_accounts",
        "SELECT pgbench_accounts",
        "UPDATE pgbench_tellers",
        "UPDATE pgbench_branches",
        "INSERT pgbench_history",
        "END",
    ];
    let expected: Vec<&str> = tpcb.iter().cycle().take(3 * 7).copied().collect();
    for (mode, file) in [
        ("simple", PGBENCH_SIMPLE),
        ("extended", PGBENCH_EXTENDED),
        ("prepared", PGBENCH_PREPARED),
    ] {
        for cut in [Cut::Whole, Cut::Bytes] {
            let out = pg(file, cut);
            assert_eq!(out.names(), expected, "{mode} {cut:?}");
            assert!(
                out.unpaired.is_empty(),
                "{mode} {cut:?}: {:?}",
                out.unpaired
            );
            assert_eq!(out.stats.malformed, 0, "{mode} {cut:?}");
            assert!(out.described().iter().all(|d| !d.failed), "{mode}");
        }
    }
    let prepared = pg(PGBENCH_PREPARED, Cut::Whole).described();
    assert_eq!(
        attr(&prepared[8], "db.query.text").as_deref(),
        Some("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;")
    );
    let simple = pg(PGBENCH_SIMPLE, Cut::Whole).described();
    assert_eq!(
        attr(&simple[1], "db.query.text").as_deref(),
        Some("UPDATE pgbench_accounts SET abalance = abalance + -? WHERE aid = ?;")
    );
}

#[test]
fn a_byte_per_syscall_gives_the_same_exchanges() {
    for file in [PSQL, PSYCOPG] {
        let whole = pg(file, Cut::Whole);
        let bytes = pg(file, Cut::Bytes);
        let requests = |o: &crate::recording::Outcome| -> Vec<_> {
            o.exchanges
                .iter()
                .map(|(q, r)| (q.clone(), resp(r).error))
                .collect()
        };
        assert_eq!(requests(&whole), requests(&bytes));
        assert!(bytes.unpaired.is_empty());
    }
}

#[test]
fn captures_cut_short_still_pair_every_query() {
    // The receiver's default capture is 1 KiB: only the 23 KB result is cut.
    let out = pg(PSQL, Cut::Capture(1024));
    assert_eq!(out.names(), PSQL_NAMES);
    assert!(out.unpaired.is_empty(), "{:?}", out.unpaired);
    let (_, big) = &out.exchanges[11];
    assert!(!resp(big).whole);
    // Cut much shorter: texts are cut, the startup and the pairing hold.
    for file in [PGBENCH_SIMPLE, PGBENCH_EXTENDED, PGBENCH_PREPARED] {
        let out = pg(file, Cut::Capture(40));
        assert_eq!(out.exchanges.len(), 21);
        assert!(out.unpaired.is_empty(), "{:?}", out.unpaired);
        assert_eq!(out.names()[0], "BEGIN");
        assert_eq!(out.names()[6], "END");
        assert_eq!(
            attr(&out.described()[1], "db.operation.name").as_deref(),
            Some("UPDATE")
        );
    }
}

#[test]
fn a_cut_answer_ends_at_its_ready_for_query() {
    // The 23 KB answer in 8 KiB writes of which 1 KiB is captured: its end
    // time is that of the write holding its ReadyForQuery.
    let recs = records(PSQL);
    let (last_query, big, rest) = (recs.len() - 3, recs.len() - 2, recs.len() - 1);
    let mut session = Session::new(Protocol::Postgres, Role::Client, crate::Limits::default());
    let mut events = Vec::new();
    let mut t = 0;
    for (from, bytes) in &recs[..=last_query] {
        let dir = if *from == Role::Client {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        session.push(dir, &Segment::new(bytes, t, t + 10), |e| events.push(e));
        t += 100;
    }
    let answer = recs[big].1;
    for chunk in answer.chunks(8192) {
        let seg = Segment::new(&chunk[..chunk.len().min(1024)], t, t + 10).with_len(chunk.len());
        session.push(Direction::Ingress, &seg, |e| events.push(e));
        t += 100;
    }
    let end = t - 100 + 10;
    // The rest of the answer was not seen: the next query's answer ends it
    // where its last write stood.
    for (from, bytes) in [&recs[rest], &recs[6], &recs[7], &recs[8]] {
        let dir = if *from == Role::Client {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        session.push(dir, &Segment::new(bytes, t, t + 10), |e| events.push(e));
        t += 100;
    }
    let exchanges: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            crate::Event::Exchange(x) => Some(x),
            _ => None,
        })
        .collect();
    assert_eq!(exchanges.len(), 13);
    assert_eq!(exchanges[11].response_meta.end_ns, end);
    assert!(exchanges[11].response_meta.truncated);
}

#[test]
fn tls_after_ssl_request_is_passed_over() {
    let out = pg(PSQL_SSL, Cut::Whole);
    assert!(out.exchanges.is_empty());
    assert!(out.unpaired.is_empty());
    assert_eq!((out.stats.malformed, out.stats.messages), (0, 0));
}

#[test]
fn ssl_refused_then_plain_startup() {
    // The `N` answer built by hand in front of the recorded plain session.
    let mut recs = vec![
        (Role::Client, &b"\x00\x00\x00\x08\x04\xd2\x16\x2f"[..]),
        (Role::Server, &b"N"[..]),
    ];
    recs.extend(records(PGBENCH_SETUP));
    let out = replay_records(Protocol::Postgres, &recs, Cut::Whole);
    assert_eq!(out.names(), ["SELECT pgbench_branches", "SELECT"]);
}

#[test]
fn joined_midway_then_garbage_then_a_query() {
    let recs = records(PSQL);
    // From the first query on: the startup was missed, so no namespace.
    let mut joined: Vec<(Role, &[u8])> = vec![(Role::Client, &b"\x01\x02garbage"[..])];
    joined.extend(recs[6..12].iter().copied());
    let out = replay_records(Protocol::Postgres, &joined, Cut::Whole);
    assert_eq!(out.names(), ["CREATE", "DROP"]);
    assert_eq!(attr(&out.described()[0], "db.namespace"), None);
    assert_eq!(out.stats.dropped_segments, 1);
}

#[test]
fn pipelined_queries_pair_in_order() {
    let q = |s: &str| {
        let mut m = vec![b'Q'];
        m.extend(((s.len() + 5) as u32).to_be_bytes());
        m.extend(s.as_bytes());
        m.push(0);
        m
    };
    let mut both = q("SELECT 1");
    both.extend(q("SELECT * FROM nope"));
    let answers = b"T\x00\x00\x00\x21\x00\x01?column?\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00D\x00\x00\x00\x0b\x00\x01\x00\x00\x00\x011C\x00\x00\x00\x0dSELECT 1\x00Z\x00\x00\x00\x05IE\x00\x00\x00\x16SERROR\x00C42P01\x00Mx\x00\x00Z\x00\x00\x00\x05I";
    let recs = [(Role::Client, &both[..]), (Role::Server, &answers[..])];
    let out = replay_records(Protocol::Postgres, &recs, Cut::Whole);
    assert_eq!(out.names(), ["SELECT", "SELECT nope"]);
    assert_eq!(resp(&out.exchanges[1].1).error, Some(SqlState(*b"42P01")));
    assert_eq!(resp(&out.exchanges[0].1).error, None);
}

#[test]
fn detection() {
    let startup = &records(PSQL)[0].1[..16];
    assert_eq!(
        Postgres::detect(startup, Direction::Egress),
        Some(Kind::Request)
    );
    assert_eq!(
        Postgres::detect(&startup[..8], Direction::Ingress),
        Some(Kind::Request)
    );
    assert_eq!(
        Postgres::detect(b"\x00\x00\x00\x08\x04\xd2\x16\x2f", Direction::Egress),
        Some(Kind::Request)
    );
    assert_eq!(
        Postgres::detect(b"\x00\x00\x00\x08\x04\xd2\x16\x30", Direction::Egress),
        Some(Kind::Request)
    );
    assert_eq!(
        Postgres::detect(b"Q\x00\x00\x00\x0bBEGIN;\x00", Direction::Egress),
        Some(Kind::Request)
    );
    assert_eq!(
        Postgres::detect(&records(PGBENCH_PREPARED)[6].1[..16], Direction::Egress),
        Some(Kind::Request)
    );
    for not in [
        &b"GET / HTTP/1.1\r\n"[..],
        b"POST /x HTTP/1.1",
        b"HTTP/1.1 200 OK\r",
        // MySQL: a greeting whose length byte is `P`, a COM_QUERY.
        b"P\x00\x00\x00\x0a5.5.5-10.11",
        b"Q\x00\x00\x00\x03SELECT 1",
        b"R\x00\x00\x00\x08\x00\x00\x00\x00",
        b"\x00\x00\x00\x08\x04\xd2\x16\x2e",
        b"\x00\x00\x00\x3b\x00\x02\x00\x00",
        b"Q\x00\x00\x00\x0b",
        b"",
    ] {
        assert_eq!(Postgres::detect(not, Direction::Egress), None, "{not:?}");
    }
}

#[test]
fn may_start() {
    assert!(Postgres::may_start(Role::Client, b"\x00\x00\x00"));
    assert!(Postgres::may_start(Role::Client, b"Q\x00\x00\x00\x0bBEGIN"));
    assert!(Postgres::may_start(Role::Client, b"P"));
    assert!(!Postgres::may_start(Role::Client, b"Z\x00\x00\x00\x05I"));
    assert!(!Postgres::may_start(Role::Client, b"Q\x01\x00\x00\x0b"));
    assert!(Postgres::may_start(Role::Server, b"S"));
    assert!(Postgres::may_start(Role::Server, b"N"));
    assert!(Postgres::may_start(Role::Server, b"Z\x00\x00\x00\x05I"));
    assert!(Postgres::may_start(Role::Server, b"T\x00\x00\x00\x21"));
    // The middle of a result does not pass for the start of an answer.
    assert!(!Postgres::may_start(
        Role::Server,
        b"D\x00\x00\x00\x0b\x00\x01"
    ));
    assert!(!Postgres::may_start(Role::Server, b"xxxxxxxxxx"));
}

#[test]
fn describe_without_text_is_named_after_the_system() {
    let request = Request {
        mode: Mode::FunctionCall,
        text: None,
        database: None,
        executes: 0,
        mixed: false,
    };
    let options = DescribeOptions::default();
    let cx = DescribeContext {
        role: Role::Client,
        options: &options,
    };
    let d = Postgres::describe(&request, Some(&Response::default()), cx);
    assert_eq!(d.name, "postgresql");
    assert_eq!(d.family, Family::Db);
    assert_eq!(
        d.attributes,
        vec![Attribute::str("db.system.name", "postgresql")]
    );
    let mixed = Request {
        mode: Mode::Extended,
        text: Some(Arc::from("INSERT INTO a VALUES ($1)")),
        executes: 2,
        mixed: true,
        ..request
    };
    let d = Postgres::describe(&mixed, None, cx);
    assert_eq!(d.name, "BATCH");
    assert_eq!(attr(&d, "db.operation.batch.size").as_deref(), Some("2"));
}
