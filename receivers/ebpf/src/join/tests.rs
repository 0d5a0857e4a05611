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
        target: None,
    }
}

/// A request started on thread `tid`, asking for `target`.
fn on_thread(mut s: Started, tid: u32, target: &str) -> Started {
    s.meta.tid = tid;
    s.target = Some(target.to_owned());
    s
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
fn another_thread_or_another_process_does_not_join() {
    let mut j = Joiner::new(2);
    let none = TraceContext::default;
    let server = j.start(at(2, 20, NGINX, CURL), &started(Role::Server, 1, 7, none()));
    let other_pid = j.start(
        at(5, 21, NGINX_OUT, BACKEND),
        &started(Role::Client, 3, 7, none()),
    );
    let other_thread = j.start(
        at(6, 20, NGINX_OUT, BACKEND),
        &on_thread(started(Role::Client, 4, 7, none()), 99, "/"),
    );
    for span in [other_pid, other_thread] {
        assert_ne!(span.trace_id, server.trace_id);
        assert_eq!(span.parent_span_id, None);
    }
    // A different sequence number is different bytes.
    let wrong_seq = j.start(
        at(7, 30, BACKEND, NGINX_OUT),
        &started(Role::Server, 99, 1, none()),
    );
    assert_eq!(wrong_seq.parent_span_id, None);
    // Once the server request is answered, its thread's calls no longer join it.
    j.finish(2, 1);
    let after = j.start(
        at(8, 20, NGINX_OUT, BACKEND),
        &started(Role::Client, 5, 7, none()),
    );
    assert_eq!(after.parent_span_id, None);
}

/// nginx's one thread reads three requests before it calls upstream for any,
/// on one kernel chain; each call finds its own request.
#[test]
fn an_event_loop_serving_many_requests_matches_each_call_to_its_request() {
    let mut j = Joiner::new(5);
    let none = TraceContext::default;
    let serve = |j: &mut Joiner, socket, seq, target| {
        j.start(
            at(socket, 30, NGINX, CURL),
            &on_thread(started(Role::Server, seq, 7, none()), 30, target),
        )
    };
    let a = serve(&mut j, 1, 10, "/a");
    let b = serve(&mut j, 2, 20, "/b");
    let c = serve(&mut j, 3, 30, "/a");
    let call = |j: &mut Joiner, socket, chain, target| {
        j.start(
            at(socket, 30, NGINX_OUT, BACKEND),
            &on_thread(started(Role::Client, 1, chain, none()), 30, target),
        )
    };
    // Same target first; among equals, the fewest children, then the oldest.
    assert_eq!(call(&mut j, 10, 7, "/b").parent_span_id, Some(b.span_id));
    assert_eq!(call(&mut j, 11, 7, "/a").parent_span_id, Some(a.span_id));
    // On a chain opened by reading an upstream answer (8), still a served request.
    assert_eq!(call(&mut j, 12, 8, "/a").parent_span_id, Some(c.span_id));
    // No target matches: the request with the fewest children, then the oldest.
    j.finish(2, 20);
    assert_eq!(call(&mut j, 13, 7, "/zzz").parent_span_id, Some(a.span_id));
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

/// A proxy connects upstream right after reading a request: the call on that
/// socket belongs to that request, whatever order the calls are then sent in.
#[test]
fn a_call_on_a_socket_connected_while_handling_a_request_belongs_to_it() {
    let mut j = Joiner::new(6);
    let none = TraceContext::default;
    let serve = |j: &mut Joiner, socket, seq| {
        j.start(
            at(socket, 30, NGINX, CURL),
            &on_thread(started(Role::Server, seq, 7, none()), 30, "/p"),
        )
    };
    let first = serve(&mut j, 1, 10);
    j.connected(100, 30, 30, 2_000);
    let second = serve(&mut j, 2, 20);
    j.connected(200, 30, 30, 3_000);
    let call = |j: &mut Joiner, socket| {
        j.start(
            at(socket, 30, NGINX_OUT, BACKEND),
            &on_thread(started(Role::Client, 1, 7, none()), 30, "/p"),
        )
    };
    // The second request's call goes out first.
    assert_eq!(call(&mut j, 200).parent_span_id, Some(second.span_id));
    assert_eq!(call(&mut j, 100).parent_span_id, Some(first.span_id));
    // A closed socket forgets; a socket connected while serving nothing joins by the rules.
    j.closed(100);
    j.connected(300, 31, 31, 4_000);
    assert_eq!(call(&mut j, 300).parent_span_id, Some(first.span_id));
}
