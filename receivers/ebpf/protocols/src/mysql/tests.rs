//! The MySQL parser's pieces on packets built by hand from the protocol's
//! layouts (the recorded conversations are in tests/mysql_session.rs):
//! field encodings, the connection-phase payloads, answers walked in both
//! EOF rules and with the rule unknown, detection, describe.

use super::answer::{Stop, Walk};
use super::message::{end_status, greeting, login, ok_status, server_error, text};
use super::packet::{lenenc, MAX_PAYLOAD};
use super::*;
use crate::describe::{Attribute, DescribeOptions, Family, Value};

fn pkt(seq: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = (payload.len() as u32).to_le_bytes()[..3].to_vec();
    p.push(seq);
    p.extend_from_slice(payload);
    p
}

fn cat(packets: &[Vec<u8>]) -> Vec<u8> {
    packets.concat()
}

/// A column definition (its content is skipped, only its length matters).
fn def(seq: u8, name: &str) -> Vec<u8> {
    let mut p = b"\x03def\x00\x00\x00".to_vec();
    p.push(name.len() as u8);
    p.extend_from_slice(name.as_bytes());
    p.extend_from_slice(b"\x00\x0c?\x00\x0b\x00\x00\x00\x03\x00\x00\x00\x00\x00");
    pkt(seq, &p)
}

const EOF_MORE: &[u8] = b"\xfe\x00\x00\x0a\x00";
const EOF: &[u8] = b"\xfe\x00\x00\x02\x00";
const OK_EOF: &[u8] = b"\xfe\x00\x00\x02\x00\x00\x00";
const OK: &[u8] = b"\x00\x00\x00\x02\x00\x00\x00";
const OK_MORE: &[u8] = b"\x00\x01\x00\x0a\x00\x00\x00";

fn walk_all(command: Command, b: &[u8], deprecate: &mut Option<bool>) -> (Stop, Response) {
    let mut w = Walk::new(command, 1);
    let stop = w.walk(b, 0, false, deprecate);
    (stop, w.response)
}

#[test]
fn field_encodings() {
    assert_eq!(lenenc(b"\x05"), Some((5, 1)));
    assert_eq!(lenenc(b"\xfc\x34\x12"), Some((0x1234, 3)));
    assert_eq!(lenenc(b"\xfd\x01\x02\x03"), Some((0x030201, 4)));
    assert_eq!(
        lenenc(b"\xfe\x01\x00\x00\x00\x00\x00\x00\x01"),
        Some((0x0100_0000_0000_0001, 9))
    );
    assert_eq!(lenenc(b"\xfb"), None);
    assert_eq!(lenenc(b"\xff"), None);
    assert_eq!(lenenc(b"\xfc\x01"), None);
    assert_eq!(lenenc(b""), None);
    // Cut inside a character: the whole characters before it.
    assert_eq!(&*text("caf\u{e9}".as_bytes()[..4].as_ref()), "caf");
    assert_eq!(&*text(b"ok\xff\xfe!"), "ok\u{fffd}\u{fffd}!");
    assert_eq!(text(&[b'x'; MAX_TEXT + 10]).len(), MAX_TEXT);
}

#[test]
fn connection_phase_payloads() {
    let mut g = b"\x0a5.5.5-10.11.19-MariaDB\x00\x05\x00\x00\x00abcdefgh\x00".to_vec();
    g.extend_from_slice(b"\xfe\xf7\x08\x02\x00\xff\x81\x15");
    let parsed = greeting(&g).unwrap();
    assert_eq!(parsed.system, System::Mariadb);
    assert_eq!(parsed.caps, Some(0x81ff_f7fe));
    let mysql = greeting(b"\x0a8.0.36\x00\x01\x00\x00\x00").unwrap();
    assert_eq!((mysql.system, mysql.caps), (System::Mysql, None));
    assert_eq!(greeting(b"\x098.0\x00"), None);

    // PROTOCOL_41, SECURE_CONNECTION, CONNECT_WITH_DB, DEPRECATE_EOF.
    let caps: u32 = 0x200 | 0x8000 | 0x8 | 0x0100_0000;
    let mut l = caps.to_le_bytes().to_vec();
    l.extend_from_slice(&[0, 0, 0, 1, 45]);
    l.extend_from_slice(&[0; 23]);
    l.extend_from_slice(b"sonde\x00\x03abcshop\x00mysql_native_password\x00");
    let parsed = login(&l, l.len()).unwrap();
    assert_eq!(parsed.caps, caps);
    assert!(!parsed.ssl);
    assert_eq!(parsed.database.as_deref(), Some("shop"));
    // PLUGIN_AUTH_LENENC_CLIENT_DATA instead: a length-encoded length.
    let caps2 = caps | 0x0020_0000;
    l[..4].copy_from_slice(&caps2.to_le_bytes());
    assert_eq!(
        login(&l, l.len()).unwrap().database.as_deref(),
        Some("shop")
    );
    // A length-encoded length near 2^64 is no database.
    let mut huge = l[..32].to_vec();
    huge.extend_from_slice(b"u\x00\xfe\xff\xff\xff\xff\xff\xff\xff\xffx");
    assert_eq!(login(&huge, huge.len()).unwrap().database, None);
    // The SSL request: the first 32 bytes alone, CLIENT_SSL set.
    let mut ssl = (0x200u32 | 0x800).to_le_bytes().to_vec();
    ssl.extend_from_slice(&[0; 28]);
    assert!(login(&ssl, 32).unwrap().ssl);
    // Not a handshake response: no PROTOCOL_41, or a filler that is not.
    assert_eq!(login(&[0; 32], 32), None);
    let mut bad = ssl.clone();
    bad[12] = 1;
    assert_eq!(login(&bad, 32), None);

    assert_eq!(ok_status(OK_MORE), Some(0x000a));
    assert_eq!(ok_status(b"\x00\xfc\x10\x27\x05\x02\x00"), Some(2));
    assert_eq!(end_status(EOF_MORE, 5), Some(0x000a));
    assert_eq!(end_status(OK_EOF, 7), Some(2));
    let e = server_error(b"\xff\x7a\x04#42S02Table 'x' doesn't exist").unwrap();
    assert_eq!((e.code, e.state_str()), (1146, Some("42S02")));
    let e = server_error(b"\xff\x10\x04Too many connections").unwrap();
    assert_eq!((e.code, e.state), (1040, None));
}

#[test]
fn command_names() {
    assert_eq!(Command::QUERY.name(), Some("COM_QUERY"));
    assert_eq!(Command(0x1f).name(), Some("COM_RESET_CONNECTION"));
    assert_eq!(
        Command::STMT_BULK_EXECUTE.name(),
        Some("COM_STMT_BULK_EXECUTE")
    );
    assert_eq!(Command(0x20).name(), None);
    assert_eq!(Command(0xff).name(), None);
    assert!(!Command::STMT_CLOSE.answered() && Command::STMT_RESET.answered());
}

#[test]
fn a_classic_result_set_and_what_follows_it() {
    let answer = cat(&[
        pkt(1, b"\x02"),
        def(2, "id"),
        def(3, "name"),
        pkt(4, EOF),
        pkt(5, b"\x011\x05alice"),
        // A row whose first value is NULL, and one whose first value is 250
        // bytes long.
        pkt(6, b"\xfb\x03bob"),
        pkt(7, &[&b"\xfc\xfa\x00"[..], &[b'x'; 250], b"\x00"].concat()),
        pkt(8, EOF),
    ]);
    let mut next = answer.clone();
    next.extend(pkt(1, OK));
    let mut deprecate = None;
    let (stop, r) = walk_all(Command::QUERY, &next, &mut deprecate);
    assert_eq!(stop, Stop::Done(answer.len()));
    assert_eq!((r.results, r.error), (1, None));
    // The 5-byte EOF after the definitions told the rule.
    assert_eq!(deprecate, Some(false));
}

#[test]
fn deprecate_eof_with_the_rule_known_or_told_by_the_answer() {
    let rows = cat(&[
        pkt(1, b"\x01"),
        def(2, "id"),
        pkt(3, b"\x011"),
        pkt(4, OK_EOF),
    ]);
    let empty = cat(&[pkt(1, b"\x01"), def(2, "id"), pkt(3, OK_EOF)]);
    for known in [Some(true), None] {
        for b in [&rows, &empty] {
            let mut deprecate = known;
            let (stop, r) = walk_all(Command::QUERY, b, &mut deprecate);
            assert_eq!(stop, Stop::Done(b.len()));
            assert_eq!(r.results, 1);
            assert_eq!(deprecate, Some(true));
        }
    }
    // Binary rows (COM_STMT_EXECUTE) begin with 00, which is no OK there.
    let binary = cat(&[
        pkt(1, b"\x01"),
        def(2, "id"),
        pkt(3, b"\x00\x00\x01\x00\x00\x00"),
        pkt(4, OK_EOF),
    ]);
    let (stop, _) = walk_all(Command::STMT_EXECUTE, &binary, &mut Some(true));
    assert_eq!(stop, Stop::Done(binary.len()));
}

#[test]
fn several_results_progress_reports_and_errors() {
    // An OK saying more results exist, a result set, then an error that
    // ends the answer.
    let b = cat(&[
        pkt(1, OK_MORE),
        pkt(2, b"\x01"),
        def(3, "a"),
        pkt(4, EOF),
        pkt(5, b"\x011"),
        pkt(6, EOF_MORE),
        pkt(7, b"\xff\x7a\x04#42S02nope"),
    ]);
    let (stop, r) = walk_all(Command::QUERY, &b, &mut None);
    assert_eq!(stop, Stop::Done(b.len()));
    assert_eq!(r.results, 2);
    assert_eq!(r.error.map(|e| e.code), Some(1146));
    // A LOCAL INFILE request, a progress report (an ERR of code 0xFFFF),
    // then the OK after the client's file, whatever its sequence id.
    let b = cat(&[
        pkt(1, b"\xfb/tmp/x.csv"),
        pkt(4, b"\xff\xff\xff\x01\x02\x02\x00\x00\x00\x03End"),
        pkt(5, OK),
    ]);
    let (stop, r) = walk_all(Command::QUERY, &b, &mut None);
    assert_eq!(stop, Stop::Done(b.len()));
    assert!(r.local_infile && r.error.is_none());
    assert_eq!(r.results, 1);
    // An error in the middle of rows.
    let b = cat(&[
        pkt(1, b"\x01"),
        def(2, "a"),
        pkt(3, EOF),
        pkt(4, b"\x011"),
        pkt(5, b"\xff\x2d\x07#70100Query execution was interrupted"),
    ]);
    let (stop, r) = walk_all(Command::QUERY, &b, &mut None);
    assert_eq!(stop, Stop::Done(b.len()));
    assert_eq!(r.error.map(|e| e.code), Some(1837));
}

#[test]
fn prepare_answers_in_every_rule() {
    let prepare_ok =
        |columns: u8, params: u8| pkt(1, &[0, 7, 0, 0, 0, columns, 0, params, 0, 0, 0, 0]);
    // Classic: the parameters' definitions and EOF, the columns' and EOF.
    let classic = cat(&[
        prepare_ok(1, 2),
        def(2, "?"),
        def(3, "?"),
        pkt(4, EOF),
        def(5, "name"),
        pkt(6, EOF),
    ]);
    let (stop, r) = walk_all(Command::STMT_PREPARE, &classic, &mut Some(false));
    assert_eq!(stop, Stop::Done(classic.len()));
    assert_eq!((r.statement_id, r.results), (Some(7), 1));
    let (stop, _) = walk_all(Command::STMT_PREPARE, &classic, &mut None);
    assert_eq!(stop, Stop::Done(classic.len()));
    // CLIENT_DEPRECATE_EOF: no EOFs.
    let bare = cat(&[prepare_ok(1, 2), def(2, "?"), def(3, "?"), def(4, "name")]);
    let (stop, _) = walk_all(Command::STMT_PREPARE, &bare, &mut Some(true));
    assert_eq!(stop, Stop::Done(bare.len()));
    // The rule unknown: the answer ends with the bytes at hand, or where
    // the next answer's first packet begins.
    let mut deprecate = None;
    let (stop, _) = walk_all(Command::STMT_PREPARE, &bare, &mut deprecate);
    assert_eq!(stop, Stop::Done(bare.len()));
    let mut then = bare.clone();
    then.extend(pkt(1, OK));
    let mut deprecate = None;
    let (stop, _) = walk_all(Command::STMT_PREPARE, &then, &mut deprecate);
    assert_eq!((stop, deprecate), (Stop::Done(bare.len()), Some(true)));
    // Parameters only; nothing at all.
    let params = cat(&[prepare_ok(0, 1), def(2, "?"), pkt(3, EOF)]);
    assert_eq!(
        walk_all(Command::STMT_PREPARE, &params, &mut Some(false)).0,
        Stop::Done(params.len())
    );
    let nothing = prepare_ok(0, 0);
    assert_eq!(
        walk_all(Command::STMT_PREPARE, &nothing, &mut None).0,
        Stop::Done(nothing.len())
    );
    let failed = pkt(1, b"\xff\x7a\x04#42S02nope");
    let (stop, r) = walk_all(Command::STMT_PREPARE, &failed, &mut None);
    assert_eq!((stop, r.statement_id), (Stop::Done(failed.len()), None));
}

#[test]
fn what_does_not_belong_and_what_is_missing() {
    // Out of sequence.
    let b = cat(&[pkt(1, b"\x01"), def(3, "a")]);
    assert_eq!(
        walk_all(Command::QUERY, &b, &mut None).0,
        Stop::Bad { at: 5 }
    );
    // No column count: 0, or more columns than a table can have.
    for count in [&b"\xfc\x00\x00"[..], b"\xfc\x01\x10"] {
        assert_eq!(
            walk_all(Command::QUERY, &pkt(1, count), &mut None).0,
            Stop::Bad { at: 0 }
        );
    }
    // Short: a header, then a packet's first bytes.
    let b = cat(&[pkt(1, b"\x01"), def(2, "a")]);
    assert_eq!(
        walk_all(Command::QUERY, &b[..7], &mut None).0,
        Stop::More { at: 5, needed: 2 }
    );
    assert_eq!(
        walk_all(Command::QUERY, &b, &mut None).0,
        Stop::More {
            at: b.len(),
            needed: 4
        }
    );
    // The row runs past the bytes at hand: the next header is 96 bytes on.
    let mut b = cat(&[pkt(1, b"\x01"), def(2, "a"), pkt(3, EOF)]);
    b.extend(pkt(4, &[b'x'; 100]));
    let cut = b.len() - 90;
    assert_eq!(
        walk_all(Command::QUERY, &b[..cut], &mut None).0,
        Stop::More {
            at: b.len(),
            needed: 94
        }
    );
}

#[test]
fn a_row_longer_than_a_packet_goes_on_in_the_next() {
    // A 16 MiB row whose continuation packet happens to begin with FE, as
    // an EOF would.
    let mut b = cat(&[pkt(1, b"\x01"), def(2, "blob"), pkt(3, EOF)]);
    let mut long = vec![0xFE; MAX_PAYLOAD + 4];
    long[..4].copy_from_slice(&[0xff, 0xff, 0xff, 4]);
    b.extend(long);
    b.extend(pkt(5, b"\xfe\x00\x00"));
    b.extend(pkt(6, EOF));
    let (stop, r) = walk_all(Command::QUERY, &b, &mut None);
    assert_eq!(stop, Stop::Done(b.len()));
    assert_eq!(r.results, 1);
}

fn client(m: &mut Mysql, bytes: &[u8]) -> MyResult {
    m.parse_client(Input::new(bytes))
}

#[test]
fn commands_statements_and_the_default_database() {
    let mut m = Mysql::default();
    let ParseResult::Parsed {
        message: Step::Whole(Message::Request(q)),
        consumed: 14,
    } = client(&mut m, &pkt(0, b"\x02warehouse"))
    else {
        panic!()
    };
    assert_eq!(q.argument.as_deref(), Some("warehouse"));
    assert_eq!(m.database, None);
    // Its OK makes it the connection's.
    let ok = pkt(1, OK);
    assert!(matches!(
        m.parse_server(Input::new(&ok)),
        ParseResult::Parsed {
            message: Step::Whole(Message::Response(_)),
            consumed: 11
        }
    ));
    assert_eq!(m.database.as_deref(), Some("warehouse"));
    // No answer, no request: COM_QUIT and COM_STMT_CLOSE pass.
    assert_eq!(client(&mut m, &pkt(0, b"\x01")), pass(5));
    m.prepare(3, Arc::from("SELECT 1"));
    assert_eq!(m.statement(3).as_deref(), Some("SELECT 1"));
    assert_eq!(client(&mut m, &pkt(0, b"\x19\x03\x00\x00\x00")), pass(9));
    assert_eq!(m.statement(3), None);
    // A byte that is no command.
    assert_eq!(
        client(&mut m, &pkt(0, b"\x42")),
        ParseResult::Malformed(Malformed::StartLine)
    );
    // Sequence ids other than 0 are the client's other packets.
    assert_eq!(client(&mut m, &pkt(3, b"file data")), pass(13));
    // A query waits for its text (up to MAX_TEXT bytes) to be there.
    let q = pkt(0, b"\x03SELECT 1");
    assert_eq!(
        client(&mut m, &q[..8]),
        ParseResult::Incomplete { needed: Some(5) }
    );
    assert_eq!(
        use_schema("use `my db`; select 1").as_deref(),
        Some("my db")
    );
    assert_eq!(use_schema("  USE\tshop").as_deref(), Some("shop"));
    assert_eq!(use_schema("user_stats"), None);
    assert_eq!(use_schema("SELECT 1"), None);
}

#[test]
fn a_command_longer_than_a_packet() {
    let mut m = Mysql::default();
    let mut head = vec![0xff, 0xff, 0xff, 0, 0x03];
    head.extend_from_slice(b"INSERT INTO t VALUES ");
    let ParseResult::Parsed {
        message: Step::Whole(Message::Request(q)),
        consumed,
    } = m.parse_client(Input::truncated(&head, MAX_PAYLOAD - 22))
    else {
        panic!()
    };
    assert_eq!(consumed, MAX_PAYLOAD + 4);
    assert_eq!(q.text.as_deref(), Some("INSERT INTO t VALUES "));
    // Its last packet (sequence 1) moves the answer's first to 2.
    assert_eq!(client(&mut m, &pkt(1, b"(1)")), pass(7));
    assert_eq!(m.expected.front().map(|e| e.seq), Some(2));
    assert_eq!(
        m.parse_server(Input::new(&pkt(1, OK))),
        ParseResult::Malformed(Malformed::StartLine)
    );
    assert!(matches!(
        m.parse_server(Input::new(&pkt(2, OK))),
        ParseResult::Parsed { consumed: 11, .. }
    ));
}

#[test]
fn detection() {
    let query = pkt(0, b"\x03SELECT * FROM orders");
    assert_eq!(
        Mysql::detect(&query, Direction::Egress),
        Some(Kind::Request)
    );
    assert_eq!(
        Mysql::detect(&query[..6], Direction::Ingress),
        Some(Kind::Request)
    );
    assert_eq!(Mysql::detect(&query[..5], Direction::Egress), None);
    for good in [
        pkt(0, b"\x03 SELECT 1"),
        pkt(0, b"\x03/*c*/ SELECT 1"),
        pkt(0, b"\x16INSERT INTO t VALUES (?)"),
        pkt(0, b"\x02sondedb"),
        pkt(0, b"\x0e"),
        pkt(0, b"\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00"),
        pkt(0, b"\x17\xff\xff\xff\xff\x00\x01\x00\x00\x00"),
    ] {
        assert_eq!(
            Mysql::detect(&good, Direction::Egress),
            Some(Kind::Request),
            "{good:?}"
        );
    }
    let mut greeting = pkt(0, b"\x0a8.0.36\x00\x08\x00\x00\x00");
    greeting.extend_from_slice(&[0; 60]);
    greeting[0] += 60;
    assert_eq!(
        Mysql::detect(&greeting, Direction::Ingress),
        Some(Kind::Response)
    );
    for bad in [
        pkt(1, b"\x03SELECT 1"),
        pkt(0, b"\x03\x01\x02\x03"),
        pkt(0, b"\x03SELECT\x00\x01"),
        pkt(0, b"\x0e\x00"),
        pkt(0, b"\x02my db"),
        pkt(0, b"\x17\x01\x00\x00\x00\x00\x02\x00\x00\x00"),
        pkt(0, b"\x17\x00\x00\x00\x00\x00\x01\x00\x00\x00"),
        pkt(0, b"\x17\x01\x00\x01\x00\x00\x01\x00\x00\x00"),
        pkt(0, b"\x01"),
        pkt(0, b"\x0a8.0.36\x00"),
        [&[0x00, 0x00, 0x01, 0x00][..], b"\x03SELECT 1"].concat(),
    ] {
        assert_eq!(Mysql::detect(&bad, Direction::Egress), None, "{bad:?}");
    }
}

#[test]
fn may_start() {
    assert!(Mysql::may_start(Role::Client, b"\x09"));
    assert!(Mysql::may_start(Role::Client, &pkt(0, b"\x03SELECT 1")));
    assert!(Mysql::may_start(
        Role::Client,
        &pkt(0, b"\x1a\x01\x00\x00\x00")
    ));
    assert!(!Mysql::may_start(Role::Client, &pkt(0, b"\x42")));
    assert!(!Mysql::may_start(Role::Client, &pkt(2, b"\x03SELECT 1")));
    assert!(!Mysql::may_start(Role::Client, b""));
    // A handshake response: long enough, CLIENT_PROTOCOL_41.
    assert!(Mysql::may_start(
        Role::Client,
        &pkt(
            1,
            &[
                0x0d, 0xa2, 0, 0, 0, 0, 0, 1, 0x2d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0
            ]
        )
    ));
    assert!(!Mysql::may_start(
        Role::Client,
        &pkt(
            1,
            &[
                0x0d, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0
            ]
        )
    ));
    assert!(Mysql::may_start(Role::Server, &pkt(1, OK)));
    assert!(Mysql::may_start(
        Role::Server,
        &pkt(1, b"\xff\x7a\x04#42S02")
    ));
    assert!(Mysql::may_start(Role::Server, &pkt(1, b"\x02")));
    assert!(Mysql::may_start(Role::Server, &def(1, "id")));
    assert!(Mysql::may_start(Role::Server, &pkt(0, b"\x0a8.0.36\x00")));
    // Rows in the middle of a result do not.
    assert!(!Mysql::may_start(Role::Server, &pkt(9, b"\x011\x05alice")));
    assert!(!Mysql::may_start(Role::Server, &pkt(1, &[b'x'; 40])));
}

fn describe_with(request: &Request, response: Option<&Response>, raw: bool) -> Description {
    let options = DescribeOptions {
        raw_query_text: raw,
    };
    let cx = DescribeContext {
        role: Role::Client,
        options: &options,
    };
    Mysql::describe(request, response, cx)
}

fn request(command: Command) -> Request {
    Request {
        command,
        text: None,
        argument: None,
        statement_id: None,
        database: Some(Arc::from("shop")),
        system: System::Mysql,
    }
}

#[test]
fn describe_commands_by_their_names() {
    let d = describe_with(&request(Command::PING), Some(&Response::default()), false);
    assert_eq!(d.name, "COM_PING");
    assert_eq!(d.family, Family::Db);
    assert_eq!(
        d.attributes,
        vec![
            Attribute::str("db.system.name", "mysql"),
            Attribute::str("db.namespace", "shop"),
            Attribute::str("db.operation.name", "COM_PING"),
        ]
    );
    assert!(!d.failed);
    // An execution of a statement prepared before the capture: no text.
    let execute = Request {
        statement_id: Some(4),
        ..request(Command::STMT_EXECUTE)
    };
    assert_eq!(
        describe_with(&execute, None, false).name,
        "COM_STMT_EXECUTE"
    );
    // COM_INIT_DB names the schema it selects.
    let init = Request {
        argument: Some(Arc::from("archive")),
        system: System::Mariadb,
        ..request(Command::INIT_DB)
    };
    let failed = Response {
        error: Some(ServerError {
            code: 1049,
            state: Some(*b"42000"),
        }),
        ..Response::default()
    };
    let d = describe_with(&init, Some(&failed), false);
    assert_eq!(
        d.attributes,
        vec![
            Attribute::str("db.system.name", "mariadb"),
            Attribute::str("db.namespace", "archive"),
            Attribute::str("db.operation.name", "COM_INIT_DB"),
            Attribute::str("db.response.status_code", "1049"),
        ]
    );
    assert_eq!((d.error_type.as_deref(), d.failed), (Some("1049"), true));
    // A prepare: its text and table, under the command's name.
    let prepare = Request {
        text: Some(Arc::from("SELECT * FROM orders WHERE id = 42 # by id")),
        ..request(Command::STMT_PREPARE)
    };
    let d = describe_with(&prepare, None, false);
    assert_eq!(d.name, "COM_STMT_PREPARE");
    assert_eq!(
        d.attribute("db.collection.name"),
        Some(&Value::Str("orders".into()))
    );
    assert_eq!(
        d.attribute("db.query.text"),
        Some(&Value::Str("SELECT * FROM orders WHERE id = ?".into()))
    );
    let d = describe_with(&prepare, None, true);
    assert_eq!(
        d.attribute("db.query.text"),
        Some(&Value::Str(
            "SELECT * FROM orders WHERE id = 42 # by id".into()
        ))
    );
    // A query by its statement.
    let query = Request {
        text: Some(Arc::from("UPDATE `orders` SET paid = 1")),
        ..request(Command::QUERY)
    };
    let d = describe_with(&query, Some(&Response::default()), false);
    assert_eq!(d.name, "UPDATE `orders`");
    let field_list = Request {
        argument: Some(Arc::from("orders")),
        ..request(Command::FIELD_LIST)
    };
    assert_eq!(
        describe_with(&field_list, None, false).attribute("db.collection.name"),
        Some(&Value::Str("orders".into()))
    );
}

/// xorshift64*, so no rand crate is needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Bytes biased towards the values the layouts give meaning to.
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        const SPECIAL: [u8; 12] = [0, 1, 2, 3, 5, 0x0a, 0xfb, 0xfc, 0xfd, 0xfe, 0xff, b'#'];
        (0..n)
            .map(|_| match self.below(3) {
                0 => SPECIAL[self.below(SPECIAL.len())],
                _ => self.next() as u8,
            })
            .collect()
    }
}

#[test]
fn random_payloads_never_panic() {
    let mut rng = Rng(0x3306_5eed);
    for _ in 0..100_000 {
        let n = rng.below(48);
        let b = rng.bytes(n);
        let len = if rng.below(2) == 0 {
            b.len()
        } else {
            rng.below(64)
        };
        let _ = (greeting(&b), login(&b, len), ok_status(&b));
        let _ = (end_status(&b, len), server_error(&b), lenenc(&b));
        let _ = Mysql::detect(&b, Direction::Egress);
        let _ = (
            Mysql::may_start(Role::Client, &b),
            Mysql::may_start(Role::Server, &b),
        );
        // A handshake response's fixed part, then anything.
        let mut l = ((rng.next() as u32) | 0x200).to_le_bytes().to_vec();
        l.extend(rng.bytes(5));
        l.extend([0; 23]);
        l.extend(&b);
        let _ = login(&l, if len == b.len() { l.len() } else { len });
        // A run of packets with plausible headers and random payloads.
        let mut run = Vec::new();
        for seq in 1..1 + rng.below(6) as u8 {
            let size = rng.below(24);
            let payload = rng.bytes(size);
            run.extend(pkt(seq, &payload));
        }
        let command = Command([0x03, 0x16, 0x17, 0x04, 0x11, 0x09][rng.below(6)]);
        let mut deprecate = [None, Some(true), Some(false)][rng.below(3)];
        let mut w = Walk::new(command, 1);
        let from = rng.below(run.len() + 2);
        let _ = w.walk(&run, from, rng.below(2) == 0, &mut deprecate);
    }
}

#[test]
fn a_long_row_is_followed_not_waited_for() {
    use crate::registry::{Protocol, Request as AnyRequest};
    use crate::segment::Segment;
    use crate::session::{Event, Limits, Session};
    let mut answer = cat(&[pkt(1, b"\x01"), def(2, "doc"), pkt(3, EOF)]);
    let mut row = vec![0xfd, 0x9d, 0x86, 0x01];
    row.extend(vec![b'x'; 100_000]);
    answer.extend(pkt(4, &row));
    answer.extend(pkt(5, EOF));
    let mut session = Session::new(Protocol::Mysql, Role::Client, Limits::default());
    let mut events = Vec::new();
    let mut t = 0;
    let mut push = |dir, bytes: &[u8], events: &mut Vec<Event>| {
        session.push(dir, &Segment::new(bytes, t, t + 10), |e| events.push(e));
        t += 100;
    };
    push(
        Direction::Egress,
        &pkt(0, b"\x03SELECT doc FROM docs"),
        &mut events,
    );
    for piece in answer.chunks(1000) {
        push(Direction::Ingress, piece, &mut events);
    }
    push(Direction::Egress, &pkt(0, b"\x0e"), &mut events);
    push(Direction::Ingress, &pkt(1, OK), &mut events);
    let exchanges: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Exchange(x) => Some(x),
            _ => None,
        })
        .collect();
    assert_eq!(exchanges.len(), 2);
    let (first, second) = (exchanges[0], exchanges[1]);
    assert_eq!(first.response_meta.bytes, answer.len() as u64);
    assert_eq!(
        first.response_meta.end_ns,
        100 * answer.len().div_ceil(1000) as u64 + 10
    );
    assert!(!first.response_meta.truncated);
    let AnyRequest::Mysql(ping) = &second.request else {
        panic!()
    };
    assert_eq!(ping.command, Command::PING);
}
