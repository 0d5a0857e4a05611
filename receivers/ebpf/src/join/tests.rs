use sonde_ebpf_protocols::{Meta, Role, Started, TraceContext};

use super::*;
use crate::testutil::tuple;

fn started(role: Role, tcp_seq: u32, chain: u64, context: TraceContext) -> Started {
    Started {
        role,
        meta: Meta {
            start_ns: 1_000,
            tcp_seq,
            trace_id: chain,
            ..Meta::default()
        },
        context,
    }
}

fn at(socket_id: u64, pid: u32, local: &str, remote: &str) -> At {
    At {
        socket_id,
        pid,
        tuple: tuple(local, remote),
    }
}

const CURL: &str = "127.0.0.1:40000";
const NGINX: &str = "127.0.0.1:8080";
const NGINX_OUT: &str = "127.0.0.1:40001";
const BACKEND: &str = "127.0.0.1:9000";

/// curl -> nginx -> backend, as the events arrive in causal order: one trace,
/// each span the parent of the next.
#[test]
fn a_proxy_chain_is_one_trace() {
    let mut j = Joiner::new(1);
    let none = TraceContext::default;
    let curl = j.start(
        at(1, 10, CURL, NGINX),
        &started(Role::Client, 500, 0, none()),
    );
    let nginx_in = j.start(
        at(2, 20, NGINX, CURL),
        &started(Role::Server, 500, 7, none()),
    );
    let nginx_out = j.start(
        at(3, 20, NGINX_OUT, BACKEND),
        &started(Role::Client, 900, 7, none()),
    );
    let backend = j.start(
        at(4, 30, BACKEND, NGINX_OUT),
        &started(Role::Server, 900, 3, none()),
    );

    assert_eq!(curl.parent_span_id, None);
    for span in [nginx_in, nginx_out, backend] {
        assert_eq!(span.trace_id, curl.trace_id);
    }
    assert_eq!(nginx_in.parent_span_id, Some(curl.span_id));
    assert_eq!(nginx_out.parent_span_id, Some(nginx_in.span_id));
    assert_eq!(backend.parent_span_id, Some(nginx_out.span_id));

    // The ids come back when each exchange ends, with how they joined.
    assert_eq!(j.finish(4, 900), (backend, JoinedBy::TcpSequence));
    assert_eq!(j.finish(3, 900), (nginx_out, JoinedBy::Thread));
    assert_eq!(j.finish(2, 500), (nginx_in, JoinedBy::TcpSequence));
    assert_eq!(j.finish(1, 500), (curl, JoinedBy::Root));
}

#[test]
fn another_chain_or_another_process_does_not_join() {
    let mut j = Joiner::new(2);
    let none = TraceContext::default;
    let server = j.start(at(2, 20, NGINX, CURL), &started(Role::Server, 1, 7, none()));
    let other_chain = j.start(
        at(3, 20, NGINX_OUT, BACKEND),
        &started(Role::Client, 2, 8, none()),
    );
    let other_pid = j.start(
        at(5, 21, NGINX_OUT, BACKEND),
        &started(Role::Client, 3, 7, none()),
    );
    let no_chain = j.start(
        at(6, 20, NGINX_OUT, BACKEND),
        &started(Role::Client, 4, 0, none()),
    );
    for span in [other_chain, other_pid, no_chain] {
        assert_ne!(span.trace_id, server.trace_id);
        assert_eq!(span.parent_span_id, None);
    }
    // A different sequence number is different bytes.
    let wrong_seq = j.start(
        at(7, 30, BACKEND, NGINX_OUT),
        &started(Role::Server, 99, 1, none()),
    );
    assert_eq!(wrong_seq.parent_span_id, None);
}

#[test]
fn traceparent_sw8_and_request_id() {
    let mut j = Joiner::new(3);
    let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let with = |traceparent: Option<&str>, request_id: Option<&str>| TraceContext {
        traceparent: traceparent.map(String::from),
        sw8: None,
        request_id: request_id.map(String::from),
    };
    let server = j.start(
        at(1, 10, NGINX, CURL),
        &started(Role::Server, 1, 5, with(Some(tp), Some("req-1"))),
    );
    let parent = context::traceparent(tp).unwrap();
    assert_eq!(
        (server.trace_id, server.parent_span_id),
        (parent.trace_id, Some(parent.span_id))
    );
    assert_eq!(j.finish(1, 1).1, JoinedBy::Traceparent);

    // A client's own traceparent wins over the thread it runs on.
    let client = j.start(
        at(2, 10, NGINX_OUT, BACKEND),
        &started(Role::Client, 2, 5, with(Some(tp), None)),
    );
    assert_eq!(client.parent_span_id, Some(parent.span_id));

    // Nothing else: the request id joins to the first span that carried it.
    let later = j.start(
        at(3, 40, BACKEND, "127.0.0.1:1"),
        &started(Role::Server, 3, 9, with(None, Some("req-1"))),
    );
    assert_eq!(
        (later.trace_id, later.parent_span_id),
        (server.trace_id, Some(server.span_id))
    );
    assert_eq!(j.finish(3, 3).1, JoinedBy::RequestId);
}

#[test]
fn unknown_requests_are_roots_and_keys_expire() {
    let mut j = Joiner::new(4);
    let (ids, joined) = j.finish(9, 9);
    assert_eq!((ids.parent_span_id, joined), (None, JoinedBy::Root));
    assert_ne!(ids.trace_id, [0; 16]);

    j.start(
        at(1, 10, CURL, NGINX),
        &started(Role::Client, 500, 0, TraceContext::default()),
    );
    assert_eq!(j.len(), 2, "open + wire");
    j.expire(1_000);
    assert_eq!(j.len(), 2, "not older than the cutoff");
    j.expire(1_001);
    assert_eq!(j.len(), 0);
    let late = j.start(
        at(2, 20, NGINX, CURL),
        &started(Role::Server, 500, 7, TraceContext::default()),
    );
    assert_eq!(late.parent_span_id, None);
}
