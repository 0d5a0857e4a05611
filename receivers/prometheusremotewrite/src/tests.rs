//! The receiver over a real socket: raw HTTP/1.1 in, status and body out, into a
//! consumer that records what it gets or refuses it.

use std::sync::{Arc, Mutex};

use sonde_api::telemetry::Telemetry;
use sonde_api::{ConsumeError, Consumer, Context, Payload, ServiceStatus};
use sonde_translator_prometheusremotewrite::proto::{Label, Sample, TimeSeries};
use sonde_translator_prometheusremotewrite::{encode, WriteRequest, STALE_NAN_BITS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// Records payloads, or refuses them with `refuse`.
#[derive(Default)]
struct Recorder {
    got: Mutex<Vec<Payload>>,
    refuse: Mutex<Option<ConsumeError>>,
}

#[async_trait]
impl Consumer for Recorder {
    async fn consume(&self, payload: Payload, _: Context) -> Result<(), ConsumeError> {
        if let Some(err) = self.refuse.lock().unwrap().clone() {
            return Err(err);
        }
        self.got.lock().unwrap().push(payload);
        Ok(())
    }
}

struct Running {
    receiver: PrometheusRemoteWriteReceiver,
    recorder: Arc<Recorder>,
    telemetry: Telemetry,
    addr: SocketAddr,
}

async fn start() -> Running {
    let recorder = Arc::new(Recorder::default());
    let mut consumers = SignalConsumers::default();
    consumers.set(Signal::Metrics, recorder.clone());
    let telemetry = Telemetry::new();
    let settings = CreateSettings {
        id: ComponentId::new("prometheusremotewrite"),
        telemetry: telemetry.clone(),
    };
    let config = Config {
        endpoint: "127.0.0.1:0".into(),
        max_request_body_size_mib: 1,
        ..Config::default()
    };
    let receiver = PrometheusRemoteWriteReceiver::new(settings, config, consumers);
    let (fatal, _) = tokio::sync::mpsc::unbounded_channel();
    let (_, status) = tokio::sync::watch::channel(ServiceStatus::Running);
    receiver.start(&Host::new(fatal, status)).await.unwrap();
    let addr = receiver.local_addr().unwrap();
    Running {
        receiver,
        recorder,
        telemetry,
        addr,
    }
}

/// POSTs `body` with the given headers; returns the status and the body.
async fn post(addr: SocketAddr, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.trim().to_string();
    (status, body)
}

const REMOTE_WRITE: [(&str, &str); 3] = [
    ("Content-Type", "application/x-protobuf"),
    ("Content-Encoding", "snappy"),
    ("X-Prometheus-Remote-Write-Version", "0.1.0"),
];

fn gauge(name: &str, values: &[f64]) -> Vec<u8> {
    encode(&WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![
                Label {
                    name: "__name__".into(),
                    value: name.into(),
                },
                Label {
                    name: "job".into(),
                    value: "node".into(),
                },
            ],
            samples: values
                .iter()
                .map(|&value| Sample {
                    value,
                    // Now-ish, so that the 24 h threshold keeps it.
                    timestamp: i64::try_from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis(),
                    )
                    .unwrap(),
                })
                .collect(),
            histograms: vec![],
        }],
        metadata: vec![],
    })
}

#[tokio::test]
async fn a_request_is_delivered_and_stale_markers_counted() {
    let run = start().await;
    let body = gauge("temp", &[21.5, f64::from_bits(STALE_NAN_BITS)]);
    assert_eq!(
        post(run.addr, &REMOTE_WRITE, &body).await,
        (204, String::new())
    );
    let got = run.recorder.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let Payload::Metrics(request) = &got[0] else {
        panic!("not metrics");
    };
    let scope = &request.resource_metrics[0].scope_metrics[0];
    assert_eq!(scope.scope.as_ref().unwrap().name, server::SCOPE_NAME);
    assert_eq!(scope.metrics[0].name, "temp");
    let exposition = run.telemetry.encode();
    assert!(
        exposition.contains(
            "sonde_receiver_prometheusremotewrite_dropped_samples_total{receiver=\"prometheusremotewrite\",reason=\"stale_marker\"} 1"
        ),
        "{exposition}"
    );
    run.receiver.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_requests_get_their_status_and_reason() {
    let run = start().await;
    let good = gauge("g", &[1.0]);
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            REMOTE_WRITE.to_vec(),
            b"not snappy at all".to_vec(),
            400,
            "body is not snappy-compressed (block format): snappy: corrupt input",
        ),
        (
            REMOTE_WRITE.to_vec(),
            encode_raw(&[0xff, 0xff, 0xff]),
            400,
            "body is not a protobuf prometheus.WriteRequest: failed to decode Protobuf message: invalid varint",
        ),
        (
            vec![("Content-Encoding", "snappy")],
            good.clone(),
            415,
            "Content-Type is required: application/x-protobuf",
        ),
        (
            vec![("Content-Type", "application/json"), ("Content-Encoding", "snappy")],
            good.clone(),
            415,
            "unsupported Content-Type \"application/json\": remote-write is application/x-protobuf",
        ),
        (
            vec![
                ("Content-Type", "application/x-protobuf;proto=io.prometheus.write.v2.Request"),
                ("Content-Encoding", "snappy"),
            ],
            good.clone(),
            415,
            "unsupported remote-write message \"io.prometheus.write.v2.Request\": this receiver takes remote-write 1.0 (prometheus.WriteRequest)",
        ),
        (
            vec![("Content-Type", "application/x-protobuf"), ("Content-Encoding", "gzip")],
            good.clone(),
            415,
            "unsupported Content-Encoding \"gzip\": remote-write bodies are snappy",
        ),
        (
            vec![("Content-Type", "application/x-protobuf")],
            good.clone(),
            415,
            "Content-Encoding is required: snappy",
        ),
        (
            REMOTE_WRITE.to_vec(),
            encode_raw(&vec![0u8; 2 << 20]),
            413,
            "body is 2097152 bytes after snappy decompression, more than the limit of 1048576",
        ),
        (
            REMOTE_WRITE.to_vec(),
            vec![b'x'; 2 << 20],
            413,
            "Failed to buffer the request body: length limit exceeded",
        ),
    ];
    for (headers, body, status, message) in cases {
        let (got_status, got_body) = post(run.addr, &headers, &body).await;
        assert_eq!(got_status, status, "{headers:?}: {got_body}");
        assert!(got_body.starts_with(message), "{headers:?}: {got_body}");
    }
    assert!(run.recorder.got.lock().unwrap().is_empty());
    // The receiver is still there for good requests.
    assert_eq!(post(run.addr, &REMOTE_WRITE, &good).await.0, 204);
    run.receiver.shutdown().await.unwrap();
}

fn encode_raw(bytes: &[u8]) -> Vec<u8> {
    snap::raw::Encoder::new().compress_vec(bytes).unwrap()
}

#[tokio::test]
async fn a_refusing_pipeline_is_503_or_400() {
    let run = start().await;
    let body = gauge("g", &[1.0]);
    *run.recorder.refuse.lock().unwrap() = Some(ConsumeError::throttled("memory limit reached"));
    let (status, message) = post(run.addr, &REMOTE_WRITE, &body).await;
    assert_eq!((status, message.as_str()), (503, "memory limit reached"));
    *run.recorder.refuse.lock().unwrap() = Some(ConsumeError::retryable("queue is full"));
    assert_eq!(
        post(run.addr, &REMOTE_WRITE, &body).await,
        (503, "queue is full".into())
    );
    *run.recorder.refuse.lock().unwrap() = Some(ConsumeError::permanent("rejected by schema"));
    assert_eq!(
        post(run.addr, &REMOTE_WRITE, &body).await,
        (400, "rejected by schema".into())
    );
    run.receiver.shutdown().await.unwrap();
}
