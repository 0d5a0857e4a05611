//! Which OTLP shape a series takes, from its name, its `le` / `quantile` label and
//! what is known of its family's type.
//!
//! The type comes from, in order: the metadata of this request or remembered from
//! earlier ones (declared by the sender), what this request's series show (a
//! `<name>_bucket` series with `le` makes `<name>` a histogram, a series with
//! `quantile` makes its name a summary), types guessed the same way from earlier
//! requests. Without any, a name ending `_total` is a counter and anything else a gauge.

use std::collections::HashMap;

use crate::families::{Family, FamilyTypes};
use crate::proto::MetricType;

/// The shape of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape<'a> {
    Gauge,
    Counter,
    /// `<family>_bucket{le=..}` of a histogram.
    Bucket(&'a str),
    /// `<family>{quantile=..}` of a summary.
    Quantile(&'a str),
    /// `<family>_sum` of a histogram or a summary.
    Sum(&'a str),
    /// `<family>_count` of a histogram or a summary.
    Count(&'a str),
}

/// Where family types are looked up for one request.
pub(crate) struct Lookup<'a> {
    /// Declared in this request's metadata.
    pub declared: HashMap<&'a str, Family>,
    /// Shown by this request's series.
    pub shown: HashMap<&'a str, MetricType>,
    pub known: Option<&'a FamilyTypes>,
}

impl Lookup<'_> {
    /// The family's type; `unknown` (what Prometheus declares for untyped metrics)
    /// tells nothing, so the next source is asked.
    pub fn kind(&self, name: &str) -> Option<MetricType> {
        let typed = |f: &&Family| f.kind != MetricType::Unknown;
        let known = self.known.and_then(|k| k.get(name)).filter(typed);
        self.declared
            .get(name)
            .filter(typed)
            .or(known.filter(|f| f.declared))
            .map(|f| f.kind)
            .or_else(|| self.shown.get(name).copied())
            .or(known.map(|f| f.kind))
    }

    /// Help and unit for a metric: its own family's, or its base family's.
    pub fn family(&self, name: &str) -> Option<&Family> {
        let own = |n: &str| {
            self.declared
                .get(n)
                .or_else(|| self.known.and_then(|k| k.get(n)))
        };
        own(name).or_else(|| split_suffix(name).and_then(|(base, _)| own(base)))
    }
}

/// `x_bucket` → (`x`, "_bucket"), likewise `_sum`, `_count`, `_total`.
pub(crate) fn split_suffix(name: &str) -> Option<(&str, &'static str)> {
    ["_bucket", "_sum", "_count", "_total"]
        .into_iter()
        .find_map(|suffix| {
            name.strip_suffix(suffix)
                .filter(|base| !base.is_empty())
                .map(|base| (base, suffix))
        })
}

/// The family a series shows by its labels alone.
pub(crate) fn shows(name: &str, has_le: bool, has_quantile: bool) -> Option<(&str, MetricType)> {
    if has_quantile {
        return Some((name, MetricType::Summary));
    }
    match split_suffix(name) {
        Some((base, "_bucket")) if has_le => Some((base, MetricType::Histogram)),
        _ => None,
    }
}

pub(crate) fn classify<'a>(
    name: &'a str,
    has_le: bool,
    has_quantile: bool,
    types: &Lookup<'_>,
) -> Shape<'a> {
    if let Some(kind) = types.kind(name) {
        return match kind {
            MetricType::Counter => Shape::Counter,
            MetricType::Summary if has_quantile => Shape::Quantile(name),
            _ => Shape::Gauge,
        };
    }
    if let Some((base, suffix)) = split_suffix(name) {
        match (types.kind(base), suffix) {
            (Some(MetricType::Histogram), "_bucket") if has_le => return Shape::Bucket(base),
            (Some(MetricType::Histogram | MetricType::Summary), "_sum") => return Shape::Sum(base),
            (Some(MetricType::Histogram | MetricType::Summary), "_count") => {
                return Shape::Count(base)
            }
            (Some(MetricType::Counter), _) => return Shape::Counter,
            (Some(_), _) => return Shape::Gauge,
            (None, _) => {}
        }
    }
    if name.ends_with("_total") {
        Shape::Counter
    } else {
        Shape::Gauge
    }
}
