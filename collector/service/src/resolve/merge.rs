//! Deep merge of config trees: maps merge key by key, anything else (lists too) is
//! replaced, and an explicit null in a later source deletes the key.

use serde_yaml::Value;

pub fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Mapping(base), Value::Mapping(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(_) if value.is_null() => {
                        base.remove(&key);
                    }
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}
