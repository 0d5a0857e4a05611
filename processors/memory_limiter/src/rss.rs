//! The process's resident memory, read from `/proc/self/statm` (resident pages × page size).
//!
//! RSS is what the kernel's OOM killer and a cgroup limit look at, so it is what the limit
//! is compared with (otelcol compares Go's heap size, which Rust does not have).

use std::fs;
use std::io;

/// Reads the resident set size of this process, in bytes.
pub fn read_rss() -> io::Result<u64> {
    let text = fs::read_to_string("/proc/self/statm")?;
    let pages = parse_statm_resident(&text)
        .ok_or_else(|| io::Error::other(format!("unexpected /proc/self/statm: {text:?}")))?;
    Ok(pages.saturating_mul(page_size()))
}

/// The second field of `statm`: resident pages.
pub fn parse_statm_resident(statm: &str) -> Option<u64> {
    statm.split_whitespace().nth(1)?.parse().ok()
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
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
    fn this_process_has_resident_memory() {
        assert!(read_rss().unwrap() > 0);
    }
}
