//! Counting and splitting of the nested OTLP structure, written once for every signal.
//!
//! Each level (resource, scope, item list) is [`Splittable`]: it knows how many leaf
//! items it holds and how to cut its first `n` away, copying its own header.

use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, Metric, ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

pub(crate) trait Splittable: Sized {
    fn count(&self) -> usize;
    /// Cuts the first `n` items away; only called with `0 < n < self.count()`.
    fn split_front(&mut self, n: usize) -> Self;
}

impl<T: Splittable> Splittable for Vec<T> {
    fn count(&self) -> usize {
        self.iter().map(Splittable::count).sum()
    }
    fn split_front(&mut self, n: usize) -> Self {
        split_vec(self, n)
    }
}

/// Moves whole elements while they fit in `n`, then cuts the next one in two.
pub(crate) fn split_vec<T: Splittable>(items: &mut Vec<T>, n: usize) -> Vec<T> {
    let mut left = n;
    let mut whole = 0;
    let mut partial = None;
    for item in items.iter_mut() {
        if left == 0 {
            break;
        }
        let c = item.count();
        if c <= left {
            left -= c;
            whole += 1;
        } else {
            partial = Some(item.split_front(left));
            break;
        }
    }
    let mut out: Vec<T> = items.drain(..whole).collect();
    out.extend(partial);
    out
}

/// A leaf counts as one item; it is never cut.
macro_rules! leaf {
    ($($t:ty),*) => {$(
        impl Splittable for $t {
            fn count(&self) -> usize { 1 }
            fn split_front(&mut self, _n: usize) -> Self { std::mem::take(self) }
        }
    )*};
}
leaf!(Span, LogRecord);

/// A level with a header that is copied and one list of children that is cut.
macro_rules! level {
    ($t:ty, $children:ident, { $($copy:ident),* }) => {
        impl Splittable for $t {
            fn count(&self) -> usize { self.$children.count() }
            fn split_front(&mut self, n: usize) -> Self {
                Self { $($copy: self.$copy.clone(),)* $children: split_vec(&mut self.$children, n) }
            }
        }
    };
}
level!(ResourceSpans, scope_spans, { resource, schema_url });
level!(ScopeSpans, spans, { scope, schema_url });
level!(ResourceLogs, scope_logs, { resource, schema_url });
level!(ScopeLogs, log_records, { scope, schema_url });
level!(ResourceMetrics, scope_metrics, { resource, schema_url });
level!(ScopeMetrics, metrics, { scope, schema_url });

/// A metric counts its data points; cutting it copies name, unit and aggregation.
impl Splittable for Metric {
    fn count(&self) -> usize {
        match &self.data {
            None => 0,
            Some(Data::Gauge(g)) => g.data_points.len(),
            Some(Data::Sum(s)) => s.data_points.len(),
            Some(Data::Histogram(h)) => h.data_points.len(),
            Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(Data::Summary(s)) => s.data_points.len(),
        }
    }

    fn split_front(&mut self, n: usize) -> Self {
        fn front<T>(points: &mut Vec<T>, n: usize) -> Vec<T> {
            points.drain(..n.min(points.len())).collect()
        }
        let data = self.data.as_mut().map(|data| match data {
            Data::Gauge(g) => Data::Gauge(opentelemetry_proto::tonic::metrics::v1::Gauge {
                data_points: front(&mut g.data_points, n),
            }),
            Data::Sum(s) => Data::Sum(opentelemetry_proto::tonic::metrics::v1::Sum {
                data_points: front(&mut s.data_points, n),
                aggregation_temporality: s.aggregation_temporality,
                is_monotonic: s.is_monotonic,
            }),
            Data::Histogram(h) => {
                Data::Histogram(opentelemetry_proto::tonic::metrics::v1::Histogram {
                    data_points: front(&mut h.data_points, n),
                    aggregation_temporality: h.aggregation_temporality,
                })
            }
            Data::ExponentialHistogram(h) => Data::ExponentialHistogram(
                opentelemetry_proto::tonic::metrics::v1::ExponentialHistogram {
                    data_points: front(&mut h.data_points, n),
                    aggregation_temporality: h.aggregation_temporality,
                },
            ),
            Data::Summary(s) => Data::Summary(opentelemetry_proto::tonic::metrics::v1::Summary {
                data_points: front(&mut s.data_points, n),
            }),
        });
        Metric {
            name: self.name.clone(),
            description: self.description.clone(),
            unit: self.unit.clone(),
            metadata: self.metadata.clone(),
            data,
        }
    }
}
