//! The span of an exchange of any protocol but HTTP/1, from the protocol's own
//! [`Description`]: name, kind, attributes and status as the protocol's parser
//! gave them by the semantic conventions, plus what only the receiver knows
//! (ids, times, the socket's addresses, `http.route`).

use sonde_api::pdata::trace::v1::{span::SpanKind, status::StatusCode};
use sonde_ebpf_protocols::{Attribute, Description, Family, Meta, Role, SpanShape, Value};

use super::wire::SpanHeader;
use super::{Measured, SpanContext, SpanWriter};
use crate::red::{RedAttributes, RedMetric};

/// One side of an exchange, or a request that gets no answer.
pub struct Seen<'a> {
    /// The local endpoint's part in the exchange.
    pub role: Role,
    /// Who opened the connection, when the receiver saw it happen: the
    /// broker's client is a messaging client even while it answers a
    /// delivery the broker pushed to it.
    pub connection_role: Option<Role>,
    pub request: &'a Meta,
    pub response: Option<&'a Meta>,
}

/// Appends the span of `d` to `out` (as a `ScopeSpans.spans` field) and says
/// what its RED metric records, if the conventions give it one.
pub fn described_span(
    d: Description,
    seen: &Seen<'_>,
    cx: &SpanContext<'_>,
    writer: &mut SpanWriter,
    out: &mut Vec<u8>,
) -> Option<Measured> {
    let (start, end) = match (seen.role, seen.response) {
        (Role::Server, Some(response)) => (seen.request.first_exit_ns, response.last_enter_ns),
        (Role::Client, Some(response)) => (seen.request.start_ns, response.end_ns),
        (Role::Server, None) => (seen.request.first_exit_ns, seen.request.end_ns),
        (Role::Client, None) => (seen.request.start_ns, seen.request.end_ns),
    };
    let end = end.max(start);
    let opened_by = seen.connection_role.unwrap_or(seen.role);
    let server_end = match opened_by {
        Role::Client => cx.tuple.remote,
        Role::Server => cx.tuple.local,
    };
    let route = (d.family == Family::Http && seen.role == Role::Server)
        .then_some(cx.route)
        .flatten();

    let w = writer;
    for a in &d.attributes {
        write(w, a);
    }
    if let Some(route) = route {
        w.text("http.route", route);
    }
    let server_address = server_end.ip().to_string();
    w.text("server.address", &server_address);
    w.int("server.port", i64::from(server_end.port()));
    let peer = cx.tuple.remote;
    let peer_ip = peer.ip().to_string();
    if opened_by == Role::Server {
        w.text("client.address", &peer_ip);
        w.int("client.port", i64::from(peer.port()));
    }
    w.text("network.peer.address", &peer_ip);
    w.int("network.peer.port", i64::from(peer.port()));
    if let Some(error) = &d.error_type {
        w.text("error.type", error);
    }
    let name = match route {
        Some(route) => format!("{} {route}", d.name),
        None => d.name.clone(),
    };
    let kind = match (d.shape, seen.role) {
        (SpanShape::Producer, _) => SpanKind::Producer,
        (SpanShape::Consumer, _) => SpanKind::Consumer,
        (SpanShape::ByRole, Role::Server) => SpanKind::Server,
        (SpanShape::ByRole, Role::Client) => SpanKind::Client,
    };
    w.finish(
        &SpanHeader {
            trace_id: &cx.ids.trace_id,
            span_id: &cx.ids.span_id,
            parent_span_id: cx.ids.parent_span_id.as_ref(),
            name: &name,
            kind: kind as i32,
            start_unix_nano: cx.clock.to_unix(start),
            end_unix_nano: cx.clock.to_unix(end),
            status_code: if d.failed {
                StatusCode::Error
            } else {
                StatusCode::Unset
            } as i32,
        },
        out,
    );

    let metric_role = match d.family {
        Family::Messaging => opened_by,
        _ => seen.role,
    };
    let metric = RedMetric::of(d.family, metric_role)?;
    let keys = d.family.metric_keys();
    let mut other: Vec<Attribute> = d
        .attributes
        .into_iter()
        .filter(|a| keys.contains(&a.key))
        .collect();
    if let Some(route) = route {
        other.push(Attribute::str("http.route", route));
    }
    let red = RedAttributes {
        error_type: d.error_type,
        server_address: Some(server_address),
        server_port: Some(server_end.port()),
        other,
        ..Default::default()
    };
    Some(Measured {
        side: metric,
        red,
        duration_seconds: (end - start) as f64 / 1e9,
    })
}

fn write(w: &mut SpanWriter, a: &Attribute) {
    match &a.value {
        Value::Str(s) => w.text(a.key, s),
        Value::Int(i) => w.int(a.key, *i),
        Value::Bool(b) => w.boolean(a.key, *b),
        Value::StrArray(items) => w.texts(a.key, items),
    }
}
