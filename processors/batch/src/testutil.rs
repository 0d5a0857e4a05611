//! Payload builders for tests.

use sonde_api::pdata::{resource, trace, ExportTraceServiceRequest};
use sonde_api::Payload;

/// Traces: one resource per entry of `spans_per_resource`, each with one scope holding that
/// many spans named `r<resource>s<span>`.
pub fn traces(spans_per_resource: &[usize]) -> Payload {
    let resource_spans = spans_per_resource
        .iter()
        .enumerate()
        .map(|(r, &n)| trace::v1::ResourceSpans {
            resource: Some(resource::v1::Resource::default()),
            scope_spans: vec![trace::v1::ScopeSpans {
                spans: (0..n)
                    .map(|s| trace::v1::Span {
                        name: format!("r{r}s{s}"),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    Payload::Traces(ExportTraceServiceRequest { resource_spans })
}

/// The names of all spans, in order.
pub fn span_names(payload: &Payload) -> Vec<String> {
    let Payload::Traces(req) = payload else {
        panic!("not traces");
    };
    req.resource_spans
        .iter()
        .flat_map(|rs| rs.scope_spans.iter())
        .flat_map(|ss| ss.spans.iter())
        .map(|s| s.name.clone())
        .collect()
}
