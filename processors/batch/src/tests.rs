//! The processor end to end: factory, task, channel, shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sonde_api::component::ServiceStatus;
use sonde_api::telemetry::Telemetry;
use sonde_api::{
    async_trait, ComponentId, ConsumeError, Consumer, Context, CreateSettings, Host, Payload,
    Signal,
};
use tokio::sync::{mpsc, watch};

use crate::testutil::traces;

#[derive(Default)]
struct Recorder {
    got: Mutex<Vec<usize>>,
    fail: bool,
    /// When set, each call waits for a permit after recording what it got.
    gate: Option<tokio::sync::Semaphore>,
}

#[async_trait]
impl Consumer for Recorder {
    async fn consume(&self, payload: Payload, _ctx: Context) -> Result<(), ConsumeError> {
        self.got.lock().unwrap().push(payload.item_count());
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        if self.fail {
            return Err(ConsumeError::permanent("backend says no"));
        }
        Ok(())
    }
}

fn host() -> Host {
    let (fatal, _) = mpsc::unbounded_channel();
    let (_, status) = watch::channel(ServiceStatus::Running);
    Host::new(fatal, status)
}

fn create(
    yaml: &str,
    next: Arc<Recorder>,
    telemetry: &Telemetry,
) -> Arc<dyn sonde_api::component::ConsumerComponent> {
    let config: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
    crate::factory()
        .create(
            CreateSettings {
                id: ComponentId::new("batch"),
                telemetry: telemetry.clone(),
            },
            &config,
            Signal::Traces,
            next,
        )
        .unwrap()
}

#[tokio::test]
async fn size_trigger_splits_and_shutdown_flushes_the_rest() {
    let telemetry = Telemetry::new();
    let next = Arc::new(Recorder::default());
    let p = create(
        "{send_batch_size: 4, send_batch_max_size: 4, timeout: 1h}",
        next.clone(),
        &telemetry,
    );
    p.start(&host()).await.unwrap();
    p.consume(traces(&[3]), Context::default()).await.unwrap();
    p.consume(traces(&[7]), Context::default()).await.unwrap();
    p.shutdown().await.unwrap();
    assert_eq!(*next.got.lock().unwrap(), vec![4, 4, 2]);

    let text = telemetry.encode();
    assert!(
        text.contains(
            "otelcol_processor_batch_batch_size_trigger_send_total{processor=\"batch\"} 2"
        ),
        "{text}"
    );
    assert!(
        text.contains("otelcol_processor_batch_timeout_trigger_send_total{processor=\"batch\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("otelcol_processor_batch_batch_send_size_count{processor=\"batch\"} 3"),
        "{text}"
    );
}

#[tokio::test]
async fn timeout_sends_merged_payloads() {
    let telemetry = Telemetry::new();
    let next = Arc::new(Recorder::default());
    let p = create("{timeout: 20ms}", next.clone(), &telemetry);
    p.start(&host()).await.unwrap();
    p.consume(traces(&[1]), Context::default()).await.unwrap();
    p.consume(traces(&[2]), Context::default()).await.unwrap();
    // Wait for the timer rather than for a fixed time: no timing assertion.
    for _ in 0..500 {
        if !next.got.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*next.got.lock().unwrap(), vec![3]);
    p.shutdown().await.unwrap();
    assert_eq!(*next.got.lock().unwrap(), vec![3]);
}

#[tokio::test]
async fn failures_downstream_are_counted_not_returned() {
    let telemetry = Telemetry::new();
    let next = Arc::new(Recorder {
        fail: true,
        ..Default::default()
    });
    let limits = crate::batcher::Limits {
        send_size: 2,
        max_size: 0,
        timeout: Duration::from_secs(3600),
    };
    let p = crate::processor::BatchProcessor::new(
        ComponentId::new("batch"),
        limits,
        next.clone(),
        telemetry.batch(&ComponentId::new("batch")),
    );
    use sonde_api::Lifecycle;
    p.start(&host()).await.unwrap();
    p.consume(traces(&[3]), Context::default()).await.unwrap();
    p.consume(traces(&[1]), Context::default()).await.unwrap();
    p.shutdown().await.unwrap();
    assert_eq!(*next.got.lock().unwrap(), vec![3, 1]);
    assert_eq!(p.failed_items(), 4);
}

#[tokio::test]
async fn consume_after_shutdown_is_refused() {
    let next = Arc::new(Recorder::default());
    let p = create("{}", next, &Telemetry::new());
    p.start(&host()).await.unwrap();
    p.shutdown().await.unwrap();
    let err = p
        .consume(traces(&[1]), Context::default())
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.message(), "processor batch is shut down");
}

#[test]
fn factory_describes_itself() {
    let f = crate::factory();
    assert_eq!(f.type_name(), "batch");
    assert_eq!(f.module(), "sonde-processor-batch v0.1.0");
    let default = f.default_config();
    assert_eq!(default["send_batch_size"], serde_yaml::Value::from(8192));
    assert_eq!(default["timeout"], serde_yaml::Value::from("200ms"));
    assert!(f.validate(&default).is_ok());
}

#[tokio::test]
async fn a_blocked_next_consumer_makes_consume_wait() {
    use std::future::Future;
    use std::task::{Context as TaskContext, Poll, Waker};

    let next = Arc::new(Recorder {
        gate: Some(tokio::sync::Semaphore::new(0)),
        ..Default::default()
    });
    let p = create("{send_batch_size: 1}", next.clone(), &Telemetry::new());
    p.start(&host()).await.unwrap();
    p.consume(traces(&[1]), Context::default()).await.unwrap();
    // The task has the first payload and is stuck in the next consumer.
    while next.got.lock().unwrap().is_empty() {
        tokio::task::yield_now().await;
    }
    for _ in 0..16 {
        p.consume(traces(&[1]), Context::default()).await.unwrap();
    }
    // The channel is full: the next consume waits instead of dropping or failing.
    let mut blocked = Box::pin(p.consume(traces(&[1]), Context::default()));
    let mut cx = TaskContext::from_waker(Waker::noop());
    assert!(matches!(blocked.as_mut().poll(&mut cx), Poll::Pending));

    next.gate.as_ref().unwrap().add_permits(1000);
    blocked.await.unwrap();
    p.shutdown().await.unwrap();
    assert_eq!(next.got.lock().unwrap().iter().sum::<usize>(), 18);
}
