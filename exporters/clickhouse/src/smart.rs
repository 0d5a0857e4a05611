//! SmartEncoding's rows: a resource's attribute set is written once, into the
//! dictionary table, under a 64-bit id derived from the set; every row of every
//! signal carries the id instead of the map (the schema side is
//! [`crate::schema::smart`]).
//!
//! The id is the first half of CityHash128 (v1.0.2, ClickHouse's own) of the set's
//! RowBinary map encoding, which is a pure function of the set as sent: the same set
//! gets the same id in every request, every signal and every sonde. (The same
//! attributes in another order are another set: one more dictionary row, no harm.)
//!
//! The exporter remembers which ids it wrote ([`KnownResources`]) and writes a set
//! again when it has not for [`REFRESH`] (or half the `ttl`), so the dictionary's
//! `LastSeen` moves on while the set is in use and its rows outlive the facts that
//! point at them. The dictionary is written before the facts, and an id counts as
//! written only once ClickHouse took it: a fact row never points at a set that was
//! not stored.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::common::v1::KeyValue;

use crate::columns::attributes;
use crate::rowbinary::RowWriter;

/// How long a written set counts as written when no `ttl` asks for less.
pub const REFRESH: Duration = Duration::from_secs(3600);

/// Sets remembered at most; past it the memory is cleared and sets are written again.
const KNOWN_CAP: usize = 1 << 16;

/// A resource attribute set: its id and its RowBinary map encoding.
pub type ResourceSet = (u64, Vec<u8>);

/// How rows write their resource column.
#[derive(Debug)]
pub enum ResourceCells {
    /// contrib's `ResourceAttributes` map.
    Map,
    /// SmartEncoding's `ResourceId`; the sets seen, once each, in order.
    Ids(Vec<ResourceSet>),
}

impl ResourceCells {
    pub fn ids() -> ResourceCells {
        ResourceCells::Ids(Vec::new())
    }

    /// Writes the resource cell of `attrs` into `w`.
    pub fn write(&mut self, attrs: &[KeyValue], w: &mut RowWriter, scratch: &mut String) {
        match self {
            ResourceCells::Map => attributes(attrs, w, scratch),
            ResourceCells::Ids(_) => {
                let mut map = RowWriter::default();
                attributes(attrs, &mut map, scratch);
                self.write_encoded(map.buf, w);
            }
        }
    }

    /// Writes the resource cell of a set already encoded as a RowBinary map.
    pub fn write_encoded(&mut self, map: Vec<u8>, w: &mut RowWriter) {
        match self {
            ResourceCells::Map => w.bytes(&map),
            ResourceCells::Ids(seen) => {
                let id = resource_id(&map);
                w.uint64(id);
                if !seen.iter().any(|(known, _)| *known == id) {
                    seen.push((id, map));
                }
            }
        }
    }

    /// The sets seen, with their ids (none for [`ResourceCells::Map`]).
    pub fn into_sets(self) -> Vec<ResourceSet> {
        match self {
            ResourceCells::Map => Vec::new(),
            ResourceCells::Ids(seen) => seen,
        }
    }
}

/// The id of a set, from its RowBinary map encoding.
pub fn resource_id(encoded_map: &[u8]) -> u64 {
    (cityhash_rs::cityhash_102_128(encoded_map) >> 64) as u64
}

/// The dictionary rows of `sets`, in the column order of
/// [`crate::schema::smart::RESOURCES_INSERT_COLUMNS`].
pub fn encode_sets(sets: &[ResourceSet], last_seen: u32, w: &mut RowWriter) {
    for (id, map) in sets {
        w.uint64(*id);
        w.bytes(map);
        w.uint32(last_seen);
    }
}

/// The ids written lately, each with when.
#[derive(Debug)]
pub struct KnownResources {
    written: HashMap<u64, Instant>,
    refresh: Duration,
}

impl KnownResources {
    /// `ttl` 0 keeps rows forever; otherwise a set is written again after half of it.
    pub fn new(ttl: Duration) -> KnownResources {
        let refresh = if ttl.is_zero() {
            REFRESH
        } else {
            REFRESH.min(ttl / 2)
        };
        KnownResources {
            written: HashMap::new(),
            refresh,
        }
    }

    /// Of `sets`, those to write now.
    pub fn unwritten(&self, sets: Vec<ResourceSet>, now: Instant) -> Vec<ResourceSet> {
        sets.into_iter()
            .filter(|(id, _)| {
                self.written
                    .get(id)
                    .is_none_or(|at| now.duration_since(*at) >= self.refresh)
            })
            .collect()
    }

    /// Records that ClickHouse took `ids` at `now`.
    pub fn wrote(&mut self, ids: impl IntoIterator<Item = u64>, now: Instant) {
        for id in ids {
            if self.written.len() >= KNOWN_CAP && !self.written.contains_key(&id) {
                self.written.clear();
            }
            self.written.insert(id, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue};

    fn kv(key: &str, value: &str) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(value.into())),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_set_is_an_id_in_the_row_and_is_kept_once() {
        let a = [kv("service.name", "checkout"), kv("host.name", "h1")];
        let b = [kv("service.name", "cart")];
        let mut cells = ResourceCells::ids();
        let mut w = RowWriter::default();
        let mut scratch = String::new();
        cells.write(&a, &mut w, &mut scratch);
        cells.write(&b, &mut w, &mut scratch);
        cells.write(&a, &mut w, &mut scratch);
        let sets = cells.into_sets();
        assert_eq!(sets.len(), 2);
        let mut map_a = RowWriter::default();
        attributes(&a, &mut map_a, &mut scratch);
        assert_eq!(sets[0], (resource_id(&map_a.buf), map_a.buf.clone()));
        // Three rows of eight bytes each: the ids, little-endian.
        let ids: Vec<u64> = w
            .buf
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(ids, [sets[0].0, sets[1].0, sets[0].0]);
        assert_ne!(sets[0].0, sets[1].0);
    }

    #[test]
    fn the_map_mode_writes_contribs_map() {
        let a = [kv("service.name", "checkout")];
        let mut cells = ResourceCells::Map;
        let mut w = RowWriter::default();
        cells.write(&a, &mut w, &mut String::new());
        let mut expected = RowWriter::default();
        attributes(&a, &mut expected, &mut String::new());
        assert_eq!(w.buf, expected.buf);
        assert!(cells.into_sets().is_empty());
    }

    #[test]
    fn the_id_is_stable() {
        // The empty set: one byte, the map's length 0. A fixed value, so that a change
        // of the derivation (which would orphan every stored set) fails here.
        assert_eq!(format!("{:016x}", resource_id(&[0])), "a04b71ab61de6422");
    }

    #[test]
    fn known_sets_are_written_again_after_the_refresh() {
        let mut known = KnownResources::new(Duration::from_secs(600));
        let t0 = Instant::now();
        let sets = vec![(1, vec![0]), (2, vec![0])];
        assert_eq!(known.unwritten(sets.clone(), t0).len(), 2);
        known.wrote([1], t0);
        assert_eq!(known.unwritten(sets.clone(), t0), vec![(2, vec![0])]);
        // ttl 10 min: written again after 5.
        let later = t0 + Duration::from_secs(300);
        assert_eq!(known.unwritten(sets, later).len(), 2);
        assert_eq!(KnownResources::new(Duration::ZERO).refresh, REFRESH);
    }

    #[test]
    fn dictionary_rows() {
        let mut w = RowWriter::default();
        encode_sets(&[(7, vec![0])], 1_700_000_000, &mut w);
        let mut expected = 7u64.to_le_bytes().to_vec();
        expected.push(0);
        expected.extend(1_700_000_000u32.to_le_bytes());
        assert_eq!(w.buf, expected);
    }
}
