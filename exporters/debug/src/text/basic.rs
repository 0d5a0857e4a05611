//! The one-line summary otelcol logs for every batch at every verbosity, e.g.
//! `Traces {"resource spans": 1, "spans": 2}`.

use sonde_api::{Payload, Signal};

/// The summary, or `None` for metrics still encoded (their metric count needs a
/// decode). Traces and logs are summed up from their counts alone: at basic
/// verbosity, OTLP that passes through is never decoded.
pub fn summary_of_counts(payload: &Payload) -> Option<String> {
    let (resources, items) = (payload.resource_count(), payload.item_count());
    match payload.signal() {
        Signal::Traces => Some(format!(
            "Traces {{\"resource spans\": {resources}, \"spans\": {items}}}"
        )),
        Signal::Logs => Some(format!(
            "Logs {{\"resource logs\": {resources}, \"log records\": {items}}}"
        )),
        Signal::Metrics => None,
    }
}

pub fn summary(payload: &Payload) -> String {
    if let Some(line) = summary_of_counts(payload) {
        return line;
    }
    let Payload::Metrics(r) = payload else {
        // Encoded metrics are decoded by the caller before they get here.
        return String::new();
    };
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
