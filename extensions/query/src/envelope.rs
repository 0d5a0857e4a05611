//! What `POST /v1/query` answers, in the shape DeepFlow's querier uses:
//!
//! * success: `{"OPT_STATUS":"SUCCESS","DESCRIPTION":"","result":{"columns":["c",...],
//!   "values":[[v,...],...]}}`, one inner array per row, values as ClickHouse's
//!   `JSONCompact` writes them (64-bit integers as numbers).
//! * failure: `{"OPT_STATUS":"<status>","DESCRIPTION":"<why>","result":null}`, plus
//!   `"CLICKHOUSE_CODE":N` when ClickHouse refused the query.

use serde::Deserialize;
use serde_json::{json, Value};

/// ClickHouse's `JSONCompact` document: column names and types, then rows.
#[derive(Debug, Deserialize)]
struct JsonCompact {
    meta: Vec<Column>,
    data: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct Column {
    name: String,
}

/// Why a ClickHouse answer could not be read as `JSONCompact`.
#[derive(Debug, thiserror::Error)]
#[error("ClickHouse's answer is not JSONCompact: {0}")]
pub struct NotJsonCompact(#[from] serde_json::Error);

/// The success envelope for a `JSONCompact` answer.
pub fn success(json_compact: &[u8]) -> Result<Value, NotJsonCompact> {
    let answer: JsonCompact = serde_json::from_slice(json_compact)?;
    let columns: Vec<&str> = answer.meta.iter().map(|c| c.name.as_str()).collect();
    Ok(json!({
        "OPT_STATUS": "SUCCESS",
        "DESCRIPTION": "",
        "result": {"columns": columns, "values": answer.data},
    }))
}

/// The failure envelope.
pub fn failure(status: &str, description: &str, clickhouse_code: Option<u32>) -> Value {
    let mut body = json!({
        "OPT_STATUS": status,
        "DESCRIPTION": description,
        "result": null,
    });
    if let (Some(code), Some(map)) = (clickhouse_code, body.as_object_mut()) {
        map.insert("CLICKHOUSE_CODE".into(), json!(code));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_compact_becomes_columns_and_values() {
        let answer = br#"{
            "meta": [{"name": "ServiceName", "type": "LowCardinality(String)"},
                     {"name": "count()", "type": "UInt64"}],
            "data": [["a", 3], ["b", 18446744073709551615]],
            "rows": 2,
            "statistics": {"elapsed": 0.001, "rows_read": 5, "bytes_read": 50}
        }"#;
        assert_eq!(
            success(answer).unwrap().to_string(),
            r#"{"DESCRIPTION":"","OPT_STATUS":"SUCCESS","result":{"columns":["ServiceName","count()"],"values":[["a",3],["b",18446744073709551615]]}}"#
        );
    }

    #[test]
    fn no_rows_is_an_empty_values_list() {
        let answer = br#"{"meta":[{"name":"x","type":"UInt8"}],"data":[],"rows":0}"#;
        assert_eq!(
            success(answer).unwrap()["result"].to_string(),
            r#"{"columns":["x"],"values":[]}"#
        );
    }

    #[test]
    fn anything_else_is_an_error() {
        let err = success(b"1\t2\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("ClickHouse's answer is not JSONCompact: "),
            "{err}"
        );
    }

    #[test]
    fn failures_carry_the_clickhouse_code_when_there_is_one() {
        assert_eq!(
            failure(
                "INVALID_SQL",
                "Code: 62. DB::Exception: Syntax error",
                Some(62)
            )
            .to_string(),
            r#"{"CLICKHOUSE_CODE":62,"DESCRIPTION":"Code: 62. DB::Exception: Syntax error","OPT_STATUS":"INVALID_SQL","result":null}"#
        );
        assert_eq!(
            failure("FORBIDDEN", "no", None).to_string(),
            r#"{"DESCRIPTION":"no","OPT_STATUS":"FORBIDDEN","result":null}"#
        );
    }
}
