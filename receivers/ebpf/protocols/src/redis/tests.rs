//! The Redis parser on hand-made bytes: what the recordings
//! (tests/redis_session.rs) do not show.

use super::*;
use crate::describe::DescribeOptions;
use crate::segment::Segment;
use crate::session::{Engine, Event, Half, Limits, UnpairedReason};

const IN: Direction = Direction::Ingress;
const OUT: Direction = Direction::Egress;

/// A client-side connection.
struct Client {
    engine: Engine<Redis>,
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

    /// `operation -> reply type / error` per exchange, `!reason` per lone message.
    fn outcome(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| match e {
                Event::Exchange(x) => format!(
                    "{} -> {:?}{}",
                    x.request.operation(),
                    x.response.kind(),
                    x.response
                        .error()
                        .map(|e| format!(" {e}"))
                        .unwrap_or_default()
                ),
                Event::Unpaired(u) => match &u.message {
                    Half::Request(r) => format!("!{:?} {}", u.reason, r.operation()),
                    Half::Response(r) => format!("!{:?} {:?}", u.reason, r.kind()),
                },
                Event::Started(_) => unreachable!(),
            })
            .collect()
    }

    fn requests(&self) -> Vec<&Request> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Exchange(x) => Some(&x.request),
                Event::Unpaired(u) => match &u.message {
                    Half::Request(r) => Some(r),
                    Half::Response(_) => None,
                },
                Event::Started(_) => None,
            })
            .collect()
    }
}

/// A command as a client sends it.
fn cmd(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn one(args: &[&[u8]]) -> Request {
    let mut c = Client::new();
    c.push(OUT, &cmd(args));
    c.push(IN, b"+OK\r\n");
    c.requests()[0].clone()
}

#[test]
fn detection_takes_command_arrays_and_a_bare_ping() {
    let yes: [&[u8]; 6] = [
        b"*1\r\n$4\r\nPING\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk",
        b"*3\r\n$3\r\nset\r\n",
        b"*12\r\n$4\r\nHSET\r\n",
        b"*2\r\n$12\r\nCLIENT",
        b"PING\r\n",
    ];
    for b in yes {
        assert_eq!(Redis::detect(b, OUT), Some(Kind::Request), "{b:?}");
    }
    let no: [&[u8]; 12] = [
        b"*1\r\n$4\r\n",
        b"*1\r\n$4",
        b"*",
        b"*1\r\n:1\r\n",
        b"*1234\r\n$3\r\nSET",
        b"*1\r\n$123\r\nxyz",
        b"*1\r\n$3\r\n123",
        b"+OK\r\n",
        b"-ERR x\r\n",
        b"$3\r\nfoo\r\n",
        b"PING",
        b"GET / HTTP/1.1\r\n",
    ];
    for b in no {
        assert_eq!(Redis::detect(b, OUT), None, "{b:?}");
    }
}

#[test]
fn may_start_accepts_message_starts_and_refuses_payloads() {
    for b in [
        &b"*3\r\n$3\r\nSET"[..],
        b"*",
        b"*1",
        b"PING\r\n",
        b"get k\r\n",
        b"QUIT",
    ] {
        assert!(Redis::may_start(Role::Client, b), "{b:?}");
    }
    for b in [
        &b"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"[..],
        b"\r\n",
        b"$3\r\nfoo",
        b"*x",
        b"1234",
        b"",
    ] {
        assert!(!Redis::may_start(Role::Client, b), "{b:?}");
    }
    for b in [
        &b"+OK\r\n"[..],
        b"-ERR",
        b":12",
        b"$-1\r\n",
        b"*2\r\n",
        b"_\r\n",
        b"#t",
        b",1.5",
        b"(123",
        b"%1",
        b"~2",
        b">3",
        b"|1",
        b"!21",
        b"=15",
        b"$",
    ] {
        assert!(Redis::may_start(Role::Server, b), "{b:?}");
    }
    for b in [&b"vvv"[..], b"$x", b"*a", b"_x", b"#x", b"\r\n", b"OK"] {
        assert!(!Redis::may_start(Role::Server, b), "{b:?}");
    }
}

#[test]
fn query_text_is_sanitized_unless_raw() {
    let set = one(&[b"set", b"user:1", b"alice smith", b"EX", b"10"]);
    assert_eq!(set.operation(), "SET");
    assert_eq!(set.args(), 4);
    assert_eq!(set.query_text(false), "SET ? ? ? ?");
    assert_eq!(set.query_text(true), r#"SET user:1 "alice smith" EX 10"#);
    let binary = one(&[b"SET", b"k", b"\x00\x01\"\\\xff"]);
    assert_eq!(binary.query_text(true), r#"SET k "\x00\x01\"\\\xff""#);
    let empty = one(&[b"SET", b"k", b""]);
    assert_eq!(empty.query_text(true), r#"SET k """#);
    // Arguments past RAW_CAP bytes are not kept.
    let long = vec![b'x'; 300];
    let mset = one(&[b"MSET", b"a", &long, b"b", &long, b"c", b"d"]);
    assert_eq!(mset.args(), 6);
    assert_eq!(
        mset.query_text(true),
        format!("MSET a {} b ...", "x".repeat(300))
    );
    // Many arguments: 64 placeholders at most.
    let keys: Vec<Vec<u8>> = (0..100).map(|i| format!("k{i}").into_bytes()).collect();
    let mut args: Vec<&[u8]> = vec![b"DEL"];
    args.extend(keys.iter().map(Vec::as_slice));
    let del = one(&args);
    assert_eq!(del.args(), 100);
    assert_eq!(del.query_text(false), format!("DEL{} ...", " ?".repeat(64)));
}

#[test]
fn container_commands_keep_their_subcommand() {
    let r = one(&[b"client", b"setname", b"me"]);
    assert_eq!(
        (r.command(), r.subcommand(), r.args()),
        ("CLIENT", Some("SETNAME"), 1)
    );
    assert_eq!(r.operation(), "CLIENT SETNAME");
    assert_eq!(r.query_text(false), "CLIENT SETNAME ?");
    let r = one(&[b"COMMAND"]);
    assert_eq!((r.operation(), r.args()), ("COMMAND".to_owned(), 0));
    // Not a container: the second word is an argument.
    let r = one(&[b"GET", b"SETNAME"]);
    assert_eq!((r.operation(), r.args()), ("GET".to_owned(), 1));
    // Module commands keep their dot; garbage is _OTHER.
    assert_eq!(
        one(&[b"json.set", b"k", b"$", b"1"]).operation(),
        "JSON.SET"
    );
    assert_eq!(one(&[&[b'A'; 40][..]]).operation(), "_OTHER");
    // (A stream's first bytes must look like a command; later ones need not.)
    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"PING"]));
    c.push(IN, b"+PONG\r\n");
    c.push(OUT, &cmd(&[b"\x00\x01", b"k"]));
    c.push(IN, b"-ERR unknown command\r\n");
    assert_eq!(c.outcome(), ["PING -> SimpleString", "_OTHER -> Error ERR"]);
}

#[test]
fn scripts_and_functions_name_their_procedure() {
    let options = DescribeOptions::default();
    let cx = DescribeContext {
        role: Role::Client,
        options: &options,
    };
    let sha = one(&[
        b"EVALSHA",
        b"e0e1f9fabfc9d4800c877a703b823ac0578ff831",
        b"0",
    ]);
    let d = Redis::describe(&sha, None, cx);
    assert_eq!(d.name, "EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff831");
    assert_eq!(
        d.attribute("db.stored_procedure.name"),
        Some(&crate::Value::Str(
            "e0e1f9fabfc9d4800c877a703b823ac0578ff831".into()
        ))
    );
    let fcall = one(&[b"FCALL", b"myfunc", b"1", b"k"]);
    assert_eq!(Redis::describe(&fcall, None, cx).name, "FCALL myfunc");
    let eval = one(&[b"EVAL", b"return 1", b"0"]);
    let d = Redis::describe(&eval, None, cx);
    assert_eq!(
        (d.name.as_str(), d.attribute("db.stored_procedure.name")),
        ("EVAL", None)
    );
}

#[test]
fn error_replies_name_their_prefix() {
    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"-WRONGTYPE Operation against a key\r\n");
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"!21\r\nSYNTAX invalid syntax\r\n");
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"-\r\n");
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"-MOVED 3999 127.0.0.1:6381\r\n");
    assert_eq!(
        c.outcome(),
        [
            "GET -> Error WRONGTYPE",
            "GET -> BulkError SYNTAX",
            "GET -> Error _OTHER",
            "GET -> Error MOVED"
        ]
    );
    let options = DescribeOptions::default();
    let Event::Exchange(x) = &c.events[0] else {
        panic!()
    };
    let d = Redis::describe(
        &x.request,
        Some(&x.response),
        DescribeContext {
            role: Role::Server,
            options: &options,
        },
    );
    // Failed on either side.
    assert_eq!(
        (d.failed, d.error_type.as_deref()),
        (true, Some("WRONGTYPE"))
    );
}

#[test]
fn select_sets_the_namespace_unless_refused() {
    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"SELECT", b"4"]));
    c.push(IN, b"+OK\r\n");
    c.push(OUT, &cmd(&[b"SELECT", b"99"]));
    c.push(IN, b"-ERR DB index is out of range\r\n");
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"$-1\r\n");
    c.push(OUT, b"select 5\r\n");
    c.push(IN, b"+OK\r\n");
    c.push(OUT, &cmd(&[b"RESET"]));
    c.push(IN, b"+RESET\r\n");
    let dbs: Vec<_> = c.requests().iter().map(|r| r.db()).collect();
    assert_eq!(dbs, [Some(4), Some(99), Some(4), Some(5), Some(0)]);
}

#[test]
fn resp2_pubsub_messages_and_monitor_lines_are_unsolicited() {
    let mut c = Client::new();
    // Joined while subscribed: no request waits for these.
    c.push(IN, b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    // An array of words answering a request is a reply, even one that
    // begins with "message".
    c.push(OUT, &cmd(&[b"LRANGE", b"l", b"0", b"-1"]));
    c.push(IN, b"*2\r\n$7\r\nmessage\r\n$1\r\nx\r\n");
    // Subscribed: a message arriving while PING waits is not its answer.
    c.push(OUT, &cmd(&[b"SUBSCRIBE", b"ch"]));
    c.push(IN, b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    c.push(OUT, &cmd(&[b"PING"]));
    c.push(
        IN,
        b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nyo\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n",
    );
    // A confirmation for another channel than asked is not the answer.
    c.push(OUT, &cmd(&[b"SUBSCRIBE", b"other"]));
    c.push(IN, b"*3\r\n$9\r\nsubscribe\r\n$2\r\nzz\r\n:2\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nother\r\n:3\r\n");
    // Inline, with a quoted channel.
    c.push(OUT, b"unsubscribe \"other\"\r\n");
    c.push(IN, b"*3\r\n$11\r\nunsubscribe\r\n$5\r\nother\r\n:2\r\n");
    assert_eq!(
        c.outcome(),
        [
            "!Unsolicited Array",
            "LRANGE -> Array",
            "SUBSCRIBE -> Array",
            "!Unsolicited Array",
            "PING -> Array",
            "!Unsolicited Array",
            "SUBSCRIBE -> Array",
            "UNSUBSCRIBE -> Array",
        ]
    );

    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"MONITOR"]));
    c.push(IN, b"+OK\r\n");
    c.push(
        IN,
        b"+1700000000.123456 [0 127.0.0.1:5555] \"GET\" \"k\"\r\n",
    );
    assert_eq!(
        c.outcome(),
        ["MONITOR -> SimpleString", "!Unsolicited SimpleString"]
    );
}

#[test]
fn after_hello_3_only_pushes_are_unsolicited() {
    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"HELLO", b"3"]));
    c.push(IN, b"%1\r\n$5\r\nproto\r\n:3\r\n");
    c.push(OUT, &cmd(&[b"SUBSCRIBE", b"ch"]));
    c.push(IN, b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
    c.push(OUT, &cmd(&[b"LRANGE", b"l", b"0", b"-1"]));
    c.push(IN, b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    assert_eq!(
        c.outcome(),
        [
            "HELLO -> Map",
            "SUBSCRIBE -> Push",
            "!Unsolicited Push",
            "LRANGE -> Array"
        ]
    );
}

#[test]
fn empty_arrays_and_blank_lines_are_not_commands() {
    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"PING"]));
    c.push(IN, b"+PONG\r\n");
    c.push(OUT, b"*0\r\n\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
    c.push(IN, b"+PONG\r\n");
    assert_eq!(
        c.outcome(),
        ["PING -> SimpleString", "PING -> SimpleString"]
    );
    assert_eq!(c.engine.stats().malformed, 0);
}

#[test]
fn a_large_argument_in_the_middle_streams_through() {
    let mut c = Client::new();
    c.push(OUT, b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\nvvvv");
    assert!(c.events.is_empty());
    c.push(OUT, &vec![b'v'; 99_996]);
    c.push(OUT, b"\r\n$2\r\nEX\r\n$2\r\n10\r\n");
    c.push(IN, b"+OK\r\n");
    assert_eq!(c.outcome(), ["SET -> SimpleString"]);
    let Event::Exchange(x) = &c.events[0] else {
        panic!()
    };
    assert_eq!(x.request.args(), 4);
    assert_eq!(x.request.query_text(true), "SET k ...");
    assert_eq!(x.request_meta.bytes, 29 + 100_002 + 16);
    assert_eq!((x.request_meta.start_ns, x.request_meta.end_ns), (0, 210));
}

#[test]
fn malformed_bytes_resynchronise_on_the_next_command() {
    let mut c = Client::new();
    c.push(OUT, b"*2\r\n$1\r\nx\r\n:2\r\n");
    c.push(OUT, b"garbage that is no command\r\n");
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"$1\r\nv\r\n");
    assert_eq!(c.engine.stats().malformed, 1);
    // The garbage line looked like an inline command: Redis would have
    // answered it with an error, and FIFO pairs GET's answer with it.
    assert_eq!(c.outcome(), ["GARBAGE -> BulkString"]);

    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"$1\r\nv\r\n");
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"$?\r\n;4\r\nHell\r\n;0\r\n");
    assert_eq!(
        c.engine.stats().last_malformed,
        Some(Malformed::Unsupported)
    );
}

#[test]
fn a_reply_cut_by_the_capture_is_taken_to_end_with_its_syscall() {
    // GET's bulk reply: the payload's length is known, so the cut costs nothing.
    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push_cut(IN, b"$5000\r\nvvvv", 5009);
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"$1\r\nv\r\n");
    assert_eq!(c.outcome(), ["GET -> BulkString", "GET -> BulkString"]);

    // An array cut inside an element: the rest of it, in later reads, is
    // skipped until the client asks again.
    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"LRANGE", b"l", b"0", b"-1"]));
    c.push_cut(IN, b"*4000\r\n$3\r\nabc\r\n$3\r\nab", 16384);
    c.push(IN, b"$3\r\nabc\r\n$3\r\nabc\r\n");
    c.push(IN, b":1\r\n");
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push(IN, b"$1\r\nv\r\n");
    assert_eq!(c.outcome(), ["LRANGE -> Array", "GET -> BulkString"]);
    let Event::Exchange(x) = &c.events[0] else {
        panic!()
    };
    assert!(x.response_meta.truncated);

    // The capture ended inside an error's first line.
    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push_cut(IN, b"-WRONGTY", 60);
    c.push(OUT, &cmd(&[b"GET", b"k"]));
    c.push_cut(IN, b"-WRONGTYPE Oper", 60);
    assert_eq!(
        c.outcome(),
        ["GET -> Error _OTHER", "GET -> Error WRONGTYPE"]
    );

    // A command cut inside its name is dropped; the next one is found.
    let mut c = Client::new();
    c.push_cut(OUT, b"*2\r\n$3\r\nGE", 20);
    c.push(OUT, &cmd(&[b"PING"]));
    c.push(IN, b"+PONG\r\n");
    assert_eq!(c.outcome(), ["PING -> SimpleString"]);
    assert_eq!(c.engine.stats().truncated, 1);
}

#[test]
fn a_pipeline_cut_by_the_capture_keeps_the_commands_before_the_cut() {
    let mut pipeline = Vec::new();
    for i in 0..40 {
        pipeline.extend(cmd(&[b"SET", format!("key:{i:04}").as_bytes(), b"value"]));
    }
    let mut c = Client::new();
    c.push_cut(OUT, &pipeline[..1024], pipeline.len());
    c.push(IN, &b"+OK\r\n".repeat(40));
    let seen = 1024 / cmd(&[b"SET", b"key:0000", b"value"]).len();
    let outcome = c.outcome();
    // The commands before the cut, the one cut (taken to end with the
    // write), then answers with no command left to answer.
    assert_eq!(outcome.len(), 40);
    assert!(outcome[..=seen].iter().all(|o| o == "SET -> SimpleString"));
    assert!(outcome[seen + 1..]
        .iter()
        .all(|o| o == "!NoRequest SimpleString"));
}

#[test]
fn unanswered_requests_expire_and_close() {
    let mut c = Client::new();
    c.push(OUT, &cmd(&[b"BLPOP", b"q", b"0"]));
    c.engine.expire(1_000, &mut |e| c.events.push(e));
    assert_eq!(c.outcome(), ["!Expired BLPOP"]);
    assert!(matches!(
        &c.events[0],
        Event::Unpaired(u) if u.reason == UnpairedReason::Expired
    ));
}
