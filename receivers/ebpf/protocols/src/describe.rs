//! What an exchange says in OpenTelemetry terms: the span's name, kind hint,
//! attributes and status, and the family of RED metric it is measured in,
//! all by the semantic conventions.
//!
//! Each protocol describes its own exchanges ([`crate::ProtocolParser::describe`]);
//! the receiver adds what only it knows — ids, times, `server.address` /
//! `server.port` and `network.peer.*` from the socket, `http.route` from its
//! route tables — and picks the metric attributes by [`Family::metric_keys`].

use crate::protocol::Role;

/// The semantic-convention area an exchange belongs to, which decides its
/// RED metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `http.server.request.duration` / `http.client.request.duration`.
    Http,
    /// `db.client.operation.duration` (client side only: the conventions
    /// define no server-side database metric).
    Db,
    /// `rpc.server.call.duration` / `rpc.client.call.duration`.
    Rpc,
    /// `messaging.client.operation.duration`, on both ends of a broker
    /// connection that the traced process opened.
    Messaging,
    /// `dns.lookup.duration` (client side only).
    Dns,
}

impl Family {
    /// The attribute keys its metric keeps (besides `server.address`,
    /// `server.port` and `error.type`, which every family keeps), as the
    /// conventions list them for the metric.
    pub fn metric_keys(self) -> &'static [&'static str] {
        match self {
            Family::Http => &[
                "http.request.method",
                "http.route",
                "http.response.status_code",
                "network.protocol.version",
            ],
            Family::Db => &[
                "db.system.name",
                "db.namespace",
                "db.operation.name",
                "db.collection.name",
                "db.response.status_code",
            ],
            Family::Rpc => &[
                "rpc.system",
                "rpc.service",
                "rpc.method",
                "rpc.grpc.status_code",
            ],
            Family::Messaging => &[
                "messaging.system",
                "messaging.operation.name",
                "messaging.operation.type",
                "messaging.destination.name",
            ],
            Family::Dns => &["dns.question.name"],
        }
    }
}

/// An attribute value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    StrArray(Vec<String>),
}

/// One span attribute, keyed by its semantic-convention name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Attribute {
    pub key: &'static str,
    pub value: Value,
}

impl Attribute {
    pub fn str(key: &'static str, value: impl Into<String>) -> Self {
        Attribute {
            key,
            value: Value::Str(value.into()),
        }
    }

    pub fn int(key: &'static str, value: impl Into<i64>) -> Self {
        Attribute {
            key,
            value: Value::Int(value.into()),
        }
    }

    pub fn bool(key: &'static str, value: bool) -> Self {
        Attribute {
            key,
            value: Value::Bool(value),
        }
    }
}

/// The span kind, when the local role alone does not decide it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpanShape {
    /// CLIENT for the side that sent the request, SERVER for the side that
    /// answered it.
    #[default]
    ByRole,
    /// A message handed to a broker (publish, produce, send): PRODUCER.
    Producer,
    /// A message taken from a broker (fetch, receive, deliver): CONSUMER.
    Consumer,
}

/// An exchange (or a request that gets no answer) as a span and a RED
/// measurement describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    pub family: Family,
    /// The span name the conventions give (`GET`, `SELECT orders`,
    /// `publish orders`, `GetFeature`, ...).
    pub name: String,
    pub shape: SpanShape,
    /// The protocol's own attributes; the receiver adds `server.*`,
    /// `client.*`, `network.peer.*` and `error.type`.
    pub attributes: Vec<Attribute>,
    /// `error.type` when the exchange failed: an error code or name as the
    /// protocol gives it (`42P01`, `WRONGTYPE`, `NXDOMAIN`, `NOT_FOUND`,
    /// `UNKNOWN_TOPIC_OR_PARTITION`, `500`).
    pub error_type: Option<String>,
    /// Whether the span's status is ERROR (usually `error_type.is_some()`;
    /// not for an HTTP 4xx seen from the server).
    pub failed: bool,
}

impl Description {
    /// A successful exchange with no attributes yet.
    pub fn new(family: Family, name: impl Into<String>) -> Self {
        Description {
            family,
            name: name.into(),
            shape: SpanShape::ByRole,
            attributes: Vec::new(),
            error_type: None,
            failed: false,
        }
    }

    /// Marks it failed with `error.type` = `error_type`.
    pub fn fail(&mut self, error_type: impl Into<String>) {
        self.error_type = Some(error_type.into());
        self.failed = true;
    }

    /// The value of attribute `key`, if set.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| &a.value)
    }
}

/// Choices the receiver's config makes for every protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DescribeOptions {
    /// `db.query.text` as sent, literals included. Off: literals are
    /// replaced by `?`.
    pub raw_query_text: bool,
}

/// What `describe` is told about the exchange besides its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DescribeContext<'a> {
    /// The local endpoint's part: `Client` for the side that sent the request.
    pub role: Role,
    pub options: &'a DescribeOptions,
}
