//! curl against `python3 -m http.server`, seen from the kernel: both ends of
//! one request, their sequence numbers, tuples, trace ids and connection events.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use sonde_receiver_ebpf::capture::{CaptureConfig, Direction, Event, L7Protocol, Role, Syscall};

#[test]
fn curl_and_python_http_server_are_seen_from_both_ends() {
    let server = HttpServer::start("both-ends");
    let Some((capture, mut events)) = start(CaptureConfig::default()) else {
        return;
    };
    let port = server.port;
    let curl_pid = curl(port, "/");
    let request = curl_request(port, "/");

    let mut seen = Vec::new();
    // Done when curl has exited and its connection has ended at both ends.
    collect_until(&mut events, &mut seen, "curl's exchange and exit", |seen| {
        let exited = seen
            .iter()
            .any(|e| matches!(e, Event::ProcessExit(x) if x.task.pid == curl_pid));
        let client = seen.iter().find_map(|e| match e {
            Event::Connection(c) if c.task.pid == curl_pid => {
                Some((c.socket_id, c.tuple.local.port()))
            }
            _ => None,
        });
        let Some((client_id, ephemeral)) = client else {
            return false;
        };
        let server_id = seen.iter().find_map(|e| match e {
            Event::Connection(c)
                if c.role == Role::Server && c.tuple.remote.port() == ephemeral =>
            {
                Some(c.socket_id)
            }
            _ => None,
        });
        exited && ended(seen, client_id) && server_id.is_some_and(|id| ended(seen, id))
    });

    // curl's connection: a connect (client) with the server port as remote.
    let connects: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            Event::Connection(c) if c.task.pid == curl_pid => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(connects.len(), 1, "{connects:?}");
    let connect = connects[0];
    assert_eq!(connect.role, Role::Client);
    assert_eq!(connect.tuple.remote.port(), port);
    assert_eq!(connect.task.comm.to_string(), "curl");
    let ephemeral = connect.tuple.local.port();

    // python's side of the same connection: an accept (server) from curl's port.
    let accepts: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            Event::Connection(c)
                if c.task.pid == server.pid() && c.tuple.remote.port() == ephemeral =>
            {
                Some(c)
            }
            _ => None,
        })
        .collect();
    assert_eq!(accepts.len(), 1, "{accepts:?}");
    let accept = accepts[0];
    assert_eq!(accept.role, Role::Server);
    assert_eq!(accept.tuple.local.port(), port);
    assert_ne!(accept.socket_id, connect.socket_id);

    // The request: curl's egress and python's ingress carry the same bytes and sequence number.
    let client_out = data(&seen, curl_pid, Direction::Egress);
    assert_eq!(client_out.len(), 1, "{client_out:?}");
    let client_out = client_out[0];
    let server_in: Vec<_> = data(&seen, server.pid(), Direction::Ingress)
        .into_iter()
        .filter(|d| d.tuple.remote.port() == ephemeral)
        .collect();
    assert_eq!(server_in.len(), 1, "{server_in:?}");
    let server_in = server_in[0];

    assert_eq!(
        std::str::from_utf8(&client_out.payload),
        Ok(request.as_str())
    );
    assert_eq!(
        std::str::from_utf8(&server_in.payload),
        Ok(request.as_str())
    );
    assert_eq!(client_out.bytes, request.len() as u64);
    assert_eq!(server_in.bytes, request.len() as u64);
    assert_eq!(client_out.tcp_seq, server_in.tcp_seq);
    assert_eq!(client_out.l7_protocol, L7Protocol::Http1);
    assert_eq!(
        (client_out.syscall, server_in.syscall),
        (Syscall::Sendto, Syscall::Recvfrom)
    );

    // Mirrored tuples: the client's local end is the server's remote end.
    assert_eq!(client_out.tuple.local, server_in.tuple.remote);
    assert_eq!(client_out.tuple.remote, server_in.tuple.local);
    assert_eq!(client_out.tuple.local.port(), ephemeral);
    assert_eq!(client_out.tuple.remote.port(), port);
    assert_eq!(client_out.tuple.remote.ip().to_string(), "127.0.0.1");

    // Who: pids, comms, fds, socket ids from the connection events.
    assert_eq!(client_out.task.comm.to_string(), "curl");
    assert!(
        server_in.task.comm.to_string().starts_with("python3"),
        "{}",
        server_in.task.comm
    );
    assert_eq!(
        (client_out.socket_id, client_out.fd),
        (connect.socket_id, connect.fd)
    );
    assert_eq!(
        (server_in.socket_id, server_in.fd),
        (accept.socket_id, accept.fd)
    );
    assert!(client_out.enter_ns <= client_out.task.timestamp_ns);

    // The response: python's egress continues the trace id its ingress opened,
    // and its first bytes reach curl with the same sequence number.
    let server_out: Vec<_> = data(&seen, server.pid(), Direction::Egress)
        .into_iter()
        .filter(|d| d.socket_id == accept.socket_id)
        .collect();
    assert!(!server_out.is_empty());
    assert!(
        server_out[0].payload.starts_with(b"HTTP/1.0 200 OK\r\n"),
        "{:?}",
        server_out[0].payload
    );
    // The body does not look like HTTP, but the connection is known to be: it is sent too.
    assert!(
        server_out.iter().any(|d| d.payload == INDEX.as_bytes()),
        "{server_out:?}"
    );
    assert!(server_in.trace_id.is_some());
    for out in &server_out {
        assert_eq!(out.trace_id, server_in.trace_id);
        assert_eq!(out.task.tid, server_in.task.tid);
    }
    let response_bytes: u64 = server_out.iter().map(|d| d.bytes).sum();
    let client_in = data(&seen, curl_pid, Direction::Ingress);
    assert!(!client_in.is_empty());
    assert_eq!(client_in[0].tcp_seq, server_out[0].tcp_seq);
    assert_eq!(
        client_in.iter().map(|d| d.bytes).sum::<u64>(),
        response_bytes
    );
    // curl sent before it received: its egress has no trace id to inherit.
    assert_eq!(client_out.trace_id, None);

    // Both ends' socket ids ended; curl's exec and exit were seen.
    assert!(ended(&seen, connect.socket_id));
    assert!(ended(&seen, accept.socket_id));
    let exec = seen.iter().find_map(|e| match e {
        Event::ProcessExec(x) if x.task.pid == curl_pid => Some(x),
        _ => None,
    });
    let exec = exec.expect("curl's exec");
    assert!(exec.filename.ends_with("curl"), "{}", exec.filename);
    assert_eq!(exec.ppid, std::process::id());
    let exit = seen.iter().find_map(|e| match e {
        Event::ProcessExit(x) if x.task.pid == curl_pid => Some(x),
        _ => None,
    });
    assert_eq!(exit.map(|x| x.exit_code), Some(0));

    let stats = capture.stats().expect("stats");
    assert!(stats.events_sent >= seen.len() as u64);
    assert_eq!(
        (
            stats.ring_buffer_drops,
            stats.channel_drops,
            stats.decode_errors
        ),
        (0, 0, 0)
    );
}

#[test]
fn sondes_own_requests_are_never_captured() {
    let server = HttpServer::start("self");
    let Some((capture, mut events)) = start(CaptureConfig::default()) else {
        return;
    };
    let before = capture.stats().expect("stats").filtered_self;

    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    let own_port = stream.local_addr().expect("local addr").port();
    stream
        .write_all(b"GET /self HTTP/1.0\r\nHost: sonde\r\n\r\n")
        .expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    assert!(
        response.starts_with(b"HTTP/1.0 404"),
        "{:?}",
        String::from_utf8_lossy(&response)
    );
    drop(stream);

    // The server's side of it is seen; none of ours is.
    let mut seen = Vec::new();
    collect_until(
        &mut events,
        &mut seen,
        "python's side of our request",
        |seen| {
            seen.iter().any(|e| {
                matches!(e, Event::Data(d) if d.task.pid == server.pid()
                && d.tuple.remote.port() == own_port && d.direction == Direction::Egress)
            })
        },
    );
    let server_in = data(&seen, server.pid(), Direction::Ingress);
    assert!(server_in
        .iter()
        .any(|d| d.payload.starts_with(b"GET /self HTTP/1.0\r\n")));
    let own = std::process::id();
    let ours: Vec<_> = seen
        .iter()
        .filter(|e| matches!(e, Event::Data(d) if d.task.pid == own))
        .collect();
    assert!(ours.is_empty(), "{ours:?}");
    assert!(!seen
        .iter()
        .any(|e| matches!(e, Event::Connection(c) if c.task.pid == own)));
    assert!(capture.stats().expect("stats").filtered_self > before);
}

#[test]
fn ipv6_connections_carry_ipv6_tuples() {
    let server = HttpServer::start_on("ipv6", "::1");
    let Some((_capture, mut events)) = start(CaptureConfig::default()) else {
        return;
    };
    let curl_pid = curl_url(&format!("http://[::1]:{}/", server.port));
    let mut seen = Vec::new();
    collect_until(&mut events, &mut seen, "curl's exit", |seen| {
        seen.iter()
            .any(|e| matches!(e, Event::ProcessExit(x) if x.task.pid == curl_pid))
    });
    let out = data(&seen, curl_pid, Direction::Egress);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].tuple.local.ip().to_string(), "::1");
    assert_eq!(
        out[0].tuple.remote.to_string(),
        format!("[::1]:{}", server.port)
    );
    let server_in: Vec<_> = data(&seen, server.pid(), Direction::Ingress)
        .into_iter()
        .filter(|d| d.tuple.remote == out[0].tuple.local)
        .collect();
    assert_eq!(server_in.len(), 1);
    assert_eq!(server_in[0].tcp_seq, out[0].tcp_seq);
    assert!(server_in[0]
        .payload
        .starts_with(b"GET / HTTP/1.1\r\nHost: [::1]:"));
}
