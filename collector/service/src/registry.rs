//! The factories a binary is built with, looked up by type name or alias.

use std::sync::Arc;

use sonde_api::component::{
    ExporterFactory, ExtensionFactory, Factory, ProcessorFactory, ReceiverFactory, Stability,
};
use sonde_api::{Kind, Signal};

#[derive(Default, Clone)]
pub struct Registry {
    pub receivers: Vec<Arc<dyn ReceiverFactory>>,
    pub processors: Vec<Arc<dyn ProcessorFactory>>,
    pub exporters: Vec<Arc<dyn ExporterFactory>>,
    pub extensions: Vec<Arc<dyn ExtensionFactory>>,
}

fn find<'a, F: ?Sized + Factory>(list: &'a [Arc<F>], name: &str) -> Option<&'a Arc<F>> {
    list.iter()
        .find(|f| f.type_name() == name || f.aliases().contains(&name))
}

fn names<F: ?Sized + Factory>(list: &[Arc<F>]) -> Vec<&'static str> {
    let mut names: Vec<_> = list.iter().map(|f| f.type_name()).collect();
    names.sort_unstable();
    names
}

impl Registry {
    pub fn receiver(&self, name: &str) -> Option<&Arc<dyn ReceiverFactory>> {
        find(&self.receivers, name)
    }
    pub fn processor(&self, name: &str) -> Option<&Arc<dyn ProcessorFactory>> {
        find(&self.processors, name)
    }
    pub fn exporter(&self, name: &str) -> Option<&Arc<dyn ExporterFactory>> {
        find(&self.exporters, name)
    }
    pub fn extension(&self, name: &str) -> Option<&Arc<dyn ExtensionFactory>> {
        find(&self.extensions, name)
    }

    /// The factory of any kind, seen through what all factories share.
    pub fn factory(&self, kind: Kind, name: &str) -> Option<&dyn Factory> {
        match kind {
            Kind::Receiver => self.receiver(name).map(|f| f.as_ref() as &dyn Factory),
            Kind::Processor => self.processor(name).map(|f| f.as_ref() as &dyn Factory),
            Kind::Exporter => self.exporter(name).map(|f| f.as_ref() as &dyn Factory),
            Kind::Extension => self.extension(name).map(|f| f.as_ref() as &dyn Factory),
        }
    }

    /// Sorted type names of one kind.
    pub fn type_names(&self, kind: Kind) -> Vec<&'static str> {
        match kind {
            Kind::Receiver => names(&self.receivers),
            Kind::Processor => names(&self.processors),
            Kind::Exporter => names(&self.exporters),
            Kind::Extension => names(&self.extensions),
        }
    }

    /// Whether a pipeline component supports a signal (extensions have no signal).
    pub fn stability(&self, kind: Kind, name: &str, signal: Signal) -> Option<Stability> {
        match kind {
            Kind::Receiver => self.receiver(name)?.stability(signal),
            Kind::Processor => self.processor(name)?.stability(signal),
            Kind::Exporter => self.exporter(name)?.stability(signal),
            Kind::Extension => None,
        }
    }
}
