//! Keeps the pod index current through the API's list-and-watch (kube's
//! watcher: it lists, watches from that version, re-lists when the watch
//! expires, and backs off on errors).

use std::sync::{Arc, RwLock};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Api, Client};

use super::config::{AuthType, Extract};
use super::index::PodIndex;
use super::pod::entry;

/// A client for `auth_type`.
pub async fn client(auth_type: AuthType) -> Result<Client, String> {
    let config = match auth_type {
        AuthType::ServiceAccount => kube::Config::incluster()
            .map_err(|e| format!("kubernetes: not running in a pod with a service account: {e}"))?,
        AuthType::KubeConfig => kube::Config::from_kubeconfig(&Default::default())
            .await
            .map_err(|e| format!("kubernetes: cannot read the kubeconfig: {e}"))?,
        AuthType::None => {
            let mut config = kube::Config::incluster_env().map_err(|e| {
                format!("kubernetes: KUBERNETES_SERVICE_HOST/PORT are not set: {e}")
            })?;
            config.auth_info = Default::default();
            config
        }
    };
    Client::try_from(config).map_err(|e| format!("kubernetes: cannot make a client: {e}"))
}

/// Watches the pods (of `node` only, when given) into `index` until the task
/// is aborted. Pods listed before the first `InitDone` replace the index at
/// once, so a re-list drops the pods deleted while the watch was down.
pub async fn run(
    client: Client,
    node: Option<String>,
    extract: Extract,
    index: Arc<RwLock<PodIndex>>,
) {
    let mut config = watcher::Config::default();
    if let Some(node) = &node {
        config = config.fields(&format!("spec.nodeName={node}"));
    }
    let api: Api<Pod> = Api::all(client);
    let mut events = watcher::watcher(api, config).default_backoff().boxed();
    let mut listing = Vec::new();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!(%error, "kubernetes: pod watch failed; retrying");
                continue;
            }
        };
        let mut index = index.write().unwrap_or_else(|p| p.into_inner());
        match event {
            Event::Init => listing.clear(),
            Event::InitApply(pod) => listing.extend(entry(&pod, &extract)),
            Event::InitDone => {
                index.reset(std::mem::take(&mut listing));
                tracing::info!(pods = index.len(), "kubernetes: pods listed");
            }
            Event::Apply(pod) => {
                if let Some(pod) = entry(&pod, &extract) {
                    index.apply(pod);
                }
            }
            Event::Delete(pod) => {
                if let Some(uid) = &pod.metadata.uid {
                    index.delete(uid);
                }
            }
        }
    }
}
