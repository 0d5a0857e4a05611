//! The `sonde` binary's library half: the component list, so tests can inspect it.

pub mod components;
