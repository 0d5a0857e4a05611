//! The receiver end to end: started on loopback ports, fed by a tonic client (over
//! SkyWalking's service paths, with the crate's own message structs) and by raw
//! HTTP/1.1, delivering into a recording consumer that can be told to refuse.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use sonde_api::telemetry::Telemetry;
use sonde_api::{
    ComponentId, ConsumeError, Consumer, Context, CreateSettings, Host, Lifecycle, Payload,
    ServiceStatus, Signal, SignalConsumers,
};
use sonde_receiver_skywalking::config::Config;
use sonde_receiver_skywalking::proto::{SegmentCollection, SegmentObject, SpanObject};
use sonde_receiver_skywalking::SkyWalkingReceiver;
use tokio::sync::{mpsc, watch};
use tonic::transport::Channel;
use tonic::Code;

/// Records what it is given; refuses with `fail` when set.
#[derive(Default)]
struct Capture {
    received: Mutex<Vec<Payload>>,
    fail: Mutex<Option<ConsumeError>>,
}

impl Capture {
    /// (service.name, span names) of every resource that arrived, in order.
    fn spans(&self) -> Vec<(String, Vec<String>)> {
        let received = self.received.lock().unwrap();
        let mut out = Vec::new();
        for payload in received.iter() {
            let Payload::Traces(request) = payload else {
                panic!("traces expected");
            };
            for rs in &request.resource_spans {
                let service = rs
                    .resource
                    .as_ref()
                    .unwrap()
                    .attributes
                    .iter()
                    .find(|kv| kv.key == "service.name");
                let service = match service.and_then(|kv| kv.value.as_ref()?.value.as_ref()) {
                    Some(sonde_api::pdata::common::v1::any_value::Value::StringValue(s)) => {
                        s.clone()
                    }
                    other => panic!("service.name {other:?}"),
                };
                let names = rs.scope_spans[0]
                    .spans
                    .iter()
                    .map(|s| s.name.clone())
                    .collect();
                out.push((service, names));
            }
        }
        out
    }
}

#[sonde_api::async_trait]
impl Consumer for Capture {
    async fn consume(&self, payload: Payload, _: Context) -> Result<(), ConsumeError> {
        if let Some(err) = self.fail.lock().unwrap().clone() {
            return Err(err);
        }
        self.received.lock().unwrap().push(payload);
        Ok(())
    }
}

struct Running {
    _receiver: Arc<SkyWalkingReceiver>,
    capture: Arc<Capture>,
    telemetry: Telemetry,
    grpc: SocketAddr,
    http: SocketAddr,
    _fatal: mpsc::UnboundedReceiver<String>,
    _status: watch::Sender<ServiceStatus>,
}

async fn start() -> Running {
    let yaml = "protocols: {grpc: {endpoint: '127.0.0.1:0'}, http: {endpoint: '127.0.0.1:0'}}";
    let config: Config = sonde_api::config::decode(&serde_yaml::from_str(yaml).unwrap()).unwrap();
    let capture = Arc::new(Capture::default());
    let mut consumers = SignalConsumers::default();
    consumers.set(Signal::Traces, capture.clone());
    let telemetry = Telemetry::new();
    let settings = CreateSettings {
        id: ComponentId::new("skywalking"),
        telemetry: telemetry.clone(),
    };
    let receiver = Arc::new(SkyWalkingReceiver::new(settings, config, consumers));
    let (fatal, fatal_rx) = mpsc::unbounded_channel();
    let (status, status_rx) = watch::channel(ServiceStatus::Running);
    receiver.start(&Host::new(fatal, status_rx)).await.unwrap();
    let (grpc, http) = receiver.local_addrs();
    Running {
        _receiver: receiver,
        capture,
        telemetry,
        grpc: grpc.unwrap(),
        http: http.unwrap(),
        _fatal: fatal_rx,
        _status: status,
    }
}

/// `skywalking.v3.Commands`, empty as the receiver sends it.
#[derive(Clone, PartialEq, prost::Message)]
struct Commands {}

/// A message whose field 1 (a segment's `traceId`) is not UTF-8: it cannot decode.
#[derive(Clone, PartialEq, prost::Message)]
struct NotUtf8 {
    #[prost(bytes = "vec", tag = "1")]
    trace_id: Vec<u8>,
}

fn segment(service: &str, names: &[&str]) -> SegmentObject {
    SegmentObject {
        trace_id: "de5980b8-fce3-4a37-aab9-b4ac3af7eedd".into(),
        trace_segment_id: "56a5e1c519ae4c76a2b8b11d92cead7f".into(),
        service: service.into(),
        service_instance: format!("{service}-1"),
        spans: names
            .iter()
            .enumerate()
            .map(|(i, name)| SpanObject {
                span_id: i as i32,
                parent_span_id: i as i32 - 1,
                operation_name: name.to_string(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

async fn client(addr: SocketAddr) -> tonic::client::Grpc<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    tonic::client::Grpc::new(channel)
}

async fn stream<M: prost::Message + Default + Send + 'static>(
    addr: SocketAddr,
    path: &'static str,
    messages: Vec<M>,
) -> Result<Commands, tonic::Status> {
    let mut grpc = client(addr).await;
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<M, Commands>::default();
    let request = tonic::Request::new(tokio_stream::iter(messages));
    grpc.client_streaming(request, http::uri::PathAndQuery::from_static(path), codec)
        .await
        .map(|r| r.into_inner())
}

async fn unary<M: prost::Message + Default + Send + 'static>(
    addr: SocketAddr,
    path: &'static str,
    message: M,
) -> Result<Commands, tonic::Status> {
    let mut grpc = client(addr).await;
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<M, Commands>::default();
    grpc.unary(
        tonic::Request::new(message),
        http::uri::PathAndQuery::from_static(path),
        codec,
    )
    .await
    .map(|r| r.into_inner())
}

const COLLECT: &str = "/skywalking.v3.TraceSegmentReportService/collect";
const IN_SYNC: &str = "/skywalking.v3.TraceSegmentReportService/collectInSync";

async fn post(addr: SocketAddr, path: &str, body: &str) -> (StatusCode, Option<String>, String) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = Request::post(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        retry_after,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn segments_arrive_over_grpc() {
    let r = start().await;
    let answer = stream(
        r.grpc,
        COLLECT,
        vec![segment("a", &["/a", "/b"]), segment("b", &["/c"])],
    )
    .await
    .unwrap();
    assert_eq!(answer, Commands {});
    let collection = SegmentCollection {
        segments: vec![segment("c", &["/d"]), segment("empty", &[])],
    };
    unary(r.grpc, IN_SYNC, collection).await.unwrap();
    assert_eq!(
        r.capture.spans(),
        vec![
            ("a".to_string(), vec!["/a".to_string(), "/b".to_string()]),
            ("b".to_string(), vec!["/c".to_string()]),
            ("c".to_string(), vec!["/d".to_string()]),
        ]
    );
    let text = r.telemetry.encode();
    let line =
        "otelcol_receiver_accepted_spans_total{receiver=\"skywalking\",transport=\"grpc\"} 4";
    assert!(text.contains(line), "{line} missing in\n{text}");
}

#[tokio::test]
async fn the_agents_other_calls_are_answered_and_drops_counted() {
    let r = start().await;
    for path in [
        "/skywalking.v3.ManagementService/reportInstanceProperties",
        "/skywalking.v3.ManagementService/keepAlive",
        "/skywalking.v3.ConfigurationDiscoveryService/fetchConfigurations",
        "/skywalking.v3.ProfileTask/getProfileTaskCommands",
    ] {
        assert_eq!(
            unary(r.grpc, path, Commands {}).await.unwrap(),
            Commands {},
            "{path}"
        );
    }
    let meters = vec![Commands {}, Commands {}, Commands {}];
    stream(r.grpc, "/skywalking.v3.MeterReportService/collect", meters)
        .await
        .unwrap();
    stream(
        r.grpc,
        "/skywalking.v3.LogReportService/collect",
        vec![Commands {}],
    )
    .await
    .unwrap();
    let err = unary(
        r.grpc,
        "/skywalking.v3.BrowserPerfService/collectPerfData",
        Commands {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
    assert_eq!(
        err.message(),
        "unknown method /skywalking.v3.BrowserPerfService/collectPerfData"
    );

    let (status, _, body) = post(r.http, "/v3/logs", "[{}, {}]").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "{}"));
    let (status, _, body) = post(r.http, "/v3/management/keepAlive", r#"{"service": "s"}"#).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "{}"));
    let text = r.telemetry.encode();
    for line in [
        "sonde_receiver_skywalking_dropped_messages_total{receiver=\"skywalking\",service=\"meter\"} 3",
        "sonde_receiver_skywalking_dropped_messages_total{receiver=\"skywalking\",service=\"log\"} 3",
    ] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
    assert!(r.capture.spans().is_empty());
}

#[tokio::test]
async fn an_undecodable_segment_ends_the_stream_with_invalid_argument() {
    let r = start().await;
    let garbage = vec![NotUtf8 {
        trace_id: vec![0xff, 0xfe],
    }];
    let err = stream(r.grpc, COLLECT, garbage).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "skywalking.v3.SegmentObject: failed to decode Protobuf message: SegmentObject.trace_id: invalid string value: data is not UTF-8 encoded"
    );
    let err = unary(
        r.grpc,
        IN_SYNC,
        NotUtf8 {
            trace_id: vec![1, 2],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message()
            .starts_with("skywalking.v3.SegmentCollection: "),
        "{}",
        err.message()
    );
    // The receiver is unharmed.
    stream(r.grpc, COLLECT, vec![segment("ok", &["/ok"])])
        .await
        .unwrap();
    assert_eq!(
        r.capture.spans(),
        vec![("ok".to_string(), vec!["/ok".to_string()])]
    );
}

#[tokio::test]
async fn refusals_map_like_otelcol() {
    let r = start().await;
    let body = r#"[{"traceSegmentId": "56a5e1c519ae4c76a2b8b11d92cead7f", "service": "h",
                    "spans": [{"operationName": "/h", "parentSpanId": -1}]}]"#;
    let cases = [
        (
            ConsumeError::retryable("queue full"),
            Code::Unavailable,
            StatusCode::SERVICE_UNAVAILABLE,
            Some("1"),
        ),
        (
            ConsumeError::throttled("slow down"),
            Code::ResourceExhausted,
            StatusCode::TOO_MANY_REQUESTS,
            Some("1"),
        ),
        (
            ConsumeError::permanent("never"),
            Code::InvalidArgument,
            StatusCode::BAD_REQUEST,
            None,
        ),
    ];
    for (err, code, status, retry_after) in cases {
        *r.capture.fail.lock().unwrap() = Some(err.clone());
        let got = stream(r.grpc, COLLECT, vec![segment("g", &["/g"])])
            .await
            .unwrap_err();
        assert_eq!((got.code(), got.message()), (code, err.message()));
        let (got, after, text) = post(r.http, "/v3/segments", body).await;
        assert_eq!(got, status);
        assert_eq!(after.as_deref(), retry_after);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "failing", "msg": err.message()})
        );
    }
    *r.capture.fail.lock().unwrap() = None;
    let (status, _, text) = post(r.http, "/v3/segments", body).await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, ""));
    let (status, _, _) = post(r.http, "/v3/segment", &body[1..body.len() - 1]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        r.capture.spans(),
        vec![
            ("h".to_string(), vec!["/h".to_string()]),
            ("h".to_string(), vec!["/h".to_string()])
        ]
    );
}

#[tokio::test]
async fn bad_json_is_400_with_its_position() {
    let r = start().await;
    let (status, _, text) = post(
        r.http,
        "/v3/segments",
        "[{\"spans\": [{\"spanId\": \"x\"}]}]",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"status": "failing", "msg":
            "bad segments: invalid value: string \"x\", expected an integer of 32 bits at line 1 column 26"})
    );
    let (status, _, text) = post(r.http, "/v3/segment", "{").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        text.contains("bad segment: EOF while parsing an object at line 1 column 1"),
        "{text}"
    );
    assert!(r.capture.spans().is_empty());
}

#[tokio::test]
async fn a_large_body_is_decoded_off_the_runtime_and_arrives_whole() {
    let r = start().await;
    let one = r#"{"traceSegmentId": "56a5e1c519ae4c76a2b8b11d92cead7f", "service": "big",
                  "spans": [{"operationName": "/big", "parentSpanId": -1}]}"#;
    let body = format!("[{}]", vec![one; 1000].join(","));
    assert!(body.len() > 100 * 1024);
    let (status, _, text) = post(r.http, "/v3/segments", &body).await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, ""));
    let spans = r.capture.spans();
    assert_eq!(spans.len(), 1000);
    assert!(spans
        .iter()
        .all(|(service, names)| service == "big" && names == &["/big"]));
    // A large bad body still names where it went wrong.
    let (status, _, text) = post(r.http, "/v3/segments", &body[..body.len() - 1]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        text.contains("bad segments: EOF while parsing a list at line"),
        "{text}"
    );
}
