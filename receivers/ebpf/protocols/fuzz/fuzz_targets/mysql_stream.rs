//! MySQL under libFuzzer: connection replays (see `replay.rs`) with
//! two-byte record lengths, since answers of a few kilobytes are common;
//! and the MySQL dialect of the SQL summariser on the raw input as text.
#![no_main]

#[path = "replay.rs"]
mod replay;

use libfuzzer_sys::fuzz_target;
use sonde_ebpf_protocols::sql::{sanitize, summarize, Dialect};
use sonde_ebpf_protocols::Protocol;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = sanitize(&text, Dialect::Mysql);
    let _ = summarize(&text, Dialect::Mysql);
    let Some((&setup, records)) = data.split_first() else {
        return;
    };
    let protocol = Protocol::Mysql;
    replay::replay(
        protocol,
        &replay::Setup::from_byte(setup, 255),
        records,
        true,
    );
});
