//! `otel_logs`: contrib's current generation, with `TimestampTime` (a `DateTime` that
//! defaults to the second of `Timestamp`, partition and primary key) and `EventName`.
//! `TimestampTime` is not in the insert: ClickHouse fills it from `Timestamp`.

use super::{ttl_expr, SchemaParams};

/// `otel_logs`' columns and skip indexes, in contrib's order.
const LOGS_COLUMNS: &str = "    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime DateTime DEFAULT toDateTime(Timestamp),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),

    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
";

/// The insert's column list, in the order the RowBinary rows are written.
pub const LOGS_INSERT_COLUMNS: [&str; 16] = [
    "Timestamp",
    "TraceId",
    "SpanId",
    "TraceFlags",
    "SeverityText",
    "SeverityNumber",
    "ServiceName",
    "Body",
    "ResourceSchemaUrl",
    "ResourceAttributes",
    "ScopeSchemaUrl",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "LogAttributes",
    "EventName",
];

impl SchemaParams {
    pub fn create_logs_table(&self) -> String {
        let mut out = format!(
            "CREATE TABLE IF NOT EXISTS {}{} (\n{LOGS_COLUMNS}) ENGINE = {}\n\
             PARTITION BY toDate(TimestampTime)\n\
             PRIMARY KEY (ServiceName, TimestampTime)\n\
             ORDER BY (ServiceName, TimestampTime, Timestamp)\n",
            self.qualified(&self.logs_table),
            self.on_cluster(),
            self.engine,
        );
        if let Some(ttl) = ttl_expr(self.ttl, "TimestampTime") {
            out.push_str(&ttl);
            out.push('\n');
        }
        out.push_str("SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1");
        out
    }

    /// Every statement for logs, in the order they must run.
    pub fn logs_ddl(&self) -> Vec<String> {
        let mut out: Vec<String> = self.create_database().into_iter().collect();
        out.push(self.create_logs_table());
        out
    }

    pub fn logs_insert(&self) -> String {
        super::insert(&self.database, &self.logs_table, &LOGS_INSERT_COLUMNS)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::schema::MetricTableNames;

    fn params(cluster: &str, ttl: Duration) -> SchemaParams {
        SchemaParams {
            database: "otel".into(),
            traces_table: "otel_traces".into(),
            logs_table: "otel_logs".into(),
            metric_tables: MetricTableNames::default(),
            cluster: cluster.into(),
            engine: "MergeTree()".into(),
            ttl,
        }
    }

    #[test]
    fn default_logs_ddl() {
        let ddl = params("", Duration::ZERO).logs_ddl();
        assert_eq!(ddl.len(), 2);
        assert_eq!(ddl[0], "CREATE DATABASE IF NOT EXISTS \"otel\"");
        assert_eq!(
            ddl[1],
            "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_logs\" (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime DateTime DEFAULT toDateTime(Timestamp),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),

    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = MergeTree()
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"
        );
    }

    #[test]
    fn logs_ttl_and_cluster() {
        let ddl = params("c1", Duration::from_secs(72 * 3600)).create_logs_table();
        assert!(ddl.starts_with(
            "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_logs\" ON CLUSTER c1 (\n    Timestamp"
        ));
        assert!(ddl.ends_with(
            "ORDER BY (ServiceName, TimestampTime, Timestamp)\nTTL TimestampTime + toIntervalDay(3)\n\
             SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"
        ));
    }

    #[test]
    fn logs_insert_statement() {
        assert_eq!(
            params("", Duration::ZERO).logs_insert(),
            "INSERT INTO \"otel\".\"otel_logs\" (Timestamp, TraceId, SpanId, TraceFlags, \
             SeverityText, SeverityNumber, ServiceName, Body, ResourceSchemaUrl, \
             ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, \
             LogAttributes, EventName) FORMAT RowBinary"
        );
    }
}
