//! Segments in JSON, as agents POST them over HTTP: protobuf's JSON mapping of
//! `SegmentObject` (camelCase field names), read leniently the way protobuf's JSON
//! parsers are: an enum as its name (`"Entry"`) or its number (the Python agent sends
//! `"refType": 0`), an integer as a number or a string, `null` as the default value.
//! Unknown fields are ignored (the Go JSON decoder contrib uses ignores them too).
//! Errors are serde_json's, with the line and column.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::proto::{RefType, SegmentObject, SpanLayer, SpanType};

/// `POST /v3/segments`: an array of segments.
pub fn segments(body: &[u8]) -> Result<Vec<SegmentObject>, serde_json::Error> {
    serde_json::from_slice(body)
}

/// `POST /v3/segment`: one segment.
pub fn segment(body: &[u8]) -> Result<SegmentObject, serde_json::Error> {
    serde_json::from_slice(body)
}

pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

pub(crate) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or_default())
}

pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

pub(crate) fn int32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    d.deserialize_any(Integer::<i32>(PhantomData))
}

pub(crate) fn int64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(Integer::<i64>(PhantomData))
}

pub(crate) fn span_type<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    d.deserialize_any(Enum {
        name: "SpanType",
        values: &[
            ("Entry", SpanType::Entry as i32),
            ("Exit", SpanType::Exit as i32),
            ("Local", SpanType::Local as i32),
        ],
    })
}

pub(crate) fn span_layer<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    const LAYERS: [SpanLayer; 7] = [
        SpanLayer::Unknown,
        SpanLayer::Database,
        SpanLayer::RpcFramework,
        SpanLayer::Http,
        SpanLayer::Mq,
        SpanLayer::Cache,
        SpanLayer::Faas,
    ];
    let values: Vec<(&str, i32)> = LAYERS.iter().map(|l| (l.proto_name(), *l as i32)).collect();
    d.deserialize_any(Enum {
        name: "SpanLayer",
        values: &values,
    })
}

pub(crate) fn ref_type<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    d.deserialize_any(Enum {
        name: "RefType",
        values: &[
            ("CrossProcess", RefType::CrossProcess as i32),
            ("CrossThread", RefType::CrossThread as i32),
        ],
    })
}

/// An integer field: a JSON number without a fraction, a string holding one, or null.
struct Integer<T>(PhantomData<T>);

impl<'de, T> Visitor<'de> for Integer<T>
where
    T: TryFrom<i64> + Default,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an integer of {} bits", std::mem::size_of::<T>() * 8)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        i64::try_from(v)
            .ok()
            .and_then(|v| T::try_from(v).ok())
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // protobuf's JSON takes 1e3 or 5.0 for an integer.
        if v.fract() == 0.0 && v.abs() < 9.2e18 {
            return self.visit_i64(v as i64);
        }
        Err(E::invalid_value(de::Unexpected::Float(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        match v.trim().parse::<i64>() {
            Ok(n) => self.visit_i64(n),
            Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

/// An enum field: its name, its number, or null (the first value).
struct Enum<'a> {
    name: &'static str,
    values: &'a [(&'a str, i32)],
}

impl<'de> Visitor<'de> for Enum<'_> {
    type Value = i32;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let names: Vec<&str> = self.values.iter().map(|(n, _)| *n).collect();
        write!(f, "a {} ({} or a number)", self.name, names.join(", "))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i32, E> {
        i32::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i32, E> {
        i32::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i32, E> {
        self.values
            .iter()
            .find(|(name, _)| *name == v)
            .map(|(_, value)| *value)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }

    fn visit_unit<E: de::Error>(self) -> Result<i32, E> {
        Ok(0)
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
