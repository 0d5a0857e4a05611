//! The capture's counters: the kernel side's per-CPU array (summed over
//! CPUs) and the reader's own.

use std::sync::atomic::{AtomicU64, Ordering};

use aya::maps::{MapData, PerCpuArray};

use super::error::CaptureError;
use super::raw;

/// Totals since the capture started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Records the kernel side put in the ring buffer.
    pub events_sent: u64,
    /// Records lost because the ring buffer was full.
    pub ring_buffer_drops: u64,
    /// Hooked syscalls of sonde's own process, skipped.
    pub filtered_self: u64,
    /// Hooked syscalls skipped by the pid allow/deny lists.
    pub filtered_pid: u64,
    /// Hooked syscalls skipped by the process-name allow/deny lists.
    pub filtered_comm: u64,
    /// Socket syscalls skipped by the port allow/deny lists.
    pub filtered_port: u64,
    /// Data syscalls on TCP sockets whose bytes were not an L7 protocol
    /// (TLS, SSH, bulk...): never copied out.
    pub filtered_not_l7: u64,
    /// Decoded events lost because the consumer's channel was full or closed.
    pub channel_drops: u64,
    /// Ring-buffer records that could not be decoded.
    pub decode_errors: u64,
}

/// The reader thread's counters, shared with [`super::Capture::stats`].
#[derive(Debug, Default)]
pub(crate) struct ReaderCounters {
    pub channel_drops: AtomicU64,
    pub decode_errors: AtomicU64,
}

pub(crate) fn read(
    counters: &PerCpuArray<MapData, u64>,
    reader: &ReaderCounters,
) -> Result<CaptureStats, CaptureError> {
    let sum = |index: u32| -> Result<u64, CaptureError> {
        let values = counters
            .get(&index, 0)
            .map_err(|source| CaptureError::Map {
                map: "counters",
                source: Box::new(source),
            })?;
        Ok(values.iter().copied().fold(0u64, u64::wrapping_add))
    };
    Ok(CaptureStats {
        events_sent: sum(raw::SONDE_COUNTER_EVENTS_SENT)?,
        ring_buffer_drops: sum(raw::SONDE_COUNTER_RINGBUF_DROPS)?,
        filtered_self: sum(raw::SONDE_COUNTER_FILTERED_SELF)?,
        filtered_pid: sum(raw::SONDE_COUNTER_FILTERED_PID)?,
        filtered_comm: sum(raw::SONDE_COUNTER_FILTERED_COMM)?,
        filtered_port: sum(raw::SONDE_COUNTER_FILTERED_PORT)?,
        filtered_not_l7: sum(raw::SONDE_COUNTER_FILTERED_NOT_L7)?,
        channel_drops: reader.channel_drops.load(Ordering::Relaxed),
        decode_errors: reader.decode_errors.load(Ordering::Relaxed),
    })
}
