//! OTLP/HTTP end to end: a receiver on a loopback port, requests from a raw HTTP/1.1
//! client, and a capturing consumer behind it.

mod common;

use std::time::Duration;

use common::*;
use prost::Message;
use sonde_api::{ConsumeError, Payload};
use sonde_netconfig::Compression;

fn status_of(body: &[u8]) -> tonic_types::pb::Status {
    tonic_types::pb::Status::decode(body).unwrap()
}

#[tokio::test]
async fn protobuf_of_each_signal_arrives_equal() {
    let r = start(BOTH, ALL).await;
    let sent = [
        Payload::Traces(traces("a", 3)),
        Payload::Metrics(metrics("b", 2)),
        Payload::Logs(logs("c", 4)),
    ];
    for (payload, path) in sent.iter().zip(["/v1/traces", "/v1/metrics", "/v1/logs"]) {
        let answer = post(r.http_url(), path, PROTOBUF, payload.encode_to_vec()).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        assert_eq!(answer.header("content-type"), Some(PROTOBUF));
        assert!(answer.body.is_empty());
    }
    assert_eq!(r.capture.payloads(), sent);
    assert_eq!(r.capture.kept_encoded(), [true, true, true]);
    let text = r.telemetry.encode();
    for line in [
        "otelcol_receiver_accepted_spans_total{receiver=\"otlp\",transport=\"http\"} 3",
        "otelcol_receiver_accepted_metric_points_total{receiver=\"otlp\",transport=\"http\"} 2",
        "otelcol_receiver_accepted_log_records_total{receiver=\"otlp\",transport=\"http\"} 4",
    ] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
}

#[tokio::test]
async fn json_of_each_signal_arrives_equal() {
    let r = start(BOTH, ALL).await;
    let t = traces("a", 2);
    let m = metrics("b", 2);
    let l = logs("c", 1);
    let bodies = [
        ("/v1/traces", serde_json::to_vec(&t).unwrap()),
        ("/v1/metrics", serde_json::to_vec(&m).unwrap()),
        ("/v1/logs", serde_json::to_vec(&l).unwrap()),
    ];
    for (path, body) in bodies {
        let answer = post(r.http_url(), path, "application/json; charset=utf-8", body).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        assert_eq!(answer.header("content-type"), Some(JSON));
        assert_eq!(answer.text(), "{}");
    }
    assert_eq!(
        r.capture.payloads(),
        [Payload::Traces(t), Payload::Metrics(m), Payload::Logs(l)]
    );
    // JSON has no bytes to pass on: it is decoded into structs.
    assert_eq!(r.capture.kept_encoded(), [false, false, false]);
}

#[tokio::test]
async fn json_as_sdks_write_it() {
    let r = start(BOTH, &["traces"]).await;
    let body = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},
      "scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
      "name":"checkout","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,
      "attributes":[{"key":"http.status_code","value":{"intValue":"200"}}],"status":{}}]}]}]}"#;
    let answer = post(r.http_url(), "/v1/traces", JSON, body.into()).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let Payload::Traces(got) = &r.capture.payloads()[0] else {
        panic!()
    };
    let span = &got.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(span.name, "checkout");
    assert_eq!(span.trace_id[0], 0x5b);
    assert_eq!(span.span_id[7], 0x74);
    assert_eq!(span.end_time_unix_nano, 1_544_712_661_000_000_000);
}

#[tokio::test]
async fn gzip_and_zstd_bodies() {
    let r = start(BOTH, ALL).await;
    let t = traces("z", 2);
    for c in [Compression::Gzip, Compression::Zstd] {
        let name = c.header_value().unwrap();
        let body = c.encode(&t.encode_to_vec());
        let answer = send(
            r.http_url(),
            "POST",
            "/v1/traces",
            &[("content-type", PROTOBUF), ("content-encoding", name)],
            body,
        )
        .await;
        assert_eq!(answer.status, 200, "{name}: {}", answer.text());
    }
    assert_eq!(
        r.capture.payloads(),
        [Payload::Traces(t.clone()), Payload::Traces(t)]
    );
}

/// Bodies of 64 KiB and more are unpacked on the blocking pool; they arrive the same.
#[tokio::test]
async fn large_bodies_plain_and_compressed() {
    let r = start(BOTH, ALL).await;
    let t = traces("large", 3000);
    let plain = t.encode_to_vec();
    assert!(plain.len() > 64 * 1024, "{} bytes", plain.len());
    for c in [Compression::None, Compression::Gzip] {
        let mut headers = vec![("content-type", PROTOBUF)];
        if let Some(name) = c.header_value() {
            headers.push(("content-encoding", name));
        }
        let answer = send(
            r.http_url(),
            "POST",
            "/v1/traces",
            &headers,
            c.encode(&plain),
        )
        .await;
        assert_eq!(answer.status, 200, "{c:?}: {}", answer.text());
    }
    let bad = [plain.as_slice(), &[0xff; 70_000]].concat();
    let answer = send(
        r.http_url(),
        "POST",
        "/v1/traces",
        &[("content-type", PROTOBUF)],
        bad,
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(status_of(&answer.body).code, 3);
    assert_eq!(
        r.capture.payloads(),
        [Payload::Traces(t.clone()), Payload::Traces(t)]
    );
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let r = start(BOTH, ALL).await;
    for method in ["GET", "PUT", "OPTIONS"] {
        let answer = send(r.http_url(), method, "/v1/logs", &[], vec![]).await;
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.header("allow"), Some("POST"));
        assert_eq!(answer.text(), "405 method not allowed, supported: [POST]");
    }
}

#[tokio::test]
async fn other_content_type_is_415() {
    let r = start(BOTH, ALL).await;
    for ct in [Some("text/plain"), None] {
        let headers: Vec<(&str, &str)> = ct.map(|c| ("content-type", c)).into_iter().collect();
        let answer = send(r.http_url(), "POST", "/v1/traces", &headers, b"x".to_vec()).await;
        assert_eq!(answer.status, 415);
        assert_eq!(
            answer.text(),
            "415 unsupported media type, supported: [application/json, application/x-protobuf]"
        );
    }
}

#[tokio::test]
async fn unknown_path_and_unwired_signal_are_404() {
    let r = start(BOTH, &["traces"]).await;
    for path in ["/v1/metrics", "/v1/logs", "/v1/other", "/"] {
        let answer = post(r.http_url(), path, PROTOBUF, vec![]).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(answer.text(), "404 page not found\n");
    }
}

#[tokio::test]
async fn body_over_limit_is_413() {
    let r = start(
        "protocols: {http: {endpoint: '127.0.0.1:0', max_request_body_size: 1000}}",
        ALL,
    )
    .await;
    let big = traces("x", 40).encode_to_vec();
    assert!(big.len() > 1000);
    // Declared length over the limit, and a small gzip body that inflates over it.
    let gz = Compression::Gzip.encode(&big);
    assert!(gz.len() < 1000);
    for (encoding, body) in [("identity", big.clone()), ("gzip", gz)] {
        let answer = send(
            r.http_url(),
            "POST",
            "/v1/traces",
            &[("content-type", PROTOBUF), ("content-encoding", encoding)],
            body,
        )
        .await;
        assert_eq!(answer.status, 413, "{encoding}");
        assert_eq!(answer.header("content-type"), Some(PROTOBUF));
        let status = status_of(&answer.body);
        assert_eq!(status.code, 8);
        assert_eq!(status.message, "request body larger than 1000 bytes");
    }
    let answer = send(
        r.http_url(),
        "POST",
        "/v1/traces",
        &[("content-type", JSON)],
        vec![b' '; 1001],
    )
    .await;
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.text(),
        r#"{"code":8,"message":"request body larger than 1000 bytes"}"#
    );
    assert!(r.capture.payloads().is_empty());
}

#[tokio::test]
async fn malformed_bodies_are_400_with_a_status() {
    let r = start(BOTH, ALL).await;
    let answer = post(r.http_url(), "/v1/traces", PROTOBUF, vec![0xff, 0xff, 0xff]).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.header("content-type"), Some(PROTOBUF));
    let status = status_of(&answer.body);
    assert_eq!(status.code, 3);
    assert_eq!(
        status.message,
        "invalid protobuf body: failed to decode Protobuf message: invalid varint"
    );

    let answer = post(
        r.http_url(),
        "/v1/metrics",
        JSON,
        b"{\"resourceMetrics\":".to_vec(),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.header("content-type"), Some(JSON));
    let status: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(
        status,
        serde_json::json!({"code": 3, "message": "invalid JSON body: EOF while parsing a value at line 1 column 19"})
    );

    let answer = send(
        r.http_url(),
        "POST",
        "/v1/logs",
        &[("content-type", JSON), ("content-encoding", "br")],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.text(),
        r#"{"code":3,"message":"unsupported Content-Encoding \"br\""}"#
    );

    let answer = send(
        r.http_url(),
        "POST",
        "/v1/logs",
        &[("content-type", PROTOBUF), ("content-encoding", "gzip")],
        b"not gzip".to_vec(),
    )
    .await;
    assert_eq!(answer.status, 400);
    let status = status_of(&answer.body);
    assert_eq!(status.code, 3);
    assert!(
        status.message.starts_with("invalid gzip body: "),
        "{}",
        status.message
    );
    assert!(r.capture.payloads().is_empty());
}

#[tokio::test]
async fn pipeline_errors_map_to_503_429_400() {
    let r = start(BOTH, ALL).await;
    let body = logs("e", 2).encode_to_vec();

    r.capture.fail_with(
        ConsumeError::retryable("queue is full").with_retry_after(Duration::from_secs(7)),
    );
    let answer = post(r.http_url(), "/v1/logs", PROTOBUF, body.clone()).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), Some("7"));
    let status = status_of(&answer.body);
    assert_eq!(
        (status.code, status.message.as_str()),
        (14, "queue is full")
    );
    assert_eq!(status.details.len(), 1);
    assert_eq!(
        status.details[0].type_url,
        "type.googleapis.com/google.rpc.RetryInfo"
    );
    let info = tonic_types::pb::RetryInfo::decode(status.details[0].value.as_slice()).unwrap();
    assert_eq!(info.retry_delay.unwrap().seconds, 7);

    r.capture.fail_with(ConsumeError::retryable("down"));
    let answer = post(
        r.http_url(),
        "/v1/logs",
        JSON,
        b"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{}]}]}]}".to_vec(),
    )
    .await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), None);
    assert_eq!(answer.text(), r#"{"code":14,"message":"down"}"#);

    r.capture.fail_with(
        ConsumeError::throttled("slow down").with_retry_after(Duration::from_millis(1500)),
    );
    let answer = post(
        r.http_url(),
        "/v1/logs",
        JSON,
        b"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{}]}]}]}".to_vec(),
    )
    .await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(
        answer.text(),
        r#"{"code":8,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.500s"}],"message":"slow down"}"#
    );

    r.capture
        .fail_with(ConsumeError::permanent("schema says no"));
    let answer = post(r.http_url(), "/v1/logs", PROTOBUF, body).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.header("retry-after"), None);
    let status = status_of(&answer.body);
    assert_eq!(
        (status.code, status.message.as_str()),
        (3, "schema says no")
    );

    let text = r.telemetry.encode();
    let line = "otelcol_receiver_refused_log_records_total{receiver=\"otlp\",transport=\"http\"} 6";
    assert!(text.contains(line), "{text}");
}

#[tokio::test]
async fn a_bad_request_does_not_disturb_others() {
    let r = start(BOTH, ALL).await;
    let addr = r.http_url();
    let good_a = traces("good-a", 2);
    let good_b = traces("good-b", 3);
    let (a, bad, b) = tokio::join!(
        post(addr, "/v1/traces", PROTOBUF, good_a.encode_to_vec()),
        post(
            addr,
            "/v1/traces",
            PROTOBUF,
            b"\x0a\xff\xff\xff\x0f garbage".to_vec()
        ),
        post(
            addr,
            "/v1/traces",
            JSON,
            serde_json::to_vec(&good_b).unwrap()
        ),
    );
    assert_eq!(
        (a.status.as_u16(), bad.status.as_u16(), b.status.as_u16()),
        (200, 400, 200)
    );
    let mut got = r.capture.payloads();
    assert_eq!(got.len(), 2);
    got.sort_by_key(|p| p.item_count());
    assert_eq!(got, [Payload::Traces(good_a), Payload::Traces(good_b)]);
}

#[tokio::test]
async fn client_address_always_and_headers_with_include_metadata() {
    let r = start(BOTH, ALL).await;
    let answer = send(
        r.http_url(),
        "POST",
        "/v1/traces",
        &[("content-type", PROTOBUF), ("X-Tenant", "acme")],
        traces("m", 1).encode_to_vec(),
    )
    .await;
    assert_eq!(answer.status, 200);
    let client = r.capture.contexts()[0].client.clone().unwrap();
    assert_eq!(client.addr.unwrap().ip().to_string(), "127.0.0.1");
    assert!(client.metadata.is_empty());

    let r = start(
        "protocols: {http: {endpoint: '127.0.0.1:0', include_metadata: true}}",
        ALL,
    )
    .await;
    let answer = send(
        r.http_url(),
        "POST",
        "/v1/traces",
        &[("content-type", PROTOBUF), ("X-Tenant", "acme")],
        traces("m", 1).encode_to_vec(),
    )
    .await;
    assert_eq!(answer.status, 200);
    let client = r.capture.contexts()[0].client.clone().unwrap();
    assert!(client.addr.is_some());
    assert!(
        client
            .metadata
            .contains(&("x-tenant".to_string(), "acme".to_string())),
        "{:?}",
        client.metadata
    );
}

#[tokio::test]
async fn custom_url_paths() {
    let r = start(
        "protocols: {http: {endpoint: '127.0.0.1:0', traces_url_path: '/t', logs_url_path: 'l'}}",
        ALL,
    )
    .await;
    let t = traces("p", 1).encode_to_vec();
    assert_eq!(
        post(r.http_url(), "/t", PROTOBUF, t.clone()).await.status,
        200
    );
    assert_eq!(
        post(r.http_url(), "/v1/traces", PROTOBUF, t).await.status,
        404
    );
    let l = logs("p", 1).encode_to_vec();
    assert_eq!(post(r.http_url(), "/l", PROTOBUF, l).await.status, 200);
    let m = metrics("p", 1).encode_to_vec();
    assert_eq!(
        post(r.http_url(), "/v1/metrics", PROTOBUF, m).await.status,
        200
    );
}

#[tokio::test]
async fn empty_request_is_accepted_without_reaching_the_pipeline() {
    let r = start(BOTH, ALL).await;
    let answer = post(r.http_url(), "/v1/traces", JSON, b"{}".to_vec()).await;
    assert_eq!(
        (answer.status.as_u16(), answer.text().as_str()),
        (200, "{}")
    );
    assert!(r.capture.payloads().is_empty());
}

#[tokio::test]
async fn cors_preflight_and_actual_request() {
    let r = start(
        "protocols: {http: {endpoint: '127.0.0.1:0', cors: {allowed_origins: ['https://*.example.com'], allowed_headers: ['X-Custom'], max_age: 600}}}",
        ALL,
    )
    .await;
    let answer = send(
        r.http_url(),
        "OPTIONS",
        "/v1/traces",
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type,x-custom"),
        ],
        vec![],
    )
    .await;
    assert_eq!(answer.status, 204);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(answer.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        answer.header("access-control-allow-headers"),
        Some("content-type,x-custom")
    );
    assert_eq!(answer.header("access-control-max-age"), Some("600"));

    let answer = send(
        r.http_url(),
        "OPTIONS",
        "/v1/traces",
        &[
            ("origin", "https://evil.com"),
            ("access-control-request-method", "POST"),
        ],
        vec![],
    )
    .await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.header("access-control-allow-origin"), None);

    let answer = send(
        r.http_url(),
        "POST",
        "/v1/traces",
        &[
            ("origin", "https://app.example.com"),
            ("content-type", PROTOBUF),
        ],
        traces("c", 1).encode_to_vec(),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        answer.header("access-control-allow-credentials"),
        Some("true")
    );
    let answer = send(
        r.http_url(),
        "POST",
        "/v1/traces",
        &[("origin", "https://other.org"), ("content-type", PROTOBUF)],
        traces("c", 1).encode_to_vec(),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("access-control-allow-origin"), None);
}
