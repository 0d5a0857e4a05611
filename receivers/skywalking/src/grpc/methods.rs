//! The methods: the two that carry segments, the answer for the agents' other calls,
//! and the one that drops (and counts) data sonde does not keep.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use prost::Message;
use sonde_api::consumer::ErrorKind;
use sonde_api::ConsumeError;
use tonic::codegen::{BoxFuture, Service};
use tonic::server::UnaryService;
use tonic::{Code, Request, Response, Status, Streaming};

use super::GrpcState;
use crate::proto::{SegmentCollection, SegmentObject};

/// `TraceSegmentReportService/collect`: segments, one per message.
pub(super) struct Collect(pub Arc<GrpcState>);

impl Service<Request<Streaming<Bytes>>> for Collect {
    type Response = Response<()>;
    type Error = Status;
    type Future = BoxFuture<Response<()>, Status>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Streaming<Bytes>>) -> Self::Future {
        let state = self.0.clone();
        Box::pin(async move {
            let addr = request.remote_addr();
            let mut stream = request.into_inner();
            while let Some(message) = stream.message().await? {
                let segment = SegmentObject::decode(message).map_err(|err| {
                    Status::invalid_argument(format!("skywalking.v3.SegmentObject: {err}"))
                })?;
                deliver(&state, &[segment], addr).await?;
            }
            Ok(Response::new(()))
        })
    }
}

/// `TraceSegmentReportService/collectInSync`: a collection of segments, delivered
/// together.
pub(super) struct CollectInSync(pub Arc<GrpcState>);

impl UnaryService<Bytes> for CollectInSync {
    type Response = ();
    type Future = BoxFuture<Response<()>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let state = self.0.clone();
        Box::pin(async move {
            let addr = request.remote_addr();
            let collection = SegmentCollection::decode(request.into_inner()).map_err(|err| {
                Status::invalid_argument(format!("skywalking.v3.SegmentCollection: {err}"))
            })?;
            deliver(&state, &collection.segments, addr).await?;
            Ok(Response::new(()))
        })
    }
}

async fn deliver(
    state: &GrpcState,
    segments: &[SegmentObject],
    addr: Option<SocketAddr>,
) -> Result<(), Status> {
    let payload = crate::translate::payload(segments);
    state
        .intake
        .deliver(payload, addr, Vec::new)
        .await
        .map_err(|err| status_of(&err))
}

/// A refusal as otelcol's receivers answer it over gRPC.
pub(crate) fn status_of(err: &ConsumeError) -> Status {
    let code = match err.kind() {
        ErrorKind::Permanent => Code::InvalidArgument,
        ErrorKind::Retryable => Code::Unavailable,
        ErrorKind::Throttled => Code::ResourceExhausted,
    };
    Status::new(code, err.message().to_string())
}

/// The agents' bookkeeping calls: nothing to do, an empty `Commands` back.
pub(super) struct Answer;

impl UnaryService<Bytes> for Answer {
    type Response = ();
    type Future = BoxFuture<Response<()>, Status>;

    fn call(&mut self, _: Request<Bytes>) -> Self::Future {
        Box::pin(async { Ok(Response::new(())) })
    }
}

/// Data sonde does not turn into OTLP (logs, meters, profiles ...): taken, counted,
/// dropped, so that the agent does not log an error for every report.
pub(super) struct Drop {
    pub state: Arc<GrpcState>,
    pub what: &'static str,
}

impl Drop {
    fn count(state: &GrpcState, what: &'static str, messages: u64) {
        if messages == 0 {
            return;
        }
        tracing::debug!(receiver = %state.receiver, service = what, messages, "SkyWalking data dropped: sonde takes traces only");
        state
            .dropped
            .get_or_create(&vec![
                ("receiver", state.receiver.clone()),
                ("service", what.to_string()),
            ])
            .inc_by(messages);
    }
}

impl Service<Request<Streaming<Bytes>>> for Drop {
    type Response = Response<()>;
    type Error = Status;
    type Future = BoxFuture<Response<()>, Status>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Streaming<Bytes>>) -> Self::Future {
        let (state, what) = (self.state.clone(), self.what);
        Box::pin(async move {
            let mut stream = request.into_inner();
            let mut messages = 0;
            let result = loop {
                match stream.message().await {
                    Ok(Some(_)) => messages += 1,
                    Ok(None) => break Ok(Response::new(())),
                    Err(status) => break Err(status),
                }
            };
            Drop::count(&state, what, messages);
            result
        })
    }
}

impl UnaryService<Bytes> for Drop {
    type Response = ();
    type Future = BoxFuture<Response<()>, Status>;

    fn call(&mut self, _: Request<Bytes>) -> Self::Future {
        Drop::count(&self.state, self.what, 1);
        Box::pin(async { Ok(Response::new(())) })
    }
}
