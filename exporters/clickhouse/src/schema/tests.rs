//! Golden tests: the exact DDL for the default config and for a clustered one.

use std::time::Duration;

use super::*;

fn params(database: &str, cluster: &str, engine: &str, ttl: Duration) -> SchemaParams {
    SchemaParams {
        database: database.into(),
        traces_table: "otel_traces".into(),
        logs_table: "otel_logs".into(),
        metric_tables: MetricTableNames::default(),
        cluster: cluster.into(),
        engine: engine.into(),
        ttl,
        smart: None,
    }
}

const COLUMNS: &str = "    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
";

#[test]
fn default_config_ddl() {
    let p = params("default", "", "MergeTree()", Duration::ZERO);
    let ddl = p.traces_ddl();
    assert_eq!(ddl.len(), 3, "no CREATE DATABASE for `default`");
    assert_eq!(
        ddl[0],
        format!(
            "CREATE TABLE IF NOT EXISTS \"default\".\"otel_traces\" (\n{COLUMNS}) ENGINE = MergeTree()
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
SETTINGS index_granularity=8192, ttl_only_drop_parts = 1"
        )
    );
    assert_eq!(
        ddl[1],
        "CREATE TABLE IF NOT EXISTS \"default\".\"otel_traces_trace_id_ts\" (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree()
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
SETTINGS index_granularity=8192, ttl_only_drop_parts = 1"
    );
    assert_eq!(
        ddl[2],
        "CREATE MATERIALIZED VIEW IF NOT EXISTS \"default\".\"otel_traces_trace_id_ts_mv\"
TO \"default\".\"otel_traces_trace_id_ts\"
AS SELECT
    TraceId,
    min(Timestamp) as Start,
    max(Timestamp) as End
FROM \"default\".\"otel_traces\"
WHERE TraceId != ''
GROUP BY TraceId"
    );
}

#[test]
fn clustered_replicated_with_ttl() {
    let p = params(
        "otel",
        "my_cluster",
        "ReplicatedMergeTree('/clickhouse/tables/{shard}/{table}', '{replica}')",
        Duration::from_secs(72 * 3600),
    );
    let ddl = p.traces_ddl();
    assert_eq!(ddl.len(), 4);
    assert_eq!(
        ddl[0],
        "CREATE DATABASE IF NOT EXISTS \"otel\" ON CLUSTER my_cluster"
    );
    assert_eq!(
        ddl[1],
        format!(
            "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_traces\" ON CLUSTER my_cluster (\n{COLUMNS}) \
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{{shard}}/{{table}}', '{{replica}}')
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
TTL toDateTime(Timestamp) + toIntervalDay(3)
SETTINGS index_granularity=8192, ttl_only_drop_parts = 1"
        )
    );
    assert_eq!(
        ddl[2],
        "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_traces_trace_id_ts\" ON CLUSTER my_cluster (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{table}', '{replica}')
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
TTL toDateTime(Start) + toIntervalDay(3)
SETTINGS index_granularity=8192, ttl_only_drop_parts = 1"
    );
    assert_eq!(
        ddl[3],
        "CREATE MATERIALIZED VIEW IF NOT EXISTS \"otel\".\"otel_traces_trace_id_ts_mv\" ON CLUSTER my_cluster
TO \"otel\".\"otel_traces_trace_id_ts\"
AS SELECT
    TraceId,
    min(Timestamp) as Start,
    max(Timestamp) as End
FROM \"otel\".\"otel_traces\"
WHERE TraceId != ''
GROUP BY TraceId"
    );
}

#[test]
fn ttl_units() {
    let f = "toDateTime(Timestamp)";
    assert_eq!(ttl_expr(Duration::ZERO, f), None);
    assert_eq!(
        ttl_expr(Duration::from_secs(86_400 * 7), f).unwrap(),
        "TTL toDateTime(Timestamp) + toIntervalDay(7)"
    );
    assert_eq!(
        ttl_expr(Duration::from_secs(3_600 * 5), f).unwrap(),
        "TTL toDateTime(Timestamp) + toIntervalHour(5)"
    );
    assert_eq!(
        ttl_expr(Duration::from_secs(90 * 60), f).unwrap(),
        "TTL toDateTime(Timestamp) + toIntervalMinute(90)"
    );
    assert_eq!(
        ttl_expr(Duration::from_secs(45), f).unwrap(),
        "TTL toDateTime(Timestamp) + toIntervalSecond(45)"
    );
}

#[test]
fn insert_statement_and_quoting() {
    assert_eq!(
        params("otel", "", "MergeTree()", Duration::ZERO).traces_insert(),
        "INSERT INTO \"otel\".\"otel_traces\" (Timestamp, TraceId, SpanId, ParentSpanId, \
TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, \
SpanAttributes, Duration, StatusCode, StatusMessage, Events.Timestamp, Events.Name, \
Events.Attributes, Links.TraceId, Links.SpanId, Links.TraceState, Links.Attributes) FORMAT RowBinary"
    );
    assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

/// `DESC TABLE` of contrib's `otel_traces`, as ClickHouse answers it (Nested flattened).
const TRACES_DESC: &str = "Timestamp\tDateTime64(9)\t\t\t\tDelta(8), ZSTD(1)\t
TraceId\tString\t\t\t\tZSTD(1)\t
SpanId\tString\t\t\t\tZSTD(1)\t
ParentSpanId\tString\t\t\t\tZSTD(1)\t
TraceState\tString\t\t\t\tZSTD(1)\t
SpanName\tLowCardinality(String)\t\t\t\tZSTD(1)\t
SpanKind\tLowCardinality(String)\t\t\t\tZSTD(1)\t
ServiceName\tLowCardinality(String)\t\t\t\tZSTD(1)\t
ResourceAttributes\tMap(LowCardinality(String), String)\t\t\t\tZSTD(1)\t
ScopeName\tString\t\t\t\tZSTD(1)\t
ScopeVersion\tString\t\t\t\tZSTD(1)\t
SpanAttributes\tMap(LowCardinality(String), String)\t\t\t\tZSTD(1)\t
Duration\tUInt64\t\t\t\tZSTD(1)\t
StatusCode\tLowCardinality(String)\t\t\t\tZSTD(1)\t
StatusMessage\tString\t\t\t\tZSTD(1)\t
Events.Timestamp\tArray(DateTime64(9))\t\t\t\tZSTD(1)\t
Events.Name\tArray(LowCardinality(String))\t\t\t\tZSTD(1)\t
Events.Attributes\tArray(Map(LowCardinality(String), String))\t\t\t\tZSTD(1)\t
Links.TraceId\tArray(String)\t\t\t\tZSTD(1)\t
Links.SpanId\tArray(String)\t\t\t\tZSTD(1)\t
Links.TraceState\tArray(String)\t\t\t\tZSTD(1)\t
Links.Attributes\tArray(Map(LowCardinality(String), String))\t\t\t\tZSTD(1)\t
";

#[test]
fn traces_plan_of_contribs_table_is_the_fixed_insert() {
    let params = params("otel", "", "MergeTree()", Duration::ZERO);
    assert_eq!(
        params.traces_plan(TRACES_DESC).unwrap(),
        params.traces_insert()
    );
    assert_eq!(
        params.describe_traces(),
        "DESC TABLE \"otel\".\"otel_traces\""
    );
}

#[test]
fn traces_plan_names_a_wrong_type_and_a_missing_column() {
    let params = params("otel", "", "MergeTree()", Duration::ZERO);
    assert_eq!(
        params
            .traces_plan(&TRACES_DESC.replace("Duration\tUInt64", "Duration\tInt64"))
            .unwrap_err(),
        "table \"otel\".\"otel_traces\": column Duration has type Int64, but sonde writes UInt64"
    );
    let without_links: String = TRACES_DESC
        .lines()
        .filter(|l| !l.starts_with("Links."))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        params.traces_plan(&without_links).unwrap_err(),
        "table \"otel\".\"otel_traces\" has no column Links.TraceId (Array(String)), which \
         sonde writes"
    );
}
