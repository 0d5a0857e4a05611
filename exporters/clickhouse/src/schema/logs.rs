//! `otel_logs`: contrib's current generation, with `TimestampTime` (a `DateTime` that
//! defaults to the second of `Timestamp`, partition and primary key) and `EventName`.
//! `TimestampTime` is not in the insert: ClickHouse fills it from `Timestamp`.

use super::plan::{parse_desc, plan, ColumnSpec, InsertPlan};
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

/// The columns sonde writes, in row order. Optional ones are missing from some
/// contrib generation: `ResourceSchemaUrl` and `ScopeSchemaUrl` came after the first
/// `otel_logs`, `EventName` later still.
pub const LOGS_SPECS: [ColumnSpec; 16] = [
    spec("Timestamp", "DateTime64(9)", false),
    spec("TraceId", "String", false),
    spec("SpanId", "String", false),
    spec("TraceFlags", "UInt8", false),
    spec("SeverityText", "String", false),
    spec("SeverityNumber", "UInt8", false),
    spec("ServiceName", "String", false),
    spec("Body", "String", false),
    spec("ResourceSchemaUrl", "String", true),
    spec("ResourceAttributes", "Map(String, String)", false),
    spec("ScopeSchemaUrl", "String", true),
    spec("ScopeName", "String", false),
    spec("ScopeVersion", "String", false),
    spec("ScopeAttributes", "Map(String, String)", false),
    spec("LogAttributes", "Map(String, String)", false),
    spec("EventName", "String", true),
];

const fn spec(name: &'static str, ty: &'static str, optional: bool) -> ColumnSpec {
    ColumnSpec { name, ty, optional }
}

/// Which optional `otel_logs` columns the table has: what the row writer needs,
/// computed once at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogColumns {
    pub resource_schema_url: bool,
    pub scope_schema_url: bool,
    pub event_name: bool,
}

impl LogColumns {
    /// The current generation: every column.
    pub const ALL: LogColumns = LogColumns {
        resource_schema_url: true,
        scope_schema_url: true,
        event_name: true,
    };

    pub fn from_plan(plan: &InsertPlan) -> LogColumns {
        LogColumns {
            resource_schema_url: plan.has(&LOGS_SPECS, "ResourceSchemaUrl"),
            scope_schema_url: plan.has(&LOGS_SPECS, "ScopeSchemaUrl"),
            event_name: plan.has(&LOGS_SPECS, "EventName"),
        }
    }
}

/// The logs table's plan from its `DESC TABLE` answer: what to write, and the insert.
pub fn logs_plan(params: &SchemaParams, desc: &str) -> Result<(LogColumns, String), String> {
    let table = params.fact(&params.logs_table);
    let specs = params.specs(&LOGS_SPECS);
    let plan = plan(&table, &specs, &parse_desc(desc))?;
    Ok((
        LogColumns::from_plan(&plan),
        params.insert(&params.logs_table, &plan.columns),
    ))
}

impl SchemaParams {
    /// `DESC TABLE` of the logs table, answered in TabSeparated (HTTP's default).
    pub fn describe_logs(&self) -> String {
        format!("DESC TABLE {}", self.fact(&self.logs_table))
    }

    pub fn create_logs_table(&self) -> String {
        let mut out = format!(
            "CREATE TABLE IF NOT EXISTS {}{} (\n{LOGS_COLUMNS}) ENGINE = {}\n\
             PARTITION BY toDate(TimestampTime)\n\
             PRIMARY KEY (ServiceName, TimestampTime)\n\
             ORDER BY (ServiceName, TimestampTime, Timestamp)\n",
            self.fact(&self.logs_table),
            self.on_cluster(),
            self.engine,
        );
        if let Some(ttl) = ttl_expr(self.ttl, "TimestampTime") {
            out.push_str(&ttl);
            out.push('\n');
        }
        out.push_str("SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1");
        self.fact_table(out)
    }

    /// Every statement for logs, in the order they must run.
    pub fn logs_ddl(&self) -> Vec<String> {
        let mut out: Vec<String> = self.create_database().into_iter().collect();
        out.extend(self.create_resources_table());
        let facts = self.create_logs_table();
        out.push(facts.clone());
        out.extend(self.create_view(&self.logs_table, &facts));
        out
    }

    /// The insert of the current generation, every column.
    pub fn logs_insert(&self) -> String {
        let plan = InsertPlan::all(&LOGS_SPECS);
        self.insert(&self.logs_table, &plan.columns)
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
            smart: None,
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

    /// `DESC TABLE` of contrib's current `otel_logs`, as ClickHouse answers it.
    const CURRENT_DESC: &str = "Timestamp\tDateTime64(9)\t\t\t\tDelta(8), ZSTD(1)\t
TimestampTime\tDateTime\tDEFAULT\ttoDateTime(Timestamp)\t\t\t
TraceId\tString\t\t\t\tZSTD(1)\t
SpanId\tString\t\t\t\tZSTD(1)\t
TraceFlags\tUInt8\t\t\t\t\t
SeverityText\tLowCardinality(String)\t\t\t\tZSTD(1)\t
SeverityNumber\tUInt8\t\t\t\t\t
ServiceName\tLowCardinality(String)\t\t\t\tZSTD(1)\t
Body\tString\t\t\t\tZSTD(1)\t
ResourceSchemaUrl\tLowCardinality(String)\t\t\t\tZSTD(1)\t
ResourceAttributes\tMap(LowCardinality(String), String)\t\t\t\tZSTD(1)\t
ScopeSchemaUrl\tLowCardinality(String)\t\t\t\tZSTD(1)\t
ScopeName\tString\t\t\t\tZSTD(1)\t
ScopeVersion\tLowCardinality(String)\t\t\t\tZSTD(1)\t
ScopeAttributes\tMap(LowCardinality(String), String)\t\t\t\tZSTD(1)\t
LogAttributes\tMap(LowCardinality(String), String)\t\t\t\tZSTD(1)\t
EventName\tString\t\t\t\tZSTD(1)\t
";

    fn desc_without(names: &[&str]) -> String {
        CURRENT_DESC
            .lines()
            .filter(|l| !names.iter().any(|n| l.starts_with(&format!("{n}\t"))))
            .map(|l| format!("{l}\n"))
            .collect()
    }

    #[test]
    fn plan_of_the_current_generation_is_every_column() {
        let params = params("", Duration::ZERO);
        let (cols, insert) = logs_plan(&params, CURRENT_DESC).unwrap();
        assert_eq!(cols, LogColumns::ALL);
        assert_eq!(insert, params.logs_insert());
    }

    #[test]
    fn plan_of_an_older_table_without_event_name_and_timestamp_time() {
        let desc = desc_without(&["EventName", "TimestampTime"]);
        let (cols, insert) = logs_plan(&params("", Duration::ZERO), &desc).unwrap();
        assert_eq!(
            cols,
            LogColumns {
                resource_schema_url: true,
                scope_schema_url: true,
                event_name: false,
            }
        );
        assert_eq!(
            insert,
            "INSERT INTO \"otel\".\"otel_logs\" (Timestamp, TraceId, SpanId, TraceFlags, \
             SeverityText, SeverityNumber, ServiceName, Body, ResourceSchemaUrl, \
             ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, \
             LogAttributes) FORMAT RowBinary"
        );
    }

    #[test]
    fn plan_of_a_table_without_schema_urls() {
        let desc = desc_without(&["EventName", "ResourceSchemaUrl", "ScopeSchemaUrl"]);
        let (cols, insert) = logs_plan(&params("", Duration::ZERO), &desc).unwrap();
        assert_eq!(
            cols,
            LogColumns {
                resource_schema_url: false,
                scope_schema_url: false,
                event_name: false,
            }
        );
        assert_eq!(
            insert,
            "INSERT INTO \"otel\".\"otel_logs\" (Timestamp, TraceId, SpanId, TraceFlags, \
             SeverityText, SeverityNumber, ServiceName, Body, ResourceAttributes, ScopeName, \
             ScopeVersion, ScopeAttributes, LogAttributes) FORMAT RowBinary"
        );
    }

    #[test]
    fn an_extra_defaulted_column_is_left_to_the_server() {
        let desc = format!("{CURRENT_DESC}Region\tLowCardinality(String)\tDEFAULT\t'eu'\t\t\t\n");
        let params = params("", Duration::ZERO);
        let (cols, insert) = logs_plan(&params, &desc).unwrap();
        assert_eq!(cols, LogColumns::ALL);
        assert_eq!(insert, params.logs_insert());
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let desc = desc_without(&["Body"]);
        assert_eq!(
            logs_plan(&params("", Duration::ZERO), &desc).unwrap_err(),
            "table \"otel\".\"otel_logs\" has no column Body (String), which sonde writes"
        );
    }

    #[test]
    fn a_type_mismatch_is_named() {
        let desc = CURRENT_DESC.replace("SeverityNumber\tUInt8", "SeverityNumber\tInt32");
        assert_eq!(
            logs_plan(&params("", Duration::ZERO), &desc).unwrap_err(),
            "table \"otel\".\"otel_logs\": column SeverityNumber has type Int32, but sonde \
             writes UInt8"
        );
    }

    #[test]
    fn describe_statement() {
        assert_eq!(
            params("", Duration::ZERO).describe_logs(),
            "DESC TABLE \"otel\".\"otel_logs\""
        );
    }
}
