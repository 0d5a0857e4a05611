//! How much memory the process may use: the cgroup's limit when there is one (v2
//! `memory.max`, else v1 `memory.limit_in_bytes`), else the machine's `MemTotal`.
//!
//! The parsers are pure functions over file contents; [`total_memory`] does the reading.

use std::fs;
use std::io;

/// The memory available to this process, in bytes.
pub fn total_memory() -> io::Result<u64> {
    let machine = fs::read_to_string("/proc/meminfo").and_then(|text| {
        parse_meminfo_total(&text)
            .ok_or_else(|| io::Error::other("/proc/meminfo has no MemTotal line"))
    })?;
    let cgroup = fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|own| cgroup_limit(&own));
    // A v1 "no limit" is a huge number rather than a word; the machine bounds it.
    Ok(match cgroup {
        Some(limit) if limit < machine => limit,
        _ => machine,
    })
}

/// The limit of this process's cgroup, trying v2 and then v1 files.
fn cgroup_limit(proc_self_cgroup: &str) -> Option<u64> {
    let mut candidates = Vec::new();
    if let Some(path) = cgroup_v2_path(proc_self_cgroup) {
        candidates.push(format!("/sys/fs/cgroup{path}/memory.max"));
    }
    // Inside a container the namespace root is the process's own cgroup.
    candidates.push("/sys/fs/cgroup/memory.max".to_string());
    candidates.push("/sys/fs/cgroup/memory/memory.limit_in_bytes".to_string());
    candidates
        .iter()
        .filter_map(|file| fs::read_to_string(file).ok())
        .find_map(|text| parse_cgroup_limit(&text))
}

/// `MemTotal:       16315440 kB` → bytes.
pub fn parse_meminfo_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut fields = line["MemTotal:".len()..].split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") | None => value.checked_mul(1024),
        Some(_) => None,
    }
}

/// The content of `memory.max` or `memory.limit_in_bytes`: a byte count, or `max` for none.
pub fn parse_cgroup_limit(text: &str) -> Option<u64> {
    match text.trim() {
        "max" | "" => None,
        n => n.parse().ok(),
    }
}

/// The v2 line of `/proc/self/cgroup` (`0::/system.slice/x.service`) → its path.
pub fn cgroup_v2_path(proc_self_cgroup: &str) -> Option<&str> {
    proc_self_cgroup
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .map(|p| p.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo() {
        let text = "MemTotal:       16315440 kB\nMemFree:         1234 kB\n";
        assert_eq!(parse_meminfo_total(text), Some(16315440 * 1024));
        assert_eq!(parse_meminfo_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn cgroup_files() {
        assert_eq!(parse_cgroup_limit("max\n"), None);
        assert_eq!(parse_cgroup_limit("536870912\n"), Some(536870912));
        assert_eq!(
            parse_cgroup_limit("9223372036854771712\n"),
            Some(9223372036854771712)
        );
        assert_eq!(parse_cgroup_limit("junk"), None);
    }

    #[test]
    fn v2_path() {
        assert_eq!(
            cgroup_v2_path("0::/system.slice/sonde.service\n"),
            Some("/system.slice/sonde.service")
        );
        assert_eq!(cgroup_v2_path("0::/\n"), Some(""));
        assert_eq!(cgroup_v2_path("4:memory:/docker/abc\n"), None);
    }

    #[test]
    fn this_machine_has_some_memory() {
        assert!(total_memory().unwrap() > 0);
    }
}
