//! `sonde components`: the registry as YAML, in the shape otelcol prints.

use serde_yaml::{Mapping, Value};
use sonde_api::component::Factory;
use sonde_api::{Kind, Signal};

use crate::registry::Registry;

pub fn components_yaml(registry: &Registry, version: &str) -> String {
    let mut root = Mapping::new();
    let mut build = Mapping::new();
    build.insert("command".into(), "sonde".into());
    build.insert(
        "description".into(),
        "sonde: an OpenTelemetry Collector distribution with eBPF".into(),
    );
    build.insert("version".into(), version.into());
    root.insert("buildinfo".into(), Value::Mapping(build));
    for kind in [Kind::Receiver, Kind::Processor, Kind::Exporter] {
        let mut list = Vec::new();
        for name in registry.type_names(kind) {
            let Some(factory) = registry.factory(kind, name) else {
                continue;
            };
            let mut stability = Mapping::new();
            for signal in [Signal::Logs, Signal::Metrics, Signal::Traces] {
                let level = registry
                    .stability(kind, name, signal)
                    .map_or("Undefined", |s| s.as_str());
                stability.insert(signal.as_str().into(), level.into());
            }
            list.push(entry(factory, stability));
        }
        root.insert(kind.section().into(), Value::Sequence(list));
    }
    root.insert("connectors".into(), Value::Sequence(Vec::new()));
    let mut list = Vec::new();
    for name in registry.type_names(Kind::Extension) {
        let Some(factory) = registry.extension(name) else {
            continue;
        };
        let mut stability = Mapping::new();
        stability.insert("extension".into(), factory.stability().as_str().into());
        list.push(entry(factory.as_ref(), stability));
    }
    root.insert("extensions".into(), Value::Sequence(list));
    let providers = ["env", "file", "yaml"]
        .iter()
        .map(|s| {
            let mut m = Mapping::new();
            m.insert("scheme".into(), (*s).into());
            Value::Mapping(m)
        })
        .collect();
    root.insert("providers".into(), Value::Sequence(providers));
    serde_yaml::to_string(&Value::Mapping(root)).unwrap_or_default()
}

fn entry(factory: &dyn Factory, stability: Mapping) -> Value {
    let mut m = Mapping::new();
    m.insert("name".into(), factory.type_name().into());
    if !factory.aliases().is_empty() {
        let aliases = factory.aliases().iter().map(|a| Value::from(*a)).collect();
        m.insert("aliases".into(), Value::Sequence(aliases));
    }
    m.insert("module".into(), factory.module().into());
    m.insert("stability".into(), Value::Mapping(stability));
    Value::Mapping(m)
}
