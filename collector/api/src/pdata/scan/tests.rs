use prost::Message;

use super::{scan, Summary, LOGS_REQUEST, METRICS_REQUEST, TRACES_REQUEST};
use crate::pdata::fixtures::{logs, metrics, traces};
use crate::pdata::metrics::v1 as m;
use crate::pdata::{Payload, Signal};

fn schema(signal: Signal) -> &'static super::Msg {
    match signal {
        Signal::Traces => &TRACES_REQUEST,
        Signal::Metrics => &METRICS_REQUEST,
        Signal::Logs => &LOGS_REQUEST,
    }
}

fn samples() -> Vec<Payload> {
    vec![
        Payload::Traces(traces()),
        Payload::Metrics(metrics()),
        Payload::Logs(logs()),
    ]
}

#[test]
fn counts_what_a_decode_counts() {
    for payload in samples() {
        let bytes = payload.encode_to_vec();
        let summary = scan(schema(payload.signal()), &bytes).unwrap();
        assert_eq!(
            summary,
            Summary {
                items: payload.item_count(),
                resources: payload.resource_count()
            },
            "{}",
            payload.signal()
        );
    }
    // The fixtures are not trivial: every signal has items under two resources.
    let counts: Vec<usize> = samples().iter().map(Payload::item_count).collect();
    assert_eq!(counts, vec![3, 8, 2]);
}

/// Deterministic bytes for mutations, without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut XorShift, original: &[u8]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..=rng.below(3) {
        match rng.below(4) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] = rng.next() as u8;
            }
            1 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            2 => bytes.truncate(rng.below(bytes.len() + 1)),
            _ => {
                let i = rng.below(bytes.len() + 1);
                bytes.insert(i, rng.next() as u8);
            }
        }
    }
    bytes
}

/// The one mistake the walk must not make: accepting bytes prost refuses, or
/// counting differently from a decode.
#[test]
fn never_accepts_what_prost_refuses() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut refused_by_both) = (0, 0);
    for payload in samples() {
        let signal = payload.signal();
        let original = payload.encode_to_vec();
        for _ in 0..20_000 {
            let bytes = mutate(&mut rng, &original);
            let walked = scan(schema(signal), &bytes);
            let decoded = Payload::decode(signal, &bytes);
            match (walked, decoded) {
                (Ok(summary), Ok(decoded)) => {
                    accepted += 1;
                    assert_eq!(summary.items, decoded.item_count(), "{bytes:?}");
                    assert_eq!(summary.resources, decoded.resource_count(), "{bytes:?}");
                }
                (Ok(_), Err(err)) => panic!("walk accepted, prost refused ({err}): {bytes:?}"),
                (Err(_), Err(_)) => refused_by_both += 1,
                (Err(_), Ok(_)) => {}
            }
        }
    }
    // Both outcomes are exercised, not just one.
    assert!(accepted > 1_000, "accepted {accepted}");
    assert!(refused_by_both > 1_000, "refused {refused_by_both}");
}

#[test]
fn refuses_invalid_utf8_in_a_string_field() {
    let mut request = traces();
    request.resource_spans[0].scope_spans[0].spans[0].name = "\u{e9}t\u{e9}".into();
    let mut bytes = request.encode_to_vec();
    let at = bytes.windows(2).position(|w| w == [0xc3, 0xa9]).unwrap();
    bytes[at] = 0xff;
    assert!(scan(&TRACES_REQUEST, &bytes).is_err());
    assert!(Payload::decode(Signal::Traces, &bytes).is_err());
}

#[test]
fn refuses_a_known_field_with_the_wrong_wire_type() {
    // Field 1 (resource_spans) as a varint.
    assert!(scan(&TRACES_REQUEST, &[0x08, 0x01]).is_err());
    assert!(Payload::decode(Signal::Traces, &[0x08, 0x01]).is_err());
}

#[test]
fn skips_unknown_fields_as_prost_does() {
    let mut bytes = traces().encode_to_vec();
    // Field 9 of the request, length-delimited, 2 bytes; then field 10 as a varint.
    bytes.extend_from_slice(&[0x4a, 0x02, 0xff, 0xff, 0x50, 0x96, 0x01]);
    let summary = scan(&TRACES_REQUEST, &bytes).unwrap();
    assert_eq!(summary.items, 3);
    assert!(Payload::decode(Signal::Traces, &bytes).is_ok());
}

fn metric_bytes(data: m::metric::Data) -> Vec<u8> {
    m::Metric {
        name: "m".into(),
        data: Some(data),
        ..Default::default()
    }
    .encode_to_vec()
}

fn points(n: usize) -> Vec<m::NumberDataPoint> {
    vec![m::NumberDataPoint::default(); n]
}

/// A metric whose bytes carry two data fields: a decode keeps the last variant, and
/// merges the same variant.
#[test]
fn counts_a_metric_oneof_as_a_decode_leaves_it() {
    let gauge = |n| {
        m::metric::Data::Gauge(m::Gauge {
            data_points: points(n),
        })
    };
    let sum = |n| {
        m::metric::Data::Sum(m::Sum {
            data_points: points(n),
            ..Default::default()
        })
    };
    for (first, second, expected) in [
        (gauge(2), sum(3), 3),
        (gauge(2), gauge(3), 5),
        (sum(4), gauge(1), 1),
    ] {
        let mut metric = metric_bytes(first);
        metric.extend(metric_bytes(second));
        // request { resource_metrics { scope_metrics { metrics: <metric> } } }
        let scope = [vec![0x12], varint(metric.len()), metric].concat();
        let resource = [vec![0x12], varint(scope.len()), scope].concat();
        let request = [vec![0x0a], varint(resource.len()), resource].concat();
        let summary = scan(&METRICS_REQUEST, &request).unwrap();
        let decoded = Payload::decode(Signal::Metrics, &request).unwrap();
        assert_eq!(decoded.item_count(), expected);
        assert_eq!(summary.items, expected);
    }
}

fn varint(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out
}

#[test]
fn leaves_very_deep_nesting_to_prost() {
    // An attribute value that is an array in an array in ... 80 deep.
    let mut value = vec![0x0a, 0x00]; // AnyValue { string_value: "" }
    for _ in 0..80 {
        let array = [vec![0x0a], varint(value.len()), value].concat(); // ArrayValue.values
        value = [vec![0x2a], varint(array.len()), array].concat(); // AnyValue.array_value
    }
    let kv = [vec![0x12], varint(value.len()), value].concat(); // KeyValue.value
    let res = [vec![0x0a], varint(kv.len()), kv].concat(); // Resource.attributes
    let rs = [vec![0x0a], varint(res.len()), res].concat(); // ResourceSpans.resource
    let request = [vec![0x0a], varint(rs.len()), rs].concat();
    assert!(scan(&TRACES_REQUEST, &request).is_err());
}
