use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::*;

/// A checker whose readings come from `readings` (in MiB), counting trims.
fn checker(
    limit_mib: u64,
    spike_mib: u64,
    readings: &[u64],
) -> (Checker, Arc<Mutex<VecDeque<u64>>>, Arc<AtomicUsize>) {
    let queue = Arc::new(Mutex::new(
        readings.iter().map(|m| m * MIB).collect::<VecDeque<_>>(),
    ));
    let trims = Arc::new(AtomicUsize::new(0));
    let q = queue.clone();
    let t = trims.clone();
    let c = Checker::new(
        Limits::new(limit_mib * MIB, spike_mib * MIB),
        TrimIntervals {
            soft: Duration::from_secs(10),
            hard: Duration::ZERO,
        },
        Box::new(move || {
            q.lock()
                .unwrap()
                .pop_front()
                .ok_or_else(|| io::Error::other("no more readings"))
        }),
        Box::new(move || {
            t.fetch_add(1, Ordering::SeqCst);
        }),
    );
    (c, queue, trims)
}

#[test]
fn limits_follow_otelcol() {
    let l = Limits::new(1000 * MIB, 0);
    assert_eq!(l.spike, 200 * MIB);
    assert_eq!(l.soft(), 800 * MIB);
    let l = Limits::new(1000 * MIB, 100 * MIB);
    assert_eq!(l.soft(), 900 * MIB);
    let l = Limits::from_percentages(10_000 * MIB, 80, 25);
    assert_eq!(l.hard, 8_000 * MIB);
    assert_eq!(l.spike, 2_500 * MIB);
}

#[test]
fn below_soft_limit_passes() {
    let (mut c, _, trims) = checker(100, 20, &[79]);
    assert!(!c.check(Instant::now()));
    assert_eq!(trims.load(Ordering::SeqCst), 0);
}

#[test]
fn crossing_soft_limit_trims_then_refuses_if_still_above() {
    // 80 MiB is the soft limit; the trim frees nothing.
    let (mut c, _, trims) = checker(100, 20, &[80, 85]);
    assert!(c.check(Instant::now()));
    assert!(c.refusing());
    assert_eq!(trims.load(Ordering::SeqCst), 1);
}

#[test]
fn a_trim_that_frees_enough_avoids_refusing() {
    let (mut c, _, trims) = checker(100, 20, &[90, 60]);
    assert!(!c.check(Instant::now()));
    assert_eq!(trims.load(Ordering::SeqCst), 1);
}

#[test]
fn trims_are_rate_limited_above_the_soft_limit_only() {
    let t0 = Instant::now();
    let (mut c, queue, trims) = checker(100, 20, &[85, 85, 85, 85]);
    assert!(c.check(t0)); // trim #1, reads twice
    assert!(c.check(t0 + Duration::from_secs(5))); // within 10s: no trim, one read
    assert_eq!(trims.load(Ordering::SeqCst), 1);
    assert_eq!(queue.lock().unwrap().len(), 1);
    // Above the hard limit the interval is 0: trim at once.
    *queue.lock().unwrap() = VecDeque::from([120 * MIB, 110 * MIB]);
    assert!(c.check(t0 + Duration::from_secs(6)));
    assert_eq!(trims.load(Ordering::SeqCst), 2);
}

#[test]
fn falling_below_soft_limit_resumes() {
    let (mut c, _, _) = checker(100, 20, &[95, 95, 50]);
    assert!(c.check(Instant::now()));
    assert!(!c.check(Instant::now()));
    assert!(!c.refusing());
}

#[test]
fn a_failed_read_keeps_the_last_decision() {
    let (mut c, _, _) = checker(100, 20, &[95, 95]);
    assert!(c.check(Instant::now()));
    // The queue is empty now: the read fails.
    assert!(c.check(Instant::now()));
}
