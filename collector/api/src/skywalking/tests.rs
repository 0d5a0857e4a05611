use super::*;

fn hex<const N: usize>(text: &str) -> [u8; N] {
    std::array::from_fn(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
}

#[test]
fn a_uuid_trace_id_is_its_bytes() {
    let expected = hex::<16>("de5980b8fce34a37aab9b4ac3af7eedd");
    assert_eq!(trace_id("de5980b8-fce3-4a37-aab9-b4ac3af7eedd"), expected);
    assert_eq!(trace_id("de5980b8fce34a37aab9b4ac3af7eedd"), expected);
}

#[test]
fn a_trace_id_that_is_no_uuid_is_empty() {
    for bad in [
        "",
        "abc",
        "de5980b8-fce3-4a37-aab9-b4ac3af7eedx",
        "de5980b8fce3-4a37-aab9-b4ac3af7eedd-",
        "de5980b8-fce34a37-aab9-b4ac3af7eedd",
    ] {
        assert_eq!(trace_id(bad), [0; 16], "{bad}");
    }
}

#[test]
fn a_java_agent_trace_id_folds_its_numbers_in() {
    let id = "56a5e1c519ae4c76a2b8b11d92cead7f.12.16563474296430001";
    let mut expected = hex::<16>("56a5e1c519ae4c76a2b8b11d92cead7f");
    for (i, b) in 12u32.to_le_bytes().iter().enumerate() {
        expected[4 + i] ^= b;
    }
    for (i, b) in 16563474296430001u64.to_le_bytes().iter().enumerate() {
        expected[8 + i] ^= b;
    }
    assert_eq!(trace_id(id), expected);
    // A tail that is not two numbers gives the empty id.
    assert_eq!(trace_id("56a5e1c519ae4c76a2b8b11d92cead7f.12.x"), [0; 16]);
    assert_eq!(trace_id("56a5e1c519ae4c76a2b8b11d92cead7fx12.1"), [0; 16]);
}

#[test]
fn a_span_id_is_the_segment_with_the_span_number_folded() {
    let segment = "56a5e1c519ae4c76a2b8b11d92cead7f";
    let mut uid = hex::<16>(segment);
    uid[0] ^= 3;
    let expected: [u8; 8] = std::array::from_fn(|i| uid[i] ^ uid[i + 8]);
    assert_eq!(span_id(segment, 3), expected);
    assert_eq!(
        span_id(segment, 0),
        [
            0x56 ^ 0xa2,
            0xa5 ^ 0xb8,
            0xe1 ^ 0xb1,
            0xc5 ^ 0x1d,
            0x19 ^ 0x92,
            0xae ^ 0xce,
            0x4c ^ 0xad,
            0x76 ^ 0x7f
        ]
    );
    // -1 is 0xffffffff over the first four bytes.
    let mut uid = hex::<16>(segment);
    for b in &mut uid[..4] {
        *b ^= 0xff;
    }
    assert_eq!(span_id(segment, -1), fold(uid));
    assert_eq!(span_id("short", 1), [0; 8]);
}

#[test]
fn a_bad_hex_digit_keeps_the_bytes_before_it() {
    let mut expected = [0u8; 16];
    expected[0] = 0x56;
    expected[1] = 0xa5;
    assert_eq!(sw_uuid("56a5zz c519ae4c76a2b8b11d92cead7f", 7), expected);
}
