//! The resource of a local process: the tags the eBPF receiver puts on its spans and
//! metrics, and the autotag processor on data a local process sent, so that both
//! carry the same ones.
//!
//! A [`ProcessTable`] reads `/proc/<pid>/` the first time a pid shows up and
//! caches what it found as an OTLP [`Resource`](sonde_api::pdata::resource::v1::Resource)
//! with these attributes (OpenTelemetry semantic conventions), in this order:
//!
//! | attribute | value |
//! |---|---|
//! | `service.name` | the process's own `OTEL_SERVICE_NAME`, else `service.name` in its `OTEL_RESOURCE_ATTRIBUTES`, else `process.executable.name` |
//! | `process.pid` | the pid (int) |
//! | `process.executable.name` | basename of the `exe` link's target, else of the exec filename, else the task name (comm) |
//! | `process.executable.path` | the `exe` link's target, else the exec filename; left out when neither is known |
//! | `process.command_line` | only with `command_line: true`: the `cmdline` arguments joined by spaces (first 4 KiB) |
//! | `host.name` | the configured host name; left out when empty |
//! | `container.id` | the container named by `/proc/<pid>/cgroup` ([`container_id_from_cgroup`]); left out for host processes |
//!
//! Short-lived processes are often gone by the time user space handles their
//! events: the table then falls back on what the events carried (the exec
//! filename, the task name). The caller owns the table and feeds it the
//! receiver's exec and exit events; nothing here is async or locked.

mod cache;
mod container;
mod host;
mod owners;
mod procfs;
mod resource;
mod service;
mod sockets;
mod table;

#[cfg(test)]
mod container_tests;
#[cfg(test)]
mod fake;
#[cfg(test)]
mod live_tests;
#[cfg(test)]
mod table_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use sonde_api::pdata::resource::v1::Resource;

pub use container::container_id_from_cgroup;
pub use host::host_name;
pub use owners::{socket_owners, SocketOwners};
pub use resource::{
    CONTAINER_ID, HOST_NAME, PROCESS_COMMAND_LINE, PROCESS_EXECUTABLE_NAME,
    PROCESS_EXECUTABLE_PATH, PROCESS_PID, SERVICE_NAME,
};
pub use sockets::socket_owner;
pub use table::{read_process, ProcessTable, ProcessTableConfig, DEFAULT_CAPACITY};

/// What the table knows about one process (one program run by a pid).
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessResource {
    pub pid: u32,
    /// Unique per (pid, exec generation) for the life of the table: a pid
    /// that execs, or is reused after an exit or an eviction, gets a new key.
    pub key: u64,
    pub service_name: String,
    pub resource: Arc<Resource>,
}
