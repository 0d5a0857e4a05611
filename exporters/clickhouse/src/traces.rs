//! Spans as rows of `otel_traces`, in RowBinary, in the column order of
//! [`crate::schema::TRACES_INSERT_COLUMNS`]. Pure: no I/O, no clock; the sender runs it
//! on the blocking pool.
//!
//! Values follow contrib: ids in lower-case hex (empty for an all-zero id), span kind
//! and status code as pdata names them (`Server`, `Error`), `ServiceName` from the
//! resource's `service.name`, `Duration` in nanoseconds (0 when the end precedes the
//! start), attributes as strings (see [`crate::attributes`]).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;

use crate::columns::{attributes, hex_id, service_name};
use crate::rowbinary::RowWriter;
use crate::smart::ResourceCells;

/// pdata's `SpanKind.String()`.
pub fn span_kind(kind: i32) -> &'static str {
    match kind {
        0 => "Unspecified",
        1 => "Internal",
        2 => "Server",
        3 => "Client",
        4 => "Producer",
        5 => "Consumer",
        _ => "",
    }
}

/// pdata's `StatusCode.String()`.
pub fn status_code(code: i32) -> &'static str {
    match code {
        0 => "Unset",
        1 => "Ok",
        2 => "Error",
        _ => "",
    }
}

/// The per-resource and per-scope columns, encoded once and copied into each row.
struct Shared<'a> {
    service: &'a [u8],
    resource_attributes: &'a [u8],
    scope_name: &'a [u8],
    scope_version: &'a [u8],
}

fn span_row(span: &Span, shared: &Shared<'_>, w: &mut RowWriter, scratch: &mut String) {
    w.datetime64_nanos(span.start_time_unix_nano);
    hex_id(&span.trace_id, w);
    hex_id(&span.span_id, w);
    hex_id(&span.parent_span_id, w);
    w.string(span.trace_state.as_bytes());
    w.string(span.name.as_bytes());
    w.string(span_kind(span.kind).as_bytes());
    w.string(shared.service);
    w.bytes(shared.resource_attributes);
    w.string(shared.scope_name);
    w.string(shared.scope_version);
    attributes(&span.attributes, w, scratch);
    w.uint64(
        span.end_time_unix_nano
            .saturating_sub(span.start_time_unix_nano),
    );
    let status = span.status.as_ref();
    w.string(status_code(status.map_or(0, |s| s.code)).as_bytes());
    w.string(status.map_or("", |s| s.message.as_str()).as_bytes());

    w.len(span.events.len());
    for e in &span.events {
        w.datetime64_nanos(e.time_unix_nano);
    }
    w.len(span.events.len());
    for e in &span.events {
        w.string(e.name.as_bytes());
    }
    w.len(span.events.len());
    for e in &span.events {
        attributes(&e.attributes, w, scratch);
    }

    w.len(span.links.len());
    for l in &span.links {
        hex_id(&l.trace_id, w);
    }
    w.len(span.links.len());
    for l in &span.links {
        hex_id(&l.span_id, w);
    }
    w.len(span.links.len());
    for l in &span.links {
        w.string(l.trace_state.as_bytes());
    }
    w.len(span.links.len());
    for l in &span.links {
        attributes(&l.attributes, w, scratch);
    }
}

/// Appends one row per span; returns the number of rows.
pub fn encode_traces(request: &ExportTraceServiceRequest, w: &mut RowWriter) -> usize {
    encode_traces_with(request, &mut ResourceCells::Map, w)
}

/// [`encode_traces`], the resource column written by `resources`.
pub fn encode_traces_with(
    request: &ExportTraceServiceRequest,
    resources: &mut ResourceCells,
    w: &mut RowWriter,
) -> usize {
    let mut rows = 0;
    let mut scratch = String::new();
    for rs in &request.resource_spans {
        let empty = Vec::new();
        let res_attrs = rs.resource.as_ref().map_or(&empty, |r| &r.attributes);
        let service = service_name(res_attrs);
        let mut encoded = RowWriter::default();
        resources.write(res_attrs, &mut encoded, &mut scratch);
        for ss in &rs.scope_spans {
            let (name, version) = ss
                .scope
                .as_ref()
                .map_or(("", ""), |s| (s.name.as_str(), s.version.as_str()));
            let shared = Shared {
                service: service.as_bytes(),
                resource_attributes: &encoded.buf,
                scope_name: name.as_bytes(),
                scope_version: version.as_bytes(),
            };
            for span in &ss.spans {
                span_row(span, &shared, w, &mut scratch);
                rows += 1;
            }
        }
    }
    rows
}

pub mod wire;

#[cfg(test)]
mod tests;
