//! Durations written as Go writes them (`200ms`, `5s`, `1m30s`, `1.5h`), as otelcol
//! configs do; a bare integer is nanoseconds, as in Go.
//!
//! Use with `#[serde(with = "sonde_api::config::duration")]`.

use std::time::Duration;

use serde::{de, Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(*d))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Nanos(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Nanos(n) if n > MAX_NANOS => Err(de::Error::custom(format!(
            "invalid duration {n}: out of range (at most {MAX_NANOS}ns, as in Go)"
        ))),
        Raw::Nanos(n) => Ok(Duration::from_nanos(n)),
        Raw::Text(t) => parse(&t).map_err(de::Error::custom),
    }
}

/// Go's durations are i64 nanoseconds (about 292 years); longer ones are refused, so
/// that adding one to a clock reading can never overflow.
const MAX_NANOS: u64 = i64::MAX as u64;

/// Parses a Go duration string.
pub fn parse(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?} (use a number with a unit: 200ms, 5s, 1m30s)");
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let value: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += value * seconds;
        rest = &rest[unit_len..];
    }
    if total * 1e9 > MAX_NANOS as f64 {
        return Err(format!(
            "invalid duration {text:?}: out of range (at most about 292 years, as in Go)"
        ));
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// Formats a duration the short way Go would read it back.
pub fn format(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        "0s".to_string()
    } else if nanos.is_multiple_of(1_000_000_000) {
        format!("{}s", nanos / 1_000_000_000)
    } else if nanos.is_multiple_of(1_000_000) {
        format!("{}ms", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!("{}us", nanos / 1_000)
    } else {
        format!("{nanos}ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse("200ms").unwrap(), Duration::from_millis(200));
        assert_eq!(parse("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert_eq!(
            parse("5").unwrap_err(),
            "invalid duration \"5\" (use a number with a unit: 200ms, 5s, 1m30s)"
        );
        assert!(parse("5x").is_err());
        assert!(parse("").is_err());
        assert_eq!(
            parse("3000000h").unwrap_err(),
            "invalid duration \"3000000h\": out of range (at most about 292 years, as in Go)"
        );
        assert_eq!(
            parse("2000000h").unwrap(),
            Duration::from_secs(7_200_000_000)
        );
    }

    #[test]
    fn formats_round_trip() {
        for s in ["200ms", "5s", "90s", "1500us", "7ns", "0s"] {
            assert_eq!(format(parse(s).unwrap()), s);
        }
    }
}
