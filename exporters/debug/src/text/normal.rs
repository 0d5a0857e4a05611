//! `verbosity: normal`: one line per resource, per scope, and per span, data point or log
//! record, in otelcol's layout:
//!
//! ```text
//! ResourceTraces #0 [schema-url] service.name=x
//! ScopeTraces #0 scope@1.0 [schema-url] k=v
//! span-name 0102...10 1112...18 key1=value1 key2=value2
//! ```
//!
//! otelcol numbers scopes with the index of their resource (a slip); sonde uses the
//! scope's own index.

use std::fmt::Write;

use sonde_api::pdata::common::v1::{InstrumentationScope, KeyValue};
use sonde_api::pdata::metrics::v1::{metric::Data, number_data_point, Metric, NumberDataPoint};
use sonde_api::pdata::resource::v1::Resource;
use sonde_api::Payload;

use super::values::{as_string, go_f, go_g, hex_id, key_values};

pub fn render(payload: &Payload) -> String {
    let mut out = String::new();
    match payload {
        Payload::Traces(r) => {
            for (i, rs) in r.resource_spans.iter().enumerate() {
                resource_line(
                    &mut out,
                    "ResourceTraces",
                    i,
                    &rs.schema_url,
                    rs.resource.as_ref(),
                );
                for (j, ss) in rs.scope_spans.iter().enumerate() {
                    scope_line(
                        &mut out,
                        "ScopeTraces",
                        j,
                        ss.scope.as_ref(),
                        &ss.schema_url,
                    );
                    for span in &ss.spans {
                        let _ = write!(
                            out,
                            "{} {} {}",
                            span.name,
                            hex_id(&span.trace_id),
                            hex_id(&span.span_id)
                        );
                        if !span.attributes.is_empty() {
                            out.push(' ');
                            out.push_str(&key_values(&span.attributes).join(" "));
                        }
                        out.push('\n');
                    }
                }
            }
        }
        Payload::Metrics(r) => {
            for (i, rm) in r.resource_metrics.iter().enumerate() {
                resource_line(
                    &mut out,
                    "ResourceMetrics",
                    i,
                    &rm.schema_url,
                    rm.resource.as_ref(),
                );
                for (j, sm) in rm.scope_metrics.iter().enumerate() {
                    scope_line(
                        &mut out,
                        "ScopeMetrics",
                        j,
                        sm.scope.as_ref(),
                        &sm.schema_url,
                    );
                    for metric in &sm.metrics {
                        metric_lines(&mut out, metric);
                    }
                }
            }
        }
        Payload::Logs(r) => {
            for (i, rl) in r.resource_logs.iter().enumerate() {
                resource_line(
                    &mut out,
                    "ResourceLog",
                    i,
                    &rl.schema_url,
                    rl.resource.as_ref(),
                );
                for (j, sl) in rl.scope_logs.iter().enumerate() {
                    scope_line(&mut out, "ScopeLog", j, sl.scope.as_ref(), &sl.schema_url);
                    for record in &sl.log_records {
                        // otelcol always puts the space, attributes or not.
                        let _ = writeln!(
                            out,
                            "{} {}",
                            as_string(record.body.as_ref()),
                            key_values(&record.attributes).join(" ")
                        );
                    }
                }
            }
        }
        // The exporter decodes before rendering.
        Payload::Encoded(_) => {}
    }
    out
}

fn attributes_suffix(attributes: &[KeyValue]) -> String {
    if attributes.is_empty() {
        String::new()
    } else {
        format!(" {}", key_values(attributes).join(" "))
    }
}

fn resource_line(
    out: &mut String,
    label: &str,
    index: usize,
    schema_url: &str,
    resource: Option<&Resource>,
) {
    let schema = if schema_url.is_empty() {
        String::new()
    } else {
        format!(" [{schema_url}]")
    };
    let attributes = resource.map(|r| r.attributes.as_slice()).unwrap_or(&[]);
    let _ = writeln!(
        out,
        "{label} #{index}{schema}{}",
        attributes_suffix(attributes)
    );
}

fn scope_line(
    out: &mut String,
    label: &str,
    index: usize,
    scope: Option<&InstrumentationScope>,
    schema_url: &str,
) {
    let (name, version, attributes) = match scope {
        Some(s) => (s.name.as_str(), s.version.as_str(), s.attributes.as_slice()),
        None => ("", "", &[][..]),
    };
    let mut details = name.to_string();
    if !version.is_empty() {
        details.push('@');
        details.push_str(version);
    }
    if !schema_url.is_empty() {
        if !details.is_empty() {
            details.push(' ');
        }
        let _ = write!(details, "[{schema_url}]");
    }
    if !details.is_empty() {
        details.insert(0, ' ');
    }
    let _ = writeln!(
        out,
        "{label} #{index}{details}{}",
        attributes_suffix(attributes)
    );
}

/// `name{k=v,k2=v2} value`, one line per data point.
fn metric_lines(out: &mut String, metric: &Metric) {
    let mut line = |attributes: &[KeyValue], value: String| {
        let _ = writeln!(
            out,
            "{}{{{}}} {value}",
            metric.name,
            key_values(attributes).join(",")
        );
    };
    match &metric.data {
        None => {}
        Some(Data::Gauge(g)) => g
            .data_points
            .iter()
            .for_each(|p| line(&p.attributes, number(p))),
        Some(Data::Sum(s)) => s
            .data_points
            .iter()
            .for_each(|p| line(&p.attributes, number(p))),
        Some(Data::Histogram(h)) => {
            for p in &h.data_points {
                let mut value = format!("count={}", p.count);
                min_sum_max(&mut value, p.sum, p.min, p.max);
                for (i, count) in p.bucket_counts.iter().enumerate() {
                    match p.explicit_bounds.get(i) {
                        Some(bound) => {
                            let _ = write!(value, " le{}={count}", go_g(*bound));
                        }
                        None => {
                            let _ = write!(value, " {count}");
                        }
                    }
                }
                line(&p.attributes, value);
            }
        }
        Some(Data::ExponentialHistogram(h)) => {
            for p in &h.data_points {
                let mut value = format!("count={}", p.count);
                min_sum_max(&mut value, p.sum, p.min, p.max);
                line(&p.attributes, value);
            }
        }
        Some(Data::Summary(s)) => {
            for p in &s.data_points {
                let mut value = format!("count={} sum={}", p.count, go_f(p.sum));
                for q in &p.quantile_values {
                    let _ = write!(value, " q{}={}", go_g(q.quantile), go_g(q.value));
                }
                line(&p.attributes, value);
            }
        }
    }
}

fn number(p: &NumberDataPoint) -> String {
    match p.value {
        Some(number_data_point::Value::AsInt(i)) => i.to_string(),
        Some(number_data_point::Value::AsDouble(d)) => go_g(d),
        None => String::new(),
    }
}

fn min_sum_max(value: &mut String, sum: Option<f64>, min: Option<f64>, max: Option<f64>) {
    for (name, v) in [("sum", sum), ("min", min), ("max", max)] {
        if let Some(v) = v {
            let _ = write!(value, " {name}={}", go_g(v));
        }
    }
}
