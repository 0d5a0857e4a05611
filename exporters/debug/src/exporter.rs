//! The debug exporter: writes each batch as text, synchronously, and counts it as sent.
//! No queue and no retry: writing a log line does not fail in a way worth retrying.

use std::sync::Mutex;
use std::time::Instant;

use sonde_api::telemetry::ExporterTelemetry;
use sonde_api::{async_trait, ComponentId, ConsumeError, Consumer, Context, Lifecycle, Payload};

use crate::config::{Config, Verbosity};
use crate::sampler::Sampler;
use crate::text::{basic, detailed, normal};

pub struct DebugExporter {
    id: ComponentId,
    config: Config,
    sampler: Mutex<Sampler>,
    telemetry: ExporterTelemetry,
}

impl DebugExporter {
    pub fn new(id: ComponentId, config: Config, telemetry: ExporterTelemetry) -> DebugExporter {
        let sampler = Sampler::new(config.sampling_initial, config.sampling_thereafter);
        DebugExporter {
            id,
            config,
            sampler: Mutex::new(sampler),
            telemetry,
        }
    }

    /// The text written for `payload`: the summary line, then the body for normal and
    /// detailed verbosity (without its final newline). Encoded bytes are decoded here
    /// when the text needs fields, so the renderers only ever see structs.
    pub fn render(verbosity: Verbosity, payload: &Payload) -> Vec<String> {
        if verbosity == Verbosity::Basic {
            if let Some(line) = basic::summary_of_counts(payload) {
                return vec![line];
            }
        }
        let payload = match payload.decoded() {
            Ok(decoded) => decoded,
            Err(err) => return vec![format!("{} that do not decode: {err}", payload.signal())],
        };
        let payload = &*payload;
        let mut out = vec![basic::summary(payload)];
        let body = match verbosity {
            Verbosity::Basic => return out,
            Verbosity::Normal => normal::render(payload),
            Verbosity::Detailed => detailed::render(payload),
        };
        out.push(body.trim_end_matches('\n').to_string());
        out
    }

    fn write(&self, text: &str) {
        if self.config.use_internal_logger {
            tracing::info!(exporter = %self.id, "{text}");
        } else {
            // A closed stdout (`sonde | head`) must not take the collector down.
            use std::io::Write;
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
    }
}

#[async_trait]
impl Consumer for DebugExporter {
    async fn consume(&self, payload: Payload, _ctx: Context) -> Result<(), ConsumeError> {
        let allowed = self
            .sampler
            .lock()
            .map(|mut s| s.allow(Instant::now()))
            .unwrap_or(true);
        if allowed {
            for text in Self::render(self.config.verbosity, &payload) {
                self.write(&text);
            }
        }
        self.telemetry.sent(payload.signal(), payload.item_count());
        Ok(())
    }
}

#[async_trait]
impl Lifecycle for DebugExporter {}
