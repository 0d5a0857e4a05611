//! The decoder on the examples of RFC 7541 Appendix C, and on what a decoder
//! that joined late or lost bytes must do.

use super::*;

fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn fields(d: &mut Decoder, block: &[u8]) -> (Vec<(String, String)>, Decoded) {
    let mut out = Vec::new();
    let decoded = d
        .decode(block, false, |n, v| {
            out.push((
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ))
        })
        .unwrap();
    (out, decoded)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// The dynamic table, newest first.
fn table(d: &Decoder) -> Vec<(String, String)> {
    (0..d.table.len())
        .map(|i| {
            let (n, v) = d.table.get(i).unwrap();
            (
                String::from_utf8_lossy(n.unwrap()).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect()
}

fn started(limit: u32) -> Decoder {
    let mut d = Decoder::default();
    d.start();
    d.set_limit(limit);
    d.table.set_max_size(limit as usize);
    d
}

#[test]
fn c2_single_representations() {
    // C.2.1 Literal Header Field with Indexing.
    let mut d = started(4096);
    let block = unhex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
    let (f, _) = fields(&mut d, &block);
    assert_eq!(f, pairs(&[("custom-key", "custom-header")]));
    assert_eq!(table(&d), pairs(&[("custom-key", "custom-header")]));
    assert_eq!(d.table.size(), 55);
    // C.2.2 Literal Header Field without Indexing.
    let mut d = started(4096);
    let (f, _) = fields(&mut d, &unhex("040c 2f73 616d 706c 652f 7061 7468"));
    assert_eq!(f, pairs(&[(":path", "/sample/path")]));
    assert!(table(&d).is_empty());
    // C.2.3 Literal Header Field Never Indexed.
    let mut d = started(4096);
    let (f, _) = fields(&mut d, &unhex("1008 7061 7373 776f 7264 0673 6563 7265 74"));
    assert_eq!(f, pairs(&[("password", "secret")]));
    assert!(table(&d).is_empty());
    // C.2.4 Indexed Header Field.
    let mut d = started(4096);
    let (f, _) = fields(&mut d, &[0x82]);
    assert_eq!(f, pairs(&[(":method", "GET")]));
}

/// Three requests on one connection (C.3 plain, C.4 Huffman).
fn request_series(blocks: [&str; 3]) {
    let mut d = started(4096);
    let (f, _) = fields(&mut d, &unhex(blocks[0]));
    assert_eq!(
        f,
        pairs(&[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "www.example.com")
        ])
    );
    assert_eq!(table(&d), pairs(&[(":authority", "www.example.com")]));
    assert_eq!(d.table.size(), 57);
    let (f, _) = fields(&mut d, &unhex(blocks[1]));
    assert_eq!(
        f,
        pairs(&[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "www.example.com"),
            ("cache-control", "no-cache")
        ])
    );
    assert_eq!(d.table.size(), 110);
    let (f, decoded) = fields(&mut d, &unhex(blocks[2]));
    assert_eq!(
        f,
        pairs(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/index.html"),
            (":authority", "www.example.com"),
            ("custom-key", "custom-value")
        ])
    );
    assert!(!decoded.incomplete);
    assert_eq!(
        table(&d),
        pairs(&[
            ("custom-key", "custom-value"),
            ("cache-control", "no-cache"),
            (":authority", "www.example.com")
        ])
    );
    assert_eq!(d.table.size(), 164);
}

#[test]
fn c3_requests_without_huffman() {
    request_series([
        "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "8286 84be 5808 6e6f 2d63 6163 6865",
        "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ]);
}

#[test]
fn c4_requests_with_huffman() {
    request_series([
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ]);
}

/// Three responses with a 256-byte table, evicting (C.5 plain, C.6 Huffman).
fn response_series(blocks: [&str; 3]) {
    let mut d = started(256);
    let (f, _) = fields(&mut d, &unhex(blocks[0]));
    assert_eq!(
        f,
        pairs(&[
            (":status", "302"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("location", "https://www.example.com")
        ])
    );
    assert_eq!(d.table.size(), 222);
    let (f, _) = fields(&mut d, &unhex(blocks[1]));
    assert_eq!(
        f,
        pairs(&[
            (":status", "307"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("location", "https://www.example.com")
        ])
    );
    assert_eq!(
        table(&d),
        pairs(&[
            (":status", "307"),
            ("location", "https://www.example.com"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("cache-control", "private")
        ])
    );
    assert_eq!(d.table.size(), 222);
    let (f, _) = fields(&mut d, &unhex(blocks[2]));
    assert_eq!(
        f,
        pairs(&[
            (":status", "200"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
            ("location", "https://www.example.com"),
            ("content-encoding", "gzip"),
            (
                "set-cookie",
                "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"
            )
        ])
    );
    assert_eq!(
        table(&d),
        pairs(&[
            (
                "set-cookie",
                "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"
            ),
            ("content-encoding", "gzip"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT")
        ])
    );
    assert_eq!(d.table.size(), 215);
}

const C5: [&str; 3] = [
    "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
     2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
     6c65 2e63 6f6d",
    "4803 3330 37c1 c0bf",
    "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
     54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
     5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
     3d31",
];

#[test]
fn c5_responses_without_huffman() {
    response_series(C5);
}

#[test]
fn c6_responses_with_huffman() {
    response_series([
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
         2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
         77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
         9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    ]);
}

#[test]
fn c1_integers() {
    // C.1.1: 10 on a 5-bit prefix; C.1.2: 1337 on 5 bits; C.1.3: 42 on 8 bits.
    assert_eq!(integer(&[0b0000_1010], 0, 5), Ok(Some((10, 1))));
    assert_eq!(
        integer(&[0b0001_1111, 0b1001_1010, 0b0000_1010], 0, 5),
        Ok(Some((1337, 3)))
    );
    assert_eq!(integer(&[42], 0, 8), Ok(Some((42, 1))));
    // Cut before its last byte; longer than 32 bits.
    assert_eq!(integer(&[0x1f, 0x9a], 0, 5), Ok(None));
    assert_eq!(
        integer(&[0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 0, 5),
        Err(HpackError::Integer)
    );
}

#[test]
fn a_decoder_that_joined_late_marks_unknown_entries_and_keeps_the_rest() {
    // The second request of C.3 seen alone: index 62 (:authority) was added
    // by a block this decoder never saw.
    let mut d = Decoder::default();
    let (f, decoded) = fields(&mut d, &unhex("8286 84be 5808 6e6f 2d63 6163 6865"));
    assert!(decoded.incomplete);
    assert_eq!(
        f,
        pairs(&[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            ("cache-control", "no-cache")
        ])
    );
    // What it added it knows from then on: the third request's index 63 is
    // cache-control, index 64 (:authority) is still unknown.
    let (f, decoded) = fields(
        &mut d,
        &unhex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"),
    );
    assert!(decoded.incomplete);
    assert_eq!(
        f,
        pairs(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/index.html"),
            ("custom-key", "custom-value")
        ])
    );
    let (f, decoded) = fields(&mut d, &[0xbe, 0xbf]);
    assert!(!decoded.incomplete);
    assert_eq!(
        f,
        pairs(&[
            ("custom-key", "custom-value"),
            ("cache-control", "no-cache")
        ])
    );
}

#[test]
fn an_entry_named_by_an_unknown_index_keeps_the_numbering() {
    let mut d = Decoder::default();
    // Literal with indexing, name = dynamic index 70 (unknown), value "v".
    let (f, decoded) = fields(&mut d, &[0x40 | 0x3f, 70 - 63, 0x01, b'v']);
    assert!(decoded.incomplete && f.is_empty());
    // Then a known one: index 62 is it, 63 the entry with the unknown name.
    let (f, _) = fields(
        &mut d,
        &unhex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"),
    );
    assert_eq!(f.len(), 1);
    let (f, decoded) = fields(&mut d, &[0xbe, 0xbf]);
    assert_eq!(f, pairs(&[("custom-key", "custom-header")]));
    assert!(decoded.incomplete);
}

#[test]
fn a_cut_block_gives_its_first_fields_and_forgets_the_table() {
    let mut d = started(4096);
    let block = unhex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65");
    let mut seen = Vec::new();
    let decoded = d
        .decode(&block[..10], true, |n, v| {
            seen.push((n.to_vec(), v.to_vec()))
        })
        .unwrap();
    assert!(decoded.incomplete);
    assert_eq!(seen.len(), 3);
    assert_eq!(d.table_state(), (0, 0));
    // Not cut, the same bytes are an error, and the table is forgotten too.
    let mut d = started(4096);
    fields(&mut d, &unhex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"));
    assert_eq!(d.table_state().0, 1);
    assert_eq!(
        d.decode(&block[..10], false, |_, _| {}),
        Err(HpackError::Truncated)
    );
    assert_eq!(d.table_state(), (0, 0));
}

#[test]
fn size_updates_evict_and_are_bounded_by_the_setting() {
    let mut d = started(4096);
    fields(&mut d, &unhex(C5[0]));
    assert_eq!(d.table_state(), (4, 222));
    // An update to 100 keeps what fits (location, 23 + 8 + 32 = 63).
    fields(&mut d, &[0x3f, 100 - 31]);
    assert_eq!(d.table_state(), (1, 63));
    // The peer's setting is 64: an update asking for more is held to it.
    d.set_limit(64);
    fields(&mut d, &[0x3f, 0xe1, 0x1f]); // 4096
    fields(&mut d, &unhex("4803 3330 32"));
    assert_eq!(table(&d), pairs(&[(":status", "302")]));
    // Zero empties the table.
    fields(&mut d, &[0x20]);
    assert_eq!(d.table_state(), (0, 0));
}

#[test]
fn malformed_blocks_are_errors() {
    let mut d = started(4096);
    assert_eq!(
        d.decode(&[0x80], false, |_, _| {}),
        Err(HpackError::ZeroIndex)
    );
    // A Huffman string padded with zeros.
    assert_eq!(
        d.decode(&[0x04, 0x81, 0x00], false, |_, _| {}),
        Err(HpackError::Huffman)
    );
    // A string longer than the block.
    assert_eq!(
        d.decode(&[0x04, 0x05, b'a'], false, |_, _| {}),
        Err(HpackError::Truncated)
    );
}
