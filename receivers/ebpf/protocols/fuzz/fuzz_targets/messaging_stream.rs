//! MQTT, NATS and AMQP 0-9-1 under libFuzzer: connection replays (see
//! `replay.rs`; bits 6-7 of byte 0 pick the protocol).
#![no_main]

#[path = "replay.rs"]
mod replay;

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::Protocol;

fuzz_target!(|data: &[u8]| {
    let Some((&setup, records)) = data.split_first() else {
        return;
    };
    let protocol = match setup >> 6 {
        0 | 3 => Protocol::Mqtt,
        1 => Protocol::Nats,
        _ => Protocol::Amqp,
    };
    replay::replay(
        protocol,
        &replay::Setup::from_byte(setup, 3),
        records,
        false,
    );
});
