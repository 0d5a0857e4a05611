//! HTTP/2 under libFuzzer: connection replays (see `replay.rs`), and the
//! HPACK decoder on the raw input as one header block, whole and cut.
#![no_main]

#[path = "replay.rs"]
mod replay;

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::http2::hpack::Decoder;
use sonde_ebpf_protocols::Protocol;

fuzz_target!(|data: &[u8]| {
    for cut in [false, true] {
        let mut decoder = Decoder::default();
        let _ = decoder.decode(data, cut, |_, _| {});
        let _ = decoder.decode(data, cut, |_, _| {});
    }
    let Some((&setup, records)) = data.split_first() else {
        return;
    };
    let protocol = Protocol::Http2;
    replay::replay(
        protocol,
        &replay::Setup::from_byte(setup, 255),
        records,
        false,
    );
});
