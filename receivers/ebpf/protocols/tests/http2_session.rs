//! HTTP/2 and gRPC through a whole session: conversations recorded between
//! real clients and servers (`testdata/http2/record.py`: grpcio 1.85 client
//! and server, nginx 1.22 with h2load and nghttp from nghttp2 1.52), replayed
//! one recorded read per syscall, whole, split, cut, reordered, joined late
//! and corrupted.

mod common;

use common::{enter, exit, Rng};
use sonde_ebpf_protocols::http2::{self, End, Field};
use sonde_ebpf_protocols::{
    detect, DescribeContext, DescribeOptions, Direction, Event, Exchange, Family, Kind, Limits,
    Protocol, Request, Response, Role, Segment, Session, Started, UnpairedReason, Value,
};

const GRPC: &[u8] = include_bytes!("../testdata/http2/grpc_0.trace");
const H2LOAD_0: &[u8] = include_bytes!("../testdata/http2/h2load_0.trace");
const H2LOAD_1: &[u8] = include_bytes!("../testdata/http2/h2load_1.trace");
const H2LOAD_M8: &[u8] = include_bytes!("../testdata/http2/h2load_m8_0.trace");
const NGHTTP: &[u8] = include_bytes!("../testdata/http2/nghttp_0.trace");

/// (stream, path, status, grpc-status) of exchanges, by stream.
type Summary = Vec<(u32, Option<String>, Option<u16>, Option<u32>)>;

/// The records of a trace: who sent them, and the bytes.
fn records(trace: &[u8]) -> Vec<(Role, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 5 <= trace.len() {
        let from = if trace[at] == b'C' {
            Role::Client
        } else {
            Role::Server
        };
        let len = u32::from_be_bytes([trace[at + 1], trace[at + 2], trace[at + 3], trace[at + 4]]);
        let end = at + 5 + len as usize;
        out.push((from, &trace[at + 5..end]));
        at = end;
    }
    out
}

/// One end of a connection, fed syscalls in the order they happened.
struct Conn {
    session: Session,
    local: Role,
    events: Vec<Event>,
    started: Vec<Started>,
    k: u64,
}

impl Conn {
    fn new(local: Role) -> Self {
        Conn {
            session: Session::new(Protocol::Http2, local, Limits::default()),
            local,
            events: Vec::new(),
            started: Vec::new(),
            k: 0,
        }
    }

    fn direction(&self, from: Role) -> Direction {
        if from == self.local {
            Direction::Egress
        } else {
            Direction::Ingress
        }
    }

    /// A syscall by `from` that moved `len` bytes, `captured` of them seen.
    fn send_cut(&mut self, from: Role, captured: &[u8], len: usize) {
        let k = self.k;
        self.k += 1;
        let mut seg = Segment::new(captured, enter(k), exit(k)).with_len(len);
        seg.tcp_seq = 1000 * k as u32;
        let direction = self.direction(from);
        let (events, started) = (&mut self.events, &mut self.started);
        self.session.push(direction, &seg, |e| match e {
            Event::Started(s) => started.push(s),
            other => events.push(other),
        });
    }

    fn send(&mut self, from: Role, bytes: &[u8]) {
        self.send_cut(from, bytes, bytes.len());
    }

    fn replay(&mut self, trace: &[u8]) {
        for (from, bytes) in records(trace) {
            self.send(from, bytes);
        }
    }

    fn close(&mut self) {
        let (events, started) = (&mut self.events, &mut self.started);
        self.session.close(|e| match e {
            Event::Started(s) => started.push(s),
            other => events.push(other),
        });
    }

    fn exchanges(&self) -> Vec<&Exchange> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Exchange(x) => Some(x),
                _ => None,
            })
            .collect()
    }

    fn unpaired(&self) -> Vec<UnpairedReason> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Unpaired(u) => Some(u.reason),
                _ => None,
            })
            .collect()
    }

    /// (stream, path, status, grpc-status) of every exchange, by stream.
    fn summary(&self) -> Summary {
        let mut out: Vec<_> = self
            .exchanges()
            .iter()
            .map(|x| {
                let (q, r) = h2(x);
                (
                    q.stream_id,
                    q.path().map(str::to_owned),
                    r.status,
                    r.grpc_status,
                )
            })
            .collect();
        out.sort();
        out
    }
}

fn h2(x: &Exchange) -> (&http2::Request, &http2::Response) {
    match (&x.request, &x.response) {
        (Request::Http2(q), Response::Http2(r)) => (q, r),
        other => panic!("not HTTP/2: {other:?}"),
    }
}

fn describe(x: &Exchange) -> sonde_ebpf_protocols::Description {
    let options = DescribeOptions::default();
    x.request
        .describe(
            Some(&x.response),
            DescribeContext {
                role: x.role,
                options: &options,
            },
        )
        .expect("same protocol")
}

fn str_attr<'a>(d: &'a sonde_ebpf_protocols::Description, key: &str) -> Option<&'a str> {
    match d.attribute(key)? {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

fn int_attr(d: &sonde_ebpf_protocols::Description, key: &str) -> Option<i64> {
    match d.attribute(key)? {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

/// The exchanges of a whole, clean replay: the truth the others are held to.
fn truth(trace: &[u8]) -> Summary {
    let mut c = Conn::new(Role::Client);
    c.replay(trace);
    c.close();
    c.summary()
}

/// Whether a partial view agrees with the truth: every exchange it reports
/// is one of the truth's streams, and what it could read is what was sent.
fn agrees(seen: &Conn, truth: &Summary) {
    for x in seen.exchanges() {
        let (q, r) = h2(x);
        let Some(t) = truth.iter().find(|t| t.0 == q.stream_id) else {
            panic!("stream {} is no exchange of the recording", q.stream_id);
        };
        if let Some(path) = q.path() {
            assert_eq!(Some(path), t.1.as_deref(), "stream {}", q.stream_id);
        }
        if let Some(status) = r.status {
            assert_eq!(Some(status), t.2, "stream {}", q.stream_id);
        }
        if let Some(code) = r.grpc_status {
            assert_eq!(Some(code), t.3, "stream {}", q.stream_id);
        }
        assert!(x.request_meta.start_ns <= x.request_meta.end_ns);
        assert!(x.response_meta.start_ns <= x.response_meta.end_ns);
    }
}

#[test]
fn detection_of_the_preface_and_the_first_settings() {
    for (from, bytes) in records(GRPC).into_iter().take(2) {
        let found = detect(bytes, Direction::Ingress).expect("detected");
        assert_eq!(found.protocol, Protocol::Http2);
        let kind = if from == Role::Client {
            Kind::Request
        } else {
            Kind::Response
        };
        assert_eq!(found.kind, kind);
    }
    assert_eq!(Protocol::from_name("http2"), Some(Protocol::Http2));
    // The server's first frame after nginx's: SETTINGS, 18 bytes.
    let nginx = records(NGHTTP)[1].1;
    assert_eq!(
        detect(nginx, Direction::Egress).map(|d| d.kind),
        Some(Kind::Response)
    );
    // A SETTINGS ACK, a HEADERS frame, HTTP/1 and short prefixes are not.
    for bytes in [
        &b"\0\0\0\x04\x01\0\0\0\0"[..],
        b"\0\0\x05\x01\x05\0\0\0\x01\x82\x86\x84\xbe\xbf",
        b"GET / HTTP/1.1\r\n",
        b"PRI * HTTP/2.0",
        b"\0\0\x12\x04",
    ] {
        assert_ne!(
            detect(bytes, Direction::Ingress).map(|d| d.protocol),
            Some(Protocol::Http2)
        );
    }
}

fn by_stream(c: &Conn, id: u32) -> &Exchange {
    c.exchanges()
        .into_iter()
        .find(|x| h2(x).0.stream_id == id)
        .unwrap_or_else(|| panic!("no exchange on stream {id}"))
}

#[test]
fn grpc_calls_errors_streams_and_a_cancel_from_both_ends() {
    for local in [Role::Client, Role::Server] {
        let mut c = Conn::new(local);
        c.replay(GRPC);
        assert_eq!(c.exchanges().len(), 9, "{local:?}");
        c.close();
        assert_eq!(c.unpaired(), vec![], "{local:?}");
        assert_eq!(c.session.stats().malformed, 0);
        let summary: Vec<_> = c
            .summary()
            .into_iter()
            .map(|(id, path, status, code)| (id, path.unwrap(), status, code))
            .collect();
        let hello = "/demo.v1.Greeter/SayHello".to_owned();
        assert_eq!(
            summary,
            vec![
                (1, hello.clone(), Some(200), Some(0)),
                (3, hello.clone(), Some(200), Some(0)),
                (5, hello.clone(), Some(200), Some(5)),
                (7, "/demo.v1.Greeter/Count".to_owned(), Some(200), Some(0)),
                (9, "/demo.v1.Greeter/Upload".to_owned(), Some(200), Some(0)),
                (11, "/demo.v1.Greeter/Nope".to_owned(), Some(200), Some(12)),
                (13, hello.clone(), Some(200), Some(4)),
                (15, hello.clone(), None, None),
                (17, hello.clone(), Some(200), Some(0)),
            ]
        );
        // Who failed, by the RPC conventions' rules for each side.
        let outcome = |id| {
            let x = by_stream(&c, id);
            let d = describe(x);
            assert_eq!(d.family, Family::Rpc);
            assert_eq!(str_attr(&d, "rpc.system"), Some("grpc"));
            let code = int_attr(&d, "rpc.grpc.status_code");
            (d.name, code, d.error_type, d.failed)
        };
        let client = local == Role::Client;
        assert_eq!(
            outcome(1),
            ("demo.v1.Greeter/SayHello".to_owned(), Some(0), None, false)
        );
        assert_eq!(
            outcome(5),
            (
                "demo.v1.Greeter/SayHello".to_owned(),
                Some(5),
                client.then(|| "NOT_FOUND".to_owned()),
                client
            )
        );
        assert_eq!(
            outcome(11),
            (
                "demo.v1.Greeter/Nope".to_owned(),
                Some(12),
                Some("UNIMPLEMENTED".to_owned()),
                true
            )
        );
        assert_eq!(
            outcome(13),
            (
                "demo.v1.Greeter/SayHello".to_owned(),
                Some(4),
                Some("DEADLINE_EXCEEDED".to_owned()),
                true
            )
        );
        // The client gave up: RST_STREAM(CANCEL), which gRPC maps to CANCELLED;
        // a failure for the client, not for the server.
        assert_eq!(
            outcome(15),
            (
                "demo.v1.Greeter/SayHello".to_owned(),
                Some(1),
                client.then(|| "CANCELLED".to_owned()),
                client
            )
        );
        let (_, r) = h2(by_stream(&c, 15));
        assert_eq!(
            r.end,
            End::Reset {
                code: 8,
                by: Role::Client
            }
        );
        let d = describe(by_stream(&c, 7));
        assert_eq!(
            (str_attr(&d, "rpc.service"), str_attr(&d, "rpc.method")),
            (Some("demo.v1.Greeter"), Some("Count"))
        );
        let (q, r) = h2(by_stream(&c, 5));
        assert_eq!(r.grpc_message(), Some("no such user"));
        assert_eq!(q.field(Field::ContentType), Some("application/grpc"));
    }
}

#[test]
fn grpc_metadata_carries_the_trace_context_to_the_start_of_each_call() {
    let mut c = Conn::new(Role::Server);
    c.replay(GRPC);
    assert_eq!(c.started.len(), 9);
    let with: Vec<_> = c
        .started
        .iter()
        .filter_map(|s| s.context.traceparent.as_deref())
        .collect();
    assert_eq!(
        with,
        vec!["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"; 3]
    );
    assert_eq!(
        c.started[0].target.as_deref(),
        Some("/demo.v1.Greeter/SayHello")
    );
    assert_eq!(c.started[0].role, Role::Server);
    // Started as its HEADERS frame was read: the exchange's request start.
    let x = by_stream(&c, 1);
    assert_eq!(c.started[0].meta.start_ns, x.request_meta.start_ns);
}

#[test]
fn an_answer_gathered_over_frames_is_timed_from_its_first_frame() {
    // Count streams three messages: HEADERS and DATA in record 11, DATA in
    // 12 and 13, trailers in 14.
    let mut c = Conn::new(Role::Client);
    c.replay(GRPC);
    let x = by_stream(&c, 7);
    assert_eq!(
        (x.request_meta.start_ns, x.request_meta.end_ns),
        (enter(10), exit(10))
    );
    assert_eq!(
        (x.response_meta.start_ns, x.response_meta.end_ns),
        (enter(11), exit(14))
    );
    assert_eq!(x.duration_ns(), exit(14) - enter(10));
    // Trailers-only (NOT_FOUND): one frame.
    let x = by_stream(&c, 5);
    assert_eq!(
        (x.response_meta.start_ns, x.response_meta.end_ns),
        (enter(9), exit(9))
    );
    // The cancel: the client's RST_STREAM write.
    let x = by_stream(&c, 15);
    assert_eq!(x.response_meta.end_ns, exit(30));
}

#[test]
fn h2load_n_requests_are_n_exchanges() {
    for local in [Role::Client, Role::Server] {
        let mut total = 0;
        let mut started = 0;
        for trace in [H2LOAD_0, H2LOAD_1] {
            let mut c = Conn::new(local);
            c.replay(trace);
            c.close();
            assert_eq!(c.unpaired(), vec![]);
            assert_eq!(c.session.stats().malformed, 0);
            for x in c.exchanges() {
                let (q, r) = h2(x);
                assert_eq!(
                    (q.method_original(), q.path(), r.status),
                    (Some("GET"), Some("/"), Some(200))
                );
                assert!(!q.headers_incomplete && !r.headers_incomplete);
                let d = describe(x);
                assert_eq!(
                    (d.family, d.name.as_str(), d.failed),
                    (Family::Http, "GET", false)
                );
                assert_eq!(str_attr(&d, "network.protocol.version"), Some("2"));
                assert_eq!(str_attr(&d, "url.scheme"), Some("http"));
            }
            total += c.exchanges().len();
            started += c.started.len();
        }
        // h2load -n 100 -c 2: 100 requests over two connections.
        assert_eq!((total, started), (100, 100));
    }
    // Eight streams at a time on one connection: 40 requests.
    let mut c = Conn::new(Role::Server);
    c.replay(H2LOAD_M8);
    c.close();
    assert_eq!((c.exchanges().len(), c.unpaired().len()), (40, 0));
}

#[test]
fn nghttp_priorities_queries_trace_context_and_a_404() {
    for local in [Role::Client, Role::Server] {
        let mut c = Conn::new(local);
        c.replay(NGHTTP);
        c.close();
        assert_eq!(c.unpaired(), vec![]);
        let x = by_stream(&c, 13);
        let (q, r) = h2(x);
        assert_eq!(
            (q.path(), q.query(), r.status),
            (Some("/index.html"), Some("x=1"), Some(200))
        );
        assert_eq!(q.field(Field::Authority), Some("127.0.0.1:28482"));
        assert_eq!(q.field(Field::UserAgent), Some("nghttp2/1.52.0"));
        assert_eq!(
            c.started[0].context.traceparent.as_deref(),
            Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        );
        assert_eq!(c.started[0].target.as_deref(), Some("/index.html"));
        let d = describe(by_stream(&c, 15));
        assert_eq!(int_attr(&d, "http.response.status_code"), Some(404));
        assert_eq!(str_attr(&d, "url.path"), Some("/missing"));
        // A 404 fails the client, not the server.
        assert_eq!(d.failed, local == Role::Client);
        assert_eq!(d.error_type.is_some(), local == Role::Client);
    }
}

/// Every record cut into `pieces` at random points, each piece a syscall.
fn replay_split(c: &mut Conn, trace: &[u8], rng: &mut Rng, byte_at_a_time: bool) {
    for (from, bytes) in records(trace) {
        let mut at = 0;
        while at < bytes.len() {
            let n = if byte_at_a_time {
                1
            } else {
                1 + rng.below(bytes.len() - at)
            };
            c.send(from, &bytes[at..at + n]);
            at += n;
        }
    }
}

#[test]
fn frames_split_byte_at_a_time_or_anywhere_give_the_same_exchanges() {
    let mut rng = Rng::new(7);
    for trace in [GRPC, NGHTTP, H2LOAD_M8, H2LOAD_0] {
        let want = truth(trace);
        for byte_at_a_time in [true, false, false, false] {
            let mut c = Conn::new(Role::Server);
            replay_split(&mut c, trace, &mut rng, byte_at_a_time);
            c.close();
            assert_eq!(c.summary(), want);
            assert_eq!(c.unpaired(), vec![]);
            assert_eq!(c.session.stats().malformed, 0);
        }
    }
}

#[test]
fn one_direction_in_few_large_writes_gives_the_same_exchanges() {
    // All of the client's bytes in one write, then all of the server's (not
    // gRPC's recording: its client cancels a call the server answers).
    for trace in [NGHTTP, H2LOAD_M8, H2LOAD_1] {
        let (mut client, mut server) = (Vec::new(), Vec::new());
        for (from, bytes) in records(trace) {
            match from {
                Role::Client => client.extend_from_slice(bytes),
                Role::Server => server.extend_from_slice(bytes),
            }
        }
        let mut c = Conn::new(Role::Client);
        c.send(Role::Client, &client);
        c.send(Role::Server, &server);
        c.close();
        assert_eq!(c.summary(), truth(trace));
    }
}

/// The frames of one direction's bytes, whole.
fn frames(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = if bytes.starts_with(http2::PREFACE) {
        24
    } else {
        0
    };
    if at > 0 {
        out.push(&bytes[..24]);
    }
    while at + 9 <= bytes.len() {
        let len = (usize::from(bytes[at]) << 16)
            | (usize::from(bytes[at + 1]) << 8)
            | usize::from(bytes[at + 2]);
        out.push(&bytes[at..at + 9 + len]);
        at += 9 + len;
    }
    out
}

#[test]
fn many_interleaved_streams_pair_by_id_and_time_by_their_own_frames() {
    // h2load's 40 requests, then nginx's answers with their frames
    // reordered: every HEADERS frame in order (HPACK needs it), then every
    // DATA frame, last stream first; each frame one syscall.
    let (mut client, mut server) = (Vec::new(), Vec::new());
    for (from, bytes) in records(H2LOAD_M8) {
        match from {
            Role::Client => client.extend_from_slice(bytes),
            Role::Server => server.extend_from_slice(bytes),
        }
    }
    let server_frames = frames(&server);
    let (mut heads, mut data): (Vec<&[u8]>, Vec<&[u8]>) =
        server_frames.iter().partition(|f| f[3] != 0);
    data.reverse();
    heads.extend(data);
    let mut c = Conn::new(Role::Client);
    c.send(Role::Client, &client);
    let first = c.k;
    let mut at_frame = std::collections::HashMap::new();
    for f in &heads {
        let stream = u32::from_be_bytes([f[5], f[6], f[7], f[8]]);
        at_frame.entry((stream, f[3])).or_insert(c.k);
        c.send(Role::Server, f);
    }
    c.close();
    assert_eq!(c.summary(), truth(H2LOAD_M8));
    assert!(c.unpaired().is_empty());
    for x in c.exchanges() {
        let id = h2(x).0.stream_id;
        // From the stream's HEADERS frame to its DATA frame.
        let (headers, data) = (at_frame[&(id, 1)], at_frame[&(id, 0)]);
        assert!(headers >= first && data > headers);
        assert_eq!(
            (x.response_meta.start_ns, x.response_meta.end_ns),
            (enter(headers), exit(data))
        );
        assert_eq!(x.request_meta.start_ns, enter(0));
    }
    // Answers come out as their streams end: last stream first.
    let order: Vec<u32> = c.exchanges().iter().map(|x| h2(x).0.stream_id).collect();
    assert_eq!(order.first(), Some(&79));
    assert_eq!(order.last(), Some(&1));
}

#[test]
fn a_session_started_mid_connection_marks_unknown_headers_and_mislabels_nothing() {
    for trace in [GRPC, H2LOAD_0, H2LOAD_M8, NGHTTP] {
        let want = truth(trace);
        let recs = records(trace);
        for skip in 1..recs.len() {
            let mut c = Conn::new(Role::Server);
            for &(from, bytes) in &recs[skip..] {
                c.send(from, bytes);
            }
            c.close();
            agrees(&c, &want);
            // One exchange per request whose HEADERS came after the start and
            // whose answer ended after it.
            let later: Vec<&[u8]> = recs[skip..]
                .iter()
                .filter(|r| r.0 == Role::Client)
                .flat_map(|r| frames(r.1))
                .collect();
            let opened = later.iter().filter(|f| f.len() > 3 && f[3] == 1).count();
            assert!(c.exchanges().len() <= opened, "skip {skip}");
            for x in c.exchanges() {
                let d = describe(x);
                assert!(!d.name.is_empty());
            }
        }
    }
    // h2load after its first request: nginx and h2load index :authority and
    // user-agent in the tables, so later requests refer to entries sonde
    // never saw. Still one exchange per request, marked, with no route.
    let recs = records(H2LOAD_0);
    let mut c = Conn::new(Role::Server);
    for &(from, bytes) in &recs[3..] {
        c.send(from, bytes);
    }
    c.close();
    let n = c.exchanges().len();
    assert_eq!(n, 49);
    assert!(c.unpaired().is_empty());
    let incomplete = c
        .exchanges()
        .iter()
        .filter(|x| h2(x).0.headers_incomplete)
        .count();
    assert_eq!(incomplete, 49);
    for x in c.exchanges() {
        let (q, r) = h2(x);
        // What the static table gives is read: GET and "/" are static.
        assert_eq!((q.method_original(), q.path()), (Some("GET"), Some("/")));
        assert_eq!(q.field(Field::Authority), None);
        assert_eq!(r.status, Some(200));
        assert_eq!(describe(x).name, "GET");
    }
}

#[test]
fn grpc_joined_late_still_reports_its_calls_with_a_clear_name() {
    // From the second call on: its :path is a literal the client indexed in
    // the first call's block, which sonde did not see.
    let recs = records(GRPC);
    let mut c = Conn::new(Role::Client);
    for &(from, bytes) in &recs[5..] {
        c.send(from, bytes);
    }
    c.close();
    agrees(&c, &truth(GRPC));
    assert_eq!(c.exchanges().len(), 8);
    let x = by_stream(&c, 3);
    let (q, _) = h2(x);
    assert!(q.headers_incomplete);
    assert_eq!(q.path(), None);
    let d = describe(x);
    // Content type unknown too, but the DATA frames hold gRPC messages; with
    // no :path the span is named "grpc".
    assert_eq!((d.family, d.name.as_str()), (Family::Rpc, "grpc"));
    // grpc-status 0 is an entry of the server's table sonde never saw: the
    // status is unknown, and nothing is said to have failed.
    assert_eq!(
        (int_attr(&d, "rpc.grpc.status_code"), d.failed),
        (None, false)
    );
    // NOT_FOUND was sent as a literal: known, and a failure for the client.
    let d = describe(by_stream(&c, 5));
    assert_eq!(
        (d.name.as_str(), d.error_type.as_deref()),
        ("grpc", Some("NOT_FOUND"))
    );
    // The cancelled call: its only frames are the client's, gRPC-framed.
    let d = describe(by_stream(&c, 15));
    assert_eq!(
        (d.family, int_attr(&d, "rpc.grpc.status_code")),
        (Family::Rpc, Some(1))
    );
    // Later calls index their own literals: known again once sent anew.
    let named: Vec<_> = c
        .exchanges()
        .iter()
        .filter_map(|x| h2(x).0.path().map(str::to_owned))
        .collect();
    assert_eq!(
        named,
        [
            "/demo.v1.Greeter/Count",
            "/demo.v1.Greeter/Upload",
            "/demo.v1.Greeter/Nope"
        ]
    );
}

#[test]
fn captures_cut_short_never_mislabel() {
    let mut rng = Rng::new(11);
    for trace in [GRPC, H2LOAD_M8, NGHTTP, H2LOAD_1] {
        let want = truth(trace);
        for cap in [1, 9, 12, 30, 64, 100, 200] {
            let mut c = Conn::new(Role::Client);
            for (from, bytes) in records(trace) {
                let n = bytes.len().min(cap);
                c.send_cut(from, &bytes[..n], bytes.len());
            }
            c.close();
            agrees(&c, &want);
        }
        // Now and then a capture cut anywhere.
        for _ in 0..20 {
            let mut c = Conn::new(Role::Server);
            for (from, bytes) in records(trace) {
                let n = if rng.below(4) == 0 {
                    rng.below(bytes.len() + 1)
                } else {
                    bytes.len()
                };
                c.send_cut(from, &bytes[..n], bytes.len());
            }
            c.close();
            agrees(&c, &want);
        }
    }
    // Cut after the frame headers of a big record: what follows the cut is
    // skipped exactly, and the next record is read.
    let mut c = Conn::new(Role::Client);
    let recs = records(H2LOAD_M8);
    for (from, bytes) in &recs {
        let n = if *from == Role::Server {
            bytes.len().min(160)
        } else {
            bytes.len()
        };
        c.send_cut(*from, &bytes[..n], bytes.len());
    }
    c.close();
    agrees(&c, &truth(H2LOAD_M8));
    assert!(c.exchanges().len() >= 5, "{}", c.exchanges().len());
}

#[test]
fn garbage_is_counted_and_the_stream_finds_its_footing_again() {
    let mut rng = Rng::new(3);
    let recs = records(H2LOAD_0);
    let mut c = Conn::new(Role::Server);
    for &(from, bytes) in &recs[..5] {
        c.send(from, bytes);
    }
    // Bytes that are not frames, from the client.
    c.send(
        Role::Client,
        b"\x00\x00\x04\x03\x00\x00\x00\x00\x00garbage garbage",
    );
    c.send(Role::Client, &rng.bytes(300));
    for &(from, bytes) in &recs[5..] {
        c.send(from, bytes);
    }
    c.close();
    assert!(c.session.stats().malformed >= 1);
    agrees(&c, &truth(H2LOAD_0));
    // Requests after the garbage are read again (their :authority is an
    // entry lost with the garbage, so they are marked).
    assert!(c.exchanges().len() >= 45, "{}", c.exchanges().len());
}

#[test]
fn corrupted_recordings_never_panic() {
    let mut rng = Rng::new(1234);
    let traces = [GRPC, H2LOAD_0, H2LOAD_M8, NGHTTP];
    for round in 0..300 {
        let trace = traces[round % traces.len()];
        let local = if rng.below(2) == 0 {
            Role::Client
        } else {
            Role::Server
        };
        let mut c = Conn::new(local);
        for (from, bytes) in records(trace) {
            let mut bytes = bytes.to_vec();
            for _ in 0..rng.below(3) {
                if !bytes.is_empty() {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                }
            }
            let from = if rng.below(20) == 0 {
                from.peer()
            } else {
                from
            };
            let n = if rng.below(5) == 0 {
                rng.below(bytes.len() + 1)
            } else {
                bytes.len()
            };
            c.send_cut(from, &bytes[..n], bytes.len());
            if rng.below(50) == 0 {
                c.session.expire(enter(c.k), |_| {});
            }
        }
        c.close();
        for x in c.exchanges() {
            let _ = describe(x);
            assert!(x.request_meta.start_ns <= x.request_meta.end_ns);
            assert!(x.response_meta.start_ns <= x.response_meta.end_ns);
        }
    }
}
