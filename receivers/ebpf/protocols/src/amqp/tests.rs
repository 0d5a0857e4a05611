//! AMQP 0-9-1 on recorded conversations (testdata/amqp: pika 1.4.4 against
//! RabbitMQ 3.10.8) and on frames built from the spec.

use super::*;
use crate::describe::{DescribeOptions, Value};
use crate::registry::{self, Protocol};
use crate::session::{Event, Half};
use crate::transcript::{load, outcomes, replay};

const SESSION: &str = include_str!("../../testdata/amqp/pika_session.txt");
const BAD_PASSWORD: &str = include_str!("../../testdata/amqp/pika_bad_password.txt");
const BAD_VHOST: &str = include_str!("../../testdata/amqp/pika_bad_vhost.txt");

const ALL: [&str; 3] = [SESSION, BAD_PASSWORD, BAD_VHOST];

const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn amqp_request(r: &registry::Request) -> &Request {
    match r {
        registry::Request::Amqp(r) => r,
        other => panic!("not AMQP: {other:?}"),
    }
}

fn amqp_response(r: &registry::Response) -> &Response {
    match r {
        registry::Response::Amqp(r) => r,
        other => panic!("not AMQP: {other:?}"),
    }
}

fn describe(q: &Request, a: Option<&Response>, role: Role) -> Description {
    Amqp::describe(
        q,
        a,
        DescribeContext {
            role,
            options: &DescribeOptions::default(),
        },
    )
}

/// One line per outcome: local role, channel, span name, the answer's
/// method or the unpaired reason, and the error.
fn summary(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Exchange(x) => {
                let q = amqp_request(&x.request);
                let a = amqp_response(&x.response);
                let d = describe(q, Some(a), x.role);
                let error = d.error_type.map(|e| format!(" !{e}")).unwrap_or_default();
                Some(format!(
                    "{:?} {} {} -> {}{}",
                    x.role,
                    q.channel,
                    d.name,
                    a.method.name().unwrap(),
                    error
                ))
            }
            Event::Unpaired(u) => Some(match &u.message {
                Half::Request(q) => {
                    let q = amqp_request(q);
                    let d = describe(q, None, u.role);
                    let error = d.error_type.map(|e| format!(" !{e}")).unwrap_or_default();
                    format!(
                        "{:?} {} {} ({:?}){}",
                        u.role, q.channel, d.name, u.reason, error
                    )
                }
                Half::Response(a) => {
                    let a = amqp_response(a);
                    format!(
                        "{:?} lone {} ({:?})",
                        u.role,
                        a.method.name().unwrap(),
                        u.reason
                    )
                }
            }),
            Event::Started(_) => None,
        })
        .collect()
}

fn client_side(text: &str, max: usize) -> Vec<Event> {
    replay(Protocol::Amqp, Role::Client, &load(text), max).0
}

#[test]
fn the_protocol_header_is_detected_and_nothing_else() {
    for text in ALL {
        let chunks = load(text);
        let (from, first) = &chunks[0];
        assert_eq!(*from, Role::Client);
        let found = registry::detect(first, Direction::Egress).unwrap();
        assert_eq!(found.protocol, Protocol::Amqp);
        assert_eq!(found.local_role(Direction::Egress), Role::Client);
        for (_, later) in &chunks[1..] {
            assert_eq!(registry::detect(later, Direction::Ingress), None);
        }
    }
    assert_eq!(
        Amqp::detect(b"AMQP\x00\x00\x09\x01", Direction::Egress),
        Some(Kind::Request)
    );
    // AMQP 1.0 and 0-10 are other protocols.
    assert_eq!(
        Amqp::detect(b"AMQP\x00\x01\x00\x00", Direction::Egress),
        None
    );
    assert_eq!(
        Amqp::detect(b"AMQP\x01\x01\x00\x0a", Direction::Egress),
        None
    );
}

#[test]
fn pika_session_from_the_client() {
    assert_eq!(
        summary(&client_side(SESSION, usize::MAX)),
        [
            "Client 0 connection.open -> connection.open-ok",
            "Client 1 channel.open -> channel.open-ok",
            "Client 1 queue.declare orders -> queue.declare-ok",
            "Client 1 exchange.declare events -> exchange.declare-ok",
            "Client 1 queue.bind orders -> queue.bind-ok",
            "Client 1 publish orders (OneWay)",
            "Client 1 publish events (OneWay)",
            "Client 1 receive orders -> basic.get-ok",
            "Client 1 receive orders -> basic.get-ok",
            "Client 1 ack (OneWay)",
            "Client 1 receive orders -> basic.get-empty",
            "Client 1 basic.consume orders -> basic.consume-ok",
            "Client 1 publish orders (OneWay)",
            "Server 1 receive orders (OneWay)",
            "Client 1 publish orders (OneWay)",
            "Client 1 ack (OneWay)",
            "Server 1 receive orders (OneWay)",
            "Client 1 ack (OneWay)",
            "Client 1 basic.cancel -> basic.cancel-ok",
            // The broker closes the channel instead of answering; pika's
            // close-ok makes no event.
            "Client 1 queue.declare missing -> channel.close !NOT_FOUND",
            "Client 1 channel.open -> channel.open-ok",
            "Client 1 confirm.select -> confirm.select-ok",
            "Client 1 publish orders (OneWay)",
            // Publisher confirm.
            "Server 1 ack (OneWay)",
            "Client 1 queue.purge orders -> queue.purge-ok",
            "Client 1 queue.delete orders -> queue.delete-ok",
            "Client 1 channel.close -> channel.close-ok",
            "Client 0 connection.close -> connection.close-ok",
        ]
    );
}

#[test]
fn refusals_fail_with_the_reply_code_name() {
    // Refused credentials: the broker closes after start-ok, which is part
    // of the skipped handshake, so its close stands alone.
    assert_eq!(
        summary(&client_side(BAD_PASSWORD, usize::MAX)),
        ["Server 0 connection.close (OneWay) !ACCESS_REFUSED"]
    );
    assert_eq!(
        summary(&client_side(BAD_VHOST, usize::MAX)),
        ["Client 0 connection.open -> connection.close !NOT_ALLOWED"]
    );
    let events = outcomes(client_side(BAD_VHOST, usize::MAX));
    let Event::Exchange(x) = &events[0] else {
        panic!()
    };
    let a = amqp_response(&x.response);
    assert_eq!(
        a.reply_text.as_deref(),
        Some("NOT_ALLOWED - vhost nowhere not found")
    );
}

#[test]
fn every_split_gives_the_same_outcomes_on_both_ends() {
    for text in ALL {
        let chunks = load(text);
        let whole = summary(&client_side(text, usize::MAX));
        for max in [1, 2, 3, 7, 13, 64, 1000] {
            assert_eq!(summary(&client_side(text, max)), whole, "split {max}");
        }
        let (events, session) = replay(Protocol::Amqp, Role::Server, &chunks, usize::MAX);
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

/// The requests reported one-way, in order.
fn one_way(events: &[Event]) -> Vec<(Role, Request, crate::Meta)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Unpaired(u) => match &u.message {
                Half::Request(q) => Some((u.role, amqp_request(q).clone(), u.meta)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn publishes_carry_properties_and_trace_context() {
    let events = client_side(SESSION, usize::MAX);
    let started: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Started(s) => Some(s.context.traceparent.as_deref()),
            _ => None,
        })
        .collect();
    assert_eq!(
        started.iter().filter(|t| **t == Some(TRACEPARENT)).count(),
        1
    );
    let published = one_way(&events);
    let (role, first, _) = &published[0];
    assert_eq!(*role, Role::Client);
    let d = describe(first, None, *role);
    assert_eq!(d.shape, SpanShape::Producer);
    assert_eq!(
        d.attributes,
        vec![
            Attribute::str("messaging.system", "rabbitmq"),
            Attribute::str("messaging.operation.name", "publish"),
            Attribute::str("messaging.operation.type", "send"),
            Attribute::str("messaging.destination.name", "orders"),
            Attribute::str("messaging.rabbitmq.destination.routing_key", "orders"),
            Attribute::str("messaging.message.id", "m-1"),
            Attribute::str("messaging.message.conversation_id", "c-1"),
            Attribute::int("messaging.message.body.size", 9),
            Attribute::str("network.protocol.name", "amqp"),
            Attribute::str("network.protocol.version", "0.9.1"),
        ]
    );
    let (_, second, _) = &published[1];
    let d = describe(second, None, Role::Client);
    assert_eq!(d.name, "publish events");
    assert_eq!(
        d.attribute("messaging.rabbitmq.destination.routing_key"),
        Some(&Value::Str("order.created".into()))
    );
}

#[test]
fn deliveries_are_consumer_receives_with_their_queue() {
    let events = client_side(SESSION, usize::MAX);
    let delivered: Vec<_> = one_way(&events)
        .into_iter()
        .filter(|(_, q, _)| q.method == DELIVER)
        .collect();
    assert_eq!(delivered.len(), 2);
    let (role, q, meta) = &delivered[0];
    assert_eq!(*role, Role::Server);
    assert_eq!(q.body_size, Some(5));
    // Method, header and body frames.
    assert_eq!(meta.bytes, 103);
    let d = describe(q, None, *role);
    assert_eq!(
        (d.name.as_str(), d.shape),
        ("receive orders", SpanShape::Consumer)
    );
    assert_eq!(
        d.attribute("messaging.destination.subscription.name"),
        Some(&Value::Str("orders".into()))
    );
    assert_eq!(
        d.attribute("messaging.rabbitmq.message.delivery_tag"),
        // basic.get took tags 1 and 2.
        Some(&Value::Int(3))
    );
}

#[test]
fn a_message_in_several_body_frames_ends_with_the_last() {
    let chunks = load(SESSION);
    let events = client_side(SESSION, usize::MAX);
    let (_, big, meta) = one_way(&events)
        .into_iter()
        .find(|(_, q, _)| q.body_size == Some(140_000))
        .unwrap();
    assert_eq!(big.method, PUBLISH);
    // Method frame (7 + 4 + 2 + 1 + 7 + 1 + 1), header (7 + 14 + 1), two body
    // frames (8 bytes of framing each).
    assert_eq!(meta.bytes, 23 + 22 + 140_000 + 16);
    // It spans the writes that carried it, from its method frame (pika
    // writes the method frame, the content header and the body separately)
    // to its last body bytes.
    let body = chunks.iter().position(|(_, b)| b.len() > 60_000).unwrap();
    assert_eq!(
        (chunks[body - 2].1.len(), chunks[body - 1].1.len()),
        (23, 22)
    );
    let last = chunks.iter().rposition(|(_, b)| b.len() > 1000).unwrap() as u64;
    assert_eq!(
        (meta.start_ns, meta.end_ns),
        ((body as u64 - 2) * 100, last * 100 + 10)
    );
    assert!(!meta.truncated);
}

#[test]
fn get_ok_carries_the_body_size() {
    let events = outcomes(client_side(SESSION, usize::MAX));
    let Event::Exchange(x) = &events[7] else {
        panic!()
    };
    let a = amqp_response(&x.response);
    assert_eq!(
        (a.method, a.body_size, a.message_count),
        (GET_OK, Some(9), Some(1))
    );
    let d = describe(amqp_request(&x.request), Some(a), x.role);
    assert_eq!(d.shape, SpanShape::ByRole);
    assert_eq!(
        d.attribute("messaging.operation.type"),
        Some(&Value::Str("receive".into()))
    );
    assert_eq!(
        d.attribute("messaging.message.body.size"),
        Some(&Value::Int(9))
    );
}

/// A method frame on `channel`.
fn method_frame(channel: u16, class: u16, method: u16, args: &[u8]) -> Vec<u8> {
    let mut f = vec![METHOD];
    f.extend(channel.to_be_bytes());
    f.extend(((args.len() + 4) as u32).to_be_bytes());
    f.extend(class.to_be_bytes());
    f.extend(method.to_be_bytes());
    f.extend(args);
    f.push(FRAME_END);
    f
}

fn shortstr(s: &str) -> Vec<u8> {
    let mut v = vec![s.len() as u8];
    v.extend(s.as_bytes());
    v
}

fn spec(chunks: &[(Role, Vec<u8>)]) -> Vec<String> {
    let mut all = vec![(Role::Client, PROTOCOL_HEADER.to_vec())];
    all.extend(chunks.iter().cloned());
    summary(&replay(Protocol::Amqp, Role::Client, &all, usize::MAX).0)
}

#[test]
fn server_named_queues_no_wait_and_a_lone_channel_close() {
    let c = Role::Client;
    let s = Role::Server;
    // queue.declare "" → declare-ok "amq.gen-…"; publish to it on the
    // default exchange (an RPC reply); a no-wait declare; a publish to a
    // missing exchange that the broker answers by closing the channel.
    let declare = [&[0, 0][..], &shortstr(""), &[0], &[0, 0, 0, 0]].concat();
    let declare_ok = [
        &shortstr("amq.gen-JzTY20BRgKO"),
        &[0, 0, 0, 0][..],
        &[0, 0, 0, 0],
    ]
    .concat();
    let publish = |exchange: &str, key: &str| {
        let mut f = method_frame(
            2,
            60,
            40,
            &[&[0, 0][..], &shortstr(exchange), &shortstr(key), &[0]].concat(),
        );
        // Content header: class 60, weight 0, body size 0, no properties.
        f.extend([
            HEADER, 0, 2, 0, 0, 0, 14, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, FRAME_END,
        ]);
        f
    };
    let nowait_declare = [&[0, 0][..], &shortstr("jobs"), &[1 << 4], &[0, 0, 0, 0]].concat();
    let close = [
        &404u16.to_be_bytes()[..],
        &shortstr("NOT_FOUND - no exchange 'nope'"),
        &[0, 60, 0, 40],
    ]
    .concat();
    let lines = spec(&[
        (c, method_frame(2, 50, 10, &declare)),
        (s, method_frame(2, 50, 11, &declare_ok)),
        (c, publish("", "amq.gen-JzTY20BRgKO")),
        (c, method_frame(2, 50, 10, &nowait_declare)),
        (c, publish("nope", "x")),
        (s, method_frame(2, 20, 40, &close)),
        (c, method_frame(2, 20, 41, &[])),
    ]);
    assert_eq!(
        lines,
        [
            "Client 2 queue.declare -> queue.declare-ok",
            "Client 2 publish amq.gen-* (OneWay)",
            "Client 2 queue.declare jobs (OneWay)",
            "Client 2 publish nope (OneWay)",
            "Server 2 channel.close (OneWay) !NOT_FOUND",
        ]
    );
}

#[test]
fn heartbeats_and_a_truncated_publish() {
    let c = Role::Client;
    let s = Role::Server;
    let heartbeat = vec![HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END];
    let lines = spec(&[
        (s, heartbeat.clone()),
        (c, heartbeat.clone()),
        (c, method_frame(1, 20, 10, &shortstr(""))),
        (s, method_frame(1, 20, 11, &[0, 0, 0, 0])),
    ]);
    assert_eq!(lines, ["Client 1 channel.open -> channel.open-ok"]);

    // A publish whose capture ends inside its header frame: kept, marked
    // truncated, and the next method parses.
    let mut session = crate::Session::new(Protocol::Amqp, Role::Client, Default::default());
    let mut events = Vec::new();
    let mut publish = method_frame(
        1,
        60,
        40,
        &[&[0, 0][..], &shortstr(""), &shortstr("q"), &[0]].concat(),
    );
    publish.extend([
        HEADER, 0, 1, 0, 0, 0, 14, 0, 60, 0, 0, 0, 0, 0, 0, 0x27, 0x10, 0, 0, FRAME_END,
    ]);
    publish.extend([BODY, 0, 1, 0, 0, 0x27, 0x10]);
    publish.extend(vec![b'x'; 10_000]);
    publish.push(FRAME_END);
    let captured = 30;
    let segs: [(Direction, &[u8], usize); 4] = [
        (Direction::Egress, PROTOCOL_HEADER, 8),
        (Direction::Egress, &publish[..captured], publish.len()),
        (
            Direction::Egress,
            &method_frame(1, 60, 70, &[&[0, 0][..], &shortstr("q"), &[1]].concat()),
            0,
        ),
        (
            Direction::Ingress,
            &method_frame(1, 60, 72, &shortstr("")),
            0,
        ),
    ];
    for (k, (d, bytes, len)) in segs.into_iter().enumerate() {
        let k = k as u64;
        let seg = crate::Segment::new(bytes, k * 100, k * 100 + 10).with_len(len.max(bytes.len()));
        session.push(d, &seg, |e| events.push(e));
    }
    let lines = summary(&events);
    assert_eq!(
        lines,
        [
            "Client 1 publish q (OneWay)",
            "Client 1 receive q -> basic.get-empty"
        ]
    );
    let Event::Unpaired(u) = &outcomes(events)[0] else {
        panic!()
    };
    assert!(u.meta.truncated);
    assert!(
        amqp_request(match &u.message {
            Half::Request(q) => q,
            _ => unreachable!(),
        })
        .truncated
    );
}

#[test]
fn field_tables_skip_every_value_kind() {
    let mut t = Vec::new();
    for (name, kind, value) in [
        ("a", b't', vec![1]),
        ("b", b's', vec![0, 1]),
        ("c", b'I', vec![0, 0, 0, 1]),
        ("d", b'l', vec![0; 8]),
        ("e", b'D', vec![0; 5]),
        ("f", b'F', vec![0, 0, 0, 0]),
        ("g", b'V', vec![]),
        ("h", b'x', vec![0, 0, 0, 2, 9, 9]),
    ] {
        t.extend(shortstr(name));
        t.push(kind);
        t.extend(value);
    }
    t.extend(shortstr("TraceParent"));
    t.push(b'S');
    t.extend(3u32.to_be_bytes());
    t.extend(b"00-");
    assert_eq!(table_traceparent(&t).as_deref(), Some("00-"));
    assert_eq!(table_traceparent(&t[..t.len() - 1]), None);
    assert_eq!(table_traceparent(b"\x01a?"), None);
}

#[test]
fn cut_truncated_and_corrupted_streams_never_panic() {
    let mut state = 0x5851_f42d_4c95_7f2du64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for round in 0..600 {
        let text = ALL[round % ALL.len()];
        let local = if round % 2 == 0 {
            Role::Client
        } else {
            Role::Server
        };
        let mut session = crate::Session::new(Protocol::Amqp, local, Default::default());
        let mut k = 0u64;
        for (from, mut bytes) in load(text) {
            for _ in 0..(next() % 3) {
                if !bytes.is_empty() {
                    let i = (next() as usize) % bytes.len().min(4096);
                    bytes[i] = next() as u8;
                }
            }
            let direction = if from == local {
                Direction::Egress
            } else {
                Direction::Ingress
            };
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = 1 + (next() as usize) % rest.len().min(512);
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
                            amqp_request(&x.request),
                            Some(amqp_response(&x.response)),
                            x.role,
                        );
                    }
                });
            }
        }
        session.close(|_| {});
    }
}
