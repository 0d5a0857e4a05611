//! The autotag processor (`autotag`): puts on data a local process sent over
//! the network the same resource tags the eBPF receiver gives that process —
//! `process.pid`, `process.executable.name`, `process.executable.path`,
//! `container.id`, `host.name`, `service.name` — so that the two correlate.
//!
//! The receivers pass on each request's peer address; the processor finds the
//! local process whose socket has that address (in the eBPF receiver's
//! connection table, [`sonde_processtags::socket_owners`], when it saw the
//! connection, else [`sonde_processtags::socket_owner`] from procfs) and reads
//! its resource ([`sonde_processtags::read_process`]). Attributes
//! the sender set are kept.
//!
//! * [`config`]: keys and defaults.
//! * [`lookup`]: the cache, one lookup per address, the timeout.
//! * [`enrich`]: adding the tags to a payload.
//! * [`kubernetes`]: pod tags from a watched Kubernetes API.
//! * [`processor`]: the pipeline component.

pub mod config;
pub mod enrich;
pub mod kubernetes;
pub mod lookup;
pub mod processor;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

use sonde_api::component::{ConsumerComponent, ProcessorFactory, TypedFactory};
use sonde_api::{BoxError, CreateSettings, SharedConsumer, Signal, Stability};
use sonde_processtags::{read_process, socket_owner, socket_owners, ProcessTableConfig};

use crate::config::Config;
use crate::kubernetes::Kubernetes;
use crate::lookup::{Lookup, Resolve};
use crate::processor::AutoTag;

pub fn factory() -> Arc<dyn ProcessorFactory> {
    Arc::new(AutoTagFactory)
}

struct AutoTagFactory;

impl TypedFactory for AutoTagFactory {
    type Config = Config;
    const TYPE_NAME: &'static str = "autotag";
    const MODULE: &'static str = sonde_api::module_name!();
}

impl ProcessorFactory for AutoTagFactory {
    fn stability(&self, _signal: Signal) -> Option<Stability> {
        Some(Stability::Alpha)
    }

    fn create(
        &self,
        settings: CreateSettings,
        config: &serde_yaml::Value,
        _signal: Signal,
        next: SharedConsumer,
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        let config: Config = sonde_api::config::decode(config)?;
        let lookup = Lookup::new(
            procfs_resolver(&config),
            config.cache_ttl,
            config.lookup_timeout,
        );
        // One watch per processor id, shared by the pipelines that list it.
        let kubernetes = config
            .kubernetes
            .clone()
            .map(|k8s| shared_watch(format!("{}|{k8s:?}", settings.id), || Kubernetes::new(k8s)));
        Ok(Arc::new(AutoTag::new(Arc::new(lookup), kubernetes, next)))
    }
}

/// The production lookup: the socket's owner, then its resource, from procfs.
pub fn procfs_resolver(config: &Config) -> Resolve {
    let mut tags = ProcessTableConfig {
        proc_root: config.proc_root.clone(),
        command_line: config.command_line,
        ..Default::default()
    };
    if !config.host_name.is_empty() {
        tags.host_name = config.host_name.clone();
    }
    Arc::new(move |addr| {
        // The eBPF receiver's connection table when it runs and saw this
        // connection (no scan), else the kernel's socket tables.
        let pid = socket_owners()
            .owner(addr)
            .filter(|pid| tags.proc_root.join(pid.to_string()).exists())
            .or_else(|| socket_owner(&tags.proc_root, addr))?;
        let process = read_process(&tags, pid)?;
        Some(process.resource)
    })
}

/// The live watch of `key`, or a new one. Weak, so a config reload that
/// drops a processor also stops its watch.
fn shared_watch(key: String, make: impl FnOnce() -> Kubernetes) -> Arc<Kubernetes> {
    static WATCHES: Mutex<BTreeMap<String, Weak<Kubernetes>>> = Mutex::new(BTreeMap::new());
    let mut watches = WATCHES.lock().unwrap_or_else(|p| p.into_inner());
    watches.retain(|_, watch| watch.strong_count() > 0);
    if let Some(watch) = watches.get(&key).and_then(Weak::upgrade) {
        return watch;
    }
    let watch = Arc::new(make());
    watches.insert(key, Arc::downgrade(&watch));
    watch
}

#[cfg(test)]
mod tests;
