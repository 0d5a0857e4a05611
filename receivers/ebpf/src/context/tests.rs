use super::*;

#[test]
fn traceparent_of_the_w3c_example() {
    let parent = traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").unwrap();
    assert_eq!(
        parent.trace_id,
        [
            0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80,
            0x31, 0x9c
        ]
    );
    assert_eq!(
        parent.span_id,
        [0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31]
    );
}

#[test]
fn traceparent_refusals() {
    for bad in [
        "",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01",
    ] {
        assert_eq!(traceparent(bad), None, "{bad}");
    }
    // A later version may carry more fields.
    assert!(traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x").is_some());
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn sw8_with_a_uuid_trace_id_as_the_python_agent_sends() {
    let header = format!(
        "1-{}-{}-3-{}-{}-{}-{}",
        b64("de5980b8-fce3-4a37-aab9-b4ac3af7eedd"),
        b64("56a5e1c519ae4c76a2b8b11d92cead7f"),
        b64("svc"),
        b64("inst"),
        b64("/get"),
        b64("127.0.0.1:8080")
    );
    let parent = sw8(&header).unwrap();
    assert_eq!(
        parent.trace_id,
        [
            0xde, 0x59, 0x80, 0xb8, 0xfc, 0xe3, 0x4a, 0x37, 0xaa, 0xb9, 0xb4, 0xac, 0x3a, 0xf7,
            0xee, 0xdd
        ]
    );
    // uuid(segment) with 3 XORed into byte 0, then high half XOR low half.
    let mut uid = hex::<16>("56a5e1c519ae4c76a2b8b11d92cead7f").unwrap();
    uid[0] ^= 3;
    let expected: [u8; 8] = std::array::from_fn(|i| uid[i] ^ uid[i + 8]);
    assert_eq!(parent.span_id, expected);
}

#[test]
fn sw8_refusals() {
    for bad in [
        "",
        "0-a-b-1",
        "1-!!!-b-1",
        &format!("1-{}-{}-x", b64("t"), b64("s")),
    ] {
        assert_eq!(sw8(bad), None, "{bad}");
    }
}
