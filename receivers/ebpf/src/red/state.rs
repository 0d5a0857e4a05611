//! What the aggregator keeps per resource: its `Resource`, and per metric the
//! series by attribute set plus the overflow series.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use sonde_api::pdata::resource::v1::Resource;

use super::attributes::{RedAttributes, RedMetric};
use super::config::HistogramKind;
use super::series::Series;

pub(super) struct ResourceState {
    pub(super) resource: Arc<Resource>,
    /// Indexed by [`RedMetric::index`].
    pub(super) metrics: [MetricSeries; RedMetric::ALL.len()],
    /// Recorded since the last flush.
    pub(super) dirty: bool,
    /// The process is gone: forget it once the next flush has sent it.
    pub(super) retired: bool,
}

#[derive(Default)]
pub(super) struct MetricSeries {
    pub(super) series: HashMap<RedAttributes, Series>,
    /// Every attribute set that came after the limit was reached.
    pub(super) overflow: Option<Series>,
}

impl ResourceState {
    pub(super) fn new(resource: &Arc<Resource>) -> Self {
        Self {
            resource: Arc::clone(resource),
            metrics: Default::default(),
            dirty: false,
            retired: false,
        }
    }

    pub(super) fn series_count(&self) -> usize {
        self.metrics.iter().map(MetricSeries::len).sum()
    }

    /// Drops every series; the maps keep their capacity for the next interval.
    pub(super) fn clear(&mut self) {
        for metric in &mut self.metrics {
            metric.series.clear();
            metric.overflow = None;
        }
    }
}

impl MetricSeries {
    /// The series of `attributes`, made if new: its own while fewer than
    /// `limit - 1` exist, else the overflow series. Hashes `attributes` once
    /// and allocates only for a new series.
    pub(super) fn series_for(
        &mut self,
        attributes: RedAttributes,
        limit: usize,
        kind: &HistogramKind,
        start_unix_nano: u64,
    ) -> &mut Series {
        // The overflow series counts towards the limit, as in the SDKs.
        let has_room = self.series.len() + 1 < limit;
        match self.series.entry(attributes) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) if has_room => entry.insert(Series::new(kind, start_unix_nano)),
            Entry::Vacant(_) => self
                .overflow
                .get_or_insert_with(|| Series::new(kind, start_unix_nano)),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.series.len() + usize::from(self.overflow.is_some())
    }
}
