//! The server's answer to one command, walked packet by packet: where it
//! ends, and what the spans need from it (the first error, how many
//! results, the statement a prepare made). Rows and definitions are skipped
//! by their length and never copied.
//!
//! An answer is an OK, an ERR, or a result set — a column count, that many
//! column definitions, an EOF unless the client asked for
//! CLIENT_DEPRECATE_EOF, rows, and an EOF (or, with that flag, an OK with
//! the `FE` header) — and when an OK or the final EOF says
//! SERVER_MORE_RESULTS_EXISTS, another result follows (a text of several
//! statements, a procedure). COM_STMT_PREPARE's answer is PREPARE_OK
//! followed by the parameters' and the columns' definitions, each list
//! ended by an EOF under the same rule. A LOCAL INFILE request (`FB`) waits
//! for the client's file, then an OK or ERR ends it. Packet sequence ids
//! count up by one through the answer, which tells a packet of this answer
//! from anything else.
//!
//! When the handshake was not seen the flag is not known: the packet after
//! the last column definition tells, since the classic EOF is exactly 5
//! bytes and nothing else that may follow (a row, the 7-byte-or-longer OK
//! that ends rows) starts with `FE` at that length.

use super::message::{end_status, ok_status, server_error, Command, Response, PROGRESS};
use super::packet::{header, lenenc, u32_at, Header, HEADER, MAX_PAYLOAD, MORE_RESULTS_EXISTS};

/// Columns a result may have (MySQL's and MariaDB's limit).
const MAX_COLUMNS: u64 = 4096;

/// Payload bytes read from the start of a packet that ends or begins
/// something: enough for an OK's status, an ERR's SQLSTATE, PREPARE_OK.
const HEAD: usize = 32;

/// What comes after a run of definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Then {
    Rows,
    /// The columns of a prepared statement, after its parameters.
    PreparedColumns(u16),
    End,
}

/// What the next packet of the answer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// A result's first packet: OK, ERR, a column count, a LOCAL INFILE
    /// request, an EOF (COM_SET_OPTION).
    Result,
    /// Definitions still to come.
    Definitions {
        left: u64,
        then: Then,
    },
    /// After definitions: the EOF that ends them, unless the client asked
    /// for CLIENT_DEPRECATE_EOF.
    DefinitionsEnd {
        then: Then,
    },
    /// Rows, up to the EOF or OK that ends them.
    Rows,
    /// COM_STMT_PREPARE's PREPARE_OK or ERR.
    Prepared,
    /// COM_CHANGE_USER's authentication, up to its OK or ERR.
    Auth,
    /// One packet of any shape (COM_STATISTICS's text).
    Single,
    Done,
}

/// Where a walk stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The answer ended with the packet that ends at this offset (which
    /// may lie past the bytes at hand).
    Done(usize),
    /// The bytes at hand end before the next packet can be read: it begins
    /// at `at` (a packet boundary, past the bytes at hand when the last
    /// packet runs on), and `needed` more bytes would let the walk go on.
    More { at: usize, needed: usize },
    /// The packet at `at` is not part of this answer.
    Bad { at: usize },
}

/// An answer being walked.
#[derive(Clone, Debug)]
pub(crate) struct Walk {
    part: Part,
    /// The sequence id the next packet must carry.
    seq: u8,
    /// The client spoke in the middle of the answer (a file, authentication
    /// data): the next packet's sequence id is taken as it comes.
    seq_free: bool,
    /// The last packet's payload goes on in the next one.
    continues: bool,
    pub response: Response,
}

impl Walk {
    /// The answer to `command`, whose first packet carries `seq`.
    pub fn new(command: Command, seq: u8) -> Walk {
        let part = match command {
            Command::STMT_PREPARE => Part::Prepared,
            Command::CHANGE_USER => Part::Auth,
            Command::STATISTICS => Part::Single,
            // Column definitions up to an EOF, no count before them.
            Command::FIELD_LIST | Command::STMT_FETCH => Part::Rows,
            _ => Part::Result,
        };
        Walk {
            part,
            seq,
            seq_free: false,
            continues: false,
            response: Response::default(),
        }
    }

    /// Whether the answer has ended.
    pub fn done(&self) -> bool {
        self.part == Part::Done
    }

    /// Walks the packets of `b` from offset `from` (a packet boundary).
    /// `deprecate_eof` is the connection's CLIENT_DEPRECATE_EOF when known,
    /// and learnt here when not. `truncated`: the capture cut `b` short, so
    /// a packet's first bytes are read as far as they go.
    pub fn walk(
        &mut self,
        b: &[u8],
        from: usize,
        truncated: bool,
        deprecate_eof: &mut Option<bool>,
    ) -> Stop {
        let mut at = from;
        loop {
            self.settle(*deprecate_eof, at == b.len());
            if self.part == Part::Done {
                return Stop::Done(at);
            }
            let rest = b.get(at..).unwrap_or(&[]);
            let Some(h) = header(rest) else {
                let needed = HEADER.saturating_sub(rest.len()) + at.saturating_sub(b.len());
                return Stop::More { at, needed };
            };
            let payload = &rest[HEADER..rest.len().min(h.total())];
            let need = self.head_len(h, payload.first().copied());
            if payload.len() < need && !truncated {
                return Stop::More {
                    at,
                    needed: need - payload.len(),
                };
            }
            if self.part == (Part::DefinitionsEnd { then: Then::End }) && !self.is_eof(h, payload) {
                // A prepare's last definitions with no EOF after them: the
                // packet is the next answer's.
                *deprecate_eof = Some(true);
                self.part = Part::Done;
                return Stop::Done(at);
            }
            if !self.step(h, payload, deprecate_eof) {
                return Stop::Bad { at };
            }
            at += h.total();
        }
    }

    /// The moves that take no packet: definitions all read, and the EOF
    /// that would end them known to be absent (or, for a prepare's last
    /// list with the flag unknown, not at hand: the server writes an answer
    /// at once).
    fn settle(&mut self, deprecate_eof: Option<bool>, nothing_at_hand: bool) {
        if let Part::Definitions { left: 0, then } = self.part {
            self.part = Part::DefinitionsEnd { then };
        }
        if let Part::DefinitionsEnd { then: Then::End } = self.part {
            if deprecate_eof == Some(true) || (deprecate_eof.is_none() && nothing_at_hand) {
                self.part = Part::Done;
            }
        }
    }

    /// Payload bytes a packet needs at hand before it can be read.
    fn head_len(&self, h: Header, first: Option<u8>) -> usize {
        if self.continues {
            return 0;
        }
        match (self.part, first) {
            (Part::Definitions { .. } | Part::Single, _) => 0,
            (Part::Rows, Some(b)) if b != 0xFE && b != 0xFF => 1,
            _ => h.len.min(HEAD),
        }
    }

    /// The classic EOF that ends definitions: `FE` in exactly 5 bytes, in
    /// sequence.
    fn is_eof(&self, h: Header, payload: &[u8]) -> bool {
        payload.first() == Some(&0xFE) && h.len == 5 && (self.seq_free || h.seq == self.seq)
    }

    /// Takes one packet; false when it cannot belong to the answer.
    fn step(&mut self, h: Header, payload: &[u8], deprecate_eof: &mut Option<bool>) -> bool {
        if !self.seq_free && h.seq != self.seq {
            return false;
        }
        self.seq_free = false;
        self.seq = h.seq.wrapping_add(1);
        if std::mem::replace(&mut self.continues, h.continues()) {
            // The rest of a long row or definition.
            return true;
        }
        self.take(h, payload, deprecate_eof)
    }

    /// What the packet, in sequence and not a continuation, does to the
    /// answer.
    fn take(&mut self, h: Header, payload: &[u8], deprecate_eof: &mut Option<bool>) -> bool {
        let first = payload.first().copied();
        match self.part {
            Part::Definitions { left, then } => {
                self.part = Part::Definitions {
                    left: left.saturating_sub(1),
                    then,
                };
                true
            }
            Part::DefinitionsEnd { then } => {
                let eof = first == Some(0xFE) && h.len == 5;
                match *deprecate_eof {
                    None => *deprecate_eof = Some(!eof),
                    // The flag says the EOF is there; a server that sends
                    // none anyway is taken at its word.
                    Some(false) if !eof => *deprecate_eof = Some(true),
                    _ => {}
                }
                self.part = match then {
                    Then::Rows => Part::Rows,
                    Then::PreparedColumns(n) => Part::Definitions {
                        left: u64::from(n),
                        then: Then::End,
                    },
                    Then::End => Part::Done,
                };
                // Without the EOF, this packet is already the next part's
                // (`walk` kept a prepare's answer from taking the next
                // answer's first packet).
                eof || self.take(h, payload, deprecate_eof)
            }
            Part::Rows => match first {
                Some(0xFE) if h.len < MAX_PAYLOAD => {
                    self.end_of_result(end_status(payload, h.len));
                    true
                }
                Some(0xFF) => self.error(payload),
                _ => true,
            },
            Part::Result => self.result(h, payload),
            Part::Prepared => match first {
                Some(0x00) => {
                    self.response.results += 1;
                    self.response.statement_id = u32_at(payload, 1);
                    let count = |at: usize| {
                        payload
                            .get(at..at + 2)
                            .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]))
                    };
                    let (columns, params) = (count(5), count(7));
                    self.part = if params > 0 {
                        Part::Definitions {
                            left: u64::from(params),
                            then: if columns > 0 {
                                Then::PreparedColumns(columns)
                            } else {
                                Then::End
                            },
                        }
                    } else if columns > 0 {
                        Part::Definitions {
                            left: u64::from(columns),
                            then: Then::End,
                        }
                    } else {
                        Part::Done
                    };
                    true
                }
                Some(0xFF) => self.error(payload),
                _ => false,
            },
            Part::Auth => {
                match first {
                    Some(0x00) => self.part = Part::Done,
                    Some(0xFF) => return self.error(payload),
                    // A method switch or more data: the client answers.
                    _ => self.seq_free = true,
                }
                true
            }
            Part::Single => {
                self.part = Part::Done;
                true
            }
            Part::Done => false,
        }
    }

    /// A result's first packet.
    fn result(&mut self, h: Header, payload: &[u8]) -> bool {
        match payload.first().copied() {
            Some(0x00) => {
                self.response.results += 1;
                self.end_of_result(ok_status(payload));
                true
            }
            Some(0xFF) => self.error(payload),
            Some(0xFE) => {
                self.end_of_result(end_status(payload, h.len));
                true
            }
            Some(0xFB) => {
                // The client sends the file and an empty packet; the OK or
                // ERR after them carries a sequence id of their count.
                self.response.local_infile = true;
                self.seq_free = true;
                true
            }
            Some(_) => {
                let Some((columns, used)) = lenenc(payload) else {
                    return false;
                };
                // A column count packet holds the count, and with MySQL's
                // optional metadata or MariaDB's metadata cache, one byte
                // saying whether definitions follow.
                if columns == 0 || columns > MAX_COLUMNS || h.len > used + 1 {
                    return false;
                }
                self.response.results += 1;
                let skip_definitions = h.len == used + 1 && payload.get(used) == Some(&0);
                self.part = if skip_definitions {
                    Part::DefinitionsEnd { then: Then::Rows }
                } else {
                    Part::Definitions {
                        left: columns,
                        then: Then::Rows,
                    }
                };
                true
            }
            None => false,
        }
    }

    /// An OK or EOF ended a result: another follows when its status says so.
    fn end_of_result(&mut self, status: Option<u16>) {
        let more = status.is_some_and(|s| s & MORE_RESULTS_EXISTS != 0);
        self.part = if more { Part::Result } else { Part::Done };
    }

    /// An ERR packet: the answer's end, unless it is a progress report.
    fn error(&mut self, payload: &[u8]) -> bool {
        let error = server_error(payload);
        if error.is_some_and(|e| e.code == PROGRESS) {
            return true;
        }
        if self.response.error.is_none() {
            self.response.error = error;
        }
        self.part = Part::Done;
        true
    }
}
