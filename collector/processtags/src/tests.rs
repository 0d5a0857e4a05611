//! The process table's resources against a fake proc root: exact attribute
//! lists, where each value comes from, and the fallbacks for gone processes.

use std::path::Path;

use super::fake::*;
use super::*;

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
