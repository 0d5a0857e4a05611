//! What the components that talk to ClickHouse over HTTP (the `clickhouse`
//! exporter, the `query` extension) share about its interface, so the two never
//! read the server differently.

/// The server's error code: from the `X-ClickHouse-Exception-Code` header when
/// there is one, else from the `Code: N` that opens the body (servers before the
/// header existed, 18.x and 19.x, write only that).
pub fn exception_code(header: Option<&str>, body: &str) -> Option<u32> {
    if let Some(code) = header.and_then(|h| h.trim().parse().ok()) {
        return Some(code);
    }
    let rest = &body[body.find("Code: ")? + 6..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_header_or_body() {
        assert_eq!(exception_code(Some("60"), ""), Some(60));
        assert_eq!(exception_code(Some(" 62 "), "Code: 1."), Some(62));
        assert_eq!(
            exception_code(None, "Code: 62. DB::Exception: Syntax error"),
            Some(62)
        );
        assert_eq!(
            exception_code(
                None,
                "Code: 62, e.displayText() = DB::Exception: Syntax error"
            ),
            Some(62)
        );
        assert_eq!(exception_code(None, "Bad gateway"), None);
        assert_eq!(exception_code(Some("x"), "Code: x"), None);
    }
}
