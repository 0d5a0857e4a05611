//! The processor in a pipeline, with injected memory readings.

use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sonde_api::component::ServiceStatus;
use sonde_api::pdata::{trace, ExportTraceServiceRequest};
use sonde_api::telemetry::Telemetry;
use sonde_api::{
    async_trait, ComponentId, ConsumeError, Consumer, Context, CreateSettings, Host, Payload,
    Signal,
};
use tokio::sync::{mpsc, watch};

use crate::checker::{Checker, Limits, TrimIntervals};
use crate::processor::MemoryLimiter;
use crate::shared::{self, Shared};

const MIB: u64 = 1024 * 1024;

#[derive(Default)]
struct Counter(AtomicUsize);

#[async_trait]
impl Consumer for Counter {
    async fn consume(&self, payload: Payload, _ctx: Context) -> Result<(), ConsumeError> {
        self.0.fetch_add(payload.item_count(), Ordering::SeqCst);
        Ok(())
    }
}

fn spans(n: usize) -> Payload {
    Payload::Traces(ExportTraceServiceRequest {
        resource_spans: vec![trace::v1::ResourceSpans {
            scope_spans: vec![trace::v1::ScopeSpans {
                spans: vec![trace::v1::Span::default(); n],
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

fn host() -> Host {
    let (fatal, _) = mpsc::unbounded_channel();
    let (_, status) = watch::channel(ServiceStatus::Running);
    Host::new(fatal, status)
}

/// A shared check over a settable reading (MiB), limit 100 MiB, soft 80 MiB.
fn shared_with(reading: Arc<AtomicU64>, interval: Duration) -> Arc<Shared> {
    let checker = Checker::new(
        Limits::new(100 * MIB, 20 * MIB),
        TrimIntervals {
            soft: Duration::from_secs(10),
            hard: Duration::ZERO,
        },
        Box::new(move || Ok::<u64, io::Error>(reading.load(Ordering::SeqCst) * MIB)),
        Box::new(|| {}),
    );
    Arc::new(Shared::new(checker, interval))
}

#[tokio::test]
async fn refuses_above_soft_limit_and_counts() {
    let reading = Arc::new(AtomicU64::new(50));
    let shared = shared_with(reading.clone(), Duration::ZERO);
    let telemetry = Telemetry::new();
    let next = Arc::new(Counter::default());
    let id = ComponentId::new("memory_limiter");
    let p = MemoryLimiter::new(
        Signal::Traces,
        shared,
        next.clone(),
        telemetry.processor(&id),
    );

    p.consume(spans(3), Context::default()).await.unwrap();
    assert_eq!(next.0.load(Ordering::SeqCst), 3);

    reading.store(85, Ordering::SeqCst);
    let err = p.consume(spans(4), Context::default()).await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.message(), "data refused due to high memory usage");
    assert_eq!(next.0.load(Ordering::SeqCst), 3);
    let text = telemetry.encode();
    assert!(
        text.contains("otelcol_processor_refused_spans_total{processor=\"memory_limiter\"} 4"),
        "{text}"
    );

    reading.store(40, Ordering::SeqCst);
    p.consume(spans(2), Context::default()).await.unwrap();
    assert_eq!(next.0.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn data_path_reads_memory_at_most_once_per_interval() {
    let reads = Arc::new(AtomicUsize::new(0));
    let r = reads.clone();
    let checker = Checker::new(
        Limits::new(100 * MIB, 20 * MIB),
        TrimIntervals {
            soft: Duration::ZERO,
            hard: Duration::ZERO,
        },
        Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
            Ok(10 * MIB)
        }),
        Box::new(|| {}),
    );
    let shared = Shared::new(checker, Duration::from_secs(3600));
    let t0 = Instant::now() + Duration::from_secs(7200);
    for _ in 0..100 {
        assert!(!shared.must_refuse(t0));
    }
    assert_eq!(reads.load(Ordering::SeqCst), 1);
    assert!(!shared.must_refuse(t0 + Duration::from_secs(3600)));
    assert_eq!(reads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn pipelines_share_one_check_per_id_and_config() {
    let made = Arc::new(Mutex::new(0));
    let make = |made: Arc<Mutex<i32>>| {
        move || -> Result<Shared, String> {
            *made.lock().unwrap() += 1;
            Ok(Arc::into_inner(shared_with(
                Arc::new(AtomicU64::new(0)),
                Duration::from_secs(1),
            ))
            .unwrap())
        }
    };
    let a = shared::get_or_create("test-share|x".into(), make(made.clone())).unwrap();
    let b = shared::get_or_create("test-share|x".into(), make(made.clone())).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let c = shared::get_or_create("test-share|y".into(), make(made.clone())).unwrap();
    assert!(!Arc::ptr_eq(&a, &c));
    assert_eq!(*made.lock().unwrap(), 2);

    // The periodic task runs while any user is started.
    a.start();
    b.start();
    assert!(a.running());
    a.stop();
    assert!(a.running());
    b.stop();
    assert!(!a.running());

    drop((a, b));
    let _d = shared::get_or_create("test-share|x".into(), make(made.clone())).unwrap();
    assert_eq!(*made.lock().unwrap(), 3);
}

#[tokio::test]
async fn factory_creates_with_real_memory_and_lets_data_through() {
    let next = Arc::new(Counter::default());
    let config: serde_yaml::Value =
        serde_yaml::from_str("{check_interval: 1s, limit_mib: 1000000}").unwrap();
    let p = crate::factory()
        .create(
            CreateSettings {
                id: ComponentId::parse("memory_limiter/factory_test").unwrap(),
                telemetry: Telemetry::new(),
            },
            &config,
            Signal::Traces,
            next.clone(),
        )
        .unwrap();
    p.start(&host()).await.unwrap();
    p.consume(spans(2), Context::default()).await.unwrap();
    p.shutdown().await.unwrap();
    assert_eq!(next.0.load(Ordering::SeqCst), 2);
}

#[test]
fn factory_rejects_the_default_config() {
    let f = crate::factory();
    assert_eq!(f.type_name(), "memory_limiter");
    assert_eq!(
        f.validate(&f.default_config()).unwrap_err().to_string(),
        "check_interval: 'check_interval' must be greater than zero"
    );
}
