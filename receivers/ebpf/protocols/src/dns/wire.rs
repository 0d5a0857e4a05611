//! The DNS wire format (RFC 1035 §4.1): the fixed header, the question,
//! resource records, and names with compression pointers.
//!
//! Everything here reads a message that may be only the captured prefix of
//! what was sent (`whole == false`): what lies past the bytes at hand is
//! unknown, never an error.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::parse::Malformed;

/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 12;

/// Longest name on the wire (RFC 1035 §2.3.4), length bytes included.
const MAX_NAME: usize = 255;

/// Compression pointers followed in one name before it is taken for a loop.
const MAX_HOPS: usize = 64;

/// Addresses kept from one answer: enough for any real round-robin set.
pub const MAX_ADDRESSES: usize = 16;

/// Record types the parser looks into.
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const TYPE_OPT: u16 = 41;
const CLASS_IN: u16 = 1;

/// The fixed header of every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    /// QR, opcode, AA, TC, RD, RA, Z, AD, CD and RCODE, as sent.
    pub flags: u16,
    pub questions: u16,
    pub answers: u16,
    pub authorities: u16,
    pub additionals: u16,
}

impl Header {
    /// The header at the start of `bytes`, if they hold one.
    pub fn read(bytes: &[u8]) -> Option<Header> {
        let h = bytes.get(..HEADER_LEN)?;
        let word = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        Some(Header {
            id: word(0),
            flags: word(2),
            questions: word(4),
            answers: word(6),
            authorities: word(8),
            additionals: word(10),
        })
    }

    /// QR: the message answers.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }

    /// 0 QUERY, 1 IQUERY, 2 STATUS, 4 NOTIFY, 5 UPDATE, 6 DSO.
    pub fn opcode(&self) -> u8 {
        (self.flags >> 11 & 0xf) as u8
    }

    /// The header's 4-bit RCODE (without the bits an OPT record adds).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }

    /// AA: the answer comes from an authority for the name.
    pub fn authoritative(&self) -> bool {
        self.flags & 0x0400 != 0
    }

    /// TC: the answer did not fit (over UDP: the client asks again over TCP).
    pub fn truncated(&self) -> bool {
        self.flags & 0x0200 != 0
    }

    /// RD: the client asks for recursion.
    pub fn recursion_desired(&self) -> bool {
        self.flags & 0x0100 != 0
    }

    /// Z: reserved, zero in every real message.
    pub fn z(&self) -> bool {
        self.flags & 0x0040 != 0
    }
}

/// The (first) question of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Lower case, without the trailing dot (`.` for the root), characters
    /// outside printable ASCII written `\DDD` as the conventions ask.
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
}

/// A DNS message, query or response: what a span needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    /// The first question; `None` when the message has none (some error
    /// answers) or the capture ended inside it.
    pub question: Option<Question>,
    /// RCODE with the upper 8 bits of an OPT record (EDNS, RFC 6891) when
    /// the message carries one and it was seen: 16 is BADVERS.
    pub rcode: u16,
    /// The message carries an OPT record (as far as it was seen).
    pub edns: bool,
    /// The A and AAAA records of the answer section, in order (at most
    /// [`MAX_ADDRESSES`]).
    pub addresses: Vec<IpAddr>,
    /// Only a prefix of the message was seen (a capture cut short, or a TCP
    /// message whose tail was skipped): records past it are not known.
    pub partial: bool,
}

impl Message {
    pub fn id(&self) -> u16 {
        self.header.id
    }

    pub fn is_response(&self) -> bool {
        self.header.is_response()
    }

    pub fn opcode(&self) -> u8 {
        self.header.opcode()
    }

    /// The question's type, 0 when there is no question.
    pub fn qtype(&self) -> u16 {
        self.question.as_ref().map_or(0, |q| q.qtype)
    }

    /// The question's name, when there is one.
    pub fn name(&self) -> Option<&str> {
        self.question.as_ref().map(|q| q.name.as_str())
    }

    /// The answer section's record count, as the header gives it.
    pub fn answer_count(&self) -> u16 {
        self.header.answers
    }
}

/// Why a name could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NameError {
    /// The bytes at hand end inside it.
    Cut,
    /// A reserved label type, a pointer forward or in a loop, a name too long.
    Invalid,
}

/// Parse the message at the start of `bytes`; `whole` says they hold all of
/// it. A message cut before the end of its question keeps its header only;
/// records past the bytes at hand, or that do not parse, are not looked at.
pub fn parse_message(bytes: &[u8], whole: bool) -> Result<Message, Malformed> {
    let header = Header::read(bytes).ok_or(Malformed::StartLine)?;
    let mut message = Message {
        header,
        question: None,
        rcode: u16::from(header.rcode()),
        edns: false,
        addresses: Vec::new(),
        partial: !whole,
    };
    if header.questions == 0 {
        records(bytes, HEADER_LEN, &mut message);
        return Ok(message);
    }
    let mut name = String::new();
    let at = match read_name(bytes, HEADER_LEN, &mut name) {
        Ok(end) => end,
        Err(NameError::Cut) if !whole => return Ok(message),
        Err(_) => return Err(Malformed::Header),
    };
    let Some(fixed) = bytes.get(at..at + 4) else {
        return if whole {
            Err(Malformed::Header)
        } else {
            Ok(message)
        };
    };
    message.question = Some(Question {
        name,
        qtype: u16::from_be_bytes([fixed[0], fixed[1]]),
        qclass: u16::from_be_bytes([fixed[2], fixed[3]]),
    });
    records(bytes, at + 4, &mut message);
    Ok(message)
}

/// Walk the other questions and the records after the first question at
/// `at`, keeping the answer's addresses and the OPT record's RCODE bits.
/// Stops quietly at the end of the bytes or at anything that does not parse.
fn records(msg: &[u8], mut at: usize, message: &mut Message) {
    let h = message.header;
    for _ in 1..h.questions {
        let Some(next) = skip_name(msg, at).and_then(|end| end.checked_add(4)) else {
            return;
        };
        at = next;
    }
    let sections = [
        (h.answers, Section::Answer),
        (h.authorities, Section::Authority),
        (h.additionals, Section::Additional),
    ];
    for (count, section) in sections {
        for _ in 0..count {
            let Some(end) = skip_name(msg, at) else {
                return;
            };
            let Some(fixed) = msg.get(end..end + 10) else {
                return;
            };
            let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
            // mDNS sets the top bit of the class (cache flush).
            let class = u16::from_be_bytes([fixed[2], fixed[3]]) & 0x7fff;
            let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
            let len = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
            let start = end + 10;
            let Some(data) = msg.get(start..start + len) else {
                return;
            };
            match (section, rtype) {
                (Section::Answer, TYPE_A) if class == CLASS_IN && len == 4 => {
                    let octets: [u8; 4] = [data[0], data[1], data[2], data[3]];
                    push_address(message, IpAddr::V4(Ipv4Addr::from(octets)));
                }
                (Section::Answer, TYPE_AAAA) if class == CLASS_IN && len == 16 => {
                    let mut octets = [0u8; 16];
                    octets.copy_from_slice(data);
                    push_address(message, IpAddr::V6(Ipv6Addr::from(octets)));
                }
                (Section::Additional, TYPE_OPT) if !message.edns => {
                    message.edns = true;
                    // The OPT record's TTL: extended RCODE, version, flags.
                    let extended = (ttl >> 24) as u16;
                    message.rcode = extended << 4 | u16::from(h.rcode());
                }
                _ => {}
            }
            at = start + len;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Answer,
    Authority,
    Additional,
}

fn push_address(message: &mut Message, address: IpAddr) {
    if message.addresses.len() < MAX_ADDRESSES {
        message.addresses.push(address);
    }
}

/// Read the name at `at` into `out` (see [`Question::name`]); returns where
/// the name ends in place (after its terminator or its first pointer).
///
/// Pointers must point before themselves, at most [`MAX_HOPS`] are followed
/// and the name may not exceed [`MAX_NAME`] bytes, so a crafted loop ends.
pub(super) fn read_name(msg: &[u8], at: usize, out: &mut String) -> Result<usize, NameError> {
    let mut pos = at;
    let mut end = None;
    let mut hops = 0;
    let mut length = 0usize;
    loop {
        let len = *msg.get(pos).ok_or(NameError::Cut)?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                if out.is_empty() {
                    out.push('.');
                }
                return Ok(end.unwrap_or(pos + 1));
            }
            0x00 => {
                let len = usize::from(len);
                length += len + 1;
                if length + 1 > MAX_NAME {
                    return Err(NameError::Invalid);
                }
                let label = msg.get(pos + 1..pos + 1 + len).ok_or(NameError::Cut)?;
                if !out.is_empty() {
                    out.push('.');
                }
                push_label(out, label);
                pos += 1 + len;
            }
            0xc0 => {
                let low = *msg.get(pos + 1).ok_or(NameError::Cut)?;
                let target = usize::from(len & 0x3f) << 8 | usize::from(low);
                hops += 1;
                if target >= pos || hops > MAX_HOPS {
                    return Err(NameError::Invalid);
                }
                end.get_or_insert(pos + 2);
                pos = target;
            }
            // 0x40 extended label types (obsolete), 0x80 reserved.
            _ => return Err(NameError::Invalid),
        }
    }
}

/// Where the name at `at` ends in place, without reading it: `None` when
/// it runs past the bytes or is not a name.
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    let mut length = 0usize;
    loop {
        let len = *msg.get(at)?;
        match len & 0xc0 {
            0x00 if len == 0 => return Some(at + 1),
            0x00 => {
                length += usize::from(len) + 1;
                if length + 1 > MAX_NAME {
                    return None;
                }
                at += 1 + usize::from(len);
            }
            0xc0 => return msg.get(at + 1).map(|_| at + 2),
            _ => return None,
        }
    }
}

/// A label as presentation text: lower case; `.` and `\` escaped with a
/// backslash, `"` too; tab, CR and LF as `\t`, `\r`, `\n`; other bytes
/// outside printable ASCII as `\DDD` (the conventions' rule for
/// `dns.question.name`).
fn push_label(out: &mut String, label: &[u8]) {
    for &b in label {
        match b {
            b'.' | b'\\' | b'"' => {
                out.push('\\');
                out.push(char::from(b));
            }
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            0x21..=0x7e => out.push(char::from(b.to_ascii_lowercase())),
            _ => {
                out.push('\\');
                out.push(char::from(b'0' + b / 100));
                out.push(char::from(b'0' + b / 10 % 10));
                out.push(char::from(b'0' + b % 10));
            }
        }
    }
}
