//! The server-version check at start. contrib's schema needs types, table features and
//! settings an old ClickHouse lacks; a server that old gets one error naming each
//! missing piece and the minimum version, instead of a syntax error from the first
//! `CREATE TABLE` (or an unknown-setting error from the first request).
//!
//! The versions are those in which each feature appeared in ClickHouse's changelogs.

/// The oldest ClickHouse the exporter accepts: the release that added the last
/// feature in [`FEATURES`].
pub const MINIMUM: (u32, u32) = (21, 11);

/// What the schema and the inserts use, and the release that brought it.
const FEATURES: &[(&str, (u32, u32))] = &[
    ("column compression codecs (CODEC)", (19, 1)),
    ("TTL", (19, 6)),
    ("the DateTime64 type", (20, 1)),
    ("the Map type", (21, 1)),
    ("the async_insert setting", (21, 11)),
];

/// `major.minor` of what `SELECT version()` answers (`18.16.1`, `26.9.1.1`).
pub fn parse(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// `Err` with the message for a server older than [`MINIMUM`]. A version that does
/// not parse passes: a fork's odd spelling is no reason to refuse it.
pub fn check(text: &str) -> Result<(), String> {
    let Some(version) = parse(text) else {
        return Ok(());
    };
    if version >= MINIMUM {
        return Ok(());
    }
    let missing: Vec<String> = FEATURES
        .iter()
        .filter(|(_, since)| version < *since)
        .map(|(what, (major, minor))| format!("{what} (ClickHouse {major}.{minor})"))
        .collect();
    Err(format!(
        "ClickHouse {} is too old for the OpenTelemetry schema: it lacks {}; the clickhouse \
         exporter needs ClickHouse {}.{} or newer",
        text.trim(),
        missing.join(", "),
        MINIMUM.0,
        MINIMUM.1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_minor() {
        assert_eq!(parse("18.16.1\n"), Some((18, 16)));
        assert_eq!(parse("26.9.1.1"), Some((26, 9)));
        assert_eq!(parse("21.11"), Some((21, 11)));
        assert_eq!(parse("nightly"), None);
        assert_eq!(parse("21"), None);
    }

    #[test]
    fn debian_18_16_lacks_everything() {
        assert_eq!(
            check("18.16.1\n").unwrap_err(),
            "ClickHouse 18.16.1 is too old for the OpenTelemetry schema: it lacks column \
             compression codecs (CODEC) (ClickHouse 19.1), TTL (ClickHouse 19.6), the \
             DateTime64 type (ClickHouse 20.1), the Map type (ClickHouse 21.1), the \
             async_insert setting (ClickHouse 21.11); the clickhouse exporter needs \
             ClickHouse 21.11 or newer"
        );
    }

    #[test]
    fn names_only_what_is_missing() {
        assert_eq!(
            check("21.8.15.7").unwrap_err(),
            "ClickHouse 21.8.15.7 is too old for the OpenTelemetry schema: it lacks the \
             async_insert setting (ClickHouse 21.11); the clickhouse exporter needs \
             ClickHouse 21.11 or newer"
        );
    }

    #[test]
    fn minimum_and_newer_and_odd_pass() {
        assert_eq!(check("21.11.1"), Ok(()));
        assert_eq!(check("22.1.3"), Ok(()));
        assert_eq!(check("26.9.1.1"), Ok(()));
        assert_eq!(check("100.1"), Ok(()));
        assert_eq!(check("custom-build"), Ok(()));
    }
}
