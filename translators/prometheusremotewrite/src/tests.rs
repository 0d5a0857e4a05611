use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, Metric, ResourceMetrics};

use super::*;
use crate::proto::{Label, MetricMetadata, Sample, TimeSeries};

fn series(labels: &[(&str, &str)], samples: &[(f64, i64)]) -> TimeSeries {
    TimeSeries {
        labels: labels
            .iter()
            .map(|(n, v)| Label {
                name: n.to_string(),
                value: v.to_string(),
            })
            .collect(),
        samples: samples
            .iter()
            .map(|&(value, timestamp)| Sample { value, timestamp })
            .collect(),
        histograms: Vec::new(),
    }
}

fn meta(name: &str, kind: MetricType, help: &str, unit: &str) -> MetricMetadata {
    MetricMetadata {
        r#type: kind as i32,
        metric_family_name: name.into(),
        help: help.into(),
        unit: unit.into(),
    }
}

fn run(timeseries: Vec<TimeSeries>, metadata: Vec<MetricMetadata>) -> Translated {
    let body = encode(&WriteRequest {
        timeseries,
        metadata,
    });
    translate(&body, &Options::default()).unwrap()
}

fn resource_attrs(rm: &ResourceMetrics) -> Vec<(String, String)> {
    kvs(&rm.resource.as_ref().unwrap().attributes)
}

fn kvs(attrs: &[opentelemetry_proto::tonic::common::v1::KeyValue]) -> Vec<(String, String)> {
    attrs
        .iter()
        .map(|kv| {
            let Some(any_value::Value::StringValue(v)) =
                kv.value.as_ref().and_then(|v| v.value.clone())
            else {
                panic!("{} is not a string", kv.key);
            };
            (kv.key.clone(), v)
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn metrics(t: &Translated) -> Vec<&Metric> {
    t.request
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .collect()
}

fn find<'a>(t: &'a Translated, name: &str) -> &'a Metric {
    metrics(t)
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// (attributes, time, value) of one number data point.
type Point = (Vec<(String, String)>, u64, f64);

/// (kind, monotonic, points) of a gauge or sum.
fn numbers(m: &Metric) -> (&'static str, bool, Vec<Point>) {
    let (kind, monotonic, points) = match &m.data {
        Some(metric::Data::Gauge(g)) => ("gauge", false, &g.data_points),
        Some(metric::Data::Sum(s)) => {
            assert_eq!(s.aggregation_temporality, 2, "cumulative");
            ("sum", s.is_monotonic, &s.data_points)
        }
        other => panic!("{} is {other:?}", m.name),
    };
    let points = points
        .iter()
        .map(|p| {
            let Some(number_data_point::Value::AsDouble(v)) = p.value else {
                panic!("not a double");
            };
            (kvs(&p.attributes), p.time_unix_nano, v)
        })
        .collect();
    (kind, monotonic, points)
}

const JOB: (&str, &str) = ("job", "api");
const INSTANCE: (&str, &str) = ("instance", "10.0.0.1:9100");

#[test]
fn counters_and_gauges() {
    let out = run(
        vec![
            series(
                &[
                    ("__name__", "http_requests_total"),
                    ("code", "200"),
                    INSTANCE,
                    JOB,
                ],
                &[(41.0, 1_700_000_000_123), (42.0, 1_700_000_001_123)],
            ),
            series(
                &[("__name__", "room_temp"), INSTANCE, JOB, ("room", "a")],
                &[(21.5, 1_700_000_000_123)],
            ),
            series(
                &[("__name__", "room_temp"), INSTANCE, JOB, ("room", "b")],
                &[(-3.25, 1_700_000_000_123)],
            ),
        ],
        vec![],
    );
    assert_eq!(out.data_points, 4);
    assert_eq!(out.request.resource_metrics.len(), 1);
    let rm = &out.request.resource_metrics[0];
    assert_eq!(
        resource_attrs(rm),
        pairs(&[
            ("service.name", "api"),
            ("service.instance.id", "10.0.0.1:9100")
        ])
    );
    let scope = rm.scope_metrics[0].scope.as_ref().unwrap();
    assert_eq!(scope.name, DEFAULT_SCOPE_NAME);
    assert_eq!(
        numbers(find(&out, "http_requests_total")),
        (
            "sum",
            true,
            vec![
                (pairs(&[("code", "200")]), 1_700_000_000_123_000_000, 41.0),
                (pairs(&[("code", "200")]), 1_700_000_001_123_000_000, 42.0),
            ]
        )
    );
    assert_eq!(
        numbers(find(&out, "room_temp")),
        (
            "gauge",
            false,
            vec![
                (pairs(&[("room", "a")]), 1_700_000_000_123_000_000, 21.5),
                (pairs(&[("room", "b")]), 1_700_000_000_123_000_000, -3.25),
            ]
        )
    );
}

fn with<'a>(
    name: &'a str,
    extra: &[(&'a str, &'a str)],
    more: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut labels = vec![("__name__", name), JOB, INSTANCE];
    labels.extend_from_slice(extra);
    labels.extend_from_slice(more);
    labels
}

fn histogram_series(extra: &[(&str, &str)], t: i64) -> Vec<TimeSeries> {
    vec![
        // Out of order on purpose: buckets are sorted by their bound.
        series(
            &with("rpc_seconds_bucket", extra, &[("le", "+Inf")]),
            &[(7.0, t)],
        ),
        series(
            &with("rpc_seconds_bucket", extra, &[("le", "0.1")]),
            &[(2.0, t)],
        ),
        series(
            &with("rpc_seconds_bucket", extra, &[("le", "0.5")]),
            &[(5.0, t)],
        ),
        series(&with("rpc_seconds_sum", extra, &[]), &[(1.75, t)]),
        series(&with("rpc_seconds_count", extra, &[]), &[(7.0, t)]),
    ]
}

#[test]
fn a_whole_histogram_is_one_data_point() {
    let out = run(histogram_series(&[("path", "/x")], 5_000), vec![]);
    assert_eq!(out.data_points, 1);
    assert_eq!(metrics(&out).len(), 1);
    let Some(metric::Data::Histogram(h)) = &find(&out, "rpc_seconds").data else {
        panic!("not a histogram");
    };
    assert_eq!(h.aggregation_temporality, 2);
    assert_eq!(h.data_points.len(), 1);
    let p = &h.data_points[0];
    assert_eq!(kvs(&p.attributes), pairs(&[("path", "/x")]));
    assert_eq!(p.time_unix_nano, 5_000_000_000);
    assert_eq!(p.explicit_bounds, vec![0.1, 0.5]);
    assert_eq!(p.bucket_counts, vec![2, 3, 2]);
    assert_eq!(p.count, 7);
    assert_eq!(p.sum, Some(1.75));
    assert_eq!(
        out.learned,
        vec![(
            "rpc_seconds".to_string(),
            Family {
                kind: MetricType::Histogram,
                help: String::new(),
                unit: String::new(),
                declared: false
            }
        )]
    );
}

#[test]
fn histograms_with_other_labels_or_times_stay_apart() {
    let mut all = histogram_series(&[("path", "/x")], 5_000);
    all.extend(histogram_series(&[("path", "/y")], 5_000));
    all.extend(histogram_series(&[("path", "/x")], 6_000));
    let out = run(all, vec![]);
    let Some(metric::Data::Histogram(h)) = &find(&out, "rpc_seconds").data else {
        panic!("not a histogram");
    };
    let seen: Vec<_> = h
        .data_points
        .iter()
        .map(|p| (kvs(&p.attributes), p.time_unix_nano, p.count))
        .collect();
    assert_eq!(
        seen,
        vec![
            (pairs(&[("path", "/x")]), 5_000_000_000, 7),
            (pairs(&[("path", "/y")]), 5_000_000_000, 7),
            (pairs(&[("path", "/x")]), 6_000_000_000, 7),
        ]
    );
}

#[test]
fn an_incomplete_histogram_arrives_as_its_parts() {
    // No _sum: Prometheus cut the scrape across two requests.
    let mut parts = histogram_series(&[], 5_000);
    parts.retain(|s| !s.labels.iter().any(|l| l.value == "rpc_seconds_sum"));
    let out = run(parts, vec![]);
    assert_eq!(out.data_points, 4);
    assert_eq!(
        numbers(find(&out, "rpc_seconds_bucket")),
        (
            "sum",
            true,
            vec![
                (pairs(&[("le", "+Inf")]), 5_000_000_000, 7.0),
                (pairs(&[("le", "0.1")]), 5_000_000_000, 2.0),
                (pairs(&[("le", "0.5")]), 5_000_000_000, 5.0),
            ]
        )
    );
    assert_eq!(
        numbers(find(&out, "rpc_seconds_count")),
        ("sum", true, vec![(vec![], 5_000_000_000, 7.0)])
    );
}

#[test]
fn a_summary_is_one_data_point() {
    let t = 9_000;
    let out = run(
        vec![
            series(
                &[("__name__", "gc_seconds"), JOB, ("quantile", "0.9")],
                &[(0.7, t)],
            ),
            series(
                &[("__name__", "gc_seconds"), JOB, ("quantile", "0.5")],
                &[(0.2, t)],
            ),
            series(&[("__name__", "gc_seconds_sum"), JOB], &[(3.5, t)]),
            series(&[("__name__", "gc_seconds_count"), JOB], &[(10.0, t)]),
        ],
        vec![],
    );
    assert_eq!(out.data_points, 1);
    let Some(metric::Data::Summary(s)) = &find(&out, "gc_seconds").data else {
        panic!("not a summary");
    };
    let p = &s.data_points[0];
    assert_eq!(p.time_unix_nano, 9_000_000_000);
    assert_eq!(p.count, 10);
    assert_eq!(p.sum, 3.5);
    let q: Vec<(f64, f64)> = p
        .quantile_values
        .iter()
        .map(|q| (q.quantile, q.value))
        .collect();
    assert_eq!(q, vec![(0.5, 0.2), (0.9, 0.7)]);
    assert!(p.attributes.is_empty());
}

#[test]
fn one_resource_per_job_and_instance() {
    let out = run(
        vec![
            series(
                &[
                    ("__name__", "up"),
                    ("job", "shop/cart"),
                    ("instance", "a:1"),
                ],
                &[(1.0, 1)],
            ),
            series(
                &[("__name__", "up"), ("job", "a/b/c"), ("instance", "b:2")],
                &[(1.0, 1)],
            ),
            series(
                &[
                    ("__name__", "up"),
                    ("job", "shop/cart"),
                    ("instance", "a:1"),
                ],
                &[(0.0, 2)],
            ),
            series(&[("__name__", "up")], &[(1.0, 1)]),
        ],
        vec![],
    );
    let resources: Vec<_> = out
        .request
        .resource_metrics
        .iter()
        .map(|rm| {
            (
                resource_attrs(rm),
                numbers(&rm.scope_metrics[0].metrics[0]).2.len(),
            )
        })
        .collect();
    assert_eq!(
        resources,
        vec![
            (
                pairs(&[
                    ("service.namespace", "shop"),
                    ("service.name", "cart"),
                    ("service.instance.id", "a:1")
                ]),
                2
            ),
            (
                pairs(&[("service.name", "a/b/c"), ("service.instance.id", "b:2")]),
                1
            ),
            (vec![], 1),
        ]
    );
}

#[test]
fn staleness_markers_are_dropped_and_counted() {
    let stale = f64::from_bits(STALE_NAN_BITS);
    let out = run(
        vec![
            series(
                &[("__name__", "g"), JOB],
                &[(stale, 1), (f64::NAN, 2), (3.0, 3)],
            ),
            series(&[("__name__", "gone_total"), JOB], &[(stale, 1)]),
        ],
        vec![],
    );
    assert_eq!(out.dropped_stale, 2);
    assert_eq!(out.data_points, 2);
    assert_eq!(
        metrics(&out).len(),
        1,
        "a series with only markers makes no metric"
    );
    let (_, _, points) = numbers(find(&out, "g"));
    assert_eq!(points.len(), 2);
    assert!(points[0].2.is_nan(), "an ordinary NaN is a value");
    assert_eq!(points[0].1, 2_000_000);
    assert_eq!(points[1].2, 3.0);
}

#[test]
fn old_samples_and_native_histograms_are_counted() {
    let mut native = series(&[("__name__", "h"), JOB], &[]);
    native.histograms = vec![vec![0x08, 0x01], vec![]];
    let body = encode(&WriteRequest {
        timeseries: vec![
            series(&[("__name__", "g"), JOB], &[(1.0, 100), (2.0, 200)]),
            native,
        ],
        metadata: vec![],
    });
    let options = Options {
        oldest_ms: Some(150),
        ..Options::default()
    };
    let out = translate(&body, &options).unwrap();
    assert_eq!(
        (
            out.data_points,
            out.dropped_too_old,
            out.dropped_native_histograms
        ),
        (1, 1, 2)
    );
}

#[test]
fn metadata_types_series_and_is_remembered() {
    // Metadata alone, as Prometheus sends it: nothing to deliver, types to keep.
    let only_metadata = run(
        vec![],
        vec![
            meta("requests", MetricType::Counter, "Requests served.", ""),
            meta("queue_total", MetricType::Gauge, "Not a counter.", "items"),
            meta("latency", MetricType::Summary, "", "seconds"),
        ],
    );
    assert_eq!(only_metadata.data_points, 0);
    assert!(only_metadata.request.resource_metrics.is_empty());
    let mut known = FamilyTypes::default();
    known.remember_all(only_metadata.learned);
    assert_eq!(known.len(), 3);

    let body = encode(&WriteRequest {
        timeseries: vec![
            series(&[("__name__", "requests"), JOB], &[(5.0, 1)]),
            series(&[("__name__", "queue_total"), JOB], &[(2.0, 1)]),
            // A summary without quantiles is still a summary, by its metadata.
            series(&[("__name__", "latency_sum"), JOB], &[(1.5, 1)]),
            series(&[("__name__", "latency_count"), JOB], &[(3.0, 1)]),
        ],
        metadata: vec![],
    });
    let options = Options {
        known: Some(&known),
        ..Options::default()
    };
    let out = translate(&body, &options).unwrap();
    let requests = find(&out, "requests");
    assert_eq!(requests.description, "Requests served.");
    assert_eq!(numbers(requests).0, "sum");
    let queue = find(&out, "queue_total");
    assert_eq!((numbers(queue).0, queue.unit.as_str()), ("gauge", "items"));
    let latency = find(&out, "latency");
    let Some(metric::Data::Summary(s)) = &latency.data else {
        panic!("not a summary");
    };
    assert_eq!((s.data_points[0].count, s.data_points[0].sum), (3, 1.5));
    assert_eq!(latency.unit, "seconds");

    // Without the metadata the same series are typed by name.
    let out = translate(&body, &Options::default()).unwrap();
    assert_eq!(numbers(find(&out, "requests")).0, "gauge");
    assert_eq!(numbers(find(&out, "queue_total")).0, "sum");
    assert_eq!(numbers(find(&out, "latency_sum")).0, "gauge");
}

#[test]
fn an_unknown_type_leaves_the_shape_to_the_series() {
    let mut parts = histogram_series(&[], 5_000);
    parts.push(series(&[("__name__", "jobs_total"), JOB], &[(4.0, 5_000)]));
    let out = run(
        parts,
        vec![
            meta("rpc_seconds", MetricType::Unknown, "Latency.", ""),
            meta("jobs_total", MetricType::Unknown, "", ""),
        ],
    );
    let rpc = find(&out, "rpc_seconds");
    assert!(matches!(rpc.data, Some(metric::Data::Histogram(_))));
    assert_eq!(rpc.description, "Latency.");
    assert_eq!(numbers(find(&out, "jobs_total")).0, "sum");
}

fn error_of(timeseries: Vec<TimeSeries>) -> String {
    let body = encode(&WriteRequest {
        timeseries,
        metadata: vec![],
    });
    translate(&body, &Options::default())
        .unwrap_err()
        .to_string()
}

#[test]
fn every_error_says_what_and_which_series() {
    assert_eq!(
        translate(b"hello world", &Options::default())
            .unwrap_err()
            .to_string(),
        "body is not snappy-compressed (block format): snappy: corrupt input \
         (expected valid offset but got offset 876; dst position: 0)"
    );
    let big = encode(&WriteRequest {
        timeseries: vec![series(&[("__name__", "g")], &[(1.0, 1)])],
        metadata: vec![],
    });
    let small = Options {
        max_decoded_bytes: 10,
        ..Options::default()
    };
    let err = translate(&big, &small).unwrap_err();
    assert!(err.is_too_large());
    assert_eq!(
        err.to_string(),
        "body is 30 bytes after snappy decompression, more than the limit of 10"
    );
    let garbage = snap::raw::Encoder::new()
        .compress_vec(&[0xff, 0xff, 0xff])
        .unwrap();
    assert_eq!(
        translate(&garbage, &Options::default())
            .unwrap_err()
            .to_string(),
        "body is not a protobuf prometheus.WriteRequest: failed to decode Protobuf message: invalid varint"
    );
    assert_eq!(
        error_of(vec![
            series(&[("__name__", "ok")], &[(1.0, 1)]),
            series(&[JOB, ("instance", "h:1")], &[(1.0, 1)]),
        ]),
        r#"series 1 {job="api", instance="h:1"} has no __name__ label"#
    );
    assert_eq!(
        error_of(vec![series(&[("__name__", "g"), JOB, ("job", "b")], &[])]),
        r#"series 0 g{job="api", job="b"} has the label "job" twice"#
    );
    assert_eq!(
        error_of(vec![series(
            &[("__name__", "h_bucket"), ("le", "big")],
            &[(1.0, 1)]
        )]),
        r#"series 0 h_bucket{le="big"}: le "big" is not a number"#
    );
    assert_eq!(
        error_of(vec![series(
            &[("__name__", "s"), ("quantile", "NaN")],
            &[(1.0, 1)]
        )]),
        r#"series 0 s{quantile="NaN"}: quantile "NaN" is not a number"#
    );
    let long = "v".repeat(500);
    let message = error_of(vec![series(&[("a", &long)], &[])]);
    assert_eq!(
        message.chars().count(),
        "series 0  has no __name__ label".len() + 201
    );
}

#[test]
fn no_input_makes_it_panic() {
    // Every truncation of a valid body, and bytes from a fixed pseudo-random stream,
    // raw and snappy-compressed: an error or a result, never a panic.
    let mut all = histogram_series(&[("path", "/x")], 5_000);
    all.push(series(
        &[("__name__", "g"), ("z", "1"), ("a", "2")],
        &[(1.0, 1)],
    ));
    let body = encode(&WriteRequest {
        timeseries: all,
        metadata: vec![meta("g", MetricType::Gauge, "help", "")],
    });
    for end in 0..body.len() {
        let _ = translate(&body[..end], &Options::default());
    }
    let raw = snap::raw::Decoder::new().decompress_vec(&body).unwrap();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..2_000 {
        let mut bytes = raw.clone();
        for _ in 0..(round % 8 + 1) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state as usize) % bytes.len();
            bytes[at] = (state >> 32) as u8;
        }
        let compressed = snap::raw::Encoder::new().compress_vec(&bytes).unwrap();
        let _ = translate(&compressed, &Options::default());
        let _ = translate(&bytes, &Options::default());
    }
}

#[test]
fn unsorted_labels_are_checked_for_repeats() {
    assert_eq!(
        error_of(vec![series(
            &[("b", "1"), ("__name__", "g"), ("b", "2")],
            &[]
        )]),
        r#"series 0 g{b="1", b="2"} has the label "b" twice"#
    );
    let many: Vec<(String, String)> = (0..50_000)
        .map(|i| (format!("l{i:05}"), "v".to_string()))
        .collect();
    let mut labels: Vec<(&str, &str)> =
        many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    labels.push(("__name__", "wide"));
    let out = run(vec![series(&labels, &[(1.0, 1)])], vec![]);
    assert_eq!(out.data_points, 1);
}

#[test]
fn a_session_remembers_what_metadata_taught() {
    let families = SharedFamilies::new(10);
    // Metadata alone (Prometheus sends it in requests of its own): no data point.
    let taught = families
        .translate(
            &encode(&WriteRequest {
                timeseries: vec![],
                metadata: vec![meta("jobs_done", MetricType::Counter, "", "")],
            }),
            Options::default(),
        )
        .unwrap();
    assert_eq!(taught.data_points, 0);
    assert_eq!(families.len(), 1);
    // A later series of that family, without the `_total` suffix, is a counter.
    let later = families
        .translate(
            &encode(&WriteRequest {
                timeseries: vec![series(
                    &[("__name__", "jobs_done"), ("job", "j")],
                    &[(3.0, 5)],
                )],
                metadata: vec![],
            }),
            Options::default(),
        )
        .unwrap();
    assert_eq!(numbers(find(&later, "jobs_done")).0, "sum");
    assert_eq!(
        later.dropped(),
        [("stale_marker", 0), ("too_old", 0), ("native_histogram", 0)]
    );
}

#[test]
fn remote_write_headers() {
    let ok = check_headers(Some("application/x-protobuf"), Some("snappy"));
    assert_eq!(ok, Ok(()));
    assert_eq!(
        check_headers(Some("application/x-protobuf;proto=io.prometheus.write.v2.Request"), Some("snappy")),
        Err("unsupported remote-write message \"io.prometheus.write.v2.Request\": this receiver takes remote-write 1.0 (prometheus.WriteRequest)".into())
    );
    assert_eq!(
        check_headers(Some("text/plain"), Some("snappy")),
        Err(
            "unsupported Content-Type \"text/plain\": remote-write is application/x-protobuf"
                .into()
        )
    );
    assert_eq!(
        check_headers(Some("application/x-protobuf"), None),
        Err("Content-Encoding is required: snappy".into())
    );
    assert_eq!(
        check_headers(None, Some("snappy")),
        Err("Content-Type is required: application/x-protobuf".into())
    );
}
