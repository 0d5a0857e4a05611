//! The compiled kernel side, embedded at build time (see build.rs), or
//! nothing in a `SONDE_NO_EBPF=1` build.

/// The bytes of `sonde.bpf.o`, aligned for the ELF parser.
#[cfg(not(sonde_no_ebpf))]
pub(crate) fn object() -> Option<&'static [u8]> {
    Some(aya::include_bytes_aligned!(concat!(
        env!("OUT_DIR"),
        "/sonde.bpf.o"
    )))
}

#[cfg(sonde_no_ebpf)]
pub(crate) fn object() -> Option<&'static [u8]> {
    None
}
