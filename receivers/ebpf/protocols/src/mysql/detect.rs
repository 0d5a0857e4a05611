//! Which first bytes begin MySQL: the detection rules (repeated, looser, by
//! `bpf/detect_mysql.h` on the first 8 bytes) and where the stream may find
//! its footing again.
//!
//! Detected, each packet under 64 KiB (the length's third byte 0, which
//! also keeps TLS records, whose length field there is 0x03xx, out):
//! * the server's greeting: sequence 0, protocol 10, a version beginning
//!   with a digit then digits or dots (`5.5.5-10.11.19-MariaDB`,
//!   `8.0.36`), its length 24 to 1024;
//! * a client command of sequence 0: COM_QUERY and COM_STMT_PREPARE with
//!   statement text (a letter, `(`, a comment or white space first),
//!   COM_INIT_DB with a schema name, COM_PING alone in its packet,
//!   COM_STMT_EXECUTE of a statement id under 65 536 (or MariaDB's
//!   0xFFFFFFFF) with its flags and an iteration count of 1.
//!
//! Other commands, answers and the handshake response are not detected:
//! the next command finds the connection.

use super::message::Command;
use super::packet::{header, HEADER};
use crate::protocol::{Kind, Role, DETECT_LEN};

/// Whether `b` may start a query's text: a letter, `(`, a comment's first
/// character or white space (the mariadb client sends ` SELECT` when it
/// strips a leading comment). The kernel checks this byte alone.
pub(crate) fn sql_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || matches!(b, b'(' | b'/' | b'-' | b'#' | b' ' | b'\t' | b'\r' | b'\n')
}

/// A byte of statement text: printable, white space or UTF-8.
fn texty(b: u8) -> bool {
    b.is_ascii_graphic() || b.is_ascii_whitespace() || b >= 0x80
}

/// Whether `b` may start a schema name.
pub(crate) fn name_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Whether the first bytes begin a MySQL greeting (a response) or command
/// (a request).
pub(crate) fn detect(first: &[u8]) -> Option<Kind> {
    let first = &first[..first.len().min(DETECT_LEN)];
    let h = header(first)?;
    if h.seq != 0 || h.len > 0xFFFF {
        return None;
    }
    let cmd = *first.get(HEADER)?;
    // The payload after its first byte, as far as the first bytes go.
    let body = first.get(HEADER + 1..first.len().min(h.total()))?;
    let request = match Command(cmd) {
        _ if cmd == 0x0A => return greeting(h.len, body).then_some(Kind::Response),
        Command::PING => h.len == 1,
        Command::QUERY | Command::STMT_PREPARE => {
            h.len >= 2
                && body.first().is_some_and(|&b| sql_start(b))
                && body.iter().all(|&b| texty(b))
        }
        Command::INIT_DB => {
            h.len >= 2
                && body.first().is_some_and(|&b| name_start(b))
                && body.iter().all(|&b| texty(b) && b != b' ')
        }
        Command::STMT_EXECUTE => execute(h.len, body),
        _ => false,
    };
    request.then_some(Kind::Request)
}

/// A greeting: a length a greeting has, then the version's first bytes
/// (the rest of the version up to its NUL printable).
fn greeting(len: usize, version: &[u8]) -> bool {
    let [major, second, third, ..] = *version else {
        return false;
    };
    let digit_or_dot = |b: u8| b.is_ascii_digit() || b == b'.';
    let printable = version
        .iter()
        .take_while(|&&b| b != 0)
        .all(|b| b.is_ascii_graphic());
    (24..=1024).contains(&len)
        && (b'1'..=b'9').contains(&major)
        && digit_or_dot(second)
        && digit_or_dot(third)
        && printable
}

/// COM_STMT_EXECUTE: the statement id, flags (cursor type, MariaDB's
/// parameter count flag) and an iteration count that is always 1.
fn execute(len: usize, body: &[u8]) -> bool {
    let [a, b, c, ..] = *body else {
        return false;
    };
    let direct = [a, b, c] == [0xFF; 3];
    let small = c == 0 && (a | b) != 0;
    if len < 10 || !(direct || small) {
        return false;
    }
    let id_ok = match body.get(3) {
        Some(&d) => (small && d == 0) || (direct && d == 0xFF),
        None => true,
    };
    let flags_ok = body.get(4).is_none_or(|&f| f <= 0x0F);
    let iterations_ok = match body.get(5..9) {
        Some(n) => n == [1, 0, 0, 0],
        None => true,
    };
    id_ok && flags_ok && iterations_ok
}

/// Whether `b` could begin a packet sent by `from` that a message or the
/// connection phase starts with (a prefix counts): for the client, a known
/// command of sequence 0 or a handshake response of sequence 1; for the
/// server, the greeting, an error instead of it, or the first packet of an
/// answer (sequence 1: OK, ERR, EOF, a LOCAL INFILE request, a short column
/// count packet, a column definition). Rows in the middle of a result, whose
/// sequence ids run on, do not pass for a start.
pub(crate) fn may_start(from: Role, b: &[u8]) -> bool {
    if b.is_empty() {
        return false;
    }
    let Some(h) = header(b) else {
        return true;
    };
    let first = b.get(HEADER).copied();
    match (from, h.seq, first) {
        (_, 0 | 1, None) => true,
        (Role::Client, 0, Some(c)) => Command(c).name().is_some(),
        // A handshake response: CLIENT_PROTOCOL_41 in its flags.
        (Role::Client, 1, Some(_)) => {
            h.len >= 32 && b.get(HEADER + 1).is_none_or(|&f| f & 0x02 != 0)
        }
        (Role::Server, 0, Some(c)) => c == 0x0A || c == 0xFF,
        (Role::Server, 1, Some(c)) => {
            matches!(c, 0x00 | 0xFF | 0xFE | 0xFB)
                || h.len <= 10
                || b[HEADER..].starts_with(b"\x03def")
        }
        _ => false,
    }
}
