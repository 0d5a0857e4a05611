//! What is known about metric families across requests: their type, help and unit.
//!
//! Prometheus sends metadata in requests of its own, once a minute, not beside the
//! samples; a receiver keeps what it saw here and passes it to every translation.
//! The map is bounded: past its capacity the oldest family is forgotten (its series
//! are then typed by their names again until its metadata comes back).

use std::collections::{HashMap, VecDeque};

use crate::proto::MetricType;

/// One family's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub kind: MetricType,
    pub help: String,
    pub unit: String,
    /// True when the sender declared it (metadata), false when a request's series
    /// showed it (`_bucket` with `le`, `quantile`); a declared type is never replaced
    /// by a guessed one.
    pub declared: bool,
}

/// Family name → [`Family`], at most `capacity` of them.
#[derive(Debug, Clone)]
pub struct FamilyTypes {
    capacity: usize,
    by_name: HashMap<String, Family>,
    /// Names in order of arrival, for forgetting the oldest.
    order: VecDeque<String>,
}

impl Default for FamilyTypes {
    fn default() -> Self {
        FamilyTypes::new(10_000)
    }
}

impl FamilyTypes {
    pub fn new(capacity: usize) -> FamilyTypes {
        FamilyTypes {
            capacity,
            by_name: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Family> {
        self.by_name.get(name)
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// True when [`FamilyTypes::remember`] would change something: a caller that
    /// shares the map checks this under a read lock before taking the write lock.
    pub fn would_change(&self, name: &str, family: &Family) -> bool {
        match self.by_name.get(name) {
            None => self.capacity > 0,
            Some(known) => (family.declared || !known.declared) && known != family,
        }
    }

    /// Keeps `family` for `name`; a guessed type does not replace a declared one.
    pub fn remember(&mut self, name: &str, family: Family) {
        if !self.would_change(name, &family) {
            return;
        }
        if let Some(known) = self.by_name.get_mut(name) {
            *known = family;
            return;
        }
        while self.by_name.len() >= self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.by_name.remove(&oldest);
        }
        self.order.push_back(name.to_string());
        self.by_name.insert(name.to_string(), family);
    }

    /// Keeps every family a translation learned.
    pub fn remember_all(&mut self, learned: impl IntoIterator<Item = (String, Family)>) {
        for (name, family) in learned {
            self.remember(&name, family);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(kind: MetricType, declared: bool) -> Family {
        Family {
            kind,
            help: String::new(),
            unit: String::new(),
            declared,
        }
    }

    #[test]
    fn bounded_and_declared_wins() {
        let mut types = FamilyTypes::new(2);
        types.remember("a", family(MetricType::Counter, true));
        assert!(!types.would_change("a", &family(MetricType::Gauge, false)));
        assert!(!types.would_change("a", &family(MetricType::Counter, true)));
        assert!(types.would_change("a", &family(MetricType::Gauge, true)));
        types.remember("a", family(MetricType::Gauge, false));
        assert_eq!(types.get("a").map(|f| f.kind), Some(MetricType::Counter));
        types.remember("b", family(MetricType::Gauge, false));
        types.remember("b", family(MetricType::Summary, true));
        assert_eq!(types.get("b").map(|f| f.kind), Some(MetricType::Summary));
        types.remember("c", family(MetricType::Histogram, true));
        assert_eq!(types.len(), 2);
        assert!(types.get("a").is_none(), "the oldest is forgotten");
        assert_eq!(types.get("c").map(|f| f.kind), Some(MetricType::Histogram));
        let mut none = FamilyTypes::new(0);
        assert!(!none.would_change("a", &family(MetricType::Counter, true)));
        none.remember("a", family(MetricType::Counter, true));
        assert!(none.is_empty());
    }
}
