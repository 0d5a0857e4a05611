//! The dynamic table of one direction (RFC 7541 §2.3.2, §4).
//!
//! The table may know less than the encoder's: when sonde joined the
//! connection late, after a gap in the capture, or past [`KEPT_MAX`]. It
//! always holds the encoder's newest entries, in order, and nothing else (no
//! entry is ever skipped in the middle), so an index it holds names the entry
//! the encoder meant, and an index past its end is unknown, never another
//! entry. Entries whose name was itself an unknown index are kept with the
//! name unknown, so the ones after them keep their numbers.

use std::collections::VecDeque;

/// The maximum size a table starts with (SETTINGS_HEADER_TABLE_SIZE's
/// initial value, RFC 9113 §6.5.2).
pub const DEFAULT_MAX: usize = 4096;
/// The most this table keeps, in RFC 7541 size units (name + value + 32 per
/// entry), whatever the encoder's maximum: it bounds a connection's memory.
/// An encoder with a larger table is followed for its newest entries only;
/// references to older ones decode as unknown.
pub const KEPT_MAX: usize = 16 * 1024;
/// The per-entry overhead of RFC 7541 §4.1.
const OVERHEAD: usize = 32;

struct Entry {
    /// Name then value.
    bytes: Box<[u8]>,
    name_len: usize,
    name_known: bool,
}

impl Entry {
    fn size(&self) -> usize {
        self.bytes.len() + OVERHEAD
    }
}

pub struct Table {
    /// Newest first: dynamic index 62 is `entries[0]`.
    entries: VecDeque<Entry>,
    /// RFC 7541 size of `entries`.
    size: usize,
    /// The encoder's maximum, from its last size update.
    max_size: usize,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            entries: VecDeque::new(),
            size: 0,
            max_size: DEFAULT_MAX,
        }
    }
}

impl Table {
    /// Entry `i` (0 the newest): its name if known, and its value.
    pub fn get(&self, i: usize) -> Option<(Option<&[u8]>, &[u8])> {
        let e = self.entries.get(i)?;
        let (name, value) = e.bytes.split_at(e.name_len.min(e.bytes.len()));
        Some((e.name_known.then_some(name), value))
    }

    /// Adds an entry as the encoder did; `name` `None` when it was unknown.
    pub fn insert(&mut self, name: Option<&[u8]>, value: &[u8]) {
        let name_bytes = name.unwrap_or(&[]);
        let entry = Entry {
            bytes: [name_bytes, value].concat().into_boxed_slice(),
            name_len: name_bytes.len(),
            name_known: name.is_some(),
        };
        let size = entry.size();
        if size > self.capacity() {
            // Larger than the table: it empties and the entry is not added
            // (RFC 7541 §4.4); larger than what is kept: forget everything,
            // as the entries after it would take the wrong numbers.
            self.clear();
            return;
        }
        self.size += size;
        self.entries.push_front(entry);
        self.evict();
    }

    /// A dynamic table size update (RFC 7541 §6.3).
    pub fn set_max_size(&mut self, max: usize) {
        self.max_size = max;
        self.evict();
    }

    /// Forget every entry: what the encoder added next is unknown.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.size = 0;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// RFC 7541 size of the entries held.
    pub fn size(&self) -> usize {
        self.size
    }

    fn capacity(&self) -> usize {
        self.max_size.min(KEPT_MAX)
    }

    fn evict(&mut self) {
        while self.size > self.capacity() {
            match self.entries.pop_back() {
                Some(e) => self.size -= e.size(),
                None => {
                    self.size = 0;
                    break;
                }
            }
        }
    }
}
