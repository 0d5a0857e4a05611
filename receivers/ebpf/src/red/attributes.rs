//! Which metric a request lands in ([`Side`]) and the attributes that split
//! it into series ([`RedAttributes`]), with their semantic-convention keys.

use sonde_api::pdata::common::v1::{any_value, AnyValue, KeyValue};

/// The side of the exchange the request was seen from: the process served it
/// or made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Server,
    Client,
}

impl Side {
    pub const ALL: [Side; 2] = [Side::Server, Side::Client];

    /// The metric this side's requests are recorded in.
    pub fn metric_name(self) -> &'static str {
        match self {
            Side::Server => "http.server.request.duration",
            Side::Client => "http.client.request.duration",
        }
    }

    /// The metric's description, as the semantic conventions word it.
    pub fn description(self) -> &'static str {
        match self {
            Side::Server => "Duration of HTTP server requests.",
            Side::Client => "Duration of HTTP client requests.",
        }
    }

    pub(super) fn index(self) -> usize {
        match self {
            Side::Server => 0,
            Side::Client => 1,
        }
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
    /// `http.request.method`
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
}

impl RedAttributes {
    /// The OTLP attributes: `http.request.method` always, the others when set.
    pub fn to_key_values(&self) -> Vec<KeyValue> {
        let mut out = Vec::with_capacity(7);
        out.push(string(HTTP_REQUEST_METHOD, &self.method));
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
