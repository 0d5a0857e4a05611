//! Kafka under libFuzzer: connection replays (see `replay.rs`) with 2-byte
//! record lengths, so one record can hold a large message. Requests and
//! answers pair by correlation id, so the fuzzer reaches the response walks
//! of every API once it learns to repeat a request's id.
#![no_main]

#[path = "replay.rs"]
mod replay;

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::Protocol;

fuzz_target!(|data: &[u8]| {
    let Some((&setup, records)) = data.split_first() else {
        return;
    };
    let protocol = Protocol::Kafka;
    replay::replay(
        protocol,
        &replay::Setup::from_byte(setup, 255),
        records,
        true,
    );
});
