//! The one path every request a receiver takes follows into the pipelines, whatever
//! the receiver and its transport: find the signal's consumer, attach who sent it,
//! push, count (otelcol's `otelcol_receiver_accepted_*` / `_refused_*`).

use std::net::SocketAddr;
use std::sync::Arc;

use crate::component::SignalConsumers;
use crate::telemetry::ReceiverTelemetry;
use crate::{ClientInfo, ConsumeError, Context, Payload, Signal};

/// Pushes the payloads of one receiver's transport into the pipelines.
#[derive(Clone)]
pub struct Intake {
    consumers: SignalConsumers,
    telemetry: ReceiverTelemetry,
    include_metadata: bool,
}

impl Intake {
    pub fn new(
        consumers: SignalConsumers,
        telemetry: ReceiverTelemetry,
        include_metadata: bool,
    ) -> Intake {
        Intake {
            consumers,
            telemetry,
            include_metadata,
        }
    }

    /// True when some pipeline takes this signal from this receiver.
    pub fn serves(&self, signal: Signal) -> bool {
        self.consumers.get(signal).is_some()
    }

    /// Hands `payload` to its pipeline. The peer address always travels with it (the
    /// autotag processor needs it); headers only when `include_metadata` is on.
    pub async fn deliver(
        &self,
        payload: Payload,
        addr: Option<SocketAddr>,
        metadata: impl FnOnce() -> Vec<(String, String)>,
    ) -> Result<(), ConsumeError> {
        let signal = payload.signal();
        let Some(consumer) = self.consumers.get(signal) else {
            // The transports only route signals that have a consumer.
            return Err(ConsumeError::permanent(format!(
                "no pipeline takes {signal} from this receiver"
            )));
        };
        let items = payload.item_count();
        // otelcol answers a request with nothing in it without bothering the pipeline.
        if items == 0 {
            return Ok(());
        }
        let metadata = if self.include_metadata {
            metadata()
        } else {
            Vec::new()
        };
        let ctx = Context {
            client: Some(Arc::new(ClientInfo { addr, metadata })),
        };
        let result = consumer.consume(payload, ctx).await;
        match &result {
            Ok(()) => self.telemetry.accepted(signal, items),
            Err(err) => {
                tracing::debug!(%signal, items, error = %err, "pipeline refused data");
                self.telemetry.refused(signal, items);
            }
        }
        result
    }
}
