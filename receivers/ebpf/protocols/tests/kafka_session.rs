//! Kafka through whole sessions.
//!
//! No Kafka broker can be installed on the build machine, so the recordings
//! in `testdata/kafka/` pair REAL requests of kafka-python 3.0.12 (its
//! producer and consumer) with answers BUILT FROM THE SPEC by a stub broker
//! (`testdata/kafka/record.py`: a generic codec over Apache Kafka's JSON
//! message definitions, whose answers kafka-python decoded and acted on).
//! `spec_c1` is built from the spec on both sides: topics named by id and a
//! consumer group's Heartbeat, which kafka-python does not send.

mod common;

use common::*;
use sonde_ebpf_protocols::kafka::{self, WAIT_LIMIT};
use sonde_ebpf_protocols::{
    detect, DescribeContext, DescribeOptions, Description, Detection, Event, Exchange, Family,
    Half, Kind, Limits, Malformed, Protocol, Request, Response, Role, SpanShape, UnpairedReason,
    Value,
};

macro_rules! recording {
    ($name:literal) => {
        (
            include_bytes!(concat!("../testdata/kafka/", $name, ".req")).as_slice(),
            include_bytes!(concat!("../testdata/kafka/", $name, ".resp")).as_slice(),
        )
    };
}

const PRODUCE_41: (&[u8], &[u8]) = recording!("produce_kafka41_c2");
const PRODUCE_2: (&[u8], &[u8]) = recording!("produce_kafka2_c2");
const BOOTSTRAP_2: (&[u8], &[u8]) = recording!("produce_kafka2_c1");
const CONSUME_41: (&[u8], &[u8]) = recording!("consume_kafka41_c4");
const CONSUME_2: (&[u8], &[u8]) = recording!("consume_kafka2_c4");
const ACKS0: (&[u8], &[u8]) = recording!("acks0_c2");
const SPEC: (&[u8], &[u8]) = recording!("spec_c1");

/// The frames (4-byte size included) of a recorded direction.
fn frames(mut stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !stream.is_empty() {
        let n = 4 + u32::from_be_bytes(stream[..4].try_into().unwrap()) as usize;
        out.push(&stream[..n]);
        stream = &stream[n..];
    }
    out
}

fn correlation(frame: &[u8], request: bool) -> i32 {
    let at = if request { 8 } else { 4 };
    i32::from_be_bytes(frame[at..at + 4].try_into().unwrap())
}

/// The connection replayed as it went: each request, then its answer (none
/// for acks=0), from `local`'s side.
fn replay((requests, responses): (&[u8], &[u8]), local: Role) -> Conn {
    let mut c = Conn::of(Protocol::Kafka, local, Limits::default());
    let (ask, answer) = if local == Role::Client {
        (OUT, IN)
    } else {
        (IN, OUT)
    };
    let mut answers = frames(responses).into_iter().peekable();
    for q in frames(requests) {
        c.push(ask, q);
        if let Some(a) = answers.next_if(|a| correlation(a, false) == correlation(q, true)) {
            c.push(answer, a);
        }
    }
    assert!(answers.next().is_none());
    c
}

fn messages(x: &Exchange) -> (&kafka::Request, &kafka::Response) {
    match (&x.request, &x.response) {
        (Request::Kafka(q), Response::Kafka(r)) => (q, r),
        other => panic!("not Kafka: {other:?}"),
    }
}

fn describe(request: &Request, response: Option<&Response>, role: Role) -> Description {
    request
        .describe(
            response,
            DescribeContext {
                role,
                options: &DescribeOptions::default(),
            },
        )
        .expect("same protocol")
}

/// (api, version, correlation id, topic, error code) of every exchange; the
/// topic is `{n} topics` for a request that names more than one.
fn summary(c: &Conn) -> Vec<(String, i16, i32, Option<String>, i16)> {
    c.exchanges()
        .iter()
        .map(|x| {
            let (q, r) = messages(x);
            assert_eq!(q.correlation_id, r.correlation_id);
            assert_eq!((r.api_key, r.api_version), (Some(q.api_key), q.api_version));
            let topic = match q.topic_count {
                Some(1) => q.topic.clone(),
                Some(n) if n > 1 => Some(format!("{n} topics")),
                _ => None,
            };
            (
                q.api_name(),
                q.api_version,
                q.correlation_id,
                topic,
                r.error_code,
            )
        })
        .collect()
}

fn row(
    api: &str,
    version: i16,
    id: i32,
    topic: Option<&str>,
    error: i16,
) -> (String, i16, i32, Option<String>, i16) {
    (api.into(), version, id, topic.map(Into::into), error)
}

/// The producer asking again and again for the topics it knows and the one
/// that never appears.
fn nosuch_metadata(
    version: i16,
    ids: std::ops::RangeInclusive<i32>,
) -> Vec<(String, i16, i32, Option<String>, i16)> {
    ids.map(|id| row("Metadata", version, id, Some("3 topics"), 3))
        .collect()
}

#[test]
fn kafka_python_producing_to_a_4_1_broker() {
    let c = replay(PRODUCE_41, Role::Client);
    let mut want = vec![
        row("ApiVersions", 4, 1, None, 0),
        row("InitProducerId", 4, 2, None, 0),
        row("Metadata", 13, 3, Some("orders"), 0),
        row("Produce", 9, 4, Some("orders"), 0),
        row("Produce", 9, 5, Some("orders"), 0),
        row("Metadata", 13, 6, Some("2 topics"), 0),
        // The stub's first answer for `flaky`: the client retries.
        row("Produce", 9, 7, Some("flaky"), 6),
        row("Produce", 9, 8, Some("flaky"), 0),
    ];
    want.extend(nosuch_metadata(13, 9..=23));
    assert_eq!(summary(&c), want);
    assert!(c.unpaired().is_empty());
    assert_eq!(c.session.stats().malformed, 0);

    let x = c.exchanges();
    let (q, r) = messages(x[3]);
    assert_eq!(
        (q.acks, q.topic_count, q.client_id.as_deref()),
        (Some(-1), Some(1), Some("sonde-producer"))
    );
    assert!(!q.partial && !r.partial);
    let d = describe(&x[3].request, Some(&x[3].response), Role::Client);
    assert_eq!(
        (d.family, d.name.as_str(), d.shape),
        (Family::Messaging, "send orders", SpanShape::Producer)
    );
    let attributes: Vec<(&str, &Value)> = d.attributes.iter().map(|a| (a.key, &a.value)).collect();
    let s = |v: &str| Value::Str(v.into());
    assert_eq!(
        attributes,
        [
            ("messaging.system", &s("kafka")),
            ("messaging.operation.name", &s("send")),
            ("messaging.operation.type", &s("send")),
            ("messaging.destination.name", &s("orders")),
            ("messaging.client.id", &s("sonde-producer")),
        ]
    );
    assert_eq!((d.error_type, d.failed), (None, false));

    let d = describe(&x[6].request, Some(&x[6].response), Role::Client);
    assert_eq!(
        (d.name.as_str(), d.error_type.as_deref()),
        ("send flaky", Some("NOT_LEADER_OR_FOLLOWER"))
    );
    assert!(d.failed);
    let d = describe(&x[8].request, Some(&x[8].response), Role::Client);
    assert_eq!(
        (d.name.as_str(), d.error_type.as_deref()),
        ("Metadata", Some("UNKNOWN_TOPIC_OR_PARTITION"))
    );
    assert_eq!(
        d.attribute("messaging.operation.name"),
        Some(&s("Metadata"))
    );
    assert_eq!(d.attribute("messaging.operation.type"), None);
    assert_eq!(d.shape, SpanShape::ByRole);
}

#[test]
fn kafka_python_producing_to_an_old_broker() {
    // Versions below the flexible ones: classic strings and arrays, no
    // tagged fields.
    let c = replay(PRODUCE_2, Role::Client);
    let mut want = vec![
        row("ApiVersions", 2, 1, None, 0),
        row("InitProducerId", 1, 2, None, 0),
        row("Metadata", 7, 3, Some("orders"), 0),
        row("Produce", 7, 4, Some("orders"), 0),
        row("Produce", 7, 5, Some("orders"), 0),
        row("Metadata", 7, 6, Some("2 topics"), 0),
        row("Produce", 7, 7, Some("flaky"), 6),
        row("Produce", 7, 8, Some("flaky"), 0),
    ];
    want.extend(nosuch_metadata(7, 9..=23));
    assert_eq!(summary(&c), want);
    // The bootstrap connection asks ApiVersions v4 first; the old broker
    // answers in v0 with UNSUPPORTED_VERSION, and the client asks again in v2.
    let c = replay(BOOTSTRAP_2, Role::Client);
    assert_eq!(
        summary(&c),
        [
            row("ApiVersions", 4, 1, None, 35),
            row("ApiVersions", 2, 2, None, 0),
            row("Metadata", 7, 3, None, 0),
        ]
    );
    let x = c.exchanges()[0];
    let d = describe(&x.request, Some(&x.response), Role::Client);
    assert_eq!(
        (d.name.as_str(), d.error_type.as_deref()),
        ("ApiVersions", Some("UNSUPPORTED_VERSION"))
    );
    // The bootstrap Metadata request asks for brokers only: no topic.
    assert_eq!(messages(c.exchanges()[2]).0.topic_count, Some(0));
}

#[test]
fn kafka_python_consuming() {
    for (recording, fetch, list_offsets, metadata) in
        [(CONSUME_41, 12, 11, 13), (CONSUME_2, 10, 5, 7)]
    {
        let c = replay(recording, Role::Client);
        assert_eq!(
            summary(&c),
            [
                row("ApiVersions", if fetch == 12 { 4 } else { 2 }, 1, None, 0),
                row("Metadata", metadata, 2, Some("orders"), 0),
                // Past the end: OFFSET_OUT_OF_RANGE, a reset, the records.
                row("Fetch", fetch, 3, Some("orders"), 1),
                row("ListOffsets", list_offsets, 4, None, 0),
                row("Fetch", fetch, 5, Some("orders"), 0),
            ]
        );
        let x = c.exchanges();
        let d = describe(&x[2].request, Some(&x[2].response), Role::Client);
        assert_eq!(
            (d.name.as_str(), d.shape, d.error_type.as_deref()),
            (
                "poll orders",
                SpanShape::Consumer,
                Some("OFFSET_OUT_OF_RANGE")
            )
        );
        assert_eq!(
            d.attribute("messaging.operation.type"),
            Some(&Value::Str("receive".into()))
        );
        assert_eq!(
            d.attribute("messaging.client.id"),
            Some(&Value::Str("sonde-consumer".into()))
        );
        // The answer with records was read to its end.
        let (_, r) = messages(x[4]);
        assert!(!r.partial);
        assert_eq!(
            x[4].response_meta.bytes,
            frames(recording.1)[4].len() as u64
        );
    }
}

#[test]
fn the_broker_side_of_the_same_connection() {
    let c = replay(CONSUME_41, Role::Server);
    assert_eq!(c.exchanges().len(), 5);
    assert!(c.exchanges().iter().all(|x| x.role == Role::Server));
    let x = c.exchanges()[2];
    let d = describe(&x.request, Some(&x.response), x.role);
    assert_eq!(
        (d.name.as_str(), d.shape),
        ("poll orders", SpanShape::Consumer)
    );
}

#[test]
fn acks_0_produces_get_no_answer() {
    let c = replay(ACKS0, Role::Client);
    assert_eq!(
        summary(&c),
        [
            row("ApiVersions", 4, 1, None, 0),
            row("Metadata", 13, 2, Some("orders"), 0)
        ]
    );
    // kafka-python batched the three sends into one or two requests.
    let unpaired = c.unpaired();
    assert!(!unpaired.is_empty());
    for u in &unpaired {
        assert_eq!(u.reason, UnpairedReason::OneWay);
        let Half::Request(request) = &u.message else {
            panic!()
        };
        let Request::Kafka(q) = request else { panic!() };
        assert_eq!(q.acks, Some(0));
        let d = describe(request, None, u.role);
        assert_eq!(
            (d.name.as_str(), d.shape, d.failed),
            ("send orders", SpanShape::Producer, false)
        );
    }
}

#[test]
fn topic_ids_are_named_by_the_connections_metadata() {
    let c = replay(SPEC, Role::Client);
    assert_eq!(
        summary(&c),
        [
            row("Metadata", 12, 1, Some("orders"), 0),
            // Partition 1's NOT_LEADER_OR_FOLLOWER, after partition 0's records.
            row("Fetch", 16, 2, Some("orders"), 6),
            row("Produce", 13, 3, Some("orders"), 0),
            // 24 KB of records in one segment: read through, partition 1 seen.
            row("Fetch", 16, 4, Some("orders"), 6),
            row("Heartbeat", 4, 5, None, 27),
        ]
    );
    let x = c.exchanges();
    let (q, _) = messages(x[1]);
    assert_eq!(q.topic_id.map(|id| id[15]), Some(0xa1));
    let d = describe(&x[4].request, Some(&x[4].response), Role::Client);
    assert_eq!(
        (d.name.as_str(), d.error_type.as_deref()),
        ("Heartbeat", Some("REBALANCE_IN_PROGRESS"))
    );
    assert_eq!(
        d.attribute("messaging.consumer.group.name"),
        Some(&Value::Str("billing".into()))
    );
    // Without the Metadata answer the id stays an id.
    let mut c = Conn::of(Protocol::Kafka, Role::Client, Limits::default());
    let (requests, responses) = (frames(SPEC.0), frames(SPEC.1));
    c.push(OUT, requests[1]);
    c.push(IN, responses[1]);
    let (q, _) = messages(c.exchanges()[0]);
    assert_eq!((q.topic.as_deref(), q.topic_count), (None, Some(1)));
    let d = describe(
        &c.exchanges()[0].request,
        Some(&c.exchanges()[0].response),
        Role::Client,
    );
    assert_eq!(d.name, "poll");
    assert_eq!(d.attribute("messaging.destination.name"), None);
}

#[test]
fn records_are_skipped_never_waited_for() {
    let (requests, responses) = (frames(SPEC.0), frames(SPEC.1));
    let big = responses[3];
    assert!(big.len() > WAIT_LIMIT);
    // Read 4 KiB at a time, as kafka-python does: the answer is read once
    // its walk reaches partition 0's records, which are then skipped; the
    // error of partition 1 after them is not seen.
    let mut c = Conn::of(Protocol::Kafka, Role::Client, Limits::default());
    c.push(OUT, requests[0]);
    c.push(IN, responses[0]);
    c.push(OUT, requests[3]);
    for piece in big.chunks(4096) {
        c.push(IN, piece);
    }
    c.push(OUT, requests[4]);
    c.push(IN, responses[4]);
    let x = c.exchanges();
    assert_eq!(x.len(), 3);
    let (q, r) = messages(x[1]);
    assert_eq!(
        (q.topic.as_deref(), r.error_code, r.partial),
        (Some("orders"), 0, true)
    );
    assert_eq!(x[1].response_meta.bytes, big.len() as u64);
    assert!(!x[1].response_meta.truncated);
    assert_eq!(messages(x[2]).1.error_code, 27);
    let stats = *c.session.stats();
    assert_eq!((stats.dropped_bytes, stats.malformed), (0, 0));

    // Captured in part (the first 2 KiB of a 24 KiB read): the same.
    let mut c = Conn::of(Protocol::Kafka, Role::Client, Limits::default());
    c.push(OUT, requests[3]);
    c.push_cut(IN, &big[..2048], big.len());
    c.push(OUT, requests[4]);
    c.push(IN, responses[4]);
    let x = c.exchanges();
    assert_eq!(x.len(), 2);
    assert!(x[0].response_meta.truncated && messages(x[0]).1.partial);
    assert_eq!(messages(x[1]).1.error_code, 27);
}

#[test]
fn split_at_every_byte() {
    let (requests, responses) = (frames(PRODUCE_41.0), frames(PRODUCE_41.1));
    // Metadata v13 (flexible, topic ids), Produce v9 (records), its answer.
    let pairs = [(2usize, 2usize), (3, 3), (6, 6)];
    let longest = pairs
        .iter()
        .map(|&(q, r)| requests[q].len().max(responses[r].len()))
        .max()
        .unwrap();
    let mut want = Vec::new();
    for i in 0..=longest {
        let mut c = Conn::of(Protocol::Kafka, Role::Client, Limits::default());
        for &(q, r) in &pairs {
            for (direction, frame) in [(OUT, requests[q]), (IN, responses[r])] {
                let (a, b) = frame.split_at(i.min(frame.len()));
                c.push(direction, a);
                c.push(direction, b);
            }
        }
        let got = summary(&c);
        assert_eq!(got.len(), 3, "cut at {i}");
        if i == 0 {
            want = got;
        } else {
            assert_eq!(got, want, "cut at {i}");
        }
        assert!(
            c.exchanges().iter().all(|x| !messages(x).1.partial),
            "cut at {i}"
        );
    }
    assert_eq!(want[2], row("Produce", 9, 7, Some("flaky"), 6));
    // A whole connection a byte per syscall.
    let mut c = Conn::of(Protocol::Kafka, Role::Client, Limits::default());
    for b in CONSUME_41.0.chunks(1) {
        c.push(OUT, b);
    }
    for b in CONSUME_41.1.chunks(1) {
        c.push(IN, b);
    }
    assert_eq!(summary(&c), summary(&replay(CONSUME_41, Role::Client)));
}

#[test]
fn pipelined_requests_and_unknown_answers() {
    let (requests, responses) = (frames(PRODUCE_41.0), frames(PRODUCE_41.1));
    let mut c = Conn::of(Protocol::Kafka, Role::Server, Limits::default());
    // Three requests in one read, their answers in another, out of order.
    let joined: Vec<u8> = requests[3..6].concat();
    c.push(IN, &joined);
    c.push(OUT, &[responses[5], responses[3], responses[4]].concat());
    let ids: Vec<i32> = summary(&c).iter().map(|s| s.2).collect();
    assert_eq!(ids, [6, 4, 5]);
    // An answer whose request was not seen keeps its correlation id only.
    c.push(OUT, responses[0]);
    let u = c.unpaired();
    assert_eq!(u[0].reason, UnpairedReason::NoRequest);
    let Half::Response(Response::Kafka(r)) = &u[0].message else {
        panic!()
    };
    assert_eq!((r.correlation_id, r.api_key), (1, None));
}

#[test]
fn garbage_then_requests_again() {
    let (requests, responses) = (frames(PRODUCE_41.0), frames(PRODUCE_41.1));
    let mut c = Conn::of(Protocol::Kafka, Role::Client, Limits::default());
    c.push(OUT, requests[0]);
    // A size past 100 MiB: malformed; the stream waits for a request start.
    c.push(OUT, b"\x7f\xff\xff\xff\x00\x00");
    // The middle of a request does not start one: dropped.
    c.push(OUT, &requests[1][10..]);
    c.push(OUT, requests[2]);
    // An unknown API key in a well-sized frame: malformed.
    c.push(
        OUT,
        b"\x00\x00\x00\x0c\x7f\x00\x00\x00\x00\x00\x00\x09\xff\xff",
    );
    c.push(OUT, requests[3]);
    for r in &responses[..4] {
        c.push(IN, r);
    }
    let ids: Vec<i32> = summary(&c).iter().map(|s| s.2).collect();
    assert_eq!(ids, [1, 3, 4]);
    let stats = *c.session.stats();
    assert_eq!((stats.malformed, stats.dropped_segments), (2, 1));
    assert_eq!(stats.last_malformed, Some(Malformed::StartLine));
    // Request 2's answer found no request.
    assert_eq!(c.unpaired()[0].reason, UnpairedReason::NoRequest);
}

#[test]
fn detection_sees_requests() {
    let want = Some(Detection {
        protocol: Protocol::Kafka,
        kind: Kind::Request,
    });
    let mut requests = 0;
    for (q, _) in [
        PRODUCE_41,
        PRODUCE_2,
        BOOTSTRAP_2,
        CONSUME_41,
        CONSUME_2,
        ACKS0,
        SPEC,
    ] {
        for frame in frames(q) {
            assert_eq!(detect(&frame[..16], OUT), want, "{:02x?}", &frame[..16]);
            assert_eq!(detect(&frame[..14], IN), want);
            assert_eq!(detect(&frame[..13], OUT), None);
            requests += 1;
        }
    }
    assert!(requests > 60);
    // Nothing else detected as Kafka: HTTP, DNS over TCP, TLS.
    assert_eq!(
        detect(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", OUT).map(|d| d.protocol),
        Some(Protocol::Http1)
    );
    let dns = include_bytes!("../testdata/dns/dig_tcp_www_a.req");
    assert_eq!(detect(dns, OUT), None);
    let tls = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xaa\xbb\xcc\xdd\xee";
    assert_eq!(detect(tls, OUT), None);
    // MySQL, tried before Kafka, keeps its commands and greeting.
    for mysql in [
        &b"\x09\x00\x00\x00\x03SELECT 1"[..],
        b"\x64\x00\x00\x00\x0a5.5.5-10.11.19-",
    ] {
        assert_eq!(
            detect(mysql, OUT).map(|d| d.protocol),
            Some(Protocol::Mysql)
        );
    }
}

#[test]
fn an_early_close_reports_what_waits() {
    let (requests, _) = (frames(CONSUME_41.0), frames(CONSUME_41.1));
    let mut c = Conn::of(Protocol::Kafka, Role::Client, Limits::default());
    c.push(OUT, requests[2]);
    c.close();
    let u = c.unpaired();
    assert_eq!(u[0].reason, UnpairedReason::Closed);
    assert!(matches!(c.events[0], Event::Unpaired(_)));
    assert_eq!(c.started.len(), 1);
}

/// Synthetic, built from the spec: a Metadata v7 request for all topics
/// (null) and its answer naming `n` topics, the first and last
/// UNKNOWN_TOPIC_OR_PARTITION.
fn big_metadata(n: usize) -> (Vec<u8>, Vec<u8>) {
    let frame = |body: Vec<u8>| {
        let mut f = (body.len() as i32).to_be_bytes().to_vec();
        f.extend_from_slice(&body);
        f
    };
    let mut q = vec![0, 3, 0, 7, 0, 0, 0, 1, 0, 1, b'c'];
    q.extend_from_slice(&(-1i32).to_be_bytes()); // topics: null
    q.push(0); // allow auto topic creation
    let mut a = 1i32.to_be_bytes().to_vec(); // correlation id
    a.extend_from_slice(&0i32.to_be_bytes()); // throttle
    a.extend_from_slice(&1i32.to_be_bytes()); // one broker
    a.extend_from_slice(&[0, 0, 0, 0, 0, 1, b'h', 0, 0, 0x23, 0x84, 0xff, 0xff]);
    a.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]); // cluster id null, controller 0
    a.extend_from_slice(&(n as i32).to_be_bytes());
    for i in 0..n {
        let error: i16 = if i == 0 || i == n - 1 { 3 } else { 0 };
        a.extend_from_slice(&error.to_be_bytes());
        let name = format!("topic-{i:05}");
        a.extend_from_slice(&(name.len() as i16).to_be_bytes());
        a.extend_from_slice(name.as_bytes());
        a.push(0); // is internal
        a.extend_from_slice(&0i32.to_be_bytes()); // no partitions
    }
    (frame(q), frame(a))
}

#[test]
fn a_large_answer_is_read_from_its_first_bytes() {
    let (q, a) = big_metadata(1000);
    assert!(a.len() > WAIT_LIMIT + 4);
    // Whole in one read: both errors.
    let mut c = Conn::of(Protocol::Kafka, Role::Client, Limits::default());
    c.push(OUT, &q);
    c.push(IN, &a);
    let (request, r) = messages(c.exchanges()[0]);
    assert_eq!(request.topic_count, None);
    assert_eq!((r.error_code, r.error_count, r.partial), (3, 2, false));
    // In 100-byte reads: read once WAIT_LIMIT bytes are in, the last
    // topic's error unseen, and the next exchange found after it.
    let mut c = Conn::of(Protocol::Kafka, Role::Client, Limits::default());
    c.push(OUT, &q);
    for piece in a.chunks(100) {
        c.push(IN, piece);
    }
    c.push(OUT, &q);
    c.push(IN, &a);
    let x = c.exchanges();
    assert_eq!(x.len(), 2);
    let (_, r) = messages(x[0]);
    assert_eq!((r.error_code, r.error_count, r.partial), (3, 1, true));
    assert_eq!(x[0].response_meta.bytes, a.len() as u64);
    assert_eq!(c.session.stats().dropped_bytes, 0);
}
