//! The watched pods, found by pod IP or by container id.

use std::collections::HashMap;
use std::net::IpAddr;

use sonde_api::pdata::common::v1::KeyValue;

use super::pod::PodEntry;

#[derive(Default)]
pub struct PodIndex {
    pods: HashMap<String, PodEntry>,
    by_ip: HashMap<IpAddr, String>,
    by_container: HashMap<String, String>,
}

impl PodIndex {
    /// Adds or replaces a pod (by uid).
    pub fn apply(&mut self, pod: PodEntry) {
        self.delete(&pod.uid);
        for ip in &pod.ips {
            self.by_ip.insert(*ip, pod.uid.clone());
        }
        for (id, _) in &pod.containers {
            self.by_container.insert(id.clone(), pod.uid.clone());
        }
        self.pods.insert(pod.uid.clone(), pod);
    }

    pub fn delete(&mut self, uid: &str) {
        let Some(old) = self.pods.remove(uid) else {
            return;
        };
        // An address or id already taken over by a newer pod stays with it.
        for ip in &old.ips {
            if self.by_ip.get(ip).is_some_and(|owner| owner == uid) {
                self.by_ip.remove(ip);
            }
        }
        for (id, _) in &old.containers {
            if self.by_container.get(id).is_some_and(|owner| owner == uid) {
                self.by_container.remove(id);
            }
        }
    }

    /// Replaces everything with a fresh listing.
    pub fn reset(&mut self, pods: Vec<PodEntry>) {
        *self = PodIndex::default();
        for pod in pods {
            self.apply(pod);
        }
    }

    pub fn len(&self) -> usize {
        self.pods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
    }

    /// The tags of the pod running container `id`: the pod's, then the
    /// container's own.
    pub fn by_container(&self, id: &str) -> Option<Vec<KeyValue>> {
        let pod = self.pods.get(self.by_container.get(id)?)?;
        let container = pod.containers.iter().find(|(cid, _)| cid == id);
        let mut tags = pod.tags.clone();
        tags.extend(
            container
                .into_iter()
                .flat_map(|(_, attrs)| attrs.iter().cloned()),
        );
        Some(tags)
    }

    /// The tags of the pod with address `ip` (container attributes need a
    /// container id, so they are left out).
    pub fn by_ip(&self, ip: IpAddr) -> Option<Vec<KeyValue>> {
        let ip = ip.to_canonical();
        Some(self.pods.get(self.by_ip.get(&ip)?)?.tags.clone())
    }
}
