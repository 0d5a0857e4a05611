//! Detection, the primitive reads, and the tables, on hand-made bytes.

use super::apis::top_level_error;
use super::wire::{Reader, Stop};
use super::*;

/// A request frame: size, key, version, correlation id, client id, `body`.
fn request(key: i16, version: i16, correlation: i32, client: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&key.to_be_bytes());
    m.extend_from_slice(&version.to_be_bytes());
    m.extend_from_slice(&correlation.to_be_bytes());
    match client {
        Some(c) => {
            m.extend_from_slice(&(c.len() as i16).to_be_bytes());
            m.extend_from_slice(c.as_bytes());
        }
        None => m.extend_from_slice(&(-1i16).to_be_bytes()),
    }
    m.extend_from_slice(body);
    let mut framed = (m.len() as i32).to_be_bytes().to_vec();
    framed.extend_from_slice(&m);
    framed
}

#[test]
fn detection_rules() {
    let ok = request(18, 3, 0, Some("rdkafka"), &[0, 0]);
    assert!(detect_request(&ok));
    assert!(detect_request(&request(3, 12, 7, None, &[1, 0])));
    assert!(detect_request(&request(0, 0, 1, Some(""), &[])));
    for (name, bad) in [
        ("unknown key", request(93, 0, 0, Some("c"), &[])),
        ("negative key", request(-1, 0, 0, Some("c"), &[])),
        ("version 21", request(1, 21, 0, Some("c"), &[])),
        ("negative correlation", request(1, 4, -5, Some("c"), &[])),
        (
            "unprintable client id",
            request(1, 4, 1, Some("\u{1}x"), &[]),
        ),
    ] {
        assert!(!detect_request(&bad), "{name}");
    }
    // A client id longer than the message.
    let mut long = request(18, 3, 0, Some("abc"), &[]);
    long[12] = 0x40;
    assert!(!detect_request(&long));
    // A size too small or too large.
    let mut small = ok.clone();
    small[..4].copy_from_slice(&9i32.to_be_bytes());
    assert!(!detect_request(&small));
    let mut large = ok.clone();
    large[..4].copy_from_slice(&((MAX_SIZE + 1) as i32).to_be_bytes());
    assert!(!detect_request(&large));
    // Fewer than 14 bytes say nothing.
    assert!(!detect_request(&ok[..13]));
    assert!(detect_request(&ok[..14]));
    // Responses are never detected.
    assert_eq!(Kafka::detect(&ok, Direction::Ingress), Some(Kind::Request));
}

#[test]
fn a_postgres_startup_message_is_not_a_request() {
    // StartupMessage: length, protocol 3.0 (reads as Metadata v0), then
    // `user\0postgres\0...`; the client id length (0x0070) runs past it.
    let mut m = vec![0, 0, 0, 0, 0, 3, 0, 0];
    m.extend_from_slice(b"user\0postgres\0database\0orders\0\0");
    let len = m.len() as i32;
    m[..4].copy_from_slice(&len.to_be_bytes());
    assert!(!detect_request(&m));
    // With long enough parameters it fits: a PostgreSQL parser must come
    // before Kafka in the registry.
    m.truncate(m.len() - 1);
    m.extend_from_slice(b"application_name\0");
    m.extend_from_slice(
        b"a-rather-long-application-name-that-takes-the-size-past-the-client-id\0\0",
    );
    let len = m.len() as i32;
    m[..4].copy_from_slice(&len.to_be_bytes());
    assert!(detect_request(&m));
}

#[test]
fn resynchronisation_rules() {
    let q = request(3, 12, 7, Some("c"), &[1, 0]);
    assert!(Kafka::may_start(Role::Client, &q));
    for n in 0..q.len() {
        assert!(Kafka::may_start(Role::Client, &q[..n]), "{n}");
    }
    assert!(!Kafka::may_start(
        Role::Client,
        &request(120, 0, 0, None, &[])
    ));
    assert!(!Kafka::may_start(Role::Client, &[0x10, 0, 0, 0]));
    assert!(Kafka::may_start(Role::Server, &[0, 0, 0, 4, 0, 0, 0, 1]));
    assert!(!Kafka::may_start(Role::Server, &[0, 0, 0, 3]));
    assert!(!Kafka::may_start(Role::Server, &[0xff, 0xff, 0xff, 0xff]));
}

#[test]
fn primitive_reads() {
    // Unsigned varints: 300 in two bytes; a sixth byte is invalid; a fifth
    // above 0x0f overflows 32 bits.
    let mut r = Reader::new(&[0xac, 0x02], 2);
    assert_eq!(r.uvarint(), Ok(300));
    let bytes = [0xff, 0xff, 0xff, 0xff, 0x0f];
    assert_eq!(Reader::new(&bytes, 5).uvarint(), Ok(u32::MAX));
    let bytes = [0xff, 0xff, 0xff, 0xff, 0x10];
    assert_eq!(Reader::new(&bytes, 5).uvarint(), Err(Stop::Invalid));
    // Compact strings: 0 is null, n + 1 the length.
    let bytes = [0, 3, b'a', b'b'];
    let mut r = Reader::new(&bytes, 4);
    r.compact = true;
    assert_eq!(r.string(), Ok(None));
    assert_eq!(r.string(), Ok(Some(&b"ab"[..])));
    // Classic strings: -1 is null, other negatives invalid.
    let bytes = [0xff, 0xff, 0xff, 0xfe];
    let mut r = Reader::new(&bytes, 4);
    assert_eq!(r.string(), Ok(None));
    assert_eq!(r.string(), Err(Stop::Invalid));
    // Reads past the bytes at hand are short, past the message invalid.
    let bytes = [0, 5, b'a'];
    assert_eq!(
        Reader::new(&bytes, 10).string(),
        Err(Stop::Short {
            short: 4,
            in_records: false
        })
    );
    assert_eq!(Reader::new(&bytes, 3).string(), Err(Stop::Invalid));
    // Record sets cut short say so.
    let bytes = [0, 0, 0, 100, 1, 2];
    assert_eq!(
        Reader::new(&bytes, 200).skip_records(),
        Err(Stop::Short {
            short: 98,
            in_records: true
        })
    );
    // An array longer than the message could hold.
    let bytes = [0, 0, 0, 50];
    assert_eq!(Reader::new(&bytes, 20).array(1), Err(Stop::Invalid));
    // Tagged fields: two, of 1 and 2 bytes.
    let bytes = [2, 0, 1, 9, 5, 2, 9, 9, 0x77];
    let mut r = Reader::new(&bytes, 9);
    r.compact = true;
    assert_eq!(r.tagged_fields(), Ok(()));
    assert_eq!(r.i8(), Ok(0x77));
}

#[test]
fn the_tables() {
    for (key, first_flexible) in [
        (0, 9),
        (1, 12),
        (3, 9),
        (18, 3),
        (8, 8),
        (9, 6),
        (11, 6),
        (12, 4),
        (32, 4),
        (44, 1),
        (53, 1),
        (68, 0),
        (92, 0),
    ] {
        assert!(
            !is_flexible(key, first_flexible - 1) || first_flexible == 0,
            "{key}"
        );
        assert!(is_flexible(key, first_flexible), "{key}");
    }
    assert!(!is_flexible(17, 1) && !is_flexible(47, 0) && !is_flexible(93, 5));
    assert_eq!(api_name(0), Some("Produce"));
    assert_eq!(api_name(75), Some("DescribeTopicPartitions"));
    assert_eq!(api_name(93), None);
    assert_eq!(error_name(3), Some("UNKNOWN_TOPIC_OR_PARTITION"));
    assert_eq!(error_name(-1), Some("UNKNOWN_SERVER_ERROR"));
    assert_eq!(error_name(127), Some("VOTER_NOT_FOUND"));
    assert_eq!(error_name(128), None);
    assert_eq!(error_name(-2), None);
    assert_eq!(top_level_error(12, 0), Some(false));
    assert_eq!(top_level_error(12, 4), Some(true));
    assert_eq!(top_level_error(10, 4), None);
    assert_eq!(top_level_error(1, 12), None);
}

#[test]
fn an_unnamed_error_code_is_its_number() {
    let q = Request {
        api_key: 0,
        topic_count: Some(2),
        topic: Some("a".into()),
        ..Request::default()
    };
    let r = Response {
        error_code: 300,
        error_count: 1,
        ..Response::default()
    };
    let d = describe(&q, Some(&r));
    // Two topics: no destination in the name or the attributes.
    assert_eq!(
        (d.name.as_str(), d.error_type.as_deref()),
        ("send", Some("300"))
    );
    assert_eq!(d.attribute("messaging.destination.name"), None);
    let q = Request {
        api_key: 93,
        ..Request::default()
    };
    assert_eq!(describe(&q, None).name, "ApiKey93");
}
