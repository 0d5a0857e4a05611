//! Which metric a request lands in ([`RedMetric`]) and the attributes that split
//! it into series ([`RedAttributes`]), with their semantic-convention keys.

use sonde_api::pdata::common::v1::{any_value, AnyValue, KeyValue};
use sonde_ebpf_protocols::{Attribute, Family, Role, Value};

/// The histogram a finished request is recorded in: its protocol family and
/// the side it was seen from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RedMetric {
    HttpServer,
    HttpClient,
    DbClient,
    RpcServer,
    RpcClient,
    MessagingClient,
    DnsLookup,
}

impl RedMetric {
    /// Every metric, in the order a flush lists them.
    pub const ALL: [RedMetric; 7] = [
        RedMetric::HttpServer,
        RedMetric::HttpClient,
        RedMetric::DbClient,
        RedMetric::RpcServer,
        RedMetric::RpcClient,
        RedMetric::MessagingClient,
        RedMetric::DnsLookup,
    ];

    /// The metric of an exchange of `family` seen from the side that played
    /// `role`; `None` where the conventions define none (the server side of
    /// a database or DNS exchange).
    pub fn of(family: Family, role: Role) -> Option<RedMetric> {
        Some(match (family, role) {
            (Family::Http, Role::Server) => RedMetric::HttpServer,
            (Family::Http, Role::Client) => RedMetric::HttpClient,
            (Family::Db, Role::Client) => RedMetric::DbClient,
            (Family::Rpc, Role::Server) => RedMetric::RpcServer,
            (Family::Rpc, Role::Client) => RedMetric::RpcClient,
            (Family::Messaging, Role::Client) => RedMetric::MessagingClient,
            (Family::Dns, Role::Client) => RedMetric::DnsLookup,
            (Family::Db | Family::Messaging | Family::Dns, Role::Server) => return None,
        })
    }

    /// The metric's name in the semantic conventions.
    pub fn metric_name(self) -> &'static str {
        match self {
            RedMetric::HttpServer => "http.server.request.duration",
            RedMetric::HttpClient => "http.client.request.duration",
            RedMetric::DbClient => "db.client.operation.duration",
            RedMetric::RpcServer => "rpc.server.call.duration",
            RedMetric::RpcClient => "rpc.client.call.duration",
            RedMetric::MessagingClient => "messaging.client.operation.duration",
            RedMetric::DnsLookup => "dns.lookup.duration",
        }
    }

    /// The metric's description, as the semantic conventions word it.
    pub fn description(self) -> &'static str {
        match self {
            RedMetric::HttpServer => "Duration of HTTP server requests.",
            RedMetric::HttpClient => "Duration of HTTP client requests.",
            RedMetric::DbClient => "Duration of database client operations.",
            RedMetric::RpcServer => "Measures the duration of inbound remote procedure calls.",
            RedMetric::RpcClient => "Measures the duration of outbound remote procedure calls.",
            RedMetric::MessagingClient => {
                "Duration of messaging operation initiated by a producer or consumer client."
            }
            RedMetric::DnsLookup => "Measures the time taken to perform a DNS lookup.",
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
pub const HTTP_ROUTE: &str = "http.route";
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
pub const ERROR_TYPE: &str = "error.type";
pub const SERVER_ADDRESS: &str = "server.address";
pub const SERVER_PORT: &str = "server.port";
pub const NETWORK_PROTOCOL_VERSION: &str = "network.protocol.version";
/// The attribute of the series that takes every attribute set beyond the limit.
pub const OTEL_METRIC_OVERFLOW: &str = "otel.metric.overflow";

/// The attributes of one series. Series sort by these fields in this order,
/// which is the order of their data points in a flush.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RedAttributes {
    /// `http.request.method`; empty (and left out) for other families.
    pub method: String,
    /// `http.route`
    pub route: Option<String>,
    /// `http.response.status_code` (an int attribute)
    pub status_code: Option<u16>,
    /// `error.type`
    pub error_type: Option<String>,
    /// `server.address`
    pub server_address: Option<String>,
    /// `server.port` (an int attribute)
    pub server_port: Option<u16>,
    /// `network.protocol.version`
    pub protocol_version: Option<String>,
    /// The attributes of the other families (`db.*`, `rpc.*`,
    /// `messaging.*`, `dns.*`), in the order their protocol gave them.
    pub other: Vec<Attribute>,
}

impl RedAttributes {
    /// The OTLP attributes: those set, `http.request.method` first.
    pub fn to_key_values(&self) -> Vec<KeyValue> {
        let mut out = Vec::with_capacity(7 + self.other.len());
        if !self.method.is_empty() {
            out.push(string(HTTP_REQUEST_METHOD, &self.method));
        }
        if let Some(route) = &self.route {
            out.push(string(HTTP_ROUTE, route));
        }
        if let Some(code) = self.status_code {
            out.push(int(HTTP_RESPONSE_STATUS_CODE, code));
        }
        if let Some(error_type) = &self.error_type {
            out.push(string(ERROR_TYPE, error_type));
        }
        if let Some(address) = &self.server_address {
            out.push(string(SERVER_ADDRESS, address));
        }
        if let Some(port) = self.server_port {
            out.push(int(SERVER_PORT, port));
        }
        if let Some(version) = &self.protocol_version {
            out.push(string(NETWORK_PROTOCOL_VERSION, version));
        }
        out.extend(self.other.iter().map(|a| key_value(a.key, any(&a.value))));
        out
    }
}

/// The attributes of the overflow series.
pub(super) fn overflow_key_values() -> Vec<KeyValue> {
    vec![key_value(
        OTEL_METRIC_OVERFLOW,
        any_value::Value::BoolValue(true),
    )]
}

/// An attribute value as OTLP carries it.
pub fn any(value: &Value) -> any_value::Value {
    match value {
        Value::Str(s) => any_value::Value::StringValue(s.clone()),
        Value::Int(i) => any_value::Value::IntValue(*i),
        Value::Bool(b) => any_value::Value::BoolValue(*b),
        Value::StrArray(items) => {
            any_value::Value::ArrayValue(sonde_api::pdata::common::v1::ArrayValue {
                values: items
                    .iter()
                    .map(|s| AnyValue {
                        value: Some(any_value::Value::StringValue(s.clone())),
                    })
                    .collect(),
            })
        }
    }
}

fn string(key: &str, value: &str) -> KeyValue {
    key_value(key, any_value::Value::StringValue(value.to_owned()))
}

fn int(key: &str, value: u16) -> KeyValue {
    key_value(key, any_value::Value::IntValue(i64::from(value)))
}

fn key_value(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}
