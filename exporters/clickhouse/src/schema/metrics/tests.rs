//! Golden tests: the gauge and sum tables, written out in full.

use std::time::Duration;

use super::*;

fn params(ttl: Duration) -> SchemaParams {
    SchemaParams {
        database: "otel".into(),
        traces_table: "otel_traces".into(),
        logs_table: "otel_logs".into(),
        metric_tables: MetricTableNames::default(),
        cluster: String::new(),
        engine: "MergeTree()".into(),
        ttl,
        smart: None,
    }
}

const GAUGE: &str = "CREATE TABLE IF NOT EXISTS \"otel\".\"otel_metrics_gauge\" (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
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
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree()
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
SETTINGS index_granularity=8192, ttl_only_drop_parts = 1";

#[test]
fn gauge_table() {
    assert_eq!(params(Duration::ZERO).create_gauge_table(), GAUGE);
}

#[test]
fn sum_table_adds_temporality_and_monotonic() {
    let expected = GAUGE
        .replace("otel_metrics_gauge", "otel_metrics_sum")
        .replace(
            "    ) CODEC(ZSTD(1)),\n",
            "    ) CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Boolean CODEC(Delta, ZSTD(1)),\n",
        );
    assert_eq!(params(Duration::ZERO).create_sum_table(), expected);
}

#[test]
fn ttl_goes_before_the_partition_key() {
    let ddl = params(Duration::from_secs(3600)).create_gauge_table();
    assert!(ddl.contains(
        ") ENGINE = MergeTree()\nTTL toDateTime(TimeUnix) + toIntervalHour(1)\nPARTITION BY"
    ));
}

#[test]
fn metrics_ddl_order_and_inserts() {
    let p = params(Duration::ZERO);
    let ddl = p.metrics_ddl();
    assert_eq!(ddl.len(), 6);
    assert_eq!(ddl[0], "CREATE DATABASE IF NOT EXISTS \"otel\"");
    assert_eq!(
        p.sum_insert(),
        "INSERT INTO \"otel\".\"otel_metrics_sum\" (ResourceAttributes, ResourceSchemaUrl, \
         ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, \
         ServiceName, MetricName, MetricDescription, MetricUnit, Attributes, StartTimeUnix, \
         TimeUnix, Value, Flags, Exemplars.FilteredAttributes, Exemplars.TimeUnix, \
         Exemplars.Value, Exemplars.SpanId, Exemplars.TraceId, AggregationTemporality, \
         IsMonotonic) FORMAT RowBinary"
    );
}

#[test]
fn table_names_follow_contribs_precedence() {
    let config: Config = sonde_api::config::decode(
        &serde_yaml::from_str(
            "{endpoint: 'http://a:8123', metrics_table_name: m, \
             metrics_tables: {sum: {name: my_sum}}}",
        )
        .unwrap(),
    )
    .unwrap();
    let names = MetricTableNames::from_config(&config);
    assert_eq!(names.gauge, "m_gauge");
    assert_eq!(names.sum, "my_sum");
    assert_eq!(names.exponential_histogram, "m_exponential_histogram");
}

/// `GAUGE` with the value columns replaced by `middle` and the table renamed.
fn with_body(table: &str, middle: &str) -> String {
    let value_to_exemplars = "    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
";
    assert!(GAUGE.contains(value_to_exemplars));
    GAUGE
        .replace("otel_metrics_gauge", table)
        .replace(value_to_exemplars, middle)
}

const EXEMPLARS_TEXT: &str = "    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
";

#[test]
fn histogram_table() {
    let middle = format!(
        "    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
{EXEMPLARS_TEXT}    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
"
    );
    assert_eq!(
        params(Duration::ZERO).create_histogram_table(),
        with_body("otel_metrics_histogram", &middle)
    );
}

#[test]
fn exp_histogram_table() {
    let middle = format!(
        "    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),
{EXEMPLARS_TEXT}    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
"
    );
    assert_eq!(
        params(Duration::ZERO).create_exp_histogram_table(),
        with_body("otel_metrics_exponential_histogram", &middle)
    );
}

#[test]
fn summary_table() {
    let middle = "    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
";
    assert_eq!(
        params(Duration::ZERO).create_summary_table(),
        with_body("otel_metrics_summary", middle)
    );
}

#[test]
fn histogram_and_summary_inserts() {
    let p = params(Duration::ZERO);
    assert!(p.histogram_insert().ends_with(
        "TimeUnix, Count, Sum, BucketCounts, ExplicitBounds, Exemplars.FilteredAttributes, \
         Exemplars.TimeUnix, Exemplars.Value, Exemplars.SpanId, Exemplars.TraceId, Flags, Min, \
         Max, AggregationTemporality) FORMAT RowBinary"
    ));
    assert!(p.exp_histogram_insert().contains(
        "TimeUnix, Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, \
         NegativeOffset, NegativeBucketCounts, Exemplars.FilteredAttributes"
    ));
    assert!(p.summary_insert().ends_with(
        "TimeUnix, Count, Sum, ValueAtQuantiles.Quantile, ValueAtQuantiles.Value, Flags) \
         FORMAT RowBinary"
    ));
}

/// `DESC TABLE` of contrib's `otel_metrics_sum`, the lines that matter.
const SUM_DESC: &str = "ResourceAttributes\tMap(LowCardinality(String), String)\t\t\t\tZSTD(1)\t
ResourceSchemaUrl\tString\t\t\t\tZSTD(1)\t
ScopeName\tString\t\t\t\tZSTD(1)\t
ScopeVersion\tString\t\t\t\tZSTD(1)\t
ScopeAttributes\tMap(LowCardinality(String), String)\t\t\t\tZSTD(1)\t
ScopeDroppedAttrCount\tUInt32\t\t\t\tZSTD(1)\t
ScopeSchemaUrl\tString\t\t\t\tZSTD(1)\t
ServiceName\tLowCardinality(String)\t\t\t\tZSTD(1)\t
MetricName\tString\t\t\t\tZSTD(1)\t
MetricDescription\tString\t\t\t\tZSTD(1)\t
MetricUnit\tString\t\t\t\tZSTD(1)\t
Attributes\tMap(LowCardinality(String), String)\t\t\t\tZSTD(1)\t
StartTimeUnix\tDateTime64(9)\t\t\t\tDelta(8), ZSTD(1)\t
TimeUnix\tDateTime64(9)\t\t\t\tDelta(8), ZSTD(1)\t
Value\tFloat64\t\t\t\tZSTD(1)\t
Flags\tUInt32\t\t\t\tZSTD(1)\t
Exemplars.FilteredAttributes\tArray(Map(LowCardinality(String), String))\t\t\t\tZSTD(1)\t
Exemplars.TimeUnix\tArray(DateTime64(9))\t\t\t\tZSTD(1)\t
Exemplars.Value\tArray(Float64)\t\t\t\tZSTD(1)\t
Exemplars.SpanId\tArray(String)\t\t\t\tZSTD(1)\t
Exemplars.TraceId\tArray(String)\t\t\t\tZSTD(1)\t
AggregationTemporality\tInt32\t\t\t\tZSTD(1)\t
IsMonotonic\tBool\t\t\t\tDelta(1), ZSTD(1)\t
";

#[test]
fn sum_table_check_accepts_contribs_and_names_a_wrong_type() {
    let params = params(Duration::ZERO);
    let columns = sum_insert_columns();
    assert_eq!(
        params.check_metric_table("otel_metrics_sum", &columns, SUM_DESC),
        Ok(())
    );
    assert_eq!(
        params.check_metric_table(
            "otel_metrics_sum",
            &columns,
            &SUM_DESC.replace("IsMonotonic\tBool", "IsMonotonic\tUInt8")
        ),
        Err(
            "table \"otel\".\"otel_metrics_sum\": column IsMonotonic has type UInt8, but sonde \
             writes Bool"
                .to_string()
        )
    );
    assert_eq!(
        params.describe_table("otel_metrics_sum"),
        "DESC TABLE \"otel\".\"otel_metrics_sum\""
    );
}
