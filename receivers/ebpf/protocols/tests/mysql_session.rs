//! MySQL through whole sessions, on syscalls recorded from real clients
//! against MariaDB 10.11 (testdata/mysql, made by testdata/record_mysql.py):
//! the mariadb CLI, mariadb-admin and mariadb-slap, PyMySQL,
//! mysql-connector-python's server-side prepared statements, a raw client
//! asking for CLIENT_DEPRECATE_EOF, TLS and compression. Each is replayed
//! as recorded, a byte per syscall, from the server's side, with the
//! receiver's capture sizes, joined midway and with garbage.

mod common;
mod transcript;

use common::{replay_scrambled, Rng};
use sonde_ebpf_protocols::mysql::{self, Command};
use sonde_ebpf_protocols::{
    detect, DescribeContext, DescribeOptions, Description, Detection, Direction, Event, Exchange,
    Kind, Limits, Protocol, Request, Response, Role, Session, UnpairedReason, Value,
};
use transcript::*;

const CLI: &str = include_str!("../testdata/mysql/mariadb_cli.trace");
const ADMIN: &str = include_str!("../testdata/mysql/mariadb_admin.trace");
const TLS: &str = include_str!("../testdata/mysql/mariadb_tls.trace");
const COMPRESS: &str = include_str!("../testdata/mysql/mariadb_compress.trace");
const ED25519: &str = include_str!("../testdata/mysql/mariadb_ed25519.trace");
const SLAP: &str = include_str!("../testdata/mysql/mariadb_slap.trace");
const PYMYSQL: &str = include_str!("../testdata/mysql/pymysql.trace");
const CONNECTOR: &str = include_str!("../testdata/mysql/connector_prepared.trace");
const RAW: &str = include_str!("../testdata/mysql/raw_deprecate_eof.trace");

/// Every recorded connection: (transcript, connection number).
const CONNECTIONS: [(&str, usize); 12] = [
    (CLI, 0),
    (ADMIN, 0),
    (ADMIN, 1),
    (ADMIN, 2),
    (TLS, 0),
    (COMPRESS, 0),
    (ED25519, 0),
    (SLAP, 0),
    (SLAP, 1),
    (PYMYSQL, 0),
    (CONNECTOR, 0),
    (RAW, 0),
];

fn my(x: &Exchange) -> (&mysql::Request, &mysql::Response) {
    match (&x.request, &x.response) {
        (Request::Mysql(q), Response::Mysql(r)) => (q, r),
        other => panic!("not MySQL: {other:?}"),
    }
}

fn describe(x: &Exchange, raw: bool) -> Description {
    let options = DescribeOptions {
        raw_query_text: raw,
    };
    let cx = DescribeContext {
        role: x.role,
        options: &options,
    };
    x.request.describe(Some(&x.response), cx).unwrap()
}

fn attr(d: &Description, key: &str) -> String {
    match d.attribute(key) {
        Some(Value::Str(s)) => s.clone(),
        Some(Value::Int(i)) => i.to_string(),
        Some(other) => format!("{other:?}"),
        None => "-".into(),
    }
}

/// `span name | status code | query text` per exchange, `!reason` per lone
/// message.
fn lines(replay: &Replay) -> Vec<String> {
    replay
        .events
        .iter()
        .map(|e| match e {
            Event::Exchange(x) => {
                let d = describe(x, false);
                format!(
                    "{} | {} | {}",
                    d.name,
                    attr(&d, "db.response.status_code"),
                    attr(&d, "db.query.text")
                )
            }
            Event::Unpaired(u) => format!("!{:?}", u.reason),
            Event::Started(_) => unreachable!("kept apart by the replay"),
        })
        .collect()
}

fn play(text: &str, c: usize, local: Role, capture: usize) -> Replay {
    let mut replay = Replay::new(Protocol::Mysql, local);
    replay.capture = capture;
    let records = conn(&load(text), c);
    match local {
        Role::Client => replay.play(&records),
        Role::Server => replay.play_as_peer(&records),
    }
    replay.close();
    replay
}

fn client(text: &str, c: usize) -> Replay {
    play(text, c, Role::Client, usize::MAX)
}

const CLI_LINES: [&str; 17] = [
    "CREATE | - | CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(?), score INT)",
    "INSERT users | - | INSERT INTO users VALUES (?)",
    "SELECT users | - | SELECT id, name FROM users WHERE name = ? OR id IN (?)",
    "UPDATE users | - | UPDATE users SET score = score + ? WHERE id = ?",
    "SELECT missing_table | 1146 | SELECT * FROM missing_table",
    "SELEC | 1064 | SELEC oops",
    "SELECT | - | SELECT DATABASE()",
    "COM_INIT_DB | - | -",
    "SELECT | - | SELECT DATABASE()",
    "SELECT | - | SELECT DATABASE()",
    "COM_INIT_DB | - | -",
    "SELECT users | - | SELECT name FROM users WHERE id = ?",
    "SELECT | - | SELECT ? AS a; SELECT id FROM users ORDER BY id; UPDATE users SET score = ? WHERE id = ?",
    "SELECT | 1146 | SELECT ?; SELECT * FROM nope; SELECT ?",
    "SELECT seq_1_to_2000 | - | SELECT seq, REPEAT(?) AS filler FROM seq_1_to_2000",
    "LOAD | - | LOAD DATA LOCAL INFILE ? INTO TABLE users FIELDS TERMINATED BY ?",
    "SELECT users | - | SELECT COUNT(*) FROM users",
];

#[test]
fn the_mariadb_cli_gives_one_exchange_per_command() {
    let r = client(CLI, 0);
    assert_eq!(lines(&r), CLI_LINES);
    assert_eq!(r.session.stats().malformed, 0);
    let xs = r.exchanges();
    let d: Vec<Description> = xs.iter().map(|x| describe(x, false)).collect();
    assert_eq!(attr(&d[0], "db.system.name"), "mariadb");
    assert_eq!(attr(&d[2], "db.operation.name"), "SELECT");
    assert_eq!(attr(&d[2], "db.collection.name"), "users");
    // The database from the handshake, then each `use` (COM_INIT_DB).
    let namespaces: Vec<String> = d.iter().map(|d| attr(d, "db.namespace")).collect();
    // The mariadb client asks `SELECT DATABASE()` before each `use`.
    assert_eq!(namespaces[..12], {
        let mut n = vec!["sondedb"; 7];
        n.extend(["otherdb", "otherdb", "otherdb", "sondedb", "sondedb"]);
        n
    });
    // Errors: the server's number as status code and error type.
    for (i, code) in [(4, "1146"), (5, "1064"), (13, "1146")] {
        assert_eq!(attr(&d[i], "db.response.status_code"), code);
        assert_eq!(d[i].error_type.as_deref(), Some(code));
        assert!(d[i].failed);
    }
    assert!(d.iter().filter(|d| d.failed).count() == 3);
    let (_, missing) = my(xs[4]);
    let error = missing.error.unwrap();
    assert_eq!((error.code, error.state_str()), (1146, Some("42S02")));
    // Three statements in one text: three results; with an error after the
    // first result, the error ends the answer.
    assert_eq!((my(xs[12]).1.results, my(xs[12]).1.error), (3, None));
    assert_eq!(my(xs[13]).1.results, 1);
    // 2000 rows in 17 reads: more than LOOKAHEAD, so followed after a head.
    let (q, big) = my(xs[14]);
    assert_eq!((big.results, big.whole), (1, false));
    assert_eq!(q.command, Command::QUERY);
    let records = conn(&load(CLI), 0);
    let answer: Vec<&Record> = records
        .iter()
        .skip_while(|r| !r.data.ends_with(b"FROM seq_1_to_2000"))
        .skip(1)
        .take_while(|r| !r.wrote)
        .collect();
    assert_eq!(answer.len(), 14);
    let bytes: usize = answer.iter().map(|r| r.data.len()).sum();
    assert_eq!(xs[14].response_meta.bytes, bytes as u64);
    assert_eq!(
        xs[14].response_meta.end_ns - xs[14].response_meta.start_ns,
        100 * 13 + 10
    );
    // LOAD DATA LOCAL INFILE: the file between the request and the OK, a
    // progress report before it that is no error.
    let (_, infile) = my(xs[15]);
    assert!(infile.local_infile && infile.error.is_none() && infile.whole);
    // The sqlcommenter comment (sent with --comments) is the trace context.
    assert_eq!(
        r.started[11].context.traceparent.as_deref(),
        Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    );
    assert_eq!(r.started[10].context.traceparent, None);
    // Raw text keeps literals and the comment.
    assert_eq!(
        attr(&describe(xs[2], true), "db.query.text"),
        "SELECT id, name FROM users WHERE name = 'alice' OR id IN (2, 3)"
    );
    // COM_QUIT at the end makes nothing.
    assert!(r.unpaired().is_empty());
    assert_eq!(r.started.len(), 17);
}

#[test]
fn pymysql_select_db_use_ping_and_multi_statements() {
    let r = client(PYMYSQL, 0);
    assert_eq!(
        lines(&r),
        [
            "SET | - | SET NAMES utf8mb4",
            "CREATE | - | CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(?), score INT)",
            "INSERT users | - | INSERT INTO users VALUES (?)",
            "SELECT users | - | SELECT id, name FROM users WHERE id = ?",
            "UPDATE users | - | UPDATE users SET score = score + ? WHERE id = ?",
            "SELECT nope | 1146 | SELECT * FROM nope",
            "SELEC | 1064 | SELEC ?",
            "COM_INIT_DB | - | -",
            "SELECT | - | SELECT DATABASE()",
            "COM_INIT_DB | - | -",
            "COM_PING | - | -",
            "SELECT users | - | SELECT name FROM users",
            "SELECT | - | SELECT ?; SELECT name FROM users ORDER BY id; UPDATE users SET score = ?",
            "SELECT seq_1_to_3000 | - | SELECT seq, REPEAT(?) FROM seq_1_to_3000",
            "USE | - | USE otherdb",
            "SELECT | - | SELECT ?",
        ]
    );
    let xs = r.exchanges();
    let d: Vec<Description> = xs.iter().map(|x| describe(x, false)).collect();
    let ns = |i: usize| attr(&d[i], "db.namespace");
    // select_db: COM_INIT_DB's own span names the schema it selects.
    assert_eq!(
        (ns(6), ns(7), ns(8), ns(9), ns(10)),
        (
            "sondedb".into(),
            "otherdb".into(),
            "otherdb".into(),
            "sondedb".into(),
            "sondedb".into()
        )
    );
    assert_eq!(attr(&d[7], "db.operation.name"), "COM_INIT_DB");
    // `USE otherdb` as a query moves the namespace too.
    assert_eq!((ns(14), ns(15)), ("sondedb".into(), "otherdb".into()));
    assert_eq!(
        d[10].attributes,
        vec![
            sonde_ebpf_protocols::Attribute::str("db.system.name", "mariadb"),
            sonde_ebpf_protocols::Attribute::str("db.namespace", "sondedb"),
            sonde_ebpf_protocols::Attribute::str("db.operation.name", "COM_PING"),
        ]
    );
    assert_eq!(my(xs[12]).1.results, 3);
    assert_eq!(
        r.started[11].context.traceparent.as_deref(),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
    assert!(r.unpaired().is_empty());
    assert_eq!(r.session.stats().malformed, 0);
}

const CONNECTOR_LINES: [&str; 26] = [
    "SET | - | SET NAMES ? COLLATE ?",
    "SET | - | SET @@session.autocommit = ON",
    "COM_PING | - | -",
    "CREATE | - | CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(?), score INT)",
    "COM_PING | - | -",
    "COM_STMT_PREPARE | - | INSERT INTO users VALUES (?)",
    "COM_STMT_RESET | - | -",
    "INSERT users | - | INSERT INTO users VALUES (?)",
    "COM_STMT_RESET | - | -",
    "INSERT users | - | INSERT INTO users VALUES (?)",
    "COM_STMT_RESET | - | -",
    "INSERT users | - | INSERT INTO users VALUES (?)",
    "COM_STMT_PREPARE | - | SELECT id, name, score FROM users WHERE id > ?",
    "COM_STMT_RESET | - | -",
    "SELECT users | - | SELECT id, name, score FROM users WHERE id > ?",
    "COM_STMT_RESET | - | -",
    "SELECT users | - | SELECT id, name, score FROM users WHERE id > ?",
    "COM_STMT_PREPARE | - | UPDATE users SET score = score * ? WHERE id = ?",
    "COM_STMT_RESET | - | -",
    "UPDATE users | - | UPDATE users SET score = score * ? WHERE id = ?",
    "COM_STMT_PREPARE | 1146 | SELECT * FROM nope WHERE id = ?",
    "COM_STMT_PREPARE | - | INSERT INTO users VALUES (?)",
    "COM_STMT_RESET | - | -",
    "INSERT users | 1062 | INSERT INTO users VALUES (?)",
    "COM_PING | - | -",
    "SELECT users | - | SELECT COUNT(*) FROM users",
];

#[test]
fn server_side_prepared_statements_carry_their_text() {
    let r = client(CONNECTOR, 0);
    assert_eq!(lines(&r), CONNECTOR_LINES);
    let xs = r.exchanges();
    // PREPARE_OK names statement 1; its executions run that text.
    let (prepare, prepared) = my(xs[5]);
    assert_eq!(prepare.command, Command::STMT_PREPARE);
    assert_eq!((prepared.statement_id, prepared.results), (Some(1), 1));
    let (execute, _) = my(xs[7]);
    assert_eq!(
        (execute.command, execute.statement_id),
        (Command::STMT_EXECUTE, Some(1))
    );
    let d = describe(xs[7], false);
    assert_eq!(
        (
            attr(&d, "db.operation.name"),
            attr(&d, "db.collection.name")
        ),
        ("INSERT".into(), "users".into())
    );
    let d = describe(xs[5], false);
    assert_eq!(
        (
            d.name.as_str(),
            attr(&d, "db.operation.name"),
            attr(&d, "db.collection.name")
        ),
        (
            "COM_STMT_PREPARE",
            "COM_STMT_PREPARE".into(),
            "users".into()
        )
    );
    // Statement 2 (the SELECT), executed twice with binary rows.
    assert_eq!(my(xs[14]).0.statement_id, Some(2));
    assert_eq!(my(xs[16]).1.results, 1);
    // The duplicate key fails the execution: 1062.
    let d = describe(xs[23], false);
    assert_eq!(d.error_type.as_deref(), Some("1062"));
    assert_eq!(my(xs[23]).0.statement_id, Some(5));
    // COM_STMT_CLOSE and COM_QUIT get no answer and make no span.
    assert!(r.unpaired().is_empty());
    assert_eq!(r.started.len(), 26);
    // Executions do not adopt a trace context from text prepared earlier.
    assert!(r.started.iter().all(|s| s.context.traceparent.is_none()));
}

#[test]
fn deprecate_eof_direct_execution_and_commands_written_together() {
    let r = client(RAW, 0);
    assert_eq!(
        lines(&r),
        [
            "CREATE | - | CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(?))",
            "INSERT users | - | INSERT INTO users VALUES (?)",
            "SELECT users | - | SELECT id, name FROM users ORDER BY id",
            "SELECT users | - | SELECT id FROM users WHERE id > ?",
            "SELECT | - | SELECT ?; SELECT name FROM users WHERE id = ?; DO ?",
            "CREATE | - | CREATE PROCEDURE two() BEGIN SELECT ? AS a; SELECT ? AS b; END",
            "CALL | - | CALL two()",
            "COM_STMT_PREPARE | - | SELECT name FROM users WHERE id = ?",
            "SELECT users | - | SELECT name FROM users WHERE id = ?",
            "COM_STMT_PREPARE | - | SELECT id, name FROM users WHERE id < ?",
            "SELECT users | - | SELECT id, name FROM users WHERE id < ?",
            "COM_STMT_RESET | - | -",
            "SELECT | - | SELECT ?",
            "COM_PING | - | -",
            "SELECT nope | 1146 | SELECT * FROM nope",
            "COM_FIELD_LIST | - | -",
            "COM_SET_OPTION | - | -",
            "COM_INIT_DB | - | -",
            "SELECT | - | SELECT DATABASE()",
            "COM_RESET_CONNECTION | - | -",
            "COM_STATISTICS | - | -",
        ]
    );
    let xs = r.exchanges();
    let results: Vec<u32> = xs.iter().map(|x| my(x).1.results).collect();
    // Three statements: three results; the procedure: two result sets and
    // its own OK.
    assert_eq!(results[4..7], [3, 1, 3]);
    assert!(xs.iter().all(|x| my(x).1.whole));
    // Statement -1: the one prepared in the same write.
    assert_eq!(my(xs[10]).0.statement_id, Some(u32::MAX));
    // The three commands written at once pair in order, each timed from
    // that one write to the one read that answered them all.
    let together = &xs[12..15];
    assert!(together.iter().all(
        |x| x.request_meta.start_ns == together[0].request_meta.start_ns
            && x.response_meta.end_ns == together[0].response_meta.end_ns
    ));
    let d = describe(xs[15], false);
    assert_eq!(attr(&d, "db.collection.name"), "users");
    assert_eq!(attr(&describe(xs[18], false), "db.namespace"), "otherdb");
    assert_eq!(r.session.stats().malformed, 0);
    assert!(r.unpaired().is_empty());
}

#[test]
fn admin_slap_and_an_authentication_switch() {
    let names = |text, c| -> Vec<String> {
        client(text, c)
            .exchanges()
            .iter()
            .map(|x| describe(x, false).name)
            .collect()
    };
    assert_eq!(names(ADMIN, 0), ["COM_PING"]);
    assert_eq!(names(ADMIN, 1), ["COM_STATISTICS"]);
    assert_eq!(names(ADMIN, 2), ["SHOW"]);
    // ed25519: the server switches the method, the client answers, then
    // queries; nothing of the authentication makes a span.
    let ed = client(ED25519, 0);
    assert_eq!(
        lines(&ed),
        ["SELECT | - | SELECT ?", "SELECT | - | SELECT USER()"]
    );
    assert_eq!(
        attr(&describe(ed.exchanges()[0], false), "db.namespace"),
        "sondedb"
    );
    // mariadb-slap: ten texts of two statements on its second connection,
    // each answered by an OK then a result set in two reads.
    let slap = client(SLAP, 1);
    let xs = slap.exchanges();
    assert_eq!(xs.len(), 10);
    for x in &xs {
        let (q, a) = my(x);
        assert_eq!(q.database.as_deref(), Some("slapdb"));
        assert_eq!((a.results, a.whole), (2, true));
        assert_eq!(x.response_meta.end_ns - x.response_meta.start_ns, 110);
    }
    assert_eq!(
        names(SLAP, 0),
        ["DROP", "CREATE", "COM_INIT_DB", "CREATE", "DROP"]
    );
}

#[test]
fn tls_and_compression_are_passed_over() {
    for text in [TLS, COMPRESS] {
        let r = client(text, 0);
        assert!(r.events.is_empty(), "{:?}", r.events);
        let stats = r.session.stats();
        assert_eq!(
            (stats.malformed, stats.messages, stats.dropped_segments),
            (0, 0, 0)
        );
    }
}

#[test]
fn a_byte_per_syscall_and_the_server_side_give_the_same_exchanges() {
    for (text, c) in CONNECTIONS {
        let whole = client(text, c);
        let mut bytes = Replay::new(Protocol::Mysql, Role::Client);
        bytes.play_in_pieces(&conn(&load(text), c), 1);
        bytes.close();
        assert_eq!(lines(&bytes), lines(&whole), "c{c} of {}", &text[..40]);
        let server = play(text, c, Role::Server, usize::MAX);
        assert_eq!(lines(&server), lines(&whole));
        assert!(server.exchanges().iter().all(|x| x.role == Role::Server));
    }
}

#[test]
fn pieces_of_every_small_size_with_a_small_buffer() {
    let limits = Limits {
        max_pending: 64,
        max_buffer: 16 * 1024,
    };
    for (text, c) in [(CONNECTOR, 0), (RAW, 0), (SLAP, 1)] {
        let whole = lines(&client(text, c));
        for size in 2..=12 {
            let mut r = Replay::with_limits(Protocol::Mysql, Role::Client, limits);
            r.play_in_pieces(&conn(&load(text), c), size);
            r.close();
            assert_eq!(lines(&r), whole, "pieces of {size}");
        }
    }
}

#[test]
fn the_receivers_capture_sizes_still_pair_every_command() {
    // 1 KiB, the default: only the big results and the CLI's handshake are cut.
    for (text, c) in CONNECTIONS {
        let cut = play(text, c, Role::Client, 1024);
        let whole = client(text, c);
        assert_eq!(lines(&cut), lines(&whole));
    }
    let cut = play(CLI, 0, Role::Client, 1024);
    let big = cut.exchanges()[14];
    assert!(big.response_meta.truncated);
    assert!(!my(big).1.whole);
    // Cut much shorter: texts are cut, the pairing holds, and so do the
    // errors that come first in their answers.
    for (text, c) in [(CLI, 0), (PYMYSQL, 0), (CONNECTOR, 0), (RAW, 0)] {
        let cut = play(text, c, Role::Client, 48);
        let whole = client(text, c);
        let commands = |r: &Replay| -> Vec<Command> {
            r.exchanges().iter().map(|x| my(x).0.command).collect()
        };
        let mut want = commands(&whole);
        if text == RAW {
            // The execution written after its prepare: the capture ends
            // after its header, so nothing says it is a command.
            assert_eq!(want.remove(10), Command::STMT_EXECUTE);
        }
        assert_eq!(commands(&cut), want);
        assert!(cut.unpaired().is_empty());
    }
    let cut = play(CLI, 0, Role::Client, 48);
    let codes: Vec<String> = cut
        .exchanges()
        .iter()
        .map(|x| attr(&describe(x, false), "db.response.status_code"))
        .collect();
    assert_eq!(
        (&codes[4][..], &codes[5][..], &codes[13][..]),
        ("1146", "1064", "-")
    );
}

#[test]
fn joined_midway_the_answers_tell_the_eof_rule() {
    // From the first query on: no greeting (so `mysql`), no handshake (so
    // no namespace and the EOF rule unknown until a result shows it).
    for (text, skip, count) in [
        (CLI, 3, 17),
        (RAW, 3, 21),
        (CONNECTOR, 5, 26),
        (RAW, 17, 14),
    ] {
        let records = conn(&load(text), 0);
        let whole = lines(&client(text, 0));
        let mut r = Replay::new(Protocol::Mysql, Role::Client);
        r.play(&records[skip..]);
        r.close();
        let got = lines(&r);
        assert_eq!(got.len(), count);
        assert_eq!(got, whole[whole.len() - count..]);
        let d = describe(r.exchanges()[0], false);
        assert_eq!(attr(&d, "db.system.name"), "mysql");
        assert_eq!(attr(&d, "db.namespace"), "-");
        assert_eq!(r.session.stats().malformed, 0);
    }
    // Joined at an answer: it passes, the next command pairs.
    let records = conn(&load(PYMYSQL), 0);
    let at = records
        .iter()
        .position(|r| r.data.ends_with(b"SELECT * FROM nope"))
        .unwrap();
    let mut r = Replay::new(Protocol::Mysql, Role::Client);
    r.play(&records[at + 1..]);
    r.close();
    assert_eq!(lines(&r)[0], "SELEC | 1064 | SELEC ?");
    assert_eq!(r.session.stats().malformed, 0);
}

#[test]
fn garbage_then_commands() {
    let records = conn(&load(RAW), 0);
    let mut r = Replay::new(Protocol::Mysql, Role::Client);
    r.push(Direction::Egress, b"\x05\x00\x00\x07garbage bytes");
    r.push(Direction::Ingress, b"\xff\xff\xff\xff\xff");
    r.play(&records[3..9]);
    r.close();
    assert_eq!(
        lines(&r),
        [
            "CREATE | - | CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(?))",
            "INSERT users | - | INSERT INTO users VALUES (?)",
            "SELECT users | - | SELECT id, name FROM users ORDER BY id",
        ]
    );
    assert_eq!(r.session.stats().dropped_segments, 2);
}

#[test]
fn a_close_reports_what_waits() {
    let records = conn(&load(PYMYSQL), 0);
    let at = records
        .iter()
        .position(|r| r.data.ends_with(b"FROM seq_1_to_3000"))
        .unwrap();
    // Closed in the middle of the 3000 rows: the exchange ends there,
    // truncated; closed before any answer: the request is unpaired.
    let mut r = Replay::new(Protocol::Mysql, Role::Client);
    r.play(&records[..at + 4]);
    r.close();
    let x = r.exchanges();
    assert_eq!(x.len(), 14);
    assert!(x[13].response_meta.truncated);
    let mut r = Replay::new(Protocol::Mysql, Role::Client);
    r.play(&records[..=at]);
    r.close();
    assert_eq!(r.exchanges().len(), 13);
    assert_eq!(r.unpaired_for(UnpairedReason::Closed).len(), 1);
}

#[test]
fn commands_and_greetings_are_detected() {
    let want = |kind| {
        Some(Detection {
            protocol: Protocol::Mysql,
            kind,
        })
    };
    let mut detected = [0usize; 2];
    for (text, c) in CONNECTIONS {
        for (i, r) in conn(&load(text), c).iter().enumerate() {
            let first = &r.data[..r.data.len().min(16)];
            let found = detect(first, Direction::Egress);
            let cmd = first.get(4).copied();
            let is_command = r.wrote
                && first.get(2..4) == Some(&[0, 0])
                && matches!(cmd, Some(0x02 | 0x03 | 0x0e | 0x16 | 0x17));
            if i == 0 && !r.wrote && first.len() >= 8 {
                assert_eq!(found, want(Kind::Response), "{first:?}");
                detected[1] += 1;
            } else if is_command && text != COMPRESS {
                assert_eq!(found, want(Kind::Request), "{first:?}");
                detected[0] += 1;
            } else {
                // Answers, handshake responses, TLS records, compressed
                // packets, COM_QUIT, COM_STMT_CLOSE and RESET.
                assert_ne!(
                    found.map(|d| d.protocol),
                    Some(Protocol::Mysql),
                    "{first:?}"
                );
            }
            // The kernel's looser copy passes whatever user space detects.
            if found.is_some_and(|d| d.protocol == Protocol::Mysql) {
                assert!(kernel_rule(first), "{first:?}");
            }
        }
    }
    assert_eq!(detected, [84, 11]);
    assert_eq!(Protocol::from_name("mysql"), Some(Protocol::Mysql));
}

/// `bpf/detect_mysql.h`, line for line, on the first 8 bytes.
fn kernel_rule(head: &[u8]) -> bool {
    let len = head.len();
    if len < 5 || head[3] != 0 || head[2] != 0 {
        return false;
    }
    let n = usize::from(head[0]) | usize::from(head[1]) << 8;
    let digit = |b: u8| b.is_ascii_digit();
    let sql_start = |b: u8| {
        b.is_ascii_alphabetic()
            || matches!(b, b'(' | b'/' | b'-' | b'#' | b' ' | b'\t' | b'\r' | b'\n')
    };
    match head[4] {
        0x0a => {
            len >= 8
                && (24..=1024).contains(&n)
                && (b'1'..=b'9').contains(&head[5])
                && (digit(head[6]) || head[6] == b'.')
                && (digit(head[7]) || head[7] == b'.')
        }
        0x0e => n == 1,
        0x03 | 0x16 => n >= 2 && len >= 6 && sql_start(head[5]),
        0x02 => {
            n >= 2
                && len >= 6
                && (head[5].is_ascii_alphanumeric()
                    || matches!(head[5], b'_' | b'$')
                    || head[5] >= 0x80)
        }
        0x17 => {
            n >= 10
                && len >= 8
                && ((head[7] == 0 && (head[5] | head[6]) != 0)
                    || (head[5] == 0xff && head[6] == 0xff && head[7] == 0xff))
        }
        _ => false,
    }
}

#[test]
fn the_kernel_rule_passes_every_random_start_user_space_detects() {
    let mut rng = Rng::new(0x5eed_3306);
    let mut seen = 0;
    for _ in 0..400_000 {
        let n = 5 + rng.below(12);
        let mut b = rng.bytes(n);
        // Bias towards plausible headers so both rules have work to do.
        b[1] = (rng.next() % 2) as u8;
        b[2] = 0;
        b[3] = 0;
        b[4] = [0x02, 0x03, 0x0a, 0x0e, 0x16, 0x17][rng.below(6)];
        if detect(&b, Direction::Egress).is_some_and(|d| d.protocol == Protocol::Mysql) {
            assert!(kernel_rule(&b), "{b:?}");
            seen += 1;
        }
    }
    assert!(seen > 1_000, "{seen}");
}

#[test]
fn other_protocols_first_bytes_are_not_mysql() {
    let others: [&[u8]; 14] = [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"\x00\x00\x12\x04\x00\x00\x00\x00\x00",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n",
        b"\x00\x00\x00\x08\x04\xd2\x16\x2f",
        b"\x00\x00\x00\x29\x00\x03\x00\x00user\x00postgres\x00",
        b"Q\x00\x00\x00\x0bBEGIN;\x00",
        b"\x10\x16\x00\x04MQTT\x04\x02\x00\x3c",
        b"AMQP\x00\x00\x09\x01",
        b"CONNECT {\"verbose\":false}\r\n",
        b"get user:1\r\n",
        b"\x00\x00\x00\x2b\x00\x03\x00\x0c\x00\x00\x00\x01\x00\x07client",
        b"\x16\x03\x01\x00\x16\x01\x00\x02\x00\x03\x03SELECT",
    ];
    for bytes in others {
        assert_ne!(
            detect(bytes, Direction::Egress).map(|d| d.protocol),
            Some(Protocol::Mysql),
            "{bytes:?}"
        );
        assert!(
            !kernel_rule(&bytes[..bytes.len().min(8)]) || bytes[3] == 0,
            "{bytes:?}"
        );
    }
    // A TLS record of 22 bytes whose payload begins with a letter: its
    // length field (0x0301..) is no MySQL length under 64 KiB.
    assert!(!kernel_rule(b"\x17\x03\x03\x00\x16Abc"));
}

#[test]
fn a_seeded_corpus_never_panics() {
    let mut rng = Rng::new(0x00db_3306);
    let corpus: Vec<Vec<Record>> = CONNECTIONS
        .iter()
        .map(|&(text, c)| conn(&load(text), c))
        .collect();
    let options = DescribeOptions {
        raw_query_text: true,
    };
    let mut exchanges = 0;
    for _ in 0..2_000 {
        let local = if rng.below(2) == 0 {
            Role::Client
        } else {
            Role::Server
        };
        let limits = Limits {
            max_pending: 1 + rng.below(8),
            max_buffer: 64 + rng.below(40_000),
        };
        let mut session = Session::new(Protocol::Mysql, local, limits);
        let records = &corpus[rng.below(corpus.len())];
        let skip = rng.below(4) * rng.below(records.len());
        let mut t = 0u64;
        let mut check = |e: Event| {
            if let Event::Exchange(x) = &e {
                assert!(x.request_meta.start_ns <= x.request_meta.end_ns);
                assert!(x.response_meta.start_ns <= x.response_meta.end_ns);
                let cx = DescribeContext {
                    role: x.role,
                    options: &options,
                };
                assert!(x.request.describe(Some(&x.response), cx).is_some());
                exchanges += 1;
            }
        };
        for r in records.iter().skip(skip) {
            let mut bytes = r.data.clone();
            bytes.truncate(8192);
            for _ in 0..rng.below(3) {
                if !bytes.is_empty() && rng.below(4) == 0 {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                }
            }
            replay_scrambled(
                &mut session,
                local,
                r.wrote,
                &bytes,
                &mut rng,
                &mut t,
                &mut check,
            );
        }
        session.close(&mut check);
    }
    assert!(exchanges > 1_500, "{exchanges}");
}
