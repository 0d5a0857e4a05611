//! DNS under libFuzzer: connection (or UDP socket) replays (see
//! `replay.rs`; bit 7 of byte 0 picks TCP), and the message parser on the
//! raw input, whole and as a prefix.
#![no_main]

#[path = "replay.rs"]
mod replay;

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::dns::parse_message;
use sonde_ebpf_protocols::Protocol;

fuzz_target!(|data: &[u8]| {
    let _ = parse_message(data, true);
    let _ = parse_message(data, false);
    let Some((&setup, records)) = data.split_first() else {
        return;
    };
    let protocol = if setup & 0x80 == 0 {
        Protocol::Dns
    } else {
        Protocol::DnsTcp
    };
    replay::replay(
        protocol,
        &replay::Setup::from_byte(setup, 7),
        records,
        false,
    );
});
