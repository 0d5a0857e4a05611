use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use sonde_api::pdata::resource::v1::Resource;

use super::*;

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn resource_named(name: &str) -> Arc<Resource> {
    Arc::new(Resource {
        attributes: vec![sonde_api::pdata::common::v1::KeyValue {
            key: name.into(),
            ..Default::default()
        }],
        ..Default::default()
    })
}

/// A resolver that knows port 1000 and counts its calls.
fn counting() -> (Resolve, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let resolve: Resolve = Arc::new(move |addr: SocketAddr| {
        counter.fetch_add(1, Ordering::SeqCst);
        (addr.port() == 1000).then(|| resource_named("known"))
    });
    (resolve, calls)
}

const LONG: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_requests_from_one_address_cost_one_lookup() {
    let (resolve, calls) = counting();
    let lookup = Arc::new(Lookup::new(resolve, LONG, LONG));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let lookup = Arc::clone(&lookup);
            tokio::spawn(async move { lookup.get(addr(1000)).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Outcome::Found(resource_named("known")));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_remote_client_is_remembered_as_not_local() {
    let (resolve, calls) = counting();
    let lookup = Lookup::new(resolve, LONG, LONG);
    assert_eq!(lookup.get(addr(2000)).await, Outcome::NotLocal);
    assert_eq!(lookup.get(addr(2000)).await, Outcome::NotLocal);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_expired_answer_is_looked_up_again() {
    let (resolve, calls) = counting();
    let lookup = Lookup::new(resolve, Duration::from_millis(1), LONG);
    assert_eq!(
        lookup.get(addr(1000)).await,
        Outcome::Found(resource_named("known"))
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        lookup.get(addr(1000)).await,
        Outcome::Found(resource_named("known"))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_lookup_lets_data_go_on_and_serves_later_requests() {
    let (release, gate) = mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let resolve: Resolve = Arc::new(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        // Blocks until the test says so: slower than any timeout.
        let _ = gate.lock().unwrap().recv();
        Some(resource_named("slow"))
    });
    let lookup = Lookup::new(resolve, LONG, Duration::from_millis(20));
    assert_eq!(lookup.get(addr(3000)).await, Outcome::TimedOut);
    assert_eq!(lookup.get(addr(3000)).await, Outcome::TimedOut);
    release.send(()).unwrap();
    // The answer lands in the entry; the next requests find it.
    let mut outcome = Outcome::TimedOut;
    for _ in 0..500 {
        outcome = lookup.get(addr(3000)).await;
        if outcome != Outcome::TimedOut {
            break;
        }
    }
    assert_eq!(outcome, Outcome::Found(resource_named("slow")));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_lookup_that_panics_reads_as_timed_out_and_is_retried_after_the_ttl() {
    let resolve: Resolve = Arc::new(|_| panic!("procfs went away"));
    let lookup = Lookup::new(resolve, Duration::from_millis(1), LONG);
    assert_eq!(lookup.get(addr(4000)).await, Outcome::TimedOut);
}
