//! One memory check per memory_limiter id, shared by every pipeline that lists it, as in
//! otelcol.
//!
//! A process-wide registry maps (id, config) to a [`Shared`] check; pipelines hold it by
//! `Arc` and the registry only by `Weak`, so it goes away with its last pipeline. The
//! config is part of the key so that a reload with new limits gets a new check even while
//! the old pipelines are still winding down.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::checker::Checker;

pub struct Shared {
    checker: Mutex<Checker>,
    refusing: AtomicBool,
    interval: Duration,
    /// Nanoseconds from `base` to the last check, so the data path reads it without a lock.
    base: Instant,
    last_check: AtomicU64,
    users: Mutex<Users>,
}

#[derive(Default)]
struct Users {
    count: usize,
    task: Option<JoinHandle<()>>,
}

impl Shared {
    pub fn new(checker: Checker, interval: Duration) -> Shared {
        Shared {
            checker: Mutex::new(checker),
            refusing: AtomicBool::new(false),
            interval,
            base: Instant::now(),
            last_check: AtomicU64::new(0),
            users: Mutex::new(Users::default()),
        }
    }

    /// Whether data must be refused now. Reads memory again only when the last check is
    /// older than the check interval, and never waits for a check another caller is running.
    pub fn must_refuse(&self, now: Instant) -> bool {
        let since_base = self.nanos(now);
        let last = self.last_check.load(Ordering::Relaxed);
        if since_base.saturating_sub(last) >= self.interval.as_nanos() as u64 {
            if let Ok(mut checker) = self.checker.try_lock() {
                self.check_locked(&mut checker, now);
            }
        }
        self.refusing.load(Ordering::Relaxed)
    }

    /// Runs a check now (the background task).
    pub fn check(&self, now: Instant) {
        if let Ok(mut checker) = self.checker.lock() {
            self.check_locked(&mut checker, now);
        }
    }

    fn check_locked(&self, checker: &mut Checker, now: Instant) {
        let refuse = checker.check(now);
        self.refusing.store(refuse, Ordering::Relaxed);
        self.last_check.store(self.nanos(now), Ordering::Relaxed);
    }

    fn nanos(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.base).as_nanos() as u64
    }

    /// A pipeline starts using the check; the first one starts the periodic task.
    pub fn start(self: &Arc<Self>) {
        let Ok(mut users) = self.users.lock() else {
            return;
        };
        users.count += 1;
        if users.count == 1 {
            let weak = Arc::downgrade(self);
            let interval = self.interval;
            users.task = Some(tokio::spawn(async move {
                let mut ticker = tokio::time::interval(interval);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticker.tick().await;
                    let Some(shared) = weak.upgrade() else { return };
                    // A check may call malloc_trim, which can take a while on a big heap.
                    let _ = tokio::task::spawn_blocking(move || shared.check(Instant::now())).await;
                }
            }));
        }
    }

    /// A pipeline stops using the check; the last one stops the task.
    pub fn stop(&self) {
        let Ok(mut users) = self.users.lock() else {
            return;
        };
        users.count = users.count.saturating_sub(1);
        if users.count == 0 {
            if let Some(task) = users.task.take() {
                task.abort();
            }
        }
    }

    #[cfg(test)]
    pub fn running(&self) -> bool {
        self.users.lock().map(|u| u.task.is_some()).unwrap_or(false)
    }
}

type Registry = Mutex<HashMap<String, Weak<Shared>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The check for `key`, made by `make` when no live one exists.
pub fn get_or_create<E>(
    key: String,
    make: impl FnOnce() -> Result<Shared, E>,
) -> Result<Arc<Shared>, E> {
    let mut map = match registry().lock() {
        Ok(map) => map,
        // A panic elsewhere while holding the map leaves it usable: it only holds Weaks.
        Err(poisoned) => poisoned.into_inner(),
    };
    map.retain(|_, weak| weak.strong_count() > 0);
    if let Some(shared) = map.get(&key).and_then(Weak::upgrade) {
        return Ok(shared);
    }
    let shared = Arc::new(make()?);
    map.insert(key, Arc::downgrade(&shared));
    Ok(shared)
}
