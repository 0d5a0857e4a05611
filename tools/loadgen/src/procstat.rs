//! CPU time and memory of another process, read from `/proc/<pid>/stat` and
//! `/proc/<pid>/status` (Linux only).

use std::fs;
use std::io;
use std::time::Duration;

/// User plus system CPU time the process has used so far.
pub fn cpu_time(pid: u32) -> io::Result<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces: count from
    // the last ')'. After it, utime and stime are fields 14 and 15 of the line,
    // i.e. the 12th and 13th after the name.
    let rest = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or_else(|| io::Error::other("no ')' in /proc/pid/stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> io::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad field {i} in /proc/pid/stat")))
    };
    let total = ticks(11)? + ticks(12)?;
    // SAFETY: sysconf has no preconditions; it only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as u64 } else { 100 };
    Ok(Duration::from_nanos(total * 1_000_000_000 / hz))
}

/// Memory figures from `/proc/<pid>/status`, in bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// Resident set size now (`VmRSS`).
    pub rss: u64,
    /// Peak resident set size since start (`VmHWM`).
    pub peak_rss: u64,
}

pub fn memory(pid: u32) -> io::Result<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(Memory {
        rss: kib("VmRSS:") * 1024,
        peak_rss: kib("VmHWM:") * 1024,
    })
}
