//! Classifying ClickHouse's answers. ClickHouse reports an exception with an HTTP
//! error status, its code in `X-ClickHouse-Exception-Code` and the text
//! `Code: N. DB::Exception: ...` as the body.
//!
//! Schema, type, syntax, parse and access errors can never succeed on a retry: they are
//! permanent. Overload, timeouts, network trouble and the server being unavailable are
//! retryable, as is any 5xx without a code known to be permanent.

/// Codes whose data or statement can never succeed as it is.
const PERMANENT_CODES: &[u32] = &[
    6,   // CANNOT_PARSE_TEXT
    16,  // NO_SUCH_COLUMN_IN_TABLE
    20,  // NUMBER_OF_COLUMNS_DOESNT_MATCH
    27,  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    33,  // CANNOT_READ_ALL_DATA
    36,  // BAD_ARGUMENTS
    41,  // CANNOT_PARSE_DATETIME
    43,  // ILLEGAL_TYPE_OF_ARGUMENT
    44,  // ILLEGAL_COLUMN
    46,  // UNKNOWN_FUNCTION
    47,  // UNKNOWN_IDENTIFIER
    48,  // NOT_IMPLEMENTED
    50,  // UNKNOWN_TYPE
    53,  // TYPE_MISMATCH
    60,  // UNKNOWN_TABLE
    62,  // SYNTAX_ERROR
    70,  // CANNOT_CONVERT_TYPE
    73,  // UNKNOWN_FORMAT
    81,  // UNKNOWN_DATABASE
    115, // UNKNOWN_SETTING
    117, // INCORRECT_DATA
    164, // READONLY
    192, // UNKNOWN_USER
    193, // WRONG_PASSWORD
    271, // CANNOT_DECOMPRESS
    497, // ACCESS_DENIED
    516, // AUTHENTICATION_FAILED
];

/// Whether an answer is worth another attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Retryable,
    Permanent,
}

pub use sonde_clickhouse::exception_code;

pub fn classify(status: u16, code: Option<u32>) -> Verdict {
    if code.is_some_and(|c| PERMANENT_CODES.contains(&c)) {
        return Verdict::Permanent;
    }
    match status {
        408 | 429 | 500..=599 => Verdict::Retryable,
        _ => Verdict::Permanent,
    }
}

/// The server's message, trimmed and bounded.
pub fn message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut text = text.trim().to_string();
    if text.len() > 1024 {
        let mut cut = 1024;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_errors_are_permanent_overload_is_not() {
        for code in [16, 47, 53, 60, 62, 117] {
            assert_eq!(classify(500, Some(code)), Verdict::Permanent, "{code}");
            assert_eq!(classify(404, Some(code)), Verdict::Permanent, "{code}");
        }
        for code in [159, 202, 209, 210, 241, 252, 319] {
            assert_eq!(classify(500, Some(code)), Verdict::Retryable, "{code}");
        }
        assert_eq!(classify(503, None), Verdict::Retryable);
        assert_eq!(classify(502, None), Verdict::Retryable);
        assert_eq!(classify(429, None), Verdict::Retryable);
        assert_eq!(classify(400, None), Verdict::Permanent);
        assert_eq!(classify(401, None), Verdict::Permanent);
    }
}
