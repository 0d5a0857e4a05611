//! Metric data points as rows of contrib's metric tables, in RowBinary, in the column
//! order of [`crate::schema::metrics`]'s insert lists. Pure: no I/O, no clock.
//!
//! One row per data point. Values follow contrib: the point's value as `Float64`
//! (an integer converted, an absent value 0), `Flags` the point's flags,
//! `ServiceName` from the resource's `service.name`, `ScopeDroppedAttrCount` the
//! scope's dropped-attribute count, exemplars as five parallel arrays (filtered
//! attributes, time, value, then span and trace id in hex with every byte, zeros
//! included, as Go's `hex.EncodeToString` spells a pdata id). Sums add the
//! aggregation temporality (OTLP's number) and monotonicity.
//!
//! Gauge and sum points are written; histogram, exponential-histogram and summary
//! points are counted in [`MetricRows::skipped`] and not written yet.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::{
    exemplar, number_data_point, Exemplar, NumberDataPoint,
};

use crate::columns::{attributes, hex_id_full, service_name};
use crate::rowbinary::RowWriter;

/// The rows of each table, and what was left out.
#[derive(Debug, Default)]
pub struct MetricRows {
    pub gauge: RowWriter,
    pub gauge_rows: usize,
    pub sum: RowWriter,
    pub sum_rows: usize,
    /// Data points of types not written yet (histogram, exponential histogram, summary).
    pub skipped: usize,
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

/// Splits a request into the rows of each metric table.
pub fn encode_metrics(request: &ExportMetricsServiceRequest) -> MetricRows {
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
            attributes(res_attrs, &mut shared, &mut scratch);
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
                        for point in &g.data_points {
                            row_head(&mut out.gauge);
                            number_point(point, &mut out.gauge, &mut scratch);
                            out.gauge_rows += 1;
                        }
                    }
                    Some(Data::Sum(s)) => {
                        for point in &s.data_points {
                            row_head(&mut out.sum);
                            number_point(point, &mut out.sum, &mut scratch);
                            out.sum.int32(s.aggregation_temporality);
                            out.sum.bool(s.is_monotonic);
                            out.sum_rows += 1;
                        }
                    }
                    Some(Data::Histogram(h)) => out.skipped += h.data_points.len(),
                    Some(Data::ExponentialHistogram(h)) => out.skipped += h.data_points.len(),
                    Some(Data::Summary(s)) => out.skipped += s.data_points.len(),
                    None => {}
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
