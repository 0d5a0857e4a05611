//! `http.route` from a URL path, with bounded cardinality.
//!
//! A route is the first user pattern (from config) the path matches, as the
//! pattern is written; else the path with each segment that looks like an
//! identifier replaced by `{id}`. A segment is an identifier when it is
//!
//! 1. all digits: `42`;
//! 2. a UUID (8-4-4-4-12 hex digits): `0b5e7c1a-...`;
//! 3. 8 or more hex digits with at least one digit: `5f3e9a1b`, a git SHA,
//!    a Mongo ObjectId;
//! 4. 16 or more letters and digits with both kinds, optionally with `=`
//!    padding: base64 and random tokens;
//! 5. parts joined by `-`, `_` or `.` of which one is an identifier by 2-4,
//!    or has 2 or more digits only: `order_12345`, `main.3f9a2c1b.js`,
//!    `pi_3MtwBwLkdIwHu7ix28a3tqPa`.
//!
//! Words, versions (`v2`, `v1.2`) and slugs without such parts stay. Each
//! service keeps at most `max_routes` distinct clustered routes; a path
//! that would add one more gets [`RouteTable::OVERFLOW`], so a service that
//! puts unbounded words in its paths costs a fixed number of series.
//! Pattern routes do not count towards the cap: config bounds them.

use std::collections::HashSet;
use std::sync::Arc;

/// A user route pattern, like `/api/users/{id}/orders`.
///
/// Segments are literal, `{name}` (any one segment), or `*` (any one
/// segment; as the last segment, one or more). A trailing `/` on a path is
/// ignored when matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutePattern {
    text: Box<str>,
    segments: Vec<PatternSegment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PatternSegment {
    Literal(Box<str>),
    Any,
    Rest,
}

/// Why a route pattern was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("route pattern {0:?} must start with '/'")]
    NoLeadingSlash(String),
    #[error("route pattern {pattern:?} has an unclosed or misplaced brace in segment {segment:?}")]
    Brace { pattern: String, segment: String },
}

impl RoutePattern {
    pub fn parse(pattern: &str) -> Result<RoutePattern, PatternError> {
        let Some(body) = pattern.strip_prefix('/') else {
            return Err(PatternError::NoLeadingSlash(pattern.to_owned()));
        };
        let parts: Vec<&str> = if body.is_empty() {
            Vec::new()
        } else {
            body.split('/').collect()
        };
        let last = parts.len().saturating_sub(1);
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let segment = if *part == "*" {
                if i == last {
                    PatternSegment::Rest
                } else {
                    PatternSegment::Any
                }
            } else if part.starts_with('{')
                && part.ends_with('}')
                && part.len() > 2
                && !part[1..part.len() - 1].contains(['{', '}'])
            {
                PatternSegment::Any
            } else if part.contains(['{', '}']) {
                return Err(PatternError::Brace {
                    pattern: pattern.to_owned(),
                    segment: (*part).to_owned(),
                });
            } else {
                PatternSegment::Literal((*part).into())
            };
            segments.push(segment);
        }
        Ok(RoutePattern {
            text: pattern.into(),
            segments,
        })
    }

    /// The pattern as written: the route of every path it matches.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `path` (no query) matches.
    pub fn matches(&self, path: &str) -> bool {
        let Some(body) = path.strip_prefix('/') else {
            return false;
        };
        let body = body.strip_suffix('/').unwrap_or(body);
        let mut parts = body.split('/').filter(|_| !body.is_empty());
        for segment in &self.segments {
            match segment {
                PatternSegment::Rest => return parts.next().is_some_and(|p| !p.is_empty()),
                PatternSegment::Any => match parts.next() {
                    Some(p) if !p.is_empty() => {}
                    _ => return false,
                },
                PatternSegment::Literal(lit) => {
                    if parts.next() != Some(&**lit) {
                        return false;
                    }
                }
            }
        }
        parts.next().is_none()
    }
}

/// The routes of one service: its patterns, and the clustered routes seen.
#[derive(Clone, Debug)]
pub struct RouteTable {
    patterns: Arc<[RoutePattern]>,
    seen: HashSet<Box<str>>,
    max_routes: usize,
    overflowed: u64,
    scratch: String,
}

impl RouteTable {
    /// The route of every path that would exceed the cap.
    pub const OVERFLOW: &'static str = "{other}";
    /// The cap used when config says nothing.
    pub const DEFAULT_MAX_ROUTES: usize = 1000;

    /// A table with the patterns from config (shared by every service) and
    /// a cap on distinct clustered routes.
    pub fn new(patterns: Arc<[RoutePattern]>, max_routes: usize) -> Self {
        RouteTable {
            patterns,
            seen: HashSet::new(),
            max_routes,
            overflowed: 0,
            scratch: String::new(),
        }
    }

    /// The route of `path` (the path of a request target, without query).
    pub fn route(&mut self, path: &str) -> &str {
        if let Some(i) = self.patterns.iter().position(|p| p.matches(path)) {
            return self.patterns[i].as_str();
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        cluster(path, &mut scratch);
        let known = self.seen.contains(scratch.as_str());
        if !known && self.seen.len() >= self.max_routes {
            self.scratch = scratch;
            self.overflowed += 1;
            return Self::OVERFLOW;
        }
        if !known {
            self.seen.insert(scratch.as_str().into());
        }
        let route = self.seen.get(scratch.as_str());
        self.scratch = scratch;
        route.map_or(Self::OVERFLOW, |r| r)
    }

    /// Distinct clustered routes kept.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Paths that got [`RouteTable::OVERFLOW`].
    pub fn overflowed(&self) -> u64 {
        self.overflowed
    }
}

/// Append the clustered form of `path` to `out`: identifier segments
/// become `{id}`, everything else (slashes included) is kept.
pub fn cluster(path: &str, out: &mut String) {
    if path.is_empty() {
        out.push('/');
        return;
    }
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if is_identifier(segment) {
            out.push_str("{id}");
        } else {
            out.push_str(segment);
        }
    }
}

/// Whether a path segment is an identifier (rules 1-5 of the module doc).
pub fn is_identifier(segment: &str) -> bool {
    let s = segment.as_bytes();
    if s.is_empty() {
        return false;
    }
    if s.iter().all(u8::is_ascii_digit) || is_atom_id(s) {
        return true;
    }
    let mut parts = s.split(|&b| b == b'-' || b == b'_' || b == b'.');
    if !s.iter().any(|&b| b == b'-' || b == b'_' || b == b'.') {
        return false;
    }
    parts.any(|p| (p.len() >= 2 && p.iter().all(u8::is_ascii_digit)) || is_atom_id(p))
}

/// Rules 2-4 on one part.
fn is_atom_id(s: &[u8]) -> bool {
    is_uuid(s) || is_hex_id(s) || is_opaque(s)
}

fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn is_hex_id(s: &[u8]) -> bool {
    s.len() >= 8 && s.iter().all(u8::is_ascii_hexdigit) && s.iter().any(u8::is_ascii_digit)
}

fn is_opaque(s: &[u8]) -> bool {
    let body = {
        let end = s.iter().rposition(|&b| b != b'=').map_or(0, |e| e + 1);
        &s[..end]
    };
    body.len() >= 16
        && body.iter().all(u8::is_ascii_alphanumeric)
        && body.iter().any(u8::is_ascii_digit)
        && body.iter().any(u8::is_ascii_alphabetic)
}
