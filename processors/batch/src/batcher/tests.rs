use std::time::{Duration, Instant};

use super::*;
use crate::testutil::{span_names, traces};

fn limits(send_size: usize, max_size: usize, timeout_ms: u64) -> Limits {
    Limits {
        send_size,
        max_size,
        timeout: Duration::from_millis(timeout_ms),
    }
}

fn counts(batches: &[Payload]) -> Vec<usize> {
    batches.iter().map(Payload::item_count).collect()
}

#[test]
fn small_payloads_wait_then_merge_on_timeout() {
    let t0 = Instant::now();
    let mut b = Batcher::new(limits(10, 0, 200));
    assert!(b.offer(traces(&[2]), t0).is_empty());
    assert_eq!(b.deadline(), Some(t0 + Duration::from_millis(200)));
    // A later payload does not push the deadline back.
    assert!(b
        .offer(traces(&[3]), t0 + Duration::from_millis(50))
        .is_empty());
    assert_eq!(b.deadline(), Some(t0 + Duration::from_millis(200)));
    assert_eq!(b.items(), 5);

    assert!(b.flush_due(t0 + Duration::from_millis(199)).is_none());
    let out = b.flush_due(t0 + Duration::from_millis(200)).unwrap();
    assert_eq!(out.item_count(), 5);
    let Payload::Traces(req) = &out else { panic!() };
    assert_eq!(req.resource_spans.len(), 2);
    assert!(b.flush_due(t0 + Duration::from_millis(200)).is_none());
    assert_eq!(b.deadline(), None);
    assert_eq!(b.items(), 0);
}

#[test]
fn reaching_send_size_sends_everything_held() {
    let t0 = Instant::now();
    let mut b = Batcher::new(limits(4, 0, 200));
    assert!(b.offer(traces(&[3]), t0).is_empty());
    // send_batch_size is a trigger, not a cap: 3 + 5 = 8 go out together.
    let out = b.offer(traces(&[5]), t0);
    assert_eq!(counts(&out), vec![8]);
    assert_eq!(b.items(), 0);
    assert_eq!(b.deadline(), None);
}

#[test]
fn max_size_splits_in_order() {
    let t0 = Instant::now();
    let mut b = Batcher::new(limits(4, 4, 200));
    let out = b.offer(traces(&[3, 7]), t0);
    // 10 items: two sends of 4, 2 left waiting for the timeout.
    assert_eq!(counts(&out), vec![4, 4]);
    assert_eq!(span_names(&out[0]), ["r0s0", "r0s1", "r0s2", "r1s0"]);
    assert_eq!(span_names(&out[1]), ["r1s1", "r1s2", "r1s3", "r1s4"]);
    assert_eq!(b.items(), 2);
    // The timer restarts after a send.
    let later = t0 + Duration::from_millis(10);
    assert!(b.offer(traces(&[1]), later).is_empty());
    assert_eq!(b.deadline(), Some(t0 + Duration::from_millis(200)));
    let rest = b.flush_due(t0 + Duration::from_millis(200)).unwrap();
    assert_eq!(span_names(&rest), ["r1s5", "r1s6", "r0s0"]);
}

#[test]
fn leftover_after_size_send_gets_a_fresh_deadline() {
    let t0 = Instant::now();
    let mut b = Batcher::new(limits(4, 4, 200));
    assert!(b.offer(traces(&[1]), t0).is_empty());
    let t1 = t0 + Duration::from_millis(150);
    assert_eq!(counts(&b.offer(traces(&[5]), t1)), vec![4]);
    assert_eq!(b.deadline(), Some(t1 + Duration::from_millis(200)));
}

#[test]
fn timeout_flush_respects_max_size() {
    let t0 = Instant::now();
    let mut b = Batcher::new(limits(0, 3, 100));
    assert!(b.offer(traces(&[7]), t0).is_empty());
    let due = t0 + Duration::from_millis(100);
    let mut sent = Vec::new();
    while let Some(p) = b.flush_due(due) {
        sent.push(p.item_count());
    }
    assert_eq!(sent, vec![3, 3, 1]);
    assert_eq!(b.deadline(), None);
}

#[test]
fn zero_timeout_sends_at_once_split_by_max() {
    let t0 = Instant::now();
    let mut b = Batcher::new(limits(8192, 2, 0));
    assert_eq!(counts(&b.offer(traces(&[5]), t0)), vec![2, 2, 1]);
    assert_eq!(b.items(), 0);
    assert_eq!(b.deadline(), None);
}

#[test]
fn drain_returns_everything_in_chunks() {
    let t0 = Instant::now();
    let mut b = Batcher::new(limits(100, 0, 200));
    b.offer(traces(&[2]), t0);
    b.offer(traces(&[3]), t0);
    assert_eq!(counts(&b.drain()), vec![5]);
    assert!(b.drain().is_empty());

    let mut b = Batcher::new(limits(100, 100, 200));
    b.offer(traces(&[60]), t0);
    b.offer(traces(&[30]), t0);
    assert_eq!(counts(&b.drain()), vec![90]);
}

#[test]
fn resources_without_items_still_go_out() {
    let t0 = Instant::now();
    let mut b = Batcher::new(limits(10, 0, 200));
    assert!(b.offer(traces(&[0]), t0).is_empty());
    assert_eq!(b.deadline(), Some(t0 + Duration::from_millis(200)));
    let out = b.flush_due(t0 + Duration::from_millis(200)).unwrap();
    assert_eq!(out.item_count(), 0);
    assert!(!out.is_empty());
}

#[test]
fn another_signal_is_passed_through_alone() {
    let t0 = Instant::now();
    let mut b = Batcher::new(limits(10, 0, 200));
    b.offer(traces(&[2]), t0);
    let out = b.offer(Payload::empty(sonde_api::Signal::Logs), t0);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].signal(), sonde_api::Signal::Logs);
    assert_eq!(b.items(), 2);
}
