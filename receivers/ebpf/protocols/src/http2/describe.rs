//! An HTTP/2 exchange in OpenTelemetry terms: gRPC by the RPC conventions
//! (`rpc.*`, `rpc.grpc.status_code`), everything else by the HTTP ones.
//!
//! The gRPC status is `grpc-status` when the server sent one. Without it:
//! a reset stream maps its error code as gRPC's HTTP/2 transport mapping
//! does (`CANCEL` → CANCELLED, `REFUSED_STREAM` → UNAVAILABLE,
//! `ENHANCE_YOUR_CALM` → RESOURCE_EXHAUSTED, `INADEQUATE_SECURITY` →
//! PERMISSION_DENIED, the rest → INTERNAL); an HTTP status other than 200
//! maps as gRPC's HTTP-to-gRPC table does (400 → INTERNAL, 401 →
//! UNAUTHENTICATED, 403 → PERMISSION_DENIED, 404 → UNIMPLEMENTED, 429, 502,
//! 503, 504 → UNAVAILABLE, others → UNKNOWN); a stream that ended without it
//! although its headers were all read is UNKNOWN; when headers could not be
//! read, the status is left out.

use crate::describe::{Attribute, DescribeContext, Description, Family};
use crate::http1::Method;
use crate::protocol::Role;

use super::frame::error_name;
use super::message::{Field, Request, Response};

/// gRPC status names by code (grpc/doc/statuscodes.md).
const GRPC_STATUS: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

const CANCELLED: u32 = 1;
const UNKNOWN: u32 = 2;
const PERMISSION_DENIED: u32 = 7;
const RESOURCE_EXHAUSTED: u32 = 8;
const UNIMPLEMENTED: u32 = 12;
const INTERNAL: u32 = 13;
const UNAVAILABLE: u32 = 14;
const UNAUTHENTICATED: u32 = 16;

/// The name of gRPC status `code` (`NOT_FOUND`), or the number for codes
/// the spec does not define.
pub fn grpc_status_name(code: u32) -> String {
    GRPC_STATUS
        .get(code as usize)
        .map_or_else(|| code.to_string(), |n| (*n).to_owned())
}

/// The gRPC status of an answer (see the module doc).
pub fn grpc_status(response: &Response) -> Option<u32> {
    if let Some(code) = response.grpc_status {
        return Some(code);
    }
    if let Some((code, _)) = response.reset() {
        return Some(match code {
            0x7 => UNAVAILABLE,
            0x8 => CANCELLED,
            0xb => RESOURCE_EXHAUSTED,
            0xc => PERMISSION_DENIED,
            _ => INTERNAL,
        });
    }
    match response.status {
        None => None,
        Some(200) if response.headers_incomplete => None,
        Some(200) => Some(UNKNOWN),
        Some(400) => Some(INTERNAL),
        Some(401) => Some(UNAUTHENTICATED),
        Some(403) => Some(PERMISSION_DENIED),
        Some(404) => Some(UNIMPLEMENTED),
        Some(429 | 502 | 503 | 504) => Some(UNAVAILABLE),
        Some(_) => Some(UNKNOWN),
    }
}

pub fn describe(
    request: &Request,
    response: Option<&Response>,
    cx: DescribeContext<'_>,
) -> Description {
    // Without a content type (headers unknown), gRPC's message framing in
    // the stream's DATA frames tells.
    let framing =
        request.field(Field::ContentType).is_none() && response.is_some_and(|r| r.grpc_framing);
    let grpc = request.is_grpc() || response.is_some_and(Response::is_grpc) || framing;
    if grpc {
        describe_grpc(request, response, cx)
    } else {
        describe_http(request, response, cx)
    }
}

fn describe_grpc(
    request: &Request,
    response: Option<&Response>,
    cx: DescribeContext<'_>,
) -> Description {
    // `:path` is `/{service}/{method}`.
    let path = request.path().map(|p| p.strip_prefix('/').unwrap_or(p));
    let name = match path {
        Some(p) if !p.is_empty() => p,
        _ => "grpc",
    };
    let mut d = Description::new(Family::Rpc, name);
    d.attributes.push(Attribute::str("rpc.system", "grpc"));
    if let Some((service, method)) = path.and_then(|p| p.rsplit_once('/')) {
        if !service.is_empty() && !method.is_empty() {
            d.attributes.push(Attribute::str("rpc.service", service));
            d.attributes.push(Attribute::str("rpc.method", method));
        }
    }
    let Some(code) = response.and_then(grpc_status) else {
        return d;
    };
    d.attributes
        .push(Attribute::int("rpc.grpc.status_code", i64::from(code)));
    // The RPC conventions: a client fails on any status but OK; a server
    // only on the ones that say it failed.
    let failed = match cx.role {
        Role::Client => code != 0,
        Role::Server => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
    };
    if failed {
        d.fail(grpc_status_name(code));
    }
    d
}

fn describe_http(
    request: &Request,
    response: Option<&Response>,
    cx: DescribeContext<'_>,
) -> Description {
    // The conventions name a span by its method, `HTTP` when it is unknown.
    let name = match request.method {
        Some(m) if m != Method::Other => m.as_str(),
        _ => "HTTP",
    };
    let mut d = Description::new(Family::Http, name);
    if let Some(method) = request.method {
        d.attributes
            .push(Attribute::str("http.request.method", method.as_str()));
        if method == Method::Other {
            if let Some(original) = request.method_original() {
                d.attributes
                    .push(Attribute::str("http.request.method_original", original));
            }
        }
    }
    if let Some(path) = request.path() {
        d.attributes.push(Attribute::str("url.path", path));
    }
    if let Some(scheme) = request.field(Field::Scheme) {
        d.attributes.push(Attribute::str("url.scheme", scheme));
    }
    d.attributes
        .push(Attribute::str("network.protocol.version", "2"));
    let Some(response) = response else {
        return d;
    };
    if let Some(status) = response.status {
        d.attributes.push(Attribute::int(
            "http.response.status_code",
            i64::from(status),
        ));
        let failed = match cx.role {
            Role::Server => status >= 500,
            Role::Client => status >= 400,
        };
        if failed {
            d.fail(status.to_string());
            return d;
        }
    }
    // A stream reset before its end: the answer never came whole. The
    // client failed; the server only when it reset the stream itself.
    if let Some((code, by)) = response.reset() {
        if code != 0 {
            d.error_type = Some(error_name(code).to_owned());
            d.failed = cx.role == Role::Client || by == Role::Server;
        }
    }
    d
}
