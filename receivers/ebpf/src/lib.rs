//! sonde's eBPF receiver (`ebpf`): HTTP spans and RED metrics of every process on
//! the host, joined into traces, without instrumentation.
//!
//! * [`capture`]: the kernel side in `bpf/`, loaded and attached from here,
//!   delivering decoded syscall, connection and process events.
//! * `reorder`, `tracer`, `join`, `span`: causal order, one protocol session per
//!   connection (`sonde-ebpf-protocols`), span ids at request start, spans by the
//!   semantic conventions.
//! * [`red`]: RED histograms; [`process`]: the resource of each process.
//! * `receiver`, `factory`, [`config`]: the component.

pub mod capture;
mod clock;
pub mod config;
mod context;
mod factory;
mod join;
mod protocols;
mod receiver;
pub mod red;
mod reorder;
mod span;
mod stats;
#[cfg(test)]
mod testutil;
mod tracer;

use std::sync::Arc;

pub use factory::EbpfReceiverFactory;

pub fn factory() -> Arc<dyn sonde_api::component::ReceiverFactory> {
    Arc::new(EbpfReceiverFactory)
}
