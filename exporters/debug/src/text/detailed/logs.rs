//! Log records, in detail.

use sonde_api::pdata::logs::v1::SeverityNumber;
use sonde_api::pdata::ExportLogsServiceRequest;

use super::Out;
use crate::text::values::{hex_id, timestamp, typed};

pub(super) fn write(out: &mut Out, req: &ExportLogsServiceRequest) {
    for (i, rl) in req.resource_logs.iter().enumerate() {
        out.line(format_args!("ResourceLog #{i}"));
        out.line(format_args!("Resource SchemaURL: {}", rl.schema_url));
        let attributes = rl.resource.as_ref().map(|r| r.attributes.as_slice());
        out.attributes("Resource attributes", attributes.unwrap_or(&[]));
        for (j, sl) in rl.scope_logs.iter().enumerate() {
            out.line(format_args!("ScopeLogs #{j}"));
            out.line(format_args!("ScopeLogs SchemaURL: {}", sl.schema_url));
            out.scope(sl.scope.as_ref());
            for (k, lr) in sl.log_records.iter().enumerate() {
                out.line(format_args!("LogRecord #{k}"));
                out.line(format_args!(
                    "ObservedTimestamp: {}",
                    timestamp(lr.observed_time_unix_nano)
                ));
                out.line(format_args!("Timestamp: {}", timestamp(lr.time_unix_nano)));
                out.line(format_args!("SeverityText: {}", lr.severity_text));
                out.line(format_args!(
                    "SeverityNumber: {}({})",
                    severity(lr.severity_number),
                    lr.severity_number
                ));
                if !lr.event_name.is_empty() {
                    out.line(format_args!("EventName: {}", lr.event_name));
                }
                out.line(format_args!("Body: {}", typed(lr.body.as_ref())));
                out.attributes("Attributes", &lr.attributes);
                out.line(format_args!("Trace ID: {}", hex_id(&lr.trace_id)));
                out.line(format_args!("Span ID: {}", hex_id(&lr.span_id)));
                out.line(format_args!("Flags: {}", lr.flags));
            }
        }
    }
}

/// pdata's names: `Info`, `Info2`, ..., `Unspecified`; an unknown number prints as nothing.
fn severity(n: i32) -> String {
    match SeverityNumber::try_from(n) {
        Ok(SeverityNumber::Unspecified) => "Unspecified".to_string(),
        Ok(s) => {
            // "SEVERITY_NUMBER_INFO2" → "Info2"
            let name = s.as_str_name().trim_start_matches("SEVERITY_NUMBER_");
            let mut chars = name.chars();
            match chars.next() {
                Some(first) => first.to_string() + &chars.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        }
        Err(_) => String::new(),
    }
}
