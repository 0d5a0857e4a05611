//! Head and chunk parsing on recorded bytes (testdata/http1: what curl and
//! wrk sent to a socket, what python http.server and nginx 1.22 answered).

use super::chunked::{self, Phase};
use super::*;
use crate::parse::{Input, Malformed, ParseResult};

const CURL_GET: &[u8] = include_bytes!("../../testdata/http1/curl_get.req");
const CURL_POST_JSON: &[u8] = include_bytes!("../../testdata/http1/curl_post_json.req");
const CURL_POST_CHUNKED: &[u8] = include_bytes!("../../testdata/http1/curl_post_chunked.req");
const PY_GET: &[u8] = include_bytes!("../../testdata/http1/py_get.resp");
const NGINX_GZIP: &[u8] = include_bytes!("../../testdata/http1/nginx_gzip_chunked.resp");

fn request(bytes: &[u8]) -> (Request, Body, usize) {
    match parse_request(Input::new(bytes)) {
        ParseResult::Parsed {
            message: (r, b),
            consumed,
        } => (r, b, consumed),
        other => panic!("not parsed: {other:?}"),
    }
}

fn response(bytes: &[u8], method: Option<Method>) -> (Response, Body, usize) {
    match parse_response(Input::new(bytes), method) {
        ParseResult::Parsed {
            message: (r, b),
            consumed,
        } => (r, b, consumed),
        other => panic!("not parsed: {other:?}"),
    }
}

#[test]
fn curl_get_keeps_the_fields_spans_need() {
    let (r, body, consumed) = request(CURL_GET);
    assert_eq!(consumed, CURL_GET.len());
    assert_eq!(body, Body::None);
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.method_original(), "GET");
    assert_eq!(r.version, Some(Version::Http11));
    assert_eq!(r.path(), "/api/users/42");
    assert_eq!(r.query(), Some("debug=1"));
    assert_eq!(r.authority(), None);
    assert_eq!(r.header(Header::Host), Some("127.0.0.1:18080"));
    assert_eq!(r.header(Header::UserAgent), Some("curl/7.88.1"));
    assert_eq!(r.header(Header::Traceparent), None);
    assert!(!r.connection_close);
    assert!(!r.head_truncated);
}

#[test]
fn curl_post_has_a_length_and_a_traceparent() {
    let (r, body, consumed) = request(CURL_POST_JSON);
    assert_eq!(consumed, CURL_POST_JSON.len() - 16);
    assert_eq!(body, Body::Length(16));
    assert_eq!(r.method, Method::Post);
    assert_eq!(r.content_length, Some(16));
    assert_eq!(
        r.header(Header::Traceparent),
        Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    );
}

#[test]
fn curl_chunked_upload_is_chunked() {
    let (r, body, consumed) = request(CURL_POST_CHUNKED);
    assert_eq!(body, Body::Chunked);
    assert!(r.chunked);
    assert_eq!(
        &CURL_POST_CHUNKED[consumed..],
        b"13\r\nhello chunked world\r\n0\r\n\r\n"
    );
}

#[test]
fn python_http10_response() {
    let (r, body, consumed) = response(PY_GET, Some(Method::Get));
    assert_eq!((r.version, r.status), (Version::Http10, 200));
    assert_eq!(body, Body::Length(17));
    assert_eq!(consumed, PY_GET.len() - 17);
    // HTTP/1.0 without keep-alive closes.
    assert!(r.connection_close);
}

#[test]
fn answers_without_body() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n";
    assert_eq!(response(head, Some(Method::Head)).1, Body::None);
    assert_eq!(response(head, Some(Method::Get)).1, Body::Length(17));
    assert_eq!(response(head, None).1, Body::Length(17));
    for status in [
        "204 No Content",
        "304 Not Modified",
        "100 Continue",
        "103 Early Hints",
    ] {
        let head = format!("HTTP/1.1 {status}\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(
            response(head.as_bytes(), Some(Method::Get)).1,
            Body::None,
            "{status}"
        );
    }
    let (r, body, _) = response(
        b"HTTP/1.1 200 Connection established\r\n\r\n",
        Some(Method::Connect),
    );
    assert_eq!(body, Body::None);
    assert!(r.switches_protocol);
    let (r, _, _) = response(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        Some(Method::Get),
    );
    assert!(r.switches_protocol && !r.is_interim());
}

#[test]
fn response_without_length_runs_until_close() {
    let (r, body, _) = response(b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\n", Some(Method::Get));
    assert_eq!(body, Body::UntilClose);
    assert!(r.connection_close);
    let (_, body, _) = response(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        Some(Method::Get),
    );
    assert_eq!(body, Body::UntilClose);
    let (_, body, _) = response(NGINX_GZIP, Some(Method::Get));
    assert_eq!(body, Body::Chunked);
}

#[test]
fn targets_split_into_path_query_and_authority() {
    type Case<'a> = (&'a [u8], &'a str, Option<&'a str>, Option<&'a str>);
    let cases: [Case; 6] = [
        (
            b"GET /a/b?x=1&y HTTP/1.1\r\n\r\n",
            "/a/b",
            Some("x=1&y"),
            None,
        ),
        (b"GET / HTTP/1.1\r\n\r\n", "/", None, None),
        (
            b"GET http://example.com:8080/p?q HTTP/1.1\r\n\r\n",
            "/p",
            Some("q"),
            Some("example.com:8080"),
        ),
        (
            b"GET http://example.com HTTP/1.1\r\n\r\n",
            "/",
            None,
            Some("example.com"),
        ),
        (
            b"CONNECT example.com:443 HTTP/1.1\r\n\r\n",
            "",
            None,
            Some("example.com:443"),
        ),
        (b"OPTIONS * HTTP/1.1\r\n\r\n", "*", None, None),
    ];
    for (bytes, path, query, authority) in cases {
        let (r, _, _) = request(bytes);
        assert_eq!(
            (r.path(), r.query(), r.authority()),
            (path, query, authority)
        );
    }
}

#[test]
fn unknown_methods_keep_their_name() {
    let (r, _, _) = request(b"PROPFIND /dav HTTP/1.1\r\n\r\n");
    assert_eq!(r.method, Method::Other);
    assert_eq!(r.method.as_str(), "_OTHER");
    assert_eq!(r.method_original(), "PROPFIND");
}

#[test]
fn lenient_where_senders_differ() {
    // Bare LF line ends, empty lines before the request, a folded line,
    // header names in any case, a status line without reason.
    let (r, body, consumed) =
        request(b"\r\n\nGET /x HTTP/1.1\nHOST: h\n X-Folded: yes\nuser-agent:  ua 1.0 \n\n");
    assert_eq!(
        (
            r.path(),
            r.header(Header::Host),
            r.header(Header::UserAgent)
        ),
        ("/x", Some("h"), Some("ua 1.0"))
    );
    assert_eq!((body, consumed), (Body::None, 64));
    let (r, _, _) = response(b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", None);
    assert_eq!(r.status, 200);
    let (r, _, _) = request(b"GET / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n");
    assert_eq!(r.content_length, Some(5));
}

#[test]
fn first_value_of_a_kept_header_wins() {
    let (r, _, _) = request(b"GET / HTTP/1.1\r\nX-Request-ID: one\r\nx-request-id: two\r\n\r\n");
    assert_eq!(r.header(Header::XRequestId), Some("one"));
}

#[test]
fn connection_options() {
    let (r, _, _) = request(b"GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n");
    assert!(r.connection_close);
    let (r, _, _) = request(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert!(!r.connection_close);
    let (r, _, _) = request(b"GET / HTTP/1.0\r\n\r\n");
    assert!(r.connection_close);
}

#[test]
fn malformed_heads_say_why() {
    let cases: [(&[u8], Malformed); 11] = [
        (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            Malformed::StartLine,
        ),
        (b"GET /\r\n\r\n", Malformed::StartLine),
        (b"GET / HTTP/2.0\r\n\r\n", Malformed::Unsupported),
        (b"GET / HTTX/1.1\r\n\r\n", Malformed::StartLine),
        (b"G(T / HTTP/1.1\r\n\r\n", Malformed::StartLine),
        (b"GET /a b HTTP/1.1\r\n\r\n", Malformed::StartLine),
        (
            b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
            Malformed::Header,
        ),
        (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", Malformed::Header),
        (
            b"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            Malformed::Length,
        ),
        (
            b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            Malformed::Length,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            Malformed::Framing,
        ),
    ];
    for (bytes, why) in cases {
        assert_eq!(
            parse_request(Input::new(bytes)).map(|_| ()),
            ParseResult::Malformed(why),
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
    let cases: [(&[u8], Malformed); 4] = [
        (b"HTTP/1.1 20 OK\r\n\r\n", Malformed::StartLine),
        (b"HTTP/1.1 099 Low\r\n\r\n", Malformed::StartLine),
        (b"HTTP/2.0 200 OK\r\n\r\n", Malformed::Unsupported),
        (b"<html>", Malformed::StartLine),
    ];
    for (bytes, why) in cases {
        assert_eq!(
            parse_response(Input::new(bytes), None).map(|_| ()),
            ParseResult::Malformed(why)
        );
    }
}

#[test]
fn garbage_without_newline_is_refused_at_once() {
    assert_eq!(
        parse_request(Input::new(b"\x00\x01\x02 garbage")).map(|_| ()),
        ParseResult::Malformed(Malformed::StartLine)
    );
    assert_eq!(
        parse_request(Input::new(b"GET /pa")).map(|_| ()),
        ParseResult::Incomplete { needed: None }
    );
}

#[test]
fn every_prefix_of_a_head_is_incomplete() {
    for cut in 0..CURL_POST_JSON.len() - 16 {
        assert_eq!(
            parse_request(Input::new(&CURL_POST_JSON[..cut])).map(|_| ()),
            ParseResult::Incomplete { needed: None },
            "cut at {cut}"
        );
    }
    let head_len = PY_GET.len() - 17;
    for cut in 0..head_len {
        assert_eq!(
            parse_response(Input::new(&PY_GET[..cut]), None).map(|_| ()),
            ParseResult::Incomplete { needed: None },
            "cut at {cut}"
        );
    }
}

#[test]
fn a_head_cut_by_the_capture_keeps_the_complete_lines() {
    // 60 bytes captured of a 300-byte write: the request line and Host.
    let ParseResult::Parsed {
        message: (r, body),
        consumed,
    } = parse_request(Input::truncated(&CURL_GET[..60], 240))
    else {
        panic!("not parsed");
    };
    assert_eq!((body, consumed), (Body::Unknown, 60));
    assert!(r.head_truncated);
    assert_eq!(
        (
            r.path(),
            r.header(Header::Host),
            r.header(Header::UserAgent)
        ),
        ("/api/users/42", Some("127.0.0.1:18080"), None)
    );

    // Cut inside the target: what was seen of the path, no version.
    let ParseResult::Parsed {
        message: (r, _), ..
    } = parse_request(Input::truncated(b"GET /api/very/lo", 5000))
    else {
        panic!("not parsed");
    };
    assert_eq!(
        (r.method, r.path(), r.version),
        (Method::Get, "/api/very/lo", None)
    );

    // Cut inside the method: nothing to keep.
    assert_eq!(
        parse_request(Input::truncated(b"GE", 10)).map(|_| ()),
        ParseResult::Incomplete { needed: None }
    );
}

fn chunk(phase: Phase, bytes: &[u8], missing: usize) -> ParseResult<Option<Phase>> {
    chunked::step(phase, Input::truncated(bytes, missing))
}

#[test]
fn chunks_one_at_a_time() {
    let body = b"13\r\nhello chunked world\r\n0\r\n\r\n";
    assert_eq!(
        chunk(Phase::Size, body, 0),
        ParseResult::Parsed {
            message: Some(Phase::Size),
            consumed: 25
        }
    );
    assert_eq!(
        chunk(Phase::Size, &body[25..], 0),
        ParseResult::Parsed {
            message: Some(Phase::Trailers),
            consumed: 3
        }
    );
    assert_eq!(
        chunk(Phase::Trailers, &body[28..], 0),
        ParseResult::Parsed {
            message: None,
            consumed: 2
        }
    );
    // Extensions, upper-case hex, and data reaching past the bytes at hand.
    assert_eq!(
        chunk(Phase::Size, b"1A;name=v\r\nabc", 0),
        ParseResult::Parsed {
            message: Some(Phase::Size),
            consumed: 11 + 26 + 2
        }
    );
    // Trailer fields.
    assert_eq!(
        chunk(Phase::Trailers, b"Expires: never\r\nX: y\r\n\r\nGET", 0),
        ParseResult::Parsed {
            message: None,
            consumed: 24
        }
    );
}

#[test]
fn a_split_size_line_waits() {
    assert_eq!(
        chunk(Phase::Size, b"1", 0),
        ParseResult::Incomplete { needed: None }
    );
    assert_eq!(
        chunk(Phase::Size, b"1a\r", 0),
        ParseResult::Incomplete { needed: None }
    );
    assert_eq!(
        chunk(Phase::Trailers, b"X: y\r\n", 0),
        ParseResult::Incomplete { needed: None }
    );
}

#[test]
fn bad_chunks_are_malformed() {
    assert_eq!(
        chunk(Phase::Size, b"zz\r\n", 0),
        ParseResult::Malformed(Malformed::Framing)
    );
    assert_eq!(
        chunk(Phase::Size, b"\r\n", 0),
        ParseResult::Malformed(Malformed::Framing)
    );
    assert_eq!(
        chunk(Phase::Size, b"11111111111111111\r\n", 0),
        ParseResult::Malformed(Malformed::Framing)
    );
    // Data not followed by CRLF.
    assert_eq!(
        chunk(Phase::Size, b"3\r\nabcXY", 0),
        ParseResult::Malformed(Malformed::Framing)
    );
}

#[test]
fn a_capture_cut_inside_chunks_ends_the_body_with_the_syscall() {
    assert_eq!(
        chunk(Phase::Size, b"", 700),
        ParseResult::Parsed {
            message: None,
            consumed: 700
        }
    );
    assert_eq!(
        chunk(Phase::Size, b"1f", 700),
        ParseResult::Parsed {
            message: None,
            consumed: 702
        }
    );
    assert_eq!(
        chunk(Phase::Trailers, b"X: y", 10),
        ParseResult::Parsed {
            message: None,
            consumed: 14
        }
    );
}

#[test]
fn detection_matches_the_kernel_rules() {
    use crate::protocol::{Direction, Kind, ProtocolParser};
    let d = |b: &[u8]| Http1::detect(b, Direction::Egress);
    assert_eq!(d(CURL_GET), Some(Kind::Request));
    assert_eq!(d(PY_GET), Some(Kind::Response));
    assert_eq!(d(b"HTTP/1.1 200 OK"), Some(Kind::Response));
    assert_eq!(d(b"PRI * HTTP/2.0\r\n"), None);
    assert_eq!(d(b"get / HTTP/1.1"), None);
    assert_eq!(d(b"GET"), None);
    assert_eq!(d(b"\x16\x03\x01"), None);
    assert_eq!(d(b"SSH-2.0-OpenSSH"), None);
    assert!(REQUEST_PREFIXES
        .iter()
        .chain(RESPONSE_PREFIXES.iter())
        .all(|p| p.len() <= crate::DETECT_LEN));
}

#[test]
fn may_start_refuses_bodies() {
    use crate::protocol::{ProtocolParser, Role};
    assert!(Http1::may_start(Role::Client, b"GET / HTTP/1.1"));
    assert!(Http1::may_start(Role::Client, b"\r\nPROPFIND /"));
    assert!(Http1::may_start(Role::Client, b"GE"));
    assert!(!Http1::may_start(Role::Client, b"hello world"));
    assert!(!Http1::may_start(Role::Client, b"{\"a\":1}"));
    assert!(!Http1::may_start(Role::Client, b" GET /"));
    assert!(Http1::may_start(Role::Server, b"HTTP/1.1 200 OK"));
    assert!(Http1::may_start(Role::Server, b"HTT"));
    assert!(!Http1::may_start(Role::Server, b"1f\r\n"));
    assert!(!Http1::may_start(Role::Server, b"xxxxxxxx"));
}
