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

#[cfg(test)]
mod tests {
    use crate::pdata::{
        metrics::v1 as m, trace::v1 as t, ExportMetricsServiceRequest, ExportTraceServiceRequest,
        Payload,
    };

    fn traces(shape: &[&[usize]]) -> Payload {
        // shape[r][s] = number of spans in scope s of resource r; span names say where they came from.
        Payload::Traces(ExportTraceServiceRequest {
            resource_spans: shape
                .iter()
                .enumerate()
                .map(|(r, scopes)| t::ResourceSpans {
                    schema_url: format!("r{r}"),
                    scope_spans: scopes
                        .iter()
                        .enumerate()
                        .map(|(s, n)| t::ScopeSpans {
                            schema_url: format!("s{s}"),
                            spans: (0..*n)
                                .map(|i| t::Span {
                                    name: format!("{r}.{s}.{i}"),
                                    ..Default::default()
                                })
                                .collect(),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                })
                .collect(),
        })
    }

    fn layout(p: &Payload) -> Vec<(String, String, Vec<String>)> {
        let Payload::Traces(r) = p else { panic!() };
        r.resource_spans
            .iter()
            .flat_map(|rs| {
                rs.scope_spans.iter().map(move |ss| {
                    (
                        rs.schema_url.clone(),
                        ss.schema_url.clone(),
                        ss.spans.iter().map(|s| s.name.clone()).collect(),
                    )
                })
            })
            .collect()
    }

    #[test]
    fn splits_spans_across_resources_and_scopes() {
        let mut p = traces(&[&[2, 3], &[4]]);
        assert_eq!(p.item_count(), 9);
        let front = p.split_front(3);
        assert_eq!(
            layout(&front),
            vec![
                (
                    "r0".into(),
                    "s0".into(),
                    vec!["0.0.0".into(), "0.0.1".into()]
                ),
                ("r0".into(), "s1".into(), vec!["0.1.0".into()])
            ]
        );
        assert_eq!(
            layout(&p),
            vec![
                (
                    "r0".into(),
                    "s1".into(),
                    vec!["0.1.1".into(), "0.1.2".into()]
                ),
                (
                    "r1".into(),
                    "s0".into(),
                    (0..4).map(|i| format!("1.0.{i}")).collect()
                ),
            ]
        );
        let rest = p.split_front(100);
        assert_eq!(rest.item_count(), 6);
        assert!(p.is_empty());
    }

    #[test]
    fn splits_metric_data_points_keeping_the_metric_header() {
        let sum = m::Metric {
            name: "requests".into(),
            unit: "1".into(),
            data: Some(m::metric::Data::Sum(m::Sum {
                data_points: (0..5)
                    .map(|i| m::NumberDataPoint {
                        time_unix_nano: i,
                        ..Default::default()
                    })
                    .collect(),
                aggregation_temporality: 2,
                is_monotonic: true,
            })),
            ..Default::default()
        };
        let mut p = Payload::Metrics(ExportMetricsServiceRequest {
            resource_metrics: vec![m::ResourceMetrics {
                scope_metrics: vec![m::ScopeMetrics {
                    metrics: vec![sum],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        });
        let front = p.split_front(2);
        let (Payload::Metrics(f), Payload::Metrics(b)) = (&front, &p) else {
            panic!()
        };
        let fm = &f.resource_metrics[0].scope_metrics[0].metrics[0];
        let bm = &b.resource_metrics[0].scope_metrics[0].metrics[0];
        assert_eq!((fm.name.as_str(), fm.unit.as_str()), ("requests", "1"));
        let (Some(m::metric::Data::Sum(fs)), Some(m::metric::Data::Sum(bs))) = (&fm.data, &bm.data)
        else {
            panic!()
        };
        assert_eq!(
            fs.data_points
                .iter()
                .map(|d| d.time_unix_nano)
                .collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(
            bs.data_points
                .iter()
                .map(|d| d.time_unix_nano)
                .collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!((fs.aggregation_temporality, fs.is_monotonic), (2, true));
        assert_eq!((front.item_count(), p.item_count()), (2, 3));
    }

    #[test]
    fn merge_refuses_another_signal() {
        let mut a = traces(&[&[1]]);
        assert!(a.merge(traces(&[&[2]])).is_ok());
        assert_eq!(a.item_count(), 3);
        let logs = Payload::empty(crate::pdata::Signal::Logs);
        assert_eq!(a.merge(logs.clone()), Err(logs));
    }
}
