//! What the health check answers, as a pure function of the service's state and the time.
//!
//! On the wire, by default (as otelcol-contrib):
//! * 200 `{"status":"Server available","upSince":"2024-05-01T10:00:00.5Z","uptime":"1m2.5s"}`
//! * 503 `{"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""}`
//!
//! With `response_body` set, the configured text instead, same status codes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::ResponseBody;
use sonde_api::calendar::civil_from_days;

/// The status code, content type and body to send.
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// `up_since` is when the service last became ready; `None` while it is not.
pub fn respond(
    up_since: Option<SystemTime>,
    now: SystemTime,
    custom: Option<&ResponseBody>,
) -> Response {
    let status = if up_since.is_some() { 200 } else { 503 };
    if let Some(custom) = custom {
        let body = if up_since.is_some() {
            &custom.healthy
        } else {
            &custom.unhealthy
        };
        return Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.clone(),
        };
    }
    let body = match up_since {
        Some(since) => format!(
            r#"{{"status":"Server available","upSince":"{}","uptime":"{}"}}"#,
            rfc3339_nano(since),
            go_duration(now.duration_since(since).unwrap_or_default())
        ),
        None => r#"{"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""}"#
            .to_string(),
    };
    Response {
        status,
        content_type: "application/json",
        body,
    }
}

/// Go's RFC3339Nano in UTC: `2024-05-01T10:00:00.5Z`, trailing zeros of the fraction dropped.
pub fn rfc3339_nano(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    let mut out = format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if d.subsec_nanos() != 0 {
        let frac = format!("{:09}", d.subsec_nanos());
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `2m0s`, `1.5ms`, `0s`.
pub fn go_duration(d: Duration) -> String {
    let n = d.as_nanos();
    if n == 0 {
        return "0s".to_string();
    }
    if n < 1_000 {
        return format!("{n}ns");
    }
    if n < 1_000_000 {
        return format!("{}µs", decimal(n, 1_000, 3));
    }
    if n < 1_000_000_000 {
        return format!("{}ms", decimal(n, 1_000_000, 6));
    }
    const MINUTE: u128 = 60_000_000_000;
    let hours = n / (60 * MINUTE);
    let minutes = n / MINUTE % 60;
    let seconds = format!("{}s", decimal(n % MINUTE, 1_000_000_000, 9));
    if hours > 0 {
        format!("{hours}h{minutes}m{seconds}")
    } else if minutes > 0 {
        format!("{minutes}m{seconds}")
    } else {
        seconds
    }
}

/// `value / unit` with the fraction written out and its trailing zeros dropped.
fn decimal(value: u128, unit: u128, digits: usize) -> String {
    let (whole, frac) = (value / unit, value % unit);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:0digits$}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_body() {
        let since = UNIX_EPOCH + Duration::new(1_714_557_600, 500_000_000);
        let now = since + Duration::from_millis(62_500);
        assert_eq!(
            respond(Some(since), now, None),
            Response {
                status: 200,
                content_type: "application/json",
                body: r#"{"status":"Server available","upSince":"2024-05-01T10:00:00.5Z","uptime":"1m2.5s"}"#
                    .to_string()
            }
        );
    }

    #[test]
    fn unavailable_body() {
        let r = respond(None, SystemTime::now(), None);
        assert_eq!(r.status, 503);
        assert_eq!(
            r.body,
            r#"{"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""}"#
        );
    }

    #[test]
    fn custom_bodies() {
        let custom = ResponseBody {
            healthy: "I'm OK".into(),
            unhealthy: "I'm not well".into(),
        };
        let now = SystemTime::now();
        assert_eq!(respond(Some(now), now, Some(&custom)).body, "I'm OK");
        let r = respond(None, now, Some(&custom));
        assert_eq!((r.status, r.body.as_str()), (503, "I'm not well"));
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_nanos(12)), "12ns");
        assert_eq!(go_duration(Duration::from_micros(1500)), "1.5ms");
        assert_eq!(go_duration(Duration::from_micros(500)), "500µs");
        assert_eq!(
            go_duration(Duration::from_nanos(49_013_251_800)),
            "49.0132518s"
        );
        assert_eq!(go_duration(Duration::from_secs(120)), "2m0s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(go_duration(Duration::from_millis(3_723_500)), "1h2m3.5s");
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_nano(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nano(UNIX_EPOCH + Duration::new(1_605_067_951, 684_717_400)),
            "2020-11-11T04:12:31.6847174Z"
        );
    }
}
