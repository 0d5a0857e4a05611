//! Messages as the bytes they are (each method decodes what it keeps), and the empty
//! `Commands` every SkyWalking method answers, which has no bytes at all.

use bytes::{Buf, Bytes};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

#[derive(Default)]
pub(super) struct RawCodec;

impl Codec for RawCodec {
    type Encode = ();
    type Decode = Bytes;
    type Encoder = EmptyCommands;
    type Decoder = RawMessage;

    fn encoder(&mut self) -> EmptyCommands {
        EmptyCommands
    }

    fn decoder(&mut self) -> RawMessage {
        RawMessage
    }
}

pub(super) struct EmptyCommands;

impl Encoder for EmptyCommands {
    type Item = ();
    type Error = Status;

    fn encode(&mut self, _: (), _: &mut EncodeBuf<'_>) -> Result<(), Status> {
        Ok(())
    }
}

pub(super) struct RawMessage;

impl Decoder for RawMessage {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(buf.copy_to_bytes(buf.remaining())))
    }
}
