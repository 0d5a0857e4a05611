//! This process's own resource usage, read from /proc: what the memory limiter compares
//! with its limit and what the service reports as `otelcol_process_*`.
//!
//! RSS is what the kernel's OOM killer and a cgroup limit look at, so it is the memory
//! figure used everywhere (otelcol uses Go's heap size, which Rust does not have).

use std::fs;
use std::io;

/// The resident set size of this process, in bytes.
pub fn rss_bytes() -> io::Result<u64> {
    let text = fs::read_to_string("/proc/self/statm")?;
    let pages = parse_statm_resident(&text)
        .ok_or_else(|| io::Error::other(format!("unexpected /proc/self/statm: {text:?}")))?;
    Ok(pages.saturating_mul(sysconf(libc::_SC_PAGESIZE, 4096)))
}

/// User plus system CPU time of this process, in seconds.
pub fn cpu_seconds() -> io::Result<f64> {
    let stat = fs::read_to_string("/proc/self/stat")?;
    let ticks = parse_stat_cpu_ticks(&stat)
        .ok_or_else(|| io::Error::other(format!("unexpected /proc/self/stat: {stat:?}")))?;
    Ok(ticks as f64 / sysconf(libc::_SC_CLK_TCK, 100) as f64)
}

/// The second field of `statm`: resident pages.
pub fn parse_statm_resident(statm: &str) -> Option<u64> {
    statm.split_whitespace().nth(1)?.parse().ok()
}

/// utime + stime, the 14th and 15th fields of `stat`, counted after the parenthesised
/// command name (which may itself contain spaces).
fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = after.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn sysconf(name: libc::c_int, fallback: u64) -> u64 {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let value = unsafe { libc::sysconf(name) };
    if value > 0 {
        value as u64
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_resident_pages() {
        assert_eq!(parse_statm_resident("1000 250 100 10 0 300 0\n"), Some(250));
        assert_eq!(parse_statm_resident("1000"), None);
    }

    #[test]
    fn parses_cpu_ticks_after_an_odd_command_name() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 1 0 1 2 3";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(12));
    }

    #[test]
    fn this_process_has_resident_memory() {
        assert!(rss_bytes().unwrap() > 0);
        assert!(cpu_seconds().unwrap() >= 0.0);
    }
}
