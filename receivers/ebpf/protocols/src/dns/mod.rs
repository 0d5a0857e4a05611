//! DNS (RFC 1035) over UDP ([`Dns`], "dns") and over TCP ([`DnsTcp`],
//! "dns_tcp"), one message parser for both.
//!
//! Over UDP a datagram is one message with no length in front of it; the
//! stream hands the parser one segment at a time and never joins two, as
//! long as the parser consumes each datagram whole and never answers
//! `Incomplete` for one captured whole (the stream only keeps bytes after
//! `Incomplete`; see [`ProtocolParser::TRANSPORT`]). So [`Dns`] parses
//! `input.bytes` as the message and consumes `input.available()`: a datagram
//! captured in part is one truncated message, one shorter than a header is
//! malformed. Over TCP each message follows its 2-byte length (RFC 1035
//! §4.2.2); [`DnsTcp`] waits for a whole message up to [`TCP_WAIT_LIMIT`]
//! bytes, and past that parses the header and question once they are in and
//! lets the stream skip the rest.
//!
//! Queries and answers pair by their 16-bit id ([`Pairing::ById`]). The id
//! repeats over time, and on a server's UDP socket different clients may use
//! the same one at once: the answer takes the oldest unanswered query with
//! its id. A client that retries a lost query with the same id leaves the
//! first copy waiting until it expires.
//!
//! DNS has no magic, so detection is strict (see [`detect_header`]) and
//! gated by the socket: [`Dns`] is UDP only, [`DnsTcp`] only on connections
//! with port 53 or 5353 at either end ([`crate::detect_on`]); neither is ever
//! tried by [`crate::detect`], which knows no ports.

#[cfg(test)]
mod tests;
mod wire;

pub use wire::{parse_message, Header, Message, Question, HEADER_LEN, MAX_ADDRESSES};

use crate::describe::{Attribute, DescribeContext, Description, Family, Value};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{
    Direction, Kind, Message as Unit, Pairing, ProtocolParser, Role, Step, Transport,
};

/// Ports on which a TCP connection is tried as DNS.
pub const TCP_PORTS: [u16; 2] = [53, 5353];

/// Largest TCP message (length prefix included) [`DnsTcp`] waits for in
/// full, so its answers and EDNS RCODE are read; a larger one is parsed
/// from its first 271 bytes (the header and the longest question) and the
/// rest skipped, so the stream never holds a 64 KiB zone transfer message.
pub const TCP_WAIT_LIMIT: usize = 4096;

/// Bytes after the header that surely hold the first question: the longest
/// name and its type and class.
const QUESTION_SPAN: usize = HEADER_LEN + 255 + 4;

/// DNS over UDP: each segment is one datagram, one message.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dns;

/// DNS over TCP: messages after their 2-byte length.
#[derive(Clone, Copy, Debug, Default)]
pub struct DnsTcp;

type DnsStep = Step<Message, Message>;

/// Whether `h` begins a DNS message as resolvers send it: opcode QUERY,
/// Z clear, exactly one question whose name begins with a label of 1 to 63
/// bytes; a query (QR clear) also has no answer or authority records and
/// RCODE 0. Looks at 13 bytes.
pub fn detect_header(h: &[u8]) -> Option<Kind> {
    let header = Header::read(h)?;
    let first_label = *h.get(HEADER_LEN)?;
    if header.opcode() != 0
        || header.z()
        || header.questions != 1
        || !(1..=63).contains(&first_label)
    {
        return None;
    }
    if header.is_response() {
        Some(Kind::Response)
    } else if header.answers == 0 && header.authorities == 0 && header.rcode() == 0 {
        Some(Kind::Request)
    } else {
        None
    }
}

/// Whether `h` (possibly a short prefix) could begin a message sent by
/// `from`: QR says who sends it, the opcode is assigned, Z is clear, and at
/// most one question.
fn plausible_header(from: Role, h: &[u8]) -> bool {
    if let Some(&b) = h.get(2) {
        let response = b & 0x80 != 0;
        let opcode = b >> 3 & 0xf;
        if response != (from == Role::Server) || !matches!(opcode, 0..=2 | 4..=6) {
            return false;
        }
    }
    if h.get(3).is_some_and(|b| b & 0x40 != 0) {
        return false;
    }
    match (h.get(4), h.get(5)) {
        (Some(&hi), Some(&lo)) => u16::from_be_bytes([hi, lo]) <= 1,
        (Some(&hi), None) => hi == 0,
        _ => true,
    }
}

/// The message `bytes` hold (or begin, when `whole` is false), as a unit
/// sent by `from`: a query from the client, an answer from the server.
fn unit(from: Role, bytes: &[u8], whole: bool) -> Result<Unit<Message, Message>, Malformed> {
    let message = parse_message(bytes, whole)?;
    match (from, message.is_response()) {
        (Role::Client, false) => Ok(Unit::Request(message)),
        (Role::Server, true) => Ok(Unit::Response(message)),
        _ => Err(Malformed::StartLine),
    }
}

impl ProtocolParser for Dns {
    type Request = Message;
    type Response = Message;

    const PAIRING: Pairing = Pairing::ById;
    const TRANSPORT: Transport = Transport::Udp;

    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        detect_header(first)
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        plausible_header(from, bytes)
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        _pending: Pending<'_, Self>,
    ) -> ParseResult<DnsStep> {
        if input.bytes.len() < HEADER_LEN {
            // Never `Incomplete` for a datagram captured whole: the stream
            // would join it to the next one.
            return if input.is_truncated() {
                ParseResult::Incomplete { needed: None }
            } else {
                ParseResult::Malformed(Malformed::StartLine)
            };
        }
        match unit(from, input.bytes, !input.is_truncated()) {
            Ok(message) => ParseResult::Parsed {
                message: Step::Whole(message),
                consumed: input.available(),
            },
            Err(e) => ParseResult::Malformed(e),
        }
    }

    fn reset(&mut self, _from: Role) {}

    fn request_id(request: &Message) -> u64 {
        u64::from(request.id())
    }

    fn response_id(response: &Message) -> u64 {
        u64::from(response.id())
    }

    fn target(request: &Message) -> Option<String> {
        target(request)
    }

    fn describe(
        request: &Message,
        response: Option<&Message>,
        cx: DescribeContext<'_>,
    ) -> Description {
        describe(request, response, cx)
    }
}

impl ProtocolParser for DnsTcp {
    type Request = Message;
    type Response = Message;

    const PAIRING: Pairing = Pairing::ById;
    const PORTS: &'static [u16] = &TCP_PORTS;

    /// The 2-byte length (at least a header and a one-label question) and
    /// [`detect_header`] on what follows: 15 bytes.
    fn detect(first: &[u8], _direction: Direction) -> Option<Kind> {
        let len = u16::from_be_bytes([*first.first()?, *first.get(1)?]);
        if usize::from(len) < HEADER_LEN + 3 + 4 {
            return None;
        }
        detect_header(&first[2..])
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        match bytes {
            [hi, lo, rest @ ..] => {
                usize::from(u16::from_be_bytes([*hi, *lo])) >= HEADER_LEN
                    && plausible_header(from, rest)
            }
            _ => true,
        }
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        _pending: Pending<'_, Self>,
    ) -> ParseResult<DnsStep> {
        let bytes = input.bytes;
        let [hi, lo, ..] = *bytes else {
            return ParseResult::Incomplete {
                needed: Some(2 - bytes.len()),
            };
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < HEADER_LEN {
            return ParseResult::Malformed(Malformed::Length);
        }
        let total = 2 + len;
        let body = &bytes[2..total.min(bytes.len())];
        let whole = body.len() == len;
        if !whole {
            if input.is_truncated() {
                if body.len() < HEADER_LEN {
                    return ParseResult::Incomplete { needed: None };
                }
            } else {
                // Wait for the whole of a small message, for the first
                // question of a large one.
                let wanted = if total <= TCP_WAIT_LIMIT {
                    len
                } else {
                    QUESTION_SPAN.min(len)
                };
                if body.len() < wanted {
                    return ParseResult::Incomplete {
                        needed: Some(wanted - body.len()),
                    };
                }
            }
        }
        match unit(from, body, whole) {
            Ok(message) => ParseResult::Parsed {
                message: Step::Whole(message),
                consumed: total,
            },
            Err(e) => ParseResult::Malformed(e),
        }
    }

    fn reset(&mut self, _from: Role) {}

    fn request_id(request: &Message) -> u64 {
        u64::from(request.id())
    }

    fn response_id(response: &Message) -> u64 {
        u64::from(response.id())
    }

    fn target(request: &Message) -> Option<String> {
        target(request)
    }

    fn describe(
        request: &Message,
        response: Option<&Message>,
        cx: DescribeContext<'_>,
    ) -> Description {
        describe(request, response, cx)
    }
}

/// The name asked for: a forwarder asks its upstream for the same one, which
/// joins its outgoing query to the one it serves.
fn target(request: &Message) -> Option<String> {
    request.name().map(str::to_owned)
}

/// `DNS {qtype}` (`DNS A`, `DNS TYPE65534`), or `DNS {opcode}` for other
/// opcodes than QUERY (`DNS UPDATE`), with `dns.question.name`,
/// `dns.answers` (the A and AAAA answers) and the RCODE's name as
/// `error.type` when it is not NOERROR. A client's exchange fails on any
/// error RCODE; a server's only on its own failures (SERVFAIL, NOTIMP), as
/// an HTTP server's 4xx is no failure of the server.
fn describe(request: &Message, response: Option<&Message>, cx: DescribeContext<'_>) -> Description {
    let question = request
        .question
        .as_ref()
        .or_else(|| response.and_then(|r| r.question.as_ref()));
    let name = match (request.opcode(), question) {
        (0, Some(q)) => format!("DNS {}", QtypeName(q.qtype)),
        (0, None) => "DNS".to_owned(),
        (opcode, _) => format!("DNS {}", opcode_name(opcode)),
    };
    let mut d = Description::new(Family::Dns, name);
    if let Some(q) = question {
        d.attributes
            .push(Attribute::str("dns.question.name", q.name.as_str()));
    }
    let Some(response) = response else {
        return d;
    };
    if !response.addresses.is_empty() {
        d.attributes.push(Attribute {
            key: "dns.answers",
            value: Value::StrArray(response.addresses.iter().map(|a| a.to_string()).collect()),
        });
    }
    if response.rcode != 0 {
        d.error_type = Some(rcode_name(response.rcode));
        d.failed = match cx.role {
            Role::Client => true,
            Role::Server => matches!(response.rcode, 2 | 4),
        };
    }
    d
}

/// A query type's mnemonic (RFC 1035 and the IANA registry), `TYPE{n}`
/// (RFC 3597) for the others.
pub struct QtypeName(pub u16);

impl std::fmt::Display for QtypeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match qtype_mnemonic(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

fn qtype_mnemonic(qtype: u16) -> Option<&'static str> {
    Some(match qtype {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        24 => "SIG",
        25 => "KEY",
        28 => "AAAA",
        29 => "LOC",
        33 => "SRV",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        39 => "DNAME",
        41 => "OPT",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        53 => "SMIMEA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDNSKEY",
        61 => "OPENPGPKEY",
        62 => "CSYNC",
        63 => "ZONEMD",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        108 => "EUI48",
        109 => "EUI64",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        256 => "URI",
        257 => "CAA",
        _ => return None,
    })
}

/// An opcode's name (RFC 1035, 1996, 2136, 8490), `OPCODE{n}` for the rest.
pub fn opcode_name(opcode: u8) -> String {
    match opcode {
        0 => "QUERY".to_owned(),
        1 => "IQUERY".to_owned(),
        2 => "STATUS".to_owned(),
        4 => "NOTIFY".to_owned(),
        5 => "UPDATE".to_owned(),
        6 => "DSO".to_owned(),
        n => format!("OPCODE{n}"),
    }
}

/// An RCODE's name as dig prints it (RFC 1035, 2136, 6891, 8490, 2845,
/// 7873), `RCODE{n}` for the rest. 16 is BADVERS (an OPT record's extended
/// RCODE; TSIG calls it BADSIG).
pub fn rcode_name(rcode: u16) -> String {
    let name = match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        n => return format!("RCODE{n}"),
    };
    name.to_owned()
}
