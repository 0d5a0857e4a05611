//! The service name a process gave itself, read from its environment the way
//! an OpenTelemetry SDK in it would: `OTEL_SERVICE_NAME` first, then the
//! `service.name` entry of `OTEL_RESOURCE_ATTRIBUTES`.

/// The service name set in an `/proc/<pid>/environ` image (`KEY=VALUE`
/// entries separated by NULs), if any. Empty values count as unset, as they
/// do for the SDKs.
pub(crate) fn service_name_from_environ(environ: &[u8]) -> Option<String> {
    let mut from_attributes = None;
    for entry in environ.split(|&b| b == 0) {
        if let Some(value) = entry.strip_prefix(b"OTEL_SERVICE_NAME=") {
            let name = String::from_utf8_lossy(value).trim().to_owned();
            if !name.is_empty() {
                return Some(name);
            }
        } else if let Some(value) = entry.strip_prefix(b"OTEL_RESOURCE_ATTRIBUTES=") {
            from_attributes = service_name_from_attributes(&String::from_utf8_lossy(value));
        }
    }
    from_attributes
}

/// `service.name` in an `OTEL_RESOURCE_ATTRIBUTES` value: comma-separated
/// `key=value` pairs whose values are percent-encoded (W3C Baggage octets).
fn service_name_from_attributes(attributes: &str) -> Option<String> {
    attributes.split(',').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        if key.trim() != "service.name" {
            return None;
        }
        // A value that does not decode is discarded, as the SDKs do.
        percent_decode(value.trim()).filter(|name| !name.is_empty())
    })
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            // from_str_radix alone would take a sign: "%+f".
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
