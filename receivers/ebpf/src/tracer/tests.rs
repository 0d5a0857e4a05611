use prost::Message;
use sonde_api::pdata::metrics::v1::metric::Data;
use sonde_api::pdata::trace::v1::span::SpanKind;
use sonde_api::pdata::trace::v1::Span;
use sonde_api::pdata::ExportTraceServiceRequest;

use super::*;
use crate::capture::Direction::{Egress, Ingress};
use crate::red::RedConfig;
use crate::testutil::{tuple, Data as D};
use sonde_processtags::ProcessTableConfig;

const CURL: &str = "127.0.0.1:40000";
const PY: &str = "127.0.0.1:8000";
const NGINX: &str = "127.0.0.1:8080";
const NGINX_OUT: &str = "127.0.0.1:40001";

const GET: &[u8] =
    b"GET /items/42 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: curl/7.88.1\r\n\r\n";
const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

fn tracer(dir: &tempfile::TempDir) -> Tracer {
    let processes = ProcessTable::new(ProcessTableConfig {
        proc_root: dir.path().to_path_buf(),
        host_name: "host-1".into(),
        ..ProcessTableConfig::default()
    });
    let red = RedMetrics::new(RedConfig::default(), 0);
    Tracer::new(&Config::default(), processes, red, Clock::with_offset(0), 7).unwrap()
}

fn spans(t: &mut Tracer) -> Vec<(String, Span)> {
    let Some((bytes, count)) = t.take_spans() else {
        return Vec::new();
    };
    let request = ExportTraceServiceRequest::decode(bytes).unwrap();
    let mut out = Vec::new();
    for rs in request.resource_spans {
        let service = rs
            .resource
            .unwrap()
            .attributes
            .into_iter()
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value)
            .and_then(|v| v.value);
        let service = match service {
            Some(sonde_api::pdata::common::v1::any_value::Value::StringValue(s)) => s,
            other => panic!("service.name {other:?}"),
        };
        for ss in rs.scope_spans {
            assert_eq!(ss.scope.as_ref().unwrap().name, SCOPE_NAME);
            out.extend(ss.spans.into_iter().map(|s| (service.clone(), s)));
        }
    }
    assert_eq!(out.len(), count);
    out.sort_by_key(|(_, s)| s.start_time_unix_nano);
    out
}

/// curl asks python; the events arrive as the ring delivers them (by return
/// time), python's read before curl's write returned.
#[test]
fn curl_and_a_python_server_make_one_trace_of_two_spans() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = tracer(&dir);
    let client = tuple(CURL, PY);
    let server = tuple(PY, CURL);
    t.push(
        D::new(Ingress, 2, server, GET)
            .task(20, 21, "python3")
            .at(900, 1050)
            .seq(500)
            .trace(77)
            .event(),
    );
    t.push(
        D::new(Egress, 1, client, GET)
            .task(10, 10, "curl")
            .at(1000, 1100)
            .seq(500)
            .event(),
    );
    t.push(
        D::new(Ingress, 1, client, OK)
            .task(10, 10, "curl")
            .at(1200, 2050)
            .seq(9000)
            .trace(5)
            .event(),
    );
    t.push(
        D::new(Egress, 2, server, OK)
            .task(20, 21, "python3")
            .at(2000, 2100)
            .seq(9000)
            .trace(77)
            .event(),
    );
    t.run(2100);
    assert!(t.take_spans().is_none(), "held for the reorder window");
    t.run(1_000_000_000);

    let spans = spans(&mut t);
    assert_eq!(spans.len(), 2);
    let (client_service, client) = &spans[0];
    let (server_service, server) = &spans[1];
    assert_eq!(
        (client_service.as_str(), server_service.as_str()),
        ("curl", "python3")
    );
    assert_eq!(
        (client.kind, server.kind),
        (SpanKind::Client as i32, SpanKind::Server as i32)
    );
    assert_eq!(client.trace_id, server.trace_id);
    assert!(client.parent_span_id.is_empty());
    assert_eq!(server.parent_span_id, client.span_id);
    assert_eq!(
        (client.start_time_unix_nano, client.end_time_unix_nano),
        (1000, 2050)
    );
    assert_eq!(
        (server.start_time_unix_nano, server.end_time_unix_nano),
        (1050, 2000)
    );
    assert_eq!(server.name, "GET /items/{id}");
    assert_eq!(
        t.stats(),
        TracerStats {
            spans: 2,
            unpaired: 0,
            unrecognised: 0
        }
    );

    let metrics = t.flush_metrics(5_000).unwrap();
    let mut counts = Vec::new();
    for rm in &metrics.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                let Some(Data::Histogram(h)) = &m.data else {
                    panic!("{m:?}")
                };
                counts.push((
                    m.name.clone(),
                    h.data_points.iter().map(|p| p.count).sum::<u64>(),
                ));
            }
        }
    }
    counts.sort();
    assert_eq!(
        counts,
        [
            ("http.client.request.duration".to_string(), 1),
            ("http.server.request.duration".to_string(), 1)
        ]
    );
}

/// curl -> nginx -> python: four spans, one trace, each the parent of the next.
#[test]
fn a_reverse_proxy_makes_one_trace_of_four_spans() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = tracer(&dir);
    let upstream = b"GET /items/42 HTTP/1.0\r\nHost: backend\r\nConnection: close\r\n\r\n";
    // curl -> nginx (nginx's worker 30/30 serves on chain 7, calls python on it too).
    t.push(
        D::new(Egress, 1, tuple(CURL, NGINX), GET)
            .task(10, 10, "curl")
            .at(1000, 1100)
            .seq(100)
            .event(),
    );
    t.push(
        D::new(Ingress, 2, tuple(NGINX, CURL), GET)
            .task(30, 30, "nginx")
            .at(1150, 1200)
            .seq(100)
            .trace(7)
            .event(),
    );
    t.push(
        D::new(Egress, 3, tuple(NGINX_OUT, PY), upstream)
            .task(30, 30, "nginx")
            .at(1300, 1350)
            .seq(900)
            .trace(7)
            .event(),
    );
    t.push(
        D::new(Ingress, 4, tuple(PY, NGINX_OUT), upstream)
            .task(20, 21, "python3")
            .at(1320, 1400)
            .seq(900)
            .trace(3)
            .event(),
    );
    t.push(
        D::new(Egress, 4, tuple(PY, NGINX_OUT), OK)
            .task(20, 21, "python3")
            .at(1500, 1550)
            .seq(50)
            .trace(3)
            .event(),
    );
    t.push(
        D::new(Ingress, 3, tuple(NGINX_OUT, PY), OK)
            .task(30, 30, "nginx")
            .at(1560, 1600)
            .seq(50)
            .trace(8)
            .event(),
    );
    t.push(
        D::new(Egress, 2, tuple(NGINX, CURL), OK)
            .task(30, 30, "nginx")
            .at(1700, 1750)
            .seq(70)
            .trace(8)
            .event(),
    );
    t.push(
        D::new(Ingress, 1, tuple(CURL, NGINX), OK)
            .task(10, 10, "curl")
            .at(1710, 1800)
            .seq(70)
            .trace(9)
            .event(),
    );
    t.run(1_000_000_000);

    let spans = spans(&mut t);
    let names: Vec<(&str, i32)> = spans
        .iter()
        .map(|(svc, s)| (svc.as_str(), s.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("curl", SpanKind::Client as i32),
            ("nginx", SpanKind::Server as i32),
            ("nginx", SpanKind::Client as i32),
            ("python3", SpanKind::Server as i32),
        ]
    );
    for pair in spans.windows(2) {
        let (parent, child) = (&pair[0].1, &pair[1].1);
        assert_eq!(child.trace_id, parent.trace_id);
        assert_eq!(child.parent_span_id, parent.span_id);
        assert!(parent.start_time_unix_nano <= child.start_time_unix_nano);
        assert!(parent.end_time_unix_nano >= child.end_time_unix_nano);
    }
}

/// Two requests on one keep-alive connection, the second pipelined with a third.
#[test]
fn keep_alive_and_pipelining_pair_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = tracer(&dir);
    let server = tuple(PY, CURL);
    let a = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    let bc = b"GET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n";
    let resp = |body: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    t.push(
        D::new(Ingress, 2, server, a)
            .at(100, 110)
            .seq(0)
            .trace(1)
            .event(),
    );
    t.push(
        D::new(Egress, 2, server, resp("a").as_bytes())
            .at(200, 210)
            .seq(0)
            .trace(1)
            .event(),
    );
    t.push(
        D::new(Ingress, 2, server, bc)
            .at(300, 310)
            .seq(a.len() as u32)
            .trace(2)
            .event(),
    );
    let both = resp("b") + &resp("c");
    t.push(
        D::new(Egress, 2, server, both.as_bytes())
            .at(400, 410)
            .seq(100)
            .trace(2)
            .event(),
    );
    t.run(1_000_000_000);
    let spans = spans(&mut t);
    let paths: Vec<String> = spans
        .iter()
        .map(|(_, s)| {
            s.attributes
                .iter()
                .find(|kv| kv.key == "url.path")
                .map(|kv| format!("{:?}", kv.value.as_ref().unwrap().value.as_ref().unwrap()))
                .unwrap()
        })
        .collect();
    assert_eq!(
        paths,
        [
            r#"StringValue("/a")"#,
            r#"StringValue("/b")"#,
            r#"StringValue("/c")"#
        ]
    );
    // Each span has its own id; all three are roots (no client was seen).
    let mut ids: Vec<Vec<u8>> = spans.iter().map(|(_, s)| s.span_id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

#[test]
fn unrecognised_bytes_and_unanswered_requests_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = tracer(&dir);
    t.push(
        D::new(Ingress, 5, tuple(PY, CURL), b"\x16\x03\x01 not http")
            .at(10, 20)
            .event(),
    );
    t.push(
        D::new(Ingress, 6, tuple(PY, CURL), GET)
            .at(30, 40)
            .trace(1)
            .event(),
    );
    t.run(1_000_000_000);
    t.finish();
    assert_eq!(
        t.stats(),
        TracerStats {
            spans: 0,
            unpaired: 1,
            unrecognised: 1
        }
    );
    assert!(t.take_spans().is_none());
}
