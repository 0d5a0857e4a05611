//! What every receiver of remote-write does around [`translate`](crate::translate),
//! written once: check the headers of a request, translate with the family types
//! earlier requests taught and keep what this one teaches, and name what was
//! dropped. Still no I/O and no clock: the caller passes the oldest time it takes.

use std::sync::{PoisonError, RwLock};

use crate::{translate, Error, FamilyTypes, Options, Translated};

/// Family types shared by the requests of one receiver: read by every
/// translation, written only when a request teaches something new.
pub struct SharedFamilies(RwLock<FamilyTypes>);

impl SharedFamilies {
    /// Remembers at most `capacity` families.
    pub fn new(capacity: usize) -> SharedFamilies {
        SharedFamilies(RwLock::new(FamilyTypes::new(capacity)))
    }

    /// Translates `snappy_body` knowing the families seen so far, then
    /// remembers the ones it declared or showed.
    pub fn translate(&self, snappy_body: &[u8], options: Options<'_>) -> Result<Translated, Error> {
        let translated = {
            let known = self.0.read().unwrap_or_else(PoisonError::into_inner);
            translate(
                snappy_body,
                &Options {
                    known: Some(&known),
                    ..options
                },
            )?
        };
        let changes = {
            let known = self.0.read().unwrap_or_else(PoisonError::into_inner);
            translated
                .learned
                .iter()
                .any(|(name, family)| known.would_change(name, family))
        };
        if changes {
            self.0
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .remember_all(translated.learned.iter().cloned());
        }
        Ok(translated)
    }

    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Translated {
    /// Samples left out, by reason (the label of a dropped-samples counter).
    pub fn dropped(&self) -> [(&'static str, usize); 3] {
        [
            ("stale_marker", self.dropped_stale),
            ("too_old", self.dropped_too_old),
            ("native_histogram", self.dropped_native_histograms),
        ]
    }
}

/// Remote-write 1.0 by its headers, or what is wrong (a receiver answers 415):
/// `Content-Type: application/x-protobuf` (a `proto=` other than
/// `prometheus.WriteRequest` is remote-write 2.0) and `Content-Encoding: snappy`.
pub fn check_headers(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
) -> Result<(), String> {
    let Some(content_type) = content_type else {
        return Err("Content-Type is required: application/x-protobuf".into());
    };
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("application/x-protobuf") {
        return Err(format!(
            "unsupported Content-Type {content_type:?}: remote-write is application/x-protobuf"
        ));
    }
    for param in parts {
        if let Some((key, value)) = param.split_once('=') {
            let value = value.trim().trim_matches('"');
            if key.trim() == "proto" && value != "prometheus.WriteRequest" {
                return Err(format!(
                    "unsupported remote-write message {value:?}: this receiver takes \
                     remote-write 1.0 (prometheus.WriteRequest)"
                ));
            }
        }
    }
    match content_encoding {
        Some(e) if e.trim().eq_ignore_ascii_case("snappy") => Ok(()),
        Some(e) => Err(format!(
            "unsupported Content-Encoding {e:?}: remote-write bodies are snappy"
        )),
        None => Err("Content-Encoding is required: snappy".into()),
    }
}
