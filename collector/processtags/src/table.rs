//! The cache of process resources, keyed by pid and bounded in size.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use super::cache::LruMap;
use super::resource::{describe, Known};
use super::{host_name, procfs, ProcessResource};

/// How many pids the table holds by default before evicting.
pub const DEFAULT_CAPACITY: usize = 65536;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessTableConfig {
    /// Where procfs is mounted: `/proc`, or the host's procfs seen from a
    /// container (`/host/proc`).
    pub proc_root: PathBuf,
    /// `host.name` of every process; empty leaves the attribute out.
    pub host_name: String,
    /// Whether to add `process.command_line` (off by default: arguments can
    /// carry secrets).
    pub command_line: bool,
    /// Pids held at most; past it, the least recently used one is evicted.
    pub capacity: usize,
}

impl Default for ProcessTableConfig {
    fn default() -> Self {
        ProcessTableConfig {
            proc_root: PathBuf::from("/proc"),
            host_name: host_name(),
            command_line: false,
            capacity: DEFAULT_CAPACITY,
        }
    }
}

/// The resource of `pid` read from procfs now, bypassing any table: for
/// callers that see no exec or exit events and so cannot keep a cache
/// current. `None` when no such process is running. Its key is 0.
pub fn read_process(config: &ProcessTableConfig, pid: u32) -> Option<ProcessResource> {
    let dir = config.proc_root.join(pid.to_string());
    let comm = std::fs::read_to_string(dir.join("comm")).ok()?;
    let facts = procfs::read_facts(&config.proc_root, pid, config.command_line);
    let known = Known {
        pid,
        key: 0,
        comm: comm.trim_end(),
        exec_filename: None,
        host_name: &config.host_name,
    };
    Some(describe(known, facts))
}

/// One pid's entry: its resource once resolved, and until then the filename
/// of the exec that started its current program.
struct Slot {
    resource: Option<Arc<ProcessResource>>,
    exec_filename: Option<String>,
}

/// The resources of the processes seen so far, by pid.
///
/// Bounded: at most `capacity` pids are held; making room evicts the least
/// recently used one, and the keys of evicted resources wait in
/// [`take_evicted`](Self::take_evicted) so the caller can retire their
/// metrics like those of exited processes.
pub struct ProcessTable {
    config: ProcessTableConfig,
    slots: LruMap<Slot>,
    next_key: u64,
    evicted: VecDeque<u64>,
}

impl ProcessTable {
    pub fn new(config: ProcessTableConfig) -> ProcessTable {
        ProcessTable {
            slots: LruMap::new(config.capacity),
            config,
            next_key: 1,
            evicted: VecDeque::new(),
        }
    }

    /// The resource of `pid`, read from procfs on first use and cached. `comm`
    /// (the kernel's task name) is the fallback when the process is already
    /// gone (short-lived processes such as curl often are by the time user
    /// space sees their events).
    pub fn resource(&mut self, pid: u32, comm: &str) -> Arc<ProcessResource> {
        let exec_filename = match self.slots.get_mut(pid) {
            Some(Slot {
                resource: Some(resource),
                ..
            }) => return Arc::clone(resource),
            Some(slot) => slot.exec_filename.take(),
            None => None,
        };
        let key = self.next_key;
        self.next_key += 1;
        let facts = procfs::read_facts(&self.config.proc_root, pid, self.config.command_line);
        let known = Known {
            pid,
            key,
            comm: comm.trim_end_matches('\0'),
            exec_filename: exec_filename.as_deref(),
            host_name: &self.config.host_name,
        };
        let resource = Arc::new(describe(known, facts));
        self.put(
            pid,
            Slot {
                resource: Some(Arc::clone(&resource)),
                exec_filename: None,
            },
        );
        resource
    }

    /// A process exec'd `filename`: forget what was cached for the pid (new
    /// program, new key) and remember the filename as the executable path
    /// fallback. Returns the key the previous program had, if it was resolved.
    pub fn exec(&mut self, pid: u32, filename: &str) -> Option<u64> {
        let previous = self.slots.remove(pid).and_then(key_of);
        self.put(
            pid,
            Slot {
                resource: None,
                exec_filename: Some(filename.to_owned()),
            },
        );
        previous
    }

    /// A process exited: drop its entry. Returns the key it had, if any, so
    /// the caller can retire its metrics.
    pub fn exit(&mut self, pid: u32) -> Option<u64> {
        self.slots.remove(pid).and_then(key_of)
    }

    /// Pids held: resolved ones and those with only an exec seen so far.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys of resources evicted to bound the table, oldest first, since
    /// the last call. At most `capacity` are kept (the oldest go first).
    pub fn take_evicted(&mut self) -> Vec<u64> {
        self.evicted.drain(..).collect()
    }

    fn put(&mut self, pid: u32, slot: Slot) {
        let Some((evicted_pid, evicted)) = self.slots.insert(pid, slot) else {
            return;
        };
        // trace: a fork-bomb host would evict on every new pid.
        tracing::trace!(pid = evicted_pid, "process table full: evicted");
        if let Some(key) = key_of(evicted) {
            if self.evicted.len() == self.slots.capacity() {
                self.evicted.pop_front();
            }
            self.evicted.push_back(key);
        }
    }
}

fn key_of(slot: Slot) -> Option<u64> {
    slot.resource.map(|resource| resource.key)
}
