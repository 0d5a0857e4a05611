//! The records of `bpf/sonde_events.h`, byte for byte, and its constants.
//!
//! The struct names are the C names on purpose: build.rs turns every
//! `SONDE_SIZE` / `SONDE_OFFSET` line of the header into a compile-time assert
//! on these types, so a change on either side that the other does not follow
//! fails the build. Nothing here is public; [`super::event`] decodes these into
//! the public event types.

#![allow(non_camel_case_types)]

/// The header's constants (not all used on this side).
#[allow(dead_code)]
mod consts {
    include!(concat!(env!("OUT_DIR"), "/sonde_consts.rs"));
}
pub(crate) use consts::*;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct sonde_event_header {
    pub kind: u32,
    pub pid: u32,
    pub tid: u32,
    pub reserved: u32,
    pub timestamp_ns: u64,
    pub comm: [u8; SONDE_COMM_LEN as usize],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct sonde_tuple {
    pub saddr: [u8; 16],
    pub daddr: [u8; 16],
    pub sport: u16,
    pub dport: u16,
    pub family: u16,
    pub protocol: u8,
    pub reserved: u8,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct sonde_data_event {
    pub header: sonde_event_header,
    pub tuple: sonde_tuple,
    pub socket_id: u64,
    pub trace_id: u64,
    pub enter_ns: u64,
    pub bytes: i64,
    pub tcp_seq: u32,
    pub fd: i32,
    pub payload_len: u32,
    pub direction: u8,
    pub syscall: u8,
    pub l7_protocol: u8,
    pub reserved: u8,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct sonde_socket_event {
    pub header: sonde_event_header,
    pub tuple: sonde_tuple,
    pub socket_id: u64,
    pub fd: i32,
    pub ret: i32,
    pub old_state: u32,
    pub new_state: u32,
    pub retransmits: u32,
    pub reserved: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct sonde_process_event {
    pub header: sonde_event_header,
    pub ppid: u32,
    pub exit_code: i32,
    pub filename: [u8; SONDE_FILENAME_LEN as usize],
}

impl Default for sonde_process_event {
    fn default() -> Self {
        Self {
            header: Default::default(),
            ppid: 0,
            exit_code: 0,
            filename: [0; SONDE_FILENAME_LEN as usize],
        }
    }
}

/// Plain old data: every bit pattern is a valid value, no padding is read.
pub(crate) trait Record: Copy + Default {
    /// Reads one record from the front of `bytes` (any alignment), or `None`
    /// when `bytes` is too short.
    fn read(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < size_of::<Self>() {
            return None;
        }
        // SAFETY: the length is checked above, the read is unaligned, and every
        // implementor is a #[repr(C)] struct of integers and byte arrays, for
        // which any bit pattern is a valid value.
        Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<Self>()) })
    }

    /// The record's bytes (for building test records).
    #[cfg(test)]
    fn as_bytes(&self) -> &[u8] {
        // SAFETY: a #[repr(C)] struct of integers viewed as its size in bytes.
        unsafe { std::slice::from_raw_parts((self as *const Self).cast::<u8>(), size_of::<Self>()) }
    }
}

impl Record for sonde_event_header {}
impl Record for sonde_data_event {}
impl Record for sonde_socket_event {}
impl Record for sonde_process_event {}

include!(concat!(env!("OUT_DIR"), "/sonde_layout.rs"));
