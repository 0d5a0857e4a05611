//! The service: everything between the command line and the components.
//!
//! * [`resolve`]: `--config` sources, `${...}` expansion, merging, `--set`.
//! * [`config`] and [`plan`]: decoding and validation into a [`plan::Plan`].
//! * [`graph`]: instances built and wired, started and stopped in order.
//! * [`run`]: signals, reload, and the collector's own telemetry.

pub mod components;
pub mod config;
mod fanout;
pub mod graph;
pub mod plan;
pub mod redact;
pub mod registry;
pub mod resolve;
pub mod run;
mod self_telemetry;

pub use components::components_yaml;
pub use registry::Registry;
pub use run::{run, Loader};
