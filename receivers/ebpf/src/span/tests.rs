use prost::Message;
use sonde_api::pdata::common::v1::{any_value::Value, KeyValue};
use sonde_api::pdata::trace::v1::{ScopeSpans, Span};
use sonde_ebpf_protocols::{Direction, Event, Exchange, Limits, Protocol, Role, Segment, Session};

use super::*;
use crate::testutil::tuple;

/// One exchange through a real session: request at t=100..110, answer at 300..310.
fn exchange(local: Role, request: &[u8], response: &[u8]) -> Exchange {
    let mut session = Session::new(Protocol::Http1, local, Limits::default());
    let (req_dir, resp_dir) = match local {
        Role::Server => (Direction::Ingress, Direction::Egress),
        Role::Client => (Direction::Egress, Direction::Ingress),
    };
    let mut out = Vec::new();
    session.push(req_dir, &Segment::new(request, 100, 110), |e| out.push(e));
    session.push(resp_dir, &Segment::new(response, 300, 310), |e| out.push(e));
    out.into_iter()
        .find_map(|e| match e {
            Event::Exchange(x) => Some(x),
            _ => None,
        })
        .expect("an exchange")
}

fn context(local: &str, remote: &str, route: Option<&'static str>) -> SpanContext<'static> {
    SpanContext {
        ids: SpanIds {
            trace_id: [1; 16],
            span_id: [2; 8],
            parent_span_id: Some([3; 8]),
        },
        tuple: tuple(local, remote),
        route,
        capture_query: false,
        clock: Clock::with_offset(1_000_000),
    }
}

/// The span as written, decoded, and what the RED metrics got.
fn build(x: &Exchange, cx: &SpanContext<'_>) -> (Measured, Span) {
    let mut out = Vec::new();
    let m = http_span(x, cx, &mut SpanWriter::default(), &mut out).unwrap();
    let mut scope = ScopeSpans::decode(out.as_slice()).unwrap();
    assert_eq!(scope.spans.len(), 1);
    (m, scope.spans.remove(0))
}

fn rendered(attributes: &[KeyValue]) -> Vec<String> {
    attributes
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) => s.clone(),
                Some(Value::IntValue(i)) => i.to_string(),
                Some(Value::ArrayValue(a)) => format!("{:?}", a.values.len()),
                other => format!("{other:?}"),
            };
            format!("{}={}", kv.key, value)
        })
        .collect()
}

const GET: &[u8] = b"GET /users/42?token=s3cret HTTP/1.1\r\nHost: api.example:8080\r\nUser-Agent: curl/7.88.1\r\nX-Request-ID: r-1\r\n\r\n";

#[test]
fn a_server_span_by_the_conventions() {
    let x = exchange(
        Role::Server,
        GET,
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
    );
    let (m, span) = build(
        &x,
        &context("10.0.0.1:8080", "10.0.0.2:51000", Some("/users/{id}")),
    );
    assert_eq!(span.name, "GET /users/{id}");
    assert_eq!(span.kind, SpanKind::Server as i32);
    assert_eq!(
        (span.trace_id.clone(), span.parent_span_id.clone()),
        (vec![1; 16], vec![3; 8])
    );
    // From the request's first read returning to the response's write entering.
    assert_eq!(
        (span.start_time_unix_nano, span.end_time_unix_nano),
        (1_000_110, 1_000_300)
    );
    assert_eq!(m.duration_seconds, 190e-9);
    assert_eq!(span.status.as_ref().unwrap().code, StatusCode::Error as i32);
    assert_eq!(
        rendered(&span.attributes),
        [
            "http.request.method=GET",
            "url.path=/users/42",
            "url.scheme=http",
            "http.route=/users/{id}",
            "http.response.status_code=503",
            "server.address=api.example",
            "server.port=8080",
            "client.address=10.0.0.2",
            "client.port=51000",
            "network.peer.address=10.0.0.2",
            "network.peer.port=51000",
            "network.protocol.version=1.1",
            "user_agent.original=curl/7.88.1",
            "http.request.header.x-request-id=1",
            "error.type=503",
        ]
    );
    assert_eq!(m.side, RedMetric::HttpServer);
    assert_eq!(
        m.red,
        RedAttributes {
            method: "GET".into(),
            route: Some("/users/{id}".into()),
            status_code: Some(503),
            error_type: Some("503".into()),
            server_address: Some("api.example".into()),
            server_port: Some(8080),
            protocol_version: Some("1.1".into()),
            other: Vec::new(),
        }
    );
}

#[test]
fn a_client_span_errs_from_400_and_has_no_route() {
    let x = exchange(
        Role::Client,
        GET,
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    );
    let mut cx = context("10.0.0.2:51000", "10.0.0.1:8080", Some("/ignored"));
    cx.capture_query = true;
    let (m, span) = build(&x, &cx);
    assert_eq!(
        (span.name.as_str(), span.kind),
        ("GET", SpanKind::Client as i32)
    );
    // From the request's write entering to the response's read returning.
    assert_eq!(
        (span.start_time_unix_nano, span.end_time_unix_nano),
        (1_000_100, 1_000_310)
    );
    assert_eq!(span.status.as_ref().unwrap().code, StatusCode::Error as i32);
    let attributes = rendered(&span.attributes);
    assert!(attributes.contains(&"url.query=token=s3cret".to_string()));
    assert!(attributes.contains(&"error.type=404".to_string()));
    assert!(!attributes
        .iter()
        .any(|a| a.starts_with("http.route") || a.starts_with("client.")));
    assert_eq!(m.red.route, None);
}

#[test]
fn success_is_unset_and_the_connection_names_the_server_without_host() {
    let x = exchange(
        Role::Server,
        b"POST /submit HTTP/1.0\r\n\r\n",
        b"HTTP/1.0 201 Created\r\nContent-Length: 0\r\n\r\n",
    );
    let (_, span) = build(&x, &context("127.0.0.1:9000", "127.0.0.1:40000", None));
    assert_eq!(span.name, "POST");
    assert_eq!(span.status.as_ref().unwrap().code, StatusCode::Unset as i32);
    let attributes = rendered(&span.attributes);
    assert!(attributes.contains(&"server.address=127.0.0.1".to_string()));
    assert!(attributes.contains(&"server.port=9000".to_string()));
    assert!(attributes.contains(&"network.protocol.version=1.0".to_string()));
    assert!(!attributes
        .iter()
        .any(|a| a.starts_with("url.query") || a.starts_with("error.type")));
}

#[test]
fn host_headers() {
    assert_eq!(split_host("example.com"), ("example.com", None));
    assert_eq!(split_host("example.com:81"), ("example.com", Some(81)));
    assert_eq!(split_host("[::1]:8080"), ("::1", Some(8080)));
    assert_eq!(split_host("[::1]"), ("::1", None));
    assert_eq!(split_host("::1"), ("::1", None));
    assert_eq!(split_host("h:notaport"), ("h", None));
}

#[test]
fn an_unknown_method_keeps_its_original() {
    let x = exchange(
        Role::Server,
        b"PURGE /cache HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    let (_, span) = build(&x, &context("127.0.0.1:80", "127.0.0.1:1234", None));
    let attributes = rendered(&span.attributes);
    assert_eq!(
        attributes[..2],
        [
            "http.request.method=_OTHER",
            "http.request.method_original=PURGE"
        ]
    );
    assert_eq!(span.name, "_OTHER");
}

/// A database exchange as its parser would describe it.
fn failed_select() -> sonde_ebpf_protocols::Description {
    use sonde_ebpf_protocols::{Attribute, Description, Family};
    let mut d = Description::new(Family::Db, "SELECT orders");
    d.attributes = vec![
        Attribute::str("db.system.name", "postgresql"),
        Attribute::str("db.operation.name", "SELECT"),
        Attribute::str("db.collection.name", "orders"),
        Attribute::str("db.query.text", "SELECT * FROM orders WHERE id = ?"),
        Attribute::str("db.response.status_code", "42P01"),
        Attribute::bool("db.sketchy", true),
        Attribute {
            key: "db.tags",
            value: sonde_ebpf_protocols::Value::StrArray(vec!["a".into(), "bc".into()]),
        },
    ];
    d.fail("42P01");
    d
}

fn meta(start: u64, end: u64) -> sonde_ebpf_protocols::Meta {
    sonde_ebpf_protocols::Meta {
        start_ns: start,
        end_ns: end,
        first_exit_ns: start + 1,
        last_enter_ns: end - 1,
        ..Default::default()
    }
}

#[test]
fn a_described_client_span_takes_the_parsers_attributes_and_the_sockets_addresses() {
    let (request, response) = (meta(100, 110), meta(300, 310));
    let seen = Seen {
        role: Role::Client,
        connection_role: Some(Role::Client),
        request: &request,
        response: Some(&response),
    };
    let cx = context("10.0.0.2:51000", "10.0.0.9:5432", None);
    let mut out = Vec::new();
    let m = described_span(
        failed_select(),
        &seen,
        &cx,
        &mut SpanWriter::default(),
        &mut out,
    )
    .unwrap();
    let span = ScopeSpans::decode(out.as_slice()).unwrap().spans.remove(0);
    assert_eq!(span.name, "SELECT orders");
    assert_eq!(span.kind, SpanKind::Client as i32);
    assert_eq!(span.status.unwrap().code, StatusCode::Error as i32);
    assert_eq!(
        (span.start_time_unix_nano, span.end_time_unix_nano),
        (1_000_100, 1_000_310)
    );
    assert_eq!(
        rendered(&span.attributes),
        vec![
            "db.system.name=postgresql",
            "db.operation.name=SELECT",
            "db.collection.name=orders",
            "db.query.text=SELECT * FROM orders WHERE id = ?",
            "db.response.status_code=42P01",
            "db.sketchy=Some(BoolValue(true))",
            "db.tags=2",
            "server.address=10.0.0.9",
            "server.port=5432",
            "network.peer.address=10.0.0.9",
            "network.peer.port=5432",
            "error.type=42P01",
        ]
    );
    assert_eq!(m.side, RedMetric::DbClient);
    // The metric keeps the conventions' attributes of its family only.
    assert_eq!(
        rendered(&m.red.to_key_values()),
        vec![
            "error.type=42P01",
            "server.address=10.0.0.9",
            "server.port=5432",
            "db.system.name=postgresql",
            "db.operation.name=SELECT",
            "db.collection.name=orders",
            "db.response.status_code=42P01",
        ]
    );
}

#[test]
fn the_server_side_of_a_database_gets_a_span_and_no_metric() {
    let (request, response) = (meta(100, 110), meta(300, 310));
    let seen = Seen {
        role: Role::Server,
        connection_role: None,
        request: &request,
        response: Some(&response),
    };
    let cx = context("10.0.0.9:5432", "10.0.0.2:51000", None);
    let mut out = Vec::new();
    let m = described_span(
        failed_select(),
        &seen,
        &cx,
        &mut SpanWriter::default(),
        &mut out,
    );
    assert!(m.is_none());
    let span = ScopeSpans::decode(out.as_slice()).unwrap().spans.remove(0);
    assert_eq!(span.kind, SpanKind::Server as i32);
    // Timed inside the client's view: from the request's arrival to the
    // answer's last write.
    assert_eq!(
        (span.start_time_unix_nano, span.end_time_unix_nano),
        (1_000_101, 1_000_309)
    );
    let attributes = rendered(&span.attributes);
    assert!(attributes.contains(&"client.address=10.0.0.2".to_owned()));
    assert!(attributes.contains(&"server.port=5432".to_owned()));
}

#[test]
fn a_one_way_publish_is_a_producer_span_from_its_own_times() {
    use sonde_ebpf_protocols::{Attribute, Description, Family, SpanShape};
    let mut d = Description::new(Family::Messaging, "publish orders");
    d.shape = SpanShape::Producer;
    d.attributes = vec![
        Attribute::str("messaging.system", "nats"),
        Attribute::str("messaging.destination.name", "orders"),
        Attribute::str("messaging.client.id", "c-1"),
    ];
    let request = meta(100, 140);
    let seen = Seen {
        role: Role::Client,
        connection_role: Some(Role::Client),
        request: &request,
        response: None,
    };
    let cx = context("10.0.0.2:51000", "10.0.0.7:4222", None);
    let mut out = Vec::new();
    let m = described_span(d, &seen, &cx, &mut SpanWriter::default(), &mut out).unwrap();
    let span = ScopeSpans::decode(out.as_slice()).unwrap().spans.remove(0);
    assert_eq!(span.kind, SpanKind::Producer as i32);
    assert_eq!(
        (span.start_time_unix_nano, span.end_time_unix_nano),
        (1_000_100, 1_000_140)
    );
    assert_eq!(m.side, RedMetric::MessagingClient);
    assert_eq!(
        rendered(&m.red.to_key_values()),
        vec![
            "server.address=10.0.0.7",
            "server.port=4222",
            "messaging.system=nats",
            "messaging.destination.name=orders",
        ]
    );
}
