//! The Memcached parser on hand-made bytes: what the recordings
//! (tests/memcached_session.rs) do not show.

use super::*;
use crate::segment::Segment;
use crate::session::{Engine, Event, Half, Limits};

const IN: Direction = Direction::Ingress;
const OUT: Direction = Direction::Egress;

struct Client {
    engine: Engine<Memcached>,
    events: Vec<Event<Request, Response>>,
    k: u64,
}

impl Client {
    fn new() -> Self {
        Client {
            engine: Engine::new(Role::Client, Limits::default()),
            events: Vec::new(),
            k: 0,
        }
    }

    fn push(&mut self, direction: Direction, bytes: &[u8]) {
        self.push_cut(direction, bytes, bytes.len());
    }

    fn push_cut(&mut self, direction: Direction, bytes: &[u8], len: usize) {
        let seg = Segment::new(bytes, self.k * 100, self.k * 100 + 10).with_len(len);
        self.k += 1;
        let events = &mut self.events;
        self.engine.push(direction, &seg, &mut |e| {
            if !matches!(e, Event::Started(_)) {
                events.push(e)
            }
        });
    }

    /// `command -> status` per exchange, `!reason ...` per lone message.
    fn outcome(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| match e {
                Event::Exchange(x) => {
                    format!(
                        "{} -> {}",
                        x.request.command(),
                        x.response.status().as_str()
                    )
                }
                Event::Unpaired(u) => match &u.message {
                    Half::Request(r) => format!("!{:?} {}", u.reason, r.command()),
                    Half::Response(r) => format!("!{:?} {}", u.reason, r.status().as_str()),
                },
                Event::Started(_) => unreachable!(),
            })
            .collect()
    }

    fn exchange(&self, i: usize) -> &crate::session::Exchange<Request, Response> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Exchange(x) => Some(x),
                _ => None,
            })
            .nth(i)
            .unwrap()
    }
}

#[test]
fn detection_takes_lower_case_commands() {
    for b in [
        &b"get k\r\n"[..],
        b"gets a b",
        b"set k 0 0 1\r\nx\r\n",
        b"cas k 0 0 1 9\r\n",
        b"delete k\r\n",
        b"incr n 1\r\n",
        b"touch k 10\r\n",
        b"gat 10 k\r\n",
        b"flush_all\r\n",
        b"flush_all 10\r\n",
        b"version\r\n",
        b"stats\r\n",
        b"stats slabs\r\n",
        b"verbosity 1\r\n",
        b"mg k v\r\n",
        b"ms k 2 T0\r\n",
        b"mn\r\n",
    ] {
        assert_eq!(Memcached::detect(b, OUT), Some(Kind::Request), "{b:?}");
    }
    for b in [
        &b"GET k\r\n"[..],
        b"get",
        b"getx k",
        b"version",
        b"versions\r\n",
        b"statsx",
        b"quit\r\n",
        b"VALUE k 0 1\r\n",
        b"STORED\r\n",
        b"mn",
        b"*1\r\n$4\r\nPING\r\n",
    ] {
        assert_eq!(Memcached::detect(b, OUT), None, "{b:?}");
    }
}

#[test]
fn may_start_knows_commands_and_answer_words() {
    for b in [
        &b"get k"[..],
        b"ge",
        b"s",
        b"mn\r\n",
        b"quit\r\n",
        b"flush_all\n",
    ] {
        assert!(Memcached::may_start(Role::Client, b), "{b:?}");
    }
    for b in [&b"vvvv"[..], b"\r\n", b"GET k", b"getx k", b" get"] {
        assert!(!Memcached::may_start(Role::Client, b), "{b:?}");
    }
    for b in [
        &b"VALUE k 0 1\r\n"[..],
        b"END\r\n",
        b"STORED",
        b"NOT_FOUND\r\n",
        b"CLIENT_ERROR x",
        b"42\r\n",
        b"42",
        b"VA 1",
        b"HD\r\n",
        b"EN\r\n",
        b"MN\r\n",
        b"STAT pid 1",
        b"V",
    ] {
        assert!(Memcached::may_start(Role::Server, b), "{b:?}");
    }
    for b in [&b"vvvv"[..], b"42x", b"\r\n", b"stored", b"hello"] {
        assert!(!Memcached::may_start(Role::Server, b), "{b:?}");
    }
}

#[test]
fn values_of_a_multi_get_stream_across_reads() {
    let mut c = Client::new();
    c.push(OUT, b"get a b c\r\n");
    c.push(IN, b"VALUE a 0 5000\r\nxxxx");
    c.push(IN, &[b'x'; 4996]);
    c.push(IN, b"\r\nVALUE b 7 3\r\nabc\r\nVAL");
    c.push(IN, b"UE c 0 1 99\r\nz\r\nEN");
    c.push(IN, b"D\r\n");
    assert_eq!(c.outcome(), ["get -> VALUE"]);
    let x = c.exchange(0);
    assert_eq!(x.response_meta.bytes, 16 + 5002 + 13 + 5 + 16 + 3 + 5);
    assert_eq!(
        (x.response_meta.start_ns, x.response_meta.end_ns),
        (100, 510)
    );
    assert!(!x.response.is_miss());
    assert_eq!(c.engine.stats().malformed, 0);
}

#[test]
fn quiet_meta_commands_are_one_way_and_their_answers_unsolicited() {
    let mut c = Client::new();
    // A quiet hit answered before the mn that flushes the batch.
    c.push(OUT, b"mg a v q\r\nmg b v q\r\nmn\r\n");
    c.push(IN, b"VA 1\r\nx\r\nMN\r\n");
    // Opaque tokens tell a quiet command's answer from the next one's.
    c.push(OUT, b"mg c v q Oc1\r\nmg d v Od1\r\n");
    c.push(IN, b"VA 1 Oc1\r\ny\r\nEN Od1\r\n");
    assert_eq!(
        c.outcome(),
        [
            "!OneWay mg",
            "!OneWay mg",
            "!Unsolicited VA",
            "mn -> MN",
            "!OneWay mg",
            "!Unsolicited VA",
            "mg -> EN",
        ]
    );
}

#[test]
fn storage_lines_memcached_refuses_carry_no_data() {
    let mut c = Client::new();
    let long_key = "k".repeat(251);
    // A key over 250 bytes: memcached answers CLIENT_ERROR and reads the
    // data as a command (ERROR); so do we.
    c.push(OUT, format!("set {long_key} 0 0 1\r\nx\r\n").as_bytes());
    c.push(IN, b"CLIENT_ERROR bad command line format\r\nERROR\r\n");
    // Missing words.
    c.push(OUT, b"set k 0 0\r\n");
    c.push(IN, b"ERROR\r\n");
    // A negative length.
    c.push(OUT, b"set k 0 0 -1\r\n");
    c.push(IN, b"CLIENT_ERROR bad command line format\r\n");
    // A blank line, and a command without its keys.
    c.push(OUT, b"\r\nget\r\n");
    c.push(IN, b"ERROR\r\nERROR\r\n");
    assert_eq!(
        c.outcome(),
        [
            "set -> CLIENT_ERROR",
            "_OTHER -> ERROR",
            "set -> ERROR",
            "set -> CLIENT_ERROR",
            "_OTHER -> ERROR",
            "get -> ERROR",
        ]
    );
    assert_eq!(c.engine.stats().malformed, 0);
}

#[test]
fn lines_may_end_with_a_bare_newline() {
    let mut c = Client::new();
    c.push(OUT, b"set k 0 0 2\nab\r\nget k\n");
    c.push(IN, b"STORED\r\nVALUE k 0 2\r\nab\r\nEND\r\n");
    assert_eq!(c.outcome(), ["set -> STORED", "get -> VALUE"]);
    assert_eq!(c.exchange(0).request.data_len(), Some(2));
}

#[test]
fn stats_listings_of_any_length_end_at_end() {
    let mut c = Client::new();
    c.push(OUT, b"version\r\n");
    c.push(IN, b"VERSION 1.6.18\r\n");
    c.push(OUT, b"stats detail dump\r\n");
    c.push(IN, b"PREFIX user get 2 hit 1 set 1 del 0\r\nPREF");
    c.push(IN, b"IX 42 get 1 hit 0 set 0 del 0\r\nEND\r\n");
    c.push(OUT, b"stats reset\r\nincr n 1\r\n");
    c.push(IN, b"RESET\r\n2\r\n");
    assert_eq!(
        c.outcome(),
        [
            "version -> VERSION",
            "stats -> STAT",
            "stats -> RESET",
            "incr -> NUMBER"
        ]
    );
}

#[test]
fn query_text_replaces_every_word_but_noreply() {
    let mut c = Client::new();
    c.push(OUT, b"cas user:1 0 60 5 42 noreply\r\nalice\r\n");
    c.push(OUT, b"gat 100 a b\r\n");
    c.push(IN, b"END\r\n");
    let Event::Unpaired(u) = &c.events[0] else {
        panic!()
    };
    let Half::Request(cas) = &u.message else {
        panic!()
    };
    assert_eq!(cas.query_text(false), "cas ? ? ? ? ? noreply");
    assert_eq!(cas.query_text(true), "cas user:1 0 60 5 42 noreply");
    assert!(cas.is_noreply());
    assert_eq!(cas.args(), 6);
    let gat = &c.exchange(0).request;
    assert_eq!(gat.query_text(false), "gat ? ? ?");
    assert!(c.exchange(0).response.is_miss());
    // A line longer than what is kept.
    let keys: Vec<String> = (0..100).map(|i| format!("key:{i:04}")).collect();
    let mut c = Client::new();
    c.push(OUT, format!("get {}\r\n", keys.join(" ")).as_bytes());
    c.push(IN, b"END\r\n");
    let get = &c.exchange(0).request;
    assert_eq!(get.args(), 100);
    assert_eq!(get.query_text(false), format!("get{}", " ?".repeat(100)));
    assert!(get.query_text(true).ends_with(" ..."));
    assert!(get.query_text(true).len() < RAW_CAP + 16);
}

#[test]
fn a_capture_cut_keeps_the_pairing() {
    let mut c = Client::new();
    // The data of a set is skipped by its length, captured or not.
    let mut set = b"set k 0 0 5000\r\n".to_vec();
    set.extend_from_slice(&[b'v'; 5000]);
    set.extend_from_slice(b"\r\n");
    c.push_cut(OUT, &set[..1024], set.len());
    c.push(IN, b"STORED\r\n");
    // A listing cut inside: taken to end with the read.
    c.push(OUT, b"stats\r\n");
    c.push_cut(IN, b"STAT pid 1\r\nSTAT upt", 2000);
    c.push(OUT, b"get k\r\n");
    c.push_cut(IN, b"VALUE k 0 5000\r\nvvvv", 5022);
    c.push(OUT, b"version\r\n");
    c.push(IN, b"VERSION 1.6.18\r\n");
    assert_eq!(
        c.outcome(),
        [
            "set -> STORED",
            "stats -> STAT",
            "get -> VALUE",
            "version -> VERSION"
        ]
    );
    assert!(c.exchange(0).request_meta.truncated);
    assert!(c.exchange(1).response_meta.truncated);
}

#[test]
fn garbage_from_the_server_resynchronises() {
    let mut c = Client::new();
    c.push(OUT, b"get k\r\n");
    c.push(IN, b"END\r\n");
    c.push(OUT, b"get k\r\n");
    c.push(IN, b"what is this\r\n");
    c.push(OUT, b"get k\r\n");
    c.push(IN, b"END\r\n");
    assert_eq!(c.engine.stats().malformed, 1);
    assert_eq!(c.outcome(), ["get -> END", "get -> END"]);
}
