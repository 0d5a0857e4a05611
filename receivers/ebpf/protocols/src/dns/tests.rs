//! The wire format on hand-made messages: names, pointers and their loops,
//! escaping, records, and the rules of detection and resynchronisation.

use super::*;
use crate::describe::DescribeOptions;

/// A header with `flags` and counts, then `rest`.
fn message(id: u16, flags: u16, counts: [u16; 4], rest: &[u8]) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        m.extend_from_slice(&c.to_be_bytes());
    }
    m.extend_from_slice(rest);
    m
}

/// A name in wire form, without compression.
fn name(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in text.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn question(text: &str, qtype: u16) -> Vec<u8> {
    let mut q = name(text);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}

#[test]
fn a_query_and_its_question() {
    let m = message(7, 0x0100, [1, 0, 0, 0], &question("WWW.Example.COM", 28));
    let parsed = parse_message(&m, true).unwrap();
    assert_eq!(parsed.id(), 7);
    assert!(!parsed.is_response() && parsed.header.recursion_desired());
    assert_eq!(
        parsed.question,
        Some(Question {
            name: "www.example.com".into(),
            qtype: 28,
            qclass: 1
        })
    );
    assert!(!parsed.partial && !parsed.edns);
    assert_eq!(detect_header(&m), Some(Kind::Request));
}

#[test]
fn names_are_escaped_as_the_conventions_ask() {
    let mut q = vec![7];
    q.extend_from_slice(b"a.b\\c\"d");
    q.extend_from_slice(&[5, b' ', b'\t', 0x7f, 0xff, b'X']);
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let m = message(1, 0, [1, 0, 0, 0], &q);
    assert_eq!(
        parse_message(&m, true).unwrap().name(),
        Some("a\\.b\\\\c\\\"d.\\032\\t\\127\\255x")
    );
    // The root.
    let m = message(1, 0, [1, 0, 0, 0], &[0, 0, 2, 0, 1]);
    assert_eq!(parse_message(&m, true).unwrap().name(), Some("."));
}

#[test]
fn compression_pointers_and_their_guards() {
    // A response whose question name points back into an earlier one is not
    // real, but a second question's is: walk both.
    let mut rest = question("example.com", 1);
    rest.extend_from_slice(&[3, b'w', b'w', b'w', 0xc0, 12, 0, 1, 0, 1]);
    let m = message(1, 0x8180, [2, 0, 0, 0], &rest);
    assert_eq!(parse_message(&m, true).unwrap().name(), Some("example.com"));

    // A pointer forward (at 16, to 18).
    let m = message(
        1,
        0x8180,
        [1, 0, 0, 0],
        &[3, b'f', b'o', b'o', 0xc0, 18, 0, 0, 1, 0, 1],
    );
    assert_eq!(parse_message(&m, true), Err(Malformed::Header));

    // Names through pointers, as records use them: `www` + -> `example` +
    // -> `com`; each ends in place after its first pointer.
    let wire = [
        3, b'c', b'o', b'm', 0, // 0
        7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0xc0, 0, // 5
        3, b'w', b'w', b'w', 0xc0, 5, // 15
        0xc0, 15, // 21
    ];
    let read = |at| {
        let mut out = String::new();
        wire::read_name(&wire, at, &mut out).map(|end| (out, end))
    };
    assert_eq!(read(15), Ok(("www.example.com".to_owned(), 21)));
    assert_eq!(read(21), Ok(("www.example.com".to_owned(), 23)));
    assert_eq!(read(5), Ok(("example.com".to_owned(), 15)));
    assert_eq!(read(22), Err(wire::NameError::Cut));
    assert_eq!(read(23), Err(wire::NameError::Cut));

    // A pointer to itself.
    let m = message(1, 0, [1, 0, 0, 0], &[0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(parse_message(&m, true), Err(Malformed::Header));
    // A loop through earlier labels: `a` then a pointer back to it, forever;
    // the name length limit ends it.
    let m = message(1, 0, [1, 0, 0, 0], &[1, b'a', 0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(parse_message(&m, true), Err(Malformed::Header));
    // Reserved label types.
    for b in [0x40, 0x80] {
        let m = message(1, 0, [1, 0, 0, 0], &[b, 0, 0, 1, 0, 1]);
        assert_eq!(parse_message(&m, true), Err(Malformed::Header));
    }
}

#[test]
fn a_name_longer_than_255_bytes_is_refused() {
    let long = ["a".repeat(63).as_str(); 4].join(".");
    let m = message(1, 0, [1, 0, 0, 0], &question(&long, 1));
    // 4 labels of 63: 256 bytes with the length bytes and the root.
    assert_eq!(parse_message(&m, true), Err(Malformed::Header));
    let ok = [
        "a".repeat(63).as_str(),
        &"a".repeat(63),
        &"a".repeat(63),
        &"a".repeat(61),
    ]
    .join(".");
    let m = message(1, 0, [1, 0, 0, 0], &question(&ok, 1));
    assert_eq!(
        parse_message(&m, true).unwrap().name().map(str::len),
        Some(253)
    );
}

#[test]
fn a_cut_message_keeps_its_header() {
    let m = message(9, 0x8183, [1, 0, 0, 0], &question("gone.example", 1));
    for end in HEADER_LEN..m.len() {
        let parsed = parse_message(&m[..end], false).unwrap();
        assert_eq!(
            (parsed.id(), parsed.rcode, parsed.question),
            (9, 3, None),
            "{end}"
        );
        assert!(parsed.partial);
        // Captured whole, the same bytes are not a message.
        assert_eq!(parse_message(&m[..end], true), Err(Malformed::Header));
    }
    assert_eq!(parse_message(&m[..11], false), Err(Malformed::StartLine));
}

#[test]
fn answers_addresses_and_the_opt_record() {
    let mut rest = question("svc.example", 1);
    // CNAME, two A, an AAAA, an A of the wrong length, a CHAOS A.
    rest.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12]);
    rest.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
    rest.extend_from_slice(&[0xc0, 12, 0, 1, 0x80, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 2]);
    rest.extend_from_slice(&[0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16]);
    rest.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    rest.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3]);
    rest.extend_from_slice(&[0xc0, 12, 0, 1, 0, 3, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]);
    // An authority SOA-ish record skipped by length, then OPT with
    // extended RCODE 1 and version 0.
    rest.extend_from_slice(&[0, 0, 6, 0, 1, 0, 0, 0, 60, 0, 3, 9, 9, 9]);
    rest.extend_from_slice(&[0, 0, 41, 4, 0xd0, 1, 0, 0, 0, 0, 0]);
    let m = message(3, 0x8180, [1, 6, 1, 1], &rest);
    let parsed = parse_message(&m, true).unwrap();
    let addresses: Vec<String> = parsed.addresses.iter().map(|a| a.to_string()).collect();
    // The mDNS cache-flush bit does not hide the second A.
    assert_eq!(addresses, ["192.0.2.1", "192.0.2.2", "2001:db8::1"]);
    assert!(parsed.edns);
    assert_eq!(parsed.rcode, 16);
    assert_eq!(rcode_name(parsed.rcode), "BADVERS");
    // Records that do not fit are not read; the question still is.
    let parsed = parse_message(&m[..m.len() - 5], true).unwrap();
    assert_eq!(
        (parsed.rcode, parsed.edns, parsed.addresses.len()),
        (0, false, 3)
    );
}

#[test]
fn at_most_so_many_addresses() {
    let mut rest = question("many.example", 1);
    for i in 0..40u8 {
        rest.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, i]);
    }
    let m = message(3, 0x8180, [1, 40, 0, 0], &rest);
    let parsed = parse_message(&m, true).unwrap();
    assert_eq!(parsed.addresses.len(), MAX_ADDRESSES);
    assert_eq!(parsed.answer_count(), 40);
}

#[test]
fn detection_rules() {
    let q = message(1, 0x0100, [1, 0, 0, 1], &question("a.b", 1));
    assert_eq!(detect_header(&q), Some(Kind::Request));
    assert_eq!(detect_header(&q[..13]), Some(Kind::Request));
    assert_eq!(detect_header(&q[..12]), None);
    // A query with an RCODE, answers or authority records is no query.
    for (flags, counts) in [
        (0x0101, [1, 0, 0, 0]),
        (0x0100, [1, 1, 0, 0]),
        (0x0100, [1, 0, 1, 0]),
    ] {
        let m = message(1, flags, counts, &question("a.b", 1));
        assert_eq!(detect_header(&m), None, "{flags:x} {counts:?}");
    }
    // An answer may have any RCODE and records.
    let r = message(1, 0x8583, [1, 0, 1, 1], &question("a.b", 1));
    assert_eq!(detect_header(&r), Some(Kind::Response));
    // A first label longer than 63 bytes is a pointer or reserved.
    let r = message(1, 0x8180, [1, 0, 0, 0], &[0xc0, 12]);
    assert_eq!(detect_header(&r), None);
    // Over TCP the length first, at least a header and a small question.
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    assert_eq!(
        DnsTcp::detect(&framed[..15], Direction::Egress),
        Some(Kind::Request)
    );
    assert_eq!(DnsTcp::detect(&framed[..14], Direction::Egress), None);
    framed[1] = 18;
    assert_eq!(DnsTcp::detect(&framed, Direction::Egress), None);
}

#[test]
fn resynchronisation_rules() {
    let q = message(1, 0x0100, [1, 0, 0, 0], &question("a.b", 1));
    let r = message(1, 0x8180, [1, 1, 0, 0], &question("a.b", 1));
    assert!(Dns::may_start(Role::Client, &q) && !Dns::may_start(Role::Server, &q));
    assert!(Dns::may_start(Role::Server, &r) && !Dns::may_start(Role::Client, &r));
    // Short prefixes are valid starts.
    for n in 0..6 {
        assert!(Dns::may_start(Role::Client, &q[..n]), "{n}");
    }
    // Opcode 3 is unassigned; Z set; two questions.
    let mut bad = q.clone();
    bad[2] |= 3 << 3;
    assert!(!Dns::may_start(Role::Client, &bad));
    let mut bad = q.clone();
    bad[3] |= 0x40;
    assert!(!Dns::may_start(Role::Client, &bad));
    let mut bad = q.clone();
    bad[5] = 2;
    assert!(!Dns::may_start(Role::Client, &bad));
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    assert!(DnsTcp::may_start(Role::Client, &framed));
    assert!(DnsTcp::may_start(Role::Client, &framed[..1]));
    assert!(!DnsTcp::may_start(Role::Server, &framed));
    assert!(!DnsTcp::may_start(Role::Client, &[0, 11, 0, 1]));
}

#[test]
fn names_of_types_opcodes_and_rcodes() {
    let names: Vec<String> = [1, 28, 5, 15, 16, 33, 12, 2, 6, 65, 64, 255, 257, 65534]
        .iter()
        .map(|&t| QtypeName(t).to_string())
        .collect();
    assert_eq!(
        names,
        [
            "A",
            "AAAA",
            "CNAME",
            "MX",
            "TXT",
            "SRV",
            "PTR",
            "NS",
            "SOA",
            "HTTPS",
            "SVCB",
            "ANY",
            "CAA",
            "TYPE65534"
        ]
    );
    let rcodes: Vec<String> = [1, 2, 3, 4, 5, 9, 23, 12, 4095]
        .iter()
        .map(|&r| rcode_name(r))
        .collect();
    assert_eq!(
        rcodes,
        [
            "FORMERR",
            "SERVFAIL",
            "NXDOMAIN",
            "NOTIMP",
            "REFUSED",
            "NOTAUTH",
            "BADCOOKIE",
            "RCODE12",
            "RCODE4095"
        ]
    );
    assert_eq!(
        (opcode_name(5), opcode_name(15)),
        ("UPDATE".into(), "OPCODE15".into())
    );
}

#[test]
fn descriptions_by_opcode_role_and_rcode() {
    let options = DescribeOptions::default();
    let cx = |role| DescribeContext {
        role,
        options: &options,
    };
    let q = parse_message(
        &message(1, 0x0100, [1, 0, 0, 0], &question("x.y", 65)),
        true,
    )
    .unwrap();
    let servfail = parse_message(
        &message(1, 0x8182, [1, 0, 0, 0], &question("x.y", 65)),
        true,
    )
    .unwrap();
    let d = describe(&q, Some(&servfail), cx(Role::Server));
    assert_eq!(
        (d.name.as_str(), d.error_type.as_deref(), d.failed),
        ("DNS HTTPS", Some("SERVFAIL"), true)
    );
    let refused = parse_message(
        &message(1, 0x8185, [1, 0, 0, 0], &question("x.y", 65)),
        true,
    )
    .unwrap();
    let d = describe(&q, Some(&refused), cx(Role::Server));
    assert_eq!(
        (d.error_type.as_deref(), d.failed),
        (Some("REFUSED"), false)
    );
    let d = describe(&q, None, cx(Role::Client));
    assert_eq!((d.error_type, d.failed), (None, false));
    // An UPDATE names its opcode; a query without a question names nothing.
    let update = parse_message(
        &message(1, 5 << 11, [1, 0, 0, 0], &question("zone.y", 6)),
        true,
    )
    .unwrap();
    assert_eq!(describe(&update, None, cx(Role::Client)).name, "DNS UPDATE");
    let bare = parse_message(&message(1, 0, [0, 0, 0, 0], &[]), true).unwrap();
    let d = describe(&bare, None, cx(Role::Client));
    assert_eq!((d.name.as_str(), d.attributes.len()), ("DNS", 0));
}
