use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::List;
use sonde_api::pdata::common::v1::any_value::Value;

use super::super::config::FieldExtract;
use super::super::index::PodIndex;
use super::*;

pub(crate) fn listed() -> Vec<Pod> {
    let text = include_str!("../../testdata/pods.json");
    let list: List<Pod> = serde_json::from_str(text).unwrap();
    list.items
}

pub(crate) fn watched() -> Vec<(String, Pod)> {
    include_str!("../../testdata/pods-watch.jsonl")
        .lines()
        .map(|line| {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            let pod: Pod = serde_json::from_value(event["object"].clone()).unwrap();
            (event["type"].as_str().unwrap().to_owned(), pod)
        })
        .collect()
}

pub(crate) fn map(tags: &[KeyValue]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|kv| {
            let Some(Value::StringValue(v)) = kv.value.clone().and_then(|v| v.value) else {
                panic!("{} is not a string", kv.key);
            };
            (kv.key.clone(), v)
        })
        .collect()
}

fn pairs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const CHECKOUT_APP: &str = "3f4e2b1c9d8a7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";

#[test]
fn the_default_set_of_a_deployment_pod() {
    let pods = listed();
    let checkout = entry(&pods[0], &Extract::default()).unwrap();
    assert_eq!(checkout.uid, "5f0c7a8e-1b2c-4d3e-8f90-a1b2c3d4e5f6");
    assert_eq!(
        checkout.ips,
        [
            "10.244.1.17".parse::<IpAddr>().unwrap(),
            "fd00:10:244:1::11".parse().unwrap()
        ]
    );
    assert_eq!(
        map(&checkout.tags),
        pairs(&[
            ("k8s.namespace.name", "shop"),
            ("k8s.pod.name", "checkout-7d9f8b6c5d-x2x8q"),
            ("k8s.pod.uid", "5f0c7a8e-1b2c-4d3e-8f90-a1b2c3d4e5f6"),
            ("k8s.pod.start_time", "2026-11-20T08:00:02Z"),
            ("k8s.deployment.name", "checkout"),
            ("k8s.node.name", "node-a"),
        ])
    );
    // The default set has no container attributes, but the ids still find the pod.
    let ids: Vec<_> = checkout
        .containers
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            CHECKOUT_APP,
            "9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a"
        ]
    );
}

#[test]
fn picked_metadata_labels_annotations_and_container_attributes() {
    let extract = Extract {
        metadata: [
            "k8s.pod.name",
            "k8s.replicaset.name",
            "k8s.statefulset.name",
            "k8s.daemonset.name",
            "k8s.pod.ip",
            "k8s.pod.hostname",
            "k8s.container.name",
            "container.image.name",
            "container.image.tag",
        ]
        .map(String::from)
        .to_vec(),
        labels: vec![
            FieldExtract {
                tag_name: String::new(),
                key: "app".into(),
                from: "pod".into(),
            },
            FieldExtract {
                tag_name: "tier".into(),
                key: "tier".into(),
                from: "pod".into(),
            },
        ],
        annotations: vec![FieldExtract {
            tag_name: "owner.team".into(),
            key: "team".into(),
            from: "pod".into(),
        }],
    };
    let pods = listed();
    let checkout = entry(&pods[0], &extract).unwrap();
    assert_eq!(
        map(&checkout.tags),
        pairs(&[
            ("k8s.pod.name", "checkout-7d9f8b6c5d-x2x8q"),
            ("k8s.replicaset.name", "checkout-7d9f8b6c5d"),
            ("k8s.pod.ip", "10.244.1.17"),
            ("k8s.pod.hostname", "checkout-7d9f8b6c5d-x2x8q"),
            ("k8s.pod.labels.app", "checkout"),
            ("tier", "backend"),
            ("owner.team", "payments"),
        ])
    );
    assert_eq!(
        map(&checkout.containers[0].1),
        pairs(&[
            ("k8s.container.name", "app"),
            ("container.image.name", "registry.local:5000/shop/checkout"),
            ("container.image.tag", "1.4.2"),
        ])
    );
    // A digest-only image has a name and no tag.
    assert_eq!(
        map(&checkout.containers[1].1),
        pairs(&[
            ("k8s.container.name", "sidecar"),
            ("container.image.name", "envoyproxy/envoy")
        ])
    );
    let web = entry(&pods[2], &extract).unwrap();
    assert_eq!(map(&web.tags)["k8s.statefulset.name"], "web");
    assert_eq!(map(&web.tags)["k8s.pod.hostname"], "web-0");
    let agent = entry(&pods[1], &extract).unwrap();
    assert_eq!(map(&agent.tags)["k8s.daemonset.name"], "node-agent");
}

#[test]
fn a_host_network_pod_is_found_by_container_only() {
    let mut index = PodIndex::default();
    index.reset(
        listed()
            .iter()
            .filter_map(|p| entry(p, &Extract::default()))
            .collect(),
    );
    assert_eq!(index.len(), 3);
    let node_ip: IpAddr = "192.168.10.11".parse().unwrap();
    assert_eq!(index.by_ip(node_ip), None);
    let agent = index
        .by_container("aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999")
        .unwrap();
    assert_eq!(map(&agent)["k8s.pod.name"], "node-agent-8kq2m");
    // No ReplicaSet owner: no deployment name.
    assert!(!map(&agent).contains_key("k8s.deployment.name"));
    let by_ip = index.by_ip("10.244.1.17".parse().unwrap()).unwrap();
    assert_eq!(by_ip, index.by_container(CHECKOUT_APP).unwrap());
    // A v4-mapped peer address finds the IPv4 pod.
    assert_eq!(
        index.by_ip("::ffff:10.244.1.17".parse().unwrap()),
        Some(by_ip)
    );
}

#[test]
fn watch_events_add_change_and_delete_pods() {
    let extract = Extract {
        labels: vec![FieldExtract {
            tag_name: String::new(),
            key: "tier".into(),
            from: "pod".into(),
        }],
        ..Extract::default()
    };
    let mut index = PodIndex::default();
    index.reset(listed().iter().filter_map(|p| entry(p, &extract)).collect());
    let web_ip: IpAddr = "127.0.0.2".parse().unwrap();
    assert!(!map(&index.by_ip(web_ip).unwrap()).contains_key("k8s.pod.labels.tier"));
    for (kind, pod) in watched() {
        match kind.as_str() {
            "DELETED" => index.delete(pod.metadata.uid.as_deref().unwrap()),
            _ => index.apply(entry(&pod, &extract).unwrap()),
        }
    }
    assert_eq!(index.len(), 3);
    assert_eq!(
        map(&index.by_ip(web_ip).unwrap())["k8s.pod.labels.tier"],
        "frontend"
    );
    assert_eq!(index.by_ip("10.244.1.17".parse().unwrap()), None);
    assert_eq!(index.by_container(CHECKOUT_APP), None);
    let report = map(&index.by_ip("127.0.0.3".parse().unwrap()).unwrap());
    assert_eq!(report["k8s.pod.name"], "report-29150000-abcde");
    assert_eq!(report["k8s.namespace.name"], "batch");
}
