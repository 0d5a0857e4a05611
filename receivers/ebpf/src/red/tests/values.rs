//! Values into buckets: counts, sums, min and max, explicit bounds,
//! exponential scale and offset, durations that cannot be real.

use super::*;

#[test]
fn one_series_gives_the_whole_request_exactly() {
    let mut red = cumulative();
    let app = resource("app");
    red.record(
        1,
        &app,
        RedMetric::HttpServer,
        get("/users/{id}", 200),
        0.02,
    );
    red.record(1, &app, RedMetric::HttpServer, get("/users/{id}", 200), 0.3);
    let request = red.flush(T1).expect("two records to send");

    let mut bucket_counts = vec![0u64; 15];
    bucket_counts[2] = 1; // (0.01, 0.025]
    bucket_counts[7] = 1; // (0.25, 0.5]
    let expected = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(app.as_ref().clone()),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "sonde.receiver.ebpf".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..Default::default()
                }),
                metrics: vec![Metric {
                    name: "http.server.request.duration".to_owned(),
                    description: "Duration of HTTP server requests.".to_owned(),
                    unit: "s".to_owned(),
                    data: Some(metric::Data::Histogram(Histogram {
                        data_points: vec![HistogramDataPoint {
                            attributes: vec![
                                s("http.request.method", "GET"),
                                s("http.route", "/users/{id}"),
                                i("http.response.status_code", 200),
                            ],
                            start_time_unix_nano: START,
                            time_unix_nano: T1,
                            count: 2,
                            sum: Some(0.02 + 0.3),
                            bucket_counts,
                            explicit_bounds: vec![
                                0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5,
                                5.0, 7.5, 10.0,
                            ],
                            min: Some(0.02),
                            max: Some(0.3),
                            ..Default::default()
                        }],
                        aggregation_temporality: CUMULATIVE,
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    assert_eq!(request, expected);
}

#[test]
fn count_sum_min_max_follow_the_records() {
    let mut red = cumulative();
    let app = resource("app");
    let durations = [0.002, 0.01, 0.3, 0.3, 12.0, 0.000_5];
    for duration in durations {
        red.record(1, &app, RedMetric::HttpServer, get("/", 200), duration);
    }
    let request = red.flush(T1).expect("records to send");
    let point = &points(&request, 0, 0)[0];
    assert_eq!(point.count, 6);
    assert_eq!(point.sum, Some(durations.iter().sum::<f64>()));
    assert_eq!(point.min, Some(0.000_5));
    assert_eq!(point.max, Some(12.0));
    assert_eq!(point.bucket_counts.iter().sum::<u64>(), 6);
}

#[test]
fn a_value_on_a_bound_goes_in_the_bucket_that_bound_closes() {
    let mut red = cumulative();
    let app = resource("app");
    let values = [
        (0.0, 0),
        (0.005, 0),
        (0.005_000_1, 1),
        (0.01, 1),
        (0.010_000_1, 2),
        (0.999_9, 9),
        (1.0, 9),
        (1.000_000_1, 10),
        (7.5, 12),
        (10.0, 13),
        (10.000_001, 14),
        (3600.0, 14),
    ];
    let mut expected = vec![0u64; 15];
    for (value, bucket) in values {
        red.record(1, &app, RedMetric::HttpServer, get("/", 200), value);
        expected[bucket] += 1;
    }
    let request = red.flush(T1).expect("records to send");
    let point = &points(&request, 0, 0)[0];
    assert_eq!(point.explicit_bounds, DEFAULT_BOUNDS.to_vec());
    assert_eq!(point.bucket_counts, expected);
    assert_eq!(point.count, values.len() as u64);
}

#[test]
fn custom_bounds_are_used_as_given() {
    let bounds = vec![1.0, 2.0];
    let mut red = aggregator(
        Temporality::Cumulative,
        HistogramKind::Explicit {
            bounds: bounds.clone(),
        },
        DEFAULT_MAX_SERIES,
    );
    let app = resource("app");
    for value in [1.0, 1.5, 2.0, 3.0, 0.5] {
        red.record(1, &app, RedMetric::HttpClient, get("/", 200), value);
    }
    let request = red.flush(T1).expect("records to send");
    let point = &points(&request, 0, 0)[0];
    assert_eq!(point.explicit_bounds, bounds);
    assert_eq!(point.bucket_counts, vec![2, 2, 1]);
}

#[test]
fn exponential_histograms_carry_scale_offset_and_zero_count() {
    let mut red = aggregator(
        Temporality::Cumulative,
        HistogramKind::exponential(),
        DEFAULT_MAX_SERIES,
    );
    let app = resource("app");
    let durations = [0.0, 0.001, 1.0, 10.0, 0.001];
    for duration in durations {
        red.record(1, &app, RedMetric::HttpServer, get("/", 200), duration);
    }
    let request = red.flush(T1).expect("records to send");
    let metric = &metrics(&request, 0)[0];
    assert_eq!(
        (metric.name.as_str(), metric.unit.as_str()),
        ("http.server.request.duration", "s")
    );
    let Some(metric::Data::ExponentialHistogram(histogram)) = &metric.data else {
        panic!("not an exponential histogram: {:?}", metric.data);
    };
    assert_eq!(histogram.aggregation_temporality, CUMULATIVE);
    // 1 ms .. 10 s fits 160 buckets at scale 3 (107 buckets), not at 4 (214).
    let mut bucket_counts = vec![0u64; 107];
    bucket_counts[0] = 2; // 0.001: bucket -80
    bucket_counts[79] = 1; // 1.0: bucket -1
    bucket_counts[106] = 1; // 10.0: bucket 26
    let expected = ExponentialHistogramDataPoint {
        attributes: get("/", 200).to_key_values(),
        start_time_unix_nano: START,
        time_unix_nano: T1,
        count: 5,
        sum: Some(durations.iter().sum::<f64>()),
        scale: 3,
        zero_count: 1,
        positive: Some(Buckets {
            offset: -80,
            bucket_counts,
        }),
        negative: Some(Buckets::default()),
        min: Some(0.0),
        max: Some(10.0),
        zero_threshold: 0.0,
        ..Default::default()
    };
    assert_eq!(histogram.data_points, vec![expected]);
}

#[test]
fn exponential_delta_restarts_at_the_finest_scale() {
    let mut red = aggregator(
        Temporality::Delta,
        HistogramKind::Exponential { max_size: 160 },
        DEFAULT_MAX_SERIES,
    );
    let app = resource("app");
    red.record(1, &app, RedMetric::HttpServer, get("/", 200), 0.001);
    red.record(1, &app, RedMetric::HttpServer, get("/", 200), 10.0);
    let first = red.flush(T1).expect("records to send");
    red.record(1, &app, RedMetric::HttpServer, get("/", 200), 1.5);
    let second = red.flush(T2).expect("a record to send");
    let point = |request: &ExportMetricsServiceRequest| match &metrics(request, 0)[0].data {
        Some(metric::Data::ExponentialHistogram(h)) => {
            assert_eq!(h.aggregation_temporality, DELTA);
            h.data_points[0].clone()
        }
        other => panic!("not an exponential histogram: {other:?}"),
    };
    assert_eq!(point(&first).scale, 3);
    let second = point(&second);
    assert_eq!(
        (second.scale, second.count, second.start_time_unix_nano),
        (20, 1, T1)
    );
    assert_eq!(
        second.positive,
        Some(Buckets {
            offset: 613_377,
            bucket_counts: vec![1]
        })
    );
}

#[test]
fn impossible_durations_are_still_counted() {
    let mut red = cumulative();
    let app = resource("app");
    for duration in [-0.5, f64::NAN, -0.0, f64::INFINITY] {
        red.record(1, &app, RedMetric::HttpServer, get("/", 200), duration);
    }
    let request = red.flush(T1).expect("records to send");
    let point = &points(&request, 0, 0)[0];
    assert_eq!(point.count, 4);
    assert_eq!(
        (point.min, point.max, point.sum),
        (Some(0.0), Some(f64::MAX), Some(f64::MAX))
    );
    assert_eq!((point.bucket_counts[0], point.bucket_counts[14]), (3, 1));
}

#[test]
fn counts_equal_the_number_of_records() {
    for histogram in [HistogramKind::default(), HistogramKind::exponential()] {
        let mut red = aggregator(Temporality::Cumulative, histogram.clone(), 50);
        let resources = [resource("a"), resource("b"), resource("c")];
        let mut state: u64 = 42;
        for n in 0..10_000u64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let key = (state >> 60) % 3;
            let side = if state & 1 == 0 {
                RedMetric::HttpServer
            } else {
                RedMetric::HttpClient
            };
            let route = format!("/r{}", (state >> 20) % 80);
            let duration = ((state >> 30) % 5_000_000) as f64 * 1e-6;
            red.record(
                key,
                &resources[key as usize],
                side,
                get(&route, 200 + (n % 3) as u16),
                duration,
            );
        }
        let request = red.flush(T1).expect("records to send");
        let mut total = 0;
        for resource_metrics in &request.resource_metrics {
            for metric in &resource_metrics.scope_metrics[0].metrics {
                let counts: Vec<(u64, u64)> = match &metric.data {
                    Some(metric::Data::Histogram(h)) => {
                        assert!(h.data_points.len() <= 50);
                        h.data_points
                            .iter()
                            .map(|p| (p.count, p.bucket_counts.iter().sum()))
                            .collect()
                    }
                    Some(metric::Data::ExponentialHistogram(h)) => {
                        assert!(h.data_points.len() <= 50);
                        h.data_points
                            .iter()
                            .map(|p| {
                                let positive = p
                                    .positive
                                    .as_ref()
                                    .map_or(0, |b| b.bucket_counts.iter().sum());
                                assert!(
                                    p.positive.as_ref().map_or(0, |b| b.bucket_counts.len()) <= 160
                                );
                                (p.count, positive + p.zero_count)
                            })
                            .collect()
                    }
                    other => panic!("not a histogram: {other:?}"),
                };
                for (count, in_buckets) in counts {
                    assert_eq!(count, in_buckets, "{histogram:?}");
                    total += count;
                }
            }
        }
        assert_eq!(total, 10_000, "{histogram:?}");
    }
}
