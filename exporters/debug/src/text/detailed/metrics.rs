//! Metrics and their data points, in detail.

use sonde_api::pdata::metrics::v1::{
    exemplar, metric::Data, number_data_point, AggregationTemporality, Exemplar, Metric,
    NumberDataPoint,
};
use sonde_api::pdata::ExportMetricsServiceRequest;

use super::Out;
use crate::text::values::{go_f, hex_id, timestamp};

pub(super) fn write(out: &mut Out, req: &ExportMetricsServiceRequest) {
    for (i, rm) in req.resource_metrics.iter().enumerate() {
        out.line(format_args!("ResourceMetrics #{i}"));
        out.line(format_args!("Resource SchemaURL: {}", rm.schema_url));
        let attributes = rm.resource.as_ref().map(|r| r.attributes.as_slice());
        out.attributes("Resource attributes", attributes.unwrap_or(&[]));
        for (j, sm) in rm.scope_metrics.iter().enumerate() {
            out.line(format_args!("ScopeMetrics #{j}"));
            out.line(format_args!("ScopeMetrics SchemaURL: {}", sm.schema_url));
            out.scope(sm.scope.as_ref());
            for (k, metric) in sm.metrics.iter().enumerate() {
                out.line(format_args!("Metric #{k}"));
                descriptor(out, metric);
                data_points(out, metric);
            }
        }
    }
}

fn descriptor(out: &mut Out, m: &Metric) {
    out.line(format_args!("Descriptor:"));
    out.line(format_args!("     -> Name: {}", m.name));
    out.line(format_args!("     -> Description: {}", m.description));
    out.line(format_args!("     -> Unit: {}", m.unit));
    out.line(format_args!(
        "     -> DataType: {}",
        data_type(m.data.as_ref())
    ));
}

fn data_type(data: Option<&Data>) -> &'static str {
    match data {
        None => "Empty",
        Some(Data::Gauge(_)) => "Gauge",
        Some(Data::Sum(_)) => "Sum",
        Some(Data::Histogram(_)) => "Histogram",
        Some(Data::ExponentialHistogram(_)) => "ExponentialHistogram",
        Some(Data::Summary(_)) => "Summary",
    }
}

fn temporality(t: i32) -> &'static str {
    match AggregationTemporality::try_from(t) {
        Ok(AggregationTemporality::Unspecified) => "Unspecified",
        Ok(AggregationTemporality::Delta) => "Delta",
        Ok(AggregationTemporality::Cumulative) => "Cumulative",
        Err(_) => "",
    }
}

fn data_points(out: &mut Out, m: &Metric) {
    match &m.data {
        None => {}
        Some(Data::Gauge(g)) => numbers(out, &g.data_points),
        Some(Data::Sum(s)) => {
            out.line(format_args!("     -> IsMonotonic: {}", s.is_monotonic));
            out.line(format_args!(
                "     -> AggregationTemporality: {}",
                temporality(s.aggregation_temporality)
            ));
            numbers(out, &s.data_points);
        }
        Some(Data::Histogram(h)) => {
            out.line(format_args!(
                "     -> AggregationTemporality: {}",
                temporality(h.aggregation_temporality)
            ));
            for (i, p) in h.data_points.iter().enumerate() {
                out.line(format_args!("HistogramDataPoints #{i}"));
                out.attributes("Data point attributes", &p.attributes);
                times(out, p.start_time_unix_nano, p.time_unix_nano);
                out.line(format_args!("Count: {}", p.count));
                optional_stats(out, p.sum, p.min, p.max);
                for (i, b) in p.explicit_bounds.iter().enumerate() {
                    out.line(format_args!("ExplicitBounds #{i}: {}", go_f(*b)));
                }
                for (j, c) in p.bucket_counts.iter().enumerate() {
                    out.line(format_args!("Buckets #{j}, Count: {c}"));
                }
                exemplars(out, &p.exemplars);
            }
        }
        Some(Data::ExponentialHistogram(h)) => {
            out.line(format_args!(
                "     -> AggregationTemporality: {}",
                temporality(h.aggregation_temporality)
            ));
            for (i, p) in h.data_points.iter().enumerate() {
                out.line(format_args!("ExponentialHistogramDataPoints #{i}"));
                out.attributes("Data point attributes", &p.attributes);
                times(out, p.start_time_unix_nano, p.time_unix_nano);
                out.line(format_args!("Count: {}", p.count));
                optional_stats(out, p.sum, p.min, p.max);
                // Bucket index i covers (base^i, base^(i+1)], base = 2^(2^-scale).
                let factor = std::f64::consts::LN_2 * 2f64.powi(-p.scale);
                let bounds = |index: f64| ((index * factor).exp(), ((index + 1.0) * factor).exp());
                if let Some(neg) = &p.negative {
                    for pos in (0..neg.bucket_counts.len()).rev() {
                        let (lower, upper) = bounds(f64::from(neg.offset) + pos as f64);
                        out.line(format_args!(
                            "Bucket [{}, {}), Count: {}",
                            go_f(-upper),
                            go_f(-lower),
                            neg.bucket_counts[pos]
                        ));
                    }
                }
                if p.zero_count != 0 {
                    out.line(format_args!("Bucket [0, 0], Count: {}", p.zero_count));
                }
                if let Some(posb) = &p.positive {
                    for (pos, count) in posb.bucket_counts.iter().enumerate() {
                        let (lower, upper) = bounds(f64::from(posb.offset) + pos as f64);
                        out.line(format_args!(
                            "Bucket ({}, {}], Count: {count}",
                            go_f(lower),
                            go_f(upper)
                        ));
                    }
                }
                exemplars(out, &p.exemplars);
            }
        }
        Some(Data::Summary(s)) => {
            for (i, p) in s.data_points.iter().enumerate() {
                out.line(format_args!("SummaryDataPoints #{i}"));
                out.attributes("Data point attributes", &p.attributes);
                times(out, p.start_time_unix_nano, p.time_unix_nano);
                out.line(format_args!("Count: {}", p.count));
                out.line(format_args!("Sum: {}", go_f(p.sum)));
                for (i, q) in p.quantile_values.iter().enumerate() {
                    out.line(format_args!(
                        "QuantileValue #{i}: Quantile {}, Value {}",
                        go_f(q.quantile),
                        go_f(q.value)
                    ));
                }
            }
        }
    }
}

fn numbers(out: &mut Out, points: &[NumberDataPoint]) {
    for (i, p) in points.iter().enumerate() {
        out.line(format_args!("NumberDataPoints #{i}"));
        out.attributes("Data point attributes", &p.attributes);
        times(out, p.start_time_unix_nano, p.time_unix_nano);
        match p.value {
            Some(number_data_point::Value::AsInt(v)) => out.line(format_args!("Value: {v}")),
            Some(number_data_point::Value::AsDouble(v)) => {
                out.line(format_args!("Value: {}", go_f(v)))
            }
            None => {}
        }
        exemplars(out, &p.exemplars);
    }
}

fn times(out: &mut Out, start: u64, time: u64) {
    out.line(format_args!("StartTimestamp: {}", timestamp(start)));
    out.line(format_args!("Timestamp: {}", timestamp(time)));
}

fn optional_stats(out: &mut Out, sum: Option<f64>, min: Option<f64>, max: Option<f64>) {
    for (name, v) in [("Sum", sum), ("Min", min), ("Max", max)] {
        if let Some(v) = v {
            out.line(format_args!("{name}: {}", go_f(v)));
        }
    }
}

fn exemplars(out: &mut Out, exemplars: &[Exemplar]) {
    if exemplars.is_empty() {
        return;
    }
    out.line(format_args!("Exemplars:"));
    for (i, e) in exemplars.iter().enumerate() {
        out.line(format_args!("Exemplar #{i}"));
        out.line(format_args!("     -> Trace ID: {}", hex_id(&e.trace_id)));
        out.line(format_args!("     -> Span ID: {}", hex_id(&e.span_id)));
        out.line(format_args!(
            "     -> Timestamp: {}",
            timestamp(e.time_unix_nano)
        ));
        match e.value {
            Some(exemplar::Value::AsInt(v)) => out.line(format_args!("     -> Value: {v}")),
            Some(exemplar::Value::AsDouble(v)) => {
                out.line(format_args!("     -> Value: {}", go_f(v)))
            }
            None => {}
        }
        out.attributes("     -> FilteredAttributes", &e.filtered_attributes);
    }
}
