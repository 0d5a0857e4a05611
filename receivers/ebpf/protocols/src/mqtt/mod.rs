//! MQTT 3.1, 3.1.1 and 5.0 (OASIS MQTT v3.1.1 and v5.0).
//!
//! Every packet is one `Whole` unit: a fixed header (type, flags, a remaining
//! length of 1 to 4 bytes), then as much of the variable header as spans
//! need; payloads are skipped by the stream. Both ends ask: the client
//! connects, publishes, subscribes and pings, and the broker publishes to
//! subscribers, which acknowledge. Requests wait in a queue per sender, so a
//! broker's PUBLISH and the subscriber's PUBACK pair like the client's own.
//!
//! Pairing is [`Pairing::ById`] on the packet identifier, tagged with the
//! kind of exchange (`kind << 16 | packet id`) so that ids of different
//! exchanges never meet: CONNECT→CONNACK, PUBLISH QoS 1→PUBACK, PUBLISH
//! QoS 2→PUBREC, SUBSCRIBE→SUBACK, UNSUBSCRIBE→UNSUBACK, PINGREQ→PINGRESP.
//! CONNECT and PINGREQ carry no id: theirs is the kind alone, and since the
//! pairer takes the oldest unanswered request with a matching id, several
//! outstanding PINGREQs pair in order.
//!
//! One-way (no answer, [`ProtocolParser::expects_response`] false): PUBLISH
//! QoS 0 and DISCONNECT. QoS 2's second round (PUBREL→PUBCOMP) and MQTT 5's
//! AUTH are consumed without a message: the QoS 2 exchange is the PUBLISH
//! and its PUBREC, when the receiver has taken ownership of the message.
//!
//! The protocol level comes from CONNECT (a connection is only detected by
//! its CONNECT), and the client identifier too — or from CONNACK's Assigned
//! Client Identifier (MQTT 5) when the client sent an empty one; it is
//! copied into every request. MQTT 5 properties are skipped by their length,
//! except PUBLISH's (Topic Alias, and a `traceparent` user property) and
//! CONNACK's (Assigned Client Identifier).

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::describe::{Attribute, DescribeContext, Description, Family, SpanShape};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{
    Direction, Kind, Message, Pairing, ProtocolParser, Role, Step, TraceContext,
};

/// Topic aliases remembered per sender (MQTT 5); a broker's Topic Alias
/// Maximum is rarely above a few dozen.
const MAX_ALIASES: usize = 64;

/// The MQTT state of one connection.
#[derive(Clone, Debug, Default)]
pub struct Mqtt {
    /// Protocol level from CONNECT: 3 (3.1), 4 (3.1.1) or 5.
    level: Option<u8>,
    client_id: Option<Arc<str>>,
    /// Topic aliases by sender: alias → topic.
    aliases: [Vec<(u16, Arc<str>)>; 2],
}

/// An MQTT control packet type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    Connect,
    Connack,
    Publish,
    Puback,
    Pubrec,
    Pubrel,
    Pubcomp,
    Subscribe,
    Suback,
    Unsubscribe,
    Unsuback,
    Pingreq,
    Pingresp,
    Disconnect,
    Auth,
}

impl PacketType {
    fn from_nibble(n: u8) -> Option<PacketType> {
        Some(match n {
            1 => PacketType::Connect,
            2 => PacketType::Connack,
            3 => PacketType::Publish,
            4 => PacketType::Puback,
            5 => PacketType::Pubrec,
            6 => PacketType::Pubrel,
            7 => PacketType::Pubcomp,
            8 => PacketType::Subscribe,
            9 => PacketType::Suback,
            10 => PacketType::Unsubscribe,
            11 => PacketType::Unsuback,
            12 => PacketType::Pingreq,
            13 => PacketType::Pingresp,
            14 => PacketType::Disconnect,
            15 => PacketType::Auth,
            _ => return None,
        })
    }

    /// Whether `from` may send it.
    fn sent_by(self, from: Role) -> bool {
        use PacketType::*;
        match self {
            Connect | Subscribe | Unsubscribe | Pingreq => from == Role::Client,
            Connack | Suback | Unsuback | Pingresp => from == Role::Server,
            Publish | Puback | Pubrec | Pubrel | Pubcomp | Disconnect | Auth => true,
        }
    }

    /// Whether the fixed header's flags are the ones the spec requires
    /// (PUBLISH's are its own: any but QoS 3).
    fn flags_ok(self, flags: u8) -> bool {
        match self {
            PacketType::Publish => (flags >> 1) & 3 != 3,
            PacketType::Pubrel | PacketType::Subscribe | PacketType::Unsubscribe => flags == 2,
            _ => flags == 0,
        }
    }

    /// The exchange kind in the pairing id.
    fn kind_tag(self, qos: u8) -> u64 {
        use PacketType::*;
        let tag = match self {
            Connect | Connack => 1,
            Publish if qos == 2 => 3,
            Publish | Puback => 2,
            Pubrec => 3,
            Subscribe | Suback => 4,
            Unsubscribe | Unsuback => 5,
            Pingreq | Pingresp => 6,
            _ => 7,
        };
        tag << 16
    }
}

/// A request: CONNECT, PUBLISH (from either end), SUBSCRIBE, UNSUBSCRIBE,
/// PINGREQ or DISCONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub packet: PacketType,
    /// Sent by the broker (a PUBLISH delivered to a subscriber, an MQTT 5
    /// DISCONNECT).
    pub from_broker: bool,
    /// Protocol level: 3 (3.1), 4 (3.1.1), 5. 4 when CONNECT was not seen.
    pub level: u8,
    /// Packet identifier (0 when the packet has none).
    pub packet_id: u16,
    pub qos: u8,
    pub retain: bool,
    pub dup: bool,
    /// PUBLISH: the topic (resolved through a Topic Alias); SUBSCRIBE and
    /// UNSUBSCRIBE: the first topic filter.
    pub topic: Option<Arc<str>>,
    /// SUBSCRIBE and UNSUBSCRIBE: how many topic filters.
    pub filters: u32,
    /// PUBLISH: payload bytes.
    pub payload_len: Option<u64>,
    /// The connection's client identifier.
    pub client_id: Option<Arc<str>>,
    /// PUBLISH (MQTT 5): a `traceparent` user property.
    pub traceparent: Option<String>,
    /// DISCONNECT (MQTT 5): its reason code.
    pub reason_code: u8,
    /// The capture ended inside the fields above.
    pub truncated: bool,
}

/// A response: CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK or PINGRESP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub packet: PacketType,
    pub level: u8,
    pub packet_id: u16,
    /// CONNACK's return or reason code; PUBACK's and PUBREC's reason code
    /// (0 when absent); SUBACK's and UNSUBACK's first failing code (≥ 0x80),
    /// else their first code.
    pub reason_code: u8,
    /// CONNACK: the broker kept the session.
    pub session_present: bool,
    /// SUBACK, UNSUBACK: how many codes.
    pub codes: u32,
    pub truncated: bool,
}

impl Response {
    /// Whether the broker refused (CONNACK with a non-zero code, any other
    /// answer with a code of 0x80 or more).
    pub fn failed(&self) -> bool {
        match self.packet {
            PacketType::Connack => self.reason_code != 0,
            _ => self.reason_code >= 0x80,
        }
    }

    /// The refusal's name as the spec gives it (`NOT_AUTHORIZED`), or its
    /// code in hex when the spec names none.
    pub fn reason_name(&self) -> String {
        reason_name(self.level, self.packet, self.reason_code)
    }
}

/// A packet's fields ran past the bytes at hand.
struct Short;

/// Reads a packet's fields.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, Short> {
        let b = *self.bytes.get(self.pos).ok_or(Short)?;
        self.pos += 1;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, Short> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        let end = self.pos.checked_add(n).ok_or(Short)?;
        let b = self.bytes.get(self.pos..end).ok_or(Short)?;
        self.pos = end;
        Ok(b)
    }

    /// A two-byte-length string or binary field.
    fn string(&mut self) -> Result<&'a [u8], Short> {
        let n = self.u16()?;
        self.take(n.into())
    }

    /// A variable byte integer; `Err` also when it runs past 4 bytes (the
    /// caller has checked the remaining length, so this only means garbage).
    fn varint(&mut self) -> Result<u32, Short> {
        match varint(&self.bytes[self.pos.min(self.bytes.len())..]) {
            Varint::Value(v, n) => {
                self.pos += n;
                Ok(v)
            }
            Varint::Short | Varint::Invalid => Err(Short),
        }
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }
}

enum Varint {
    /// The value and its length in bytes.
    Value(u32, usize),
    Short,
    Invalid,
}

fn varint(bytes: &[u8]) -> Varint {
    let mut value = 0u32;
    for i in 0..4 {
        let Some(&b) = bytes.get(i) else {
            return Varint::Short;
        };
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Varint::Value(value, i + 1);
        }
    }
    Varint::Invalid
}

/// What a property is: how to skip it.
enum PropKind {
    Byte,
    Two,
    Four,
    Var,
    Str,
    Pair,
}

fn prop_kind(id: u32) -> Option<PropKind> {
    Some(match id {
        0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => PropKind::Byte,
        0x13 | 0x21 | 0x22 | 0x23 => PropKind::Two,
        0x02 | 0x11 | 0x18 | 0x27 => PropKind::Four,
        0x0B => PropKind::Var,
        0x03 | 0x08 | 0x09 | 0x12 | 0x15 | 0x16 | 0x1A | 0x1C | 0x1F => PropKind::Str,
        0x26 => PropKind::Pair,
        _ => return None,
    })
}

/// A property worth keeping.
enum Prop<'a> {
    TopicAlias(u16),
    AssignedClientId(&'a [u8]),
    User(&'a [u8], &'a [u8]),
}

/// Why properties could not be read.
enum PropError {
    Short,
    /// An unknown property id: not MQTT 5, or garbage.
    Invalid,
}

impl From<Short> for PropError {
    fn from(_: Short) -> Self {
        PropError::Short
    }
}

/// Read an MQTT 5 property list, handing the interesting ones to `seen`.
fn properties<'a>(r: &mut Reader<'a>, mut seen: impl FnMut(Prop<'a>)) -> Result<(), PropError> {
    let len = r.varint()? as usize;
    let block = r.take(len.min(r.remaining()))?;
    let mut p = Reader {
        bytes: block,
        pos: 0,
    };
    while p.remaining() > 0 {
        let id = p.varint()?;
        match prop_kind(id).ok_or(PropError::Invalid)? {
            PropKind::Byte => {
                p.u8()?;
            }
            PropKind::Two => {
                let v = p.u16()?;
                if id == 0x23 {
                    seen(Prop::TopicAlias(v));
                }
            }
            PropKind::Four => {
                p.take(4)?;
            }
            PropKind::Var => {
                p.varint()?;
            }
            PropKind::Str => {
                let s = p.string()?;
                if id == 0x12 {
                    seen(Prop::AssignedClientId(s));
                }
            }
            PropKind::Pair => {
                let k = p.string()?;
                let v = p.string()?;
                seen(Prop::User(k, v));
            }
        }
    }
    if block.len() < len {
        // The list goes on past the bytes at hand.
        return Err(PropError::Short);
    }
    Ok(())
}

fn text(bytes: &[u8]) -> Arc<str> {
    Arc::from(String::from_utf8_lossy(bytes).as_ref())
}

/// What the fixed header says.
struct Fixed {
    packet: PacketType,
    flags: u8,
    /// Fixed header length.
    header: usize,
    /// Remaining length.
    remaining: usize,
}

/// Read a fixed header sent by `from`.
fn fixed_header(from: Role, bytes: &[u8]) -> ParseResult<Fixed> {
    let Some(&first) = bytes.first() else {
        return ParseResult::Incomplete { needed: Some(2) };
    };
    let Some(packet) = PacketType::from_nibble(first >> 4) else {
        return ParseResult::Malformed(Malformed::StartLine);
    };
    let flags = first & 0x0f;
    if !packet.sent_by(from) || !packet.flags_ok(flags) {
        return ParseResult::Malformed(Malformed::StartLine);
    }
    match varint(&bytes[1..]) {
        Varint::Value(remaining, n) => ParseResult::Parsed {
            message: Fixed {
                packet,
                flags,
                header: 1 + n,
                remaining: remaining as usize,
            },
            consumed: 1 + n,
        },
        Varint::Short => ParseResult::Incomplete { needed: Some(1) },
        Varint::Invalid => ParseResult::Malformed(Malformed::Length),
    }
}

/// What a packet parser made of the variable header.
enum Unit {
    Request(Request),
    Response(Response),
    /// A packet consumed without a message (PUBREL, PUBCOMP, AUTH).
    Skip,
}

impl Mqtt {
    fn level(&self) -> u8 {
        self.level.unwrap_or(4)
    }

    fn v5(&self) -> bool {
        self.level == Some(5)
    }

    fn request(&self, packet: PacketType, from: Role) -> Request {
        Request {
            packet,
            from_broker: from == Role::Server,
            level: self.level(),
            packet_id: 0,
            qos: 0,
            retain: false,
            dup: false,
            topic: None,
            filters: 0,
            payload_len: None,
            client_id: self.client_id.clone(),
            traceparent: None,
            reason_code: 0,
            truncated: false,
        }
    }

    fn response(&self, packet: PacketType) -> Response {
        Response {
            packet,
            level: self.level(),
            packet_id: 0,
            reason_code: 0,
            session_present: false,
            codes: 0,
            truncated: false,
        }
    }

    /// Parse the variable header of `fixed` from `r` into `unit`, which
    /// holds what was read when the bytes run out.
    fn fields(
        &mut self,
        from: Role,
        fixed: &Fixed,
        r: &mut Reader<'_>,
        unit: &mut Unit,
    ) -> Result<(), PropError> {
        use PacketType::*;
        match fixed.packet {
            Connect => {
                let Unit::Request(q) = unit else {
                    return Ok(());
                };
                let name = r.string()?;
                let level = r.u8()?;
                let ok = matches!((name, level), (b"MQTT", 4 | 5) | (b"MQIsdp", 3));
                if !ok {
                    return Err(PropError::Invalid);
                }
                self.level = Some(level);
                // A new CONNECT on the connection starts afresh.
                self.client_id = None;
                self.aliases = Default::default();
                q.level = level;
                q.client_id = None;
                r.u8()?; // connect flags
                r.u16()?; // keep alive
                if level == 5 {
                    properties(r, |_| {})?;
                }
                let id = r.string()?;
                if !id.is_empty() {
                    let id = text(id);
                    self.client_id = Some(id.clone());
                    q.client_id = Some(id);
                }
            }
            Connack => {
                let Unit::Response(a) = unit else {
                    return Ok(());
                };
                a.session_present = r.u8()? & 1 == 1;
                a.reason_code = r.u8()?;
                if self.v5() && r.remaining() > 0 {
                    let mut assigned = None;
                    properties(r, |p| {
                        if let Prop::AssignedClientId(id) = p {
                            assigned = Some(text(id));
                        }
                    })?;
                    if assigned.is_some() {
                        self.client_id = assigned;
                    }
                }
            }
            Publish => {
                let Unit::Request(q) = unit else {
                    return Ok(());
                };
                q.qos = (fixed.flags >> 1) & 3;
                q.retain = fixed.flags & 1 == 1;
                q.dup = fixed.flags & 8 == 8;
                let topic = r.string()?;
                if !topic.is_empty() {
                    q.topic = Some(text(topic));
                }
                if q.qos > 0 {
                    q.packet_id = r.u16()?;
                }
                if self.v5() {
                    let mut alias = None;
                    let mut traceparent = None;
                    properties(r, |p| match p {
                        Prop::TopicAlias(a) => alias = Some(a),
                        Prop::User(k, v) if k.eq_ignore_ascii_case(b"traceparent") => {
                            traceparent = Some(String::from_utf8_lossy(v).into_owned())
                        }
                        _ => {}
                    })?;
                    q.traceparent = traceparent;
                    if let Some(alias) = alias {
                        self.alias(from, alias, &mut q.topic);
                    }
                }
                q.payload_len = Some(fixed.remaining.saturating_sub(r.pos) as u64);
            }
            Puback | Pubrec => {
                let Unit::Response(a) = unit else {
                    return Ok(());
                };
                a.packet_id = r.u16()?;
                if fixed.remaining > 2 {
                    a.reason_code = r.u8()?;
                }
            }
            Subscribe | Unsubscribe => {
                let Unit::Request(q) = unit else {
                    return Ok(());
                };
                q.packet_id = r.u16()?;
                if self.v5() {
                    properties(r, |_| {})?;
                }
                while r.remaining() > 0 {
                    let filter = r.string()?;
                    if fixed.packet == Subscribe {
                        r.u8()?; // options
                    }
                    if q.filters == 0 {
                        q.topic = Some(text(filter));
                    }
                    q.filters += 1;
                }
                if r.pos < fixed.remaining {
                    return Err(PropError::Short);
                }
            }
            Suback | Unsuback => {
                let Unit::Response(a) = unit else {
                    return Ok(());
                };
                a.packet_id = r.u16()?;
                if self.v5() {
                    properties(r, |_| {})?;
                }
                while r.remaining() > 0 {
                    let code = r.u8()?;
                    if a.codes == 0 || (code >= 0x80 && a.reason_code < 0x80) {
                        a.reason_code = code;
                    }
                    a.codes += 1;
                }
                if r.pos < fixed.remaining {
                    return Err(PropError::Short);
                }
            }
            Pingreq | Pingresp => {
                if fixed.remaining != 0 {
                    return Err(PropError::Invalid);
                }
            }
            Disconnect => {
                let Unit::Request(q) = unit else {
                    return Ok(());
                };
                if fixed.remaining > 0 {
                    q.reason_code = r.u8()?;
                }
            }
            Pubrel | Pubcomp | Auth => {}
        }
        Ok(())
    }

    /// Resolve or record a Topic Alias sent by `from`.
    fn alias(&mut self, from: Role, alias: u16, topic: &mut Option<Arc<str>>) {
        let table = &mut self.aliases[from.index()];
        match topic {
            Some(t) => {
                table.retain(|(a, _)| *a != alias);
                if table.len() >= MAX_ALIASES {
                    table.remove(0);
                }
                table.push((alias, t.clone()));
            }
            None => {
                *topic = table
                    .iter()
                    .find(|(a, _)| *a == alias)
                    .map(|(_, t)| t.clone())
            }
        }
    }
}

type MqttStep = Step<Request, Response>;

impl ProtocolParser for Mqtt {
    type Request = Request;
    type Response = Response;

    const PAIRING: Pairing = Pairing::ById;

    /// CONNECT: `0x10`, a remaining length of 1 to 4 bytes, then the
    /// protocol name `00 04 "MQTT"` with level 4 or 5, or `00 06 "MQIsdp"`
    /// with level 3. Nothing else is detected: a connection joined after
    /// its CONNECT is not parsed.
    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        if first.first() != Some(&0x10) {
            return None;
        }
        let Varint::Value(_, n) = varint(&first[1..]) else {
            return None;
        };
        let rest = &first[1 + n..];
        let ok = match rest {
            [0, 4, b'M', b'Q', b'T', b'T', level, ..] => matches!(level, 4 | 5),
            [0, 6, b'M', b'Q', b'I', b's', b'd', b'p', 3, ..] => true,
            _ => false,
        };
        ok.then_some(Kind::Request)
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        let Some(&first) = bytes.first() else {
            return true;
        };
        let Some(packet) = PacketType::from_nibble(first >> 4) else {
            return false;
        };
        if !packet.sent_by(from) || !packet.flags_ok(first & 0x0f) {
            return false;
        }
        match varint(&bytes[1..]) {
            Varint::Invalid => false,
            Varint::Short => true,
            Varint::Value(len, _) => match packet {
                PacketType::Pingreq | PacketType::Pingresp => len == 0,
                PacketType::Puback
                | PacketType::Pubrec
                | PacketType::Pubrel
                | PacketType::Pubcomp
                | PacketType::Connack => len >= 2,
                PacketType::Publish => len >= 2,
                PacketType::Subscribe | PacketType::Unsubscribe | PacketType::Suback => len >= 3,
                PacketType::Connect => len >= 10,
                _ => true,
            },
        }
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        _pending: Pending<'_, Self>,
    ) -> ParseResult<MqttStep> {
        let bytes = input.bytes;
        let fixed = match fixed_header(from, bytes) {
            ParseResult::Parsed { message, .. } => message,
            ParseResult::Incomplete { needed } => return ParseResult::Incomplete { needed },
            ParseResult::Malformed(m) => return ParseResult::Malformed(m),
        };
        let total = fixed.header.saturating_add(fixed.remaining);
        let end = total.min(bytes.len());
        let mut r = Reader {
            bytes: &bytes[fixed.header..end],
            pos: 0,
        };
        let mut unit = match fixed.packet {
            PacketType::Connect
            | PacketType::Publish
            | PacketType::Subscribe
            | PacketType::Unsubscribe
            | PacketType::Pingreq
            | PacketType::Disconnect => Unit::Request(self.request(fixed.packet, from)),
            PacketType::Connack
            | PacketType::Puback
            | PacketType::Pubrec
            | PacketType::Suback
            | PacketType::Unsuback
            | PacketType::Pingresp => Unit::Response(self.response(fixed.packet)),
            PacketType::Pubrel | PacketType::Pubcomp | PacketType::Auth => Unit::Skip,
        };
        match self.fields(from, &fixed, &mut r, &mut unit) {
            Ok(()) => {}
            Err(PropError::Invalid) => return ParseResult::Malformed(Malformed::Header),
            Err(PropError::Short) => {
                if bytes.len() >= total {
                    // The packet ended before its fields did.
                    return ParseResult::Malformed(Malformed::Framing);
                }
                if !input.is_truncated() {
                    return ParseResult::Incomplete { needed: None };
                }
                // The capture ended inside the fields: keep what was read.
                match &mut unit {
                    Unit::Request(q) => q.truncated = true,
                    Unit::Response(a) => a.truncated = true,
                    Unit::Skip => {}
                }
            }
        }
        let message = match unit {
            Unit::Request(q) => Step::Whole(Message::Request(q)),
            Unit::Response(a) => Step::Whole(Message::Response(a)),
            // Consumed without a message: no unit of a message is open
            // between MQTT packets, so this only moves past the bytes.
            Unit::Skip => Step::Body,
        };
        ParseResult::Parsed {
            message,
            consumed: total,
        }
    }

    fn reset(&mut self, _from: Role) {}

    fn expects_response(request: &Request) -> bool {
        match request.packet {
            PacketType::Publish => request.qos > 0,
            PacketType::Disconnect => false,
            _ => true,
        }
    }

    fn request_id(request: &Request) -> u64 {
        request.packet.kind_tag(request.qos) | u64::from(request.packet_id)
    }

    fn response_id(response: &Response) -> u64 {
        response.packet.kind_tag(0) | u64::from(response.packet_id)
    }

    fn trace_context(request: &Request) -> TraceContext {
        TraceContext {
            traceparent: request.traceparent.clone(),
            ..TraceContext::default()
        }
    }

    fn describe(
        request: &Request,
        response: Option<&Response>,
        _cx: DescribeContext<'_>,
    ) -> Description {
        let (operation, kind) = match request.packet {
            PacketType::Publish if request.from_broker => ("receive", Some("receive")),
            PacketType::Publish => ("publish", Some("send")),
            PacketType::Subscribe => ("subscribe", None),
            PacketType::Unsubscribe => ("unsubscribe", None),
            PacketType::Connect => ("connect", None),
            PacketType::Pingreq => ("ping", None),
            PacketType::Disconnect => ("disconnect", None),
            _ => ("mqtt", None),
        };
        let destination = match request.packet {
            PacketType::Publish | PacketType::Subscribe | PacketType::Unsubscribe => {
                request.topic.as_deref().filter(|t| !t.is_empty())
            }
            _ => None,
        };
        let name = match destination {
            Some(topic) => format!("{operation} {topic}"),
            None => operation.to_owned(),
        };
        let mut d = Description::new(Family::Messaging, name);
        d.shape = match (request.packet, request.from_broker) {
            (PacketType::Publish, true) => SpanShape::Consumer,
            (PacketType::Publish, false) => SpanShape::Producer,
            _ => SpanShape::ByRole,
        };
        let a = &mut d.attributes;
        a.push(Attribute::str("messaging.system", "mqtt"));
        a.push(Attribute::str("messaging.operation.name", operation));
        if let Some(kind) = kind {
            a.push(Attribute::str("messaging.operation.type", kind));
        }
        if let Some(topic) = destination {
            a.push(Attribute::str("messaging.destination.name", topic));
        }
        if let Some(id) = &request.client_id {
            a.push(Attribute::str("messaging.client.id", id.as_ref()));
        }
        if let Some(n) = request.payload_len {
            a.push(Attribute::int(
                "messaging.message.body.size",
                i64::try_from(n).unwrap_or(i64::MAX),
            ));
        }
        a.push(Attribute::str("network.protocol.name", "mqtt"));
        a.push(Attribute::str(
            "network.protocol.version",
            match request.level {
                3 => "3.1",
                5 => "5.0",
                _ => "3.1.1",
            },
        ));
        if let Some(r) = response.filter(|r| r.failed()) {
            d.fail(r.reason_name());
        } else if request.packet == PacketType::Disconnect && request.reason_code >= 0x80 {
            d.fail(reason_name(
                request.level,
                PacketType::Disconnect,
                request.reason_code,
            ));
        }
        d
    }
}

/// The spec's name of a return code (3.1, 3.1.1 CONNACK) or reason code
/// (5.0), upper-cased with underscores; the code in hex when unnamed.
pub fn reason_name(level: u8, packet: PacketType, code: u8) -> String {
    if level < 5 {
        let name = match (packet, code) {
            (PacketType::Connack, 1) => "UNACCEPTABLE_PROTOCOL_VERSION",
            (PacketType::Connack, 2) => "IDENTIFIER_REJECTED",
            (PacketType::Connack, 3) => "SERVER_UNAVAILABLE",
            (PacketType::Connack, 4) => "BAD_USERNAME_OR_PASSWORD",
            (PacketType::Connack, 5) => "NOT_AUTHORIZED",
            (_, 0x80) => "FAILURE",
            _ => "",
        };
        if !name.is_empty() {
            return name.to_owned();
        }
        return format!("0x{code:02X}");
    }
    let name = match code {
        0x80 => "UNSPECIFIED_ERROR",
        0x81 => "MALFORMED_PACKET",
        0x82 => "PROTOCOL_ERROR",
        0x83 => "IMPLEMENTATION_SPECIFIC_ERROR",
        0x84 => "UNSUPPORTED_PROTOCOL_VERSION",
        0x85 => "CLIENT_IDENTIFIER_NOT_VALID",
        0x86 => "BAD_USER_NAME_OR_PASSWORD",
        0x87 => "NOT_AUTHORIZED",
        0x88 => "SERVER_UNAVAILABLE",
        0x89 => "SERVER_BUSY",
        0x8A => "BANNED",
        0x8B => "SERVER_SHUTTING_DOWN",
        0x8C => "BAD_AUTHENTICATION_METHOD",
        0x8D => "KEEP_ALIVE_TIMEOUT",
        0x8E => "SESSION_TAKEN_OVER",
        0x8F => "TOPIC_FILTER_INVALID",
        0x90 => "TOPIC_NAME_INVALID",
        0x91 => "PACKET_IDENTIFIER_IN_USE",
        0x92 => "PACKET_IDENTIFIER_NOT_FOUND",
        0x93 => "RECEIVE_MAXIMUM_EXCEEDED",
        0x94 => "TOPIC_ALIAS_INVALID",
        0x95 => "PACKET_TOO_LARGE",
        0x96 => "MESSAGE_RATE_TOO_HIGH",
        0x97 => "QUOTA_EXCEEDED",
        0x98 => "ADMINISTRATIVE_ACTION",
        0x99 => "PAYLOAD_FORMAT_INVALID",
        0x9A => "RETAIN_NOT_SUPPORTED",
        0x9B => "QOS_NOT_SUPPORTED",
        0x9C => "USE_ANOTHER_SERVER",
        0x9D => "SERVER_MOVED",
        0x9E => "SHARED_SUBSCRIPTIONS_NOT_SUPPORTED",
        0x9F => "CONNECTION_RATE_EXCEEDED",
        0xA0 => "MAXIMUM_CONNECT_TIME",
        0xA1 => "SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED",
        0xA2 => "WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED",
        _ => return format!("0x{code:02X}"),
    };
    name.to_owned()
}
