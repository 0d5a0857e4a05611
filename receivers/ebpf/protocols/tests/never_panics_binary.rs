//! The binary protocols' share of `never_panics.rs`: recorded DNS (UDP and
//! TCP), Kafka and MySQL messages, cut, truncated, corrupted and interleaved with
//! garbage, pushed through sessions. Nothing may panic, and what comes out
//! must be sane.

mod common;
mod transcript;

use common::*;
use sonde_ebpf_protocols::{Event, Limits, Meta, Protocol, Role};

/// The messages of a recorded direction, by the framing of `protocol`.
fn split(protocol: Protocol, stream: &[u8]) -> Vec<Vec<u8>> {
    let prefix = if protocol == Protocol::Kafka { 4 } else { 2 };
    let mut out = Vec::new();
    let mut rest = stream;
    while rest.len() >= prefix {
        let mut n = 0usize;
        for &b in &rest[..prefix] {
            n = n << 8 | usize::from(b);
        }
        let end = (prefix + n).min(rest.len());
        out.push(rest[..end].to_vec());
        rest = &rest[end..];
    }
    out
}

fn dns_udp() -> Vec<(Vec<u8>, Role)> {
    let files: [(&[u8], Role); 12] = [
        (
            include_bytes!("../testdata/dns/dig_www_a.req"),
            Role::Client,
        ),
        (
            include_bytes!("../testdata/dns/dig_nosuch_a.req"),
            Role::Client,
        ),
        (
            include_bytes!("../testdata/dns/dig_example_com_a.req"),
            Role::Client,
        ),
        (
            include_bytes!("../testdata/dns/dig_demo_mx.req"),
            Role::Client,
        ),
        (
            include_bytes!("../testdata/dns/dig_ldap_srv.req"),
            Role::Client,
        ),
        (
            include_bytes!("../testdata/dns/dig_alias_cname.req"),
            Role::Client,
        ),
        (
            include_bytes!("../testdata/dns/dnsmasq_www_a.resp"),
            Role::Server,
        ),
        (
            include_bytes!("../testdata/dns/dnsmasq_nosuch_a.resp"),
            Role::Server,
        ),
        (
            include_bytes!("../testdata/dns/dnsmasq_example_com_a.resp"),
            Role::Server,
        ),
        (
            include_bytes!("../testdata/dns/dnsmasq_demo_mx.resp"),
            Role::Server,
        ),
        (
            include_bytes!("../testdata/dns/dnsmasq_ldap_srv.resp"),
            Role::Server,
        ),
        (
            include_bytes!("../testdata/dns/dnsmasq_alias_cname.resp"),
            Role::Server,
        ),
    ];
    files.iter().map(|(b, r)| (b.to_vec(), *r)).collect()
}

fn dns_tcp() -> Vec<(Vec<u8>, Role)> {
    let queries = include_bytes!("../testdata/dns/dig_tcp_keepopen.req");
    let answers = include_bytes!("../testdata/dns/dnsmasq_tcp_keepopen.resp");
    let mut out: Vec<(Vec<u8>, Role)> = split(Protocol::DnsTcp, queries)
        .into_iter()
        .map(|m| (m, Role::Client))
        .collect();
    out.extend(
        split(Protocol::DnsTcp, answers)
            .into_iter()
            .map(|m| (m, Role::Server)),
    );
    out
}

fn kafka() -> Vec<(Vec<u8>, Role)> {
    let streams: [(&[u8], Role); 6] = [
        (
            include_bytes!("../testdata/kafka/produce_kafka41_c2.req"),
            Role::Client,
        ),
        (
            include_bytes!("../testdata/kafka/produce_kafka41_c2.resp"),
            Role::Server,
        ),
        (
            include_bytes!("../testdata/kafka/consume_kafka2_c4.req"),
            Role::Client,
        ),
        (
            include_bytes!("../testdata/kafka/consume_kafka2_c4.resp"),
            Role::Server,
        ),
        (
            include_bytes!("../testdata/kafka/spec_c1.req"),
            Role::Client,
        ),
        (
            include_bytes!("../testdata/kafka/spec_c1.resp"),
            Role::Server,
        ),
    ];
    streams
        .iter()
        .flat_map(|(s, role)| {
            split(Protocol::Kafka, s)
                .into_iter()
                .map(move |m| (m, *role))
        })
        .collect()
}

/// Every syscall of the MySQL recordings, as the client wrote or read it,
/// large ones shortened so the corpus stays quick.
fn mysql() -> Vec<(Vec<u8>, Role)> {
    let texts = [
        include_str!("../testdata/mysql/mariadb_cli.trace"),
        include_str!("../testdata/mysql/pymysql.trace"),
        include_str!("../testdata/mysql/connector_prepared.trace"),
        include_str!("../testdata/mysql/raw_deprecate_eof.trace"),
        include_str!("../testdata/mysql/mariadb_ed25519.trace"),
    ];
    texts
        .iter()
        .flat_map(|t| transcript::load(t))
        .map(|r| {
            let mut data = r.data;
            data.truncate(4096);
            let from = if r.wrote { Role::Client } else { Role::Server };
            (data, from)
        })
        .collect()
}

fn check_meta(m: &Meta) {
    assert!(m.start_ns <= m.end_ns, "{m:?}");
    assert_eq!(
        (m.first_exit_ns, m.last_enter_ns),
        (m.start_ns + 10, m.end_ns - 10),
        "{m:?}"
    );
}

/// Rounds of a few messages each, seen from a random side. Returns the
/// exchanges and unpaired messages reported.
fn corpus(protocol: Protocol, fixtures: &[(Vec<u8>, Role)], seed: u64) -> (usize, usize) {
    let mut rng = Rng::new(seed);
    let mut totals = (0, 0);
    for round in 0..3_000 {
        let local = if rng.below(2) == 0 {
            Role::Client
        } else {
            Role::Server
        };
        let limits = Limits {
            max_pending: 1 + rng.below(8),
            max_buffer: 64 + rng.below(32 * 1024),
        };
        let mut c = Conn::of(protocol, local, limits);
        let mut pushed = 0;
        for _ in 0..rng.below(12) {
            let (mut bytes, mut from) = if rng.below(10) == 0 {
                let n = rng.below(300);
                (rng.bytes(n), Role::Client)
            } else {
                fixtures[rng.below(fixtures.len())].clone()
            };
            for _ in 0..rng.below(3) {
                if !bytes.is_empty() {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                }
            }
            if rng.below(10) == 0 {
                from = from.peer();
            }
            let direction = if from == local { OUT } else { IN };
            // UDP datagrams are never cut; TCP bytes in 1-4 syscalls.
            let parts = if protocol == Protocol::Dns {
                1
            } else {
                1 + rng.below(4)
            };
            let mut at = 0;
            for p in 0..parts {
                let end = if p + 1 == parts {
                    bytes.len()
                } else {
                    at + rng.below(bytes.len() - at + 1)
                };
                let piece = &bytes[at..end];
                at = end;
                if rng.below(3) == 0 {
                    let captured = rng.below(piece.len() + 1);
                    let extra = rng.below(3) * rng.below(5000);
                    c.push_cut(direction, &piece[..captured], piece.len() + extra);
                } else {
                    c.push(direction, piece);
                }
                pushed += 1;
            }
            if rng.below(20) == 0 {
                let events = &mut c.events;
                c.session.expire(enter(c.segments / 2), |e| events.push(e));
            }
        }
        c.close();
        let stats = *c.session.stats();
        assert_eq!(stats.segments, pushed, "round {round}");
        let exchanges = c.exchanges().len() as u64;
        assert!(2 * exchanges <= stats.messages, "round {round}");
        for e in &c.events {
            match e {
                Event::Exchange(x) => {
                    check_meta(&x.request_meta);
                    check_meta(&x.response_meta);
                    assert_eq!(x.protocol(), protocol);
                }
                Event::Unpaired(u) => check_meta(&u.meta),
                Event::Started(_) => unreachable!("kept apart by the harness"),
            }
        }
        let before = c.events.len();
        c.close();
        assert_eq!(c.events.len(), before, "round {round}");
        totals.0 += c.exchanges().len();
        totals.1 += c.unpaired().len();
    }
    eprintln!("{protocol:?}: exchanges, unpaired: {totals:?}");
    totals
}

#[test]
fn dns_over_udp_never_panics() {
    let totals = corpus(Protocol::Dns, &dns_udp(), 0x00d5_0001);
    assert!(totals.0 > 500 && totals.1 > 3_000, "{totals:?}");
}

#[test]
fn dns_over_tcp_never_panics() {
    let totals = corpus(Protocol::DnsTcp, &dns_tcp(), 0x00d5_0002);
    assert!(totals.0 > 500 && totals.1 > 3_000, "{totals:?}");
}

#[test]
fn kafka_never_panics() {
    // Answers pair only when a random pick shares its request's correlation id.
    let totals = corpus(Protocol::Kafka, &kafka(), 0x00ca_f4a0);
    assert!(totals.0 > 100 && totals.1 > 3_000, "{totals:?}");
}

#[test]
fn mysql_never_panics() {
    // Answers pair when a random pick follows a command with sequence id 1.
    let totals = corpus(Protocol::Mysql, &mysql(), 0x00db_0001);
    assert!(totals.0 > 300 && totals.1 > 1_000, "{totals:?}");
}
