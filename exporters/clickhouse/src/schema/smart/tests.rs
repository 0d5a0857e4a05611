//! Golden tests of SmartEncoding's DDL: the fact tables are contrib's with the
//! resource map swapped for its id, the views list contrib's columns in contrib's
//! order.

use super::*;
use crate::config::Config;
use crate::schema::plan::parse_desc;
use crate::schema::plan::plan;
use crate::schema::TRACES_SPECS;

fn smart_params(yaml: &str) -> SchemaParams {
    let config: Config = sonde_api::config::decode(
        &serde_yaml::from_str(&format!(
            "{{endpoint: 'http://a:8123', database: otel, smart_encoding: {{enabled: true}}, {yaml}}}"
        ))
        .unwrap(),
    )
    .unwrap();
    SchemaParams::from_config(&config)
}

#[test]
fn traces_ddl_with_smart_encoding() {
    let params = smart_params("ttl: 72h");
    let ddl = params.traces_ddl();
    let firsts: Vec<&str> = ddl.iter().map(|s| s.lines().next().unwrap()).collect();
    assert_eq!(
        firsts,
        [
            "CREATE DATABASE IF NOT EXISTS \"otel\"",
            "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_resources\" (",
            "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_traces_facts\" (",
            "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_traces_trace_id_ts\" (",
            "CREATE MATERIALIZED VIEW IF NOT EXISTS \"otel\".\"otel_traces_trace_id_ts_mv\"",
            "CREATE VIEW IF NOT EXISTS \"otel\".\"otel_traces\" AS",
        ]
    );
    assert_eq!(
        ddl[1],
        "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_resources\" (
    ResourceId UInt64,
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LastSeen DateTime CODEC(Delta, ZSTD(1))
) ENGINE = ReplacingMergeTree(LastSeen)
ORDER BY ResourceId
TTL LastSeen + toIntervalDay(3)
SETTINGS index_granularity = 8192"
    );
    // The fact table: contrib's DDL but for the resource column and its indexes.
    let standard = SchemaParams {
        smart: None,
        ..params.clone()
    }
    .create_traces_table()
    .replace("\"otel_traces\"", "\"otel_traces_facts\"")
    .replace(
        "    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),\n",
        "    ResourceId UInt64 CODEC(ZSTD(1)),\n",
    )
    .replace(
        "    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n",
        "",
    )
    .replace(
        "    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,\n",
        "",
    );
    assert_eq!(ddl[2], standard);
    assert!(!ddl[2].contains("ResourceAttributes"));
    assert!(ddl[4]
        .ends_with("FROM \"otel\".\"otel_traces_facts\"\nWHERE TraceId != ''\nGROUP BY TraceId"));
    assert_eq!(
        ddl[5],
        "CREATE VIEW IF NOT EXISTS \"otel\".\"otel_traces\" AS
SELECT
    \"Timestamp\",
    \"TraceId\",
    \"SpanId\",
    \"ParentSpanId\",
    \"TraceState\",
    \"SpanName\",
    \"SpanKind\",
    \"ServiceName\",
    \"ResourceAttributes\",
    \"ScopeName\",
    \"ScopeVersion\",
    \"SpanAttributes\",
    \"Duration\",
    \"StatusCode\",
    \"StatusMessage\",
    \"Events.Timestamp\",
    \"Events.Name\",
    \"Events.Attributes\",
    \"Links.TraceId\",
    \"Links.SpanId\",
    \"Links.TraceState\",
    \"Links.Attributes\"
FROM \"otel\".\"otel_traces_facts\"
ANY LEFT JOIN (SELECT ResourceId, ResourceAttributes FROM \"otel\".\"otel_resources\") AS resources USING (ResourceId)"
    );
}

#[test]
fn the_views_list_every_standard_column_in_order() {
    let params = smart_params("");
    let standard = SchemaParams {
        smart: None,
        ..params.clone()
    };
    let pairs = [
        (params.create_logs_table(), standard.create_logs_table()),
        (
            params.create_summary_table(),
            standard.create_summary_table(),
        ),
        (
            params.create_exp_histogram_table(),
            standard.create_exp_histogram_table(),
        ),
    ];
    for (facts, contrib) in pairs {
        let mut expected = column_names(&contrib);
        let view: Vec<String> = column_names(&facts)
            .into_iter()
            .map(|c| {
                if c == "ResourceId" {
                    "ResourceAttributes".into()
                } else {
                    c
                }
            })
            .collect();
        assert_eq!(view, expected);
        expected.retain(|c| c == "ResourceAttributes");
        assert_eq!(expected.len(), 1);
    }
    let logs = column_names(&standard.create_logs_table());
    assert_eq!(logs[..3], ["Timestamp", "TimestampTime", "TraceId"]);
    assert_eq!(logs.len(), 17);
    let summary = column_names(&standard.create_summary_table());
    assert_eq!(
        summary[summary.len() - 3..],
        [
            "ValueAtQuantiles.Quantile",
            "ValueAtQuantiles.Value",
            "Flags"
        ]
    );
}

#[test]
fn every_signal_shares_one_dictionary() {
    let params = smart_params("");
    let mut all = params.traces_ddl();
    all.extend(params.logs_ddl());
    all.extend(params.metrics_ddl());
    let dictionaries = all
        .iter()
        .filter(|s| s.starts_with("CREATE TABLE IF NOT EXISTS \"otel\".\"otel_resources\""))
        .count();
    // Once per signal here; `schema_ddl` runs each statement once.
    assert_eq!(dictionaries, 3);
    let views: Vec<&str> = all
        .iter()
        .filter(|s| s.starts_with("CREATE VIEW"))
        .map(|s| s.lines().next().unwrap())
        .collect();
    assert_eq!(
        views,
        [
            "CREATE VIEW IF NOT EXISTS \"otel\".\"otel_traces\" AS",
            "CREATE VIEW IF NOT EXISTS \"otel\".\"otel_logs\" AS",
            "CREATE VIEW IF NOT EXISTS \"otel\".\"otel_metrics_gauge\" AS",
            "CREATE VIEW IF NOT EXISTS \"otel\".\"otel_metrics_sum\" AS",
            "CREATE VIEW IF NOT EXISTS \"otel\".\"otel_metrics_histogram\" AS",
            "CREATE VIEW IF NOT EXISTS \"otel\".\"otel_metrics_exponential_histogram\" AS",
            "CREATE VIEW IF NOT EXISTS \"otel\".\"otel_metrics_summary\" AS",
        ]
    );
}

#[test]
fn inserts_and_plans_write_the_id() {
    let params = smart_params("");
    assert_eq!(
        params.resources_insert().unwrap(),
        "INSERT INTO \"otel\".\"otel_resources\" (ResourceId, ResourceAttributes, LastSeen) FORMAT RowBinary"
    );
    assert!(params.gauge_insert().starts_with(
        "INSERT INTO \"otel\".\"otel_metrics_gauge_facts\" (ResourceId, ResourceSchemaUrl,"
    ));
    assert_eq!(
        params.describe_logs(),
        "DESC TABLE \"otel\".\"otel_logs_facts\""
    );
    // A fact table's DESC: ResourceId UInt64 where the map was.
    let desc = "Timestamp\tDateTime64(9)\nResourceId\tUInt64\n";
    let specs = params.specs(&TRACES_SPECS);
    let err = plan("t", &specs, &parse_desc(desc)).unwrap_err();
    assert_eq!(
        err,
        "table t has no column TraceId (String), which sonde writes"
    );
    let desc = "ResourceAttributes\tMap(LowCardinality(String), String)\n";
    let err = plan("t", &specs[8..9], &parse_desc(desc)).unwrap_err();
    assert_eq!(
        err,
        "table t has no column ResourceId (UInt64), which sonde writes"
    );
}

#[test]
fn a_table_where_a_view_should_be_is_refused() {
    let params = smart_params("");
    assert_eq!(
        params.describe_views(&["otel_traces", "o'dd"]),
        "SELECT name, engine FROM system.tables WHERE database = 'otel' AND name IN \
         ('otel_traces', 'o\\'dd') FORMAT TabSeparated"
    );
    assert_eq!(params.check_views("otel_traces\tView\n"), Ok(()));
    assert_eq!(params.check_views(""), Ok(()));
    assert_eq!(
        params.check_views("otel_logs\tView\notel_traces\tMergeTree\n"),
        Err(
            "table \"otel\".\"otel_traces\" is a MergeTree table, but smart_encoding reads \
             the data through a view of that name over \"otel\".\"otel_traces_facts\": \
             rename or drop the table, or choose other table names"
                .into()
        )
    );
}

#[test]
fn the_dictionary_engine_follows_table_engine() {
    let replicated = smart_params(
        "table_engine: {name: ReplicatedMergeTree, params: \"'/ch/{shard}/t', '{replica}'\"}",
    );
    assert_eq!(
        replicated.smart.unwrap().engine,
        "ReplicatedReplacingMergeTree('/ch/{shard}/t', '{replica}', LastSeen)"
    );
    let already = smart_params("table_engine: {name: ReplacingMergeTree}");
    assert_eq!(
        already.smart.unwrap().engine,
        "ReplacingMergeTree(LastSeen)"
    );
    let err = sonde_api::config::decode::<Config>(
        &serde_yaml::from_str(
            "{endpoint: 'http://a:8123', smart_encoding: {enabled: true}, table_engine: {name: Log}}",
        )
        .unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "table_engine::name: smart_encoding needs a MergeTree-family table engine for its \
         resource dictionary, not \"Log\""
    );
}
