//! HTTP/1 under libFuzzer: connection replays (see `replay.rs`), and the
//! head parsers on the raw input.
#![no_main]

#[path = "replay.rs"]
mod replay;

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::http1::{parse_request, parse_response};
use sonde_ebpf_protocols::{Input, Protocol};

fuzz_target!(|data: &[u8]| {
    let _ = parse_request(Input::new(data));
    let _ = parse_response(Input::truncated(data, 100), None);
    let Some((&setup, records)) = data.split_first() else {
        return;
    };
    let protocol = Protocol::Http1;
    replay::replay(
        protocol,
        &replay::Setup::from_byte(setup, 255),
        records,
        false,
    );
});
