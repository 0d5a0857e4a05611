//! A decoded `WriteRequest` into OTLP metrics.
//!
//! * One resource per (`job`, `instance`): `service.name` from the job (`ns/name`
//!   gives `service.namespace` and `service.name`), `service.instance.id` from the
//!   instance. The other labels are data point attributes, sorted by name.
//! * Gauges and counters ([`crate::classify`]) become one data point per sample:
//!   a Gauge, or a cumulative monotonic Sum.
//! * The parts of a histogram or a summary that share a resource, their other labels
//!   and a timestamp are put back together into one data point. A histogram is whole
//!   with its `+Inf` bucket, `_sum` and `_count`; a summary with `_sum` and `_count`.
//!   A family that is not whole in this request (Prometheus may cut a scrape across
//!   two requests) is not dropped: its parts are sent as they came, buckets, `_sum`
//!   and `_count` as cumulative monotonic Sums (with `le`), quantiles as Gauges
//!   (with `quantile`).
//! * Staleness markers and samples older than the cut-off are dropped and counted.
//!
//! Output order: gauges and counters in the order of the request, then the histograms
//! and summaries (or their parts).

use std::collections::HashMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, AggregationTemporality, Gauge, Histogram, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, Summary,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use crate::classify::{classify, shows, Lookup, Shape};
use crate::error::{show_series, Error};
use crate::families::Family;
use crate::proto::{Label, MetricType, WriteRequest};
use crate::{Options, Translated};

mod assemble;

use assemble::{finish_group, Group, GroupKey, Part};

/// The bit pattern Prometheus writes as a staleness marker (a NaN no arithmetic
/// makes).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Gauge,
    Sum,
    Histogram,
    Summary,
}

struct ResourceOut {
    job: String,
    instance: String,
    metrics: Vec<Metric>,
    by_metric: HashMap<(String, Kind), usize>,
}

pub(crate) fn convert(request: &WriteRequest, options: &Options<'_>) -> Result<Translated, Error> {
    let mut types = Lookup {
        declared: HashMap::new(),
        shown: HashMap::new(),
        known: options.known,
    };
    let mut learned = Vec::new();
    for m in &request.metadata {
        if m.metric_family_name.is_empty() {
            continue;
        }
        let family = Family {
            kind: MetricType::try_from(m.r#type).unwrap_or(MetricType::Unknown),
            help: m.help.clone(),
            unit: m.unit.clone(),
            declared: true,
        };
        learned.push((m.metric_family_name.clone(), family.clone()));
        types.declared.insert(&m.metric_family_name, family);
    }

    // First pass: check every series, and see which families the series show.
    let mut checked = Vec::with_capacity(request.timeseries.len());
    for (index, series) in request.timeseries.iter().enumerate() {
        let mut name = None;
        let (mut le, mut quantile) = (None, None);
        if let Some(label) = repeated_label(&series.labels) {
            return Err(Error::DuplicateLabel {
                index,
                series: show_series(&series.labels),
                label: label.to_string(),
            });
        }
        for label in &series.labels {
            match label.name.as_str() {
                "__name__" => name = Some(label.value.as_str()).filter(|n| !n.is_empty()),
                "le" => le = Some(label.value.as_str()),
                "quantile" => quantile = Some(label.value.as_str()),
                _ => {}
            }
        }
        let Some(name) = name else {
            return Err(Error::MissingName {
                index,
                series: show_series(&series.labels),
            });
        };
        if let Some((family, kind)) = shows(name, le.is_some(), quantile.is_some()) {
            types.shown.entry(family).or_insert(kind);
        }
        checked.push((name, le, quantile));
    }
    for (family, kind) in &types.shown {
        if !types.declared.contains_key(family) {
            learned.push((
                family.to_string(),
                Family {
                    kind: *kind,
                    help: String::new(),
                    unit: String::new(),
                    declared: false,
                },
            ));
        }
    }

    let mut out = Translated {
        learned,
        ..Translated::default()
    };
    let mut resources: Vec<ResourceOut> = Vec::new();
    let mut by_resource: HashMap<(String, String), usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut by_group: HashMap<GroupKey, usize> = HashMap::new();

    for (index, (series, (name, le, quantile))) in
        request.timeseries.iter().zip(checked).enumerate()
    {
        out.dropped_native_histograms += series.histograms.len();
        let samples: Vec<_> = series
            .samples
            .iter()
            .filter(|s| {
                if s.value.to_bits() == STALE_NAN_BITS {
                    out.dropped_stale += 1;
                    false
                } else if options.oldest_ms.is_some_and(|oldest| s.timestamp < oldest) {
                    out.dropped_too_old += 1;
                    false
                } else {
                    true
                }
            })
            .collect();
        if samples.is_empty() {
            continue;
        }
        let mut job = "";
        let mut instance = "";
        let mut attrs: Vec<(String, String)> = Vec::new();
        let shape = classify(name, le.is_some(), quantile.is_some(), &types);
        for label in &series.labels {
            match label.name.as_str() {
                "__name__" => {}
                "job" => job = &label.value,
                "instance" => instance = &label.value,
                "le" if matches!(shape, Shape::Bucket(_)) => {}
                "quantile" if matches!(shape, Shape::Quantile(_)) => {}
                _ => attrs.push((label.name.clone(), label.value.clone())),
            }
        }
        attrs.sort();
        let resource = *by_resource
            .entry((job.to_string(), instance.to_string()))
            .or_insert_with(|| {
                resources.push(ResourceOut {
                    job: job.to_string(),
                    instance: instance.to_string(),
                    metrics: Vec::new(),
                    by_metric: HashMap::new(),
                });
                resources.len() - 1
            });

        let (family, label) = match shape {
            Shape::Gauge | Shape::Counter => {
                let kind = if shape == Shape::Counter {
                    Kind::Sum
                } else {
                    Kind::Gauge
                };
                let metric = metric_of(&mut resources[resource], name, kind, &types);
                for sample in samples {
                    push_number(metric, number_point(&attrs, sample.timestamp, sample.value));
                    out.data_points += 1;
                }
                continue;
            }
            Shape::Bucket(family) => {
                let raw = le.unwrap_or_default();
                let Some(bound) = parse_bound(raw) else {
                    return Err(Error::BadLe {
                        index,
                        series: show_series(&series.labels),
                        value: raw.to_string(),
                    });
                };
                (family, Some(("le", raw.to_string(), bound)))
            }
            Shape::Quantile(family) => {
                let raw = quantile.unwrap_or_default();
                let Some(q) = parse_bound(raw) else {
                    return Err(Error::BadQuantile {
                        index,
                        series: show_series(&series.labels),
                        value: raw.to_string(),
                    });
                };
                (family, Some(("quantile", raw.to_string(), q)))
            }
            Shape::Sum(family) | Shape::Count(family) => (family, None),
        };
        for sample in samples {
            let key = (
                resource,
                family.to_string(),
                attrs.clone(),
                sample.timestamp,
            );
            let at = *by_group.entry(key).or_insert_with(|| {
                groups.push(Group {
                    resource,
                    family: family.to_string(),
                    attrs: attrs.clone(),
                    time_ms: sample.timestamp,
                    buckets: Vec::new(),
                    quantiles: Vec::new(),
                    sum: None,
                    count: None,
                    repeated: false,
                });
                groups.len() - 1
            });
            let group = &mut groups[at];
            let part = Part {
                name: name.to_string(),
                label: label.clone(),
                value: sample.value,
            };
            let slot = match shape {
                Shape::Bucket(_) => {
                    group.buckets.push(part);
                    continue;
                }
                Shape::Quantile(_) => {
                    group.quantiles.push(part);
                    continue;
                }
                Shape::Sum(_) => &mut group.sum,
                _ => &mut group.count,
            };
            if slot.is_some() {
                group.repeated = true;
            }
            *slot = Some(part);
        }
    }

    for group in groups {
        let resource = &mut resources[group.resource];
        out.data_points += finish_group(group, resource, &types);
    }

    let scope = InstrumentationScope {
        name: options.scope_name.to_string(),
        version: options.scope_version.to_string(),
        ..Default::default()
    };
    out.request = ExportMetricsServiceRequest {
        resource_metrics: resources
            .into_iter()
            .filter(|r| !r.metrics.is_empty())
            .map(|r| ResourceMetrics {
                resource: Some(Resource {
                    attributes: resource_attributes(&r.job, &r.instance),
                    ..Default::default()
                }),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(scope.clone()),
                    metrics: r.metrics,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            })
            .collect(),
    };
    Ok(out)
}

/// A label name that appears twice. Prometheus sends labels sorted, so adjacent
/// names are compared first; unsorted ones are sorted (a sender with many labels must
/// not cost quadratic time).
fn repeated_label(labels: &[Label]) -> Option<&str> {
    let sorted = labels.windows(2).all(|w| w[0].name < w[1].name);
    if sorted {
        return None;
    }
    let mut names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
    names.sort_unstable();
    names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

/// `le` and `quantile` values: Prometheus's float syntax, `+Inf` included.
fn parse_bound(text: &str) -> Option<f64> {
    match text.trim() {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        t => t.parse::<f64>().ok().filter(|v| !v.is_nan()),
    }
}

/// The job and instance as resource attributes, as otelcol-contrib's remote-write
/// receiver sets them: a job `ns/name` (exactly one `/`) is a namespace and a name.
fn resource_attributes(job: &str, instance: &str) -> Vec<KeyValue> {
    let mut attrs = Vec::new();
    if !job.is_empty() {
        let parts: Vec<&str> = job.split('/').collect();
        if let [namespace, name] = parts.as_slice() {
            attrs.push(string_kv("service.namespace", namespace));
            attrs.push(string_kv("service.name", name));
        } else {
            attrs.push(string_kv("service.name", job));
        }
    }
    if !instance.is_empty() {
        attrs.push(string_kv("service.instance.id", instance));
    }
    attrs
}

fn string_kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_string())),
        }),
        ..Default::default()
    }
}

fn attributes(attrs: &[(String, String)]) -> Vec<KeyValue> {
    attrs.iter().map(|(k, v)| string_kv(k, v)).collect()
}

fn nanos(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000)
}

fn number_point(attrs: &[(String, String)], time_ms: i64, value: f64) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attributes(attrs),
        time_unix_nano: nanos(time_ms),
        value: Some(number_data_point::Value::AsDouble(value)),
        ..Default::default()
    }
}

fn metric_of<'r>(
    resource: &'r mut ResourceOut,
    name: &str,
    kind: Kind,
    types: &Lookup<'_>,
) -> &'r mut Metric {
    let at = *resource
        .by_metric
        .entry((name.to_string(), kind))
        .or_insert_with(|| {
            let data = match kind {
                Kind::Gauge => metric::Data::Gauge(Gauge::default()),
                Kind::Sum => metric::Data::Sum(Sum {
                    data_points: Vec::new(),
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    is_monotonic: true,
                }),
                Kind::Histogram => metric::Data::Histogram(Histogram {
                    data_points: Vec::new(),
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                }),
                Kind::Summary => metric::Data::Summary(Summary::default()),
            };
            let family = types.family(name);
            resource.metrics.push(Metric {
                name: name.to_string(),
                description: family.map(|f| f.help.clone()).unwrap_or_default(),
                unit: family.map(|f| f.unit.clone()).unwrap_or_default(),
                data: Some(data),
                ..Default::default()
            });
            resource.metrics.len() - 1
        });
    &mut resource.metrics[at]
}

fn push_number(metric: &mut Metric, point: NumberDataPoint) {
    match &mut metric.data {
        Some(metric::Data::Gauge(g)) => g.data_points.push(point),
        Some(metric::Data::Sum(s)) => s.data_points.push(point),
        _ => {}
    }
}
