//! Instances built from a plan and wired: exporters first (one per id, shared by the
//! pipelines that list it), then each pipeline's processors back to front, then the
//! receivers (one per id, fed by a fan-out over the pipelines that list it).
//! Start runs in dependency order and shutdown in the reverse, so nothing pushes into
//! a component that has stopped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sonde_api::component::{ConsumerComponent, SignalConsumers};
use sonde_api::telemetry::Telemetry;
use sonde_api::{BoxError, ComponentId, CreateSettings, Host, Lifecycle, SharedConsumer, Signal};

use crate::fanout::Fanout;
use crate::plan::Plan;
use crate::registry::Registry;

/// How long one component may take to shut down before the service moves on. A
/// backstop only: components bound their own shutdown (an exporter drains its queue for
/// at most its 30 s `shutdown_timeout`, then counts what is left), and this must stay
/// above that so their accounting is never cut off.
const SHUTDOWN_BUDGET: Duration = Duration::from_secs(60);

pub struct Graph {
    extensions: Vec<(ComponentId, Arc<dyn Lifecycle>)>,
    exporters: Vec<(ComponentId, Arc<dyn ConsumerComponent>)>,
    /// Per pipeline, first processor first.
    processors: Vec<(ComponentId, Arc<dyn ConsumerComponent>)>,
    receivers: Vec<(ComponentId, Arc<dyn Lifecycle>)>,
}

fn failed(kind: &str, id: &ComponentId, err: BoxError) -> String {
    format!("failed to create {kind} {id}: {err}")
}

impl Graph {
    pub fn build(plan: &Plan, registry: &Registry, telemetry: &Telemetry) -> Result<Graph, String> {
        let settings = |id: &ComponentId| CreateSettings {
            id: id.clone(),
            telemetry: telemetry.clone(),
        };

        let mut extensions = Vec::new();
        for id in &plan.service_extensions {
            let factory = registry
                .extension(id.type_name())
                .ok_or("unregistered extension")?;
            let instance = factory
                .create(settings(id), &plan.extensions[id])
                .map_err(|e| failed("extension", id, e))?;
            extensions.push((id.clone(), instance));
        }

        let mut exporters = Vec::new();
        let mut exporter_by_id: BTreeMap<ComponentId, SharedConsumer> = BTreeMap::new();
        for (id, config) in &plan.exporters {
            let mut signals: Vec<Signal> = plan
                .pipelines
                .iter()
                .filter(|p| p.exporters.contains(id))
                .map(|p| p.signal)
                .collect();
            signals.sort();
            signals.dedup();
            let factory = registry
                .exporter(id.type_name())
                .ok_or("unregistered exporter")?;
            let instance = factory
                .create(settings(id), config, &signals)
                .map_err(|e| failed("exporter", id, e))?;
            exporter_by_id.insert(id.clone(), instance.clone());
            exporters.push((id.clone(), instance));
        }

        let mut processors = Vec::new();
        let mut entries: Vec<(Signal, &Vec<ComponentId>, SharedConsumer)> = Vec::new();
        for pipeline in &plan.pipelines {
            let mut next = Fanout::build(
                pipeline
                    .exporters
                    .iter()
                    .map(|id| exporter_by_id[id].clone())
                    .collect(),
            );
            let mut chain = Vec::new();
            for id in pipeline.processors.iter().rev() {
                let factory = registry
                    .processor(id.type_name())
                    .ok_or("unregistered processor")?;
                let instance = factory
                    .create(settings(id), &plan.processors[id], pipeline.signal, next)
                    .map_err(|e| failed("processor", id, e))?;
                next = instance.clone();
                chain.push((id.clone(), instance));
            }
            chain.reverse();
            processors.extend(chain);
            entries.push((pipeline.signal, &pipeline.receivers, next));
        }

        let mut receivers = Vec::new();
        for (id, config) in &plan.receivers {
            let mut consumers = SignalConsumers::default();
            for signal in Signal::ALL {
                let feeds: Vec<SharedConsumer> = entries
                    .iter()
                    .filter(|(s, ids, _)| *s == signal && ids.contains(id))
                    .map(|(_, _, c)| c.clone())
                    .collect();
                if !feeds.is_empty() {
                    consumers.set(signal, Fanout::build(feeds));
                }
            }
            let factory = registry
                .receiver(id.type_name())
                .ok_or("unregistered receiver")?;
            let instance = factory
                .create(settings(id), config, consumers)
                .map_err(|e| failed("receiver", id, e))?;
            receivers.push((id.clone(), instance));
        }
        Ok(Graph {
            extensions,
            exporters,
            processors,
            receivers,
        })
    }

    /// Extensions, exporters, processors, receivers. On a failure, what started is stopped.
    pub async fn start(&self, host: &Host) -> Result<(), String> {
        let mut started: Vec<Arc<dyn Lifecycle>> = Vec::new();
        for (kind, id, c) in self.in_start_order() {
            if let Err(err) = c.start(host).await {
                for s in started.iter().rev() {
                    let _ = tokio::time::timeout(SHUTDOWN_BUDGET, s.shutdown()).await;
                }
                return Err(format!("failed to start {kind} {id}: {err}"));
            }
            tracing::debug!("started {kind} {id}");
            started.push(c);
        }
        Ok(())
    }

    /// Receivers first (no new data), then processors first-to-last (a flushing batch
    /// finds its successor running), then exporters (drain), then extensions.
    pub async fn shutdown(&self) {
        let lifecycle = |c: &Arc<dyn ConsumerComponent>| c.clone() as Arc<dyn Lifecycle>;
        let order = self
            .receivers
            .iter()
            .rev()
            .map(|(id, c)| ("receiver", id, c.clone()))
            .chain(
                self.processors
                    .iter()
                    .map(|(id, c)| ("processor", id, lifecycle(c))),
            )
            .chain(
                self.exporters
                    .iter()
                    .rev()
                    .map(|(id, c)| ("exporter", id, lifecycle(c))),
            )
            .chain(
                self.extensions
                    .iter()
                    .rev()
                    .map(|(id, c)| ("extension", id, c.clone())),
            );
        for (kind, id, c) in order {
            match tokio::time::timeout(SHUTDOWN_BUDGET, c.shutdown()).await {
                Ok(Ok(())) => tracing::debug!("stopped {kind} {id}"),
                Ok(Err(err)) => tracing::warn!("error stopping {kind} {id}: {err}"),
                Err(_) => tracing::warn!("{kind} {id} did not stop within {SHUTDOWN_BUDGET:?}"),
            }
        }
    }

    fn in_start_order(&self) -> Vec<(&'static str, &ComponentId, Arc<dyn Lifecycle>)> {
        let mut out: Vec<(&'static str, &ComponentId, Arc<dyn Lifecycle>)> = Vec::new();
        out.extend(
            self.extensions
                .iter()
                .map(|(id, c)| ("extension", id, c.clone())),
        );
        out.extend(
            self.exporters
                .iter()
                .map(|(id, c)| ("exporter", id, c.clone() as Arc<dyn Lifecycle>)),
        );
        // Last processor of a pipeline starts first.
        out.extend(
            self.processors
                .iter()
                .rev()
                .map(|(id, c)| ("processor", id, c.clone() as Arc<dyn Lifecycle>)),
        );
        out.extend(
            self.receivers
                .iter()
                .map(|(id, c)| ("receiver", id, c.clone())),
        );
        out
    }
}
