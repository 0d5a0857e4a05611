//! The capture layer of the eBPF receiver: loads `bpf/sonde.bpf.c`, attaches
//! it to the syscall, sock, tcp and sched tracepoints, and delivers what it
//! sees as decoded [`Event`]s over a bounded channel.
//!
//! ```text
//! kernel: tracepoints ─► filters (self, pid, comm, port, L7 first bytes) ─► ring buffer
//! user:   reader thread (poll) ─► decode ─► mpsc::channel(capacity) ─► consumer
//! ```
//!
//! What goes on the wire between the two halves is `bpf/sonde_events.h`;
//! `raw.rs` mirrors it and the build checks the mirror. Start a capture with
//! [`Capture::start`]; dropping the [`Capture`] stops the reader and detaches
//! every program. Nothing is dropped silently: [`Capture::stats`] counts
//! ring-buffer drops, channel drops and every in-kernel filter.

mod config;
mod error;
mod event;
mod hooks;
mod loader;
mod object;
mod preflight;
mod raw;
mod reader;
mod stats;

use std::sync::Arc;

use aya::maps::{MapData, PerCpuArray, RingBuf};
use aya::Ebpf;
use tokio::sync::mpsc;

pub use config::{
    CaptureConfig, MAX_COMM_LEN, MAX_FILTER_ENTRIES, MAX_PAYLOAD_SIZE, MAX_RING_BUFFER_BYTES,
};
pub use error::CaptureError;
pub use event::{
    decode, CloseEvent, Comm, ConnectionEvent, DataEvent, DecodeError, Direction, Event,
    L7Protocol, ProcessExecEvent, ProcessExitEvent, RetransmitEvent, Role, SocketTuple, Syscall,
    Task, TcpState, TcpStateEvent,
};
pub use stats::CaptureStats;

use reader::Reader;
use stats::ReaderCounters;

/// The receiving end of a capture: decoded events, in ring-buffer order.
/// Closed (returns `None`) once the [`Capture`] is dropped and drained.
pub type EventReceiver = mpsc::Receiver<Event>;

/// A running capture. Dropping it stops the reader and detaches everything.
pub struct Capture {
    // Field order matters: the reader stops before the programs go.
    reader: Reader,
    counters: PerCpuArray<MapData, u64>,
    reader_counters: Arc<ReaderCounters>,
    /// Owns the programs and their links; dropping it detaches them.
    #[cfg_attr(not(test), allow(dead_code))]
    ebpf: Ebpf,
}

impl Capture {
    /// Checks the host, loads and attaches the programs with `config`'s
    /// filters, and starts the reader. The first failure is returned as a
    /// one-line error saying what is missing and what to do.
    pub fn start(config: &CaptureConfig) -> Result<(Capture, EventReceiver), CaptureError> {
        let Some(object) = object::object() else {
            return Err(CaptureError::BuiltWithoutEbpf);
        };
        config.validate()?;
        preflight::check(&preflight::Host::system(), hooks::HOOKS)?;
        let mut ebpf = loader::load(object, config)?;

        let ring = ebpf.take_map("events").ok_or(CaptureError::Missing {
            what: "map",
            name: "events",
        })?;
        let ring = RingBuf::try_from(ring).map_err(|source| CaptureError::Map {
            map: "events",
            source: Box::new(source),
        })?;
        let counters = ebpf.take_map("counters").ok_or(CaptureError::Missing {
            what: "map",
            name: "counters",
        })?;
        let counters = PerCpuArray::try_from(counters).map_err(|source| CaptureError::Map {
            map: "counters",
            source: Box::new(source),
        })?;

        let (sender, receiver) = mpsc::channel(config.channel_capacity);
        let reader_counters = Arc::new(ReaderCounters::default());
        let reader =
            Reader::spawn(ring, sender, reader_counters.clone()).map_err(CaptureError::Reader)?;
        tracing::info!(
            payload_size = config.payload_size,
            ring_buffer_bytes = config.ring_buffer_bytes,
            "eBPF capture started"
        );
        Ok((
            Capture {
                reader,
                counters,
                reader_counters,
                ebpf,
            },
            receiver,
        ))
    }

    /// The counters so far, the kernel's summed over CPUs.
    pub fn stats(&self) -> Result<CaptureStats, CaptureError> {
        stats::read(&self.counters, &self.reader_counters)
    }

    /// Stops the reader (after it drains the ring) and detaches every program.
    pub fn stop(mut self) {
        self.reader.stop();
    }

    /// The kernel ids of the loaded programs (for tests of the detach).
    #[cfg(test)]
    fn program_ids(&self) -> Vec<u32> {
        self.ebpf
            .programs()
            .filter_map(|(_, program)| program.info().ok())
            .map(|info| info.id())
            .collect()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.reader.stop();
        tracing::debug!("eBPF capture stopped");
    }
}

#[cfg(test)]
mod live_tests;

// The component moves a capture into its task and shares stats across threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Capture>();
    send_sync::<Event>();
};
