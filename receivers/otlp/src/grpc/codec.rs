//! The request message as the bytes it is, and the empty response.

use bytes::{Buf, Bytes};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

/// Decodes an export request to its (decompressed) bytes; encodes the empty
/// `Export*ServiceResponse`, which has no bytes at all.
#[derive(Default)]
pub(super) struct RawCodec;

impl Codec for RawCodec {
    type Encode = ();
    type Decode = Bytes;
    type Encoder = EmptyResponse;
    type Decoder = RawRequest;

    fn encoder(&mut self) -> EmptyResponse {
        EmptyResponse
    }

    fn decoder(&mut self) -> RawRequest {
        RawRequest
    }
}

pub(super) struct EmptyResponse;

impl Encoder for EmptyResponse {
    type Item = ();
    type Error = Status;

    fn encode(&mut self, _: (), _: &mut EncodeBuf<'_>) -> Result<(), Status> {
        Ok(())
    }
}

pub(super) struct RawRequest;

impl Decoder for RawRequest {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(buf.copy_to_bytes(buf.remaining())))
    }
}
