//! The in-kernel filters: the first-bytes L7 check, the pid, process-name and
//! port lists. Each test runs its own capture, so its counters are its own.

mod common;

use common::*;
use sonde_receiver_ebpf::capture::{CaptureConfig, Direction, Event};

/// A TLS 1.2 ClientHello's first bytes and an SSH banner, sent over plain TCP
/// by a child process, are never copied out; each send is counted.
#[test]
fn tls_and_ssh_bytes_are_never_copied_out() {
    let mut client_hello = vec![
        0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03,
    ];
    client_hello.extend_from_slice(&[0; 32]);
    let banner = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
    let client = ScriptedClient::connect(&[&client_hello, banner]);
    let pid = client.pid();
    // Only the child is traced, so every count below is the child's.
    let config = CaptureConfig {
        pid_allow: vec![pid],
        ..Default::default()
    };
    let Some((capture, mut events)) = start(config) else {
        return;
    };
    assert_eq!(client.go().len(), client_hello.len() + banner.len());

    let mut seen = Vec::new();
    ScriptedClient::collect(&mut events, &mut seen, pid);
    let data: Vec<_> = seen
        .iter()
        .filter(|e| matches!(e, Event::Data(_)))
        .collect();
    assert!(data.is_empty(), "{data:?}");
    let stats = capture.stats().expect("stats");
    assert_eq!(stats.filtered_not_l7, 2);
    assert_eq!(stats.events_sent, seen.len() as u64);
}

/// A process on the deny list is not seen; the server it talks to still is.
#[test]
fn a_denied_process_name_is_not_traced() {
    let server = HttpServer::start("comm-deny");
    let config = CaptureConfig {
        comm_deny: vec!["curl".into()],
        ..Default::default()
    };
    let Some((capture, mut events)) = start(config) else {
        return;
    };
    let curl_pid = curl(server.port, "/");
    let mut seen = Vec::new();
    collect_until(&mut events, &mut seen, "the server's response", |seen| {
        seen.iter().any(|e| matches!(e, Event::Data(d) if d.task.pid == server.pid() && d.direction == Direction::Egress))
    });
    assert!(
        !seen.iter().any(|e| event_pid(e) == Some(curl_pid)),
        "curl was traced"
    );
    let server_in = data(&seen, server.pid(), Direction::Ingress);
    assert_eq!(server_in.len(), 1);
    assert!(server_in[0].payload.starts_with(b"GET / HTTP/1.1\r\n"));
    assert!(capture.stats().expect("stats").filtered_comm > 0);
}

/// A denied port hides both ends of every connection that uses it.
#[test]
fn a_denied_port_hides_both_ends() {
    let server = HttpServer::start("port-deny");
    let config = CaptureConfig {
        port_deny: vec![server.port],
        ..Default::default()
    };
    let Some((capture, mut events)) = start(config) else {
        return;
    };
    let curl_pid = curl(server.port, "/");
    let mut seen = Vec::new();
    collect_until(&mut events, &mut seen, "curl's exit", |seen| {
        seen.iter()
            .any(|e| matches!(e, Event::ProcessExit(x) if x.task.pid == curl_pid))
    });
    let on_port: Vec<_> = seen
        .iter()
        .filter(|e| match e {
            Event::Data(d) => {
                d.tuple.local.port() == server.port || d.tuple.remote.port() == server.port
            }
            Event::Connection(c) => {
                c.tuple.local.port() == server.port || c.tuple.remote.port() == server.port
            }
            _ => false,
        })
        .collect();
    assert!(on_port.is_empty(), "{on_port:?}");
    // curl's connect, send and receives, python's accept, receive and sends.
    assert!(capture.stats().expect("stats").filtered_port >= 6);
}

/// With an allow list, only the listed process is traced.
#[test]
fn only_allowed_pids_are_traced() {
    let server = HttpServer::start("pid-allow");
    let config = CaptureConfig {
        pid_allow: vec![server.pid()],
        ..Default::default()
    };
    let Some((capture, mut events)) = start(config) else {
        return;
    };
    let curl_pid = curl(server.port, "/");
    let mut seen = Vec::new();
    collect_until(&mut events, &mut seen, "the server's response", |seen| {
        seen.iter().any(|e| matches!(e, Event::Data(d) if d.task.pid == server.pid() && d.direction == Direction::Egress))
    });
    let others: Vec<_> = seen
        .iter()
        .filter(|e| event_pid(e).is_some_and(|p| p != server.pid()))
        .collect();
    assert!(others.is_empty(), "{others:?}");
    assert!(!seen.iter().any(|e| event_pid(e) == Some(curl_pid)));
    assert!(capture.stats().expect("stats").filtered_pid > 0);
}

/// The pid of the process an event belongs to (None for kernel-context events).
fn event_pid(event: &Event) -> Option<u32> {
    match event {
        Event::Data(d) => Some(d.task.pid),
        Event::Connection(c) => Some(c.task.pid),
        Event::Close(c) => Some(c.task.pid),
        Event::ProcessExec(x) => Some(x.task.pid),
        Event::ProcessExit(x) => Some(x.task.pid),
        Event::TcpState(_) | Event::Retransmit(_) => None,
    }
}
