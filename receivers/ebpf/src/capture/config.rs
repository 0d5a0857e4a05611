//! What to capture: payload size, the pid / process-name / port filters, and
//! the sizes of the ring buffer and of the channel to the consumer.
//!
//! A plain struct with defaults; the receiver's YAML layer maps onto it.

use super::error::CaptureError;
use super::raw;

/// The most payload one data event can carry (the kernel side's compiled maximum).
pub const MAX_PAYLOAD_SIZE: usize = raw::SONDE_MAX_PAYLOAD as usize;
/// The most entries each allow/deny list can hold (the kernel maps' size).
pub const MAX_FILTER_ENTRIES: usize = 1024;
/// The largest ring buffer accepted.
pub const MAX_RING_BUFFER_BYTES: usize = 1 << 30;
/// The longest process name the kernel keeps (TASK_COMM_LEN less the NUL).
pub const MAX_COMM_LEN: usize = raw::SONDE_COMM_LEN as usize - 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureConfig {
    /// Bytes of payload copied per data event, 1..=[`MAX_PAYLOAD_SIZE`].
    pub payload_size: usize,
    /// Trace only these processes (pids in the root pid namespace); empty: all.
    pub pid_allow: Vec<u32>,
    /// Never trace these processes.
    pub pid_deny: Vec<u32>,
    /// Trace only processes with these names (`comm`, at most 15 bytes); empty: all.
    pub comm_allow: Vec<String>,
    /// Never trace processes with these names.
    pub comm_deny: Vec<String>,
    /// Trace only connections with one of these ports at either end; empty: all.
    pub port_allow: Vec<u16>,
    /// Never trace connections with one of these ports at either end.
    pub port_deny: Vec<u16>,
    /// Connections with one of these ports at either end are L7 whatever
    /// their first bytes (user space knows which protocol each port speaks).
    pub l7_ports: Vec<u16>,
    /// The process whose own syscalls are never traced (sonde itself), so
    /// the tracer does not feed on its own output.
    pub self_pid: u32,
    /// Size of the kernel ring buffer in bytes: a power of two from one page
    /// to [`MAX_RING_BUFFER_BYTES`].
    pub ring_buffer_bytes: usize,
    /// Events the channel to the consumer holds; beyond that they are dropped
    /// and counted in [`super::CaptureStats::channel_drops`].
    pub channel_capacity: usize,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self {
            payload_size: raw::SONDE_DEFAULT_PAYLOAD as usize,
            pid_allow: Vec::new(),
            pid_deny: Vec::new(),
            comm_allow: Vec::new(),
            comm_deny: Vec::new(),
            port_allow: Vec::new(),
            port_deny: Vec::new(),
            l7_ports: Vec::new(),
            self_pid: std::process::id(),
            ring_buffer_bytes: 8 * 1024 * 1024,
            channel_capacity: 16 * 1024,
        }
    }
}

impl CaptureConfig {
    /// Checks every value against what the kernel side can hold.
    pub fn validate(&self) -> Result<(), CaptureError> {
        let invalid = |reason: String| Err(CaptureError::InvalidConfig(reason));
        if self.payload_size == 0 || self.payload_size > MAX_PAYLOAD_SIZE {
            return invalid(format!(
                "payload_size {} is out of range: it must be between 1 and {MAX_PAYLOAD_SIZE}",
                self.payload_size
            ));
        }
        let lists = [
            ("pid_allow", self.pid_allow.len()),
            ("pid_deny", self.pid_deny.len()),
            ("comm_allow", self.comm_allow.len()),
            ("comm_deny", self.comm_deny.len()),
            ("port_allow", self.port_allow.len()),
            ("port_deny", self.port_deny.len()),
            ("l7_ports", self.l7_ports.len()),
        ];
        for (name, len) in lists {
            if len > MAX_FILTER_ENTRIES {
                return invalid(format!(
                    "{name} has {len} entries; at most {MAX_FILTER_ENTRIES} are supported"
                ));
            }
        }
        for (name, list) in [
            ("comm_allow", &self.comm_allow),
            ("comm_deny", &self.comm_deny),
        ] {
            for comm in list {
                if comm.is_empty() || comm.len() > MAX_COMM_LEN || comm.contains('\0') {
                    return invalid(format!(
                        "{name} entry {comm:?} is not a process name: the kernel keeps 1 to {MAX_COMM_LEN} bytes without NUL"
                    ));
                }
            }
        }
        let page = page_size();
        if !self.ring_buffer_bytes.is_power_of_two()
            || self.ring_buffer_bytes < page
            || self.ring_buffer_bytes > MAX_RING_BUFFER_BYTES
        {
            return invalid(format!(
                "ring_buffer_bytes {} must be a power of two from one page ({page}) to 1 GiB",
                self.ring_buffer_bytes
            ));
        }
        if self.channel_capacity == 0 {
            return invalid("channel_capacity must be at least 1".to_owned());
        }
        Ok(())
    }

    /// The `filter_flags` bits telling the kernel side which lists are in force.
    pub(crate) fn filter_flags(&self) -> u32 {
        let mut flags = 0;
        for (on, bit) in [
            (!self.pid_allow.is_empty(), raw::SONDE_FILTER_PID_ALLOW),
            (!self.pid_deny.is_empty(), raw::SONDE_FILTER_PID_DENY),
            (!self.comm_allow.is_empty(), raw::SONDE_FILTER_COMM_ALLOW),
            (!self.comm_deny.is_empty(), raw::SONDE_FILTER_COMM_DENY),
            (!self.port_allow.is_empty(), raw::SONDE_FILTER_PORT_ALLOW),
            (!self.port_deny.is_empty(), raw::SONDE_FILTER_PORT_DENY),
        ] {
            if on {
                flags |= bit;
            }
        }
        flags
    }
}

/// A process name as the kernel's comm key: NUL-padded to 16 bytes.
pub(crate) fn comm_key(comm: &str) -> [u8; raw::SONDE_COMM_LEN as usize] {
    let mut key = [0; raw::SONDE_COMM_LEN as usize];
    let bytes = comm.as_bytes();
    let len = bytes.len().min(MAX_COMM_LEN);
    key[..len].copy_from_slice(&bytes[..len]);
    key
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(config: CaptureConfig) -> String {
        config.validate().expect_err("invalid config").to_string()
    }

    #[test]
    fn the_default_is_valid_and_filters_nothing() {
        let config = CaptureConfig::default();
        assert_eq!(config.validate().map_err(|e| e.to_string()), Ok(()));
        assert_eq!(config.payload_size, 1024);
        assert_eq!(config.self_pid, std::process::id());
        assert_eq!(config.filter_flags(), 0);
    }

    #[test]
    fn payload_size_is_bounded_by_the_compiled_maximum() {
        assert_eq!(
            error(CaptureConfig { payload_size: 4097, ..Default::default() }),
            "invalid eBPF capture config: payload_size 4097 is out of range: it must be between 1 and 4096"
        );
        assert_eq!(
            error(CaptureConfig { payload_size: 0, ..Default::default() }),
            "invalid eBPF capture config: payload_size 0 is out of range: it must be between 1 and 4096"
        );
        assert!(CaptureConfig {
            payload_size: 4096,
            ..Default::default()
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn a_comm_longer_than_the_kernel_keeps_is_refused() {
        assert_eq!(
            error(CaptureConfig { comm_deny: vec!["a-very-long-name".into()], ..Default::default() }),
            "invalid eBPF capture config: comm_deny entry \"a-very-long-name\" is not a process name: \
             the kernel keeps 1 to 15 bytes without NUL"
        );
    }

    #[test]
    fn lists_are_bounded_by_the_map_size() {
        assert_eq!(
            error(CaptureConfig {
                port_allow: vec![80; 1025],
                ..Default::default()
            }),
            "invalid eBPF capture config: port_allow has 1025 entries; at most 1024 are supported"
        );
    }

    #[test]
    fn ring_buffer_size_must_be_a_power_of_two() {
        assert_eq!(
            error(CaptureConfig { ring_buffer_bytes: 3 * 1024 * 1024, ..Default::default() }),
            format!(
                "invalid eBPF capture config: ring_buffer_bytes 3145728 must be a power of two from one page ({}) to 1 GiB",
                page_size()
            )
        );
    }

    #[test]
    fn each_list_sets_its_own_flag() {
        let config = CaptureConfig {
            pid_allow: vec![1],
            comm_deny: vec!["sshd".into()],
            port_allow: vec![80],
            ..Default::default()
        };
        assert_eq!(
            config.filter_flags(),
            raw::SONDE_FILTER_PID_ALLOW
                | raw::SONDE_FILTER_COMM_DENY
                | raw::SONDE_FILTER_PORT_ALLOW
        );
        assert_eq!(config.filter_flags(), 0b11001);
    }

    #[test]
    fn comm_keys_are_nul_padded() {
        assert_eq!(&comm_key("curl")[..], b"curl\0\0\0\0\0\0\0\0\0\0\0\0");
    }
}
