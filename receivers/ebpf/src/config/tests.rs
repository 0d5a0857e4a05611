use std::time::Duration;

use sonde_api::config::decode;

use super::*;

fn parse(text: &str) -> Result<Config, String> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    decode::<Config>(&value).map_err(|e| e.to_string())
}

#[test]
fn defaults() {
    let config = parse("{}").unwrap();
    assert_eq!(config.payload_size, 1024);
    assert_eq!(config.ring_buffer_size_mib, 8);
    assert!(!config.http.capture_query);
    assert_eq!(config.http.max_routes_per_service, 500);
    assert!(!config.resource.command_line);
    assert_eq!(config.metrics.flush_interval, Duration::from_secs(10));
    assert_eq!(config.metrics.temporality, Temporality::Cumulative);
    assert_eq!(config.metrics.histogram, Histogram::Explicit);
    assert_eq!(config.span_flush_interval, Duration::from_millis(200));
}

#[test]
fn every_key() {
    let config = parse(
        "payload_size: 2048
include_pids: [1, 2]
exclude_pids: [3]
include_processes: [nginx]
exclude_processes: [sshd]
include_ports: [80, 8080]
exclude_ports: [22]
ring_buffer_size_mib: 16
http: {capture_query: true, route_patterns: ['/api/users/{id}'], max_routes_per_service: 50}
resource: {command_line: true}
metrics: {flush_interval: 1s, temporality: delta, histogram: exponential}
span_flush_interval: 50ms",
    )
    .unwrap();
    let capture = config.capture(42);
    assert_eq!(capture.payload_size, 2048);
    assert_eq!((capture.pid_allow, capture.pid_deny), (vec![1, 2], vec![3]));
    assert_eq!(capture.comm_allow, vec!["nginx".to_string()]);
    assert_eq!(capture.comm_deny, vec!["sshd".to_string()]);
    assert_eq!(
        (capture.port_allow, capture.port_deny),
        (vec![80, 8080], vec![22])
    );
    assert_eq!(capture.self_pid, 42);
    assert_eq!(capture.ring_buffer_bytes, 16 << 20);
    assert_eq!(config.metrics.temporality, Temporality::Delta);
    assert_eq!(config.metrics.histogram, Histogram::Exponential);
    assert_eq!(config.span_flush_interval, Duration::from_millis(50));
}

#[test]
fn errors_name_the_key() {
    for (text, expected) in [
        ("payload_sise: 1", "'' has invalid keys: payload_sise"),
        ("http: {route: x}", "'http' has invalid keys: route"),
        (
            "payload_size: 0",
            "payload_size: 0 is out of range: between 1 and 4096 bytes",
        ),
        (
            "payload_size: 8192",
            "payload_size: 8192 is out of range: between 1 and 4096 bytes",
        ),
        (
            "include_processes: [a-very-long-process-name]",
            "include_processes: \"a-very-long-process-name\": a process name is the kernel's task name, 1 to 15 bytes",
        ),
        (
            "ring_buffer_size_mib: 3",
            "ring_buffer_size_mib: 3 must be a power of two (the kernel's ring buffer is)",
        ),
        (
            "http: {route_patterns: ['/a', 'b/{id}']}",
            "http::route_patterns::1: \"b/{id}\" must start with '/'",
        ),
        (
            "http: {max_routes_per_service: 0}",
            "http::max_routes_per_service: must be at least 1",
        ),
        (
            "metrics: {flush_interval: 0s}",
            "metrics::flush_interval: must be greater than 0",
        ),
        (
            "metrics: {temporality: weekly}",
            "metrics::temporality: unknown variant `weekly`, expected `cumulative` or `delta`",
        ),
    ] {
        assert_eq!(parse(text).unwrap_err(), expected, "{text}");
    }
}

#[test]
fn forced_ports_reach_the_kernel_filter() {
    let config = parse("protocols: {ports: {http1: [8081, 9000]}, raw_query_text: true}").unwrap();
    assert_eq!(config.capture(1).l7_ports, vec![8081, 9000]);
    assert!(config.protocols.raw_query_text);
    assert_eq!(config.protocols.enabled, None);
}

#[test]
fn unknown_protocols_are_named_with_the_known_ones() {
    let known = sonde_ebpf_protocols::Protocol::ALL
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ");
    assert!(known.starts_with("http1, "), "{known}");
    assert_eq!(
        parse("protocols: {enabled: [http1, gopher]}").unwrap_err(),
        format!("protocols::enabled::1: unknown protocol \"gopher\"; known: {known}")
    );
    assert_eq!(
        parse("protocols: {ports: {gopher: [70]}}").unwrap_err(),
        format!("protocols::ports::gopher: unknown protocol \"gopher\"; known: {known}")
    );
    assert_eq!(
        parse("protocols: {ports: {http1: [70], dns_tcp: [70]}}").unwrap_err(),
        "protocols::ports::http1: port 70 is also given to \"dns_tcp\""
    );
    // One port, two transports: DNS over UDP and over TCP.
    assert!(parse("protocols: {ports: {dns: [5300], dns_tcp: [5300]}}").is_ok());
}
