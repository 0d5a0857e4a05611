//! HTTP/1 through a whole session: recorded requests and responses pushed
//! as syscalls, exchanges and unpaired messages checked field by field.

mod common;

use common::*;
use sonde_ebpf_protocols::http1::{Header, Method, Version};
use sonde_ebpf_protocols::{
    detect, Detection, Direction, Half, Kind, Limits, Malformed, Meta, Protocol, Role,
    TraceContext, UnpairedReason,
};

const CURL_GET: &[u8] = include_bytes!("../testdata/http1/curl_get.req");
const CURL_HEAD: &[u8] = include_bytes!("../testdata/http1/curl_head.req");
const CURL_POST_JSON: &[u8] = include_bytes!("../testdata/http1/curl_post_json.req");
const CURL_POST_CHUNKED: &[u8] = include_bytes!("../testdata/http1/curl_post_chunked.req");
const WRK_GET3: &[u8] = include_bytes!("../testdata/http1/wrk_get3.req");
const PY_GET: &[u8] = include_bytes!("../testdata/http1/py_get.resp");
const PY_HEAD: &[u8] = include_bytes!("../testdata/http1/py_head.resp");
const PY_404: &[u8] = include_bytes!("../testdata/http1/py_404.resp");
const NGINX_KEEPALIVE: &[u8] = include_bytes!("../testdata/http1/nginx_keepalive.resp");
const NGINX_PIPELINED: &[u8] = include_bytes!("../testdata/http1/nginx_pipelined.resp");
const NGINX_GZIP: &[u8] = include_bytes!("../testdata/http1/nginx_gzip_chunked.resp");
const NGINX_CONTINUE: &[u8] = include_bytes!("../testdata/http1/nginx_continue.resp");
const NGINX_304: &[u8] = include_bytes!("../testdata/http1/nginx_304.resp");
const NGINX_CLOSE: &[u8] = include_bytes!("../testdata/http1/nginx_close.resp");
const NGINX_BIG: &[u8] = include_bytes!("../testdata/http1/nginx_big.resp");

fn meta(
    start_ns: u64,
    end_ns: u64,
    tcp_seq: u32,
    trace_id: u64,
    bytes: u64,
    truncated: bool,
) -> Meta {
    // Every segment of the harness returns 10 ns after it enters.
    Meta {
        start_ns,
        end_ns,
        first_exit_ns: start_ns + 10,
        last_enter_ns: end_ns - 10,
        tcp_seq,
        tid: 7,
        trace_id,
        bytes,
        truncated,
    }
}

#[test]
fn curl_against_python_http_server_is_one_exchange() {
    // The server side: python writes the head, then the file.
    let mut c = Conn::new(Role::Server);
    c.push(IN, CURL_GET);
    c.push(OUT, &PY_GET[..186]);
    c.push(OUT, &PY_GET[186..]);
    assert_eq!(c.events.len(), 1);
    let x = c.exchanges()[0];
    assert_eq!(x.role, Role::Server);
    assert_eq!(x.protocol(), Protocol::Http1);
    assert_eq!(x.request_meta, meta(enter(0), exit(0), 0, 1, 99, false));
    assert_eq!(
        x.response_meta,
        meta(enter(1), exit(2), 1000, 2, 203, false)
    );
    assert_eq!(x.duration_ns(), exit(2) - enter(0));
    let (q, r) = http(x);
    assert_eq!(
        (q.method, q.path(), q.query(), q.version),
        (
            Method::Get,
            "/api/users/42",
            Some("debug=1"),
            Some(Version::Http11)
        )
    );
    assert_eq!(q.header(Header::UserAgent), Some("curl/7.88.1"));
    assert_eq!(
        (r.status, r.version, r.content_length, r.connection_close),
        (200, Version::Http10, Some(17), true)
    );
    c.close();
    assert_eq!(c.events.len(), 1);
    assert_eq!(c.session.stats().malformed, 0);
}

#[test]
fn detection_gives_protocol_kind_and_role() {
    let d = detect(CURL_GET, Direction::Ingress).unwrap();
    assert_eq!(
        d,
        Detection {
            protocol: Protocol::Http1,
            kind: Kind::Request
        }
    );
    assert_eq!(d.local_role(Direction::Ingress), Role::Server);
    assert_eq!(d.local_role(Direction::Egress), Role::Client);
    let d = detect(NGINX_GZIP, Direction::Ingress).unwrap();
    assert_eq!(
        (d.kind, d.local_role(Direction::Ingress)),
        (Kind::Response, Role::Client)
    );
    assert_eq!(
        detect(b"\x16\x03\x01\x00\xa5\x01\x00\x00", Direction::Egress),
        None
    );
    assert_eq!(Protocol::from_name("http1"), Some(Protocol::Http1));
    assert_eq!(Protocol::Http1.name(), "http1");
}

/// Push `request` then `response` on a client connection, each cut into
/// segments at `cuts`, and return the one exchange.
fn one_exchange(request: &[&[u8]], response: &[&[u8]]) -> (sonde_ebpf_protocols::Exchange, Conn) {
    let mut c = Conn::new(Role::Client);
    for part in request {
        c.push(OUT, part);
    }
    for part in response {
        c.push(IN, part);
    }
    assert_eq!(c.exchanges().len(), 1, "events: {:?}", c.events);
    assert_eq!(c.events.len(), 1);
    (c.exchanges()[0].clone(), c)
}

#[test]
fn a_request_split_at_every_byte_parses_identically() {
    let (whole, _) = one_exchange(&[CURL_POST_JSON], &[NGINX_CONTINUE]);
    for i in 1..CURL_POST_JSON.len() {
        let (x, c) = one_exchange(
            &[&CURL_POST_JSON[..i], &CURL_POST_JSON[i..]],
            &[NGINX_CONTINUE],
        );
        assert_eq!(x.request, whole.request, "split at {i}");
        assert_eq!(x.response, whole.response, "split at {i}");
        assert_eq!(
            x.request_meta,
            meta(enter(0), exit(1), 0, 1, 227, false),
            "split at {i}"
        );
        assert_eq!(
            x.response_meta,
            meta(
                enter(2),
                exit(2),
                2025,
                3,
                NGINX_CONTINUE.len() as u64 - 25,
                false
            ),
            "split at {i}"
        );
        assert_eq!(c.session.stats().malformed, 0);
    }
}

#[test]
fn a_response_split_at_every_byte_parses_identically() {
    let (whole, _) = one_exchange(&[CURL_GET], &[NGINX_GZIP]);
    for i in 1..NGINX_GZIP.len() {
        let (x, _) = one_exchange(&[CURL_GET], &[&NGINX_GZIP[..i], &NGINX_GZIP[i..]]);
        assert_eq!(x.response, whole.response, "split at {i}");
        assert_eq!(
            x.response_meta,
            meta(enter(1), exit(2), 1000, 2, 297, false),
            "split at {i}"
        );
    }
}

#[test]
fn a_chunked_upload_split_at_every_pair_of_bytes_parses_identically() {
    let (whole, _) = one_exchange(&[CURL_POST_CHUNKED], &[PY_GET]);
    let (q, _) = http(&whole);
    assert_eq!(
        (q.method, q.path(), q.chunked),
        (Method::Post, "/upload", true)
    );
    assert_eq!(whole.request_meta.bytes, 193);
    let n = CURL_POST_CHUNKED.len();
    for i in 1..n {
        for j in i + 1..n {
            let parts = [
                &CURL_POST_CHUNKED[..i],
                &CURL_POST_CHUNKED[i..j],
                &CURL_POST_CHUNKED[j..],
            ];
            let (x, _) = one_exchange(&parts, &[PY_GET]);
            assert_eq!(x.request, whole.request, "split at {i}, {j}");
            assert_eq!(
                x.request_meta,
                meta(enter(0), exit(2), 0, 1, 193, false),
                "split at {i}, {j}"
            );
        }
    }
}

#[test]
fn chunked_response_with_trailers_split_in_its_size_lines() {
    let response: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Expires\r\n\r\n\
        4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n";
    let size_line_cuts = [69, 70, 78, 105, 110];
    for cut in size_line_cuts {
        let (x, c) = one_exchange(&[CURL_GET], &[&response[..cut], &response[cut..]]);
        assert_eq!(http(&x).1.status, 200);
        assert_eq!(x.response_meta.bytes, response.len() as u64, "cut {cut}");
        assert_eq!(x.response_meta.end_ns, exit(2));
        assert_eq!(c.session.stats().malformed, 0);
    }
}

#[test]
fn three_pipelined_requests_pair_in_order_with_responses_in_two_segments() {
    // wrk's three requests in one write; nginx's three answers in two
    // reads, the second cut inside the second response's head.
    let mut c = Conn::new(Role::Client);
    c.push(OUT, WRK_GET3);
    let cut = 254 + 100;
    c.push(IN, &NGINX_PIPELINED[..cut]);
    c.push(IN, &NGINX_PIPELINED[cut..]);
    assert_eq!(c.summary(), vec![("GET".into(), "/bench".into(), 200); 3]);
    let x = c.exchanges();
    for (i, x) in x.iter().enumerate() {
        assert_eq!(
            x.request_meta,
            meta(enter(0), exit(0), 46 * i as u32, 1, 46, false)
        );
    }
    assert_eq!(
        (x[0].response_meta.start_ns, x[0].response_meta.end_ns),
        (enter(1), exit(1))
    );
    assert_eq!(
        (x[1].response_meta.start_ns, x[1].response_meta.end_ns),
        (enter(1), exit(2))
    );
    assert_eq!(
        (x[2].response_meta.start_ns, x[2].response_meta.end_ns),
        (enter(2), exit(2))
    );
    assert_eq!(x[1].response_meta.tcp_seq, 1000 + 254);
    assert_eq!(x[2].response_meta.tcp_seq, 2000 + 254 * 2 - cut as u32);
}

#[test]
fn keep_alive_with_head_204_and_a_body_after_them() {
    // nginx answered GET, HEAD (Content-Length 17, no body), 204, GET.
    let ka = NGINX_KEEPALIVE;
    let lens = [254, 237, 110, 254];
    assert_eq!(lens.iter().sum::<usize>(), ka.len());
    let req =
        |m: &str, p: &str| format!("{m} {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").into_bytes();
    let mut c = Conn::new(Role::Client);
    let mut at = 0;
    for (i, (m, p)) in [
        ("GET", "/hello.txt"),
        ("HEAD", "/hello.txt"),
        ("GET", "/nocontent"),
        ("GET", "/hello.txt"),
    ]
    .iter()
    .enumerate()
    {
        c.push(OUT, &req(m, p));
        c.push(IN, &ka[at..at + lens[i]]);
        at += lens[i];
    }
    assert_eq!(
        c.summary(),
        vec![
            ("GET".into(), "/hello.txt".into(), 200),
            ("HEAD".into(), "/hello.txt".into(), 200),
            ("GET".into(), "/nocontent".into(), 204),
            ("GET".into(), "/hello.txt".into(), 200),
        ]
    );
    let bytes: Vec<u64> = c
        .exchanges()
        .iter()
        .map(|x| x.response_meta.bytes)
        .collect();
    assert_eq!(bytes, vec![254, 237, 110, 254]);
}

#[test]
fn head_answers_in_one_read_with_the_next_response() {
    // The HEAD answer says Content-Length: 17 and has no body: the next
    // response follows at once in the same read.
    let mut c = Conn::new(Role::Client);
    c.push(OUT, CURL_HEAD);
    c.push(OUT, CURL_GET);
    let both = [PY_HEAD, PY_GET].concat();
    c.push(IN, &both);
    assert_eq!(
        c.summary(),
        vec![
            ("HEAD".into(), "/index.html".into(), 200),
            ("GET".into(), "/api/users/42".into(), 200)
        ]
    );
    let x = c.exchanges();
    assert_eq!(
        (x[0].response_meta.bytes, x[1].response_meta.bytes),
        (186, 203)
    );
}

#[test]
fn not_modified_has_no_body() {
    let mut c = Conn::new(Role::Client);
    c.push(OUT, CURL_GET);
    c.push(OUT, CURL_GET);
    c.push(IN, &[NGINX_304, PY_GET].concat());
    assert_eq!(
        c.exchanges()
            .iter()
            .map(|x| http(x).1.status)
            .collect::<Vec<_>>(),
        vec![304, 200]
    );
}

#[test]
fn continue_is_not_the_final_answer() {
    // curl-style upload with Expect: nginx says 100 before the body comes.
    let head = b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    let mut c = Conn::new(Role::Client);
    c.push(OUT, head);
    c.push(IN, &NGINX_CONTINUE[..25]);
    assert!(c.events.is_empty());
    c.push(OUT, b"hello");
    c.push(IN, &NGINX_CONTINUE[25..]);
    assert_eq!(c.summary(), vec![("POST".into(), "/echo".into(), 200)]);
    let x = c.exchanges()[0];
    assert_eq!(
        x.request_meta,
        meta(enter(0), exit(2), 0, 1, head.len() as u64 + 5, false)
    );
    assert_eq!(x.response_meta.start_ns, enter(3));
    assert_eq!(c.session.stats().interim, 1);
}

#[test]
fn an_early_answer_pairs_with_a_request_whose_body_never_came() {
    let mut c = Conn::new(Role::Server);
    c.push(IN, b"PUT /big HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
    c.push(
        OUT,
        b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(c.events.is_empty());
    c.close();
    assert_eq!(c.summary(), vec![("PUT".into(), "/big".into(), 413)]);
    let x = c.exchanges()[0];
    assert!(x.request_meta.truncated);
    assert!(http(x).1.connection_close);
}

#[test]
fn a_10k_body_captured_at_1k_does_not_hide_the_next_request() {
    // One write of head + 10 000 bytes, 1 KiB captured; then the next
    // keep-alive request.
    let mut post = b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 10000\r\n\r\n".to_vec();
    let head = post.len();
    post.extend(std::iter::repeat_n(b'x', 10_000));
    let mut c = Conn::new(Role::Server);
    c.push_cut(IN, &post[..1024], post.len());
    c.push(OUT, PY_GET);
    c.push(IN, CURL_GET);
    c.push(OUT, PY_GET);
    assert_eq!(
        c.summary(),
        vec![
            ("POST".into(), "/upload".into(), 200),
            ("GET".into(), "/api/users/42".into(), 200)
        ]
    );
    let x = c.exchanges();
    assert_eq!(
        x[0].request_meta,
        meta(enter(0), exit(0), 0, 1, (head + 10_000) as u64, true)
    );
    assert_eq!(
        x[1].request_meta,
        meta(enter(2), exit(2), 2000, 3, 99, false)
    );
    assert_eq!(c.session.stats().malformed, 0);
}

#[test]
fn a_big_response_read_in_truncated_pieces_ends_at_its_last_piece() {
    // nginx's 10 000-byte file read in three recvs, each captured at 1 KiB,
    // then the next exchange on the connection.
    let mut c = Conn::new(Role::Client);
    c.push(OUT, CURL_GET);
    let pieces = [4000, 4000, NGINX_BIG.len() - 8000];
    let mut at = 0;
    for len in pieces {
        let piece = &NGINX_BIG[at..at + len];
        c.push_cut(IN, &piece[..1024], len);
        at += len;
    }
    c.push(OUT, CURL_GET);
    c.push(IN, PY_GET);
    assert_eq!(c.summary().len(), 2);
    let x = c.exchanges();
    assert_eq!(
        x[0].response_meta,
        meta(enter(1), exit(3), 1000, 2, NGINX_BIG.len() as u64, true)
    );
    assert_eq!(http(x[0]).1.content_length, Some(10_000));
    assert_eq!(
        x[1].response_meta,
        meta(enter(5), exit(5), 5000, 6, 203, false)
    );
}

#[test]
fn a_head_cut_by_the_capture_still_makes_a_span() {
    // A request with a long cookie: 1 KiB of 3 KiB captured.
    let mut req =
        b"GET /account?tab=1 HTTP/1.1\r\nHost: shop\r\nUser-Agent: Mozilla/5.0\r\nCookie: "
            .to_vec();
    req.extend(std::iter::repeat_n(b'c', 3000));
    req.extend(b"\r\ntraceparent: 00-aa-bb-01\r\n\r\n");
    let mut c = Conn::new(Role::Server);
    c.push_cut(IN, &req[..1024], req.len());
    c.push(OUT, PY_404);
    c.push(IN, CURL_GET);
    c.push(OUT, PY_GET);
    assert_eq!(
        c.summary(),
        vec![
            ("GET".into(), "/account".into(), 404),
            ("GET".into(), "/api/users/42".into(), 200)
        ]
    );
    let x = c.exchanges()[0];
    let (q, _) = http(x);
    assert!(q.head_truncated && x.request_meta.truncated);
    assert_eq!(
        (
            q.query(),
            q.header(Header::Host),
            q.header(Header::UserAgent),
            q.header(Header::Traceparent)
        ),
        (Some("tab=1"), Some("shop"), Some("Mozilla/5.0"), None)
    );
    assert_eq!(x.request_meta.bytes, req.len() as u64);
}

#[test]
fn a_chunked_body_cut_by_the_capture_resumes_at_the_next_response() {
    // A chunked response of 5 000 bytes in one write, 1 KiB captured, the
    // rest of the body in a second write, then the next exchange.
    let mut resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..10 {
        resp.extend(b"1f4\r\n");
        resp.extend(std::iter::repeat_n(b'z', 500));
        resp.extend(b"\r\n");
    }
    let (first, second) = resp.split_at(3000);
    let mut second = second.to_vec();
    second.extend(b"0\r\n\r\n");
    let mut c = Conn::new(Role::Client);
    c.push(OUT, CURL_GET);
    c.push_cut(IN, &first[..1024], first.len());
    c.push(IN, &second);
    c.push(OUT, CURL_GET);
    c.push(IN, PY_GET);
    assert_eq!(c.summary().len(), 2);
    let x = c.exchanges();
    // The body's end is taken to be the end of the captured syscall.
    assert_eq!(
        x[0].response_meta,
        meta(enter(1), exit(1), 1000, 2, 3000, true)
    );
    assert_eq!(x[1].response_meta.start_ns, enter(4));
    let stats = c.session.stats();
    assert_eq!(
        (stats.malformed, stats.dropped_segments, stats.dropped_bytes),
        (0, 1, second.len() as u64)
    );
}

#[test]
fn garbage_is_malformed_then_the_next_request_parses() {
    let mut rng = Rng::new(0x5eed);
    let mut c = Conn::new(Role::Server);
    c.push(IN, CURL_GET);
    c.push(OUT, PY_GET);
    // Binary garbage where a request should be, then more of it.
    let mut garbage = rng.bytes(300);
    garbage[0] = 0x8f;
    c.push(IN, &garbage);
    c.push(IN, &rng.bytes(200));
    c.push(IN, CURL_GET);
    c.push(OUT, PY_GET);
    assert_eq!(c.summary().len(), 2);
    let stats = *c.session.stats();
    assert_eq!(
        (stats.malformed, stats.last_malformed),
        (1, Some(Malformed::StartLine))
    );
    assert_eq!((stats.dropped_segments, stats.dropped_bytes), (1, 500));
    assert_eq!(c.exchanges()[1].request_meta.start_ns, enter(4));
}

#[test]
fn a_bad_header_line_resyncs_at_the_next_segment() {
    let mut c = Conn::new(Role::Server);
    c.push(IN, b"GET /x HTTP/1.1\r\nthis is not a header\r\n\r\n");
    c.push(IN, b"hello world");
    c.push(IN, CURL_GET);
    c.push(OUT, PY_GET);
    assert_eq!(
        c.summary(),
        vec![("GET".into(), "/api/users/42".into(), 200)]
    );
    let stats = c.session.stats();
    assert_eq!(
        (
            stats.malformed,
            stats.last_malformed,
            stats.dropped_segments
        ),
        (1, Some(Malformed::Header), 1)
    );
}

#[test]
fn a_session_joining_mid_body_waits_for_a_message_start() {
    // sonde started while a response body was flowing.
    let mut c = Conn::new(Role::Client);
    c.push(IN, b"xxxxxxxxxxxxxxxxxx");
    c.push(IN, b"rest of some body\r\n");
    c.push(OUT, CURL_GET);
    c.push(IN, PY_GET);
    assert_eq!(c.summary().len(), 1);
    assert_eq!(c.session.stats().dropped_segments, 2);
    assert_eq!(c.session.stats().malformed, 0);
}

#[test]
fn a_response_until_close_ends_at_the_close() {
    let mut c = Conn::new(Role::Client);
    c.push(OUT, b"GET /stream HTTP/1.0\r\n\r\n");
    c.push(
        IN,
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst part",
    );
    c.push(IN, b"second part");
    assert!(c.events.is_empty());
    c.close();
    let x = c.exchanges()[0];
    assert_eq!(
        x.response_meta,
        meta(enter(1), exit(2), 1000, 2, 45 + 10 + 11, false)
    );
    assert!(http(x).1.connection_close);
}

#[test]
fn connection_close_is_reported() {
    let mut c = Conn::new(Role::Client);
    c.push(
        OUT,
        b"GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    c.push(IN, NGINX_CLOSE);
    c.close();
    assert_eq!(c.events.len(), 1);
    let (q, r) = http(c.exchanges()[0]);
    assert!(q.connection_close && r.connection_close);
}

#[test]
fn unpaired_messages_are_reported_with_their_reason() {
    let mut c = Conn::new(Role::Client);
    // An answer to a request sonde never saw.
    c.push(IN, PY_GET);
    c.push(OUT, CURL_GET);
    c.close();
    let u = c.unpaired();
    assert_eq!(u.len(), 2);
    assert_eq!(
        (
            u[0].reason,
            u[0].role,
            matches!(u[0].message, Half::Response(_))
        ),
        (UnpairedReason::NoRequest, Role::Client, true)
    );
    assert_eq!(
        (
            u[1].reason,
            u[1].role,
            matches!(u[1].message, Half::Request(_))
        ),
        (UnpairedReason::Closed, Role::Client, true)
    );
    assert_eq!(u[1].meta, meta(enter(1), exit(1), 1000, 2, 99, false));
}

#[test]
fn outstanding_requests_are_capped() {
    let limits = Limits {
        max_pending: 2,
        ..Limits::default()
    };
    let mut c = Conn::with_limits(Role::Server, limits);
    for path in ["/1", "/2", "/3"] {
        c.push(IN, format!("GET {path} HTTP/1.1\r\n\r\n").as_bytes());
    }
    let u = c.unpaired();
    assert_eq!(u.len(), 1);
    assert_eq!(
        (
            u[0].reason,
            req(match &u[0].message {
                Half::Request(r) => r,
                Half::Response(_) => unreachable!(),
            })
            .path()
        ),
        (UnpairedReason::Evicted, "/1")
    );
    c.push(OUT, PY_GET);
    assert_eq!(c.summary(), vec![("GET".into(), "/2".into(), 200)]);
}

#[test]
fn expired_requests_are_reported() {
    let mut c = Conn::new(Role::Server);
    c.push(IN, b"GET /old HTTP/1.1\r\n\r\n");
    c.push(IN, b"GET /new HTTP/1.1\r\n\r\n");
    let events = &mut c.events;
    c.session.expire(enter(1), |e| events.push(e));
    let u = c.unpaired();
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].reason, UnpairedReason::Expired);
}

#[test]
fn switching_protocols_ends_http1_on_the_connection() {
    let mut c = Conn::new(Role::Client);
    c.push(
        OUT,
        b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    );
    c.push(IN, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello");
    c.push(OUT, b"\x81\x85\x00\x00\x00\x00hello");
    c.push(IN, b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(c.summary(), vec![("GET".into(), "/ws".into(), 101)]);
    assert!(c.session.is_upgraded());
    let stats = c.session.stats();
    assert_eq!((stats.ignored_segments, stats.malformed), (2, 0));
}

#[test]
fn a_head_in_many_small_writes_is_timed_from_the_first() {
    let mut c = Conn::new(Role::Server);
    for line in CURL_GET.split_inclusive(|&b| b == b'\n') {
        c.push(IN, line);
    }
    c.push(OUT, PY_GET);
    let x = c.exchanges()[0];
    assert_eq!(x.request_meta, meta(enter(0), exit(4), 0, 1, 99, false));
    assert_eq!(x.response_meta.start_ns, enter(5));
}

#[test]
fn a_head_one_byte_per_syscall_parses_identically() {
    let (whole, _) = one_exchange(&[CURL_POST_JSON], &[PY_GET]);
    let bytes: Vec<&[u8]> = CURL_POST_JSON.chunks(1).collect();
    let (x, c) = one_exchange(&bytes, &[PY_GET]);
    assert_eq!(x.request, whole.request);
    assert_eq!(x.request_meta, meta(enter(0), exit(226), 0, 1, 227, false));
    assert_eq!(c.session.stats().segments, 228);
    let bytes: Vec<&[u8]> = PY_GET.chunks(1).collect();
    let (x, _) = one_exchange(&[CURL_GET], &bytes);
    assert_eq!(x.response, whole.response);
}

#[test]
fn a_long_head_one_byte_per_syscall_is_parsed_once_complete() {
    // 8 KiB of cookie a byte at a time: each syscall costs a look at the
    // new byte, not a parse of everything so far.
    let mut head = b"GET /slow HTTP/1.1\r\nCookie: ".to_vec();
    head.extend(std::iter::repeat_n(b'k', 8192));
    head.extend(b"\r\nHost: h\r\n\r\n");
    let mut c = Conn::new(Role::Server);
    for b in head.chunks(1) {
        c.push(IN, b);
    }
    c.push(OUT, PY_GET);
    assert_eq!(c.summary(), vec![("GET".into(), "/slow".into(), 200)]);
    let x = c.exchanges()[0];
    assert_eq!(
        (http(x).0.header(Header::Host), x.request_meta.bytes),
        (Some("h"), head.len() as u64)
    );
}

#[test]
fn a_head_larger_than_the_buffer_limit_is_dropped() {
    let limits = Limits {
        max_buffer: 64,
        ..Limits::default()
    };
    let mut c = Conn::with_limits(Role::Server, limits);
    c.push(IN, b"GET /x HTTP/1.1\r\n");
    c.push(IN, &[b"X-Long: ".as_slice(), &[b'a'; 100]].concat());
    c.push(IN, b"\r\n\r\n");
    c.push(IN, CURL_GET);
    c.push(OUT, PY_GET);
    assert_eq!(
        c.summary(),
        vec![("GET".into(), "/api/users/42".into(), 200)]
    );
    let stats = c.session.stats();
    assert_eq!(
        (stats.malformed, stats.last_malformed),
        (1, Some(Malformed::TooLong))
    );
}

/// A request is announced when its head is parsed, with its trace context,
/// before the answer that completes its exchange: the calls a server makes
/// meanwhile can be joined to it.
#[test]
fn a_request_is_announced_with_its_trace_context_before_its_answer() {
    let mut c = Conn::new(Role::Server);
    let (head, body) = CURL_POST_JSON.split_at(CURL_POST_JSON.len() - 16);
    c.push(IN, head);
    assert_eq!(c.started.len(), 1);
    assert!(c.events.is_empty());
    let started = &c.started[0];
    assert_eq!(started.role, Role::Server);
    assert_eq!(
        (
            started.meta.start_ns,
            started.meta.tcp_seq,
            started.meta.trace_id
        ),
        (0, 0, 1)
    );
    assert_eq!(
        started.context,
        TraceContext {
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
            sw8: None,
            request_id: None,
        }
    );
    assert_eq!(started.target.as_deref(), Some("/api/users"));
    c.push(IN, body);
    c.push(OUT, PY_GET);
    assert_eq!((c.started.len(), c.exchanges().len()), (1, 1));

    // Pipelined requests are announced one by one, each with its own sequence number.
    let mut c = Conn::new(Role::Server);
    c.push(IN, WRK_GET3);
    let seqs: Vec<u32> = c.started.iter().map(|s| s.meta.tcp_seq).collect();
    let one = WRK_GET3.len() as u32 / 3;
    assert_eq!(seqs, vec![0, one, 2 * one]);
    assert!(c
        .started
        .iter()
        .all(|s| s.context == TraceContext::default()));
}
