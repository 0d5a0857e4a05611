//! OTLP/gRPC end to end with opentelemetry-proto's tonic clients.

mod common;

use std::time::Duration;

use common::*;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use sonde_api::{ConsumeError, Payload};
use tonic::codec::CompressionEncoding;
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn each_signal_arrives_equal_plain_gzip_zstd() {
    let r = start(BOTH, ALL).await;
    let mut expected = Vec::new();
    for encoding in [
        None,
        Some(CompressionEncoding::Gzip),
        Some(CompressionEncoding::Zstd),
    ] {
        let mut t = TraceServiceClient::connect(r.grpc_url()).await.unwrap();
        let mut m = MetricsServiceClient::connect(r.grpc_url()).await.unwrap();
        let mut l = LogsServiceClient::connect(r.grpc_url()).await.unwrap();
        if let Some(e) = encoding {
            t = t.send_compressed(e);
            m = m.send_compressed(e);
            l = l.send_compressed(e);
        }
        let (tr, me, lo) = (traces("t", 2), metrics("m", 3), logs("l", 1));
        let answer = t.export(tr.clone()).await.unwrap().into_inner();
        assert_eq!(answer.partial_success, None);
        let answer = m.export(me.clone()).await.unwrap().into_inner();
        assert_eq!(answer.partial_success, None);
        let answer = l.export(lo.clone()).await.unwrap().into_inner();
        assert_eq!(answer.partial_success, None);
        expected.extend([Payload::Traces(tr), Payload::Metrics(me), Payload::Logs(lo)]);
    }
    assert_eq!(r.capture.payloads(), expected);
    // Protobuf that decodes passes on as bytes: nothing is decoded on the way through.
    assert_eq!(r.capture.kept_encoded(), vec![true; 9]);
    let text = r.telemetry.encode();
    for line in [
        "otelcol_receiver_accepted_spans_total{receiver=\"otlp\",transport=\"grpc\"} 6",
        "otelcol_receiver_accepted_metric_points_total{receiver=\"otlp\",transport=\"grpc\"} 9",
        "otelcol_receiver_accepted_log_records_total{receiver=\"otlp\",transport=\"grpc\"} 3",
    ] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
}

#[tokio::test]
async fn pipeline_errors_map_to_grpc_codes() {
    let r = start(BOTH, ALL).await;
    let mut client = TraceServiceClient::connect(r.grpc_url()).await.unwrap();

    r.capture.fail_with(
        ConsumeError::retryable("queue is full").with_retry_after(Duration::from_secs(3)),
    );
    let status = client.export(traces("e", 1)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(status.message(), "queue is full");
    let info = status.get_details_retry_info().unwrap();
    assert_eq!(info.retry_delay, Some(Duration::from_secs(3)));

    r.capture.fail_with(ConsumeError::retryable("down"));
    let status = client.export(traces("e", 1)).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::Unavailable, "down")
    );
    assert!(status.get_details_retry_info().is_none());

    r.capture.fail_with(
        ConsumeError::throttled("slow down").with_retry_after(Duration::from_millis(250)),
    );
    let status = client.export(traces("e", 1)).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::ResourceExhausted, "slow down")
    );
    let info = status.get_details_retry_info().unwrap();
    assert_eq!(info.retry_delay, Some(Duration::from_millis(250)));

    r.capture.fail_with(ConsumeError::permanent("never"));
    let status = client.export(traces("e", 2)).await.unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (Code::InvalidArgument, "never")
    );

    let text = r.telemetry.encode();
    let line = "otelcol_receiver_refused_spans_total{receiver=\"otlp\",transport=\"grpc\"} 5";
    assert!(text.contains(line), "{text}");
}

#[tokio::test]
async fn unwired_signal_is_unimplemented() {
    let r = start(BOTH, &["traces"]).await;
    let mut client = MetricsServiceClient::connect(r.grpc_url()).await.unwrap();
    let status = client.export(metrics("x", 1)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    assert!(r.capture.payloads().is_empty());
}

#[tokio::test]
async fn message_over_the_size_limit_is_refused() {
    let r = start(
        "protocols: {grpc: {endpoint: '127.0.0.1:0', max_recv_msg_size_mib: 1}}",
        ALL,
    )
    .await;
    let mut client = LogsServiceClient::connect(r.grpc_url()).await.unwrap();
    let mut big = logs("big", 1);
    big.resource_logs[0].scope_logs[0].log_records[0].body =
        Some(sonde_api::pdata::common::v1::AnyValue {
            value: Some(sonde_api::pdata::common::v1::any_value::Value::StringValue(
                "x".repeat(1024 * 1024 + 1),
            )),
        });
    let status = client.export(big).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    // The connection stays usable for a request under the limit.
    client.export(logs("small", 1)).await.unwrap();
    assert_eq!(r.capture.payloads(), [Payload::Logs(logs("small", 1))]);
}

#[tokio::test]
async fn client_address_always_and_metadata_with_include_metadata() {
    let r = start(BOTH, ALL).await;
    let mut client = TraceServiceClient::connect(r.grpc_url()).await.unwrap();
    let mut request = tonic::Request::new(traces("m", 1));
    request
        .metadata_mut()
        .insert("x-tenant", "acme".parse().unwrap());
    client.export(request).await.unwrap();
    let info = r.capture.contexts()[0].client.clone().unwrap();
    assert_eq!(info.addr.unwrap().ip().to_string(), "127.0.0.1");
    assert!(info.metadata.is_empty());

    let r = start(
        "protocols: {grpc: {endpoint: '127.0.0.1:0', include_metadata: true}}",
        ALL,
    )
    .await;
    let mut client = TraceServiceClient::connect(r.grpc_url()).await.unwrap();
    let mut request = tonic::Request::new(traces("m", 1));
    request
        .metadata_mut()
        .insert("x-tenant", "acme".parse().unwrap());
    client.export(request).await.unwrap();
    let info = r.capture.contexts()[0].client.clone().unwrap();
    assert!(info.addr.is_some());
    assert!(
        info.metadata
            .contains(&("x-tenant".to_string(), "acme".to_string())),
        "{:?}",
        info.metadata
    );
}
