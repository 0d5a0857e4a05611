//! The process table as a cache: keys across exec, exit and pid reuse, and
//! the size bound.

use std::sync::Arc;

use super::fake::*;

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
