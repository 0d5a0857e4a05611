//! The metric tables, one per OTLP metric type: contrib's columns (a row per data
//! point, exemplars as a `Nested` column), `PARTITION BY toDate(TimeUnix)`, `ORDER BY
//! (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))` and a TTL on
//! `toDateTime(TimeUnix)` placed, as contrib places it, before the partition key.
//!

use super::plan::{parse_desc, plan, ColumnSpec};
use super::{ttl_expr, SchemaParams};
use crate::config::Config;

/// The table of each metric type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricTableNames {
    pub gauge: String,
    pub sum: String,
    pub summary: String,
    pub histogram: String,
    pub exponential_histogram: String,
}

impl Default for MetricTableNames {
    fn default() -> Self {
        MetricTableNames::with_prefix("otel_metrics")
    }
}

impl MetricTableNames {
    fn with_prefix(prefix: &str) -> MetricTableNames {
        MetricTableNames {
            gauge: format!("{prefix}_gauge"),
            sum: format!("{prefix}_sum"),
            summary: format!("{prefix}_summary"),
            histogram: format!("{prefix}_histogram"),
            exponential_histogram: format!("{prefix}_exponential_histogram"),
        }
    }

    /// contrib's precedence: `metrics_tables.<type>.name`, else the deprecated
    /// `metrics_table_name` prefix with the type's suffix, else `otel_metrics_<type>`.
    pub fn from_config(config: &Config) -> MetricTableNames {
        let prefix = if config.metrics_table_name.is_empty() {
            "otel_metrics"
        } else {
            config.metrics_table_name.as_str()
        };
        let defaults = MetricTableNames::with_prefix(prefix);
        let pick = |name: &str, default: String| {
            if name.is_empty() {
                default
            } else {
                name.to_string()
            }
        };
        let t = &config.metrics_tables;
        MetricTableNames {
            gauge: pick(&t.gauge.name, defaults.gauge),
            sum: pick(&t.sum.name, defaults.sum),
            summary: pick(&t.summary.name, defaults.summary),
            histogram: pick(&t.histogram.name, defaults.histogram),
            exponential_histogram: pick(
                &t.exponential_histogram.name,
                defaults.exponential_histogram,
            ),
        }
    }
}

/// The columns every metric table starts with.
const HEAD: &str = "    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
";

const EXEMPLARS: &str = "    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
";

/// The skip indexes every metric table ends with.
const INDEXES: &str =
    "    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
";

const HEAD_INSERT: [&str; 14] = [
    "ResourceAttributes",
    "ResourceSchemaUrl",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "ScopeDroppedAttrCount",
    "ScopeSchemaUrl",
    "ServiceName",
    "MetricName",
    "MetricDescription",
    "MetricUnit",
    "Attributes",
    "StartTimeUnix",
    "TimeUnix",
];

const EXEMPLARS_INSERT: [&str; 5] = [
    "Exemplars.FilteredAttributes",
    "Exemplars.TimeUnix",
    "Exemplars.Value",
    "Exemplars.SpanId",
    "Exemplars.TraceId",
];

/// `otel_metrics_gauge`'s insert columns, in row order.
pub fn gauge_insert_columns() -> Vec<&'static str> {
    let mut out = HEAD_INSERT.to_vec();
    out.extend(["Value", "Flags"]);
    out.extend(EXEMPLARS_INSERT);
    out
}

/// `otel_metrics_sum`'s insert columns, in row order.
pub fn sum_insert_columns() -> Vec<&'static str> {
    let mut out = gauge_insert_columns();
    out.extend(["AggregationTemporality", "IsMonotonic"]);
    out
}

/// `otel_metrics_histogram`'s insert columns, in row order.
pub fn histogram_insert_columns() -> Vec<&'static str> {
    let mut out = HEAD_INSERT.to_vec();
    out.extend(["Count", "Sum", "BucketCounts", "ExplicitBounds"]);
    out.extend(EXEMPLARS_INSERT);
    out.extend(["Flags", "Min", "Max", "AggregationTemporality"]);
    out
}

/// `otel_metrics_exponential_histogram`'s insert columns, in row order.
pub fn exp_histogram_insert_columns() -> Vec<&'static str> {
    let mut out = HEAD_INSERT.to_vec();
    out.extend([
        "Count",
        "Sum",
        "Scale",
        "ZeroCount",
        "PositiveOffset",
        "PositiveBucketCounts",
        "NegativeOffset",
        "NegativeBucketCounts",
    ]);
    out.extend(EXEMPLARS_INSERT);
    out.extend(["Flags", "Min", "Max", "AggregationTemporality"]);
    out
}

/// `otel_metrics_summary`'s insert columns, in row order.
pub fn summary_insert_columns() -> Vec<&'static str> {
    let mut out = HEAD_INSERT.to_vec();
    out.extend([
        "Count",
        "Sum",
        "ValueAtQuantiles.Quantile",
        "ValueAtQuantiles.Value",
        "Flags",
    ]);
    out
}

/// The type sonde encodes for a metric column, as `DESC` spells it (`LowCardinality`
/// aside); `""` for a name no metric table is written with.
fn metric_column_type(name: &str) -> &'static str {
    match name {
        "ResourceAttributes" | "ScopeAttributes" | "Attributes" => "Map(String, String)",
        "ResourceSchemaUrl" | "ScopeName" | "ScopeVersion" | "ScopeSchemaUrl" | "ServiceName"
        | "MetricName" | "MetricDescription" | "MetricUnit" => "String",
        "ScopeDroppedAttrCount" | "Flags" => "UInt32",
        "StartTimeUnix" | "TimeUnix" => "DateTime64(9)",
        "Value" | "Sum" | "Min" | "Max" => "Float64",
        "AggregationTemporality" | "Scale" | "PositiveOffset" | "NegativeOffset" => "Int32",
        "IsMonotonic" => "Bool",
        "Count" | "ZeroCount" => "UInt64",
        "BucketCounts" | "PositiveBucketCounts" | "NegativeBucketCounts" => "Array(UInt64)",
        "ExplicitBounds"
        | "Exemplars.Value"
        | "ValueAtQuantiles.Quantile"
        | "ValueAtQuantiles.Value" => "Array(Float64)",
        "Exemplars.FilteredAttributes" => "Array(Map(String, String))",
        "Exemplars.TimeUnix" => "Array(DateTime64(9))",
        "Exemplars.SpanId" | "Exemplars.TraceId" => "Array(String)",
        _ => "",
    }
}

/// The columns after the exemplars of both histogram tables.
const HISTOGRAM_TAIL: &str = "    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
";

impl SchemaParams {
    /// Each metric table with the columns it is written with, in row order.
    pub fn metric_table_columns(&self) -> [(&str, Vec<&'static str>); 5] {
        let t = &self.metric_tables;
        [
            (t.gauge.as_str(), gauge_insert_columns()),
            (t.sum.as_str(), sum_insert_columns()),
            (t.histogram.as_str(), histogram_insert_columns()),
            (
                t.exponential_histogram.as_str(),
                exp_histogram_insert_columns(),
            ),
            (t.summary.as_str(), summary_insert_columns()),
        ]
    }

    /// `DESC TABLE` of one metric table.
    pub fn describe_table(&self, table: &str) -> String {
        format!("DESC TABLE {}", self.fact(table))
    }

    /// Checks a metric table's `DESC` answer: every column it is written with must be
    /// there with its type (no contrib generation lacks one).
    pub fn check_metric_table(
        &self,
        table: &str,
        columns: &[&'static str],
        desc: &str,
    ) -> Result<(), String> {
        let specs: Vec<ColumnSpec> = columns
            .iter()
            .map(|name| ColumnSpec {
                name,
                ty: metric_column_type(name),
                optional: false,
            })
            .collect();
        let specs = self.specs(&specs);
        plan(&self.fact(table), &specs, &parse_desc(desc)).map(|_| ())
    }

    fn create_metric_table(&self, table: &str, body: &str) -> String {
        let mut out = format!(
            "CREATE TABLE IF NOT EXISTS {}{} (\n{HEAD}{body}{INDEXES}) ENGINE = {}\n",
            self.fact(table),
            self.on_cluster(),
            self.engine,
        );
        if let Some(ttl) = ttl_expr(self.ttl, "toDateTime(TimeUnix)") {
            out.push_str(&ttl);
            out.push('\n');
        }
        out.push_str(
            "PARTITION BY toDate(TimeUnix)\n\
             ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))\n\
             SETTINGS index_granularity=8192, ttl_only_drop_parts = 1",
        );
        self.fact_table(out)
    }

    pub fn create_gauge_table(&self) -> String {
        let body = format!(
            "    Value Float64 CODEC(ZSTD(1)),\n    Flags UInt32 CODEC(ZSTD(1)),\n{EXEMPLARS}"
        );
        self.create_metric_table(&self.metric_tables.gauge, &body)
    }

    pub fn create_sum_table(&self) -> String {
        let body = format!(
            "    Value Float64 CODEC(ZSTD(1)),\n    Flags UInt32 CODEC(ZSTD(1)),\n{EXEMPLARS}\
             \x20   AggregationTemporality Int32 CODEC(ZSTD(1)),\n\
             \x20   IsMonotonic Boolean CODEC(Delta, ZSTD(1)),\n"
        );
        self.create_metric_table(&self.metric_tables.sum, &body)
    }

    pub fn create_histogram_table(&self) -> String {
        let body = format!(
            "    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
{EXEMPLARS}{HISTOGRAM_TAIL}"
        );
        self.create_metric_table(&self.metric_tables.histogram, &body)
    }

    pub fn create_exp_histogram_table(&self) -> String {
        let body = format!(
            "    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),
{EXEMPLARS}{HISTOGRAM_TAIL}"
        );
        self.create_metric_table(&self.metric_tables.exponential_histogram, &body)
    }

    pub fn create_summary_table(&self) -> String {
        let body = "    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
";
        self.create_metric_table(&self.metric_tables.summary, body)
    }

    /// Every statement for metrics, in the order they must run.
    pub fn metrics_ddl(&self) -> Vec<String> {
        let mut out: Vec<String> = self.create_database().into_iter().collect();
        out.extend(self.create_resources_table());
        let t = &self.metric_tables;
        for (table, facts) in [
            (&t.gauge, self.create_gauge_table()),
            (&t.sum, self.create_sum_table()),
            (&t.histogram, self.create_histogram_table()),
            (&t.exponential_histogram, self.create_exp_histogram_table()),
            (&t.summary, self.create_summary_table()),
        ] {
            out.push(facts.clone());
            out.extend(self.create_view(table, &facts));
        }
        out
    }

    pub fn histogram_insert(&self) -> String {
        self.insert(&self.metric_tables.histogram, &histogram_insert_columns())
    }

    pub fn exp_histogram_insert(&self) -> String {
        self.insert(
            &self.metric_tables.exponential_histogram,
            &exp_histogram_insert_columns(),
        )
    }

    pub fn summary_insert(&self) -> String {
        self.insert(&self.metric_tables.summary, &summary_insert_columns())
    }

    pub fn gauge_insert(&self) -> String {
        self.insert(&self.metric_tables.gauge, &gauge_insert_columns())
    }

    pub fn sum_insert(&self) -> String {
        self.insert(&self.metric_tables.sum, &sum_insert_columns())
    }
}

#[cfg(test)]
mod tests;
