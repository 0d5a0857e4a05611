//! The `sql` of a `POST /v1/query`: a form field (`application/x-www-form-urlencoded`,
//! as DeepFlow's querier takes it) or a JSON body `{"sql": "..."}`. Other fields are
//! ignored.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct JsonBody {
    sql: Option<String>,
}

/// The statement text, or why the body holds none.
pub fn sql_of(content_type: Option<&str>, body: &[u8]) -> Result<String, String> {
    let essence = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let sql = if essence == "application/json" || essence.ends_with("+json") {
        let body: JsonBody =
            serde_json::from_slice(body).map_err(|e| format!("the JSON body is invalid: {e}"))?;
        body.sql
    } else {
        form_field(body, "sql")?
    };
    sql.ok_or_else(|| "the request has no sql field".to_string())
}

/// The first value of `name` in a form body.
fn form_field(body: &[u8], name: &str) -> Result<Option<String>, String> {
    for pair in body.split(|b| *b == b'&') {
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        if form_decode(key)? == name {
            return form_decode(value).map(Some);
        }
    }
    Ok(None)
}

/// `+` is a space, `%XX` a byte; the result must be UTF-8.
fn form_decode(raw: &[u8]) -> Result<String, String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| "the form body has a malformed %-escape".to_string())?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "the form body is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies() {
        assert_eq!(
            sql_of(
                Some("application/x-www-form-urlencoded"),
                b"db=flow_log&sql=SELECT+1%3B+%27a%26b%27"
            )
            .unwrap(),
            "SELECT 1; 'a&b'"
        );
        assert_eq!(sql_of(None, b"sql=").unwrap(), "");
        assert_eq!(
            sql_of(None, b"db=x").unwrap_err(),
            "the request has no sql field"
        );
        assert_eq!(
            sql_of(None, b"sql=%ZZ").unwrap_err(),
            "the form body has a malformed %-escape"
        );
        assert_eq!(
            sql_of(None, b"sql=%FF").unwrap_err(),
            "the form body is not UTF-8"
        );
    }

    #[test]
    fn json_bodies() {
        assert_eq!(
            sql_of(
                Some("application/json; charset=utf-8"),
                br#"{"sql": "SELECT 'x'", "db": "y"}"#
            )
            .unwrap(),
            "SELECT 'x'"
        );
        assert_eq!(
            sql_of(Some("application/json"), b"{}").unwrap_err(),
            "the request has no sql field"
        );
        assert!(sql_of(Some("application/json"), b"sql=1")
            .unwrap_err()
            .starts_with("the JSON body is invalid: "));
    }
}
