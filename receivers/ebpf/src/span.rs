//! An HTTP exchange as an OpenTelemetry span and its RED measurement, named and
//! attributed by the HTTP semantic conventions.
//!
//! Timing: a CLIENT span runs from the entry of the request's first write to the
//! return of the response's last read; a SERVER span from the return of the
//! request's first read to the entry of the response's last write. The server's
//! view of an exchange therefore always lies inside the client's.

use std::net::SocketAddr;

use sonde_api::pdata::trace::v1::{span::SpanKind, status::StatusCode};
use sonde_ebpf_protocols::http1;
use sonde_ebpf_protocols::{Exchange, Request, Response, Role};

use crate::capture::SocketTuple;
use crate::clock::Clock;
use crate::join::SpanIds;
use crate::red::{RedAttributes, RedMetric};

mod described;
mod wire;

pub use described::{described_span, Seen};

use wire::SpanHeader;
pub use wire::{delimited_len, put_bytes, put_len, SpanWriter};

/// What the RED metrics need of a span written out.
pub struct Measured {
    /// The histogram it lands in.
    pub side: RedMetric,
    pub red: RedAttributes,
    pub duration_seconds: f64,
}

/// What a span needs besides the exchange.
pub struct SpanContext<'a> {
    pub ids: SpanIds,
    /// The connection as the traced process sees it.
    pub tuple: SocketTuple,
    /// `http.route`, for HTTP server spans.
    pub route: Option<&'a str>,
    pub capture_query: bool,
    pub clock: Clock,
}

/// Appends the span of an HTTP/1 exchange to `out` (as a `ScopeSpans.spans`
/// field); `None`, and nothing written, for another protocol.
pub fn http_span(
    x: &Exchange,
    cx: &SpanContext<'_>,
    writer: &mut SpanWriter,
    out: &mut Vec<u8>,
) -> Option<Measured> {
    let (Request::Http1(request), Response::Http1(response)) = (&x.request, &x.response) else {
        return None;
    };
    let side = match x.role {
        Role::Server => RedMetric::HttpServer,
        Role::Client => RedMetric::HttpClient,
    };
    let (start, end) = match x.role {
        Role::Server => (x.request_meta.first_exit_ns, x.response_meta.last_enter_ns),
        Role::Client => (x.request_meta.start_ns, x.response_meta.end_ns),
    };
    let end = end.max(start);

    let method = request.method.as_str();
    let status = response.status;
    let failed = match x.role {
        Role::Server => status >= 500,
        Role::Client => status >= 400,
    };
    let error_type = failed.then(|| status.to_string());
    let (server_address, server_port) = server_of(request, x.role, cx.tuple);
    let route = match x.role {
        Role::Server => cx.route,
        Role::Client => None,
    };
    let version = request.version.map(|v| v.as_str());

    let w = writer;
    w.text("http.request.method", method);
    if method == "_OTHER" {
        w.text("http.request.method_original", request.method_original());
    }
    w.text("url.path", request.path());
    if cx.capture_query {
        if let Some(query) = request.query() {
            w.text("url.query", query);
        }
    }
    w.text("url.scheme", "http");
    if let Some(route) = route {
        w.text("http.route", route);
    }
    w.int("http.response.status_code", i64::from(status));
    if let Some(address) = &server_address {
        w.text("server.address", address);
    }
    if let Some(port) = server_port {
        w.int("server.port", i64::from(port));
    }
    let peer = cx.tuple.remote;
    let peer_ip = peer.ip().to_string();
    if x.role == Role::Server {
        w.text("client.address", &peer_ip);
        w.int("client.port", i64::from(peer.port()));
    }
    w.text("network.peer.address", &peer_ip);
    w.int("network.peer.port", i64::from(peer.port()));
    if let Some(version) = version {
        w.text("network.protocol.version", version);
    }
    if let Some(agent) = request.header(http1::Header::UserAgent) {
        w.text("user_agent.original", agent);
    }
    if let Some(id) = request.header(http1::Header::XRequestId) {
        w.text_array("http.request.header.x-request-id", id);
    }
    if let Some(error) = &error_type {
        w.text("error.type", error);
    }

    let name = match route {
        Some(route) => format!("{method} {route}"),
        None => method.to_owned(),
    };
    w.finish(
        &SpanHeader {
            trace_id: &cx.ids.trace_id,
            span_id: &cx.ids.span_id,
            parent_span_id: cx.ids.parent_span_id.as_ref(),
            name: &name,
            kind: match x.role {
                Role::Server => SpanKind::Server,
                Role::Client => SpanKind::Client,
            } as i32,
            start_unix_nano: cx.clock.to_unix(start),
            end_unix_nano: cx.clock.to_unix(end),
            status_code: if failed {
                StatusCode::Error
            } else {
                StatusCode::Unset
            } as i32,
        },
        out,
    );
    let red = RedAttributes {
        method: method.to_owned(),
        route: route.map(str::to_owned),
        status_code: Some(status),
        error_type,
        server_address,
        server_port,
        protocol_version: version.map(str::to_owned),
        other: Vec::new(),
    };
    Some(Measured {
        side,
        red,
        duration_seconds: (end - start) as f64 / 1e9,
    })
}

/// `server.address` and `server.port`: from the `Host` header when there is one
/// (what the client asked for), else the server end of the connection.
fn server_of(
    request: &http1::Request,
    side: Role,
    tuple: SocketTuple,
) -> (Option<String>, Option<u16>) {
    let server_end: SocketAddr = match side {
        Role::Server => tuple.local,
        Role::Client => tuple.remote,
    };
    let Some(host) = request
        .header(http1::Header::Host)
        .filter(|h| !h.is_empty())
    else {
        return (Some(server_end.ip().to_string()), Some(server_end.port()));
    };
    let (name, port) = split_host(host);
    (
        Some(name.to_owned()),
        Some(port.unwrap_or(server_end.port())),
    )
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host(host: &str) -> (&str, Option<u16>) {
    if let Some(rest) = host.strip_prefix('[') {
        if let Some((v6, after)) = rest.split_once(']') {
            return (v6, after.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, port.parse().ok()),
        _ => (host, None),
    }
}

#[cfg(test)]
mod tests;
