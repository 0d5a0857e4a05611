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
pub(crate) fn to_json(payload: &Payload) -> Result<Vec<u8>, String> {
    let payload = payload
        .decoded()
        .map_err(|e| format!("decoding the payload: {e}"))?;
    let json = match &*payload {
        Payload::Traces(r) => serde_json::to_vec(r),
        Payload::Metrics(r) => serde_json::to_vec(r),
        Payload::Logs(r) => serde_json::to_vec(r),
        Payload::Encoded(_) => unreachable!("decoded above"),
    };
    json.map_err(|e| format!("encoding the request as JSON: {e}"))
}

pub(crate) fn body(
    payload: &Payload,
    encoding: Encoding,
    compression: Compression,
) -> Result<Bytes, String> {
    let raw = match (encoding, payload) {
        // Bytes that arrived as protobuf go out as they came.
        (Encoding::Proto, Payload::Encoded(e)) => e.to_bytes(),
        (Encoding::Proto, decoded) => Bytes::from(decoded.encode_to_vec()),
        (Encoding::Json, payload) => Bytes::from(to_json(payload)?),
    };
    Ok(match compression {
        Compression::None => raw,
        compression => Bytes::from(compression.encode(&raw)),
    })
}

pub(crate) async fn body_off_reactor(
    payload: Arc<Payload>,
    encoding: Encoding,
    compression: Compression,
) -> Result<Bytes, String> {
    tokio::task::spawn_blocking(move || body(&payload, encoding, compression))
        .await
        .map_err(|e| format!("encoding task failed: {e}"))?
}
