//! From a client address to the tags of the local process behind it, without
//! ever holding the pipeline longer than `lookup_timeout`.
//!
//! Reading procfs is blocking and, on a host with many processes, slow; it
//! runs on tokio's blocking pool. Each address is looked up once per
//! `cache_ttl` however many requests arrive meanwhile: later requests wait on
//! the first one's answer. A request that would wait longer than the timeout
//! goes on untagged; the lookup still finishes and serves the next requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sonde_api::pdata::resource::v1::Resource;
use tokio::sync::watch;

/// What a finished lookup found: the tags, or `None` when no local process
/// holds the address (a remote client).
pub type Answer = Option<Arc<Resource>>;

/// The blocking lookup itself (procfs in production, a table in tests).
pub type Resolve = Arc<dyn Fn(SocketAddr) -> Answer + Send + Sync>;

/// Addresses remembered at most; past it, expired ones are dropped, and if
/// none have expired, all are (a flood of one-shot clients must not grow
/// memory without bound).
const MAX_ENTRIES: usize = 16_384;

pub struct Lookup {
    resolve: Resolve,
    ttl: Duration,
    timeout: Duration,
    entries: Mutex<HashMap<SocketAddr, Entry>>,
}

/// One address's lookup: `None` in the channel until it finishes.
#[derive(Clone)]
struct Entry {
    started: Instant,
    answer: watch::Receiver<Option<Answer>>,
}

/// How a [`Lookup::get`] ended, for the processor's log and tests.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Found(Arc<Resource>),
    NotLocal,
    /// The lookup did not finish within the timeout (or failed).
    TimedOut,
}

impl Lookup {
    pub fn new(resolve: Resolve, ttl: Duration, timeout: Duration) -> Lookup {
        Lookup {
            resolve,
            ttl,
            timeout,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub async fn get(&self, addr: SocketAddr) -> Outcome {
        let mut answer = self.entry(addr).answer;
        let finished = tokio::time::timeout(self.timeout, answer.wait_for(Option::is_some)).await;
        match finished {
            Ok(Ok(found)) => match found.as_ref() {
                Some(Some(resource)) => Outcome::Found(Arc::clone(resource)),
                _ => Outcome::NotLocal,
            },
            // Timed out, or the lookup task died without answering.
            _ => Outcome::TimedOut,
        }
    }

    /// The current entry of `addr`, starting a lookup when there is none or
    /// it has expired.
    fn entry(&self, addr: SocketAddr) -> Entry {
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-insert; the
        // map itself is still a valid cache.
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = entries.get(&addr) {
            if now.duration_since(entry.started) < self.ttl {
                return entry.clone();
            }
        }
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, entry| now.duration_since(entry.started) < self.ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        let (sender, answer) = watch::channel(None);
        let resolve = Arc::clone(&self.resolve);
        tokio::task::spawn_blocking(move || {
            let found = resolve(addr);
            // Nobody waiting any more is fine: the entry keeps the answer.
            let _ = sender.send(Some(found));
        });
        let entry = Entry {
            started: now,
            answer,
        };
        entries.insert(addr, entry.clone());
        entry
    }
}

#[cfg(test)]
#[path = "lookup_tests.rs"]
mod tests;
