//! Recorded conversations (testdata/*/*.txt, written by
//! testdata/tools/record.py) replayed through a [`Session`] as syscalls.
//!
//! A transcript holds one line per read the recording proxy made:
//! `c <hex>` for bytes the connecting side sent, `s <hex>` for the other
//! side's, `#` for comments.

use crate::protocol::{Direction, Role};
use crate::registry::Protocol;
use crate::segment::Segment;
use crate::session::{Event, Limits, Session};

/// Who sent each chunk, and its bytes.
pub fn load(text: &str) -> Vec<(Role, Vec<u8>)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (tag, hex) = l.split_once(' ').expect("tag and hex");
            let from = match tag {
                "c" => Role::Client,
                "s" => Role::Server,
                other => panic!("unknown tag {other}"),
            };
            let hex = hex.trim().as_bytes();
            let bytes = hex
                .chunks(2)
                .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
                .collect();
            (from, bytes)
        })
        .collect()
}

/// The bytes `from` sent, all chunks joined.
pub fn sent_by(chunks: &[(Role, Vec<u8>)], from: Role) -> Vec<u8> {
    chunks
        .iter()
        .filter(|(f, _)| *f == from)
        .flat_map(|(_, b)| b.iter().copied())
        .collect()
}

/// Replays `chunks` at the endpoint playing `local`, each chunk cut into
/// syscalls of at most `max` bytes; syscall `k` enters at `k * 100` and
/// returns at `k * 100 + 10`. Returns every event, the connection closed.
pub fn replay(
    protocol: Protocol,
    local: Role,
    chunks: &[(Role, Vec<u8>)],
    max: usize,
) -> (Vec<Event>, Session) {
    let mut session = Session::new(protocol, local, Limits::default());
    let mut events = Vec::new();
    let mut k = 0u64;
    for (from, bytes) in chunks {
        let direction = if *from == local {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        for piece in bytes.chunks(max.max(1)) {
            let mut seg = Segment::new(piece, k * 100, k * 100 + 10);
            seg.tid = 1;
            k += 1;
            session.push(direction, &seg, |e| events.push(e));
        }
    }
    session.close(|e| events.push(e));
    (events, session)
}

/// The outcomes only (exchanges and unpaired messages), in order.
pub fn outcomes(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .filter(|e| !matches!(e, Event::Started(_)))
        .collect()
}
