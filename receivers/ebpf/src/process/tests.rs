//! The process table against a fake proc root: exact attribute lists, the
//! fallbacks for gone processes, keys across exec, exit and pid reuse, and
//! the size bound.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sonde_api::pdata::common::v1::{any_value, AnyValue, KeyValue};
use tempfile::TempDir;

use super::*;

const DOCKER_ID: &str = "3f4e2b1c9d8a7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
const CRI_ID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// A directory laid out like `/proc` for the processes a test adds.
struct FakeProc {
    dir: TempDir,
}

/// The files of one fake process; `None` leaves a file out (unreadable).
#[derive(Default)]
struct Fake<'a> {
    exe: Option<&'a str>,
    environ: Option<&'a [&'a str]>,
    cmdline: Option<&'a [u8]>,
    cgroup: Option<&'a str>,
}

impl FakeProc {
    fn new() -> FakeProc {
        FakeProc {
            dir: TempDir::new().unwrap(),
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    fn add(&self, pid: u32, fake: Fake<'_>) {
        let dir = self.dir.path().join(pid.to_string());
        if dir.exists() {
            fs::remove_dir_all(&dir).unwrap();
        }
        fs::create_dir(&dir).unwrap();
        if let Some(exe) = fake.exe {
            // Dangling is fine: only the link's text is read, as for `exe`.
            symlink(exe, dir.join("exe")).unwrap();
        }
        if let Some(environ) = fake.environ {
            let mut image = Vec::new();
            for entry in environ {
                image.extend_from_slice(entry.as_bytes());
                image.push(0);
            }
            fs::write(dir.join("environ"), image).unwrap();
        }
        if let Some(cmdline) = fake.cmdline {
            fs::write(dir.join("cmdline"), cmdline).unwrap();
        }
        if let Some(cgroup) = fake.cgroup {
            fs::write(dir.join("cgroup"), cgroup).unwrap();
        }
    }

    fn remove(&self, pid: u32) {
        fs::remove_dir_all(self.dir.path().join(pid.to_string())).unwrap();
    }

    fn table(&self) -> ProcessTable {
        self.table_with(|_| {})
    }

    fn table_with(&self, edit: impl FnOnce(&mut ProcessTableConfig)) -> ProcessTable {
        let mut config = ProcessTableConfig {
            proc_root: self.root(),
            host_name: "node-1".to_owned(),
            command_line: false,
            capacity: DEFAULT_CAPACITY,
        };
        edit(&mut config);
        ProcessTable::new(config)
    }
}

fn s(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

fn i(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..Default::default()
    }
}

fn attributes(resource: &ProcessResource) -> &[KeyValue] {
    &resource.resource.attributes
}

fn docker_v1_cgroup() -> String {
    format!(
        "12:memory:/docker/{DOCKER_ID}\n11:cpu,cpuacct:/docker/{DOCKER_ID}\n1:name=systemd:/docker/{DOCKER_ID}\n0::/system.slice/containerd.service\n"
    )
}

fn host_cgroup() -> &'static str {
    "0::/user.slice/user-0.slice/session-1.scope\n"
}

#[test]
fn a_containerized_process_with_otel_service_name() {
    let proc = FakeProc::new();
    let cgroup = docker_v1_cgroup();
    proc.add(
        4242,
        Fake {
            exe: Some("/usr/bin/python3.11"),
            environ: Some(&["PATH=/usr/bin", "OTEL_SERVICE_NAME=checkout", "HOME=/root"]),
            cmdline: Some(b"python3\0app.py\0--port\08080\0"),
            cgroup: Some(&cgroup),
        },
    );
    let mut table = proc.table();
    let resource = table.resource(4242, "python3");
    assert_eq!(resource.pid, 4242);
    assert_eq!(resource.key, 1);
    assert_eq!(resource.service_name, "checkout");
    assert_eq!(
        attributes(&resource),
        [
            s("service.name", "checkout"),
            i("process.pid", 4242),
            s("process.executable.name", "python3.11"),
            s("process.executable.path", "/usr/bin/python3.11"),
            s("host.name", "node-1"),
            s("container.id", DOCKER_ID),
        ]
    );
    assert_eq!(resource.resource.dropped_attributes_count, 0);
    assert_eq!(table.len(), 1);
}

#[test]
fn the_command_line_only_when_asked_for() {
    let proc = FakeProc::new();
    let cgroup = format!(
        "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6b1a0f2e_4c3d_4e5f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-{CRI_ID}.scope\n"
    );
    proc.add(
        77,
        Fake {
            exe: Some("/usr/local/bin/node"),
            environ: Some(&["NODE_ENV=production"]),
            cmdline: Some(b"node\0server.js\0--listen\0:3000\0"),
            cgroup: Some(&cgroup),
        },
    );
    let mut table = proc.table_with(|config| config.command_line = true);
    let resource = table.resource(77, "node");
    assert_eq!(
        attributes(&resource),
        [
            s("service.name", "node"),
            i("process.pid", 77),
            s("process.executable.name", "node"),
            s("process.executable.path", "/usr/local/bin/node"),
            s("process.command_line", "node server.js --listen :3000"),
            s("host.name", "node-1"),
            s("container.id", CRI_ID),
        ]
    );
}

#[test]
fn rewritten_and_huge_command_lines() {
    let proc = FakeProc::new();
    // nginx rewrites its argv into one string, NUL-terminated.
    proc.add(
        10,
        Fake {
            exe: Some("/usr/sbin/nginx"),
            cmdline: Some(b"nginx: worker process\0"),
            ..Default::default()
        },
    );
    // A zombie's cmdline is empty: no attribute.
    proc.add(
        11,
        Fake {
            exe: Some("/usr/sbin/nginx"),
            cmdline: Some(b""),
            ..Default::default()
        },
    );
    let huge: Vec<u8> = std::iter::repeat_n(b"x\0".as_slice(), 5000)
        .flatten()
        .copied()
        .collect();
    proc.add(
        12,
        Fake {
            exe: Some("/usr/bin/xargs"),
            cmdline: Some(&huge),
            ..Default::default()
        },
    );
    let mut table = proc.table_with(|config| config.command_line = true);
    assert_eq!(
        attributes(&table.resource(10, "nginx"))[4],
        s("process.command_line", "nginx: worker process")
    );
    assert_eq!(
        attributes(&table.resource(11, "nginx")),
        [
            s("service.name", "nginx"),
            i("process.pid", 11),
            s("process.executable.name", "nginx"),
            s("process.executable.path", "/usr/sbin/nginx"),
            s("host.name", "node-1"),
        ]
    );
    // Truncated at 4096 bytes: 2048 "x" arguments.
    let expected = vec!["x"; 2048].join(" ");
    assert_eq!(
        attributes(&table.resource(12, "xargs"))[4],
        s("process.command_line", &expected)
    );
}

#[test]
fn service_name_from_otel_resource_attributes() {
    let proc = FakeProc::new();
    proc.add(
        5,
        Fake {
            exe: Some("/srv/cart/bin/cart"),
            environ: Some(&[
                "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod, service.name = cart%20api ,team=shop",
            ]),
            cgroup: Some(host_cgroup()),
            ..Default::default()
        },
    );
    let mut table = proc.table();
    let resource = table.resource(5, "cart");
    assert_eq!(resource.service_name, "cart api");
    assert_eq!(
        attributes(&resource),
        [
            s("service.name", "cart api"),
            i("process.pid", 5),
            s("process.executable.name", "cart"),
            s("process.executable.path", "/srv/cart/bin/cart"),
            s("host.name", "node-1"),
        ]
    );
}

#[test]
fn otel_service_name_wins_over_resource_attributes_in_either_order() {
    let proc = FakeProc::new();
    proc.add(
        1,
        Fake {
            exe: Some("/app/bin/api"),
            environ: Some(&[
                "OTEL_RESOURCE_ATTRIBUTES=service.name=from-attributes",
                "OTEL_SERVICE_NAME=from-env",
            ]),
            ..Default::default()
        },
    );
    proc.add(
        2,
        Fake {
            exe: Some("/app/bin/api"),
            environ: Some(&[
                "OTEL_SERVICE_NAME=from-env",
                "OTEL_RESOURCE_ATTRIBUTES=service.name=from-attributes",
            ]),
            ..Default::default()
        },
    );
    let mut table = proc.table();
    assert_eq!(table.resource(1, "api").service_name, "from-env");
    assert_eq!(table.resource(2, "api").service_name, "from-env");
}

#[test]
fn empty_or_undecodable_service_names_fall_back() {
    let proc = FakeProc::new();
    proc.add(
        1,
        Fake {
            exe: Some("/app/bin/api"),
            environ: Some(&[
                "OTEL_SERVICE_NAME=",
                "OTEL_RESOURCE_ATTRIBUTES=service.name=good",
            ]),
            ..Default::default()
        },
    );
    proc.add(
        2,
        Fake {
            exe: Some("/app/bin/api"),
            environ: Some(&[
                "OTEL_SERVICE_NAME=  ",
                "OTEL_RESOURCE_ATTRIBUTES=service.name=bad%zz",
            ]),
            ..Default::default()
        },
    );
    proc.add(
        3,
        Fake {
            exe: Some("/app/bin/api"),
            environ: Some(&[
                "XOTEL_SERVICE_NAME=nope",
                "OTEL_RESOURCE_ATTRIBUTES=host.name=x",
            ]),
            ..Default::default()
        },
    );
    let mut table = proc.table();
    assert_eq!(table.resource(1, "api").service_name, "good");
    assert_eq!(table.resource(2, "api").service_name, "api");
    assert_eq!(table.resource(3, "api").service_name, "api");
}

#[test]
fn an_unreadable_environment_is_unknown() {
    let proc = FakeProc::new();
    proc.add(
        9,
        Fake {
            exe: Some("/usr/sbin/sshd"),
            ..Default::default()
        },
    );
    let mut table = proc.table();
    let resource = table.resource(9, "sshd");
    assert_eq!(
        attributes(&resource),
        [
            s("service.name", "sshd"),
            i("process.pid", 9),
            s("process.executable.name", "sshd"),
            s("process.executable.path", "/usr/sbin/sshd"),
            s("host.name", "node-1"),
        ]
    );
}

#[test]
fn a_deleted_executable_keeps_its_path() {
    let proc = FakeProc::new();
    proc.add(
        3,
        Fake {
            exe: Some("/opt/app/server (deleted)"),
            ..Default::default()
        },
    );
    let mut table = proc.table();
    let resource = table.resource(3, "server");
    assert_eq!(
        attributes(&resource)[2],
        s("process.executable.name", "server")
    );
    assert_eq!(
        attributes(&resource)[3],
        s("process.executable.path", "/opt/app/server")
    );
}

#[test]
fn a_gone_process_falls_back_on_comm() {
    let proc = FakeProc::new();
    let mut table = proc.table();
    let resource = table.resource(31337, "curl");
    assert_eq!(resource.service_name, "curl");
    assert_eq!(
        attributes(&resource),
        [
            s("service.name", "curl"),
            i("process.pid", 31337),
            s("process.executable.name", "curl"),
            s("host.name", "node-1"),
        ]
    );
    // Comm as the kernel pads it.
    let padded = table.resource(31338, "wget\0\0\0\0");
    assert_eq!(padded.service_name, "wget");
}

#[test]
fn a_gone_process_falls_back_on_its_exec_filename() {
    let proc = FakeProc::new();
    let mut table = proc.table();
    assert_eq!(table.exec(500, "/usr/bin/curl"), None);
    assert_eq!(table.len(), 1);
    // The task name of a thread may differ from the program's name.
    let resource = table.resource(500, "worker-3");
    assert_eq!(
        attributes(&resource),
        [
            s("service.name", "curl"),
            i("process.pid", 500),
            s("process.executable.name", "curl"),
            s("process.executable.path", "/usr/bin/curl"),
            s("host.name", "node-1"),
        ]
    );
    // A relative filename is kept as given, its basename is the name.
    table.exec(501, "./bin/migrate");
    let resource = table.resource(501, "migrate");
    assert_eq!(
        attributes(&resource)[2],
        s("process.executable.name", "migrate")
    );
    assert_eq!(
        attributes(&resource)[3],
        s("process.executable.path", "./bin/migrate")
    );
}

#[test]
fn the_exe_link_wins_over_the_exec_filename() {
    // A script exec'd by its path runs its interpreter.
    let proc = FakeProc::new();
    proc.add(
        600,
        Fake {
            exe: Some("/usr/bin/python3.11"),
            ..Default::default()
        },
    );
    let mut table = proc.table();
    table.exec(600, "/usr/local/bin/backup.py");
    let resource = table.resource(600, "backup.py");
    assert_eq!(
        attributes(&resource)[2],
        s("process.executable.name", "python3.11")
    );
    assert_eq!(
        attributes(&resource)[3],
        s("process.executable.path", "/usr/bin/python3.11")
    );
}

#[test]
fn resources_are_cached_until_exec() {
    let proc = FakeProc::new();
    proc.add(
        700,
        Fake {
            exe: Some("/bin/bash"),
            environ: Some(&["OTEL_SERVICE_NAME=shell"]),
            ..Default::default()
        },
    );
    let mut table = proc.table();
    let first = table.resource(700, "bash");
    // Procfs changes are not seen while the entry is cached.
    proc.add(
        700,
        Fake {
            exe: Some("/usr/bin/psql"),
            ..Default::default()
        },
    );
    let again = table.resource(700, "bash");
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(again.service_name, "shell");

    assert_eq!(table.exec(700, "/usr/bin/psql"), Some(first.key));
    assert_eq!(table.len(), 1);
    let after = table.resource(700, "psql");
    assert_ne!(after.key, first.key);
    assert_eq!(after.key, 2);
    assert_eq!(
        attributes(&after),
        [
            s("service.name", "psql"),
            i("process.pid", 700),
            s("process.executable.name", "psql"),
            s("process.executable.path", "/usr/bin/psql"),
            s("host.name", "node-1"),
        ]
    );
    // A second exec before any event resolved the first has no key to return.
    assert_eq!(table.exec(700, "/usr/bin/true"), Some(2));
    assert_eq!(table.exec(700, "/usr/bin/false"), None);
}

#[test]
fn exit_drops_the_entry_and_returns_its_key() {
    let proc = FakeProc::new();
    proc.add(
        800,
        Fake {
            exe: Some("/usr/sbin/redis-server"),
            ..Default::default()
        },
    );
    let mut table = proc.table();
    let resource = table.resource(800, "redis-server");
    table.resource(801, "gone");
    assert_eq!(table.len(), 2);
    assert_eq!(table.exit(800), Some(resource.key));
    assert_eq!(table.len(), 1);
    assert_eq!(table.exit(800), None);
    assert_eq!(table.exit(12345), None);
    // Exec seen but never resolved: no key.
    table.exec(802, "/usr/bin/env");
    assert_eq!(table.exit(802), None);
    assert_eq!(table.len(), 1);
    assert!(table.take_evicted().is_empty());
}

#[test]
fn a_reused_pid_gets_a_new_key() {
    let proc = FakeProc::new();
    proc.add(
        900,
        Fake {
            exe: Some("/usr/bin/curl"),
            ..Default::default()
        },
    );
    let mut table = proc.table();
    let first = table.resource(900, "curl");
    assert_eq!(table.exit(900), Some(first.key));
    proc.remove(900);
    proc.add(
        900,
        Fake {
            exe: Some("/usr/bin/wget"),
            ..Default::default()
        },
    );
    let second = table.resource(900, "wget");
    assert_eq!((first.key, second.key), (1, 2));
    assert_eq!(second.service_name, "wget");
}

#[test]
fn the_table_is_bounded_and_evicts_the_least_recently_used() {
    let proc = FakeProc::new();
    let mut table = proc.table_with(|config| config.capacity = 3);
    let one = table.resource(1, "one");
    let two = table.resource(2, "two");
    table.resource(3, "three");
    // Using 1 again makes 2 the least recently used.
    assert!(Arc::ptr_eq(&table.resource(1, "one"), &one));
    let four = table.resource(4, "four");
    assert_eq!(table.len(), 3);
    assert_eq!(table.take_evicted(), [two.key]);
    assert!(table.take_evicted().is_empty());
    // 2 comes back as a new program run; 3 is now the oldest and goes.
    let two_again = table.resource(2, "two");
    assert_eq!(two_again.key, 5);
    assert_eq!(table.take_evicted(), [3]);
    // An exec counts as a use too, and an exec-only entry evicts no key.
    table.exec(5, "/usr/bin/five");
    assert_eq!(table.len(), 3);
    assert_eq!(table.take_evicted(), [one.key]);
    table.exec(6, "/usr/bin/six");
    table.exec(7, "/usr/bin/seven");
    assert_eq!(table.take_evicted(), [four.key, two_again.key]);
    table.exec(8, "/usr/bin/eight");
    assert!(table.take_evicted().is_empty());
    assert_eq!(table.len(), 3);
    assert_eq!(table.exit(5), None);
    assert_eq!(table.resource(6, "six").service_name, "six");
}

#[test]
fn a_fork_bomb_cannot_grow_the_table() {
    let proc = FakeProc::new();
    let mut table = proc.table_with(|config| config.capacity = 100);
    for pid in 1..=10_000 {
        table.resource(pid, "bomb");
    }
    assert_eq!(table.len(), 100);
    let evicted = table.take_evicted();
    // Keys 1..=9900 were evicted; only the last 100 are kept for the caller.
    assert_eq!(evicted, (9801..=9900).collect::<Vec<u64>>());
}

#[test]
fn no_host_name_leaves_the_attribute_out() {
    let proc = FakeProc::new();
    let mut table = proc.table_with(|config| config.host_name = String::new());
    assert_eq!(
        attributes(&table.resource(1, "init")),
        [
            s("service.name", "init"),
            i("process.pid", 1),
            s("process.executable.name", "init"),
        ]
    );
}

#[test]
fn a_missing_proc_root_is_like_gone_processes() {
    let mut table = ProcessTable::new(ProcessTableConfig {
        proc_root: Path::new("/nonexistent/proc").to_owned(),
        host_name: "h".to_owned(),
        command_line: true,
        capacity: 8,
    });
    assert_eq!(
        attributes(&table.resource(1, "systemd")),
        [
            s("service.name", "systemd"),
            i("process.pid", 1),
            s("process.executable.name", "systemd"),
            s("host.name", "h"),
        ]
    );
}
