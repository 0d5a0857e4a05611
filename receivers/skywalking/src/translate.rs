//! A SkyWalking segment as OTLP spans, the way otelcol-contrib's skywalking receiver
//! translates it (`pkg/translator/skywalking`), so a trace looks the same whichever of
//! the two received it. Pure: no I/O, no clock.
//!
//! * One `ResourceSpans` per segment (none for a segment without spans). The resource
//!   holds the legacy semantic names of a few tags of the segment's **last** span
//!   (`url` → `http.url`, `status_code` → `http.status_code`, `db.type` →
//!   `db.system`, `db.instance` → `db.name`, `mq.broker` → `net.peer.name`), then
//!   `service.name`, `service.instance.id` and `sw8.trace_id`. One scope, empty.
//! * Ids through [`sonde_api::skywalking`]. The parent is span `parentSpanId` of the
//!   same segment; a segment's first span (`-1`) with exactly one ref takes that ref's
//!   span as parent. Every ref is also a link, with the ref's fields as attributes.
//! * Times are epoch milliseconds. Kind: MQ entry/exit → consumer/producer; otherwise
//!   exit → client, entry → server, local → internal. `isError` → status error
//!   `ERROR`, else status ok `SUCCESS`. Tags become string attributes, followed by
//!   `sw8.segment_id`, `sw8.span_id` and (unless -1) `sw8.parent_span_id`. Each log is
//!   an event named `logs`.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use sonde_api::skywalking::{span_id, trace_id};
use sonde_api::Payload;

use crate::proto::{
    KeyStringValuePair, RefType, SegmentObject, SegmentReference, SpanLayer, SpanObject, SpanType,
};

/// Tags a segment's resource takes from its last span, under their OTel names.
const RESOURCE_TAGS: [(&str, &str); 5] = [
    ("url", "http.url"),
    ("status_code", "http.status_code"),
    ("db.type", "db.system"),
    ("db.instance", "db.name"),
    ("mq.broker", "net.peer.name"),
];

/// Segments as one OTLP export request, one `ResourceSpans` each.
pub fn payload(segments: &[SegmentObject]) -> Payload {
    Payload::Traces(ExportTraceServiceRequest {
        resource_spans: segments
            .iter()
            .filter_map(segment_to_resource_spans)
            .collect(),
    })
}

/// The segment as OTLP; `None` when it has no spans.
pub fn segment_to_resource_spans(segment: &SegmentObject) -> Option<ResourceSpans> {
    let last = segment.spans.last()?;
    let mut resource = Attributes::default();
    for tag in &last.tags {
        if let Some((_, otel)) = RESOURCE_TAGS.iter().find(|(sw, _)| *sw == tag.key) {
            resource.put_str(otel, &tag.value);
        }
    }
    resource.put_str("service.name", &segment.service);
    resource.put_str("service.instance.id", &segment.service_instance);
    resource.put_str("sw8.trace_id", &segment.trace_id);
    let spans = segment
        .spans
        .iter()
        .map(|span| to_span(&segment.trace_id, &segment.trace_segment_id, span))
        .collect();
    Some(ResourceSpans {
        resource: Some(Resource {
            attributes: resource.0,
            ..Default::default()
        }),
        scope_spans: vec![ScopeSpans {
            scope: Some(InstrumentationScope::default()),
            spans,
            schema_url: String::new(),
        }],
        schema_url: String::new(),
    })
}

fn to_span(trace: &str, segment: &str, span: &SpanObject) -> Span {
    let parent_span_id = if span.parent_span_id != -1 {
        span_id(segment, span.parent_span_id).to_vec()
    } else if let [only] = span.refs.as_slice() {
        span_id(&only.parent_trace_segment_id, only.parent_span_id).to_vec()
    } else {
        Vec::new()
    };
    let mut attributes = Attributes::default();
    for tag in &span.tags {
        attributes.put_str(&tag.key, &tag.value);
    }
    attributes.put_str("sw8.segment_id", segment);
    attributes.put_int("sw8.span_id", i64::from(span.span_id));
    if span.parent_span_id != -1 {
        attributes.put_int("sw8.parent_span_id", i64::from(span.parent_span_id));
    }
    let status = if span.is_error {
        Status {
            code: StatusCode::Error as i32,
            message: "ERROR".into(),
        }
    } else {
        Status {
            code: StatusCode::Ok as i32,
            message: "SUCCESS".into(),
        }
    };
    Span {
        trace_id: trace_id(trace).to_vec(),
        span_id: span_id(segment, span.span_id).to_vec(),
        parent_span_id,
        name: span.operation_name.clone(),
        kind: kind(span) as i32,
        start_time_unix_nano: millis_to_nanos(span.start_time),
        end_time_unix_nano: millis_to_nanos(span.end_time),
        attributes: attributes.0,
        events: span
            .logs
            .iter()
            .map(|log| Event {
                time_unix_nano: millis_to_nanos(log.time),
                name: "logs".into(),
                attributes: pairs(&log.data),
                dropped_attributes_count: 0,
            })
            .collect(),
        links: span.refs.iter().map(to_link).collect(),
        status: Some(status),
        ..Default::default()
    }
}

fn kind(span: &SpanObject) -> SpanKind {
    let layer = SpanLayer::try_from(span.span_layer).ok();
    let kind = SpanType::try_from(span.span_type).ok();
    match (layer, kind) {
        (Some(SpanLayer::Mq), Some(SpanType::Entry)) => SpanKind::Consumer,
        (Some(SpanLayer::Mq), Some(SpanType::Exit)) => SpanKind::Producer,
        (Some(SpanLayer::Mq), _) => SpanKind::Unspecified,
        (_, Some(SpanType::Exit)) => SpanKind::Client,
        (_, Some(SpanType::Entry)) => SpanKind::Server,
        (_, Some(SpanType::Local)) => SpanKind::Internal,
        (_, None) => SpanKind::Unspecified,
    }
}

fn to_link(r: &SegmentReference) -> Link {
    let mut attributes = Attributes::default();
    attributes.put_str("parent.service", &r.parent_service);
    attributes.put_str("parent.service.instance", &r.parent_service_instance);
    attributes.put_str("parent.endpoint", &r.parent_endpoint);
    attributes.put_str("network.AddressUsedAtPeer", &r.network_address_used_at_peer);
    attributes.put_str("refType", &RefType::name_of(r.ref_type));
    attributes.put_str("sw8.trace_id", &r.trace_id);
    attributes.put_str("sw8.parent_segment_id", &r.parent_trace_segment_id);
    attributes.put_str("sw8.parent_span_id", &r.parent_span_id.to_string());
    Link {
        trace_id: trace_id(&r.trace_id).to_vec(),
        span_id: span_id(&r.parent_trace_segment_id, r.parent_span_id).to_vec(),
        attributes: attributes.0,
        ..Default::default()
    }
}

/// Epoch milliseconds as nanoseconds; wraps like Go's `uint64(t.UnixNano())`.
fn millis_to_nanos(ms: i64) -> u64 {
    ms.wrapping_mul(1_000_000) as u64
}

fn pairs(data: &[KeyStringValuePair]) -> Vec<KeyValue> {
    let mut attributes = Attributes::default();
    for pair in data {
        attributes.put_str(&pair.key, &pair.value);
    }
    attributes.0
}

/// Attributes with pdata's `Put*` semantics: a key set again keeps its place and takes
/// the new value.
#[derive(Default)]
struct Attributes(Vec<KeyValue>);

impl Attributes {
    fn put(&mut self, key: &str, value: Value) {
        let value = Some(AnyValue { value: Some(value) });
        match self.0.iter_mut().find(|kv| kv.key == key) {
            Some(kv) => kv.value = value,
            None => self.0.push(KeyValue {
                key: key.to_string(),
                value,
                ..Default::default()
            }),
        }
    }

    fn put_str(&mut self, key: &str, value: &str) {
        self.put(key, Value::StringValue(value.to_string()));
    }

    fn put_int(&mut self, key: &str, value: i64) {
        self.put(key, Value::IntValue(value));
    }
}

#[cfg(test)]
#[path = "translate_tests.rs"]
mod tests;
