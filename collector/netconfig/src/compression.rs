//! Body compression as OTLP uses it: `gzip`, `zstd` or none, by name in config and in
//! `Content-Encoding`.

use std::borrow::Cow;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    Gzip,
    Zstd,
    /// `none` in config; `""` is accepted too, as otelcol does.
    #[serde(alias = "")]
    None,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("unsupported Content-Encoding {0:?}")]
    Unsupported(String),
    #[error("body larger than {limit} bytes after decompression")]
    TooLarge { limit: usize },
    #[error("invalid {encoding} body: {message}")]
    Corrupt {
        encoding: &'static str,
        message: String,
    },
}

impl Compression {
    /// The `Content-Encoding` / `grpc-encoding` value, `None` for identity.
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Compression::Gzip => Some("gzip"),
            Compression::Zstd => Some("zstd"),
            Compression::None => None,
        }
    }

    /// Reads a `Content-Encoding` header; `identity` and absent mean none.
    pub fn from_header(value: Option<&str>) -> Result<Compression, DecodeError> {
        match value.map(str::trim) {
            None | Some("") | Some("identity") => Ok(Compression::None),
            Some(v) if v.eq_ignore_ascii_case("gzip") => Ok(Compression::Gzip),
            Some(v) if v.eq_ignore_ascii_case("zstd") => Ok(Compression::Zstd),
            Some(v) => Err(DecodeError::Unsupported(v.to_string())),
        }
    }

    pub fn encode(self, body: &[u8]) -> Vec<u8> {
        match self {
            Compression::None => body.to_vec(),
            Compression::Gzip => {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                // Writing into a Vec cannot fail.
                let _ = enc.write_all(body);
                enc.finish().unwrap_or_default()
            }
            Compression::Zstd => zstd::bulk::compress(body, 1).unwrap_or_default(),
        }
    }

    /// Decompresses at most `limit` bytes; a bigger result is refused, not allocated.
    /// An uncompressed body is borrowed as it is, not copied.
    pub fn decode(self, body: &[u8], limit: usize) -> Result<Cow<'_, [u8]>, DecodeError> {
        fn read_limited(
            reader: impl Read,
            limit: usize,
            encoding: &'static str,
        ) -> Result<Vec<u8>, DecodeError> {
            let mut out = Vec::new();
            reader
                .take((limit as u64).saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| DecodeError::Corrupt {
                    encoding,
                    message: e.to_string(),
                })?;
            if out.len() > limit {
                return Err(DecodeError::TooLarge { limit });
            }
            Ok(out)
        }
        match self {
            Compression::None if body.len() > limit => Err(DecodeError::TooLarge { limit }),
            Compression::None => Ok(Cow::Borrowed(body)),
            Compression::Gzip => {
                read_limited(flate2::read::GzDecoder::new(body), limit, "gzip").map(Cow::Owned)
            }
            Compression::Zstd => {
                let decoder =
                    zstd::stream::read::Decoder::new(body).map_err(|e| DecodeError::Corrupt {
                        encoding: "zstd",
                        message: e.to_string(),
                    })?;
                read_limited(decoder, limit, "zstd").map(Cow::Owned)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let body = b"hello hello hello hello".repeat(10);
        for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
            assert_eq!(c.decode(&c.encode(&body), 1 << 20).unwrap(), body);
        }
    }

    #[test]
    fn refuses_bombs_and_garbage() {
        let body = vec![0u8; 10_000];
        let gz = Compression::Gzip.encode(&body);
        assert_eq!(
            Compression::Gzip.decode(&gz, 9_999),
            Err(DecodeError::TooLarge { limit: 9_999 })
        );
        assert!(matches!(
            Compression::Zstd.decode(b"nope", 100),
            Err(DecodeError::Corrupt {
                encoding: "zstd",
                ..
            })
        ));
        assert_eq!(
            Compression::from_header(Some("br")),
            Err(DecodeError::Unsupported("br".into()))
        );
    }
}
