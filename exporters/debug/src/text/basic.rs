//! The one-line summary otelcol logs for every batch at every verbosity, e.g.
//! `Traces {"resource spans": 1, "spans": 2}`.

use sonde_api::Payload;

pub fn summary(payload: &Payload) -> String {
    match payload {
        Payload::Traces(r) => format!(
            "Traces {{\"resource spans\": {}, \"spans\": {}}}",
            r.resource_spans.len(),
            payload.item_count()
        ),
        Payload::Metrics(r) => {
            let metrics: usize = r
                .resource_metrics
                .iter()
                .flat_map(|rm| &rm.scope_metrics)
                .map(|sm| sm.metrics.len())
                .sum();
            format!(
                "Metrics {{\"resource metrics\": {}, \"metrics\": {}, \"data points\": {}}}",
                r.resource_metrics.len(),
                metrics,
                payload.item_count()
            )
        }
        Payload::Logs(r) => format!(
            "Logs {{\"resource logs\": {}, \"log records\": {}}}",
            r.resource_logs.len(),
            payload.item_count()
        ),
        // The exporter decodes before rendering; this only says what the bytes hold.
        Payload::Encoded(e) => format!("{} {{\"items\": {}}}", e.signal(), e.item_count()),
    }
}
