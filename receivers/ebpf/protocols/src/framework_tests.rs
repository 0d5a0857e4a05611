//! The framework on a toy protocol that uses what HTTP/1 does not: pairing
//! by id with answers out of order, interim and unsolicited answers,
//! one-way requests, a message in several units with an early answer.
//!
//! The toy speaks lines. Client: `Q<id> text` (a request), `N text`
//! (one-way), `B<id> <n>` followed by n body bytes (taken 4 at a time),
//! `C<id>` (cancels its request), `K text` (belongs to no message).
//! Server: `A<id> text` (answer), `I<id>` (interim), `P text` (push),
//! `U<id>` (answer, then another protocol), `S<id>` (an answer to `<id>`
//! begins; it is handed over with its `A<id>`, like HTTP/2's).

use memchr::memchr;

use crate::describe::{DescribeContext, Description, Family};
use crate::pairing::Pending;
use crate::parse::{Input, Malformed, ParseResult};
use crate::protocol::{Direction, Disposition, Kind, Message, Pairing, ProtocolParser, Role, Step};
use crate::segment::{Meta, Segment};
use crate::session::{Engine, Event, Half, Limits, UnpairedReason};

#[derive(Default)]
struct Toy {
    body_left: [usize; 2],
    /// Answers begun by `S<id>`: id, and the start of its unit.
    begun: Vec<(u64, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Req {
    id: u64,
    one_way: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Resp {
    id: u64,
    kind: u8,
    /// When its `S<id>` line came.
    started: Option<u64>,
}

impl ProtocolParser for Toy {
    type Request = Req;
    type Response = Resp;
    const PAIRING: Pairing = Pairing::ById;

    fn detect(first: &[u8], _: Direction) -> Option<Kind> {
        match first.first()? {
            b'Q' | b'N' | b'B' | b'C' | b'K' => Some(Kind::Request),
            b'A' | b'I' | b'P' | b'U' | b'S' => Some(Kind::Response),
            _ => None,
        }
    }

    fn may_start(from: Role, bytes: &[u8]) -> bool {
        let starts: &[u8] = if from == Role::Client {
            b"QNBCK"
        } else {
            b"AIPUS"
        };
        bytes.first().is_some_and(|b| starts.contains(b))
    }

    fn parse(
        &mut self,
        from: Role,
        input: Input<'_>,
        _: Pending<'_, Self>,
    ) -> ParseResult<Step<Req, Resp>> {
        let left = &mut self.body_left[from.index()];
        if *left > 0 {
            let n = (*left).min(4);
            *left -= n;
            let step = if *left == 0 { Step::End } else { Step::Body };
            return ParseResult::Parsed {
                message: step,
                consumed: n,
            };
        }
        let Some(nl) = memchr(b'\n', input.bytes) else {
            return ParseResult::Incomplete { needed: Some(1) };
        };
        let line = &input.bytes[..nl];
        let digits: String = line[1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| b as char)
            .collect();
        let id = digits.parse().unwrap_or(0);
        let whole = |message| ParseResult::Parsed {
            message: Step::Whole(message),
            consumed: nl + 1,
        };
        match (from, line[0]) {
            (Role::Client, b'Q') => whole(Message::Request(Req { id, one_way: false })),
            (Role::Client, b'N') => whole(Message::Request(Req { id, one_way: true })),
            (Role::Client, b'B') => {
                let n = line
                    .rsplit(|&b| b == b' ')
                    .next()
                    .and_then(|n| std::str::from_utf8(n).ok()?.parse().ok());
                let Some(n) = n else {
                    return ParseResult::Malformed(Malformed::Length);
                };
                *left = n;
                let message = Message::Request(Req { id, one_way: false });
                let step = if n == 0 {
                    Step::Whole(message)
                } else {
                    Step::Head(message)
                };
                ParseResult::Parsed {
                    message: step,
                    consumed: nl + 1,
                }
            }
            (Role::Client, b'C') => whole(Message::Response(Resp {
                id,
                kind: b'C',
                started: None,
            })),
            (Role::Client, b'K') | (Role::Server, b'S') => {
                if line[0] == b'S' {
                    self.begun.push((id, input.start_ns));
                }
                ParseResult::Parsed {
                    message: Step::Body,
                    consumed: nl + 1,
                }
            }
            (Role::Server, kind @ (b'A' | b'I' | b'P' | b'U')) => {
                let started = self
                    .begun
                    .iter()
                    .position(|&(b, _)| b == id)
                    .map(|i| self.begun.remove(i).1);
                whole(Message::Response(Resp { id, kind, started }))
            }
            _ => ParseResult::Malformed(Malformed::StartLine),
        }
    }

    fn reset(&mut self, from: Role) {
        self.body_left[from.index()] = 0;
    }

    fn expects_response(request: &Req) -> bool {
        !request.one_way
    }

    fn disposition(response: &Resp) -> Disposition {
        match response.kind {
            b'I' => Disposition::Interim,
            b'P' => Disposition::Unsolicited,
            b'U' => Disposition::Upgrade,
            b'C' => Disposition::Cancel,
            _ => Disposition::Final,
        }
    }

    fn request_id(request: &Req) -> u64 {
        request.id
    }

    fn describe(request: &Req, _: Option<&Resp>, _: DescribeContext<'_>) -> Description {
        Description::new(Family::Rpc, format!("toy {}", request.id))
    }

    fn response_id(response: &Resp) -> u64 {
        response.id
    }

    fn started_ns(message: &Message<Req, Resp>) -> Option<u64> {
        match message {
            Message::Response(r) => r.started,
            Message::Request(_) => None,
        }
    }
}

struct Harness {
    engine: Engine<Toy>,
    events: Vec<Event<Req, Resp>>,
    k: u64,
}

impl Harness {
    /// The toy's server side: requests come in.
    fn new() -> Self {
        Harness {
            engine: Engine::new(Role::Server, Limits::default()),
            events: Vec::new(),
            k: 0,
        }
    }

    fn push(&mut self, direction: Direction, bytes: &[u8]) {
        let seg = Segment::new(bytes, self.k * 100, self.k * 100 + 10);
        self.k += 1;
        let events = &mut self.events;
        self.engine.push(direction, &seg, &mut |e| {
            if !matches!(e, Event::Started(_)) {
                events.push(e)
            }
        });
    }

    fn close(&mut self) {
        let events = &mut self.events;
        self.engine.close(&mut |e| {
            if !matches!(e, Event::Started(_)) {
                events.push(e)
            }
        });
    }

    /// (request id, response id) of each exchange, and each unpaired
    /// message's reason, in the order reported.
    fn outcome(&self) -> Vec<Result<(u64, u64), UnpairedReason>> {
        self.events
            .iter()
            .map(|e| match e {
                Event::Exchange(x) => Ok((x.request.id, x.response.id)),
                Event::Unpaired(u) => Err(u.reason),
                Event::Started(_) => unreachable!("kept out by push"),
            })
            .collect()
    }
}

const IN: Direction = Direction::Ingress;
const OUT: Direction = Direction::Egress;

#[test]
fn answers_pair_by_id_in_any_order() {
    let mut h = Harness::new();
    h.push(IN, b"Q1 a\nQ2 b\nQ3 c\n");
    h.push(OUT, b"A3 z\n");
    h.push(OUT, b"A1 x\nA2 y\n");
    assert_eq!(h.outcome(), vec![Ok((3, 3)), Ok((1, 1)), Ok((2, 2))]);
    let Event::Exchange(x) = &h.events[1] else {
        panic!()
    };
    assert_eq!(
        (
            x.request_meta.start_ns,
            x.response_meta.start_ns,
            x.response_meta.end_ns
        ),
        (0, 200, 210)
    );
}

#[test]
fn interim_unsolicited_one_way_and_unknown_ids() {
    let mut h = Harness::new();
    h.push(IN, b"Q5 a\n");
    h.push(OUT, b"I5\nP news\nA9 who\nA5 done\n");
    h.push(IN, b"N fire and forget\n");
    assert_eq!(
        h.outcome(),
        vec![
            Err(UnpairedReason::Unsolicited),
            Err(UnpairedReason::NoRequest),
            Ok((5, 5)),
            Err(UnpairedReason::OneWay)
        ]
    );
    assert_eq!(h.engine.stats().interim, 1);
    let Event::Unpaired(u) = &h.events[0] else {
        panic!()
    };
    assert!(matches!(u.message, Half::Response(Resp { kind: b'P', .. })));
}

#[test]
fn a_message_in_units_ends_with_its_last_unit() {
    let mut h = Harness::new();
    h.push(IN, b"B7 10\nabcdef");
    h.push(IN, b"ghij");
    h.push(OUT, b"A7 ok\n");
    assert_eq!(h.outcome(), vec![Ok((7, 7))]);
    let Event::Exchange(x) = &h.events[0] else {
        panic!()
    };
    assert_eq!(
        x.request_meta,
        Meta {
            start_ns: 0,
            end_ns: 110,
            first_exit_ns: 10,
            last_enter_ns: 100,
            bytes: 16,
            ..Meta::default()
        }
    );
}

#[test]
fn an_early_answer_waits_for_its_request_to_end() {
    let mut h = Harness::new();
    h.push(IN, b"B8 6\nab");
    h.push(OUT, b"A8 too early\n");
    assert!(h.events.is_empty());
    h.push(IN, b"cdef");
    assert_eq!(h.outcome(), vec![Ok((8, 8))]);
    let Event::Exchange(x) = &h.events[0] else {
        panic!()
    };
    assert_eq!((x.request_meta.end_ns, x.response_meta.end_ns), (210, 110));
}

#[test]
fn a_body_beyond_the_capture_is_skipped() {
    let mut h = Harness::new();
    let seg = Segment::new(b"B4 100\nxx", 0, 10).with_len(7 + 100);
    let events = &mut h.events;
    h.engine.push(IN, &seg, &mut |e| {
        if !matches!(e, Event::Started(_)) {
            events.push(e)
        }
    });
    h.k = 1;
    h.push(IN, b"Q5 next\n");
    h.push(OUT, b"A4\nA5\n");
    assert_eq!(h.outcome(), vec![Ok((4, 4)), Ok((5, 5))]);
    let Event::Exchange(x) = &h.events[0] else {
        panic!()
    };
    assert_eq!(
        (
            x.request_meta.bytes,
            x.request_meta.truncated,
            x.request_meta.end_ns
        ),
        (107, true, 10)
    );
}

#[test]
fn upgrade_stops_the_session_and_close_reports_the_rest() {
    let mut h = Harness::new();
    h.push(IN, b"Q1\nQ2\n");
    h.push(OUT, b"U1\nA2\n");
    h.push(IN, b"Q3\n");
    h.close();
    assert_eq!(h.outcome(), vec![Ok((1, 1)), Err(UnpairedReason::Closed)]);
    assert!(h.engine.is_upgraded());
    assert_eq!(h.engine.stats().ignored_segments, 1);
}

#[test]
fn bytes_of_no_message_are_consumed_and_counted_nowhere() {
    let mut h = Harness::new();
    h.push(IN, b"Q1 a\nK window update\n");
    h.push(IN, b"K ping\nQ2 b\n");
    h.push(OUT, b"A2\nA1\n");
    assert_eq!(h.outcome(), vec![Ok((2, 2)), Ok((1, 1))]);
    let Event::Exchange(x) = &h.events[1] else {
        panic!()
    };
    // The request is its own line only; the K lines belong to nothing.
    assert_eq!((x.request_meta.bytes, x.request_meta.end_ns), (5, 10));
    assert_eq!(h.engine.stats().messages, 4);
    assert_eq!(h.engine.stats().malformed, 0);
}

#[test]
fn a_message_assembled_from_interleaved_units_starts_with_its_first() {
    let mut h = Harness::new();
    h.push(IN, b"Q1 a\nQ2 b\n");
    h.push(OUT, b"S1\n");
    h.push(OUT, b"S2\nA2\n");
    h.push(OUT, b"A1\n");
    assert_eq!(h.outcome(), vec![Ok((2, 2)), Ok((1, 1))]);
    let starts: Vec<_> = h
        .events
        .iter()
        .map(|e| match e {
            Event::Exchange(x) => (x.response_meta.start_ns, x.response_meta.end_ns),
            _ => panic!(),
        })
        .collect();
    // Answer 2 began and ended in segment 2; answer 1 began in segment 1
    // and ended in segment 3.
    assert_eq!(starts, vec![(200, 210), (100, 310)]);
}

#[test]
fn a_cancel_from_the_requester_ends_its_request() {
    let mut h = Harness::new();
    h.push(IN, b"Q4 a\nQ5 b\n");
    h.push(IN, b"C4\nC9\n");
    h.push(OUT, b"A5\nA4 late\n");
    // C4 answers 4 (from the requester's side); C9 cancels nothing; the late
    // A4 finds no request left.
    assert_eq!(
        h.outcome(),
        vec![Ok((4, 4)), Ok((5, 5)), Err(UnpairedReason::NoRequest)]
    );
    let Event::Exchange(x) = &h.events[0] else {
        panic!()
    };
    assert_eq!((x.role, x.response.kind), (Role::Server, b'C'));
    assert_eq!(x.response_meta.end_ns, 110);
}
