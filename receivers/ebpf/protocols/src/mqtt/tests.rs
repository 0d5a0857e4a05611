//! MQTT on recorded conversations (testdata/mqtt: paho-mqtt 2.2.0 and
//! mosquitto_pub/mosquitto_sub against mosquitto 2.0.11, MQTT 3.1.1 and 5)
//! and on packets built from the spec for what the recordings lack.

use super::*;
use crate::describe::{DescribeOptions, Value};
use crate::registry::{self, Protocol};
use crate::session::{Event, Half, UnpairedReason};
use crate::transcript::{load, outcomes, replay, sent_by};

const PAHO_311: &str = include_str!("../../testdata/mqtt/paho_v311_session.txt");
const PAHO_5: &str = include_str!("../../testdata/mqtt/paho_v5_session.txt");
const PAHO_311_REFUSED: &str = include_str!("../../testdata/mqtt/paho_v311_refused.txt");
const PAHO_5_REFUSED: &str = include_str!("../../testdata/mqtt/paho_v5_refused.txt");
const SUB_5: &str = include_str!("../../testdata/mqtt/mosquitto_sub_v5.txt");
const PUB_5_QOS1: &str = include_str!("../../testdata/mqtt/mosquitto_pub_v5_qos1.txt");
const SUB_311_QOS2: &str = include_str!("../../testdata/mqtt/mosquitto_sub_v311_qos2.txt");
const PUB_311_QOS0: &str = include_str!("../../testdata/mqtt/mosquitto_pub_v311_qos0.txt");
const PUB_311_QOS2: &str = include_str!("../../testdata/mqtt/mosquitto_pub_v311_qos2.txt");

const ALL: [&str; 9] = [
    PAHO_311,
    PAHO_5,
    PAHO_311_REFUSED,
    PAHO_5_REFUSED,
    SUB_5,
    PUB_5_QOS1,
    SUB_311_QOS2,
    PUB_311_QOS0,
    PUB_311_QOS2,
];

const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn mqtt_request(r: &registry::Request) -> &Request {
    match r {
        registry::Request::Mqtt(r) => r,
        other => panic!("not MQTT: {other:?}"),
    }
}

fn mqtt_response(r: &registry::Response) -> &Response {
    match r {
        registry::Response::Mqtt(r) => r,
        other => panic!("not MQTT: {other:?}"),
    }
}

fn describe_request(q: &Request, a: Option<&Response>, role: Role) -> Description {
    Mqtt::describe(
        q,
        a,
        DescribeContext {
            role,
            options: &DescribeOptions::default(),
        },
    )
}

/// One line per outcome: the span name and what decides it, the local
/// role, and the error when it failed, or the unpaired reason.
fn summary(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Exchange(x) => {
                let q = mqtt_request(&x.request);
                let a = mqtt_response(&x.response);
                let d = describe_request(q, Some(a), x.role);
                let error = d.error_type.map(|e| format!(" !{e}")).unwrap_or_default();
                Some(format!(
                    "{:?} {} -> {:?}#{}{}",
                    x.role, d.name, a.packet, a.packet_id, error
                ))
            }
            Event::Unpaired(u) => Some(match &u.message {
                Half::Request(q) => {
                    let q = mqtt_request(q);
                    let d = describe_request(q, None, u.role);
                    format!("{:?} {} ({:?})", u.role, d.name, u.reason)
                }
                Half::Response(a) => format!(
                    "{:?} lone {:?} ({:?})",
                    u.role,
                    mqtt_response(a).packet,
                    u.reason
                ),
            }),
            Event::Started(_) => None,
        })
        .collect()
}

fn client_side(text: &str, max: usize) -> Vec<Event> {
    replay(Protocol::Mqtt, Role::Client, &load(text), max).0
}

#[test]
fn connect_is_detected_and_nothing_else() {
    for text in ALL {
        let chunks = load(text);
        let first = &chunks[0].1;
        assert_eq!(Mqtt::detect(first, Direction::Egress), Some(Kind::Request));
        let found = registry::detect(first, Direction::Ingress).unwrap();
        assert_eq!(found.protocol, Protocol::Mqtt);
        assert_eq!(found.local_role(Direction::Ingress), Role::Server);
        // Only the first 16 bytes are looked at.
        assert_eq!(
            Mqtt::detect(&first[..first.len().min(16)], Direction::Egress),
            Some(Kind::Request)
        );
        for (_, later) in &chunks[1..] {
            assert_eq!(Mqtt::detect(later, Direction::Egress), None, "{later:02x?}");
        }
    }
    // A CONNECT longer than 127 bytes has a two-byte remaining length.
    assert_eq!(
        Mqtt::detect(
            b"\x10\x81\x01\x00\x04MQTT\x04\x02\x00\x3c",
            Direction::Egress
        ),
        Some(Kind::Request)
    );
    assert_eq!(
        Mqtt::detect(b"\x10\x0c\x00\x06MQIsdp\x03\x02\x00\x3c", Direction::Egress),
        Some(Kind::Request)
    );
    assert_eq!(
        Mqtt::detect(b"\x10\x0c\x00\x04MQTT\x06", Direction::Egress),
        None
    );
    assert_eq!(Mqtt::detect(b"\x10\x0c\x00\x04MQ", Direction::Egress), None);
    assert_eq!(Mqtt::detect(b"GET / HTTP/1.1\r\n", Direction::Egress), None);
    assert_eq!(
        Mqtt::detect(b"\x10\xff\xff\xff\xff\x00\x04MQTT\x04", Direction::Egress),
        None
    );
}

#[test]
fn paho_311_session_from_the_client() {
    let events = client_side(PAHO_311, usize::MAX);
    assert_eq!(
        summary(&events),
        [
            "Client connect -> Connack#0",
            "Client subscribe sensors/# -> Suback#1",
            "Client publish sensors/temp (OneWay)",
            "Server receive sensors/temp (OneWay)",
            "Server receive sensors/temp -> Puback#1",
            "Client publish sensors/temp -> Puback#3",
            "Client publish sensors/hum -> Pubrec#4",
            "Server receive sensors/hum -> Puback#2",
            // mosquitto 2.0 acknowledges a publish the ACL drops (3.1.1
            // has no way to refuse it).
            "Client publish secret/x -> Puback#5",
            "Client ping -> Pingresp#0",
            "Client unsubscribe sensors/# -> Unsuback#6",
            "Client disconnect (OneWay)",
        ]
    );
    let Event::Exchange(x) = &outcomes(events)[1] else {
        panic!()
    };
    let q = mqtt_request(&x.request);
    assert_eq!(
        (q.packet_id, q.filters, q.client_id.as_deref(), q.level),
        (1, 2, Some("sonde-4"), 4)
    );
    let a = mqtt_response(&x.response);
    assert_eq!((a.codes, a.reason_code), (2, 1));
}

#[test]
fn every_split_gives_the_same_outcomes_on_both_ends() {
    for text in ALL {
        let chunks = load(text);
        let whole = summary(&client_side(text, usize::MAX));
        for max in [1, 2, 3, 5, 7, 64] {
            assert_eq!(summary(&client_side(text, max)), whole, "split {max}");
        }
        // The broker's side sees the same exchanges with the roles swapped.
        let (events, session) = replay(Protocol::Mqtt, Role::Server, &chunks, usize::MAX);
        let swapped: Vec<String> = whole
            .iter()
            .map(|l| {
                if let Some(rest) = l.strip_prefix("Client ") {
                    format!("Server {rest}")
                } else {
                    format!("Client {}", l.strip_prefix("Server ").unwrap())
                }
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
fn one_chunk_stream_pairs_pipelined_packets() {
    // Each side's bytes in one syscall, the client's first: the broker's
    // answers then all come after every request.
    let chunks = load(PAHO_311);
    let joined = vec![
        (Role::Client, sent_by(&chunks, Role::Client)),
        (Role::Server, sent_by(&chunks, Role::Server)),
    ];
    let (events, _) = replay(Protocol::Mqtt, Role::Client, &joined, usize::MAX);
    let mut lines = summary(&events);
    lines.sort();
    let mut expected = summary(&client_side(PAHO_311, usize::MAX));
    expected.sort();
    // Pushed by the broker before its PUBACK was seen, the subscriber's
    // PUBACKs (sent in the client's chunk) find no request.
    assert!(lines.contains(&"Server lone Puback (NoRequest)".to_owned()));
    assert_eq!(lines.iter().filter(|l| l.contains("-> Connack")).count(), 1);
    assert!(expected.contains(&"Client ping -> Pingresp#0".to_owned()));
    assert!(lines.contains(&"Client ping -> Pingresp#0".to_owned()));
}

#[test]
fn paho_5_session_keeps_traceparent_reason_codes_and_client_id() {
    let events = client_side(PAHO_5, usize::MAX);
    assert_eq!(
        summary(&events),
        [
            "Client connect -> Connack#0",
            "Client subscribe sensors/# -> Suback#1",
            "Client publish sensors/temp (OneWay)",
            "Server receive sensors/temp (OneWay)",
            "Server receive sensors/temp -> Puback#1",
            "Client publish sensors/temp -> Puback#3",
            "Client publish sensors/hum -> Pubrec#4",
            "Server receive sensors/hum -> Pubrec#2",
            "Client publish secret/x -> Puback#5 !NOT_AUTHORIZED",
            "Client ping -> Pingresp#0",
            "Client unsubscribe sensors/# -> Unsuback#6",
            "Client disconnect (OneWay)",
        ]
    );
    // Every publish with the user property announces its trace context,
    // the broker's deliveries too.
    let contexts: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Started(s) => Some((s.role, s.context.traceparent.as_deref())),
            _ => None,
        })
        .collect();
    assert_eq!(
        contexts
            .iter()
            .filter(|(_, t)| *t == Some(TRACEPARENT))
            .count(),
        6
    );
    let publish = events
        .iter()
        .find_map(|e| match e {
            Event::Unpaired(u) => match &u.message {
                Half::Request(q) => Some(mqtt_request(q).clone()),
                _ => None,
            },
            _ => None,
        })
        .unwrap();
    let d = describe_request(&publish, None, Role::Client);
    assert_eq!(d.shape, SpanShape::Producer);
    assert_eq!(d.family, Family::Messaging);
    assert_eq!(
        d.attributes,
        vec![
            Attribute::str("messaging.system", "mqtt"),
            Attribute::str("messaging.operation.name", "publish"),
            Attribute::str("messaging.operation.type", "send"),
            Attribute::str("messaging.destination.name", "sensors/temp"),
            Attribute::str("messaging.client.id", "sonde-5"),
            Attribute::int("messaging.message.body.size", 4),
            Attribute::str("network.protocol.name", "mqtt"),
            Attribute::str("network.protocol.version", "5.0"),
        ]
    );
    assert!(!d.failed);
}

#[test]
fn a_delivery_to_a_subscriber_is_a_consumer_receive() {
    let events = outcomes(client_side(SUB_311_QOS2, usize::MAX));
    assert_eq!(
        summary(&events),
        [
            "Client connect -> Connack#0",
            "Client subscribe sensors/+ -> Suback#1",
            "Server receive sensors/door (OneWay)",
            "Server receive sensors/window -> Pubrec#1",
            "Client disconnect (OneWay)",
        ]
    );
    let Event::Exchange(x) = &events[3] else {
        panic!()
    };
    let q = mqtt_request(&x.request);
    let d = describe_request(q, Some(mqtt_response(&x.response)), x.role);
    assert_eq!(d.shape, SpanShape::Consumer);
    assert_eq!(d.name, "receive sensors/window");
    assert_eq!(
        d.attribute("messaging.operation.type"),
        Some(&Value::Str("receive".into()))
    );
    assert_eq!(
        d.attribute("messaging.client.id"),
        Some(&Value::Str("sonde-sub".into()))
    );
    assert_eq!(
        d.attribute("messaging.message.body.size"),
        Some(&Value::Int(6))
    );
    // The broker asked (its PUBLISH), the subscriber answered.
    assert_eq!(x.role, Role::Server);
    assert_eq!(
        (x.request_meta.start_ns, x.response_meta.end_ns),
        (500, 610)
    );
}

#[test]
fn an_assigned_client_identifier_is_copied_into_later_requests() {
    let events = outcomes(client_side(SUB_5, usize::MAX));
    let Event::Exchange(connect) = &events[0] else {
        panic!()
    };
    assert_eq!(mqtt_request(&connect.request).client_id, None);
    let Event::Exchange(subscribe) = &events[1] else {
        panic!()
    };
    let id = mqtt_request(&subscribe.request).client_id.clone().unwrap();
    assert!(id.starts_with("auto-"), "{id}");
    assert_eq!(id.len(), 41);
    assert_eq!(
        summary(&events)[2..],
        [
            "Server receive sensors/door -> Puback#1",
            "Server receive sensors/door -> Puback#2",
            "Client disconnect (OneWay)",
        ]
    );
}

#[test]
fn refused_connections_fail_with_the_code_name() {
    assert_eq!(
        summary(&client_side(PAHO_311_REFUSED, usize::MAX)),
        ["Client connect -> Connack#0 !NOT_AUTHORIZED"]
    );
    assert_eq!(
        summary(&client_side(PAHO_5_REFUSED, usize::MAX)),
        ["Client connect -> Connack#0 !NOT_AUTHORIZED"]
    );
    let events = outcomes(client_side(PAHO_311_REFUSED, usize::MAX));
    let Event::Exchange(x) = &events[0] else {
        panic!()
    };
    let d = describe_request(
        mqtt_request(&x.request),
        Some(mqtt_response(&x.response)),
        x.role,
    );
    assert!(d.failed);
    assert_eq!(d.name, "connect");
    assert_eq!(d.shape, SpanShape::ByRole);
}

#[test]
fn publishers_qos_0_and_2() {
    assert_eq!(
        summary(&client_side(PUB_311_QOS0, usize::MAX)),
        [
            "Client connect -> Connack#0",
            "Client publish sensors/door (OneWay)",
            "Client disconnect (OneWay)",
        ]
    );
    assert_eq!(
        summary(&client_side(PUB_311_QOS2, usize::MAX)),
        [
            "Client connect -> Connack#0",
            "Client publish sensors/window -> Pubrec#1",
            "Client disconnect (OneWay)",
        ]
    );
    assert_eq!(
        summary(&client_side(PUB_5_QOS1, usize::MAX)),
        [
            "Client connect -> Connack#0",
            "Client publish sensors/door -> Puback#1",
            "Client disconnect (OneWay)",
        ]
    );
}

/// A v3.1.1 session's CONNECT, for spec-built packets after it.
const CONNECT_311: &[u8] = b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02id";
const CONNECT_5: &[u8] = b"\x10\x0f\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x02id";

fn spec(chunks: &[(Role, &[u8])]) -> Vec<String> {
    let chunks: Vec<(Role, Vec<u8>)> = chunks.iter().map(|(r, b)| (*r, b.to_vec())).collect();
    let (events, _) = replay(Protocol::Mqtt, Role::Client, &chunks, usize::MAX);
    summary(&events)
}

#[test]
fn suback_failure_codes() {
    let c = Role::Client;
    let s = Role::Server;
    assert_eq!(
        spec(&[
            (c, CONNECT_311),
            (s, b"\x20\x02\x00\x00"),
            (c, b"\x82\x0a\x00\x07\x00\x01a\x01\x00\x01b\x00"),
            (s, b"\x90\x04\x00\x07\x01\x80"),
        ])[1],
        "Client subscribe a -> Suback#7 !FAILURE"
    );
    assert_eq!(
        spec(&[
            (c, CONNECT_5),
            (s, b"\x20\x03\x00\x00\x00"),
            (c, b"\x82\x07\x00\x07\x00\x00\x01a\x01"),
            (s, b"\x90\x04\x00\x07\x00\x87"),
            (c, b"\xa2\x06\x00\x08\x00\x00\x01a"),
            (s, b"\xb0\x04\x00\x08\x00\x11"),
        ])[1..],
        [
            "Client subscribe a -> Suback#7 !NOT_AUTHORIZED",
            // 0x11 "No subscription existed" is not a failure.
            "Client unsubscribe a -> Unsuback#8",
        ]
    );
}

#[test]
fn topic_aliases_resolve_per_sender() {
    let c = Role::Client;
    let s = Role::Server;
    // QoS 1 publishes: topic "t/1" with alias 3, then alias 3 alone; the
    // broker's alias 3 is its own.
    let lines = spec(&[
        (c, CONNECT_5),
        (s, b"\x20\x03\x00\x00\x00"),
        (c, b"\x32\x0c\x00\x03t/1\x00\x01\x03\x23\x00\x03x"),
        (c, b"\x32\x09\x00\x00\x00\x02\x03\x23\x00\x03y"),
        (s, b"\x32\x0c\x00\x03u/9\x00\x05\x03\x23\x00\x03z"),
        (s, b"\x40\x02\x00\x01\x40\x02\x00\x02"),
        (s, b"\x32\x09\x00\x00\x00\x06\x03\x23\x00\x03w"),
        (c, b"\x40\x02\x00\x05\x40\x02\x00\x06"),
    ]);
    assert_eq!(
        lines[1..],
        [
            "Client publish t/1 -> Puback#1",
            "Client publish t/1 -> Puback#2",
            "Server receive u/9 -> Puback#5",
            "Server receive u/9 -> Puback#6",
        ]
    );
}

#[test]
fn a_publish_beyond_the_capture_keeps_its_topic_and_size() {
    let mut session = crate::Session::new(Protocol::Mqtt, Role::Client, Default::default());
    let mut events = Vec::new();
    let push = |s: &mut crate::Session, d, seg: &crate::Segment<'_>, ev: &mut Vec<Event>| {
        s.push(d, seg, |e| ev.push(e))
    };
    push(
        &mut session,
        Direction::Egress,
        &crate::Segment::new(CONNECT_311, 0, 10),
        &mut events,
    );
    push(
        &mut session,
        Direction::Ingress,
        &crate::Segment::new(b"\x20\x02\x00\x00", 100, 110),
        &mut events,
    );
    // QoS 1, 100 000 payload bytes: remaining length 2 + 3 + 2 + 100 000.
    let mut publish = vec![0x32];
    let remaining = 100_007u32;
    publish.extend([
        (remaining & 0x7f) as u8 | 0x80,
        ((remaining >> 7) & 0x7f) as u8 | 0x80,
        (remaining >> 14) as u8,
    ]);
    publish.extend(b"\x00\x03big\x00\x09");
    publish.extend(vec![b'x'; 100_000]);
    let seg = crate::Segment::new(&publish[..64], 200, 210).with_len(publish.len());
    push(&mut session, Direction::Egress, &seg, &mut events);
    // The rest of the payload arrives in the next write, then a PINGREQ.
    let seg = crate::Segment::new(b"", 300, 310).with_len(0);
    push(&mut session, Direction::Egress, &seg, &mut events);
    push(
        &mut session,
        Direction::Egress,
        &crate::Segment::new(b"\xc0\x00", 400, 410),
        &mut events,
    );
    push(
        &mut session,
        Direction::Ingress,
        &crate::Segment::new(b"\x40\x02\x00\x09\xd0\x00", 500, 510),
        &mut events,
    );
    let events = outcomes(events);
    assert_eq!(
        summary(&events),
        [
            "Client connect -> Connack#0",
            "Client publish big -> Puback#9",
            "Client ping -> Pingresp#0",
        ]
    );
    let Event::Exchange(x) = &events[1] else {
        panic!()
    };
    assert_eq!(mqtt_request(&x.request).payload_len, Some(100_000));
    assert_eq!(
        (x.request_meta.bytes, x.request_meta.truncated),
        (publish.len() as u64, true)
    );
}

#[test]
fn a_publish_cut_inside_its_topic_is_kept_truncated() {
    let mut p = Mqtt::default();
    let pairer = crate::pairing::Pairer::<Mqtt>::new(Role::Client, &Default::default());
    let pending = pairer.pending_for(Role::Client);
    let bytes = b"\x30\x0d\x00\x0bsensors/t";
    match p.parse(Role::Client, Input::truncated(bytes, 4), pending) {
        ParseResult::Parsed {
            message: Step::Whole(Message::Request(q)),
            consumed: 15,
        } => {
            assert!(q.truncated);
            assert_eq!(q.topic, None);
        }
        other => panic!("{other:?}"),
    }
    // Without the capture cut, it waits for the rest.
    assert_eq!(
        p.parse(Role::Client, Input::new(bytes), pending),
        ParseResult::Incomplete { needed: None }
    );
}

#[test]
fn garbage_is_skipped_and_packets_found_again() {
    let c = Role::Client;
    let s = Role::Server;
    let lines = spec(&[
        (c, CONNECT_311),
        (s, b"\x20\x02\x00\x00"),
        // PINGREQ with a body: malformed, the stream drops the segment.
        (c, b"\xc0\x01\x00"),
        (c, b"\xff\xfe garbage"),
        (c, b"\xc0\x00"),
        (s, b"\xd0\x00"),
    ]);
    assert_eq!(
        lines,
        ["Client connect -> Connack#0", "Client ping -> Pingresp#0"]
    );
}

#[test]
fn pubrel_and_pubcomp_are_consumed_without_messages() {
    let events = outcomes(client_side(PUB_311_QOS2, 1));
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| !matches!(
        e,
        Event::Unpaired(crate::Unpaired {
            reason: UnpairedReason::NoRequest,
            ..
        })
    )));
}

#[test]
fn a_broker_disconnect_with_a_reason_fails() {
    let c = Role::Client;
    let s = Role::Server;
    assert_eq!(
        spec(&[
            (c, CONNECT_5),
            (s, b"\x20\x03\x00\x00\x00"),
            (s, b"\xe0\x02\x8e\x00"),
        ])[1],
        "Server disconnect (OneWay)"
    );
    let mut q = Mqtt::default().request(PacketType::Disconnect, Role::Server);
    q.level = 5;
    q.reason_code = 0x8e;
    let d = describe_request(&q, None, Role::Server);
    assert_eq!(d.error_type.as_deref(), Some("SESSION_TAKEN_OVER"));
}

#[test]
fn cut_truncated_and_corrupted_streams_never_panic() {
    // xorshift64*: a fixed corpus without a rand crate.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for round in 0..3000 {
        let text = ALL[round % ALL.len()];
        let local = if round % 2 == 0 {
            Role::Client
        } else {
            Role::Server
        };
        let mut session = crate::Session::new(Protocol::Mqtt, local, Default::default());
        let mut k = 0u64;
        for (from, bytes) in load(text) {
            let mut bytes = bytes.clone();
            for _ in 0..(next() % 3) {
                if !bytes.is_empty() {
                    let i = (next() as usize) % bytes.len();
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
                let n = 1 + (next() as usize) % rest.len();
                let (piece, tail) = rest.split_at(n);
                rest = tail;
                // Now and then the capture keeps only part of a syscall.
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
                        assert!(x.request_meta.start_ns <= x.response_meta.end_ns);
                        let q = mqtt_request(&x.request);
                        let _ = describe_request(q, Some(mqtt_response(&x.response)), x.role);
                    }
                });
            }
        }
        session.close(|_| {});
    }
}
