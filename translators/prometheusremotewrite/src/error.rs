//! Why a body cannot be translated. Every variant is the sender's fault (HTTP 400,
//! except `TooLarge`, 413): sending it again cannot help. The series is named the way
//! Prometheus prints one, `name{label="value", ...}`, with its index in the request.

use std::fmt::Write as _;

use crate::proto::Label;

/// A series is shown with at most this many characters, so that an error about a
/// huge label stays readable.
const SHOWN_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("body is not snappy-compressed (block format): {0}")]
    NotSnappy(String),
    #[error("body is {size} bytes after snappy decompression, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("body is not a protobuf prometheus.WriteRequest: {0}")]
    NotProtobuf(String),
    #[error("series {index} {series} has no __name__ label")]
    MissingName { index: usize, series: String },
    #[error("series {index} {series} has the label {label:?} twice")]
    DuplicateLabel {
        index: usize,
        series: String,
        label: String,
    },
    #[error("series {index} {series}: le {value:?} is not a number")]
    BadLe {
        index: usize,
        series: String,
        value: String,
    },
    #[error("series {index} {series}: quantile {value:?} is not a number")]
    BadQuantile {
        index: usize,
        series: String,
        value: String,
    },
}

impl Error {
    /// True when the body is refused for its size (HTTP 413), not its content.
    pub fn is_too_large(&self) -> bool {
        matches!(self, Error::TooLarge { .. })
    }
}

/// `name{a="1", b="2"}`, cut at [`SHOWN_CHARS`] characters.
pub(crate) fn show_series(labels: &[Label]) -> String {
    let name = labels
        .iter()
        .find(|l| l.name == "__name__")
        .map_or("", |l| l.value.as_str());
    let mut out = String::from(name);
    out.push('{');
    let mut first = true;
    for label in labels.iter().filter(|l| l.name != "__name__") {
        if !first {
            out.push_str(", ");
        }
        first = false;
        // Writing into a String cannot fail.
        let _ = write!(out, "{}={:?}", label.name, label.value);
    }
    out.push('}');
    if out.chars().count() > SHOWN_CHARS {
        out = out.chars().take(SHOWN_CHARS).collect();
        out.push('…');
    }
    out
}
