//! The process table on the real `/proc` (we run as root, so every file of
//! another process is readable).

use std::process::{Child, Command};

use super::*;

/// Kills the child when the test ends, passed or not.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where `sleep` is, as the exe link will show it (symlinks resolved).
fn sleep_path() -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("sleep"))
        .find(|candidate| candidate.is_file())
        .and_then(|found| std::fs::canonicalize(found).ok())
        .expect("no sleep on PATH")
}

/// Waits until the kernel has finished exec'ing `pid`. `spawn` returns as
/// soon as exec has closed the child's close-on-exec fds, which is before the
/// new program's stack is set up: in that window `exe` already names the new
/// program but `environ` reads empty. The wait has no deadline to assert on;
/// it gives up after 10 s and lets the assertions below fail.
fn wait_for_exec(pid: u32) {
    for _ in 0..10_000 {
        match std::fs::read(format!("/proc/{pid}/environ")) {
            Ok(environ) if !environ.is_empty() => return,
            _ => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    }
}

#[test]
fn a_live_child_gets_its_service_name_pid_and_executable() {
    let child = Command::new("sleep")
        .arg("5")
        .env("OTEL_SERVICE_NAME", "live-test")
        .spawn()
        .expect("spawn sleep");
    let child = Reaped(child);
    let pid = child.0.id();
    wait_for_exec(pid);

    let mut table = ProcessTable::new(ProcessTableConfig {
        command_line: true,
        ..Default::default()
    });
    let resource = table.resource(pid, "sleep");
    let expected_path = sleep_path();
    let expected_path = expected_path.to_str().unwrap();
    assert_eq!(resource.pid, pid);
    assert_eq!(resource.service_name, "live-test");
    let attributes = &resource.resource.attributes;
    let value = |key: &str| {
        attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref())
            .and_then(|value| value.value.clone())
    };
    use sonde_api::pdata::common::v1::any_value::Value;
    assert_eq!(
        value(SERVICE_NAME),
        Some(Value::StringValue("live-test".into()))
    );
    assert_eq!(value(PROCESS_PID), Some(Value::IntValue(i64::from(pid))));
    assert_eq!(
        value(PROCESS_EXECUTABLE_NAME),
        Some(Value::StringValue("sleep".into()))
    );
    assert_eq!(
        value(PROCESS_EXECUTABLE_PATH),
        Some(Value::StringValue(expected_path.into()))
    );
    assert_eq!(
        value(PROCESS_COMMAND_LINE),
        Some(Value::StringValue("sleep 5".into()))
    );
    assert_eq!(value(HOST_NAME), Some(Value::StringValue(host_name())));
    assert_eq!(
        attributes
            .iter()
            .map(|kv| kv.key.as_str())
            .take(6)
            .collect::<Vec<_>>(),
        [
            SERVICE_NAME,
            PROCESS_PID,
            PROCESS_EXECUTABLE_NAME,
            PROCESS_EXECUTABLE_PATH,
            PROCESS_COMMAND_LINE,
            HOST_NAME
        ]
    );
    // This host's own cgroup decides container.id: it must agree with the parser.
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    assert_eq!(
        value(CONTAINER_ID),
        container_id_from_cgroup(&cgroup).map(Value::StringValue)
    );
    assert_eq!(table.exit(pid), Some(resource.key));

    // Read once, without a table: the same resource.
    let once = read_process(
        &ProcessTableConfig {
            command_line: true,
            ..Default::default()
        },
        pid,
    )
    .unwrap();
    assert_eq!(once.resource, resource.resource);
    assert_eq!(once.key, 0);
}

#[test]
fn a_pid_that_does_not_run_reads_as_none() {
    // Above the kernel's pid_max limit (4194304), so never a live pid.
    assert_eq!(
        read_process(&ProcessTableConfig::default(), 4_194_305),
        None
    );
}

#[test]
fn the_host_name_is_the_kernels() {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(host_name(), kernel.trim());
    assert!(!host_name().is_empty());
}
