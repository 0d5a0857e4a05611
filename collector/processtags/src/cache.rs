//! A map from pid to value that holds at most `capacity` entries and, when
//! full, evicts the entry used least recently.
//!
//! Recency is a tick stamped on each use; an ordered index from tick to pid
//! finds the oldest in O(log n), so a use costs two map operations.

use std::collections::{BTreeMap, HashMap};

pub(crate) struct LruMap<V> {
    entries: HashMap<u32, (u64, V)>,
    by_tick: BTreeMap<u64, u32>,
    next_tick: u64,
    capacity: usize,
}

impl<V> LruMap<V> {
    /// A map of at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        LruMap {
            entries: HashMap::new(),
            by_tick: BTreeMap::new(),
            next_tick: 0,
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The value of `pid`, marked as used now.
    pub(crate) fn get_mut(&mut self, pid: u32) -> Option<&mut V> {
        let tick = self.tick();
        let (used, value) = self.entries.get_mut(&pid)?;
        self.by_tick.remove(used);
        self.by_tick.insert(tick, pid);
        *used = tick;
        Some(value)
    }

    /// Sets the value of `pid`, marked as used now. Returns the entry evicted
    /// to make room, if one was.
    pub(crate) fn insert(&mut self, pid: u32, value: V) -> Option<(u32, V)> {
        let evicted = if self.entries.contains_key(&pid) || self.entries.len() < self.capacity {
            None
        } else {
            self.pop_oldest()
        };
        let tick = self.tick();
        if let Some((used, _)) = self.entries.insert(pid, (tick, value)) {
            self.by_tick.remove(&used);
        }
        self.by_tick.insert(tick, pid);
        evicted
    }

    pub(crate) fn remove(&mut self, pid: u32) -> Option<V> {
        let (used, value) = self.entries.remove(&pid)?;
        self.by_tick.remove(&used);
        Some(value)
    }

    fn pop_oldest(&mut self) -> Option<(u32, V)> {
        let (_, pid) = self.by_tick.pop_first()?;
        let (_, value) = self.entries.remove(&pid)?;
        Some((pid, value))
    }

    fn tick(&mut self) -> u64 {
        self.next_tick += 1;
        self.next_tick
    }
}
