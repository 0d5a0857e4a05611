//! PostgreSQL through the public API: recorded pgbench and psycopg sessions
//! (testdata/postgres) replayed as the client's syscalls, the span count a
//! run of known size gives, and a seeded corpus of cut, corrupted and
//! reordered recordings that must never panic.

mod common;

use common::{replay_scrambled, Rng};
use sonde_ebpf_protocols::{
    DescribeContext, DescribeOptions, Direction, Event, Limits, Protocol, Role, Segment, Session,
    Value,
};

const FILES: [&[u8]; 5] = [
    include_bytes!("../testdata/postgres/psql_simple.rec"),
    include_bytes!("../testdata/postgres/psycopg.rec"),
    include_bytes!("../testdata/postgres/pgbench_simple.rec"),
    include_bytes!("../testdata/postgres/pgbench_extended.rec"),
    include_bytes!("../testdata/postgres/pgbench_prepared.rec"),
];

/// `(client sent it, bytes)` per recorded read.
fn records(file: &[u8]) -> Vec<(bool, &[u8])> {
    let mut out = Vec::new();
    let mut rest = file;
    while let [tag, a, b, c, d, tail @ ..] = rest {
        let n = u32::from_be_bytes([*a, *b, *c, *d]) as usize;
        out.push((*tag == b'C', &tail[..n]));
        rest = &tail[n..];
    }
    out
}

fn spans(file: &[u8], local: Role) -> Vec<String> {
    let mut session = Session::new(Protocol::Postgres, local, Limits::default());
    let mut events = Vec::new();
    for (k, (from_client, bytes)) in records(file).into_iter().enumerate() {
        let egress = from_client == (local == Role::Client);
        let direction = if egress {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        let t = k as u64 * 100;
        session.push(direction, &Segment::new(bytes, t, t + 10), |e| {
            events.push(e)
        });
    }
    session.close(|e| events.push(e));
    let options = DescribeOptions::default();
    events
        .iter()
        .filter_map(|e| match e {
            Event::Exchange(x) => {
                assert_eq!(x.role, local);
                let cx = DescribeContext {
                    role: x.role,
                    options: &options,
                };
                x.request.describe(Some(&x.response), cx).map(|d| d.name)
            }
            Event::Unpaired(u) => panic!("unpaired: {u:?}"),
            Event::Started(_) => None,
        })
        .collect()
}

#[test]
fn pgbench_three_transactions_are_twenty_one_spans_on_either_side() {
    for file in &FILES[2..] {
        for local in [Role::Client, Role::Server] {
            let names = spans(file, local);
            assert_eq!(names.len(), 21);
            assert_eq!(names.iter().filter(|n| *n == "BEGIN").count(), 3);
            assert_eq!(
                names
                    .iter()
                    .filter(|n| *n == "UPDATE pgbench_accounts")
                    .count(),
                3
            );
        }
    }
}

#[test]
fn the_first_records_are_detected_as_postgres_requests() {
    for file in FILES {
        let (from_client, first) = records(file)[0];
        assert!(from_client);
        let found = sonde_ebpf_protocols::detect(first, Direction::Egress).unwrap();
        assert_eq!(found.protocol, Protocol::Postgres);
        assert_eq!(found.local_role(Direction::Egress), Role::Client);
        assert_eq!(Protocol::from_name("postgresql"), Some(Protocol::Postgres));
    }
}

#[test]
fn describe_gives_database_attributes() {
    let mut session = Session::new(Protocol::Postgres, Role::Client, Limits::default());
    let mut exchanges = Vec::new();
    for (k, (from_client, bytes)) in records(FILES[1]).into_iter().enumerate() {
        let direction = if from_client {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        let t = k as u64 * 100;
        session.push(direction, &Segment::new(bytes, t, t + 10), |e| {
            if let Event::Exchange(x) = e {
                exchanges.push(x)
            }
        });
    }
    let options = DescribeOptions::default();
    let cx = DescribeContext {
        role: Role::Client,
        options: &options,
    };
    let d = exchanges[4]
        .request
        .describe(Some(&exchanges[4].response), cx)
        .unwrap();
    assert_eq!(d.name, "SELECT nope");
    assert_eq!(d.error_type.as_deref(), Some("42P01"));
    assert_eq!(
        d.attribute("db.response.status_code"),
        Some(&Value::Str("42P01".into()))
    );
    assert_eq!(
        d.attribute("db.namespace"),
        Some(&Value::Str("sondedb".into()))
    );
    assert_eq!(
        d.attribute("db.query.text"),
        Some(&Value::Str("SELECT * FROM nope WHERE id = $1".into()))
    );
}

#[test]
fn a_seeded_corpus_never_panics() {
    let mut rng = Rng::new(0x5eed_5a1e);
    let mut exchanges = 0;
    for _ in 0..3_000 {
        let local = if rng.below(2) == 0 {
            Role::Client
        } else {
            Role::Server
        };
        let limits = Limits {
            max_pending: 1 + rng.below(8),
            max_buffer: 64 + rng.below(40_000),
        };
        let mut session = Session::new(Protocol::Postgres, local, limits);
        let recs = records(FILES[rng.below(FILES.len())]);
        let skip = rng.below(4) * rng.below(recs.len());
        let mut t = 0u64;
        let mut count = |e: Event| {
            if let Event::Exchange(x) = &e {
                assert!(x.request_meta.start_ns <= x.request_meta.end_ns);
                assert!(x.response_meta.start_ns <= x.response_meta.end_ns);
                exchanges += 1;
            }
        };
        for (from_client, bytes) in recs.into_iter().skip(skip) {
            let mut bytes = bytes.to_vec();
            for _ in 0..rng.below(3) {
                if !bytes.is_empty() && rng.below(4) == 0 {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                }
            }
            replay_scrambled(
                &mut session,
                local,
                from_client,
                &bytes,
                &mut rng,
                &mut t,
                &mut count,
            );
        }
        session.close(&mut count);
    }
    assert!(exchanges > 10_000, "{exchanges}");
}
