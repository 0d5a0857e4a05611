//! HTTP/2 frames the recordings do not show: CONTINUATION, padding,
//! priority, trailers from the client, informational answers, resets,
//! push promises, the table-size setting, and the describe rules.

use super::describe::{grpc_status, grpc_status_name};
use super::*;
use crate::describe::{DescribeOptions, Family, Value};
use crate::session::{Event, Exchange, Limits, Session};
use crate::{Protocol, Request as AnyRequest, Response as AnyResponse, Segment};

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut out = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A literal field with a new name: without indexing, or with.
fn literal(indexing: bool, name: &str, value: &str) -> Vec<u8> {
    let mut out = vec![if indexing { 0x40 } else { 0x00 }, name.len() as u8];
    out.extend_from_slice(name.as_bytes());
    out.push(value.len() as u8);
    out.extend_from_slice(value.as_bytes());
    out
}

/// A GET of `path` (`:method GET`, `:scheme http` from the static table).
fn get(path: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86];
    block.extend(literal(false, ":path", path));
    block
}

fn grpc_call(path: &str) -> Vec<u8> {
    let mut block = vec![0x83, 0x86];
    block.extend(literal(false, ":path", path));
    block.extend(literal(false, "content-type", "application/grpc"));
    block
}

const END_STREAM: u8 = frame::END_STREAM;
const END_HEADERS: u8 = frame::END_HEADERS;

struct Conn {
    session: Session,
    local: Role,
    events: Vec<Event>,
    k: u64,
}

impl Conn {
    fn new(local: Role) -> Self {
        let mut c = Conn {
            session: Session::new(Protocol::Http2, local, Limits::default()),
            local,
            events: Vec::new(),
            k: 0,
        };
        c.send(Role::Client, PREFACE);
        c
    }

    fn send(&mut self, from: Role, bytes: &[u8]) {
        let seg = Segment::new(bytes, self.k * 100, self.k * 100 + 10);
        self.k += 1;
        let direction = if from == self.local {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        let events = &mut self.events;
        self.session.push(direction, &seg, |e| {
            if !matches!(e, Event::Started(_)) {
                events.push(e)
            }
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

    fn only(&self) -> (&Request, &Response, &Exchange) {
        let all = self.exchanges();
        assert_eq!(all.len(), 1, "{:?}", self.events);
        let x = all[0];
        match (&x.request, &x.response) {
            (AnyRequest::Http2(q), AnyResponse::Http2(r)) => (q, r, x),
            _ => panic!("not HTTP/2"),
        }
    }
}

fn describe_as(role: Role, q: &Request, r: &Response) -> Description {
    let options = DescribeOptions::default();
    Http2::describe(
        q,
        Some(r),
        DescribeContext {
            role,
            options: &options,
        },
    )
}

fn attr<'a>(d: &'a Description, key: &str) -> Option<&'a Value> {
    d.attribute(key)
}

#[test]
fn a_header_block_in_continuation_frames_is_one_unit() {
    let mut block = get("/split/across/frames");
    block.extend(literal(false, "user-agent", "test/1"));
    let (a, rest) = block.split_at(5);
    let (b, c) = rest.split_at(9);
    let mut bytes = frame(frame::HEADERS, END_STREAM, 1, a);
    bytes.extend(frame(frame::CONTINUATION, 0, 1, b));
    bytes.extend(frame(frame::CONTINUATION, END_HEADERS, 1, c));
    let answer = [frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &[0x88])].concat();
    // Whole, and a byte per syscall.
    for step in [bytes.len(), 1] {
        let mut conn = Conn::new(Role::Server);
        for piece in bytes.chunks(step) {
            conn.send(Role::Client, piece);
        }
        conn.send(Role::Server, &answer);
        let (q, r, x) = conn.only();
        assert_eq!(q.path(), Some("/split/across/frames"));
        assert_eq!(q.field(Field::UserAgent), Some("test/1"));
        assert!(q.end_stream && !q.headers_incomplete);
        assert_eq!(r.status, Some(200));
        assert_eq!(x.request_meta.bytes, bytes.len() as u64);
    }
    // Another frame inside the block is a connection error.
    let mut conn = Conn::new(Role::Server);
    let mut bad = frame(frame::HEADERS, 0, 3, a);
    bad.extend(frame(frame::PING, 0, 0, &[0; 8]));
    conn.send(Role::Client, &bad);
    assert_eq!(conn.session.stats().malformed, 1);
}

#[test]
fn padding_and_priority_are_skipped_and_bad_padding_is_malformed() {
    let block = get("/padded");
    let mut payload = vec![3]; // pad length
    payload.extend([0x80, 0, 0, 1, 16]); // exclusive dependency on 1, weight
    payload.extend(&block);
    payload.extend([0, 0, 0]);
    let flags = END_HEADERS | END_STREAM | frame::PADDED | frame::PRIORITY_FLAG;
    let mut conn = Conn::new(Role::Client);
    conn.send(Role::Client, &frame(frame::HEADERS, flags, 3, &payload));
    // The answer: DATA padded too.
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS, 3, &[0x8d]),
    );
    conn.send(
        Role::Server,
        &frame(
            frame::DATA,
            END_STREAM | frame::PADDED,
            3,
            &[2, b'h', b'i', 0, 0],
        ),
    );
    let (q, r, _) = conn.only();
    assert_eq!((q.path(), r.status), (Some("/padded"), Some(404)));
    // Padding longer than the frame.
    let mut conn = Conn::new(Role::Client);
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | frame::PADDED, 3, &[9, 0x82]),
    );
    assert_eq!(conn.session.stats().malformed, 1);
    assert!(conn.exchanges().is_empty());
}

#[test]
fn client_trailers_open_no_stream_but_keep_the_table() {
    let mut conn = Conn::new(Role::Server);
    let mut block = vec![0x83, 0x86];
    block.extend(literal(false, ":path", "/upload"));
    conn.send(Role::Client, &frame(frame::HEADERS, END_HEADERS, 1, &block));
    conn.send(Role::Client, &frame(frame::DATA, 0, 1, b"body"));
    // Trailers add an entry to the client's table...
    let trailers = literal(true, "x-checksum", "abc");
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &trailers),
    );
    // ...which the next request uses (index 62).
    let mut block = get("/next");
    block.push(0xbe);
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 3, &block),
    );
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &[0x88]),
    );
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 3, &[0x88]),
    );
    let x = conn.exchanges();
    assert_eq!(x.len(), 2);
    let AnyRequest::Http2(q) = &x[1].request else {
        panic!()
    };
    assert_eq!(
        (q.stream_id, q.path(), q.headers_incomplete),
        (3, Some("/next"), false)
    );
}

#[test]
fn informational_answers_are_skipped_for_the_final_status() {
    let mut conn = Conn::new(Role::Client);
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS, 1, &get("/upload")),
    );
    conn.send(
        Role::Server,
        &frame(
            frame::HEADERS,
            END_HEADERS,
            1,
            &literal(false, ":status", "100"),
        ),
    );
    conn.send(Role::Client, &frame(frame::DATA, END_STREAM, 1, b"data"));
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS, 1, &[0x89]),
    );
    assert!(conn.exchanges().is_empty());
    conn.send(Role::Server, &frame(frame::DATA, END_STREAM, 1, b""));
    let (_, r, x) = conn.only();
    assert_eq!((r.status, r.end), (Some(204), End::Stream));
    // Timed from the 100's frame (segment 2) to the empty DATA (segment 5).
    assert_eq!(
        (x.response_meta.start_ns, x.response_meta.end_ns),
        (200, 510)
    );
}

#[test]
fn a_server_reset_ends_the_stream_with_an_error() {
    for grpc in [false, true] {
        let block = if grpc {
            grpc_call("/pkg.Svc/Get")
        } else {
            get("/")
        };
        let mut conn = Conn::new(Role::Client);
        conn.send(Role::Client, &frame(frame::HEADERS, END_HEADERS, 1, &block));
        conn.send(
            Role::Server,
            &frame(frame::RST_STREAM, 0, 1, &7u32.to_be_bytes()),
        );
        let (q, r, _) = conn.only();
        assert_eq!(
            r.end,
            End::Reset {
                code: 7,
                by: Role::Server
            }
        );
        assert_eq!(r.status, None);
        for role in [Role::Client, Role::Server] {
            let d = describe_as(role, q, r);
            if grpc {
                assert_eq!(attr(&d, "rpc.grpc.status_code"), Some(&Value::Int(14)));
                assert_eq!(d.error_type.as_deref(), Some("UNAVAILABLE"));
            } else {
                assert_eq!(d.error_type.as_deref(), Some("REFUSED_STREAM"));
                assert_eq!(attr(&d, "http.response.status_code"), None);
            }
            assert!(d.failed);
        }
    }
}

#[test]
fn a_client_reset_of_plain_http_fails_the_client_only() {
    let mut conn = Conn::new(Role::Server);
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &get("/slow")),
    );
    conn.send(
        Role::Client,
        &frame(frame::RST_STREAM, 0, 1, &8u32.to_be_bytes()),
    );
    // The server's answer in flight after the reset is no new exchange.
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &[0x88]),
    );
    let (q, r, _) = conn.only();
    assert_eq!(Http2::disposition(r), Disposition::Cancel);
    let server = describe_as(Role::Server, q, r);
    let client = describe_as(Role::Client, q, r);
    assert_eq!(
        (server.error_type.as_deref(), server.failed),
        (Some("CANCEL"), false)
    );
    assert_eq!(
        (client.error_type.as_deref(), client.failed),
        (Some("CANCEL"), true)
    );
    assert!(conn.events.iter().all(|e| matches!(e, Event::Exchange(_))));
}

#[test]
fn a_push_promise_changes_the_server_table() {
    let mut conn = Conn::new(Role::Client);
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &get("/")),
    );
    // The promise indexes a header; the answer then refers to it (62).
    let mut promise = 2u32.to_be_bytes().to_vec();
    promise.extend(literal(true, "grpc-status", "3"));
    conn.send(
        Role::Server,
        &frame(frame::PUSH_PROMISE, END_HEADERS, 1, &promise),
    );
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &[0x88, 0xbe]),
    );
    // The pushed stream's own answer is no exchange.
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 2, &[0x88]),
    );
    let (_, r, _) = conn.only();
    assert_eq!(
        (r.status, r.grpc_status, r.headers_incomplete),
        (Some(200), Some(3), false)
    );
    // A client does not promise.
    let mut conn = Conn::new(Role::Client);
    conn.send(
        Role::Client,
        &frame(frame::PUSH_PROMISE, END_HEADERS, 1, &promise),
    );
    assert_eq!(conn.session.stats().malformed, 1);
}

#[test]
fn the_table_size_setting_bounds_the_other_ends_encoder() {
    let mut conn = Conn::new(Role::Client);
    // The server allows the client's encoder 64 bytes of table.
    let settings = [0, 1, 0, 0, 0, 64];
    conn.send(Role::Server, &frame(frame::SETTINGS, 0, 0, &settings));
    // The client claims 4096 anyway, and indexes two 40-byte entries: only
    // the newer fits in 64.
    let mut block = vec![0x3f, 0xe1, 0x1f];
    block.extend(get("/a"));
    block.extend(literal(true, "x-one", "0123"));
    block.extend(literal(true, "x-two", "4567"));
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &block),
    );
    // Index 62 (x-two) is known, 63 (x-one) was evicted: unknown, not wrong.
    let mut block = get("/b");
    block.extend([0xbe, 0xbf]);
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 3, &block),
    );
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &[0x88]),
    );
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 3, &[0x88]),
    );
    let x = conn.exchanges();
    let AnyRequest::Http2(q) = &x[1].request else {
        panic!()
    };
    assert_eq!((q.path(), q.headers_incomplete), (Some("/b"), true));
    assert_eq!(
        frame::header_table_size(&[0, 3, 0, 0, 0, 100, 0, 1, 0, 0, 1, 0]),
        Some(256)
    );
    assert_eq!(frame::header_table_size(&[0, 3, 0, 0, 0, 100]), None);
}

#[test]
fn frames_that_break_the_rules_are_malformed() {
    for bad in [
        frame(frame::HEADERS, END_HEADERS, 0, &[0x82]),
        frame(frame::SETTINGS, 0, 0, &[0; 5]),
        frame(frame::SETTINGS, frame::ACK, 0, &[0; 6]),
        frame(frame::PING, 0, 0, &[0; 7]),
        frame(frame::PING, 0, 1, &[0; 8]),
        frame(frame::RST_STREAM, 0, 0, &[0; 4]),
        frame(frame::WINDOW_UPDATE, 0, 0, &[0; 3]),
        frame(frame::PRIORITY, 0, 1, &[0; 4]),
        frame(frame::GOAWAY, 0, 0, &[0; 4]),
        // Not HPACK: index 0.
        frame(frame::HEADERS, END_HEADERS, 1, &[0x80]),
    ] {
        let mut conn = Conn::new(Role::Server);
        conn.send(Role::Client, &bad);
        assert_eq!(conn.session.stats().malformed, 1, "{bad:?}");
    }
    // Unknown types are skipped; a CONTINUATION out of place is too.
    let mut conn = Conn::new(Role::Server);
    conn.send(Role::Client, &frame(0x10, 0, 1, b"priority update"));
    conn.send(
        Role::Client,
        &frame(frame::CONTINUATION, END_HEADERS, 1, &[0x82]),
    );
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &get("/")),
    );
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &[0x88]),
    );
    assert_eq!(conn.session.stats().malformed, 0);
    assert_eq!(conn.exchanges().len(), 1);
}

#[test]
fn even_streams_and_unknown_answers() {
    let mut conn = Conn::new(Role::Server);
    // A client never opens an even stream.
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 2, &get("/")),
    );
    // An answer to a request sonde never saw: reported alone.
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 5, &[0x88]),
    );
    assert!(conn.exchanges().is_empty());
    let reasons: Vec<_> = conn
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Unpaired(u) => Some(u.reason),
            _ => None,
        })
        .collect();
    assert_eq!(reasons, vec![crate::UnpairedReason::NoRequest]);
}

#[test]
fn a_preface_split_or_cut_is_still_the_preface() {
    let mut conn = Conn::new(Role::Server);
    conn.k = 0;
    conn.session = Session::new(Protocol::Http2, Role::Server, Limits::default());
    conn.send(Role::Client, &PREFACE[..5]);
    conn.send(Role::Client, &PREFACE[5..]);
    conn.send(
        Role::Client,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &get("/")),
    );
    conn.send(
        Role::Server,
        &frame(frame::HEADERS, END_HEADERS | END_STREAM, 1, &[0x88]),
    );
    assert_eq!(conn.exchanges().len(), 1);
    assert_eq!(conn.session.stats().malformed, 0);
}

#[test]
fn may_start_accepts_frames_and_the_preface_only() {
    assert!(Http2::may_start(Role::Client, b"PRI * HT"));
    assert!(!Http2::may_start(Role::Server, b"PRI * HTTP/2.0\r\n"));
    assert!(Http2::may_start(
        Role::Server,
        &frame(frame::SETTINGS, 0, 0, &[0; 6])
    ));
    let two = [
        frame(frame::HEADERS, END_HEADERS, 1, &[0x88]),
        frame(frame::DATA, END_STREAM, 1, b"x"),
    ]
    .concat();
    assert!(Http2::may_start(Role::Server, &two));
    assert!(Http2::may_start(Role::Server, &two[..12]));
    // Short, but what is there could begin a frame.
    assert!(Http2::may_start(Role::Client, &[0, 0]));
    for bad in [
        &b"GET / HTTP/1.1\r\n"[..],
        &frame(frame::HEADERS, 0x40, 1, &[0x88]),
        &frame(frame::PING, 0, 0, &[0; 7]),
        &frame(0x20, 0, 0, &[]),
        &[0, 0x40, 1, 0, 0, 0, 0, 0, 1], // DATA larger than 16 KiB
        &[0, 0, 1, 1, 4, 0x80, 0, 0, 1], // reserved bit set
    ] {
        assert!(!Http2::may_start(Role::Server, bad), "{bad:?}");
    }
    // The second frame counts too.
    let mut junk = frame(frame::HEADERS, END_HEADERS, 1, &[0x88]);
    junk.extend(b"hello world");
    assert!(!Http2::may_start(Role::Server, &junk));
}

fn response(status: Option<u16>, grpc: Option<u32>) -> Response {
    let mut r = Response::new(1);
    r.status = status;
    r.grpc_status = grpc;
    r
}

#[test]
fn grpc_status_from_trailers_resets_and_http_statuses() {
    assert_eq!(grpc_status(&response(Some(200), Some(5))), Some(5));
    assert_eq!(grpc_status(&response(Some(200), None)), Some(2));
    for (http, code) in [
        (400, 13),
        (401, 16),
        (403, 7),
        (404, 12),
        (429, 14),
        (502, 14),
        (503, 14),
        (504, 14),
        (500, 2),
    ] {
        assert_eq!(
            grpc_status(&response(Some(http), None)),
            Some(code),
            "{http}"
        );
    }
    let mut r = response(None, None);
    for (reset, code) in [(8, 1), (7, 14), (0xb, 8), (0xc, 7), (2, 13), (0, 13)] {
        r.end = End::Reset {
            code: reset,
            by: Role::Server,
        };
        assert_eq!(grpc_status(&r), Some(code), "{reset}");
    }
    // Headers unknown: no status at all rather than a guess.
    let mut r = response(Some(200), None);
    r.headers_incomplete = true;
    assert_eq!(grpc_status(&r), None);
    assert_eq!(grpc_status(&response(None, None)), None);
    assert_eq!(grpc_status_name(5), "NOT_FOUND");
    assert_eq!(grpc_status_name(16), "UNAUTHENTICATED");
    assert_eq!(grpc_status_name(99), "99");
}

#[test]
fn grpc_errors_fail_the_client_always_and_the_server_for_its_own_faults() {
    let mut q = Request::new(1);
    for (n, v) in [
        (":method", "POST"),
        (":path", "/pkg.v1.Svc/Do"),
        ("content-type", "application/grpc+proto"),
    ] {
        q.header(n.as_bytes(), v.as_bytes());
    }
    for code in 0..=16u32 {
        let r = response(Some(200), Some(code));
        let client = describe_as(Role::Client, &q, &r);
        let server = describe_as(Role::Server, &q, &r);
        assert_eq!(client.family, Family::Rpc);
        assert_eq!(client.name, "pkg.v1.Svc/Do");
        assert_eq!(
            attr(&client, "rpc.service"),
            Some(&Value::Str("pkg.v1.Svc".into()))
        );
        assert_eq!(attr(&client, "rpc.method"), Some(&Value::Str("Do".into())));
        assert_eq!(
            attr(&client, "rpc.grpc.status_code"),
            Some(&Value::Int(code.into()))
        );
        assert_eq!(client.failed, code != 0, "{code}");
        let server_fault = matches!(code, 2 | 4 | 12 | 13 | 14 | 15);
        assert_eq!(server.failed, server_fault, "{code}");
        if code != 0 && client.failed {
            assert_eq!(client.error_type, Some(grpc_status_name(code)));
        }
    }
}

#[test]
fn names_when_headers_are_missing() {
    // No :method, no :path, plain: "HTTP".
    let q = Request::new(1);
    let r = response(Some(200), None);
    let d = describe_as(Role::Server, &q, &r);
    assert_eq!((d.family, d.name.as_str()), (Family::Http, "HTTP"));
    assert_eq!(attr(&d, "http.request.method"), None);
    // An unusual method: _OTHER, named HTTP, the original kept.
    let mut q = Request::new(1);
    q.header(b":method", b"PROPFIND");
    q.header(b":path", b"/dav?x");
    let d = describe_as(Role::Server, &q, &r);
    assert_eq!(d.name, "HTTP");
    assert_eq!(
        attr(&d, "http.request.method"),
        Some(&Value::Str("_OTHER".into()))
    );
    assert_eq!(
        attr(&d, "http.request.method_original"),
        Some(&Value::Str("PROPFIND".into()))
    );
    assert_eq!(attr(&d, "url.path"), Some(&Value::Str("/dav".into())));
    // gRPC known by its answer only: "grpc".
    let q = Request::new(1);
    let d = describe_as(Role::Client, &q, &response(Some(200), Some(0)));
    assert_eq!((d.family, d.name.as_str()), (Family::Rpc, "grpc"));
    assert_eq!(attr(&d, "rpc.service"), None);
    // A 5xx fails both sides, a 4xx the client only.
    let mut q = Request::new(1);
    q.header(b":method", b"GET");
    for (status, server, client) in [(503, true, true), (404, false, true), (302, false, false)] {
        let r = response(Some(status), None);
        assert_eq!(describe_as(Role::Server, &q, &r).failed, server);
        assert_eq!(describe_as(Role::Client, &q, &r).failed, client);
    }
}

#[test]
fn grpc_framing_is_recognised_in_data_frames() {
    let head = |len: usize, flags: u8| Head {
        len,
        kind: frame::DATA,
        flags,
        stream: 1,
    };
    let mut bytes = frame(frame::DATA, 0, 1, &[0, 0, 0, 0, 3, b'a', b'b', b'c']);
    assert!(frame::one_grpc_message(&head(8, 0), &bytes));
    bytes[9] = 2;
    assert!(!frame::one_grpc_message(&head(8, 0), &bytes));
    let padded = frame(
        frame::DATA,
        frame::PADDED,
        1,
        &[2, 1, 0, 0, 0, 1, b'z', 0, 0],
    );
    assert!(frame::one_grpc_message(&head(9, frame::PADDED), &padded));
    assert!(!frame::one_grpc_message(
        &head(8, 0),
        &frame(frame::DATA, 0, 1, b"abcdefgh")
    ));
    assert!(!frame::one_grpc_message(
        &head(3, 0),
        &frame(frame::DATA, 0, 1, b"abc")
    ));
}
