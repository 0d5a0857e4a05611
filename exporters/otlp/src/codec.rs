//! A tonic codec that encodes the pipeline's payload in place (no copy per attempt)
//! and decodes the signal's export response with prost.

use std::marker::PhantomData;
use std::sync::Arc;

use prost::Message;
use sonde_api::Payload;
use tonic::codec::{BufferSettings, Codec, EncodeBuf, Encoder};
use tonic::Status;

pub(crate) struct ExportCodec<R>(PhantomData<R>);

impl<R> Default for ExportCodec<R> {
    fn default() -> Self {
        ExportCodec(PhantomData)
    }
}

impl<R: Message + Default + Send + 'static> Codec for ExportCodec<R> {
    type Encode = Arc<Payload>;
    type Decode = R;
    type Encoder = PayloadEncoder;
    type Decoder = tonic_prost::ProstDecoder<R>;

    fn encoder(&mut self) -> Self::Encoder {
        PayloadEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        tonic_prost::ProstDecoder::new(BufferSettings::default())
    }
}

pub(crate) struct PayloadEncoder;

impl Encoder for PayloadEncoder {
    type Item = Arc<Payload>;
    type Error = Status;

    fn encode(&mut self, item: Arc<Payload>, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        match &*item {
            Payload::Traces(r) => encode_reserved(r, buf),
            Payload::Metrics(r) => encode_reserved(r, buf),
            Payload::Logs(r) => encode_reserved(r, buf),
            Payload::Encoded(e) => {
                buf.reserve(e.len());
                e.write_to(buf);
            }
        }
        Ok(())
    }
}

/// Reserves the whole message once: growing the buffer while writing copies a large
/// batch several times over.
fn encode_reserved(message: &impl Message, buf: &mut EncodeBuf<'_>) {
    buf.reserve(message.encoded_len());
    message.encode_raw(buf);
}
