//! The text the debug exporter logs, as pure functions of a payload.
//!
//! * [`basic`]: the one-line summary of a batch.
//! * [`normal`]: one line per item.
//! * [`detailed`]: every field.
//! * [`values`]: Go's way of writing values, ids and times.

pub mod basic;
pub mod detailed;
pub mod normal;
pub mod values;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
