//! NATS on recorded conversations (testdata/nats: nats-py 2.16.0 against
//! nats-server 2.9.10) and on lines built from the protocol docs.

use super::*;
use crate::describe::{DescribeOptions, Value};
use crate::registry::{self, Protocol};
use crate::session::{Event, Half, UnpairedReason};
use crate::transcript::{load, outcomes, replay, sent_by};

const SESSION: &str = include_str!("../../testdata/nats/nats_py_session.txt");
const VERBOSE: &str = include_str!("../../testdata/nats/nats_py_verbose.txt");
const REFUSED: &str = include_str!("../../testdata/nats/nats_py_refused.txt");
const NO_RESPONDERS: &str = include_str!("../../testdata/nats/nats_py_no_responders.txt");

const ALL: [&str; 4] = [SESSION, VERBOSE, REFUSED, NO_RESPONDERS];

const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn nats_request(r: &registry::Request) -> &Request {
    match r {
        registry::Request::Nats(r) => r,
        other => panic!("not NATS: {other:?}"),
    }
}

fn nats_response(r: &registry::Response) -> &Response {
    match r {
        registry::Response::Nats(r) => r,
        other => panic!("not NATS: {other:?}"),
    }
}

fn describe(q: &Request, a: Option<&Response>, role: Role) -> Description {
    Nats::describe(
        q,
        a,
        DescribeContext {
            role,
            options: &DescribeOptions::default(),
        },
    )
}

/// One line per outcome: local role, span name, answer or unpaired reason,
/// and the error.
fn summary(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Exchange(x) => {
                let q = nats_request(&x.request);
                let a = nats_response(&x.response);
                let d = describe(q, Some(a), x.role);
                let error = d.error_type.map(|e| format!(" !{e}")).unwrap_or_default();
                Some(format!("{:?} {} -> {:?}{}", x.role, d.name, a.reply, error))
            }
            Event::Unpaired(u) => Some(match &u.message {
                Half::Request(q) => {
                    let d = describe(nats_request(q), None, u.role);
                    let error = d.error_type.map(|e| format!(" !{e}")).unwrap_or_default();
                    format!("{:?} {} ({:?}){}", u.role, d.name, u.reason, error)
                }
                Half::Response(a) => {
                    let a = nats_response(a);
                    format!(
                        "{:?} lone {:?} {:?} ({:?})",
                        u.role,
                        a.reply,
                        a.error_type(),
                        u.reason
                    )
                }
            }),
            Event::Started(_) => None,
        })
        .collect()
}

fn client_side(text: &str, max: usize) -> Vec<Event> {
    replay(Protocol::Nats, Role::Client, &load(text), max).0
}

#[test]
fn info_is_detected_and_nothing_else() {
    for text in ALL {
        let chunks = load(text);
        let (from, first) = &chunks[0];
        assert_eq!(*from, Role::Server);
        assert_eq!(
            Nats::detect(first, Direction::Ingress),
            Some(Kind::Response)
        );
        let found = registry::detect(first, Direction::Ingress).unwrap();
        assert_eq!(found.protocol, Protocol::Nats);
        assert_eq!(found.local_role(Direction::Ingress), Role::Client);
        assert_eq!(found.local_role(Direction::Egress), Role::Server);
        // A CONNECT passes for an HTTP CONNECT request, but it never comes
        // first on a connection: the server speaks first.
        for (_, later) in &chunks[1..] {
            assert_eq!(Nats::detect(later, Direction::Egress), None, "{later:02x?}");
        }
    }
}

#[test]
fn quiet_session_from_the_client() {
    let events = client_side(SESSION, usize::MAX);
    assert_eq!(
        summary(&events),
        [
            "Client connect (OneWay)",
            "Client ping -> Pong",
            "Client subscribe orders.> (OneWay)",
            "Client subscribe svc.echo (OneWay)",
            "Client publish orders.new (OneWay)",
            "Client publish orders.new (OneWay)",
            "Client ping -> Pong",
            "Server receive orders.new (OneWay)",
            "Server receive orders.new (OneWay)",
            "Client subscribe _INBOX.> (OneWay)",
            "Client publish svc.echo (OneWay)",
            "Server receive svc.echo (OneWay)",
            "Client publish _INBOX.> (OneWay)",
            "Server receive _INBOX.> (OneWay)",
            "Client publish secret.plans (OneWay)",
            "Client ping -> Pong",
            // Without verbose the refusal answers nothing.
            "Client lone Err Some(\"Permissions Violation\") (Unsolicited)",
            "Client unsubscribe orders.> (OneWay)",
            "Client ping -> Pong",
            "Client unsubscribe svc.echo (OneWay)",
            "Client unsubscribe _INBOX.> (OneWay)",
            "Client ping -> Pong",
            "Client ping -> Pong",
            "Client ping -> Pong",
        ]
    );
}

#[test]
fn headers_carry_trace_context_and_message_id() {
    let events = client_side(SESSION, usize::MAX);
    let with_context: Vec<Role> = events
        .iter()
        .filter_map(|e| match e {
            Event::Started(s) if s.context.traceparent.as_deref() == Some(TRACEPARENT) => {
                Some(s.role)
            }
            _ => None,
        })
        .collect();
    // The HPUB, and the HMSG the server delivers back to this subscriber.
    assert_eq!(with_context, [Role::Client, Role::Server]);
    let requests: Vec<Request> = outcomes(events)
        .iter()
        .filter_map(|e| match e {
            Event::Unpaired(u) => match &u.message {
                Half::Request(q) => Some(nats_request(q).clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let hpub = &requests[4];
    let d = describe(hpub, None, Role::Client);
    assert_eq!(d.shape, SpanShape::Producer);
    assert_eq!(
        d.attributes,
        vec![
            Attribute::str("messaging.system", "nats"),
            Attribute::str("messaging.operation.name", "publish"),
            Attribute::str("messaging.operation.type", "send"),
            Attribute::str("messaging.destination.name", "orders.new"),
            Attribute::str("messaging.message.id", "order-2"),
            Attribute::int("messaging.message.body.size", 9),
            Attribute::str("messaging.client.id", "sonde-nats"),
            Attribute::str("network.protocol.name", "nats"),
        ]
    );
    let hmsg = &requests[6];
    assert_eq!((hmsg.op, hmsg.from_server), (Op::Msg, true));
    let d = describe(hmsg, None, Role::Server);
    assert_eq!(
        (d.name.as_str(), d.shape),
        ("receive orders.new", SpanShape::Consumer)
    );
    assert_eq!(
        d.attribute("messaging.operation.type"),
        Some(&Value::Str("receive".into()))
    );
    // The queue subscription's deliveries name their group.
    let echo = &requests[9];
    assert_eq!(echo.subject.as_deref(), Some("svc.echo"));
    assert_eq!(echo.reply_to.as_deref().map(|r| &r[..7]), Some("_INBOX."));
    let d = describe(echo, None, Role::Server);
    assert_eq!(
        d.attribute("messaging.consumer.group.name"),
        Some(&Value::Str("workers".into()))
    );
    // A reply inbox is named by its template, and marked temporary.
    let reply = &requests[10];
    let d = describe(reply, None, Role::Client);
    assert_eq!(d.name, "publish _INBOX.>");
    assert_eq!(d.attribute("messaging.destination.name"), None);
    assert_eq!(
        d.attribute("messaging.destination.temporary"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn verbose_session_pairs_every_ok_and_the_refusal() {
    let events = client_side(VERBOSE, usize::MAX);
    assert_eq!(
        summary(&events),
        [
            "Client connect -> Ok",
            "Client ping -> Pong",
            "Client ping -> Pong",
            "Client subscribe orders.> -> Ok",
            "Client subscribe svc.echo -> Ok",
            "Client publish orders.new -> Ok",
            "Server receive orders.new (OneWay)",
            "Client publish orders.new -> Ok",
            "Server receive orders.new (OneWay)",
            "Client subscribe _INBOX.> -> Ok",
            "Client publish svc.echo -> Ok",
            "Server receive svc.echo (OneWay)",
            "Client publish _INBOX.> -> Ok",
            "Server receive _INBOX.> (OneWay)",
            "Client ping -> Pong",
            "Client publish secret.plans -> Err !Permissions Violation",
            "Client ping -> Pong",
            "Client unsubscribe orders.> -> Ok",
            "Client ping -> Pong",
            "Client ping -> Pong",
            "Client unsubscribe svc.echo -> Ok",
            "Client unsubscribe _INBOX.> -> Ok",
            "Client ping -> Pong",
        ]
    );
}

#[test]
fn refused_credentials_fail_the_ping_after_connect() {
    assert_eq!(
        summary(&client_side(REFUSED, usize::MAX)),
        [
            "Client connect (OneWay)",
            "Client ping -> Err !Authorization Violation"
        ]
    );
}

#[test]
fn no_responders_fails_the_delivery() {
    assert_eq!(
        summary(&client_side(NO_RESPONDERS, usize::MAX))[2..],
        [
            "Client subscribe _INBOX.> (OneWay)",
            "Client publish svc.nobody (OneWay)",
            "Server receive _INBOX.> (OneWay) !503",
        ]
    );
}

#[test]
fn every_split_gives_the_same_outcomes_on_both_ends() {
    for text in ALL {
        let chunks = load(text);
        let whole = summary(&client_side(text, usize::MAX));
        for max in [1, 2, 3, 5, 7, 64] {
            assert_eq!(summary(&client_side(text, max)), whole, "split {max}");
        }
        let (events, session) = replay(Protocol::Nats, Role::Server, &chunks, usize::MAX);
        let swapped: Vec<String> = whole
            .iter()
            .map(|l| match l.split_once(' ') {
                Some(("Client", rest)) => format!("Server {rest}"),
                Some(("Server", rest)) => format!("Client {rest}"),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(summary(&events), swapped);
        let stats = session.stats();
        assert_eq!(
            (stats.malformed, stats.dropped_bytes, stats.truncated),
            (0, 0, 0),
            "{stats:?}"
        );
    }
}

#[test]
fn both_ends_ping() {
    let lines = spec(&[
        (Role::Server, b"INFO {\"server_id\":\"x\"}\r\n"),
        (Role::Client, b"CONNECT {\"verbose\":false}\r\nPING\r\n"),
        (Role::Server, b"PONG\r\nPING\r\n"),
        (Role::Client, b"pong\r\n"),
    ]);
    assert_eq!(
        lines,
        [
            "Client connect (OneWay)",
            "Client ping -> Pong",
            "Server ping -> Pong"
        ]
    );
}

fn spec(chunks: &[(Role, &[u8])]) -> Vec<String> {
    let chunks: Vec<(Role, Vec<u8>)> = chunks.iter().map(|(r, b)| (*r, b.to_vec())).collect();
    summary(&replay(Protocol::Nats, Role::Client, &chunks, usize::MAX).0)
}

#[test]
fn a_payload_beyond_the_capture_is_skipped() {
    let mut session = crate::Session::new(Protocol::Nats, Role::Client, Default::default());
    let mut events = Vec::new();
    let mut pub_line = b"PUB big.data 100000\r\n".to_vec();
    let head = pub_line.len();
    pub_line.extend(vec![b'x'; 100_000]);
    pub_line.extend(b"\r\n");
    let segs: [(Direction, &[u8], usize); 4] = [
        (Direction::Ingress, b"INFO {}\r\n", 9),
        (Direction::Egress, &pub_line[..64], pub_line.len()),
        (Direction::Egress, b"PING\r\n", 6),
        (Direction::Ingress, b"PONG\r\n", 6),
    ];
    for (k, (d, bytes, len)) in segs.into_iter().enumerate() {
        let k = k as u64;
        let seg = crate::Segment::new(bytes, k * 100, k * 100 + 10).with_len(len);
        session.push(d, &seg, |e| events.push(e));
    }
    let events = outcomes(events);
    assert_eq!(
        summary(&events),
        ["Client publish big.data (OneWay)", "Client ping -> Pong"]
    );
    let Event::Unpaired(u) = &events[0] else {
        panic!()
    };
    assert_eq!(u.reason, UnpairedReason::OneWay);
    assert_eq!(
        (u.meta.bytes, u.meta.truncated),
        ((head + 100_002) as u64, true)
    );
}

#[test]
fn operations_are_case_insensitive_and_garbage_resyncs() {
    let lines = spec(&[
        (Role::Server, b"INFO {}\r\n"),
        (
            Role::Client,
            b"connect {\"verbose\": true, \"name\": \"a\\\"b\"}\r\n",
        ),
        (Role::Server, b"+OK\r\n"),
        (Role::Client, b"\x00\x01 not nats\r\n"),
        (Role::Client, b"pub a.b 2\r\nhi\r\n"),
        (Role::Server, b"+ok\r\n"),
    ]);
    assert_eq!(lines, ["Client connect -> Ok", "Client publish a.b -> Ok"]);
}

#[test]
fn json_fields_read_what_connect_needs() {
    let mut seen = Vec::new();
    json_fields(
        br#" { "a" : {"x": [1, "}"]}, "name":"n\u00e9", "verbose" : true , "z": null } "#,
        |k, v| {
            seen.push((
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ))
        },
    );
    assert_eq!(
        seen,
        [
            ("a".into(), r#"{"x": [1, "}"]}"#.into()),
            ("name".into(), r#""n\u00e9""#.into()),
            ("verbose".into(), "true".into()),
            ("z".into(), "null".into()),
        ]
    );
    assert_eq!(json_string(br#""n\u00e9\"""#).as_deref(), Some("né\""));
    // Not JSON: nothing, no panic.
    for bad in [
        &b"{"[..],
        b"{\"a",
        b"{\"a\":",
        b"[1]",
        b"{\"a\":\"x",
        b"{\"a\":{",
        b"",
    ] {
        json_fields(bad, |_, _| {});
    }
}

#[test]
fn error_types_are_low_cardinality() {
    let e = |s: &str| {
        Response {
            reply: Reply::Err,
            error: Some(s.to_owned()),
            unsolicited: false,
        }
        .error_type()
        .unwrap()
    };
    assert_eq!(
        e("Permissions Violation for Subscription to \"x.y\""),
        "Permissions Violation"
    );
    assert_eq!(e("Maximum Payload Violation"), "Maximum Payload Violation");
    assert_eq!(
        e("Unknown Protocol Operation"),
        "Unknown Protocol Operation"
    );
    assert_eq!(e("Stale Connection"), "Stale Connection");
    assert_eq!(e(""), "ERR");
    assert_eq!(
        template("$JS.ACK.ORDERS.worker.1.2.3.1700000000.0").as_deref(),
        Some("$JS.ACK.ORDERS.worker.>")
    );
}

#[test]
fn pipelined_chunks_pair_in_order() {
    let chunks = load(VERBOSE);
    let joined = vec![
        (Role::Server, chunks[0].1.clone()),
        (Role::Client, sent_by(&chunks, Role::Client)),
        (Role::Server, sent_by(&chunks[1..], Role::Server)),
    ];
    let (events, _) = replay(Protocol::Nats, Role::Client, &joined, usize::MAX);
    let lines = summary(&events);
    assert_eq!(lines.iter().filter(|l| l.ends_with("-> Ok")).count(), 11);
    assert_eq!(lines.iter().filter(|l| l.ends_with("-> Pong")).count(), 7);
    assert!(lines.contains(&"Client publish secret.plans -> Err !Permissions Violation".to_owned()));
}

#[test]
fn cut_truncated_and_corrupted_streams_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for round in 0..2000 {
        let text = ALL[round % ALL.len()];
        let local = if round % 2 == 0 {
            Role::Client
        } else {
            Role::Server
        };
        let mut session = crate::Session::new(Protocol::Nats, local, Default::default());
        let mut k = 0u64;
        for (from, mut bytes) in load(text) {
            for _ in 0..(next() % 3) {
                if !bytes.is_empty() {
                    let i = (next() as usize) % bytes.len();
                    bytes[i] = match next() % 3 {
                        0 => b' ',
                        1 => b'\n',
                        _ => next() as u8,
                    };
                }
            }
            let direction = if from == local {
                Direction::Egress
            } else {
                Direction::Ingress
            };
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = 1 + (next() as usize) % rest.len();
                let (piece, tail) = rest.split_at(n);
                rest = tail;
                let captured = if next() % 5 == 0 {
                    (next() as usize) % (piece.len() + 1)
                } else {
                    piece.len()
                };
                let seg = crate::Segment::new(&piece[..captured], k * 100, k * 100 + 10)
                    .with_len(piece.len());
                k += 1;
                session.push(direction, &seg, |e| {
                    if let Event::Exchange(x) = &e {
                        let _ = describe(
                            nats_request(&x.request),
                            Some(nats_response(&x.response)),
                            x.role,
                        );
                    }
                });
            }
        }
        session.close(|_| {});
    }
}
