//! From a resolved config tree to a validated plan: every id parsed, every type known,
//! every component config decoded, every pipeline reference checked. Errors use
//! otelcol's wording and name the key path.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::{Mapping, Value};
use sonde_api::config::decode;
use sonde_api::{ComponentId, Kind, Signal};

use crate::config::{RawConfig, TelemetryConfig};
use crate::registry::Registry;

/// One pipeline, with its signal and components in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub id: String,
    pub signal: Signal,
    pub receivers: Vec<ComponentId>,
    pub processors: Vec<ComponentId>,
    pub exporters: Vec<ComponentId>,
}

/// A config that passed every check; building it can still fail (a port in use).
#[derive(Debug, Clone)]
pub struct Plan {
    pub receivers: BTreeMap<ComponentId, Value>,
    pub processors: BTreeMap<ComponentId, Value>,
    pub exporters: BTreeMap<ComponentId, Value>,
    pub extensions: BTreeMap<ComponentId, Value>,
    /// Extensions in the order `service.extensions` lists them.
    pub service_extensions: Vec<ComponentId>,
    pub pipelines: Vec<Pipeline>,
    pub telemetry: TelemetryConfig,
}

pub fn plan(tree: &Value, registry: &Registry) -> Result<Plan, String> {
    let raw: RawConfig = decode(tree).map_err(|e| e.to_string())?;
    if !raw.connectors.is_empty() {
        let ids: Vec<String> = raw
            .connectors
            .keys()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
        return Err(format!(
            "error decoding 'connectors': unknown type: {:?} for id: {:?} (valid values: [])",
            ids.first()
                .map(|s| s.split('/').next().unwrap_or(""))
                .unwrap_or(""),
            ids.first().map(String::as_str).unwrap_or("")
        ));
    }
    let receivers = section(&raw.receivers, Kind::Receiver, registry)?;
    let processors = section(&raw.processors, Kind::Processor, registry)?;
    let exporters = section(&raw.exporters, Kind::Exporter, registry)?;
    let extensions = section(&raw.extensions, Kind::Extension, registry)?;
    raw.service
        .telemetry
        .validate()
        .map_err(|e| e.to_string())?;

    let mut service_extensions = Vec::new();
    for name in &raw.service.extensions {
        let id = ComponentId::parse(name).map_err(|e| format!("service::extensions: {e}"))?;
        if !extensions.contains_key(&id) {
            return Err(format!(
                "service::extensions: references extension {name:?} which is not configured"
            ));
        }
        if service_extensions.contains(&id) {
            return Err(format!(
                "service::extensions: references extension {name:?} multiple times"
            ));
        }
        service_extensions.push(id);
    }

    if raw.service.pipelines.is_empty() {
        return Err("service must have at least one pipeline".into());
    }
    let mut pipelines = Vec::new();
    for (id, p) in &raw.service.pipelines {
        let at = format!("service::pipelines::{id}");
        let signal_name = id.split('/').next().unwrap_or("");
        let signal = Signal::parse(signal_name).ok_or_else(|| {
            format!("service::pipelines: unknown signal {signal_name:?} in pipeline id {id:?} (traces, metrics or logs)")
        })?;
        if id.ends_with('/') {
            return Err(format!(
                "service::pipelines: name part must be specified after '/' in pipeline id {id:?}"
            ));
        }
        if p.receivers.is_empty() {
            return Err(format!("{at}: must have at least one receiver"));
        }
        if p.exporters.is_empty() {
            return Err(format!("{at}: must have at least one exporter"));
        }
        let refs = |names: &[String], kind: Kind, configured: &BTreeMap<ComponentId, Value>| {
            let mut ids = Vec::new();
            for name in names {
                let id = ComponentId::parse(name).map_err(|e| format!("{at}: {e}"))?;
                if !configured.contains_key(&id) {
                    return Err(format!(
                        "{at}: references {} {name:?} which is not configured",
                        kind.as_str()
                    ));
                }
                if ids.contains(&id) {
                    return Err(format!(
                        "{at}: references {} {name:?} multiple times",
                        kind.as_str()
                    ));
                }
                if registry.stability(kind, id.type_name(), signal).is_none() {
                    return Err(format!(
                        "{at}: {} {name:?} does not support {signal}",
                        kind.as_str()
                    ));
                }
                ids.push(id);
            }
            Ok::<_, String>(ids)
        };
        pipelines.push(Pipeline {
            id: id.clone(),
            signal,
            receivers: refs(&p.receivers, Kind::Receiver, &receivers)?,
            processors: refs(&p.processors, Kind::Processor, &processors)?,
            exporters: refs(&p.exporters, Kind::Exporter, &exporters)?,
        });
    }

    // otelcol builds only what pipelines use; the rest is ignored with a log line.
    let used = |kind: Kind, ids: &BTreeMap<ComponentId, Value>| {
        let used: BTreeSet<&ComponentId> = pipelines
            .iter()
            .flat_map(|p| match kind {
                Kind::Receiver => p.receivers.iter(),
                Kind::Processor => p.processors.iter(),
                _ => p.exporters.iter(),
            })
            .collect();
        for id in ids.keys().filter(|id| !used.contains(id)) {
            tracing::info!(
                "{} {id} is configured but not used by any pipeline; ignoring it",
                kind.as_str()
            );
        }
        ids.iter()
            .filter(|(id, _)| used.contains(id))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    Ok(Plan {
        receivers: used(Kind::Receiver, &receivers),
        processors: used(Kind::Processor, &processors),
        exporters: used(Kind::Exporter, &exporters),
        extensions,
        service_extensions,
        pipelines,
        telemetry: raw.service.telemetry,
    })
}

/// Parses ids, finds factories and decodes each component's config.
fn section(
    map: &Mapping,
    kind: Kind,
    registry: &Registry,
) -> Result<BTreeMap<ComponentId, Value>, String> {
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let key = match key {
            Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        let id = ComponentId::parse(&key)
            .map_err(|e| format!("error decoding '{}': {e}", kind.section()))?;
        let factory = registry.factory(kind, id.type_name()).ok_or_else(|| {
            format!(
                "error decoding '{}': unknown type: {:?} for id: {:?} (valid values: [{}])",
                kind.section(),
                id.type_name(),
                key,
                registry.type_names(kind).join(" ")
            )
        })?;
        factory
            .validate(value)
            .map_err(|e| e.under(&[kind.section(), &key]).to_string())?;
        out.insert(id, value.clone());
    }
    Ok(out)
}
