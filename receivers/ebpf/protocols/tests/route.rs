//! `http.route` clustering, patterns and the cardinality cap.

use std::sync::Arc;

use sonde_ebpf_protocols::route::{cluster, is_identifier, PatternError, RoutePattern, RouteTable};

fn clustered(path: &str) -> String {
    let mut out = String::new();
    cluster(path, &mut out);
    out
}

#[test]
fn identifiers_become_id() {
    let cases = [
        ("/users/42", "/users/{id}"),
        ("/users/42/orders/7", "/users/{id}/orders/{id}"),
        ("/items/0b5e7c1a-3f2d-4e8a-9c6b-1d2e3f4a5b6c", "/items/{id}"),
        (
            "/items/0B5E7C1A-3F2D-4E8A-9C6B-1D2E3F4A5B6C/x",
            "/items/{id}/x",
        ),
        ("/commits/5f3e9a1b", "/commits/{id}"),
        (
            "/commits/da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "/commits/{id}",
        ),
        ("/docs/507f1f77bcf86cd799439011", "/docs/{id}"),
        ("/t/aZ3kP9xQ2mL7nB4v", "/t/{id}"),
        ("/t/dGhpcyBpcyBhIHRlc3Qx==", "/t/{id}"),
        ("/orders/order_12345", "/orders/{id}"),
        ("/pay/pi_3MtwBwLkdIwHu7ix28a3tqPa", "/pay/{id}"),
        ("/static/main.3f9a2c1b.js", "/static/{id}"),
        ("/", "/"),
        ("", "/"),
    ];
    for (path, route) in cases {
        assert_eq!(clustered(path), route, "{path}");
    }
}

#[test]
fn words_versions_and_slugs_stay() {
    let cases = [
        "/api/v1/users",
        "/api/v1.2/users",
        "/healthz",
        "/accessed/facade",
        "/deadbeef",
        "/user-profile-settings-v2",
        "/static/app.js",
        "/aBcDeFgHiJkLmNoPqRsT",
        "/a//b/",
        "/search/iphone",
    ];
    for path in cases {
        assert_eq!(clustered(path), path, "{path}");
    }
}

#[test]
fn identifier_rules_at_their_edges() {
    assert!(is_identifier("0"));
    assert!(!is_identifier("abcdef1"), "7 hex digits");
    assert!(is_identifier("abcdef12"), "8 hex digits with a digit");
    assert!(!is_identifier("abcdefab"), "8 hex letters, no digit");
    assert!(!is_identifier("aZ3kP9xQ2mL7nB4"), "15 characters");
    assert!(is_identifier("aZ3kP9xQ2mL7nB4v"), "16 characters");
    assert!(!is_identifier("page-1"), "one digit in a part");
    assert!(is_identifier("page-10"), "two digits in a part");
    assert!(
        is_identifier("0b5e7c1a-3f2d-4e8a-9c6b-1d2e3f4a5b6"),
        "no UUID, but a part of 8 hex digits"
    );
    assert!(!is_identifier("abc-def-ghi"), "no part is an identifier");
    assert!(!is_identifier(""));
}

fn table(patterns: &[&str], max_routes: usize) -> RouteTable {
    let patterns: Vec<RoutePattern> = patterns
        .iter()
        .map(|p| RoutePattern::parse(p).unwrap())
        .collect();
    RouteTable::new(Arc::from(patterns), max_routes)
}

#[test]
fn user_patterns_win_when_they_match() {
    let mut t = table(
        &[
            "/api/users/{id}/orders",
            "/files/*",
            "/a/*/c",
            "/shop/{name}",
        ],
        100,
    );
    assert_eq!(t.route("/api/users/alice/orders"), "/api/users/{id}/orders");
    assert_eq!(t.route("/api/users/42/orders/"), "/api/users/{id}/orders");
    assert_eq!(
        t.route("/api/users/42/orders/9"),
        "/api/users/{id}/orders/{id}"
    );
    assert_eq!(t.route("/files/a/b/c.txt"), "/files/*");
    assert_eq!(t.route("/files/x"), "/files/*");
    assert_eq!(t.route("/files"), "/files");
    assert_eq!(t.route("/files/"), "/files/");
    assert_eq!(t.route("/a/b/c"), "/a/*/c");
    assert_eq!(t.route("/a/b/b/c"), "/a/b/b/c");
    assert_eq!(t.route("/shop/books"), "/shop/{name}");
    assert_eq!(t.route("/shop"), "/shop");
    // Pattern routes do not count towards the cap; clustered ones do.
    assert_eq!(t.len(), 5);
}

#[test]
fn the_first_matching_pattern_wins() {
    let mut t = table(&["/v/{x}", "/v/*"], 10);
    assert_eq!(t.route("/v/1"), "/v/{x}");
    assert_eq!(t.route("/v/1/2"), "/v/*");
}

#[test]
fn distinct_routes_are_capped_per_table() {
    let mut t = table(&[], 3);
    assert_eq!(t.route("/a"), "/a");
    assert_eq!(t.route("/b/1"), "/b/{id}");
    assert_eq!(t.route("/b/2"), "/b/{id}");
    assert_eq!(t.route("/c"), "/c");
    assert_eq!(t.route("/d"), RouteTable::OVERFLOW);
    assert_eq!(t.route("/e"), "{other}");
    // Known routes still come out after the cap is reached.
    assert_eq!(t.route("/b/3"), "/b/{id}");
    assert_eq!(t.route("/a"), "/a");
    assert_eq!((t.len(), t.overflowed()), (3, 2));
    // Another service has its own budget.
    let mut other = table(&[], 3);
    assert_eq!(other.route("/d"), "/d");
}

#[test]
fn bad_patterns_are_refused_with_the_reason() {
    assert_eq!(
        RoutePattern::parse("api/x"),
        Err(PatternError::NoLeadingSlash("api/x".into()))
    );
    let err = RoutePattern::parse("/a/{id/b").unwrap_err();
    assert_eq!(
        err.to_string(),
        "route pattern \"/a/{id/b\" has an unclosed or misplaced brace in segment \"{id\""
    );
    assert_eq!(
        RoutePattern::parse("/x").map(|p| p.as_str().to_owned()),
        Ok("/x".to_owned())
    );
}
