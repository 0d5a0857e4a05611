//! Spans, in detail.

use sonde_api::pdata::trace::v1::{span::SpanKind, status::StatusCode, Span};
use sonde_api::pdata::ExportTraceServiceRequest;

use super::Out;
use crate::text::values::{hex_id, timestamp};

pub(super) fn write(out: &mut Out, req: &ExportTraceServiceRequest) {
    for (i, rs) in req.resource_spans.iter().enumerate() {
        out.line(format_args!("ResourceSpans #{i}"));
        out.line(format_args!("Resource SchemaURL: {}", rs.schema_url));
        let attributes = rs.resource.as_ref().map(|r| r.attributes.as_slice());
        out.attributes("Resource attributes", attributes.unwrap_or(&[]));
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            out.line(format_args!("ScopeSpans #{j}"));
            out.line(format_args!("ScopeSpans SchemaURL: {}", ss.schema_url));
            out.scope(ss.scope.as_ref());
            for (k, span) in ss.spans.iter().enumerate() {
                out.line(format_args!("Span #{k}"));
                write_span(out, span);
            }
        }
    }
}

fn write_span(out: &mut Out, span: &Span) {
    out.field("Trace ID", hex_id(&span.trace_id));
    out.field("Parent ID", hex_id(&span.parent_span_id));
    out.field("ID", hex_id(&span.span_id));
    out.field("Name", &span.name);
    out.field("Kind", kind(span.kind));
    if !span.trace_state.is_empty() {
        out.field("TraceState", &span.trace_state);
    }
    out.field("Start time", timestamp(span.start_time_unix_nano));
    out.field("End time", timestamp(span.end_time_unix_nano));
    let status = span.status.clone().unwrap_or_default();
    out.field("Status code", status_code(status.code));
    out.field("Status message", &status.message);
    out.field("DroppedAttributesCount", span.dropped_attributes_count);
    out.field("DroppedEventsCount", span.dropped_events_count);
    out.field("DroppedLinksCount", span.dropped_links_count);
    out.attributes("Attributes", &span.attributes);
    if !span.events.is_empty() {
        out.line(format_args!("Events:"));
        for (i, e) in span.events.iter().enumerate() {
            out.line(format_args!("SpanEvent #{i}"));
            out.line(format_args!("     -> Name: {}", e.name));
            out.line(format_args!(
                "     -> Timestamp: {}",
                timestamp(e.time_unix_nano)
            ));
            out.line(format_args!(
                "     -> DroppedAttributesCount: {}",
                e.dropped_attributes_count
            ));
            out.attributes("     -> Attributes:", &e.attributes);
        }
    }
    if !span.links.is_empty() {
        out.line(format_args!("Links:"));
        for (i, l) in span.links.iter().enumerate() {
            out.line(format_args!("SpanLink #{i}"));
            out.line(format_args!("     -> Trace ID: {}", hex_id(&l.trace_id)));
            out.line(format_args!("     -> ID: {}", hex_id(&l.span_id)));
            out.line(format_args!("     -> TraceState: {}", l.trace_state));
            out.line(format_args!(
                "     -> DroppedAttributesCount: {}",
                l.dropped_attributes_count
            ));
            out.attributes("     -> Attributes:", &l.attributes);
        }
    }
}

/// pdata's names for span kinds; an unknown number prints as nothing, as in pdata.
fn kind(kind: i32) -> &'static str {
    match SpanKind::try_from(kind) {
        Ok(SpanKind::Unspecified) => "Unspecified",
        Ok(SpanKind::Internal) => "Internal",
        Ok(SpanKind::Server) => "Server",
        Ok(SpanKind::Client) => "Client",
        Ok(SpanKind::Producer) => "Producer",
        Ok(SpanKind::Consumer) => "Consumer",
        Err(_) => "",
    }
}

fn status_code(code: i32) -> &'static str {
    match StatusCode::try_from(code) {
        Ok(StatusCode::Unset) => "Unset",
        Ok(StatusCode::Ok) => "Ok",
        Ok(StatusCode::Error) => "Error",
        Err(_) => "",
    }
}
