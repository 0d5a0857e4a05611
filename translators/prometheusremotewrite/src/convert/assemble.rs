//! Histograms and summaries put back together from their series: the parts that
//! share a resource, other labels and a timestamp make one data point when they are
//! whole, or are sent as they came when not (see the parent module's doc).

use opentelemetry_proto::tonic::metrics::v1::{
    metric, summary_data_point, HistogramDataPoint, SummaryDataPoint,
};

use super::{attributes, metric_of, nanos, number_point, push_number, Kind, ResourceOut};
use crate::classify::Lookup;
use crate::proto::MetricType;

/// One part of a histogram or summary data point, as it came.
#[derive(Debug, Clone)]
pub(super) struct Part {
    pub(super) name: String,
    /// `le` or `quantile`, raw and parsed.
    pub(super) label: Option<(&'static str, String, f64)>,
    pub(super) value: f64,
}

/// What makes parts one data point: resource, family, other labels, time (ms).
pub(super) type GroupKey = (usize, String, Vec<(String, String)>, i64);

/// The parts of one would-be histogram or summary data point.
pub(super) struct Group {
    pub(super) resource: usize,
    pub(super) family: String,
    pub(super) attrs: Vec<(String, String)>,
    pub(super) time_ms: i64,
    pub(super) buckets: Vec<Part>,
    pub(super) quantiles: Vec<Part>,
    pub(super) sum: Option<Part>,
    pub(super) count: Option<Part>,
    /// A part came twice: the group cannot be trusted whole.
    pub(super) repeated: bool,
}

/// A count as OTLP wants it: whole, not negative.
fn whole(value: f64) -> u64 {
    if value.is_nan() || value <= 0.0 {
        0
    } else {
        value.round() as u64
    }
}

/// Emits a group whole when it is, else its parts; returns the data points made.
pub(super) fn finish_group(group: Group, resource: &mut ResourceOut, types: &Lookup<'_>) -> usize {
    let time = nanos(group.time_ms);
    if let Some(point) = whole_histogram(&group) {
        if let Some(metric::Data::Histogram(h)) =
            &mut metric_of(resource, &group.family, Kind::Histogram, types).data
        {
            h.data_points.push(point);
        }
        return 1;
    }
    if let (Some(sum), Some(count), true, false) = (
        &group.sum,
        &group.count,
        group.buckets.is_empty(),
        group.repeated,
    ) {
        let mut quantiles: Vec<(f64, f64)> = group
            .quantiles
            .iter()
            .filter_map(|p| p.label.as_ref().map(|(_, _, q)| (*q, p.value)))
            .collect();
        quantiles.sort_by(|a, b| a.0.total_cmp(&b.0));
        let distinct = quantiles.windows(2).all(|w| w[0].0 != w[1].0);
        let is_summary =
            !quantiles.is_empty() || types.kind(&group.family) == Some(MetricType::Summary);
        if distinct && is_summary {
            let point = SummaryDataPoint {
                attributes: attributes(&group.attrs),
                time_unix_nano: time,
                count: whole(count.value),
                sum: sum.value,
                quantile_values: quantiles
                    .into_iter()
                    .map(|(quantile, value)| summary_data_point::ValueAtQuantile {
                        quantile,
                        value,
                    })
                    .collect(),
                ..Default::default()
            };
            if let Some(metric::Data::Summary(s)) =
                &mut metric_of(resource, &group.family, Kind::Summary, types).data
            {
                s.data_points.push(point);
            }
            return 1;
        }
    }
    // Not whole: the parts as they came.
    let mut made = 0;
    let parts = group
        .buckets
        .iter()
        .chain(&group.quantiles)
        .chain(&group.sum)
        .chain(&group.count);
    for part in parts {
        let mut attrs = group.attrs.clone();
        let kind = match &part.label {
            Some((key, raw, _)) => {
                attrs.push((key.to_string(), raw.clone()));
                attrs.sort();
                if *key == "quantile" {
                    Kind::Gauge
                } else {
                    Kind::Sum
                }
            }
            None => Kind::Sum,
        };
        let metric = metric_of(resource, &part.name, kind, types);
        push_number(metric, number_point(&attrs, group.time_ms, part.value));
        made += 1;
    }
    made
}

/// The histogram data point of a group that has every part: buckets with `+Inf`
/// and no `le` twice, `_sum`, `_count`, and no quantile.
fn whole_histogram(group: &Group) -> Option<HistogramDataPoint> {
    let (sum, count) = (group.sum.as_ref()?, group.count.as_ref()?);
    if group.repeated || !group.quantiles.is_empty() || group.buckets.is_empty() {
        return None;
    }
    let mut buckets: Vec<(f64, f64)> = group
        .buckets
        .iter()
        .filter_map(|p| p.label.as_ref().map(|(_, _, le)| (*le, p.value)))
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    if buckets.last().map(|b| b.0) != Some(f64::INFINITY)
        || buckets.windows(2).any(|w| w[0].0 == w[1].0)
    {
        return None;
    }
    // Prometheus buckets count everything up to their bound; OTLP's count what falls
    // between two bounds. A bucket below the one before it (an exposition caught
    // mid-update) counts 0.
    let mut previous = 0.0;
    let bucket_counts = buckets
        .iter()
        .map(|(_, cumulative)| {
            let own = whole(cumulative - previous);
            previous = cumulative.max(previous);
            own
        })
        .collect();
    Some(HistogramDataPoint {
        attributes: attributes(&group.attrs),
        time_unix_nano: nanos(group.time_ms),
        count: whole(count.value),
        sum: Some(sum.value),
        bucket_counts,
        explicit_bounds: buckets[..buckets.len() - 1].iter().map(|b| b.0).collect(),
        ..Default::default()
    })
}
