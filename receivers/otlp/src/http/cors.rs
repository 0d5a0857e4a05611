//! CORS for browsers that post OTLP/HTTP, following the behaviour otelcol gets from
//! `rs/cors` with credentials allowed.
//!
//! * A preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here, 204,
//!   with `Access-Control-Allow-*` when the origin, method and headers are allowed.
//! * Any other request from an allowed origin gets `Access-Control-Allow-Origin` (the
//!   origin itself) and `Access-Control-Allow-Credentials: true` on its answer.
//!
//! Origins match case-insensitively; `*` matches any origin and one `*` inside a pattern
//! (`https://*.example.com`) matches any run of characters.

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};

use crate::config::CorsConfig;

/// Methods allowed cross-origin (rs/cors' defaults).
const METHODS: [&str; 3] = ["GET", "POST", "HEAD"];
/// Headers allowed whatever the config says: those OTLP needs and the safelisted ones.
const ALWAYS_ALLOWED_HEADERS: [&str; 6] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
    "origin",
    "x-requested-with",
];

#[derive(Clone, Debug)]
pub struct Cors {
    origins: Vec<String>,
    headers: Vec<String>,
    any_header: bool,
    max_age: u64,
}

impl Cors {
    /// `None` when no origin is configured: CORS is then off, as in otelcol.
    pub fn new(config: &CorsConfig) -> Option<Cors> {
        if config.allowed_origins.is_empty() {
            return None;
        }
        Some(Cors {
            origins: config
                .allowed_origins
                .iter()
                .map(|o| o.to_ascii_lowercase())
                .collect(),
            headers: config
                .allowed_headers
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            any_header: config.allowed_headers.iter().any(|h| h == "*"),
            max_age: config.max_age,
        })
    }

    pub fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.to_ascii_lowercase();
        self.origins.iter().any(|pattern| matches(pattern, &origin))
    }

    fn header_allowed(&self, name: &str) -> bool {
        let name = name.trim().to_ascii_lowercase();
        name.is_empty()
            || self.any_header
            || ALWAYS_ALLOWED_HEADERS.contains(&name.as_str())
            || self.headers.contains(&name)
    }

    /// True for a preflight request, which [`Cors::preflight`] answers.
    pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
        method == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    }

    /// The answer to a preflight request.
    pub fn preflight(&self, request: &HeaderMap) -> (StatusCode, HeaderMap) {
        let mut out = HeaderMap::new();
        out.insert(
            header::VARY,
            HeaderValue::from_static(
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            ),
        );
        let text = |name| {
            request
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let (Some(origin), Some(method)) = (
            text(header::ORIGIN),
            text(header::ACCESS_CONTROL_REQUEST_METHOD),
        ) else {
            return (StatusCode::NO_CONTENT, out);
        };
        let method = method.to_ascii_uppercase();
        let asked_headers = text(header::ACCESS_CONTROL_REQUEST_HEADERS).unwrap_or("");
        if !self.origin_allowed(origin)
            || !METHODS.contains(&method.as_str())
            || !asked_headers.split(',').all(|h| self.header_allowed(h))
        {
            return (StatusCode::NO_CONTENT, out);
        }
        let mut set = |name, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                out.insert(name, v);
            }
        };
        set(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        set(header::ACCESS_CONTROL_ALLOW_METHODS, &method);
        if !asked_headers.trim().is_empty() {
            set(header::ACCESS_CONTROL_ALLOW_HEADERS, asked_headers);
        }
        set(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        if self.max_age > 0 {
            set(header::ACCESS_CONTROL_MAX_AGE, &self.max_age.to_string());
        }
        (StatusCode::NO_CONTENT, out)
    }

    /// Adds the CORS headers of an actual (not preflight) request's answer.
    pub fn decorate(&self, method: &Method, request: &HeaderMap, answer: &mut HeaderMap) {
        answer.append(header::VARY, HeaderValue::from_static("Origin"));
        let Some(origin) = request.get(header::ORIGIN) else {
            return;
        };
        let allowed = origin.to_str().is_ok_and(|o| self.origin_allowed(o));
        if allowed && METHODS.contains(&method.as_str()) {
            answer.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            answer.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}

/// `*`, an exact origin, or a pattern with one `*`.
fn matches(pattern: &str, origin: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.split_once('*') {
        None => pattern == origin,
        Some((prefix, suffix)) => {
            origin.len() >= prefix.len() + suffix.len()
                && origin.starts_with(prefix)
                && origin.ends_with(suffix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str], headers: &[&str]) -> Cors {
        Cors::new(&CorsConfig {
            allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
            allowed_headers: headers.iter().map(|s| s.to_string()).collect(),
            max_age: 7200,
        })
        .unwrap()
    }

    #[test]
    fn origin_patterns() {
        let c = cors(&["https://*.example.com", "http://exact.org"], &[]);
        assert!(c.origin_allowed("https://a.example.com"));
        assert!(c.origin_allowed("HTTPS://A.B.EXAMPLE.COM"));
        assert!(!c.origin_allowed("https://example.com"));
        assert!(!c.origin_allowed("http://a.example.com"));
        assert!(c.origin_allowed("http://exact.org"));
        assert!(!c.origin_allowed("http://exact.org.evil"));
        assert!(cors(&["*"], &[]).origin_allowed("null"));
        assert!(Cors::new(&CorsConfig::default()).is_none());
    }

    fn preflight(c: &Cors, origin: &str, method: &str, headers: &str) -> HeaderMap {
        let mut req = HeaderMap::new();
        req.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        req.insert(
            header::ACCESS_CONTROL_REQUEST_METHOD,
            HeaderValue::from_str(method).unwrap(),
        );
        if !headers.is_empty() {
            req.insert(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                HeaderValue::from_str(headers).unwrap(),
            );
        }
        let (status, out) = c.preflight(&req);
        assert_eq!(status, StatusCode::NO_CONTENT);
        out
    }

    #[test]
    fn preflight_answers() {
        let c = cors(&["https://*.example.com"], &["X-Custom"]);
        let out = preflight(
            &c,
            "https://a.example.com",
            "POST",
            "content-type, x-custom",
        );
        assert_eq!(out["access-control-allow-origin"], "https://a.example.com");
        assert_eq!(out["access-control-allow-methods"], "POST");
        assert_eq!(
            out["access-control-allow-headers"],
            "content-type, x-custom"
        );
        assert_eq!(out["access-control-allow-credentials"], "true");
        assert_eq!(out["access-control-max-age"], "7200");
        for (origin, method, headers) in [
            ("https://evil.com", "POST", ""),
            ("https://a.example.com", "DELETE", ""),
            ("https://a.example.com", "POST", "x-other"),
        ] {
            let out = preflight(&c, origin, method, headers);
            assert!(
                out.get("access-control-allow-origin").is_none(),
                "{origin} {method} {headers}"
            );
        }
    }
}
