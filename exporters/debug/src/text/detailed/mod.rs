//! `verbosity: detailed`: every field of every item, in otelcol's text layout:
//!
//! ```text
//! ResourceSpans #0
//! Resource SchemaURL:
//! Resource attributes:
//!      -> service.name: Str(checkout)
//! ScopeSpans #0
//! ...
//! ```

mod logs;
mod metrics;
mod traces;

use std::fmt::{self, Write};

use sonde_api::pdata::common::v1::{InstrumentationScope, KeyValue};
use sonde_api::Payload;

use super::values::typed;

pub fn render(payload: &Payload) -> String {
    let mut out = Out::default();
    match payload {
        Payload::Traces(r) => traces::write(&mut out, r),
        Payload::Metrics(r) => metrics::write(&mut out, r),
        Payload::Logs(r) => logs::write(&mut out, r),
        // The exporter decodes before rendering.
        Payload::Encoded(_) => {}
    }
    out.0
}

/// A text buffer with otelcol's line helpers.
#[derive(Default)]
struct Out(String);

impl Out {
    fn line(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.0.write_fmt(args);
        self.0.push('\n');
    }

    /// `    Name           : value`: the label padded to 15 columns.
    fn field(&mut self, label: &str, value: impl fmt::Display) {
        self.line(format_args!("    {label:<15}: {value}"));
    }

    /// `Header:` then ` -> key: Type(value)` lines; nothing when there are no attributes.
    /// A header that itself starts with an arrow indents its entries under it.
    fn attributes(&mut self, header: &str, attributes: &[KeyValue]) {
        if attributes.is_empty() {
            return;
        }
        self.line(format_args!("{header}:"));
        let prefix = match header.split_once("->") {
            Some((indent, _)) => format!("{indent}     ->"),
            None => "     ->".to_string(),
        };
        for kv in attributes {
            self.line(format_args!(
                "{prefix} {}: {}",
                kv.key,
                typed(kv.value.as_ref())
            ));
        }
    }

    fn scope(&mut self, scope: Option<&InstrumentationScope>) {
        let (name, version, attributes) = match scope {
            Some(s) => (s.name.as_str(), s.version.as_str(), s.attributes.as_slice()),
            None => ("", "", &[][..]),
        };
        self.line(format_args!("InstrumentationScope {name} {version}"));
        self.attributes("InstrumentationScope attributes", attributes);
    }
}
