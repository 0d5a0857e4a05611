//! Recorded syscalls (testdata/record.py's transcripts) replayed through a
//! session, with the captures cut as the receiver may cut them.
#![allow(dead_code)]

use sonde_ebpf_protocols::{
    Direction, Event, Exchange, Half, Limits, Protocol, Request, Response, Role, Segment, Session,
    Started, Unpaired, UnpairedReason,
};

/// One syscall of a transcript.
#[derive(Clone, Debug)]
pub struct Record {
    /// Connection number (`c0`, `c1`, ...).
    pub conn: usize,
    /// Bytes the traced process wrote (`>`); else read (`<`).
    pub wrote: bool,
    pub data: Vec<u8>,
}

/// Reads a transcript: `c<N> <'>' or '<'> "escaped"["*count"] ...` per line.
pub fn load(text: &str) -> Vec<Record> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let conn = parts.next().and_then(|c| c.strip_prefix('c')?.parse().ok());
        let dir = parts.next();
        let (Some(conn), Some(dir), Some(rest)) = (conn, dir, parts.next()) else {
            panic!("line {}: {line}", n + 1);
        };
        out.push(Record {
            conn,
            wrote: dir == ">",
            data: strings(rest).unwrap_or_else(|| panic!("line {}: bad strings", n + 1)),
        });
    }
    out
}

/// `"a\r\n" "x"*100` and the like, concatenated.
fn strings(mut s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Some(out);
        }
        s = s.strip_prefix('"')?;
        let mut piece = Vec::new();
        let mut chars = s.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => break i,
                '\\' => {
                    let (_, e) = chars.next()?;
                    match e {
                        'r' => piece.push(b'\r'),
                        'n' => piece.push(b'\n'),
                        't' => piece.push(b'\t'),
                        '\\' => piece.push(b'\\'),
                        '"' => piece.push(b'"'),
                        'x' => {
                            let (h, _) = chars.next()?;
                            let hex = s.get(h..h + 2)?;
                            chars.next()?;
                            piece.push(u8::from_str_radix(hex, 16).ok()?);
                        }
                        _ => return None,
                    }
                }
                c => {
                    let mut buf = [0; 4];
                    piece.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        };
        s = &s[end + 1..];
        let mut times = 1;
        if let Some(rest) = s.strip_prefix('*') {
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            times = rest[..digits].parse().ok()?;
            s = &rest[digits..];
        }
        match piece[..] {
            [byte] => out.resize(out.len() + times, byte),
            _ => {
                for _ in 0..times {
                    out.extend_from_slice(&piece);
                }
            }
        }
    }
}

/// The records of connection `conn`.
pub fn conn(records: &[Record], conn: usize) -> Vec<Record> {
    records.iter().filter(|r| r.conn == conn).cloned().collect()
}

/// A session fed by hand: syscall `k` enters at `k * 100`, returns 10 ns later.
pub struct Replay {
    pub session: Session,
    pub events: Vec<Event>,
    pub started: Vec<Started>,
    pub segments: u64,
    /// Bytes a syscall's capture keeps (the receiver's `payload_size`).
    pub capture: usize,
}

impl Replay {
    pub fn new(protocol: Protocol, local: Role) -> Self {
        Replay::with_limits(protocol, local, Limits::default())
    }

    pub fn with_limits(protocol: Protocol, local: Role, limits: Limits) -> Self {
        Replay {
            session: Session::new(protocol, local, limits),
            events: Vec::new(),
            started: Vec::new(),
            segments: 0,
            capture: usize::MAX,
        }
    }

    /// Plays `records` as the process that recorded them saw them.
    pub fn play(&mut self, records: &[Record]) {
        for r in records {
            self.push_record(r, usize::MAX, false);
        }
    }

    /// Plays `records` as the other end saw them: what the recording
    /// process wrote, the session's process read.
    pub fn play_as_peer(&mut self, records: &[Record]) {
        for r in records {
            self.push_record(r, usize::MAX, true);
        }
    }

    /// As [`Replay::play`], each syscall cut into pieces of `size` bytes
    /// (into 256 pieces at most, so large values stay cheap to replay).
    pub fn play_in_pieces(&mut self, records: &[Record], size: usize) {
        for r in records {
            self.push_record(r, size, false);
        }
    }

    fn push_record(&mut self, r: &Record, size: usize, peer: bool) {
        let direction = if r.wrote != peer {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        let size = size.max(r.data.len() / 256).max(1);
        for piece in r.data.chunks(size) {
            self.push(direction, piece);
        }
    }

    /// One syscall, captured up to [`Replay::capture`] bytes.
    pub fn push(&mut self, direction: Direction, bytes: &[u8]) {
        let k = self.segments;
        self.segments += 1;
        let captured = &bytes[..bytes.len().min(self.capture)];
        let mut seg = Segment::new(captured, k * 100, k * 100 + 10).with_len(bytes.len());
        seg.tcp_seq = 1000 * k as u32;
        seg.tid = 7;
        seg.trace_id = k + 1;
        let (events, started) = (&mut self.events, &mut self.started);
        self.session.push(direction, &seg, |e| match e {
            Event::Started(s) => started.push(s),
            other => events.push(other),
        });
    }

    pub fn close(&mut self) {
        let (events, started) = (&mut self.events, &mut self.started);
        self.session.close(|e| match e {
            Event::Started(s) => started.push(s),
            other => events.push(other),
        });
    }

    pub fn exchanges(&self) -> Vec<&Exchange> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Exchange(x) => Some(x),
                _ => None,
            })
            .collect()
    }

    pub fn unpaired(&self) -> Vec<&Unpaired> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Unpaired(u) => Some(u),
                _ => None,
            })
            .collect()
    }

    /// Unpaired messages for `reason`.
    pub fn unpaired_for(&self, reason: UnpairedReason) -> Vec<&Unpaired> {
        self.unpaired()
            .into_iter()
            .filter(|u| u.reason == reason)
            .collect()
    }
}

/// The request of a lone message, if it is one.
pub fn lone_request(u: &Unpaired) -> Option<&Request> {
    match &u.message {
        Half::Request(r) => Some(r),
        Half::Response(_) => None,
    }
}

/// The response of a lone message, if it is one.
pub fn lone_response(u: &Unpaired) -> Option<&Response> {
    match &u.message {
        Half::Response(r) => Some(r),
        Half::Request(_) => None,
    }
}
