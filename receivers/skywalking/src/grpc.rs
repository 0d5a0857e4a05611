//! SkyWalking's gRPC collector services (port 11800), on one tonic server with no
//! generated code: every call goes through one dispatcher that picks the method by
//! its path.
//!
//! * `skywalking.v3.TraceSegmentReportService/collect` (a client stream of
//!   `SegmentObject`) and `/collectInSync` (one `SegmentCollection`): each segment is
//!   translated ([`crate::translate`]) and delivered; the answer is an empty
//!   `Commands`. A message that does not decode ends the call with `InvalidArgument`;
//!   a pipeline that refuses with `Unavailable` (`ResourceExhausted` when throttled,
//!   `InvalidArgument` when permanent). Segments delivered before stay delivered.
//! * The calls agents make besides, answered with an empty `Commands` so they keep
//!   reporting: `ManagementService/reportInstanceProperties` and `/keepAlive`,
//!   `ConfigurationDiscoveryService/fetchConfigurations`,
//!   `ProfileTask/getProfileTaskCommands` and `/reportTaskFinish`.
//! * Data that is not traces is taken and dropped, counted in
//!   `sonde_receiver_skywalking_dropped_messages{service}`: `LogReportService/collect`,
//!   `MeterReportService/collect` and `/collectBatch` (the Python agent's PVM
//!   metrics), `JVMMetricReportService/collect`, `CLRMetricReportService/collect`,
//!   `EventService/collect`, `ProfileTask/collectSnapshot`.
//! * Any other path is `Unimplemented`, and logged once (as a warning) per path.

mod codec;
mod methods;

use std::collections::HashSet;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use sonde_api::intake::Intake;
use sonde_api::telemetry::Counters;
use tokio::net::TcpListener;
use tonic::body::Body as TonicBody;
use tonic::codec::CompressionEncoding;
use tonic::codegen::{http, BoxFuture, EnabledCompressionEncodings, Service};
use tonic::server::Grpc;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic::Status;

use codec::RawCodec;
use methods::{Answer, Collect, CollectInSync, Drop};

/// What every call needs.
pub struct GrpcState {
    pub intake: Intake,
    /// `sonde_receiver_skywalking_dropped_messages`.
    pub dropped: Counters,
    pub receiver: String,
    pub max_recv_msg_size: usize,
}

/// How a method is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Collect,
    CollectInSync,
    /// Unary, answered with an empty `Commands`.
    Answer,
    /// A client stream of data sonde does not keep; the label names it.
    DropStream(&'static str),
    /// One message of data sonde does not keep.
    DropUnary(&'static str),
}

fn method(path: &str) -> Option<Method> {
    let (service, name) = path.strip_prefix("/skywalking.v3.")?.split_once('/')?;
    Some(match (service, name) {
        ("TraceSegmentReportService", "collect") => Method::Collect,
        ("TraceSegmentReportService", "collectInSync") => Method::CollectInSync,
        ("ManagementService", "reportInstanceProperties" | "keepAlive")
        | ("ConfigurationDiscoveryService", "fetchConfigurations")
        | ("ProfileTask", "getProfileTaskCommands" | "reportTaskFinish") => Method::Answer,
        ("LogReportService", "collect") => Method::DropStream("log"),
        ("MeterReportService", "collect" | "collectBatch") => Method::DropStream("meter"),
        ("EventService", "collect") => Method::DropStream("event"),
        ("ProfileTask", "collectSnapshot") => Method::DropStream("profile"),
        ("JVMMetricReportService", "collect") => Method::DropUnary("jvm_metric"),
        ("CLRMetricReportService", "collect") => Method::DropUnary("clr_metric"),
        _ => return None,
    })
}

/// Routes every path to its method.
#[derive(Clone)]
struct Dispatch(Arc<GrpcState>, Arc<Unknown>);

/// Unknown methods already logged: each is worth one warning (an agent sonde does not
/// fully serve yet), not one per call. Bounded, since paths come from clients.
#[derive(Default)]
struct Unknown(Mutex<HashSet<String>>);

impl Unknown {
    const MAX: usize = 64;

    fn warn_once(&self, receiver: &str, path: &str) {
        let Ok(mut seen) = self.0.lock() else {
            return;
        };
        if seen.len() < Self::MAX && seen.insert(path.to_string()) {
            tracing::warn!(
                receiver,
                path,
                "unknown SkyWalking gRPC method; answered Unimplemented"
            );
        }
    }
}

impl Service<http::Request<axum::body::Body>> for Dispatch {
    type Response = http::Response<TonicBody>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<axum::body::Body>) -> Self::Future {
        let Some(method) = method(request.uri().path()) else {
            let path = request.uri().path().to_string();
            self.1.warn_once(&self.0.receiver, &path);
            return Box::pin(async move {
                Ok(Status::unimplemented(format!("unknown method {path}")).into_http())
            });
        };
        let state = self.0.clone();
        let mut accept = EnabledCompressionEncodings::default();
        accept.enable(CompressionEncoding::Gzip);
        accept.enable(CompressionEncoding::Zstd);
        let mut grpc = Grpc::new(RawCodec)
            .apply_compression_config(accept, EnabledCompressionEncodings::default())
            .apply_max_message_size_config(Some(state.max_recv_msg_size), None);
        Box::pin(async move {
            Ok(match method {
                Method::Collect => grpc.client_streaming(Collect(state), request).await,
                Method::CollectInSync => grpc.unary(CollectInSync(state), request).await,
                Method::Answer => grpc.unary(Answer, request).await,
                Method::DropStream(what) => {
                    grpc.client_streaming(Drop { state, what }, request).await
                }
                Method::DropUnary(what) => grpc.unary(Drop { state, what }, request).await,
            })
        })
    }
}

/// Serves the SkyWalking services on `listener` until `shutdown` resolves, then lets
/// calls in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: GrpcState,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let dispatch = Dispatch(Arc::new(state), Arc::default());
    let router = axum::Router::new().fallback_service(dispatch);
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tonic::transport::Server::builder()
        .add_routes(Routes::from(router))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_pick_their_methods() {
        let cases = [
            (
                "/skywalking.v3.TraceSegmentReportService/collect",
                Some(Method::Collect),
            ),
            (
                "/skywalking.v3.TraceSegmentReportService/collectInSync",
                Some(Method::CollectInSync),
            ),
            (
                "/skywalking.v3.ManagementService/keepAlive",
                Some(Method::Answer),
            ),
            (
                "/skywalking.v3.MeterReportService/collectBatch",
                Some(Method::DropStream("meter")),
            ),
            (
                "/skywalking.v3.LogReportService/collect",
                Some(Method::DropStream("log")),
            ),
            ("/skywalking.v3.ManagementService/other", None),
            (
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                None,
            ),
        ];
        for (path, expected) in cases {
            assert_eq!(method(path), expected, "{path}");
        }
    }
}
