use sonde_api::pdata::common::v1::{ArrayValue, KeyValueList};

use super::*;

fn v(value: Value) -> AnyValue {
    AnyValue { value: Some(value) }
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(v(value)),
        ..Default::default()
    }
}

#[test]
fn scalar_values() {
    assert_eq!(typed(Some(&v(Value::StringValue("x".into())))), "Str(x)");
    assert_eq!(typed(Some(&v(Value::IntValue(-3)))), "Int(-3)");
    assert_eq!(typed(Some(&v(Value::DoubleValue(1.0)))), "Double(1)");
    assert_eq!(typed(Some(&v(Value::DoubleValue(0.5)))), "Double(0.5)");
    assert_eq!(typed(Some(&v(Value::BoolValue(true)))), "Bool(true)");
    assert_eq!(
        typed(Some(&v(Value::BytesValue(b"hello".to_vec())))),
        "Bytes(aGVsbG8=)"
    );
    assert_eq!(typed(None), "Empty()");
}

#[test]
fn maps_and_slices_are_json_with_sorted_keys() {
    let map = v(Value::KvlistValue(KeyValueList {
        values: vec![
            kv("b", Value::IntValue(1)),
            kv(
                "a",
                Value::ArrayValue(ArrayValue {
                    values: vec![
                        v(Value::StringValue("<x>".into())),
                        v(Value::DoubleValue(2.5)),
                    ],
                }),
            ),
        ],
    }));
    assert_eq!(
        typed(Some(&map)),
        r#"Map({"a":["\u003cx\u003e",2.5],"b":1})"#
    );
}

#[test]
fn floats_the_go_way() {
    assert_eq!(json_float(1e21), "1e+21");
    assert_eq!(json_float(1e-7), "1e-7");
    assert_eq!(json_float(123456789.0), "123456789");
    assert_eq!(go_g(1000000.0), "1e+06");
    assert_eq!(go_g(123456.0), "123456");
    assert_eq!(go_g(0.00001), "1e-05");
    assert_eq!(go_g(0.0001), "0.0001");
    assert_eq!(go_g(2.5), "2.5");
    assert_eq!(go_g(1.5e300), "1.5e+300");
    assert_eq!(go_f(2.5), "2.500000");
    assert_eq!(go_f(f64::INFINITY), "+Inf");
}

#[test]
fn ids_and_timestamps() {
    assert_eq!(hex_id(&[0; 16]), "");
    assert_eq!(hex_id(&[0x11, 0x12, 0xab]), "1112ab");
    assert_eq!(timestamp(0), "1970-01-01 00:00:00 +0000 UTC");
    assert_eq!(
        timestamp(1_581_452_772_000_000_321),
        "2020-02-11 20:26:12.000000321 +0000 UTC"
    );
    assert_eq!(
        timestamp(951_782_400_500_000_000),
        "2000-02-29 00:00:00.5 +0000 UTC"
    );
}

#[test]
fn base64_padding() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
}
