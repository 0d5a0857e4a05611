//! The capture's size limits: the payload size, the ring buffer, the channel.
//! What does not fit is cut or dropped, and every drop is counted.

mod common;

use common::*;
use sonde_receiver_ebpf::capture::{CaptureConfig, Direction, Event};

#[test]
fn the_payload_is_cut_at_payload_size_and_bytes_tell_the_whole_length() {
    let request = b"GET /a/rather/long/path HTTP/1.1\r\nHost: sonde\r\n\r\n";
    let client = ScriptedClient::connect(&[request]);
    let pid = client.pid();
    let config = CaptureConfig {
        pid_allow: vec![pid],
        payload_size: 16,
        ..Default::default()
    };
    let Some((_capture, mut events)) = start(config) else {
        return;
    };
    client.go();
    let mut seen = Vec::new();
    ScriptedClient::collect(&mut events, &mut seen, pid);
    let sent = data(&seen, pid, Direction::Egress);
    assert_eq!(sent.len(), 1);
    assert_eq!(&sent[0].payload[..], b"GET /a/rather/lo");
    assert_eq!(sent[0].bytes, request.len() as u64);
}

/// A 4 KiB payload does not fit a one-page ring buffer: the event is dropped
/// in the kernel and counted, and the smaller ones around it still arrive.
#[test]
fn an_event_larger_than_the_ring_buffer_is_dropped_and_counted() {
    let small = b"GET /small HTTP/1.1\r\nHost: sonde\r\n\r\n".to_vec();
    let mut big = b"POST /big HTTP/1.1\r\nHost: sonde\r\nContent-Length: 5000\r\n\r\n".to_vec();
    big.resize(big.len() + 5000, b'x');
    let client = ScriptedClient::connect(&[&small, &big, &small]);
    let pid = client.pid();
    let config = CaptureConfig {
        pid_allow: vec![pid],
        payload_size: 4096,
        ring_buffer_bytes: 4096,
        ..Default::default()
    };
    let Some((capture, mut events)) = start(config) else {
        return;
    };
    client.go();
    let mut seen = Vec::new();
    ScriptedClient::collect(&mut events, &mut seen, pid);
    let sent = data(&seen, pid, Direction::Egress);
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|d| d.payload == small));
    assert_eq!(capture.stats().expect("stats").ring_buffer_drops, 1);
}

/// Nobody reads the channel: it holds `channel_capacity` events, and every
/// other one the reader decodes is counted as dropped.
#[test]
fn a_full_channel_drops_and_counts() {
    let request = b"GET / HTTP/1.1\r\nHost: sonde\r\n\r\n";
    let client = ScriptedClient::connect(&[request, request, request]);
    let pid = client.pid();
    let config = CaptureConfig {
        pid_allow: vec![pid],
        channel_capacity: 1,
        ..Default::default()
    };
    let Some((capture, mut events)) = start(config) else {
        return;
    };
    client.go();
    // Three data events, the close and the exit: one waits in the channel, four are dropped.
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let stats = capture.stats().expect("stats");
        if stats.events_sent == 5 && stats.channel_drops == 4 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{stats:?}");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let first = events.try_recv().expect("the one event the channel held");
    assert!(matches!(first, Event::Data(d) if &d.payload[..] == request));
    assert!(events.try_recv().is_err());
}
