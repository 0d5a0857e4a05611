//! The data that flows through pipelines: OTLP export requests, one variant per signal.
//!
//! pdata *is* OTLP: a receiver of OTLP hands its decoded request on untouched and
//! an OTLP exporter sends it as is. Counting and splitting follow otelcol's units:
//! spans, metric data points, log records.
//!
//! A payload is either decoded structs or [`Encoded`] bytes that are known to decode:
//! OTLP that only passes through is never decoded at all.

mod encoded;
#[cfg(test)]
mod fixtures;
mod scan;
mod split;
pub mod varint;

use std::borrow::Cow;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

pub use encoded::Encoded;
pub use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
pub use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
pub use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
pub use opentelemetry_proto::tonic::{common, logs, metrics, resource, trace};

/// One of the three signals a pipeline carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    pub const ALL: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

    /// The name used in config (`traces`, `metrics`, `logs`).
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
        }
    }

    /// The unit otelcol counts this signal in, as it appears in metric names.
    pub fn item_name(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
            Signal::Metrics => "metric_points",
            Signal::Logs => "log_records",
        }
    }

    /// 0, 1, 2: for per-signal arrays.
    pub fn index(self) -> usize {
        match self {
            Signal::Traces => 0,
            Signal::Metrics => 1,
            Signal::Logs => 2,
        }
    }

    pub fn parse(s: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|sig| sig.as_str() == s)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A batch of telemetry of one signal.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    Traces(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Logs(ExportLogsServiceRequest),
    /// Protobuf bytes of an export request, validated but not decoded.
    Encoded(Encoded),
}

impl Payload {
    /// An empty payload of the given signal.
    pub fn empty(signal: Signal) -> Payload {
        match signal {
            Signal::Traces => Payload::Traces(Default::default()),
            Signal::Metrics => Payload::Metrics(Default::default()),
            Signal::Logs => Payload::Logs(Default::default()),
        }
    }

    pub fn signal(&self) -> Signal {
        match self {
            Payload::Traces(_) => Signal::Traces,
            Payload::Metrics(_) => Signal::Metrics,
            Payload::Logs(_) => Signal::Logs,
            Payload::Encoded(e) => e.signal(),
        }
    }

    /// Spans, metric data points or log records, as otelcol counts them.
    pub fn item_count(&self) -> usize {
        use split::Splittable;
        match self {
            Payload::Traces(r) => r.resource_spans.count(),
            Payload::Metrics(r) => r.resource_metrics.count(),
            Payload::Logs(r) => r.resource_logs.count(),
            Payload::Encoded(e) => e.item_count(),
        }
    }

    /// Resource spans / metrics / logs.
    pub fn resource_count(&self) -> usize {
        match self {
            Payload::Traces(r) => r.resource_spans.len(),
            Payload::Metrics(r) => r.resource_metrics.len(),
            Payload::Logs(r) => r.resource_logs.len(),
            Payload::Encoded(e) => e.resource_count(),
        }
    }

    /// True when there is no resource at all (a payload may hold resources but no items).
    pub fn is_empty(&self) -> bool {
        self.resource_count() == 0
    }

    /// Removes the first `n` items (and the resources and scopes around them) and returns them.
    /// Resource and scope data are copied when a resource or scope is cut in two.
    /// Encoded bytes are decoded first unless all of them go.
    pub fn split_front(&mut self, n: usize) -> Payload {
        use split::split_vec;
        if let Payload::Encoded(e) = self {
            let signal = e.signal();
            let decoded = if n >= e.item_count() {
                None
            } else {
                // Bytes the walk accepted decode; were that ever wrong, the whole
                // payload goes as one rather than being lost.
                e.decode().ok()
            };
            match decoded {
                Some(decoded) => *self = decoded,
                None => return std::mem::replace(self, Payload::empty(signal)),
            }
        }
        match self {
            Payload::Traces(r) => Payload::Traces(ExportTraceServiceRequest {
                resource_spans: split_vec(&mut r.resource_spans, n),
            }),
            Payload::Metrics(r) => Payload::Metrics(ExportMetricsServiceRequest {
                resource_metrics: split_vec(&mut r.resource_metrics, n),
            }),
            Payload::Logs(r) => Payload::Logs(ExportLogsServiceRequest {
                resource_logs: split_vec(&mut r.resource_logs, n),
            }),
            Payload::Encoded(_) => unreachable!("decoded above"),
        }
    }

    /// Appends the resources of `other`. Gives `other` back when its signal differs.
    /// When either side is encoded the result is: encoding is cheaper than decoding.
    pub fn merge(&mut self, other: Payload) -> Result<(), Payload> {
        if self.signal() != other.signal() {
            return Err(other);
        }
        if let Payload::Encoded(_) = other {
            if !matches!(self, Payload::Encoded(_)) {
                *self = Payload::Encoded(Encoded::encode(self));
            }
        }
        match (self, other) {
            (Payload::Encoded(a), other) => a.append(Encoded::from(other)),
            (Payload::Traces(a), Payload::Traces(b)) => a.resource_spans.extend(b.resource_spans),
            (Payload::Metrics(a), Payload::Metrics(b)) => {
                a.resource_metrics.extend(b.resource_metrics)
            }
            (Payload::Logs(a), Payload::Logs(b)) => a.resource_logs.extend(b.resource_logs),
            (_, other) => return Err(other),
        }
        Ok(())
    }

    /// The protobuf encoding of the export request.
    pub fn encode_to_vec(&self) -> Vec<u8> {
        use prost::Message;
        match self {
            Payload::Traces(r) => r.encode_to_vec(),
            Payload::Metrics(r) => r.encode_to_vec(),
            Payload::Logs(r) => r.encode_to_vec(),
            Payload::Encoded(e) => e.to_bytes().to_vec(),
        }
    }

    /// The payload as structs: borrowed when it is decoded already.
    pub fn decoded(&self) -> Result<Cow<'_, Payload>, prost::DecodeError> {
        match self {
            Payload::Encoded(e) => Ok(Cow::Owned(e.decode()?)),
            decoded => Ok(Cow::Borrowed(decoded)),
        }
    }

    /// The payload as structs.
    pub fn into_decoded(self) -> Result<Payload, prost::DecodeError> {
        match self {
            Payload::Encoded(e) => e.decode(),
            decoded => Ok(decoded),
        }
    }

    /// A request as it came off the wire: kept as bytes when a walk proves they
    /// decode, decoded otherwise (and then the decode error is the answer).
    pub fn from_wire(signal: Signal, bytes: bytes::Bytes) -> Result<Payload, prost::DecodeError> {
        match Encoded::scan(signal, bytes.clone()) {
            Some(encoded) => Ok(Payload::Encoded(encoded)),
            None => Payload::decode(signal, &bytes),
        }
    }

    /// Decodes an export request of `signal` from protobuf bytes.
    pub fn decode(signal: Signal, bytes: &[u8]) -> Result<Payload, prost::DecodeError> {
        use prost::Message;
        Ok(match signal {
            Signal::Traces => Payload::Traces(ExportTraceServiceRequest::decode(bytes)?),
            Signal::Metrics => Payload::Metrics(ExportMetricsServiceRequest::decode(bytes)?),
            Signal::Logs => Payload::Logs(ExportLogsServiceRequest::decode(bytes)?),
        })
    }
}

/// Who sent the data, for receivers that record it (`include_metadata`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The peer's address, when the transport has one.
    pub addr: Option<SocketAddr>,
    /// Request headers / gRPC metadata, lower-cased names, when `include_metadata` is on.
    pub metadata: Vec<(String, String)>,
}

/// What travels beside a payload. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub client: Option<Arc<ClientInfo>>,
}
