//! The service over real HTTP on 127.0.0.1, in front of a scripted stand-in for
//! ClickHouse's HTTP interface that records what it was sent.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use sonde_api::component::ServiceStatus;
use sonde_api::{ComponentId, Host, Lifecycle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

use crate::config::Config;
use crate::server::QueryService;

/// What the stand-in answers, and what it was asked.
#[derive(Default)]
struct Script {
    status: u16,
    code: Option<u32>,
    body: String,
    delay_ms: u64,
    seen: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Script>>;

async fn fake_clickhouse(
    State(script): State<Shared>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let (status, code, answer, delay) = {
        let mut s = script.lock().unwrap();
        s.seen.push((
            query.unwrap_or_default(),
            String::from_utf8_lossy(&body).into_owned(),
        ));
        (s.status, s.code, s.body.clone(), s.delay_ms)
    };
    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    let mut response = (StatusCode::from_u16(status).unwrap(), answer).into_response();
    if let Some(code) = code {
        response
            .headers_mut()
            .insert("X-ClickHouse-Exception-Code", code.into());
    }
    response
}

async fn start_clickhouse(script: Shared) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/", post(fake_clickhouse))
        .with_state(script);
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn script(status: u16, body: &str) -> Shared {
    Arc::new(Mutex::new(Script {
        status,
        body: body.into(),
        ..Script::default()
    }))
}

struct Harness {
    service: QueryService,
    addr: SocketAddr,
    script: Shared,
}

async fn harness(script: Shared, extra: &str) -> Harness {
    let ch = start_clickhouse(script.clone()).await;
    let yaml = format!(
        "{{endpoint: '127.0.0.1:0', max_rows: 100, clickhouse: {{endpoint: 'http://{ch}', \
         database: otel, timeout: 300ms}}{extra}}}"
    );
    let config: Config = sonde_api::config::decode(&serde_yaml::from_str(&yaml).unwrap()).unwrap();
    let service = QueryService::new(ComponentId::new("query"), config);
    let (fatal, _fatal_rx) = mpsc::unbounded_channel();
    let (_status_tx, status) = watch::channel(ServiceStatus::Running);
    service.start(&Host::new(fatal, status)).await.unwrap();
    let addr = service.local_addr().unwrap();
    Harness {
        service,
        addr,
        script,
    }
}

/// Sends one request; returns (status, headers, body).
async fn send(addr: SocketAddr, head: &str, body: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{head}\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let status = raw[9..12].parse().unwrap();
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap();
    (status, headers.to_ascii_lowercase(), body.to_string())
}

async fn post_form(addr: SocketAddr, form: &str, extra_header: &str) -> (u16, String, String) {
    let head = format!(
        "POST /v1/query HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded{extra_header}"
    );
    send(addr, &head, form).await
}

const ANSWER: &str = r#"{"meta":[{"name":"ServiceName","type":"String"},{"name":"n","type":"UInt64"}],"data":[["a",2],["b",1]],"rows":2}"#;

#[tokio::test]
async fn a_select_is_sent_read_only_and_answered_in_the_envelope() {
    let h = harness(script(200, ANSWER), "").await;
    let (code, _, body) = post_form(
        h.addr,
        "sql=SELECT+ServiceName%2C+count()+AS+n+FROM+otel_traces+GROUP+BY+ServiceName%3B",
        "",
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body,
        r#"{"DESCRIPTION":"","OPT_STATUS":"SUCCESS","result":{"columns":["ServiceName","n"],"values":[["a",2],["b",1]]}}"#
    );
    let seen = h.script.lock().unwrap().seen.clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].1,
        "SELECT ServiceName, count() AS n FROM otel_traces GROUP BY ServiceName"
    );
    assert_eq!(
        seen[0].0,
        "database=otel&default_format=JSONCompact&wait_end_of_query=1&readonly=1\
         &max_result_rows=100&max_result_bytes=67108864&result_overflow_mode=throw\
         &max_execution_time=30&output_format_json_quote_64bit_integers=0"
    );
    h.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_json_body_works_too() {
    let h = harness(script(200, ANSWER), "").await;
    let (code, _, _) = send(
        h.addr,
        "POST /v1/query HTTP/1.1\r\nContent-Type: application/json",
        r#"{"sql":"SHOW TABLES"}"#,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(h.script.lock().unwrap().seen[0].1, "SHOW TABLES");
    h.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn writes_are_refused_before_clickhouse_sees_them() {
    let h = harness(script(200, ANSWER), "").await;
    for (form, why) in [
        (
            "sql=INSERT+INTO+t+VALUES+(1)",
            "INSERT statements are not allowed",
        ),
        ("sql=DROP+TABLE+t", "DROP statements are not allowed"),
        ("sql=SELECT+1%3B+DROP+TABLE+t", "more than one statement"),
        ("db=x", "the request has no sql field"),
    ] {
        let (code, _, body) = post_form(h.addr, form, "").await;
        assert_eq!(code, 400, "{form}");
        assert!(body.contains(why), "{form}: {body}");
    }
    assert!(h.script.lock().unwrap().seen.is_empty());
    h.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn clickhouse_errors_come_back_as_400_with_its_message_and_code() {
    let s = script(
        500,
        "Code: 62. DB::Exception: Syntax error: failed at position 8\n",
    );
    s.lock().unwrap().code = Some(62);
    let h = harness(s, "").await;
    let (code, _, body) = post_form(h.addr, "sql=SELECT+FROM", "").await;
    assert_eq!(code, 400);
    assert_eq!(
        body,
        r#"{"CLICKHOUSE_CODE":62,"DESCRIPTION":"Code: 62. DB::Exception: Syntax error: failed at position 8","OPT_STATUS":"CLICKHOUSE_ERROR","result":null}"#
    );
    h.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn timeouts_are_504() {
    let s = script(200, ANSWER);
    s.lock().unwrap().delay_ms = 5_000;
    let h = harness(s, "").await;
    let (code, _, body) = post_form(h.addr, "sql=SELECT+1", "").await;
    assert_eq!(code, 504);
    assert!(body.contains(r#""OPT_STATUS":"TIMEOUT""#), "{body}");

    let s = script(
        500,
        "Code: 159. DB::Exception: Timeout exceeded: elapsed 30 seconds",
    );
    s.lock().unwrap().code = Some(159);
    let h2 = harness(s, "").await;
    let (code, _, _) = post_form(h2.addr, "sql=SELECT+1", "").await;
    assert_eq!(code, 504);
    h.service.shutdown().await.unwrap();
    h2.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn credentials_are_asked_for_when_configured() {
    let h = harness(
        script(200, ANSWER),
        ", auth: {basic: {username: grafana, password: s3cret}}",
    )
    .await;
    let (code, headers, _) = post_form(h.addr, "sql=SELECT+1", "").await;
    assert_eq!(code, 401);
    assert!(
        headers.contains("www-authenticate: basic realm=\"sonde query\""),
        "{headers}"
    );
    let (code, _, _) = post_form(
        h.addr,
        "sql=SELECT+1",
        "\r\nAuthorization: Basic Z3JhZmFuYTp3cm9uZyE=",
    )
    .await;
    assert_eq!(code, 401);
    let (code, _, _) = send(
        h.addr,
        "GET /api/traces/0af7651916cd43dd8448eb211c80319c HTTP/1.1",
        "",
    )
    .await;
    assert_eq!(code, 401);
    assert!(h.script.lock().unwrap().seen.is_empty());
    let (code, _, _) = post_form(
        h.addr,
        "sql=SELECT+1",
        "\r\nAuthorization: Basic Z3JhZmFuYTpzM2NyZXQ=",
    )
    .await;
    assert_eq!(code, 200);
    h.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn trace_look_ups() {
    let h = harness(script(200, r#"{"meta":[],"data":[]}"#), "").await;
    let (code, _, body) = send(
        h.addr,
        "GET /api/traces/0AF7651916CD43DD8448EB211C80319C HTTP/1.1",
        "",
    )
    .await;
    assert_eq!(code, 404, "{body}");
    assert!(
        body.contains("trace 0af7651916cd43dd8448eb211c80319c not found"),
        "{body}"
    );
    let sql = h.script.lock().unwrap().seen[0].1.clone();
    assert!(sql.contains("FROM otel.otel_traces_trace_id_ts"), "{sql}");
    let (code, _, body) = send(h.addr, "GET /api/traces/nothex HTTP/1.1", "").await;
    assert_eq!(code, 400);
    assert!(body.contains("malformed trace id"), "{body}");
    assert_eq!(h.script.lock().unwrap().seen.len(), 1);
    h.service.shutdown().await.unwrap();
}

#[tokio::test]
async fn clickhouse_down_is_502() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    drop(taken);
    let yaml =
        format!("{{endpoint: '127.0.0.1:0', clickhouse: {{endpoint: 'http://127.0.0.1:{port}'}}}}");
    let config: Config = sonde_api::config::decode(&serde_yaml::from_str(&yaml).unwrap()).unwrap();
    let service = QueryService::new(ComponentId::new("query"), config);
    let (fatal, _fatal_rx) = mpsc::unbounded_channel();
    let (_status_tx, status) = watch::channel(ServiceStatus::Running);
    service.start(&Host::new(fatal, status)).await.unwrap();
    let (code, _, body) = post_form(service.local_addr().unwrap(), "sql=SELECT+1", "").await;
    assert_eq!(code, 502);
    assert!(body.contains("failed to reach ClickHouse"), "{body}");
    service.shutdown().await.unwrap();
}

#[test]
fn factory_describes_itself() {
    let f = crate::factory();
    assert_eq!(f.type_name(), "query");
    let default = f.default_config();
    assert_eq!(
        default["endpoint"],
        serde_yaml::Value::from("localhost:20416")
    );
    assert_eq!(default["max_rows"], serde_yaml::Value::from(10_000));
    // The ClickHouse endpoint has no default.
    assert!(f.validate(&default).is_err());
}
