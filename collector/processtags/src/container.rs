//! The container a process runs in, read from its cgroup paths.
//!
//! Container runtimes name the cgroup of a container after its 64-hex id, in
//! cgroup v1 (one line per hierarchy) and v2 (the single `0::` line) alike:
//!
//! ```text
//! 12:memory:/docker/<id>                                   docker, cgroupfs driver
//! 0::/system.slice/docker-<id>.scope                       docker, systemd driver
//! 0::/kubepods.slice/.../cri-containerd-<id>.scope         containerd (CRI), systemd driver
//! 11:cpu,cpuacct:/kubepods/burstable/pod<uid>/<id>         containerd (CRI), cgroupfs driver
//! 0::/kubepods.slice/.../crio-<id>.scope                   CRI-O
//! 0::/machine.slice/libpod-<id>.scope                      podman
//! ```
//!
//! Runtime helpers that live beside a container (`crio-conmon-<id>.scope`,
//! `libpod-conmon-<id>.scope`) are not inside it and do not match.

/// The `<runtime>-<id>[.scope]` prefixes of container cgroups.
const SCOPE_PREFIXES: [&str; 4] = ["docker-", "cri-containerd-", "crio-", "libpod-"];

/// The container id named by the contents of a `/proc/<pid>/cgroup` file.
///
/// Every line is read; the first line whose path names a container wins, and
/// within a path the innermost container does (a container nested in another,
/// as kind runs pods inside a docker container, belongs to the inner one).
/// `None` when no line names one (a host process, or a cgroup namespace that
/// shows the container its own root as `/`).
pub fn container_id_from_cgroup(cgroup_file_contents: &str) -> Option<String> {
    cgroup_file_contents
        .lines()
        .find_map(|line| {
            // hierarchy-id:controllers:path; the path itself may hold ':'.
            let path = line.splitn(3, ':').nth(2)?;
            path.split('/').rev().find_map(id_in_segment)
        })
        .map(str::to_owned)
}

/// The id in one path segment: a bare id or `<runtime>-<id>[.scope]`.
fn id_in_segment(segment: &str) -> Option<&str> {
    if is_container_id(segment) {
        return Some(segment);
    }
    let stem = segment.strip_suffix(".scope").unwrap_or(segment);
    SCOPE_PREFIXES
        .iter()
        .filter_map(|prefix| stem.strip_prefix(prefix))
        .find(|id| is_container_id(id))
}

fn is_container_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}
