//! Test-only components that record what happens to them: the receiver hands out the
//! consumers it was wired with, processors stamp their id on spans, exporters keep
//! what they get, and every start/shutdown is logged in order.

use std::sync::{Arc, Mutex};

use sonde_api::component::{
    ConsumerComponent, ExporterFactory, Factory, ProcessorFactory, ReceiverFactory,
};
use sonde_api::config::ConfigError;
use sonde_api::pdata::{trace, ExportTraceServiceRequest};
use sonde_api::{
    BoxError, ComponentId, ConsumeError, Consumer, Context, CreateSettings, Host, Lifecycle,
    Payload, SharedConsumer, Signal, SignalConsumers, Stability,
};
use sonde_service::Registry;

#[derive(Default)]
pub struct Journal {
    pub events: Mutex<Vec<String>>,
    pub receivers: Mutex<Vec<(ComponentId, SignalConsumers)>>,
    pub exported: Mutex<Vec<(ComponentId, Payload)>>,
}

impl Journal {
    fn log(&self, s: String) {
        self.events.lock().unwrap().push(s);
    }
}

struct Instance {
    id: ComponentId,
    journal: Arc<Journal>,
    next: Option<SharedConsumer>,
}

#[sonde_api::async_trait]
impl Lifecycle for Instance {
    async fn start(&self, _: &Host) -> Result<(), BoxError> {
        self.journal.log(format!("start {}", self.id));
        Ok(())
    }
    async fn shutdown(&self) -> Result<(), BoxError> {
        self.journal.log(format!("shutdown {}", self.id));
        Ok(())
    }
}

#[sonde_api::async_trait]
impl Consumer for Instance {
    async fn consume(&self, mut payload: Payload, ctx: Context) -> Result<(), ConsumeError> {
        match &self.next {
            Some(next) => {
                if let Payload::Traces(req) = &mut payload {
                    for span in req
                        .resource_spans
                        .iter_mut()
                        .flat_map(|r| r.scope_spans.iter_mut())
                        .flat_map(|s| s.spans.iter_mut())
                    {
                        span.name.push_str(&format!(">{}", self.id));
                    }
                }
                next.consume(payload, ctx).await
            }
            None => {
                self.journal
                    .exported
                    .lock()
                    .unwrap()
                    .push((self.id.clone(), payload));
                Ok(())
            }
        }
    }
}

pub struct Recording(pub Arc<Journal>);

impl Factory for Recording {
    fn type_name(&self) -> &'static str {
        "rec"
    }
    fn module(&self) -> &'static str {
        "rec v0"
    }
    fn default_config(&self) -> serde_yaml::Value {
        serde_yaml::Value::Null
    }
    fn validate(&self, _: &serde_yaml::Value) -> Result<(), ConfigError> {
        Ok(())
    }
}

impl ReceiverFactory for Recording {
    fn stability(&self, _: Signal) -> Option<Stability> {
        Some(Stability::Stable)
    }
    fn create(
        &self,
        s: CreateSettings,
        _: &serde_yaml::Value,
        consumers: SignalConsumers,
    ) -> Result<Arc<dyn Lifecycle>, BoxError> {
        self.0
            .receivers
            .lock()
            .unwrap()
            .push((s.id.clone(), consumers));
        Ok(Arc::new(Instance {
            id: s.id,
            journal: self.0.clone(),
            next: None,
        }))
    }
}

impl ProcessorFactory for Recording {
    fn stability(&self, _: Signal) -> Option<Stability> {
        Some(Stability::Stable)
    }
    fn create(
        &self,
        s: CreateSettings,
        _: &serde_yaml::Value,
        _: Signal,
        next: SharedConsumer,
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        Ok(Arc::new(Instance {
            id: s.id,
            journal: self.0.clone(),
            next: Some(next),
        }))
    }
}

impl ExporterFactory for Recording {
    fn stability(&self, _: Signal) -> Option<Stability> {
        Some(Stability::Stable)
    }
    fn create(
        &self,
        s: CreateSettings,
        _: &serde_yaml::Value,
        _: &[Signal],
    ) -> Result<Arc<dyn ConsumerComponent>, BoxError> {
        Ok(Arc::new(Instance {
            id: s.id,
            journal: self.0.clone(),
            next: None,
        }))
    }
}

pub fn registry(journal: &Arc<Journal>) -> Registry {
    let f = Arc::new(Recording(journal.clone()));
    Registry {
        receivers: vec![f.clone()],
        processors: vec![f.clone()],
        exporters: vec![f],
        extensions: vec![],
    }
}

pub fn one_span(name: &str) -> Payload {
    Payload::Traces(ExportTraceServiceRequest {
        resource_spans: vec![trace::v1::ResourceSpans {
            scope_spans: vec![trace::v1::ScopeSpans {
                spans: vec![trace::v1::Span {
                    name: name.into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

pub fn span_names(p: &Payload) -> Vec<String> {
    match p {
        Payload::Traces(r) => r
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|s| s.name.clone())
            .collect(),
        _ => vec![],
    }
}
