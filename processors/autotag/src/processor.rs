//! The autotag processor in a pipeline: looks up who sent each request and
//! tags its resources, or passes it on as it came.

use std::sync::Arc;

use sonde_api::{async_trait, ConsumeError, Consumer, Context, Lifecycle, Payload, SharedConsumer};

use crate::enrich::tag;
use crate::lookup::{Lookup, Outcome};

pub struct AutoTag {
    lookup: Arc<Lookup>,
    next: SharedConsumer,
}

impl AutoTag {
    pub fn new(lookup: Arc<Lookup>, next: SharedConsumer) -> AutoTag {
        AutoTag { lookup, next }
    }
}

#[async_trait]
impl Consumer for AutoTag {
    async fn consume(&self, payload: Payload, ctx: Context) -> Result<(), ConsumeError> {
        // Data with no peer address (the eBPF receiver's, already tagged; or
        // data merged by a batch processor placed before this one) goes on.
        let Some(addr) = ctx.client.as_ref().and_then(|client| client.addr) else {
            return self.next.consume(payload, ctx).await;
        };
        let payload = match self.lookup.get(addr).await {
            Outcome::Found(tags) => tag(payload, &tags),
            Outcome::NotLocal => payload,
            Outcome::TimedOut => {
                tracing::debug!(%addr, "autotag: lookup still running; data goes on untagged");
                payload
            }
        };
        self.next.consume(payload, ctx).await
    }
}

impl Lifecycle for AutoTag {}
