//! The kernel stamps events with `bpf_ktime_get_ns` (CLOCK_MONOTONIC, which
//! stops during suspend and starts near boot); spans need Unix time.

/// CLOCK_MONOTONIC now, in nanoseconds: the clock event timestamps use.
pub fn monotonic_now_ns() -> u64 {
    read(libc::CLOCK_MONOTONIC)
}

/// CLOCK_REALTIME now, in nanoseconds since the Unix epoch.
pub fn unix_now_ns() -> u64 {
    read(libc::CLOCK_REALTIME)
}

fn read(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we own; both clocks exist
    // on every Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// Converts kernel timestamps to Unix time with one offset, read once, so that
/// the spans of one trace keep the kernel's exact order and durations.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    offset_ns: u64,
}

impl Clock {
    pub fn now() -> Clock {
        Clock::with_offset(unix_now_ns().saturating_sub(monotonic_now_ns()))
    }

    pub fn with_offset(offset_ns: u64) -> Clock {
        Clock { offset_ns }
    }

    pub fn to_unix(self, kernel_ns: u64) -> u64 {
        kernel_ns.saturating_add(self.offset_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_time_maps_to_now() {
        let clock = Clock::now();
        let unix = clock.to_unix(monotonic_now_ns());
        let now = unix_now_ns();
        // Two reads apart: well within a second of each other.
        assert!(now.abs_diff(unix) < 1_000_000_000, "{now} vs {unix}");
        assert_eq!(Clock::with_offset(5).to_unix(10), 15);
    }
}
