//! DNS through whole sessions, over UDP and over TCP, on messages recorded
//! from dig 9.18 against dnsmasq 2.90 (see `testdata/dns/README.md`).
//! Messages marked synthetic are recorded ones with a field changed.

mod common;

use common::*;
use sonde_ebpf_protocols::dns::{self, Message, TCP_WAIT_LIMIT};
use sonde_ebpf_protocols::{
    detect, detect_on, DescribeContext, DescribeOptions, Description, Detection, Exchange, Family,
    Half, Kind, Limits, Malformed, Protocol, Request, Response, Role, Socket, Transport,
    UnpairedReason, Value,
};

const WWW_A_Q: &[u8] = include_bytes!("../testdata/dns/dig_www_a.req");
const WWW_A_R: &[u8] = include_bytes!("../testdata/dns/dnsmasq_www_a.resp");
const NOSUCH_Q: &[u8] = include_bytes!("../testdata/dns/dig_nosuch_a.req");
const NOSUCH_R: &[u8] = include_bytes!("../testdata/dns/dnsmasq_nosuch_a.resp");
const EXAMPLE_Q: &[u8] = include_bytes!("../testdata/dns/dig_example_com_a.req");
const EXAMPLE_R: &[u8] = include_bytes!("../testdata/dns/dnsmasq_example_com_a.resp");
const MX_Q: &[u8] = include_bytes!("../testdata/dns/dig_demo_mx.req");
const MX_R: &[u8] = include_bytes!("../testdata/dns/dnsmasq_demo_mx.resp");
const SRV_Q: &[u8] = include_bytes!("../testdata/dns/dig_ldap_srv.req");
const SRV_R: &[u8] = include_bytes!("../testdata/dns/dnsmasq_ldap_srv.resp");
const CNAME_Q: &[u8] = include_bytes!("../testdata/dns/dig_alias_cname.req");
const CNAME_R: &[u8] = include_bytes!("../testdata/dns/dnsmasq_alias_cname.resp");
const TCP_WWW_Q: &[u8] = include_bytes!("../testdata/dns/dig_tcp_www_a.req");
const TCP_WWW_R: &[u8] = include_bytes!("../testdata/dns/dnsmasq_tcp_www_a.resp");
const TCP_NOSUCH_Q: &[u8] = include_bytes!("../testdata/dns/dig_tcp_nosuch_a.req");
const TCP_NOSUCH_R: &[u8] = include_bytes!("../testdata/dns/dnsmasq_tcp_nosuch_a.resp");
const TCP_KEEPOPEN_Q: &[u8] = include_bytes!("../testdata/dns/dig_tcp_keepopen.req");
const TCP_KEEPOPEN_R: &[u8] = include_bytes!("../testdata/dns/dnsmasq_tcp_keepopen.resp");

const UDP_PAIRS: [(&[u8], &[u8]); 6] = [
    (WWW_A_Q, WWW_A_R),
    (NOSUCH_Q, NOSUCH_R),
    (EXAMPLE_Q, EXAMPLE_R),
    (MX_Q, MX_R),
    (SRV_Q, SRV_R),
    (CNAME_Q, CNAME_R),
];

fn udp(local_port: u16, remote_port: u16) -> Socket {
    Socket {
        transport: Transport::Udp,
        local_port,
        remote_port,
    }
}

fn tcp(local_port: u16, remote_port: u16) -> Socket {
    Socket {
        transport: Transport::Tcp,
        local_port,
        remote_port,
    }
}

fn dns_conn(protocol: Protocol, local: Role) -> Conn {
    Conn::of(protocol, local, Limits::default())
}

fn messages(x: &Exchange) -> (&Message, &Message) {
    match (&x.request, &x.response) {
        (Request::Dns(q), Response::Dns(r)) | (Request::DnsTcp(q), Response::DnsTcp(r)) => (q, r),
        other => panic!("not DNS: {other:?}"),
    }
}

fn describe(x: &Exchange) -> Description {
    x.request
        .describe(
            Some(&x.response),
            DescribeContext {
                role: x.role,
                options: &DescribeOptions::default(),
            },
        )
        .expect("same protocol")
}

/// (id, name, qtype, rcode, answers) of every exchange.
fn summary(c: &Conn) -> Vec<(u16, String, u16, u16, u16)> {
    c.exchanges()
        .iter()
        .map(|x| {
            let (q, r) = messages(x);
            assert_eq!(q.id(), r.id());
            (
                q.id(),
                q.name().unwrap_or_default().to_owned(),
                q.qtype(),
                r.rcode,
                r.answer_count(),
            )
        })
        .collect()
}

/// Splits a TCP byte stream of length-prefixed messages into them.
fn tcp_messages(mut stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while stream.len() >= 2 {
        let n = 2 + usize::from(u16::from_be_bytes([stream[0], stream[1]]));
        out.push(&stream[..n]);
        stream = &stream[n..];
    }
    assert!(stream.is_empty());
    out
}

#[test]
fn dig_over_udp_seen_from_the_client() {
    let mut c = dns_conn(Protocol::Dns, Role::Client);
    for (q, r) in UDP_PAIRS {
        c.push(OUT, q);
        c.push(IN, r);
    }
    assert_eq!(
        summary(&c),
        vec![
            (0x0f47, "www.demo.test".into(), 1, 0, 1),
            (0xb7ee, "nosuch.demo.test".into(), 1, 3, 0),
            (0x70ae, "example.com".into(), 1, 5, 0),
            (0x6f33, "demo.test".into(), 15, 0, 1),
            (0x66f7, "_ldap._tcp.demo.test".into(), 33, 0, 1),
            (0x49d7, "alias.demo.test".into(), 1, 0, 1),
        ]
    );
    assert!(c.unpaired().is_empty());
    let x = c.exchanges()[0];
    assert_eq!((x.role, x.protocol()), (Role::Client, Protocol::Dns));
    assert_eq!(
        (x.request_meta.start_ns, x.response_meta.end_ns),
        (enter(0), exit(1))
    );
    assert_eq!(
        (x.request_meta.bytes, x.response_meta.bytes),
        (WWW_A_Q.len() as u64, WWW_A_R.len() as u64)
    );
    let (q, r) = messages(x);
    assert!(q.edns && r.edns && !r.partial);
    assert!(q.header.recursion_desired() && r.header.authoritative());
    assert_eq!(
        r.addresses,
        vec!["10.1.2.3".parse::<std::net::IpAddr>().unwrap()]
    );
    // The CNAME answer has a record but no address.
    let (_, r) = messages(c.exchanges()[5]);
    assert!(r.addresses.is_empty());
}

#[test]
fn descriptions_of_the_recorded_answers() {
    let mut c = dns_conn(Protocol::Dns, Role::Client);
    for (q, r) in UDP_PAIRS {
        c.push(OUT, q);
        c.push(IN, r);
    }
    let d: Vec<Description> = c.exchanges().iter().map(|x| describe(x)).collect();
    let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["DNS A", "DNS A", "DNS A", "DNS MX", "DNS SRV", "DNS A"]
    );
    assert!(d.iter().all(|d| d.family == Family::Dns));
    assert_eq!(
        d[0].attribute("dns.question.name"),
        Some(&Value::Str("www.demo.test".into()))
    );
    assert_eq!(
        d[0].attribute("dns.answers"),
        Some(&Value::StrArray(vec!["10.1.2.3".into()]))
    );
    assert_eq!((d[0].error_type.as_deref(), d[0].failed), (None, false));
    assert_eq!(
        (d[1].error_type.as_deref(), d[1].failed),
        (Some("NXDOMAIN"), true)
    );
    assert_eq!(
        (d[2].error_type.as_deref(), d[2].failed),
        (Some("REFUSED"), true)
    );
    assert_eq!(
        d[4].attribute("dns.question.name"),
        Some(&Value::Str("_ldap._tcp.demo.test".into()))
    );
    assert_eq!(d[5].attribute("dns.answers"), None);
}

#[test]
fn a_server_pairs_answers_by_id_in_any_order() {
    // dnsmasq's side of one UDP socket: three clients' queries, answered
    // out of order.
    let mut c = dns_conn(Protocol::Dns, Role::Server);
    c.push(IN, WWW_A_Q);
    c.push(IN, NOSUCH_Q);
    c.push(IN, MX_Q);
    c.push(OUT, MX_R);
    c.push(OUT, WWW_A_R);
    c.push(OUT, NOSUCH_R);
    let ids: Vec<u16> = summary(&c).iter().map(|s| s.0).collect();
    assert_eq!(ids, [0x6f33, 0x0f47, 0xb7ee]);
    let x = c.exchanges()[1];
    assert_eq!(x.role, Role::Server);
    assert_eq!(
        (x.request_meta.start_ns, x.response_meta.end_ns),
        (enter(0), exit(4))
    );
    // A server's NXDOMAIN names the error without failing the span.
    let d = describe(c.exchanges()[2]);
    assert_eq!(
        (d.error_type.as_deref(), d.failed),
        (Some("NXDOMAIN"), false)
    );
}

#[test]
fn an_answer_nobody_asked_and_a_query_never_answered() {
    let mut c = dns_conn(Protocol::Dns, Role::Client);
    c.push(IN, WWW_A_R);
    c.push(OUT, NOSUCH_Q);
    c.close();
    let reasons: Vec<UnpairedReason> = c.unpaired().iter().map(|u| u.reason).collect();
    assert_eq!(reasons, [UnpairedReason::NoRequest, UnpairedReason::Closed]);
    assert_eq!(c.started.len(), 1);
    assert_eq!(c.started[0].target.as_deref(), Some("nosuch.demo.test"));
}

#[test]
fn an_id_reused_later_pairs_with_the_oldest_unanswered() {
    // A retry with the same id: the answer takes the first copy, the second
    // waits until it expires.
    let mut c = dns_conn(Protocol::Dns, Role::Client);
    c.push(OUT, WWW_A_Q);
    c.push(OUT, WWW_A_Q);
    c.push(IN, WWW_A_R);
    assert_eq!(c.exchanges()[0].request_meta.start_ns, enter(0));
    let events = &mut c.events;
    c.session.expire(enter(3), |e| events.push(e));
    assert_eq!(c.unpaired()[0].reason, UnpairedReason::Expired);
    assert_eq!(c.unpaired()[0].meta.start_ns, enter(1));
}

#[test]
fn datagrams_are_never_joined() {
    let mut c = dns_conn(Protocol::Dns, Role::Client);
    // A datagram shorter than a header is malformed, not the start of one
    // continued by the next datagram.
    c.push(OUT, &WWW_A_Q[..7]);
    c.push(OUT, NOSUCH_Q);
    c.push(IN, NOSUCH_R);
    assert_eq!(
        summary(&c),
        vec![(0xb7ee, "nosuch.demo.test".into(), 1, 3, 0)]
    );
    let stats = *c.session.stats();
    assert_eq!(stats.malformed, 1);
    assert_eq!(stats.last_malformed, Some(Malformed::StartLine));
    // Two queries back to back, each whole: two messages.
    let mut c = dns_conn(Protocol::Dns, Role::Client);
    c.push(OUT, MX_Q);
    c.push(OUT, SRV_Q);
    c.push(IN, SRV_R);
    c.push(IN, MX_R);
    assert_eq!(c.exchanges().len(), 2);
    assert_eq!(c.session.stats().messages, 4);
}

#[test]
fn a_datagram_captured_in_part() {
    let mut c = dns_conn(Protocol::Dns, Role::Client);
    c.push(OUT, WWW_A_Q);
    // The capture ends inside the answer's record: the header and question
    // are known, the address is not.
    c.push_cut(IN, &WWW_A_R[..40], WWW_A_R.len());
    // Cut inside the question: the header alone still pairs.
    c.push(OUT, NOSUCH_Q);
    c.push_cut(IN, &NOSUCH_R[..20], NOSUCH_R.len());
    // Cut inside the header: nothing to pair with.
    c.push(OUT, MX_Q);
    c.push_cut(IN, &MX_R[..5], MX_R.len());
    c.push(OUT, SRV_Q);
    c.push(IN, SRV_R);
    let x = c.exchanges();
    assert_eq!(x.len(), 3);
    let (_, r) = messages(x[0]);
    assert!(r.partial && r.addresses.is_empty() && x[0].response_meta.truncated);
    assert_eq!((r.name(), r.answer_count()), (Some("www.demo.test"), 1));
    let (_, r) = messages(x[1]);
    assert_eq!((r.question.as_ref(), r.rcode), (None, 3));
    assert_eq!(describe(x[1]).error_type.as_deref(), Some("NXDOMAIN"));
    assert_eq!(messages(x[2]).1.qtype(), 33);
    assert_eq!(c.session.stats().truncated, 1);
}

#[test]
fn the_opt_record_extends_the_rcode() {
    // Synthetic: dnsmasq's answer with its OPT record's extended RCODE set
    // to 1, which makes RCODE 16 (BADVERS).
    let mut answer = WWW_A_R.to_vec();
    let opt = answer.len() - 11;
    assert_eq!(&answer[opt..opt + 3], &[0x00, 0x00, 0x29]);
    answer[opt + 5] = 1;
    let mut c = dns_conn(Protocol::Dns, Role::Client);
    c.push(OUT, WWW_A_Q);
    c.push(IN, &answer);
    let x = c.exchanges()[0];
    assert_eq!(messages(x).1.rcode, 16);
    assert_eq!(describe(x).error_type.as_deref(), Some("BADVERS"));
}

#[test]
fn detection_needs_the_socket() {
    let query = Some(Detection {
        protocol: Protocol::Dns,
        kind: Kind::Request,
    });
    let answer = Some(Detection {
        protocol: Protocol::Dns,
        kind: Kind::Response,
    });
    for (q, r) in UDP_PAIRS {
        // Any UDP port: the header rules alone.
        assert_eq!(detect_on(q, OUT, udp(40000, 5353)), query);
        assert_eq!(detect_on(r, IN, udp(40000, 9999)), answer);
        assert_eq!(detect_on(&q[..16], OUT, udp(1, 2)), query);
        // Never on TCP, never without the socket.
        assert_eq!(detect_on(q, OUT, tcp(40000, 53)), None);
        assert_eq!(detect(q, OUT), None);
        assert_eq!(detect(r, IN), None);
    }
    for q in [TCP_WWW_Q, TCP_NOSUCH_Q, TCP_KEEPOPEN_Q] {
        let found = detect_on(&q[..16], OUT, tcp(40000, 5353)).unwrap();
        assert_eq!(
            (found.protocol, found.kind),
            (Protocol::DnsTcp, Kind::Request)
        );
        assert_eq!(found.local_role(OUT), Role::Client);
        assert_eq!(
            detect_on(q, IN, tcp(53, 40000)).map(|d| d.protocol),
            Some(Protocol::DnsTcp)
        );
        // Not on other ports, and not as UDP.
        assert_eq!(detect_on(q, OUT, tcp(40000, 8080)), None);
        assert_eq!(detect(q, OUT), None);
        assert_eq!(detect_on(q, OUT, udp(40000, 53)), None);
    }
    for r in [TCP_WWW_R, TCP_NOSUCH_R, TCP_KEEPOPEN_R] {
        let found = detect_on(r, IN, tcp(40000, 5353)).unwrap();
        assert_eq!(
            (found.protocol, found.kind),
            (Protocol::DnsTcp, Kind::Response)
        );
    }
    // Too short, other opcodes, Z set, two questions, a query with answers.
    let mut q = WWW_A_Q.to_vec();
    assert_eq!(detect_on(&q[..12], OUT, udp(1, 2)), None);
    q[2] |= 5 << 3;
    assert_eq!(detect_on(&q, OUT, udp(1, 2)), None);
    let mut q = WWW_A_Q.to_vec();
    q[3] |= 0x40;
    assert_eq!(detect_on(&q, OUT, udp(1, 2)), None);
    let mut q = WWW_A_Q.to_vec();
    q[5] = 2;
    assert_eq!(detect_on(&q, OUT, udp(1, 2)), None);
    let mut q = WWW_A_Q.to_vec();
    q[7] = 1;
    assert_eq!(detect_on(&q, OUT, udp(1, 2)), None);
    // The root as the question's name (a priming query) is not detected.
    let mut q = WWW_A_Q[..12].to_vec();
    q.extend_from_slice(&[0, 0, 2, 0, 1]);
    assert_eq!(detect_on(&q, OUT, udp(1, 2)), None);
}

#[test]
fn dig_over_tcp_one_connection_per_query() {
    for (q, r, want) in [
        (
            TCP_WWW_Q,
            TCP_WWW_R,
            (0xb2e2, "www.demo.test".to_owned(), 1, 0, 1),
        ),
        (
            TCP_NOSUCH_Q,
            TCP_NOSUCH_R,
            (0x184b, "nosuch.demo.test".to_owned(), 1, 3, 0),
        ),
    ] {
        for local in [Role::Client, Role::Server] {
            let (ask, answer) = if local == Role::Client {
                (OUT, IN)
            } else {
                (IN, OUT)
            };
            let mut c = dns_conn(Protocol::DnsTcp, local);
            c.push(ask, q);
            c.push(answer, r);
            c.close();
            assert_eq!(summary(&c), vec![want.clone()]);
            assert!(c.unpaired().is_empty());
            let x = c.exchanges()[0];
            assert_eq!(
                (x.request_meta.bytes, x.response_meta.bytes),
                (q.len() as u64, r.len() as u64)
            );
            assert_eq!(x.protocol(), Protocol::DnsTcp);
        }
    }
    let mut c = dns_conn(Protocol::DnsTcp, Role::Client);
    c.push(OUT, TCP_WWW_Q);
    c.push(IN, TCP_WWW_R);
    let d = describe(c.exchanges()[0]);
    assert_eq!(d.name, "DNS A");
    assert_eq!(
        d.attribute("dns.answers"),
        Some(&Value::StrArray(vec!["10.1.2.3".into()]))
    );
}

fn keepopen_summary() -> Vec<(u16, String, u16, u16, u16)> {
    vec![
        (0x60e2, "www.demo.test".into(), 1, 0, 1),
        (0x8c37, "demo.test".into(), 16, 0, 1),
        (0xf205, "nosuch.demo.test".into(), 1, 3, 0),
    ]
}

#[test]
fn tcp_keepopen_split_at_every_byte() {
    let queries = tcp_messages(TCP_KEEPOPEN_Q);
    let answers = tcp_messages(TCP_KEEPOPEN_R);
    assert_eq!((queries.len(), answers.len()), (3, 3));
    // Each message cut in two at every byte, in both directions.
    for i in 0..=queries[0].len().max(answers[0].len()) {
        let mut c = dns_conn(Protocol::DnsTcp, Role::Server);
        for (q, r) in queries.iter().zip(&answers) {
            let (a, b) = q.split_at(i.min(q.len()));
            c.push(IN, a);
            c.push(IN, b);
            let (a, b) = r.split_at(i.min(r.len()));
            c.push(OUT, a);
            c.push(OUT, b);
        }
        assert_eq!(summary(&c), keepopen_summary(), "cut at {i}");
        assert_eq!(c.session.stats().dropped_bytes, 0);
    }
    // A server that reads the length, then the message; pipelined queries.
    let mut c = dns_conn(Protocol::DnsTcp, Role::Server);
    for q in &queries {
        c.push(IN, &q[..2]);
        c.push(IN, &q[2..]);
    }
    c.push(OUT, TCP_KEEPOPEN_R);
    assert_eq!(summary(&c), keepopen_summary());
    let x = c.exchanges()[0];
    assert_eq!(
        (x.request_meta.start_ns, x.request_meta.end_ns),
        (enter(0), exit(1))
    );
    // A byte per syscall.
    let mut c = dns_conn(Protocol::DnsTcp, Role::Client);
    for b in TCP_KEEPOPEN_Q.chunks(1) {
        c.push(OUT, b);
    }
    for b in TCP_KEEPOPEN_R.chunks(1) {
        c.push(IN, b);
    }
    assert_eq!(summary(&c), keepopen_summary());
}

#[test]
fn a_tcp_stream_recovers_after_garbage() {
    let mut c = dns_conn(Protocol::DnsTcp, Role::Client);
    // A length below a header's: malformed; the next segment starts anew.
    c.push(OUT, TCP_NOSUCH_Q);
    c.push(OUT, b"\x00\x05hello");
    c.push(OUT, TCP_WWW_Q);
    c.push(IN, TCP_WWW_R);
    c.push(IN, TCP_NOSUCH_R);
    assert_eq!(summary(&c).len(), 2);
    assert_eq!(c.session.stats().last_malformed, Some(Malformed::Length));
    // An answer sent by the client side: not DNS from that sender.
    let mut c = dns_conn(Protocol::DnsTcp, Role::Client);
    c.push(OUT, TCP_NOSUCH_Q);
    c.push(OUT, TCP_WWW_R);
    c.push(OUT, TCP_WWW_Q);
    c.push(IN, TCP_NOSUCH_R);
    c.push(IN, TCP_WWW_R);
    assert_eq!(summary(&c).len(), 2);
    assert_eq!(c.session.stats().dropped_segments, 0);
    assert_eq!(c.session.stats().malformed, 1);
}

/// Synthetic: dnsmasq's TCP answer for www.demo.test with `n` more A records
/// (10.0.i/256.i%256) in the answer section and the OPT record after them.
fn big_answer(n: usize) -> Vec<u8> {
    let message = &TCP_WWW_R[2..];
    let question_end = 12 + 15 + 4;
    let answer_end = question_end + 16;
    let mut out = message[..answer_end].to_vec();
    for i in 0..n {
        out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0]);
        out.extend_from_slice(&[(i / 256) as u8, (i % 256) as u8]);
    }
    out.extend_from_slice(&message[answer_end..]);
    let count = 1 + n as u16;
    out[6..8].copy_from_slice(&count.to_be_bytes());
    let mut framed = (out.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&out);
    framed
}

#[test]
fn a_large_tcp_answer_is_read_from_its_start_and_skipped() {
    let big = big_answer(400);
    assert!(big.len() > TCP_WAIT_LIMIT);
    let mut c = dns_conn(Protocol::DnsTcp, Role::Client);
    c.push(OUT, TCP_WWW_Q);
    // Read in 1000-byte pieces: the answer is parsed once the first piece is
    // in, and the rest skipped; the next exchange is found after it.
    for piece in big.chunks(1000) {
        c.push(IN, piece);
    }
    c.push(OUT, TCP_NOSUCH_Q);
    c.push(IN, TCP_NOSUCH_R);
    let x = c.exchanges();
    assert_eq!(x.len(), 2);
    let (_, r) = messages(x[0]);
    assert_eq!((r.answer_count(), r.partial), (401, true));
    // The addresses in the first piece, up to the limit.
    assert_eq!(r.addresses.len(), dns::MAX_ADDRESSES);
    assert_eq!(
        x[0].response_meta.end_ns,
        exit(big.len().div_ceil(1000) as u64)
    );
    assert_eq!(x[0].response_meta.bytes, big.len() as u64);
    assert!(!x[0].response_meta.truncated);
    assert_eq!(c.session.stats().dropped_bytes, 0);
    // A smaller one is waited for whole, records and OPT read.
    let small = big_answer(10);
    let mut c = dns_conn(Protocol::DnsTcp, Role::Client);
    c.push(OUT, TCP_WWW_Q);
    for piece in small.chunks(50) {
        c.push(IN, piece);
    }
    let (_, r) = messages(c.exchanges()[0]);
    assert_eq!((r.addresses.len(), r.partial, r.edns), (11, false, true));
}

#[test]
fn a_tcp_answer_cut_by_the_capture() {
    let mut c = dns_conn(Protocol::DnsTcp, Role::Client);
    c.push(OUT, TCP_WWW_Q);
    c.push_cut(IN, &TCP_WWW_R[..40], TCP_WWW_R.len());
    c.push(OUT, TCP_NOSUCH_Q);
    c.push(IN, TCP_NOSUCH_R);
    assert_eq!(summary(&c).len(), 2);
    let x = c.exchanges()[0];
    assert!(x.response_meta.truncated);
    assert_eq!(messages(x).1.name(), Some("www.demo.test"));
    // Cut inside the header: dropped, the stream waits for a message start.
    let mut c = dns_conn(Protocol::DnsTcp, Role::Client);
    c.push(OUT, TCP_WWW_Q);
    c.push_cut(IN, &TCP_WWW_R[..8], TCP_WWW_R.len());
    c.push(OUT, TCP_NOSUCH_Q);
    c.push(IN, TCP_NOSUCH_R);
    c.close();
    assert_eq!(summary(&c).len(), 1);
    assert_eq!(c.unpaired()[0].reason, UnpairedReason::Closed);
    assert!(matches!(c.unpaired()[0].message, Half::Request(_)));
    assert_eq!(c.session.stats().truncated, 1);
}
