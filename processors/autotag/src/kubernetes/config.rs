//! The `kubernetes` section of the autotag processor: otelcol-contrib's
//! k8sattributes keys (`auth_type`, `filter`, `extract`) for the part it does.

use serde::{Deserialize, Serialize};
use sonde_api::config::ConfigError;

/// The attributes `extract.metadata` may name, and (first six) the default set,
/// as the k8sattributes processor has them.
pub const DEFAULT_METADATA: &[&str] = &[
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.pod.uid",
    "k8s.pod.start_time",
    "k8s.deployment.name",
    "k8s.node.name",
];
pub const OPTIONAL_METADATA: &[&str] = &[
    "k8s.pod.ip",
    "k8s.pod.hostname",
    "k8s.replicaset.name",
    "k8s.replicaset.uid",
    "k8s.daemonset.name",
    "k8s.daemonset.uid",
    "k8s.statefulset.name",
    "k8s.statefulset.uid",
    "k8s.job.name",
    "k8s.job.uid",
    "k8s.container.name",
    "container.image.name",
    "container.image.tag",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubernetesConfig {
    /// How to reach the API: `serviceAccount` (in a pod), `kubeConfig`
    /// (`$KUBECONFIG` or `~/.kube/config`), `none` (in-cluster address, no
    /// credentials).
    pub auth_type: AuthType,
    pub filter: Filter,
    pub extract: Extract,
}

impl Default for KubernetesConfig {
    fn default() -> Self {
        KubernetesConfig {
            auth_type: AuthType::ServiceAccount,
            filter: Filter::default(),
            extract: Extract::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthType {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "serviceAccount")]
    ServiceAccount,
    #[serde(rename = "kubeConfig")]
    KubeConfig,
}

/// Which pods to watch. A collector run per node watches its node's only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Filter {
    /// Watch only the pods of this node.
    pub node: String,
    /// Watch only the pods of the node this environment variable names
    /// (usually set from the downward API's `spec.nodeName`).
    pub node_from_env_var: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Extract {
    pub metadata: Vec<String>,
    pub labels: Vec<FieldExtract>,
    pub annotations: Vec<FieldExtract>,
}

impl Default for Extract {
    fn default() -> Self {
        Extract {
            metadata: DEFAULT_METADATA.iter().map(|s| s.to_string()).collect(),
            labels: Vec::new(),
            annotations: Vec::new(),
        }
    }
}

/// One pod label or annotation to copy onto data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldExtract {
    /// The attribute to set; default `k8s.pod.labels.<key>` /
    /// `k8s.pod.annotations.<key>`.
    #[serde(default)]
    pub tag_name: String,
    pub key: String,
    /// Only `pod` is supported.
    #[serde(default = "pod")]
    pub from: String,
}

fn pod() -> String {
    "pod".into()
}

impl KubernetesConfig {
    /// Checks the section; `path` is where it sits in the processor's config.
    pub fn validate(&self, path: &[&str]) -> Result<(), ConfigError> {
        fn at<'a>(path: &[&'a str], keys: &[&'a str]) -> Vec<&'a str> {
            path.iter().chain(keys).copied().collect()
        }
        for name in &self.extract.metadata {
            if !DEFAULT_METADATA.contains(&name.as_str())
                && !OPTIONAL_METADATA.contains(&name.as_str())
            {
                return Err(ConfigError::new(
                    &at(path, &["extract", "metadata"]),
                    format!("\"{name}\" is not a supported metadata field"),
                ));
            }
        }
        for (list, fields) in [
            ("labels", &self.extract.labels),
            ("annotations", &self.extract.annotations),
        ] {
            for field in fields {
                if field.key.is_empty() {
                    return Err(ConfigError::new(
                        &at(path, &["extract", list, "key"]),
                        "'key' must be set",
                    ));
                }
                if field.from != "pod" {
                    return Err(ConfigError::new(
                        &at(path, &["extract", list, "from"]),
                        format!(
                            "\"{}\" is not supported: only \"pod\" {list} are extracted",
                            field.from
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The node to restrict the watch to, if any.
    pub fn node(&self) -> Option<String> {
        if !self.filter.node.is_empty() {
            return Some(self.filter.node.clone());
        }
        if self.filter.node_from_env_var.is_empty() {
            return None;
        }
        std::env::var(&self.filter.node_from_env_var)
            .ok()
            .filter(|node| !node.is_empty())
    }
}
