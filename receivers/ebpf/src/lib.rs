//! sonde's eBPF receiver.
//!
//! For now only its capture layer ([`capture`]): the kernel side in `bpf/`,
//! loaded and attached from here, delivering decoded syscall, connection and
//! process events. The component (factory, config, connection table, spans,
//! metrics) builds on it.

pub mod capture;
mod clock;
pub mod config;
mod context;
mod join;
pub mod process;
pub mod red;
mod reorder;
mod span;
#[cfg(test)]
mod testutil;
mod tracer;
