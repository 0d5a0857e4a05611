//! InfluxDB line protocol into OTLP metrics, as pure functions: what the
//! `influxdb` receiver and the `deepflow` receiver's `/api/v1/telegraf` path
//! share. Like otelcol-contrib's `pkg/translator`, this is no component.
//!
//! * [`line_protocol`]: the parser.
//! * [`metrics`]: points as OTLP metrics.
//! * [`translate`]: a whole request body, with the answer to give for bad lines.

pub mod line_protocol;
pub mod metrics;

use std::time::{SystemTime, UNIX_EPOCH};

use crate::line_protocol::{parse, LineError, Precision};
use crate::metrics::{convert, Converted, SumPatterns};

/// Bad lines named in an answer; the rest are counted.
const LISTED_ERRORS: usize = 10;

/// A request body, translated.
#[derive(Debug)]
pub struct Batch {
    /// The metrics of the good lines.
    pub metrics: Converted,
    /// Lines read, good and bad (blank and comment lines not counted).
    pub lines: usize,
    /// The lines that did not parse.
    pub errors: Vec<LineError>,
}

impl Batch {
    /// What to answer when some lines did not parse: how many, then each (the
    /// first ten) with its line and column. `None` when all parsed.
    pub fn partial_write_message(&self) -> Option<String> {
        if self.errors.is_empty() {
            return None;
        }
        let mut message = format!(
            "partial write: {} of {} lines did not parse (the others were written): ",
            self.errors.len(),
            self.lines
        );
        let listed: Vec<String> = self
            .errors
            .iter()
            .take(LISTED_ERRORS)
            .map(|e| e.to_string())
            .collect();
        message.push_str(&listed.join("; "));
        if self.errors.len() > LISTED_ERRORS {
            message.push_str(&format!("; and {} more", self.errors.len() - LISTED_ERRORS));
        }
        Some(message)
    }
}

/// Parses `body` and converts its good lines; a line without a timestamp gets
/// the time of arrival.
pub fn translate(body: &[u8], precision: Precision, sums: &SumPatterns, scope: &str) -> Batch {
    let (points, errors) = parse(body, precision);
    let lines = points.len() + errors.len();
    let points: Vec<_> = points.into_iter().map(|(_, p)| p).collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    Batch {
        metrics: convert(&points, sums, now, scope),
        lines,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_named_and_counted() {
        let mut body = String::from("ok v=1\n");
        for _ in 0..12 {
            body.push_str("bad\n");
        }
        let batch = translate(
            body.as_bytes(),
            Precision::Nanoseconds,
            &SumPatterns::default(),
            "s",
        );
        assert_eq!(batch.metrics.data_points, 1);
        assert_eq!(batch.lines, 13);
        let message = batch.partial_write_message().unwrap();
        assert!(
            message.starts_with(
                "partial write: 12 of 13 lines did not parse (the others were written): line 2"
            ),
            "{message}"
        );
        assert!(message.ends_with("; and 2 more"), "{message}");
        let good = translate(
            b"ok v=1",
            Precision::Nanoseconds,
            &SumPatterns::default(),
            "s",
        );
        assert_eq!(good.partial_write_message(), None);
    }
}
