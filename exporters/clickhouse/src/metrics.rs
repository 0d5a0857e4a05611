//! Metric data points as rows of contrib's metric tables, in RowBinary, in the column
//! order of [`crate::schema::metrics`]'s insert lists. Pure: no I/O, no clock.
//!
//! One row per data point. Values follow contrib: the point's value as `Float64`
//! (an integer converted, an absent value 0), `Flags` the point's flags,
//! `ServiceName` from the resource's `service.name`, `ScopeDroppedAttrCount` the
//! scope's dropped-attribute count, exemplars as five parallel arrays (filtered
//! attributes, time, value, then span and trace id in hex with every byte, zeros
//! included, as Go's `hex.EncodeToString` spells a pdata id). Sums add the
//! aggregation temporality (OTLP's number) and monotonicity. Histograms:
//! `Count`, `Sum`, `Min`, `Max` (0 when absent, as pdata reads an unset optional),
//! bucket counts and bounds; exponential histograms: scale, zero count, both bucket
//! ranges' offsets and counts; summaries: count, sum and the quantiles as two
//! parallel arrays.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, number_data_point, Exemplar, ExponentialHistogramDataPoint, HistogramDataPoint,
    NumberDataPoint, SummaryDataPoint,
};

use crate::columns::{attributes, hex_id_full, service_name};
use crate::rowbinary::RowWriter;
use crate::smart::ResourceCells;

/// The rows of one table.
#[derive(Debug, Default)]
pub struct TableRows {
    pub w: RowWriter,
    pub rows: usize,
}

/// The rows of each table.
#[derive(Debug, Default)]
pub struct MetricRows {
    pub gauge: TableRows,
    pub sum: TableRows,
    pub histogram: TableRows,
    pub exp_histogram: TableRows,
    pub summary: TableRows,
}

/// The columns every metric row starts with, up to `MetricUnit`, encoded once per
/// metric.
fn head(
    shared: &[u8],
    service: &[u8],
    name: &str,
    description: &str,
    unit: &str,
    w: &mut RowWriter,
) {
    w.bytes(shared);
    w.string(service);
    w.string(name.as_bytes());
    w.string(description.as_bytes());
    w.string(unit.as_bytes());
}

fn number_value(point: &NumberDataPoint) -> f64 {
    match point.value {
        Some(number_data_point::Value::AsDouble(d)) => d,
        Some(number_data_point::Value::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

fn exemplar_value(e: &Exemplar) -> f64 {
    match e.value {
        Some(exemplar::Value::AsDouble(d)) => d,
        Some(exemplar::Value::AsInt(i)) => i as f64,
        None => 0.0,
    }
}

fn exemplars(list: &[Exemplar], w: &mut RowWriter, scratch: &mut String) {
    w.len(list.len());
    for e in list {
        attributes(&e.filtered_attributes, w, scratch);
    }
    w.len(list.len());
    for e in list {
        w.datetime64_nanos(e.time_unix_nano);
    }
    w.len(list.len());
    for e in list {
        w.float64(exemplar_value(e));
    }
    w.len(list.len());
    for e in list {
        hex_id_full(&e.span_id, 8, w);
    }
    w.len(list.len());
    for e in list {
        hex_id_full(&e.trace_id, 16, w);
    }
}

/// From `Attributes` to the exemplars: the columns gauge and sum share.
fn number_point(point: &NumberDataPoint, w: &mut RowWriter, scratch: &mut String) {
    attributes(&point.attributes, w, scratch);
    w.datetime64_nanos(point.start_time_unix_nano);
    w.datetime64_nanos(point.time_unix_nano);
    w.float64(number_value(point));
    w.uint32(point.flags);
    exemplars(&point.exemplars, w, scratch);
}

fn u64_array(values: &[u64], w: &mut RowWriter) {
    w.len(values.len());
    for v in values {
        w.uint64(*v);
    }
}

fn f64_array(values: &[f64], w: &mut RowWriter) {
    w.len(values.len());
    for v in values {
        w.float64(*v);
    }
}

/// From `Attributes` to `Max`.
fn histogram_point(point: &HistogramDataPoint, w: &mut RowWriter, scratch: &mut String) {
    attributes(&point.attributes, w, scratch);
    w.datetime64_nanos(point.start_time_unix_nano);
    w.datetime64_nanos(point.time_unix_nano);
    w.uint64(point.count);
    w.float64(point.sum.unwrap_or(0.0));
    u64_array(&point.bucket_counts, w);
    f64_array(&point.explicit_bounds, w);
    exemplars(&point.exemplars, w, scratch);
    w.uint32(point.flags);
    w.float64(point.min.unwrap_or(0.0));
    w.float64(point.max.unwrap_or(0.0));
}

/// From `Attributes` to `Max`.
fn exp_histogram_point(
    point: &ExponentialHistogramDataPoint,
    w: &mut RowWriter,
    scratch: &mut String,
) {
    attributes(&point.attributes, w, scratch);
    w.datetime64_nanos(point.start_time_unix_nano);
    w.datetime64_nanos(point.time_unix_nano);
    w.uint64(point.count);
    w.float64(point.sum.unwrap_or(0.0));
    w.int32(point.scale);
    w.uint64(point.zero_count);
    for buckets in [&point.positive, &point.negative] {
        let buckets = buckets.as_ref();
        w.int32(buckets.map_or(0, |b| b.offset));
        u64_array(buckets.map_or(&[][..], |b| &b.bucket_counts), w);
    }
    exemplars(&point.exemplars, w, scratch);
    w.uint32(point.flags);
    w.float64(point.min.unwrap_or(0.0));
    w.float64(point.max.unwrap_or(0.0));
}

fn summary_point(point: &SummaryDataPoint, w: &mut RowWriter, scratch: &mut String) {
    attributes(&point.attributes, w, scratch);
    w.datetime64_nanos(point.start_time_unix_nano);
    w.datetime64_nanos(point.time_unix_nano);
    w.uint64(point.count);
    w.float64(point.sum);
    w.len(point.quantile_values.len());
    for q in &point.quantile_values {
        w.float64(q.quantile);
    }
    w.len(point.quantile_values.len());
    for q in &point.quantile_values {
        w.float64(q.value);
    }
    w.uint32(point.flags);
}

/// Splits a request into the rows of each metric table.
pub fn encode_metrics(request: &ExportMetricsServiceRequest) -> MetricRows {
    encode_metrics_with(request, &mut ResourceCells::Map)
}

/// [`encode_metrics`], the resource column written by `resources`.
pub fn encode_metrics_with(
    request: &ExportMetricsServiceRequest,
    resources: &mut ResourceCells,
) -> MetricRows {
    let mut out = MetricRows::default();
    let mut scratch = String::new();
    let empty = Vec::new();
    for rm in &request.resource_metrics {
        let res_attrs = rm.resource.as_ref().map_or(&empty, |r| &r.attributes);
        let service = service_name(res_attrs);
        for sm in &rm.scope_metrics {
            let scope = sm.scope.as_ref();
            // ResourceAttributes .. ScopeSchemaUrl, the same for every row of the scope.
            let mut shared = RowWriter::default();
            resources.write(res_attrs, &mut shared, &mut scratch);
            shared.string(rm.schema_url.as_bytes());
            shared.string(scope.map_or("", |s| s.name.as_str()).as_bytes());
            shared.string(scope.map_or("", |s| s.version.as_str()).as_bytes());
            attributes(
                scope.map_or(&empty, |s| &s.attributes),
                &mut shared,
                &mut scratch,
            );
            shared.uint32(scope.map_or(0, |s| s.dropped_attributes_count));
            shared.string(sm.schema_url.as_bytes());
            for metric in &sm.metrics {
                let row_head = |w: &mut RowWriter| {
                    head(
                        &shared.buf,
                        service.as_bytes(),
                        &metric.name,
                        &metric.description,
                        &metric.unit,
                        w,
                    )
                };
                match &metric.data {
                    Some(Data::Gauge(g)) => {
                        let t = &mut out.gauge;
                        for point in &g.data_points {
                            row_head(&mut t.w);
                            number_point(point, &mut t.w, &mut scratch);
                            t.rows += 1;
                        }
                    }
                    Some(Data::Sum(s)) => {
                        let t = &mut out.sum;
                        for point in &s.data_points {
                            row_head(&mut t.w);
                            number_point(point, &mut t.w, &mut scratch);
                            t.w.int32(s.aggregation_temporality);
                            t.w.bool(s.is_monotonic);
                            t.rows += 1;
                        }
                    }
                    Some(Data::Histogram(h)) => {
                        let t = &mut out.histogram;
                        for point in &h.data_points {
                            row_head(&mut t.w);
                            histogram_point(point, &mut t.w, &mut scratch);
                            t.w.int32(h.aggregation_temporality);
                            t.rows += 1;
                        }
                    }
                    Some(Data::ExponentialHistogram(h)) => {
                        let t = &mut out.exp_histogram;
                        for point in &h.data_points {
                            row_head(&mut t.w);
                            exp_histogram_point(point, &mut t.w, &mut scratch);
                            t.w.int32(h.aggregation_temporality);
                            t.rows += 1;
                        }
                    }
                    Some(Data::Summary(s)) => {
                        let t = &mut out.summary;
                        for point in &s.data_points {
                            row_head(&mut t.w);
                            summary_point(point, &mut t.w, &mut scratch);
                            t.rows += 1;
                        }
                    }
                    None => {}
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
