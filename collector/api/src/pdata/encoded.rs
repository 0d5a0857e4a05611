//! An export request kept as the protobuf bytes it arrived in.
//!
//! OTLP in and OTLP out need no structs in between: the receiver proves the bytes
//! decode (see `scan`) and counts their items, the batch processor concatenates
//! requests (two encoded messages of the same type, one after the other, are one
//! message whose repeated fields hold both), and the OTLP exporters write the bytes
//! out. Whatever needs the fields decodes them, once, where it needs them.

use bytes::{BufMut, Bytes};

use super::scan::{self, Msg};
use super::{Payload, Signal};

/// Validated protobuf bytes of one signal's export request, possibly several
/// requests end to end.
#[derive(Clone, Debug)]
pub struct Encoded {
    signal: Signal,
    /// Each chunk is a whole export request; their concatenation is one too.
    chunks: Vec<Bytes>,
    items: usize,
    resources: usize,
    len: usize,
}

fn request_schema(signal: Signal) -> &'static Msg {
    match signal {
        Signal::Traces => &scan::TRACES_REQUEST,
        Signal::Metrics => &scan::METRICS_REQUEST,
        Signal::Logs => &scan::LOGS_REQUEST,
    }
}

impl Encoded {
    /// Takes `bytes` when a walk over them proves they decode; `None` means only a
    /// full decode can tell (and it may well succeed).
    pub fn scan(signal: Signal, bytes: Bytes) -> Option<Encoded> {
        let summary = scan::scan(request_schema(signal), &bytes).ok()?;
        Some(Encoded {
            signal,
            len: bytes.len(),
            chunks: vec![bytes],
            items: summary.items,
            resources: summary.resources,
        })
    }

    /// The encoding of a decoded payload.
    pub fn encode(payload: &Payload) -> Encoded {
        match payload {
            Payload::Encoded(e) => e.clone(),
            decoded => {
                let bytes = Bytes::from(decoded.encode_to_vec());
                Encoded {
                    signal: decoded.signal(),
                    len: bytes.len(),
                    chunks: vec![bytes],
                    items: decoded.item_count(),
                    resources: decoded.resource_count(),
                }
            }
        }
    }

    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// Spans, data points or log records.
    pub fn item_count(&self) -> usize {
        self.items
    }

    /// Resource spans / metrics / logs.
    pub fn resource_count(&self) -> usize {
        self.resources
    }

    /// Bytes of the encoded request.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The request's bytes, in pieces to be written one after the other.
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// Writes the whole request.
    pub fn write_to(&self, buf: &mut impl BufMut) {
        for chunk in &self.chunks {
            buf.put_slice(chunk);
        }
    }

    /// The request as one contiguous buffer (free when it is one piece already).
    pub fn to_bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [one] => one.clone(),
            _ => {
                let mut buf = Vec::with_capacity(self.len);
                self.write_to(&mut buf);
                Bytes::from(buf)
            }
        }
    }

    /// Appends another request of the same signal.
    pub(crate) fn append(&mut self, other: Encoded) {
        debug_assert_eq!(self.signal, other.signal);
        self.chunks.extend(other.chunks);
        self.items += other.items;
        self.resources += other.resources;
        self.len += other.len;
    }

    /// Decodes into the request's structs.
    pub fn decode(&self) -> Result<Payload, prost::DecodeError> {
        let mut chunks = self.chunks.iter();
        let mut payload = match chunks.next() {
            Some(first) => Payload::decode(self.signal, first)?,
            None => Payload::empty(self.signal),
        };
        for chunk in chunks {
            // Same signal by construction, so the merge cannot refuse.
            let _ = payload.merge(Payload::decode(self.signal, chunk)?);
        }
        Ok(payload)
    }
}

impl From<Payload> for Encoded {
    fn from(payload: Payload) -> Encoded {
        match payload {
            Payload::Encoded(e) => e,
            decoded => Encoded::encode(&decoded),
        }
    }
}

/// Equal when the bytes are, however they are cut into chunks.
impl PartialEq for Encoded {
    fn eq(&self, other: &Encoded) -> bool {
        self.signal == other.signal && self.len == other.len && self.to_bytes() == other.to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdata::fixtures::{logs, traces};

    fn encoded(payload: &Payload) -> Payload {
        Payload::from_wire(payload.signal(), Bytes::from(payload.encode_to_vec())).unwrap()
    }

    #[test]
    fn bytes_that_decode_stay_bytes_and_decode_back() {
        let original = Payload::Traces(traces());
        let wire = encoded(&original);
        let Payload::Encoded(e) = &wire else {
            panic!("not kept encoded: {wire:?}")
        };
        assert_eq!((e.item_count(), e.resource_count()), (3, 2));
        assert_eq!(wire.decoded().unwrap().into_owned(), original);
    }

    #[test]
    fn bytes_that_do_not_decode_get_prosts_error() {
        let err =
            Payload::from_wire(Signal::Logs, Bytes::from_static(&[0x0a, 0x05, 0x01])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to decode Protobuf message: ExportLogsServiceRequest.resource_logs: buffer underflow"
        );
    }

    #[test]
    fn merging_concatenates_and_mixing_encodes_the_decoded_side() {
        let decoded = Payload::Traces(traces());
        let mut merged = encoded(&decoded);
        merged.merge(decoded.clone()).unwrap();
        merged.merge(encoded(&decoded)).unwrap();
        let mut other_way = decoded.clone();
        other_way.merge(encoded(&decoded)).unwrap();
        assert!(matches!(other_way, Payload::Encoded(_)));
        assert_eq!((merged.item_count(), merged.resource_count()), (9, 6));

        let mut expected = traces();
        for _ in 0..2 {
            expected.resource_spans.extend(traces().resource_spans);
        }
        assert_eq!(merged.into_decoded().unwrap(), Payload::Traces(expected));
        assert_eq!(
            encoded(&Payload::Logs(logs()))
                .merge(decoded.clone())
                .unwrap_err(),
            decoded
        );
    }

    #[test]
    fn splitting_takes_everything_without_decoding_or_decodes_to_cut() {
        let decoded = Payload::Traces(traces());
        let mut all = encoded(&decoded);
        let front = all.split_front(3);
        assert!(matches!(front, Payload::Encoded(_)));
        assert_eq!((front.item_count(), all.item_count()), (3, 0));

        let mut part = encoded(&decoded);
        let front = part.split_front(2);
        let mut expected = decoded.clone();
        assert_eq!(front, expected.split_front(2));
        assert_eq!(part, expected);
    }

    #[test]
    fn equality_ignores_how_bytes_are_chunked() {
        let one = Encoded::encode(&Payload::Traces(traces()));
        let bytes = one.to_bytes();
        let cut = bytes.len() / 2;
        // Two halves are not each a request, so build the chunked value by hand.
        let chunked = Encoded {
            chunks: vec![bytes.slice(..cut), bytes.slice(cut..)],
            ..one.clone()
        };
        assert_eq!(one, chunked);
        assert_eq!(chunked.to_bytes(), bytes);
    }
}
