//! The decision: given the process's memory now, refuse data or let it through.
//!
//! Soft limit = limit − spike. At or above it, data is refused until a reading falls back
//! under it; above the hard limit too. Memory is read through an injected function and the
//! allocator is trimmed through another, so tests feed readings by hand.

use std::io;
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;

/// Reads the memory the process uses, in bytes.
pub type ReadFn = Box<dyn Fn() -> io::Result<u64> + Send + Sync>;
/// Gives freed memory back to the operating system.
pub type TrimFn = Box<dyn Fn() + Send + Sync>;

/// The hard limit and the headroom under it, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub hard: u64,
    pub spike: u64,
}

impl Limits {
    /// `limit` and `spike` in bytes; a zero spike means 20% of the limit, as in otelcol.
    pub fn new(limit: u64, spike: u64) -> Limits {
        let spike = if spike == 0 { limit / 5 } else { spike };
        Limits { hard: limit, spike }
    }

    /// Percentages of `total` bytes.
    pub fn from_percentages(total: u64, limit_pct: u32, spike_pct: u32) -> Limits {
        Limits::new(
            total / 100 * u64::from(limit_pct),
            total / 100 * u64::from(spike_pct),
        )
    }

    pub fn soft(&self) -> u64 {
        self.hard.saturating_sub(self.spike)
    }
}

/// Least time between two trims, while above the soft and the hard limit.
#[derive(Clone, Copy, Debug)]
pub struct TrimIntervals {
    pub soft: Duration,
    pub hard: Duration,
}

pub struct Checker {
    limits: Limits,
    intervals: TrimIntervals,
    read: ReadFn,
    trim: TrimFn,
    refusing: bool,
    last_trim: Option<Instant>,
}

impl Checker {
    pub fn new(limits: Limits, intervals: TrimIntervals, read: ReadFn, trim: TrimFn) -> Checker {
        Checker {
            limits,
            intervals,
            read,
            trim,
            refusing: false,
            last_trim: None,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn refusing(&self) -> bool {
        self.refusing
    }

    /// Reads memory, decides, logs a change of state; returns whether to refuse data.
    pub fn check(&mut self, now: Instant) -> bool {
        let mut used = match (self.read)() {
            Ok(bytes) => bytes,
            Err(err) => {
                // Keep the last decision: flipping on a failed read would be a guess.
                tracing::warn!(error = %err, "memory_limiter: cannot read memory usage");
                return self.refusing;
            }
        };
        tracing::debug!(cur_mem_mib = used / MIB, "Currently used memory.");
        let soft = self.limits.soft();
        if used < soft {
            if self.refusing {
                tracing::info!(
                    cur_mem_mib = used / MIB,
                    "Memory usage back within limits. Resuming normal operation."
                );
            }
            self.refusing = false;
            return false;
        }

        let above_hard = used >= self.limits.hard;
        let min_interval = if above_hard {
            self.intervals.hard
        } else {
            self.intervals.soft
        };
        let trim_due = self
            .last_trim
            .is_none_or(|last| now.saturating_duration_since(last) >= min_interval);
        // The first crossing always trims (`last_trim` is None then).
        if trim_due {
            if above_hard {
                tracing::warn!(
                    cur_mem_mib = used / MIB,
                    "Memory usage is above hard limit. Trimming the allocator."
                );
            } else {
                tracing::info!(
                    cur_mem_mib = used / MIB,
                    "Memory usage is above soft limit. Trimming the allocator."
                );
            }
            (self.trim)();
            self.last_trim = Some(now);
            if let Ok(after) = (self.read)() {
                used = after;
                tracing::info!(cur_mem_mib = used / MIB, "Memory usage after trim.");
            }
        }

        let refuse = used >= soft;
        if refuse && !self.refusing {
            tracing::warn!(
                cur_mem_mib = used / MIB,
                "Memory usage is above soft limit. Refusing data."
            );
        } else if !refuse && self.refusing {
            tracing::info!(
                cur_mem_mib = used / MIB,
                "Memory usage back within limits. Resuming normal operation."
            );
        }
        self.refusing = refuse;
        refuse
    }
}

/// Hands memory that was freed but kept by the allocator back to the kernel.
///
/// Rust frees memory when it is dropped; there is no collector to force the way otelcol
/// forces a Go GC. But glibc's malloc keeps freed pages in its arenas for reuse, so after a
/// burst the RSS stays high although nothing holds the memory, and the limiter would keep
/// refusing. `malloc_trim(0)` returns those pages, so the next reading shows what is really
/// in use.
pub fn trim_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; 0 means keep no padding.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests;
