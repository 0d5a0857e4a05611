//! Every built-in component, through the same paces (as otelcol's generated component
//! tests): its default config, with only what has no default filled in, validates; for
//! each signal it supports it is created, started and shut down, twice over.

use std::sync::Arc;

use sonde_api::telemetry::Telemetry;
use sonde_api::{ComponentId, Lifecycle};
use sonde_api::{
    ConsumeError, Consumer, Context, CreateSettings, Host, Kind, Payload, ServiceStatus, Signal,
    SignalConsumers,
};

struct Discard;

#[sonde_api::async_trait]
impl Consumer for Discard {
    async fn consume(&self, _: Payload, _: Context) -> Result<(), ConsumeError> {
        Ok(())
    }
}

/// The default config, plus the keys that have no default, on ports the kernel picks.
fn config_for(kind: Kind, name: &str, default: serde_yaml::Value) -> serde_yaml::Value {
    let extra = match (kind, name) {
        (Kind::Receiver, "otlp") => {
            "protocols: {grpc: {endpoint: '127.0.0.1:0'}, http: {endpoint: '127.0.0.1:0'}}"
        }
        (Kind::Receiver, "influxdb" | "deepflow" | "prometheusremotewrite") => {
            "endpoint: '127.0.0.1:0'"
        }
        (Kind::Receiver, "skywalking") => {
            "protocols: {grpc: {endpoint: '127.0.0.1:0'}, http: {endpoint: '127.0.0.1:0'}}"
        }
        (Kind::Exporter, "otlp") => "endpoint: '127.0.0.1:1'\ntls: {insecure: true}",
        (Kind::Exporter, "otlphttp") => "endpoint: 'http://127.0.0.1:1'",
        (Kind::Exporter, "clickhouse") => "endpoint: 'http://127.0.0.1:1'",
        (Kind::Processor, "memory_limiter") => "check_interval: 1s\nlimit_mib: 4000",
        (Kind::Extension, "health_check") => "endpoint: '127.0.0.1:0'",
        (Kind::Extension, "query") => {
            "endpoint: '127.0.0.1:0'\nclickhouse: {endpoint: 'http://127.0.0.1:1'}"
        }
        _ => "{}",
    };
    let mut config = match default {
        serde_yaml::Value::Mapping(m) => m,
        _ => serde_yaml::Mapping::new(),
    };
    let extra: serde_yaml::Mapping = serde_yaml::from_str(extra).unwrap();
    for (k, v) in extra {
        config.insert(k, v);
    }
    serde_yaml::Value::Mapping(config)
}

fn host() -> Host {
    let (fatal, _) = tokio::sync::mpsc::unbounded_channel();
    let (_, status) = tokio::sync::watch::channel(ServiceStatus::Running);
    Host::new(fatal, status)
}

async fn cycle(name: &str, create: impl Fn() -> Arc<dyn Lifecycle>) {
    for round in 0..2 {
        let instance = create();
        instance
            .start(&host())
            .await
            .unwrap_or_else(|e| panic!("{name} start #{round}: {e}"));
        instance
            .shutdown()
            .await
            .unwrap_or_else(|e| panic!("{name} shutdown #{round}: {e}"));
    }
}

#[tokio::test]
async fn every_component_validates_starts_and_stops_twice() {
    let registry = sonde::components::registry();
    let telemetry = Telemetry::new();
    let mut exercised = Vec::new();
    for kind in [
        Kind::Receiver,
        Kind::Processor,
        Kind::Exporter,
        Kind::Extension,
    ] {
        for name in registry.type_names(kind) {
            let factory = registry.factory(kind, name).unwrap();
            let config = config_for(kind, name, factory.default_config());
            factory
                .validate(&config)
                .unwrap_or_else(|e| panic!("{} {name}: {e}", kind.as_str()));
            let settings = CreateSettings {
                id: ComponentId::new(name),
                telemetry: telemetry.clone(),
            };
            let label = format!("{} {name}", kind.as_str());
            match kind {
                Kind::Extension => {
                    let f = registry.extension(name).unwrap();
                    cycle(&label, || f.create(settings.clone(), &config).unwrap()).await;
                }
                _ => {
                    for signal in Signal::ALL {
                        if registry.stability(kind, name, signal).is_none() {
                            continue;
                        }
                        let label = format!("{label} ({signal})");
                        let next: Arc<dyn Consumer> = Arc::new(Discard);
                        match kind {
                            Kind::Receiver => {
                                let f = registry.receiver(name).unwrap();
                                let mut consumers = SignalConsumers::default();
                                consumers.set(signal, next.clone());
                                cycle(&label, || {
                                    f.create(settings.clone(), &config, consumers.clone())
                                        .unwrap()
                                })
                                .await;
                            }
                            Kind::Processor => {
                                let f = registry.processor(name).unwrap();
                                cycle(&label, || {
                                    f.create(settings.clone(), &config, signal, next.clone())
                                        .unwrap()
                                })
                                .await;
                            }
                            _ => {
                                let f = registry.exporter(name).unwrap();
                                cycle(&label, || {
                                    f.create(settings.clone(), &config, &[signal]).unwrap()
                                })
                                .await;
                            }
                        }
                    }
                }
            }
            exercised.push(format!("{} {name}", kind.as_str()));
        }
    }
    assert_eq!(
        exercised,
        [
            "receiver deepflow",
            "receiver ebpf",
            "receiver influxdb",
            "receiver otlp",
            "receiver prometheusremotewrite",
            "receiver skywalking",
            "processor autotag",
            "processor batch",
            "processor memory_limiter",
            "exporter clickhouse",
            "exporter debug",
            "exporter otlp",
            "exporter otlphttp",
            "extension health_check",
            "extension query",
        ]
    );
}
