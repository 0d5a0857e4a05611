use super::*;

#[test]
fn trace_ids_are_checked_and_lower_cased() {
    assert_eq!(
        parse_trace_id("0AF7651916CD43DD8448EB211C80319C").unwrap(),
        "0af7651916cd43dd8448eb211c80319c"
    );
    assert_eq!(
        parse_trace_id("xyz").unwrap_err(),
        "malformed trace id \"xyz\": expected 32 hexadecimal digits"
    );
    assert!(parse_trace_id("0af7651916cd43dd8448eb211c80319").is_err());
    assert!(parse_trace_id("0af7651916cd43dd8448eb211c80319g").is_err());
    assert_eq!(
        parse_trace_id("00000000000000000000000000000000").unwrap_err(),
        "malformed trace id: all zeros is not a valid trace id"
    );
}

#[test]
fn the_scan_is_bounded_by_the_trace_id_ts_table() {
    let sql = trace_sql("otel", "otel_traces", "0af7651916cd43dd8448eb211c80319c");
    assert!(sql.starts_with("WITH '0af7651916cd43dd8448eb211c80319c' AS trace_id,\n"));
    assert!(sql.contains(
        "(SELECT min(Start) FROM otel.otel_traces_trace_id_ts WHERE TraceId = trace_id) AS trace_start"
    ));
    assert!(sql.contains(
        "(SELECT max(End) + 1 FROM otel.otel_traces_trace_id_ts WHERE TraceId = trace_id) AS trace_end"
    ));
    assert!(sql.contains("FROM otel.otel_traces\nWHERE TraceId = trace_id AND Timestamp >= trace_start AND Timestamp <= trace_end"));
}

const ROWS: &str = r#"{"meta": [], "data": [
  [["service.name"], ["checkout"], "lib", "1.0",
   "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "", "k=v", "GET /", "Server",
   1700000000000000000, 2500, ["http.method"], ["GET"], "Error", "boom",
   [1700000000000000100], ["started"], [["n"]], [["1"]],
   ["5b8efff798038103d269b633813fc60c"], ["eee19b7ec3c1b174"], [""], [["l"]], [["x"]]],
  [["service.name"], ["checkout"], "lib", "1.0",
   "0af7651916cd43dd8448eb211c80319c", "00f067aa0ba902b7", "b7ad6b7169203331", "", "SELECT", "Client",
   1700000000000000010, 100, [], [], "Unset", "",
   [], [], [], [], [], [], [], [], []],
  [["service.name"], ["db"], "", "",
   "0af7651916cd43dd8448eb211c80319c", "1111111111111111", "00f067aa0ba902b7", "", "query", "Server",
   1700000000000000020, 50, [], [], "Ok", "",
   [], [], [], [], [], [], [], [], []]
]}"#;

#[test]
fn rows_become_otlp_json_grouped_by_resource_and_scope() {
    let data = to_otlp(ROWS.as_bytes()).unwrap().unwrap();
    assert_eq!(data.resource_spans.len(), 2);
    assert_eq!(data.resource_spans[0].scope_spans[0].spans.len(), 2);
    let json = serde_json::to_value(&data).unwrap();
    let first = &json["resourceSpans"][0];
    assert_eq!(
        first["resource"]["attributes"][0],
        serde_json::json!({"key": "service.name", "value": {"stringValue": "checkout"}})
    );
    assert_eq!(
        first["scopeSpans"][0]["scope"],
        serde_json::json!({"name": "lib", "version": "1.0", "attributes": [], "droppedAttributesCount": 0})
    );
    let span = &first["scopeSpans"][0]["spans"][0];
    assert_eq!(span["traceId"], "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(span["spanId"], "b7ad6b7169203331");
    assert_eq!(span["traceState"], "k=v");
    assert_eq!(span["name"], "GET /");
    assert_eq!(span["kind"], 2);
    assert_eq!(span["startTimeUnixNano"], "1700000000000000000");
    assert_eq!(span["endTimeUnixNano"], "1700000000000002500");
    assert_eq!(
        span["status"],
        serde_json::json!({"message": "boom", "code": 2})
    );
    assert_eq!(span["events"][0]["name"], "started");
    assert_eq!(span["events"][0]["timeUnixNano"], "1700000000000000100");
    assert_eq!(
        span["links"][0]["traceId"],
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(span["links"][0]["spanId"], "eee19b7ec3c1b174");
    let child = &first["scopeSpans"][0]["spans"][1];
    assert_eq!(child["parentSpanId"], "b7ad6b7169203331");
    assert_eq!(child["kind"], 3);
    let db = &json["resourceSpans"][1];
    assert_eq!(db["scopeSpans"][0]["spans"][0]["status"]["code"], 1);
}

#[test]
fn no_rows_is_none_and_wrong_shapes_are_errors() {
    assert!(to_otlp(br#"{"meta":[],"data":[]}"#).unwrap().is_none());
    assert!(to_otlp(br#"{"meta":[],"data":[[1,2]]}"#).is_err());
}
