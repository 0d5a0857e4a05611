//! The name of the host sonde runs on, for `host.name`.

use std::ffi::CStr;

/// The host's name: `gethostname(2)`, else `/proc/sys/kernel/hostname`, else
/// an empty string (the process table then leaves `host.name` out rather
/// than invent one).
pub fn host_name() -> String {
    from_gethostname()
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|name| name.trim().to_owned())
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_default()
}

fn from_gethostname() -> Option<String> {
    // HOST_NAME_MAX is 64 on Linux; the extra room keeps the NUL in bounds.
    let mut buffer = [0u8; 256];
    // SAFETY: the pointer and length describe `buffer`, which outlives the call.
    let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len() - 1) };
    if rc != 0 {
        return None;
    }
    let name = CStr::from_bytes_until_nul(&buffer).ok()?;
    Some(name.to_string_lossy().trim().to_owned())
}
