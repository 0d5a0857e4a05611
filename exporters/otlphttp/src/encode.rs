//! The request body: the export request as protobuf or OTLP/JSON, then compressed.
//! CPU work, so it runs on the blocking pool, off the I/O reactor.

use std::sync::Arc;

use bytes::Bytes;
use sonde_api::Payload;
use sonde_netconfig::Compression;

use crate::config::Encoding;

impl Encoding {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Encoding::Proto => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// OTLP/JSON as the spec has it: camelCase names, hex trace and span ids, enums as
/// integers, 64-bit integers as strings (opentelemetry-proto's serde derives).
pub(crate) fn to_json(payload: &Payload) -> Result<Vec<u8>, serde_json::Error> {
    match payload {
        Payload::Traces(r) => serde_json::to_vec(r),
        Payload::Metrics(r) => serde_json::to_vec(r),
        Payload::Logs(r) => serde_json::to_vec(r),
    }
}

pub(crate) fn body(
    payload: &Payload,
    encoding: Encoding,
    compression: Compression,
) -> Result<Bytes, serde_json::Error> {
    let raw = match encoding {
        Encoding::Proto => payload.encode_to_vec(),
        Encoding::Json => to_json(payload)?,
    };
    Ok(Bytes::from(compression.encode(&raw)))
}

pub(crate) async fn body_off_reactor(
    payload: Arc<Payload>,
    encoding: Encoding,
    compression: Compression,
) -> Result<Bytes, String> {
    tokio::task::spawn_blocking(move || body(&payload, encoding, compression))
        .await
        .map_err(|e| format!("encoding task failed: {e}"))?
        .map_err(|e| format!("encoding the request as JSON: {e}"))
}
