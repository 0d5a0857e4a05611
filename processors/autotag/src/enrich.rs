//! Puts inferred tags on every resource of a payload. The sender knows best:
//! an attribute it set is never replaced.

use sonde_api::pdata::common::v1::KeyValue;
use sonde_api::pdata::resource::v1::Resource;
use sonde_api::Payload;

/// Adds each of `tags` to every resource of `payload` that lacks
/// its key. An encoded payload is decoded first; one that does not decode is
/// handed back untouched (the receiver proved it decodes, so this does not
/// happen short of a bug, and losing data would be worse than not tagging it).
pub fn tag(payload: Payload, tags: &[KeyValue]) -> Payload {
    let mut payload = match payload {
        Payload::Encoded(encoded) => match encoded.decode() {
            Ok(decoded) => decoded,
            Err(error) => {
                tracing::debug!(%error, "autotag: payload does not decode; left untagged");
                return Payload::Encoded(encoded);
            }
        },
        decoded => decoded,
    };
    match &mut payload {
        Payload::Traces(request) => {
            for spans in &mut request.resource_spans {
                add_missing(spans.resource.get_or_insert_with(Default::default), tags);
            }
        }
        Payload::Metrics(request) => {
            for metrics in &mut request.resource_metrics {
                add_missing(metrics.resource.get_or_insert_with(Default::default), tags);
            }
        }
        Payload::Logs(request) => {
            for logs in &mut request.resource_logs {
                add_missing(logs.resource.get_or_insert_with(Default::default), tags);
            }
        }
        Payload::Encoded(_) => {}
    }
    payload
}

fn add_missing(resource: &mut Resource, tags: &[KeyValue]) {
    for tag in tags {
        if !resource.attributes.iter().any(|kv| kv.key == tag.key) {
            resource.attributes.push(tag.clone());
        }
    }
}
