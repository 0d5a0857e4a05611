//! Config defaults, validation messages and repair.

use super::*;

#[test]
fn config_defaults_are_the_sdk_and_semconv_ones() {
    let config = RedConfig::default();
    assert_eq!(config.temporality, Temporality::Cumulative);
    assert_eq!(
        config.histogram,
        HistogramKind::Explicit {
            bounds: vec![
                0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0
            ]
        }
    );
    assert_eq!(config.max_series_per_resource, 2000);
    assert_eq!(
        HistogramKind::exponential(),
        HistogramKind::Exponential { max_size: 160 }
    );
    assert_eq!(config.validate(), Ok(()));
}

#[test]
fn invalid_configs_are_named_and_repaired() {
    let with = |histogram, limit| RedConfig {
        temporality: Temporality::Delta,
        histogram,
        max_series_per_resource: limit,
    };
    let cases = [
        (
            with(
                HistogramKind::Explicit {
                    bounds: vec![0.1, f64::NAN],
                },
                10,
            ),
            "histogram bounds must be finite numbers; NaN is not",
        ),
        (
            with(
                HistogramKind::Explicit {
                    bounds: vec![0.1, 0.5, 0.5],
                },
                10,
            ),
            "histogram bounds must be strictly increasing; 0.5 follows 0.5",
        ),
        (
            with(
                HistogramKind::Explicit {
                    bounds: vec![1.0, 0.1],
                },
                10,
            ),
            "histogram bounds must be strictly increasing; 0.1 follows 1",
        ),
        (
            with(HistogramKind::Exponential { max_size: 1 }, 10),
            "exponential histogram max_size 1 is too small: it must be at least 2",
        ),
        (
            with(HistogramKind::default(), 0),
            "max_series_per_resource must be at least 1",
        ),
    ];
    for (config, message) in cases {
        let error = config.validate().expect_err(message);
        assert_eq!(error.to_string(), message);
        assert_eq!(config.clone().normalized().validate(), Ok(()), "{message}");
    }
    let repaired = with(
        HistogramKind::Explicit {
            bounds: vec![1.0, f64::INFINITY, 0.1, 1.0],
        },
        0,
    )
    .normalized();
    assert_eq!(
        repaired.histogram,
        HistogramKind::Explicit {
            bounds: vec![0.1, 1.0]
        }
    );
    assert_eq!(repaired.max_series_per_resource, 1);

    // Limit 1 after repair: everything goes to the overflow series.
    let mut red = RedMetrics::new(with(HistogramKind::Exponential { max_size: 0 }, 0), START);
    assert_eq!(
        red.config().histogram,
        HistogramKind::Exponential { max_size: 2 }
    );
    let app = resource("app");
    red.record(1, &app, RedMetric::HttpServer, get("/", 200), 0.001);
    red.record(1, &app, RedMetric::HttpServer, get("/x", 200), 1000.0);
    let request = red.flush(T1).expect("records to send");
    let Some(metric::Data::ExponentialHistogram(h)) = &metrics(&request, 0)[0].data else {
        panic!("not an exponential histogram");
    };
    assert_eq!(h.data_points.len(), 1);
    assert_eq!(
        h.data_points[0].attributes,
        vec![kv(
            "otel.metric.overflow",
            any_value::Value::BoolValue(true)
        )]
    );
    assert_eq!(
        h.data_points[0]
            .positive
            .as_ref()
            .map(|b| b.bucket_counts.len()),
        Some(2)
    );
}
