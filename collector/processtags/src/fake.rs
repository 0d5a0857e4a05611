//! A fake proc root for the process table's tests, and attribute builders
//! to compare resources with.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;

use sonde_api::pdata::common::v1::{any_value, AnyValue, KeyValue};
use tempfile::TempDir;

use super::*;

pub(super) const DOCKER_ID: &str =
    "3f4e2b1c9d8a7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
pub(super) const CRI_ID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// A directory laid out like `/proc` for the processes a test adds.
pub(super) struct FakeProc {
    dir: TempDir,
}

/// The files of one fake process; `None` leaves a file out (unreadable).
#[derive(Default)]
pub(super) struct Fake<'a> {
    pub exe: Option<&'a str>,
    pub environ: Option<&'a [&'a str]>,
    pub cmdline: Option<&'a [u8]>,
    pub cgroup: Option<&'a str>,
}

impl FakeProc {
    pub(super) fn new() -> FakeProc {
        FakeProc {
            dir: TempDir::new().unwrap(),
        }
    }

    pub(super) fn root(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    pub(super) fn add(&self, pid: u32, fake: Fake<'_>) {
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

    pub(super) fn remove(&self, pid: u32) {
        fs::remove_dir_all(self.dir.path().join(pid.to_string())).unwrap();
    }

    pub(super) fn table(&self) -> ProcessTable {
        self.table_with(|_| {})
    }

    pub(super) fn table_with(&self, edit: impl FnOnce(&mut ProcessTableConfig)) -> ProcessTable {
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

pub(super) fn s(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

pub(super) fn i(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..Default::default()
    }
}

pub(super) fn attributes(resource: &ProcessResource) -> &[KeyValue] {
    &resource.resource.attributes
}

pub(super) fn docker_v1_cgroup() -> String {
    format!(
        "12:memory:/docker/{DOCKER_ID}\n11:cpu,cpuacct:/docker/{DOCKER_ID}\n1:name=systemd:/docker/{DOCKER_ID}\n0::/system.slice/containerd.service\n"
    )
}

pub(super) fn host_cgroup() -> &'static str {
    "0::/user.slice/user-0.slice/session-1.scope\n"
}
