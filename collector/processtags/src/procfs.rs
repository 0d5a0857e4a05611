//! What `/proc/<pid>/` says about one process: its executable, the service
//! name in its environment, its command line and its container.
//!
//! Every read may fail (the process is gone, it is a kernel thread, we lack
//! the right to read another user's `environ`): a failed read is an unknown
//! fact, never an error. Reads are bounded so a process with a huge
//! environment or argument list costs a fixed amount.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::container::container_id_from_cgroup;
use super::service::service_name_from_environ;

/// Bytes read at most from `environ` (ARG_MAX-sized environments exist).
const MAX_ENVIRON_BYTES: u64 = 256 * 1024;
/// Bytes read at most from `cmdline`: the attribute is truncated past this,
/// so that a full table stays within a bounded size.
pub(crate) const MAX_COMMAND_LINE_BYTES: u64 = 4096;
/// Bytes read at most from `cgroup` (one line per v1 hierarchy).
const MAX_CGROUP_BYTES: u64 = 64 * 1024;

/// The kernel appends this to the `exe` link of a binary unlinked since exec.
const DELETED_SUFFIX: &str = " (deleted)";

/// What procfs knew about a process; `None` where it could not tell.
#[derive(Debug, Default)]
pub(crate) struct ProcFacts {
    /// The target of the `exe` link.
    pub executable_path: Option<String>,
    pub service_name: Option<String>,
    /// The arguments joined by spaces (read only when asked for).
    pub command_line: Option<String>,
    pub container_id: Option<String>,
}

/// Reads the facts of `pid` under `proc_root`.
pub(crate) fn read_facts(proc_root: &Path, pid: u32, command_line: bool) -> ProcFacts {
    let dir = proc_root.join(pid.to_string());
    let executable_path = read_or_log(&dir, "exe", |path| {
        let target = std::fs::read_link(path)?;
        let target = target.to_string_lossy();
        Ok(target
            .strip_suffix(DELETED_SUFFIX)
            .unwrap_or(&target)
            .to_owned())
    })
    .filter(|path| !path.is_empty());
    let service_name = read_or_log(&dir, "environ", |path| {
        read_bounded(path, MAX_ENVIRON_BYTES)
    })
    .and_then(|environ| service_name_from_environ(&environ));
    let command_line = if command_line {
        read_or_log(&dir, "cmdline", |path| {
            read_bounded(path, MAX_COMMAND_LINE_BYTES)
        })
        .and_then(|cmdline| join_command_line(&cmdline))
    } else {
        None
    };
    let container_id = read_or_log(&dir, "cgroup", |path| read_bounded(path, MAX_CGROUP_BYTES))
        .and_then(|cgroup| container_id_from_cgroup(&String::from_utf8_lossy(&cgroup)));
    ProcFacts {
        executable_path,
        service_name,
        command_line,
        container_id,
    }
}

/// A `cmdline` image (NUL-terminated arguments) as one line: the arguments
/// joined by spaces. A process that rewrote its arguments into one string
/// (nginx: `nginx: worker process`) comes out as that string. Empty (a
/// zombie, a kernel thread) is `None`.
pub(crate) fn join_command_line(cmdline: &[u8]) -> Option<String> {
    let cmdline = cmdline.strip_suffix(&[0]).unwrap_or(cmdline);
    if cmdline.is_empty() {
        return None;
    }
    let args: Vec<_> = cmdline
        .split(|&b| b == 0)
        .map(String::from_utf8_lossy)
        .collect();
    Some(args.join(" "))
}

fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Runs one read of `dir/name`; a failure is logged at trace level (a gone
/// process fails every read, and those are common) and becomes `None`.
fn read_or_log<T>(dir: &Path, name: &str, read: impl FnOnce(&Path) -> io::Result<T>) -> Option<T> {
    let path = dir.join(name);
    match read(&path) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::trace!(path = %path.display(), %error, "procfs read failed");
            None
        }
    }
}
