//! The DDL contrib's exporter runs at start, generated from the config by pure
//! functions: the database, `otel_traces`, the trace-id lookup table
//! `otel_traces_trace_id_ts` and the materialized view that fills it; `otel_logs`
//! ([`logs`]); the metric tables ([`metrics`]).
//!
//! Column names, types, codecs, skip indexes, partitioning, ordering, TTL and settings
//! are contrib's, so that Grafana's ClickHouse data source and queries written for
//! otelcol-contrib work unchanged. `ON CLUSTER` and the table engine are substituted
//! from `cluster_name` and `table_engine`.

use std::time::Duration;

use crate::config::{Config, DEFAULT_DATABASE};

pub mod logs;
pub mod metrics;
pub mod plan;
pub mod smart;

pub use metrics::MetricTableNames;

/// `"name"`, with `\` and `"` escaped as ClickHouse reads quoted identifiers.
pub fn quote(name: &str) -> String {
    enclose(name, '"')
}

/// `text` between two `mark`s, `\` and `mark` escaped with a backslash: a quoted
/// identifier (`"`) or a string literal (`'`), as ClickHouse reads them.
pub(crate) fn enclose(text: &str, mark: char) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(mark);
    for c in text.chars() {
        if c == mark || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(mark);
    out
}

/// `TTL <field> + toInterval<Unit>(n)` in the largest unit that divides `ttl`, or
/// nothing when `ttl` is zero.
pub fn ttl_expr(ttl: Duration, time_field: &str) -> Option<String> {
    let secs = ttl.as_secs();
    if secs == 0 {
        return None;
    }
    let (unit, n) = if secs.is_multiple_of(86_400) {
        ("Day", secs / 86_400)
    } else if secs.is_multiple_of(3_600) {
        ("Hour", secs / 3_600)
    } else if secs.is_multiple_of(60) {
        ("Minute", secs / 60)
    } else {
        ("Second", secs)
    };
    Some(format!("TTL {time_field} + toInterval{unit}({n})"))
}

/// What the DDL depends on, taken from the config once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaParams {
    pub database: String,
    pub traces_table: String,
    pub logs_table: String,
    pub metric_tables: MetricTableNames,
    pub cluster: String,
    pub engine: String,
    pub ttl: Duration,
    /// SmartEncoding's dictionary, when `smart_encoding` is on: the tables then hold
    /// a `ResourceId` and are named `<name>_facts`, and `<name>` is a view.
    pub smart: Option<smart::SmartSchema>,
}

impl SchemaParams {
    pub fn from_config(config: &Config) -> SchemaParams {
        SchemaParams {
            database: config.database(),
            traces_table: config.traces_table_name.clone(),
            logs_table: config.logs_table_name.clone(),
            metric_tables: MetricTableNames::from_config(config),
            cluster: config.cluster_name.clone(),
            engine: config.table_engine.render(),
            ttl: config.ttl,
            smart: config.smart_encoding.enabled.then(|| smart::SmartSchema {
                resources_table: config.smart_encoding.resources_table_name.clone(),
                engine: config.table_engine.replacing().unwrap_or_default(),
            }),
        }
    }

    /// ` ON CLUSTER name`, or nothing.
    pub(crate) fn on_cluster(&self) -> String {
        if self.cluster.is_empty() {
            String::new()
        } else {
            format!(" ON CLUSTER {}", self.cluster)
        }
    }

    fn table(&self, suffix: &str) -> String {
        format!(
            "{}.{}",
            quote(&self.database),
            quote(&format!("{}{suffix}", self.traces_table))
        )
    }

    /// `CREATE DATABASE`, unless the database is `default`, which always exists.
    pub fn create_database(&self) -> Option<String> {
        (self.database != DEFAULT_DATABASE).then(|| {
            format!(
                "CREATE DATABASE IF NOT EXISTS {}{}",
                quote(&self.database),
                self.on_cluster()
            )
        })
    }

    fn tail(&self, partition: &str, order: &str, ttl_field: &str) -> String {
        let mut out = format!(
            ") ENGINE = {}\nPARTITION BY {partition}\nORDER BY {order}\n",
            self.engine
        );
        if let Some(ttl) = ttl_expr(self.ttl, ttl_field) {
            out.push_str(&ttl);
            out.push('\n');
        }
        out.push_str("SETTINGS index_granularity=8192, ttl_only_drop_parts = 1");
        out
    }

    pub fn create_traces_table(&self) -> String {
        self.fact_table(format!(
            "CREATE TABLE IF NOT EXISTS {}{} (\n{}{}",
            self.fact(&self.traces_table),
            self.on_cluster(),
            TRACES_COLUMNS,
            self.tail(
                "toDate(Timestamp)",
                "(ServiceName, SpanName, toDateTime(Timestamp))",
                "toDateTime(Timestamp)"
            )
        ))
    }

    pub fn create_trace_id_ts_table(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {}{} (\n{}{}",
            self.table("_trace_id_ts"),
            self.on_cluster(),
            TRACE_ID_TS_COLUMNS,
            self.tail("toDate(Start)", "(TraceId, Start)", "toDateTime(Start)")
        )
    }

    pub fn create_trace_id_ts_view(&self) -> String {
        format!(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS {}{}\nTO {}\nAS SELECT\n    TraceId,\n    \
             min(Timestamp) as Start,\n    max(Timestamp) as End\nFROM {}\n\
             WHERE TraceId != ''\nGROUP BY TraceId",
            self.table("_trace_id_ts_mv"),
            self.on_cluster(),
            self.table("_trace_id_ts"),
            self.fact(&self.traces_table)
        )
    }

    /// `"db"."name"`.
    pub(crate) fn qualified(&self, name: &str) -> String {
        format!("{}.{}", quote(&self.database), quote(name))
    }

    /// Every statement for traces, in the order they must run.
    pub fn traces_ddl(&self) -> Vec<String> {
        let mut out: Vec<String> = self.create_database().into_iter().collect();
        out.extend(self.create_resources_table());
        let facts = self.create_traces_table();
        out.push(facts.clone());
        out.push(self.create_trace_id_ts_table());
        out.push(self.create_trace_id_ts_view());
        out.extend(self.create_view(&self.traces_table, &facts));
        out
    }
}

/// `otel_traces`' columns and skip indexes, in contrib's order (the insert's order).
const TRACES_COLUMNS: &str = "    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
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

const TRACE_ID_TS_COLUMNS: &str = "    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
";

/// The insert's column list: `otel_traces`' columns with Nested ones flattened, in
/// the order the RowBinary rows are written.
pub const TRACES_INSERT_COLUMNS: [&str; 22] = [
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "SpanAttributes",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
];

/// [`TRACES_INSERT_COLUMNS`] with the types sonde encodes, every one required: no
/// contrib generation of `otel_traces` lacks one.
pub const TRACES_SPECS: [plan::ColumnSpec; 22] = {
    const fn req(name: &'static str, ty: &'static str) -> plan::ColumnSpec {
        plan::ColumnSpec {
            name,
            ty,
            optional: false,
        }
    }
    [
        req("Timestamp", "DateTime64(9)"),
        req("TraceId", "String"),
        req("SpanId", "String"),
        req("ParentSpanId", "String"),
        req("TraceState", "String"),
        req("SpanName", "String"),
        req("SpanKind", "String"),
        req("ServiceName", "String"),
        req("ResourceAttributes", "Map(String, String)"),
        req("ScopeName", "String"),
        req("ScopeVersion", "String"),
        req("SpanAttributes", "Map(String, String)"),
        req("Duration", "UInt64"),
        req("StatusCode", "String"),
        req("StatusMessage", "String"),
        req("Events.Timestamp", "Array(DateTime64(9))"),
        req("Events.Name", "Array(String)"),
        req("Events.Attributes", "Array(Map(String, String))"),
        req("Links.TraceId", "Array(String)"),
        req("Links.SpanId", "Array(String)"),
        req("Links.TraceState", "Array(String)"),
        req("Links.Attributes", "Array(Map(String, String))"),
    ]
};

impl SchemaParams {
    /// `DESC TABLE` of the traces table.
    pub fn describe_traces(&self) -> String {
        format!("DESC TABLE {}", self.fact(&self.traces_table))
    }

    /// Checks the traces table's `DESC` answer against what sonde writes; the insert.
    pub fn traces_plan(&self, desc: &str) -> Result<String, String> {
        let table = self.fact(&self.traces_table);
        let specs = self.specs(&TRACES_SPECS);
        let plan = plan::plan(&table, &specs, &plan::parse_desc(desc))?;
        Ok(self.insert(&self.traces_table, &plan.columns))
    }

    /// The insert of the traces table, every column.
    pub fn traces_insert(&self) -> String {
        self.insert(&self.traces_table, &TRACES_INSERT_COLUMNS)
    }

    /// `INSERT INTO` the table that holds `table`'s rows (its fact table with
    /// SmartEncoding, where `ResourceId` stands for `ResourceAttributes`).
    pub fn insert(&self, table: &str, columns: &[&str]) -> String {
        let columns: Vec<&str> = columns.iter().map(|c| self.column(c)).collect();
        format!(
            "INSERT INTO {} ({}) FORMAT RowBinary",
            self.fact(table),
            columns.join(", ")
        )
    }
}

#[cfg(test)]
mod tests;
