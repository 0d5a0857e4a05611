//! The autotag processor in a pipeline: looks up who sent each request and
//! tags its resources, or passes it on as it came.

use std::sync::Arc;

use sonde_api::pdata::common::v1::{any_value, KeyValue};
use sonde_api::{
    async_trait, BoxError, ConsumeError, Consumer, Context, Host, Lifecycle, Payload,
    SharedConsumer,
};
use sonde_processtags::CONTAINER_ID;

use crate::enrich::tag;
use crate::kubernetes::Kubernetes;
use crate::lookup::{Lookup, Outcome};

pub struct AutoTag {
    lookup: Arc<Lookup>,
    kubernetes: Option<Arc<Kubernetes>>,
    next: SharedConsumer,
}

impl AutoTag {
    pub fn new(
        lookup: Arc<Lookup>,
        kubernetes: Option<Arc<Kubernetes>>,
        next: SharedConsumer,
    ) -> AutoTag {
        AutoTag {
            lookup,
            kubernetes,
            next,
        }
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
        let mut tags: Vec<KeyValue> = match self.lookup.get(addr).await {
            Outcome::Found(process) => process.attributes.clone(),
            Outcome::NotLocal => Vec::new(),
            Outcome::TimedOut => {
                tracing::debug!(%addr, "autotag: lookup still running; no process tags");
                Vec::new()
            }
        };
        if let Some(kubernetes) = &self.kubernetes {
            let container = tags
                .iter()
                .find(|kv| kv.key == CONTAINER_ID)
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    any_value::Value::StringValue(id) => Some(id.as_str()),
                    _ => None,
                });
            let pod = kubernetes.tags(container, addr.ip());
            tags.extend(pod.into_iter().flatten());
        }
        let payload = if tags.is_empty() {
            payload
        } else {
            tag(payload, &tags)
        };
        self.next.consume(payload, ctx).await
    }
}

#[async_trait]
impl Lifecycle for AutoTag {
    async fn start(&self, _host: &Host) -> Result<(), BoxError> {
        if let Some(kubernetes) = &self.kubernetes {
            kubernetes.start().await?;
        }
        Ok(())
    }

    async fn shutdown(&self) -> Result<(), BoxError> {
        if let Some(kubernetes) = &self.kubernetes {
            kubernetes.stop();
        }
        Ok(())
    }
}
