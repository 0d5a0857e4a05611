//! What one pod contributes: the addresses and container ids it is found by,
//! and the attributes it puts on data, per the `extract` config.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Pod;
use sonde_api::pdata::common::v1::{any_value, AnyValue, KeyValue};

use super::config::Extract;

/// A pod as the index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct PodEntry {
    pub uid: String,
    /// Pod IPs; empty for host-network pods, whose address is the node's and
    /// so names no single pod.
    pub ips: Vec<IpAddr>,
    /// Its containers: runtime id (without the `containerd://` scheme) and the
    /// attributes of that container.
    pub containers: Vec<(String, Vec<KeyValue>)>,
    /// The pod's attributes, for data matched by address or container.
    pub tags: Vec<KeyValue>,
}

/// `None` for a pod without a uid (the API always sets one).
pub fn entry(pod: &Pod, extract: &Extract) -> Option<PodEntry> {
    let meta = &pod.metadata;
    let uid = meta.uid.clone()?;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let host_network = spec.and_then(|s| s.host_network).unwrap_or(false);
    let mut ips = Vec::new();
    if !host_network {
        let listed = status.and_then(|s| s.pod_ips.as_ref());
        for ip in listed.into_iter().flatten().map(|ip| ip.ip.as_str()) {
            ips.extend(ip.parse::<IpAddr>().ok());
        }
        if ips.is_empty() {
            ips.extend(status.and_then(|s| s.pod_ip.as_deref()?.parse::<IpAddr>().ok()));
        }
    }

    let owner = |kind: &str| {
        meta.owner_references
            .iter()
            .flatten()
            .find(|owner| owner.kind == kind)
    };
    let labels = meta.labels.as_ref();
    let deployment = owner("ReplicaSet").and_then(|rs| {
        // A Deployment names its ReplicaSets `<deployment>-<pod-template-hash>`.
        let hash = labels?.get("pod-template-hash")?;
        rs.name
            .strip_suffix(hash.as_str())?
            .strip_suffix('-')
            .map(str::to_owned)
    });
    let started = status
        .and_then(|s| s.start_time.as_ref())
        .map(|time| time.0.to_string());

    let mut tags = Vec::new();
    for name in &extract.metadata {
        let value = match name.as_str() {
            "k8s.namespace.name" => meta.namespace.clone(),
            "k8s.pod.name" => meta.name.clone(),
            "k8s.pod.uid" => Some(uid.clone()),
            "k8s.pod.start_time" => started.clone(),
            "k8s.pod.ip" => ips.first().map(IpAddr::to_string),
            "k8s.pod.hostname" => spec
                .and_then(|s| s.hostname.clone())
                .or_else(|| meta.name.clone()),
            "k8s.deployment.name" => deployment.clone(),
            "k8s.node.name" => spec.and_then(|s| s.node_name.clone()),
            "k8s.replicaset.name" => owner("ReplicaSet").map(|o| o.name.clone()),
            "k8s.replicaset.uid" => owner("ReplicaSet").map(|o| o.uid.clone()),
            "k8s.daemonset.name" => owner("DaemonSet").map(|o| o.name.clone()),
            "k8s.daemonset.uid" => owner("DaemonSet").map(|o| o.uid.clone()),
            "k8s.statefulset.name" => owner("StatefulSet").map(|o| o.name.clone()),
            "k8s.statefulset.uid" => owner("StatefulSet").map(|o| o.uid.clone()),
            "k8s.job.name" => owner("Job").map(|o| o.name.clone()),
            "k8s.job.uid" => owner("Job").map(|o| o.uid.clone()),
            // Container attributes are per container: see below.
            _ => None,
        };
        tags.extend(value.filter(|v| !v.is_empty()).map(|v| string(name, v)));
    }
    for field in &extract.labels {
        let value = labels.and_then(|l| l.get(&field.key));
        tags.extend(value.map(|v| string(&tag_name(field, "labels"), v.clone())));
    }
    for field in &extract.annotations {
        let value = meta.annotations.as_ref().and_then(|a| a.get(&field.key));
        tags.extend(value.map(|v| string(&tag_name(field, "annotations"), v.clone())));
    }

    let statuses = status.into_iter().flat_map(|s| {
        let init = s.init_container_statuses.iter().flatten();
        init.chain(s.container_statuses.iter().flatten())
    });
    let containers = statuses
        .filter_map(|container| {
            let id = container.container_id.as_deref()?;
            // `containerd://<id>`, `docker://<id>`, `cri-o://<id>`.
            let id = id.split_once("://").map_or(id, |(_, id)| id).to_owned();
            let (image, tag) = split_image(&container.image);
            let mut attributes = Vec::new();
            for name in &extract.metadata {
                let value = match name.as_str() {
                    "k8s.container.name" => Some(container.name.clone()),
                    "container.image.name" => Some(image.to_owned()),
                    "container.image.tag" => tag.map(str::to_owned),
                    _ => None,
                };
                attributes.extend(value.filter(|v| !v.is_empty()).map(|v| string(name, v)));
            }
            Some((id, attributes))
        })
        .collect();

    Some(PodEntry {
        uid,
        ips,
        containers,
        tags,
    })
}

fn tag_name(field: &super::config::FieldExtract, kind: &str) -> String {
    if field.tag_name.is_empty() {
        format!("k8s.pod.{kind}.{}", field.key)
    } else {
        field.tag_name.clone()
    }
}

/// `registry:5000/team/app:1.2@sha256:...` -> (`registry:5000/team/app`, `1.2`).
fn split_image(image: &str) -> (&str, Option<&str>) {
    let image = image.split_once('@').map_or(image, |(name, _digest)| name);
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(colon) => {
            let colon = last_slash + colon;
            (&image[..colon], Some(&image[colon + 1..]))
        }
        None => (image, None),
    }
}

fn string(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value)),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
#[path = "pod_tests.rs"]
mod tests;
