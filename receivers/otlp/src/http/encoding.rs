//! The two OTLP/HTTP body encodings, chosen by `Content-Type`, used for the request
//! and for the answer alike.

use bytes::Bytes;
use sonde_api::{Payload, Signal};

use crate::json;
use crate::status::RpcError;

pub const PROTOBUF: &str = "application/x-protobuf";
pub const JSON: &str = "application/json";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// The encoding of a `Content-Type` value; parameters (`; charset=utf-8`) are ignored.
    pub fn from_content_type(value: &str) -> Option<Encoding> {
        let media_type = value.split(';').next().unwrap_or("").trim();
        if media_type.eq_ignore_ascii_case(PROTOBUF) {
            Some(Encoding::Protobuf)
        } else if media_type.eq_ignore_ascii_case(JSON) {
            Some(Encoding::Json)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => PROTOBUF,
            Encoding::Json => JSON,
        }
    }

    /// The body as a payload: protobuf that passes through stays bytes.
    pub fn decode(self, signal: Signal, body: Bytes) -> Result<Payload, RpcError> {
        match self {
            Encoding::Protobuf => Payload::from_wire(signal, body)
                .map_err(|e| RpcError::malformed(format!("invalid protobuf body: {e}"))),
            Encoding::Json => json::decode(signal, &body)
                .map_err(|e| RpcError::malformed(format!("invalid JSON body: {e}"))),
        }
    }

    /// The empty `Export*ServiceResponse` (no partial success): no bytes in protobuf,
    /// `{}` in JSON.
    pub fn success_body(self) -> Vec<u8> {
        match self {
            Encoding::Protobuf => Vec::new(),
            Encoding::Json => b"{}".to_vec(),
        }
    }

    /// A `google.rpc.Status` in this encoding.
    pub fn status_body(self, error: &RpcError) -> Vec<u8> {
        match self {
            Encoding::Protobuf => error.to_proto_bytes(),
            Encoding::Json => error.to_json_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            Encoding::from_content_type("application/json; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(
            Encoding::from_content_type("Application/X-Protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
        assert_eq!(Encoding::from_content_type(""), None);
    }
}
