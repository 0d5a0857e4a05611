//! How series are split and laid out: resources, sides, attributes, order,
//! and the overflow series beyond the cardinality limit.

use super::*;

#[test]
fn each_resource_gets_its_own_resource_metrics_in_key_order() {
    let mut red = cumulative();
    let (app, db) = (resource("app"), resource("db"));
    red.record(7, &db, RedMetric::HttpServer, get("/q", 200), 0.1);
    red.record(3, &app, RedMetric::HttpServer, get("/a", 200), 0.1);
    red.record(7, &db, RedMetric::HttpServer, get("/q", 200), 0.1);
    let request = red.flush(T1).expect("records to send");
    assert_eq!(request.resource_metrics.len(), 2);
    assert_eq!(
        request.resource_metrics[0].resource.as_ref(),
        Some(app.as_ref())
    );
    assert_eq!(
        request.resource_metrics[1].resource.as_ref(),
        Some(db.as_ref())
    );
    assert_eq!(summary(points(&request, 0, 0)), vec![row("/a", 1, START)]);
    assert_eq!(summary(points(&request, 1, 0)), vec![row("/q", 2, START)]);
    for resource_metrics in &request.resource_metrics {
        assert_eq!(resource_metrics.scope_metrics.len(), 1);
        let scope = resource_metrics.scope_metrics[0]
            .scope
            .as_ref()
            .expect("a scope");
        assert_eq!(
            (scope.name.as_str(), scope.version.as_str()),
            (SCOPE_NAME, env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn server_and_client_are_separate_metrics() {
    let mut red = cumulative();
    let app = resource("app");
    red.record(1, &app, RedMetric::HttpClient, get("/", 200), 0.1);
    red.record(1, &app, RedMetric::HttpServer, get("/", 200), 0.2);
    red.record(1, &app, RedMetric::HttpClient, get("/", 200), 0.3);
    let request = red.flush(T1).expect("records to send");
    let described: Vec<(&str, &str, &str)> = metrics(&request, 0)
        .iter()
        .map(|m| (m.name.as_str(), m.description.as_str(), m.unit.as_str()))
        .collect();
    assert_eq!(
        described,
        vec![
            (
                "http.server.request.duration",
                "Duration of HTTP server requests.",
                "s"
            ),
            (
                "http.client.request.duration",
                "Duration of HTTP client requests.",
                "s"
            ),
        ]
    );
    assert_eq!(
        (
            points(&request, 0, 0)[0].count,
            points(&request, 0, 0)[0].sum
        ),
        (1, Some(0.2))
    );
    assert_eq!(
        (
            points(&request, 0, 1)[0].count,
            points(&request, 0, 1)[0].sum
        ),
        (2, Some(0.1 + 0.3))
    );

    // A resource with only client requests has only the client metric.
    let mut red = cumulative();
    red.record(1, &app, RedMetric::HttpClient, get("/", 200), 0.1);
    let request = red.flush(T1).expect("a record to send");
    let names: Vec<&str> = metrics(&request, 0)
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, vec!["http.client.request.duration"]);
}

#[test]
fn attributes_are_the_set_fields_with_semconv_keys() {
    let full = RedAttributes {
        method: "POST".to_owned(),
        route: Some("/orders".to_owned()),
        status_code: Some(503),
        error_type: Some("503".to_owned()),
        server_address: Some("api.example.com".to_owned()),
        server_port: Some(8080),
        protocol_version: Some("1.1".to_owned()),
        other: Vec::new(),
    };
    assert_eq!(
        full.to_key_values(),
        vec![
            s("http.request.method", "POST"),
            s("http.route", "/orders"),
            i("http.response.status_code", 503),
            s("error.type", "503"),
            s("server.address", "api.example.com"),
            i("server.port", 8080),
            s("network.protocol.version", "1.1"),
        ]
    );
    let bare = RedAttributes {
        method: "GET".to_owned(),
        ..Default::default()
    };
    assert_eq!(bare.to_key_values(), vec![s("http.request.method", "GET")]);
}

#[test]
fn points_are_sorted_by_attributes_whatever_the_record_order() {
    let sets = [
        RedAttributes {
            method: "POST".to_owned(),
            ..Default::default()
        },
        get("/b", 200),
        get("/a", 500),
        get("/a", 200),
        RedAttributes {
            method: "GET".to_owned(),
            ..Default::default()
        },
    ];
    let app = resource("app");
    let mut forward = cumulative();
    let mut backward = cumulative();
    for set in &sets {
        forward.record(1, &app, RedMetric::HttpServer, set.clone(), 0.1);
    }
    for set in sets.iter().rev() {
        backward.record(1, &app, RedMetric::HttpServer, set.clone(), 0.1);
    }
    let request = forward.flush(T1).expect("records to send");
    assert_eq!(Some(&request), backward.flush(T1).as_ref());
    let order: Vec<Vec<KeyValue>> = points(&request, 0, 0)
        .iter()
        .map(|p| p.attributes.clone())
        .collect();
    assert_eq!(
        order,
        vec![
            vec![s("http.request.method", "GET")],
            get("/a", 200).to_key_values(),
            get("/a", 500).to_key_values(),
            get("/b", 200).to_key_values(),
            vec![s("http.request.method", "POST")],
        ]
    );
}

#[test]
fn attribute_sets_beyond_the_limit_share_the_overflow_series() {
    let mut red = aggregator(Temporality::Cumulative, HistogramKind::default(), 3);
    let app = resource("app");
    for route in ["/r0", "/r1", "/r2", "/r3", "/r4", "/r0", "/r3"] {
        red.record(1, &app, RedMetric::HttpServer, get(route, 200), 0.1);
    }
    // Limit 3 counts the overflow series: two own series, the rest overflows.
    assert_eq!(red.series_count(), 3);
    let request = red.flush(T1).expect("records to send");
    let server = points(&request, 0, 0);
    assert_eq!(
        summary(server),
        vec![
            row("/r0", 2, START),
            row("/r1", 1, START),
            row("overflow", 4, START)
        ]
    );
    assert_eq!(
        server[2].attributes,
        vec![kv(
            "otel.metric.overflow",
            any_value::Value::BoolValue(true)
        )]
    );
    assert_eq!(server.iter().map(|p| p.count).sum::<u64>(), 7);

    // Known series keep counting on their own; new ones keep overflowing.
    red.record(1, &app, RedMetric::HttpServer, get("/r1", 200), 0.1);
    red.record(1, &app, RedMetric::HttpServer, get("/r5", 200), 0.1);
    let request = red.flush(T2).expect("records to send");
    assert_eq!(
        summary(points(&request, 0, 0)),
        vec![
            row("/r0", 2, START),
            row("/r1", 2, START),
            row("overflow", 5, START)
        ]
    );
}

#[test]
fn the_limit_is_per_metric_and_per_resource() {
    let mut red = aggregator(Temporality::Cumulative, HistogramKind::default(), 2);
    let (app, db) = (resource("app"), resource("db"));
    for route in ["/a", "/b"] {
        red.record(1, &app, RedMetric::HttpServer, get(route, 200), 0.1);
        red.record(1, &app, RedMetric::HttpClient, get(route, 200), 0.1);
        red.record(2, &db, RedMetric::HttpServer, get(route, 200), 0.1);
    }
    let request = red.flush(T1).expect("records to send");
    for (r, m) in [(0, 0), (0, 1), (1, 0)] {
        assert_eq!(
            summary(points(&request, r, m)),
            vec![row("/a", 1, START), row("overflow", 1, START)]
        );
    }
    assert_eq!(red.series_count(), 6);
}

#[test]
fn under_delta_the_limit_applies_per_interval() {
    let mut red = aggregator(Temporality::Delta, HistogramKind::default(), 2);
    let app = resource("app");
    red.record(1, &app, RedMetric::HttpServer, get("/a", 200), 0.1);
    red.record(1, &app, RedMetric::HttpServer, get("/b", 200), 0.1);
    let first = red.flush(T1).expect("records to send");
    assert_eq!(
        summary(points(&first, 0, 0)),
        vec![row("/a", 1, START), row("overflow", 1, START)]
    );
    red.record(1, &app, RedMetric::HttpServer, get("/b", 200), 0.1);
    red.record(1, &app, RedMetric::HttpServer, get("/a", 200), 0.1);
    let second = red.flush(T2).expect("records to send");
    assert_eq!(
        summary(points(&second, 0, 0)),
        vec![row("/b", 1, T1), row("overflow", 1, T1)]
    );
}

#[test]
fn borrowed_attributes_count_as_owned_ones_do() {
    let app = resource("app");
    let routes = ["/a", "/b", "/a", "/c", "/d", "/a", "/c"];
    let mut owned = aggregator(Temporality::Cumulative, HistogramKind::default(), 3);
    let mut borrowed = aggregator(Temporality::Cumulative, HistogramKind::default(), 3);
    for (n, route) in routes.into_iter().enumerate() {
        let side = if n % 2 == 0 {
            RedMetric::HttpServer
        } else {
            RedMetric::HttpClient
        };
        owned.record(1, &app, side, get(route, 200), 0.01 * n as f64);
        borrowed.record_borrowed(1, &app, side, &get(route, 200), 0.01 * n as f64);
    }
    let request = owned.flush(T1).expect("records to send");
    assert_eq!(borrowed.flush(T1).as_ref(), Some(&request));
    assert_eq!(borrowed.series_count(), 6);
    // Server gets /a, /a, /d, /c (overflows); client /b, /c, /a (overflows).
    assert_eq!(
        summary(points(&request, 0, 0)),
        vec![
            row("/a", 2, START),
            row("/d", 1, START),
            row("overflow", 1, START)
        ]
    );
    assert_eq!(
        summary(points(&request, 0, 1)),
        vec![
            row("/b", 1, START),
            row("/c", 1, START),
            row("overflow", 1, START)
        ]
    );
}
