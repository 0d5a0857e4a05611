//! Prometheus remote-write 1.0 into OTLP metrics, as a pure function: a request
//! body in, an `ExportMetricsServiceRequest` out. No I/O, no clock, no globals, so
//! every receiver that takes remote-write (the `prometheusremotewrite` receiver,
//! DeepFlow's `/api/v1/prometheus`) shares it, as otelcol-contrib's receivers share
//! `pkg/translator/prometheusremotewrite`.
//!
//! On the wire: a snappy-compressed (block format, not framed) protobuf
//! `prometheus.WriteRequest`: series of labels and samples (value, milliseconds), and
//! metric metadata (type, help, unit per family), which Prometheus sends in requests
//! of their own.
//!
//! Layout: [`proto`] (the messages), [`families`] (family types remembered across
//! requests, bounded), `classify` (which shape a series takes), `convert` (series
//! into OTLP; its module doc says how; `convert::assemble` puts histograms and
//! summaries back together), [`Error`] (what is wrong, and with which
//! series), [`session`] (headers, families across requests, drop reasons: what
//! each receiving endpoint does around the translation).

mod classify;
mod convert;
mod error;
pub mod families;
pub mod proto;
pub mod session;

use std::borrow::Cow;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use prost::Message;

pub use crate::convert::STALE_NAN_BITS;
pub use crate::error::Error;
pub use crate::families::{Family, FamilyTypes};
pub use crate::proto::{MetricType, WriteRequest};
pub use crate::session::{check_headers, SharedFamilies};

/// The scope of the metrics when the caller names none.
pub const DEFAULT_SCOPE_NAME: &str = "sonde/translator/prometheusremotewrite";

/// How to translate.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The largest body taken after decompression; a bigger one is refused before
    /// it is allocated.
    pub max_decoded_bytes: usize,
    /// The instrumentation scope of every metric made.
    pub scope_name: &'a str,
    pub scope_version: &'a str,
    /// Family types seen in earlier requests.
    pub known: Option<&'a FamilyTypes>,
    /// Samples older than this (milliseconds since the epoch) are dropped.
    pub oldest_ms: Option<i64>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            max_decoded_bytes: 32 << 20,
            scope_name: DEFAULT_SCOPE_NAME,
            scope_version: env!("CARGO_PKG_VERSION"),
            known: None,
            oldest_ms: None,
        }
    }
}

/// The OTLP request made from one remote-write request, and what was left out.
#[derive(Debug, Default, Clone)]
pub struct Translated {
    pub request: ExportMetricsServiceRequest,
    pub data_points: usize,
    /// Samples that were staleness markers ([`STALE_NAN_BITS`]).
    pub dropped_stale: usize,
    /// Samples older than [`Options::oldest_ms`].
    pub dropped_too_old: usize,
    /// Native histograms, which are not translated.
    pub dropped_native_histograms: usize,
    /// Family types this request declared (metadata) or showed (buckets,
    /// quantiles): for the caller to keep in its [`FamilyTypes`].
    pub learned: Vec<(String, Family)>,
}

/// A remote-write body, snappy-compressed, into OTLP.
pub fn translate(snappy_body: &[u8], options: &Options<'_>) -> Result<Translated, Error> {
    let body = decompress(snappy_body, options.max_decoded_bytes)?;
    let request = decode(&body)?;
    convert::convert(&request, options)
}

/// Snappy block format, refused when it says it holds more than `limit` bytes.
pub fn decompress(snappy_body: &[u8], limit: usize) -> Result<Cow<'static, [u8]>, Error> {
    let size =
        snap::raw::decompress_len(snappy_body).map_err(|e| Error::NotSnappy(e.to_string()))?;
    if size > limit {
        return Err(Error::TooLarge { size, limit });
    }
    snap::raw::Decoder::new()
        .decompress_vec(snappy_body)
        .map(Cow::Owned)
        .map_err(|e| Error::NotSnappy(e.to_string()))
}

/// The protobuf `WriteRequest`.
pub fn decode(body: &[u8]) -> Result<WriteRequest, Error> {
    WriteRequest::decode(body).map_err(|e| Error::NotProtobuf(e.to_string()))
}

/// An already decoded request into OTLP.
pub fn convert(request: &WriteRequest, options: &Options<'_>) -> Result<Translated, Error> {
    convert::convert(request, options)
}

/// A request as Prometheus sends it: protobuf, then snappy. For tests and for
/// senders written in Rust.
pub fn encode(request: &WriteRequest) -> Vec<u8> {
    snap::raw::Encoder::new()
        .compress_vec(&request.encode_to_vec())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
