//! Log records as rows of `otel_logs`, in RowBinary, in the column order of
//! [`crate::schema::logs::LOGS_SPECS`], without the optional columns the table lacks
//! ([`LogColumns`], from `DESC TABLE` at start). Pure: no I/O, no clock.
//!
//! Values follow contrib: `Timestamp` is the record's time, or its observed time when
//! the time is unset; ids in lower-case hex (empty when absent); `TraceFlags` the low
//! byte of the record's flags (the W3C trace flags); `SeverityNumber` the OTLP number;
//! `Body` as pdata's `AsString` spells it (see [`crate::attributes`]); `ServiceName`
//! from the resource's `service.name`; `EventName` the record's event name.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::logs::v1::LogRecord;

use crate::attributes::value_string;
use crate::columns::{attributes, hex_id, service_name};
use crate::rowbinary::RowWriter;
use crate::schema::logs::LogColumns;
use crate::smart::ResourceCells;

/// The per-resource and per-scope columns, encoded once.
struct Shared<'a> {
    service: &'a [u8],
    resource_schema_url: &'a [u8],
    resource_attributes: &'a [u8],
    scope_schema_url: &'a [u8],
    scope_name: &'a [u8],
    scope_version: &'a [u8],
    scope_attributes: &'a [u8],
}

fn log_row(
    r: &LogRecord,
    shared: &Shared<'_>,
    cols: LogColumns,
    w: &mut RowWriter,
    scratch: &mut String,
) {
    let time = if r.time_unix_nano == 0 {
        r.observed_time_unix_nano
    } else {
        r.time_unix_nano
    };
    w.datetime64_nanos(time);
    hex_id(&r.trace_id, w);
    hex_id(&r.span_id, w);
    w.uint8((r.flags & 0xff) as u8);
    w.string(r.severity_text.as_bytes());
    // OTLP severity numbers are 0..=24; anything else is not a number contrib stores.
    w.uint8(u8::try_from(r.severity_number).unwrap_or(0));
    w.string(shared.service);
    scratch.clear();
    value_string(r.body.as_ref(), scratch);
    w.string(scratch.as_bytes());
    if cols.resource_schema_url {
        w.string(shared.resource_schema_url);
    }
    w.bytes(shared.resource_attributes);
    if cols.scope_schema_url {
        w.string(shared.scope_schema_url);
    }
    w.string(shared.scope_name);
    w.string(shared.scope_version);
    w.bytes(shared.scope_attributes);
    attributes(&r.attributes, w, scratch);
    if cols.event_name {
        w.string(r.event_name.as_bytes());
    }
}

/// Appends one row per log record, every column; returns the number of rows.
pub fn encode_logs(request: &ExportLogsServiceRequest, w: &mut RowWriter) -> usize {
    encode_logs_with(request, LogColumns::ALL, &mut ResourceCells::Map, w)
}

/// Appends one row per log record with the columns of `cols`, the resource column
/// written by `resources`; returns the number of rows.
pub fn encode_logs_with(
    request: &ExportLogsServiceRequest,
    cols: LogColumns,
    resources: &mut ResourceCells,
    w: &mut RowWriter,
) -> usize {
    let mut rows = 0;
    let mut scratch = String::new();
    let empty = Vec::new();
    for rl in &request.resource_logs {
        let res_attrs = rl.resource.as_ref().map_or(&empty, |r| &r.attributes);
        let service = service_name(res_attrs);
        let mut resource = RowWriter::default();
        resources.write(res_attrs, &mut resource, &mut scratch);
        for sl in &rl.scope_logs {
            let scope = sl.scope.as_ref();
            let mut scope_attrs = RowWriter::default();
            attributes(
                scope.map_or(&empty, |s| &s.attributes),
                &mut scope_attrs,
                &mut scratch,
            );
            let shared = Shared {
                service: service.as_bytes(),
                resource_schema_url: rl.schema_url.as_bytes(),
                resource_attributes: &resource.buf,
                scope_schema_url: sl.schema_url.as_bytes(),
                scope_name: scope.map_or("", |s| s.name.as_str()).as_bytes(),
                scope_version: scope.map_or("", |s| s.version.as_str()).as_bytes(),
                scope_attributes: &scope_attrs.buf,
            };
            for record in &sl.log_records {
                log_row(record, &shared, cols, w, &mut scratch);
                rows += 1;
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests;
