//! Wiring: fan-in, fan-out, one instance per receiver / exporter id, processors in
//! order, start and shutdown order.

#[path = "support/recording.rs"]
mod recording;

use std::sync::Arc;

use sonde_api::telemetry::Telemetry;
use sonde_api::{Context, Host, ServiceStatus, Signal};
use sonde_service::graph::Graph;
use sonde_service::plan::plan;

use recording::{one_span, registry, span_names, Journal};

const CONFIG: &str = "
receivers: {rec/a: , rec/b: }
processors: {rec/p1: , rec/p2: }
exporters: {rec/x: , rec/y: }
service:
  pipelines:
    traces: {receivers: [rec/a, rec/b], processors: [rec/p1, rec/p2], exporters: [rec/x, rec/y]}
    traces/2: {receivers: [rec/a], exporters: [rec/y]}
    metrics: {receivers: [rec/a], exporters: [rec/x]}
";

#[tokio::test]
async fn wires_fans_and_orders() {
    let journal = Arc::new(Journal::default());
    let registry = registry(&journal);
    let tree: serde_yaml::Value = serde_yaml::from_str(CONFIG).unwrap();
    let plan = plan(&tree, &registry).unwrap();
    let graph = Graph::build(&plan, &registry, &Telemetry::new()).unwrap();

    // One instance per receiver id, wired for exactly the signals of its pipelines.
    let receivers = journal.receivers.lock().unwrap().clone();
    let wired: Vec<(String, bool, bool, bool)> = receivers
        .iter()
        .map(|(id, c)| {
            (
                id.to_string(),
                c.traces.is_some(),
                c.metrics.is_some(),
                c.logs.is_some(),
            )
        })
        .collect();
    assert_eq!(
        wired,
        vec![
            ("rec/a".into(), true, true, false),
            ("rec/b".into(), true, false, false)
        ]
    );

    let (fatal, _) = tokio::sync::mpsc::unbounded_channel();
    let (_, status) = tokio::sync::watch::channel(ServiceStatus::Running);
    graph.start(&Host::new(fatal, status)).await.unwrap();

    // rec/a's traces go to both traces pipelines: through p1 then p2 to x and y, and to y.
    let a = receivers[0].1.get(Signal::Traces).unwrap().clone();
    a.consume(one_span("s"), Context::default()).await.unwrap();
    let mut got: Vec<(String, Vec<String>)> = journal
        .exported
        .lock()
        .unwrap()
        .iter()
        .map(|(id, p)| (id.to_string(), span_names(p)))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("rec/x".into(), vec!["s>rec/p1>rec/p2".to_string()]),
            ("rec/y".into(), vec!["s".to_string()]),
            ("rec/y".into(), vec!["s>rec/p1>rec/p2".to_string()]),
        ]
    );

    graph.shutdown().await;
    let events = journal.events.lock().unwrap().clone();
    assert_eq!(
        events,
        vec![
            "start rec/x",
            "start rec/y",
            "start rec/p2",
            "start rec/p1",
            "start rec/a",
            "start rec/b",
            "shutdown rec/b",
            "shutdown rec/a",
            "shutdown rec/p1",
            "shutdown rec/p2",
            "shutdown rec/y",
            "shutdown rec/x",
        ]
    );
}
