//! Lines as telegraf and the InfluxDB clients write them, escapes, every value type,
//! and the errors with their line and column.

use super::*;

fn one(line: &str) -> Point {
    parse_line(line, Precision::Nanoseconds).unwrap()
}

fn err(line: &str) -> (usize, String) {
    parse_line(line, Precision::Nanoseconds).unwrap_err()
}

#[test]
fn a_telegraf_line() {
    let p = one("cpu,cpu=cpu0,host=h1 usage_idle=98.5,usage_user=1.25 1700000000000000000");
    assert_eq!(p.measurement, "cpu");
    assert_eq!(
        p.tags,
        [("cpu".into(), "cpu0".into()), ("host".into(), "h1".into())]
    );
    assert_eq!(
        p.fields,
        [
            ("usage_idle".into(), FieldValue::Float(98.5)),
            ("usage_user".into(), FieldValue::Float(1.25)),
        ]
    );
    assert_eq!(p.timestamp, Some(1_700_000_000_000_000_000));
}

#[test]
fn every_value_type() {
    let p = one(r#"m f=1,i=-12i,u=12u,s="a \"q\" \\ b, c=d",t=t,T=TRUE,F=false,e=-1.5e3"#);
    assert_eq!(
        p.fields,
        [
            ("f".into(), FieldValue::Float(1.0)),
            ("i".into(), FieldValue::Int(-12)),
            ("u".into(), FieldValue::UInt(12)),
            ("s".into(), FieldValue::Str(r#"a "q" \ b, c=d"#.into())),
            ("t".into(), FieldValue::Bool(true)),
            ("T".into(), FieldValue::Bool(true)),
            ("F".into(), FieldValue::Bool(false)),
            ("e".into(), FieldValue::Float(-1500.0)),
        ]
    );
    assert_eq!(p.timestamp, None);
}

#[test]
fn escapes() {
    let p = one(r"my\ meas\,ure,tag\ key=tag\=val\,ue field\=key=1 10");
    assert_eq!(p.measurement, "my meas,ure");
    assert_eq!(p.tags, [("tag key".into(), "tag=val,ue".into())]);
    assert_eq!(p.fields[0].0, "field=key");
    // A backslash before anything else stays, with what follows it.
    let p = one(r"a\b,t=c:\\,x=1 f=1");
    assert_eq!(p.measurement, r"a\b");
    assert_eq!(
        p.tags,
        [("t".into(), r"c:\\".into()), ("x".into(), "1".into())]
    );
    // Unicode names.
    assert_eq!(one("température,lieu=café v=1").measurement, "température");
}

#[test]
fn precision_scales_the_timestamp() {
    let p = parse_line("m v=1 1700000000", Precision::Seconds).unwrap();
    assert_eq!(p.timestamp, Some(1_700_000_000_000_000_000));
    let p = parse_line("m v=1 -5", Precision::Milliseconds).unwrap();
    assert_eq!(p.timestamp, Some(-5_000_000));
    assert_eq!(
        parse_line("m v=1 9223372036854775807", Precision::Seconds).unwrap_err(),
        (6, "timestamp 9223372036854775807 out of range".into())
    );
    assert_eq!(Precision::parse("u"), Some(Precision::Microseconds));
    assert_eq!(Precision::parse("us"), Some(Precision::Microseconds));
    assert_eq!(Precision::parse(""), Some(Precision::Nanoseconds));
    assert_eq!(Precision::parse("d"), None);
}

#[test]
fn errors_say_where() {
    assert_eq!(err(",t=1 v=1"), (0, "missing measurement".into()));
    assert_eq!(err("m"), (1, "missing fields".into()));
    assert_eq!(
        err("m,t v=1"),
        (3, "missing tag value for tag key \"t\"".into())
    );
    assert_eq!(
        err("m,t= v=1"),
        (4, "missing tag value for tag key \"t\"".into())
    );
    assert_eq!(
        err("m v"),
        (3, "missing field value for field key \"v\"".into())
    );
    assert_eq!(err("m v="), (4, "missing field value".into()));
    assert_eq!(
        err("m v=abc"),
        (4, "invalid float field value \"abc\"".into())
    );
    assert_eq!(
        err("m v=inf"),
        (4, "invalid float field value \"inf\"".into())
    );
    assert_eq!(
        err("m v=1.5i"),
        (4, "invalid integer field value \"1.5i\"".into())
    );
    assert_eq!(
        err("m v=-1u"),
        (4, "invalid unsigned integer field value \"-1u\"".into())
    );
    assert_eq!(
        err("m v=\"open"),
        (4, "unterminated string field value".into())
    );
    assert_eq!(err("m v=1 12x"), (6, "invalid timestamp \"12x\"".into()));
    assert_eq!(
        err("m v=1 12 13"),
        (9, "unexpected text after the timestamp".into())
    );
    assert_eq!(err("m v=1,"), (6, "missing fields".into()));
}

#[test]
fn a_body_reports_bad_lines_and_keeps_good_ones() {
    let body = "# a comment\n\
                cpu v=1 10\n\
                \n\
                cpu v=oops 11\r\n\
                \x20\x20mem,host=h used=5i 12\n\
                disk,path=/ free=\n";
    let (points, errors) = parse(body.as_bytes(), Precision::Nanoseconds);
    let lines: Vec<usize> = points.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [2, 5]);
    assert_eq!(points[1].1.measurement, "mem");
    assert_eq!(
        errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        [
            "line 4, column 7: invalid float field value \"oops\"",
            "line 6, column 18: missing field value",
        ]
    );
    let (points, errors) = parse(b"m v=1\n\xff\xfe v=2\n", Precision::Nanoseconds);
    assert_eq!(points.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "line 2, column 1: the line is not valid UTF-8"
    );
    // Columns count characters, not bytes.
    let (_, errors) = parse("é,t=1 v=x".as_bytes(), Precision::Nanoseconds);
    assert_eq!(errors[0].column, 9);
}
