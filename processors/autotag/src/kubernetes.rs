//! Kubernetes tags for data from pods: the k8sattributes processor's default
//! set (namespace, pod name and uid, start time, deployment, node) plus picked
//! labels and annotations, found by the sending container's id (when the
//! sender is a local process in a container) or by the connection's pod IP.
//!
//! * [`config`]: the `kubernetes` keys.
//! * [`pod`]: a pod's tags, a pure function of the API object.
//! * [`index`]: the pods by IP and container id.
//! * [`watch`]: list-and-watch through kube.

pub mod config;
pub mod index;
pub mod pod;
pub mod watch;

use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

use sonde_api::pdata::common::v1::KeyValue;
use tokio::task::JoinHandle;

use self::config::KubernetesConfig;
use self::index::PodIndex;

/// The watched pods of one processor, shared by its pipelines' instances.
pub struct Kubernetes {
    config: KubernetesConfig,
    index: Arc<RwLock<PodIndex>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Kubernetes {
    pub fn new(config: KubernetesConfig) -> Kubernetes {
        Kubernetes {
            config,
            index: Arc::default(),
            task: Mutex::new(None),
        }
    }

    /// Starts the watch (once). A client that cannot be made is an error: the
    /// config asked for Kubernetes tags and would silently get none.
    pub async fn start(&self) -> Result<(), String> {
        if self
            .task
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
        {
            return Ok(());
        }
        let client = watch::client(self.config.auth_type).await?;
        let node = self.config.node();
        if node.is_none() && !self.config.filter.node_from_env_var.is_empty() {
            tracing::warn!(
                variable = %self.config.filter.node_from_env_var,
                "kubernetes: the node variable is not set; watching the pods of every node"
            );
        }
        let task = tokio::spawn(watch::run(
            client,
            node,
            self.config.extract.clone(),
            Arc::clone(&self.index),
        ));
        *self.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        Ok(())
    }

    pub fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }

    /// The tags of the pod that sent data: by container id first (exact even
    /// for host-network pods), else by the peer address.
    pub fn tags(&self, container_id: Option<&str>, ip: IpAddr) -> Option<Vec<KeyValue>> {
        let index = self.index.read().unwrap_or_else(|p| p.into_inner());
        container_id
            .and_then(|id| index.by_container(id))
            .or_else(|| index.by_ip(ip))
    }

    #[cfg(test)]
    pub fn index(&self) -> &Arc<RwLock<PodIndex>> {
        &self.index
    }
}

impl Drop for Kubernetes {
    fn drop(&mut self) {
        self.stop();
    }
}
