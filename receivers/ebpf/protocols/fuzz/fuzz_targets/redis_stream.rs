//! Redis under libFuzzer: connection replays (see `replay.rs`).
#![no_main]

#[path = "replay.rs"]
mod replay;

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::Protocol;

fuzz_target!(|data: &[u8]| {
    let Some((&setup, records)) = data.split_first() else {
        return;
    };
    let protocol = Protocol::Redis;
    replay::replay(
        protocol,
        &replay::Setup::from_byte(setup, 255),
        records,
        false,
    );
});
