//! One consumer in front of several: a receiver feeding several pipelines, or a
//! pipeline feeding several exporters. The payload is cloned only for all but the last.

use futures_util::future::join_all;
use sonde_api::{ConsumeError, Consumer, Context, Payload, SharedConsumer};

pub struct Fanout {
    consumers: Vec<SharedConsumer>,
}

impl Fanout {
    /// A single consumer is returned as is: no fan-out layer when there is nothing to fan.
    pub fn build(mut consumers: Vec<SharedConsumer>) -> SharedConsumer {
        if consumers.len() == 1 {
            if let Some(only) = consumers.pop() {
                return only;
            }
        }
        std::sync::Arc::new(Fanout { consumers })
    }
}

#[sonde_api::async_trait]
impl Consumer for Fanout {
    async fn consume(&self, payload: Payload, ctx: Context) -> Result<(), ConsumeError> {
        let Some((last, rest)) = self.consumers.split_last() else {
            return Ok(());
        };
        let mut calls = Vec::with_capacity(self.consumers.len());
        for consumer in rest {
            calls.push(consumer.consume(payload.clone(), ctx.clone()));
        }
        calls.push(last.consume(payload, ctx));
        // Every branch gets the data; the caller hears about the worst failure. A
        // retryable error wins over a permanent one, so the sender retries, as otelcol does.
        let mut worst: Option<ConsumeError> = None;
        for result in join_all(calls).await {
            if let Err(err) = result {
                worst = match worst {
                    Some(w) if w.is_retryable() => Some(w),
                    _ => Some(err),
                };
            }
        }
        worst.map_or(Ok(()), Err)
    }
}
