//! Flushes over time: cumulative totals and start times, delta intervals,
//! and retiring resources.

use super::*;

#[test]
fn cumulative_keeps_every_series_and_its_start() {
    let mut red = cumulative();
    let app = resource("app");
    red.record(1, &app, RedMetric::HttpServer, get("/a", 200), 0.1);
    red.record(1, &app, RedMetric::HttpServer, get("/a", 200), 0.1);
    let first = red.flush(T1).expect("records to send");
    assert_eq!(histogram(&first, 0, 0).aggregation_temporality, CUMULATIVE);
    assert_eq!(summary(points(&first, 0, 0)), vec![row("/a", 2, START)]);
    assert!(points(&first, 0, 0).iter().all(|p| p.time_unix_nano == T1));

    red.record(1, &app, RedMetric::HttpServer, get("/b", 200), 0.1);
    red.record(1, &app, RedMetric::HttpServer, get("/a", 200), 0.1);
    let second = red.flush(T2).expect("records to send");
    // /b was first recorded after the flush at T1.
    assert_eq!(
        summary(points(&second, 0, 0)),
        vec![row("/a", 3, START), row("/b", 1, T1)]
    );
    assert!(points(&second, 0, 0).iter().all(|p| p.time_unix_nano == T2));

    // Nothing new: the same totals again, stamped with the new time.
    let third = red
        .flush(T3)
        .expect("cumulative series are sent every flush");
    assert_eq!(
        summary(points(&third, 0, 0)),
        vec![row("/a", 3, START), row("/b", 1, T1)]
    );
    assert!(points(&third, 0, 0).iter().all(|p| p.time_unix_nano == T3));
    assert_eq!(points(&third, 0, 0)[0].sum, Some(0.1 + 0.1 + 0.1));
    assert_eq!(red.series_count(), 2);
}

#[test]
fn delta_sends_only_what_changed_since_the_previous_flush() {
    let mut red = delta();
    let app = resource("app");
    red.record(1, &app, RedMetric::HttpServer, get("/a", 200), 0.1);
    red.record(1, &app, RedMetric::HttpServer, get("/a", 200), 0.1);
    let first = red.flush(T1).expect("records to send");
    assert_eq!(histogram(&first, 0, 0).aggregation_temporality, DELTA);
    assert_eq!(summary(points(&first, 0, 0)), vec![row("/a", 2, START)]);
    assert_eq!(red.series_count(), 0);

    // /a idle: only /b, counted from the previous flush.
    red.record(1, &app, RedMetric::HttpServer, get("/b", 200), 0.2);
    let second = red.flush(T2).expect("a record to send");
    assert_eq!(summary(points(&second, 0, 0)), vec![row("/b", 1, T1)]);
    let point = &points(&second, 0, 0)[0];
    assert_eq!(
        (point.sum, point.min, point.max, point.time_unix_nano),
        (Some(0.2), Some(0.2), Some(0.2), T2)
    );

    assert_eq!(red.flush(T3), None);

    // The flush that sent nothing still starts the next interval.
    red.record(1, &app, RedMetric::HttpServer, get("/a", 200), 0.3);
    let fourth = red.flush(T4).expect("a record to send");
    assert_eq!(summary(points(&fourth, 0, 0)), vec![row("/a", 1, T3)]);
    assert_eq!(points(&fourth, 0, 0)[0].sum, Some(0.3));
}

#[test]
fn nothing_recorded_sends_nothing() {
    assert_eq!(cumulative().flush(T1), None);
    assert_eq!(delta().flush(T1), None);
}

#[test]
fn retire_forgets_a_resource_after_its_last_flush() {
    let mut red = cumulative();
    let (app, db) = (resource("app"), resource("db"));
    red.record(1, &app, RedMetric::HttpServer, get("/", 200), 0.1);
    red.record(2, &db, RedMetric::HttpServer, get("/", 200), 0.1);
    assert_eq!(red.flush(T1).expect("records").resource_metrics.len(), 2);

    // Everything of resource 1 was sent: forgotten at once.
    red.retire(1);
    assert_eq!((red.series_count(), red.resource_count()), (1, 1));
    let second = red.flush(T2).expect("resource 2 still cumulates");
    assert_eq!(second.resource_metrics.len(), 1);
    assert_eq!(
        second.resource_metrics[0].resource.as_ref(),
        Some(db.as_ref())
    );

    // Recorded since the last flush: kept until the next flush sends it.
    red.record(2, &db, RedMetric::HttpServer, get("/", 200), 0.1);
    red.retire(2);
    assert_eq!(red.series_count(), 1);
    let third = red.flush(T3).expect("the last records of resource 2");
    assert_eq!(summary(points(&third, 0, 0)), vec![row("/", 2, START)]);
    assert_eq!((red.series_count(), red.resource_count()), (0, 0));
    assert_eq!(red.flush(T4), None);

    red.retire(99);
    assert_eq!(red.series_count(), 0);
}

#[test]
fn a_retired_key_that_records_again_starts_over() {
    let mut red = cumulative();
    let app = resource("app");
    red.record(1, &app, RedMetric::HttpServer, get("/", 200), 0.1);
    red.flush(T1);
    red.retire(1);
    red.record(1, &app, RedMetric::HttpServer, get("/", 200), 0.1);
    let request = red.flush(T2).expect("a record to send");
    assert_eq!(summary(points(&request, 0, 0)), vec![row("/", 1, T1)]);
}

#[test]
fn delta_forgets_resources_idle_for_an_interval() {
    let mut red = delta();
    let app = resource("app");
    red.record(1, &app, RedMetric::HttpServer, get("/", 200), 0.1);
    red.flush(T1);
    assert_eq!(red.resource_count(), 1);
    assert_eq!(red.flush(T2), None);
    assert_eq!(red.resource_count(), 0);
}
