//! Statement texts as psql, psycopg, pgbench, PyMySQL and mariadb-slap sent
//! them (see testdata/postgres and testdata/mysql), and the hard cases.

use super::*;

const PG: Dialect = Dialect::Postgres;
const MY: Dialect = Dialect::Mysql;

fn summary(text: &str, dialect: Dialect) -> (Option<String>, Option<String>, usize) {
    let s = summarize(text, dialect);
    (s.operation, s.collection, s.statements)
}

fn op_table(text: &str) -> (Option<&'static str>, Option<String>) {
    let s = summarize(text, PG);
    (
        s.operation.map(|o| &*Box::leak(o.into_boxed_str())),
        s.collection,
    )
}

#[test]
fn literals_become_placeholders() {
    assert_eq!(
        sanitize("INSERT INTO users VALUES (1, 'alice', 1.5), (2, 'bob''s', 2e3) ON CONFLICT DO NOTHING;", PG),
        "INSERT INTO users VALUES (?) ON CONFLICT DO NOTHING;"
    );
    assert_eq!(
        sanitize(
            "SELECT id, name FROM users WHERE name = 'alice' AND id IN (1, 2, 3);",
            PG
        ),
        "SELECT id, name FROM users WHERE name = ? AND id IN (?);"
    );
    assert_eq!(
        sanitize(
            "UPDATE pgbench_accounts SET abalance = abalance + -292 WHERE aid = 69223;",
            PG
        ),
        "UPDATE pgbench_accounts SET abalance = abalance + -? WHERE aid = ?;"
    );
    assert_eq!(
        sanitize(
            "SELECT x'ff', 0xFF, E'a\\'b', $$it's$$, $tag$x$tag$, B'0101', .5 FROM t",
            PG
        ),
        "SELECT ?, ?, ?, ?, ?, ?, ? FROM t"
    );
    assert_eq!(
        sanitize("SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)", PG),
        "SELECT * FROM t WHERE a = $1 AND b IN (?)"
    );
    // Identifiers with digits and quoted identifiers are not literals.
    assert_eq!(
        sanitize("SELECT col1, \"Weird 2\" FROM t2 WHERE a::int4 = 5", PG),
        "SELECT col1, \"Weird 2\" FROM t2 WHERE a::int4 = ?"
    );
    // A function call's arguments are not a value list worth collapsing
    // when they are not all values.
    assert_eq!(
        sanitize(
            "SELECT generate_series(1, 200) AS n, repeat('x', 100) AS pad;",
            PG
        ),
        "SELECT generate_series(?) AS n, repeat(?) AS pad;"
    );
}

#[test]
fn mysql_strings_escape_with_backslashes_and_double_quotes() {
    assert_eq!(
        sanitize(
            r#"SELECT * FROM `t` WHERE a = 'it\'s' AND b = "x\"y" # tail"#,
            MY
        ),
        "SELECT * FROM `t` WHERE a = ? AND b = ?"
    );
    assert_eq!(
        sanitize("INSERT INTO t1 VALUES (964445884,'DPh7kD1sLpQx');", MY),
        "INSERT INTO t1 VALUES (?);"
    );
    assert_eq!(sanitize("SELECT _utf8mb4'x', ?", MY), "SELECT ?, ?");
}

#[test]
fn comments_are_dropped_and_whitespace_folded() {
    assert_eq!(
        sanitize(
            "/*controller='index',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/ SELECT * FROM users WHERE id = 1;",
            PG
        ),
        "SELECT * FROM users WHERE id = ?;"
    );
    assert_eq!(
        sanitize(
            "SELECT 1 -- one\n  ,\t2 /* nested /* still */ comment */ FROM t",
            PG
        ),
        "SELECT ? , ? FROM t"
    );
    // Cut by the capture: an open string runs to the end.
    assert_eq!(
        sanitize("SELECT * FROM t WHERE a = 'unfinish", PG),
        "SELECT * FROM t WHERE a = ?"
    );
    assert_eq!(sanitize("", PG), "");
}

#[test]
fn operation_and_collection_of_simple_statements() {
    assert_eq!(
        op_table("SELECT abalance FROM pgbench_accounts WHERE aid = $1;"),
        (Some("SELECT"), Some("pgbench_accounts".into()))
    );
    assert_eq!(
        op_table("select count(*) from pgbench_branches"),
        (Some("SELECT"), Some("pgbench_branches".into()))
    );
    assert_eq!(
        op_table("INSERT INTO pgbench_history (tid, bid) VALUES ($1, $2)"),
        (Some("INSERT"), Some("pgbench_history".into()))
    );
    assert_eq!(
        op_table("UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;"),
        (Some("UPDATE"), Some("pgbench_tellers".into()))
    );
    assert_eq!(
        op_table("DELETE FROM users WHERE id = 99;"),
        (Some("DELETE"), Some("users".into()))
    );
    assert_eq!(
        op_table("SELECT * FROM public.users u WHERE u.id = 1"),
        (Some("SELECT"), Some("public.users".into()))
    );
    assert_eq!(
        op_table("SELECT * FROM \"Users\" AS u"),
        (Some("SELECT"), Some("\"Users\"".into()))
    );
    assert_eq!(op_table("  /* c */ (SELECT 1)"), (Some("SELECT"), None));
    assert_eq!(op_table("BEGIN;"), (Some("BEGIN"), None));
    assert_eq!(op_table("END;"), (Some("END"), None));
    assert_eq!(
        op_table("CREATE TABLE IF NOT EXISTS users (id int)"),
        (Some("CREATE"), None)
    );
    assert_eq!(
        op_table("update users set a = 1"),
        (Some("UPDATE"), Some("users".into()))
    );
    assert_eq!(
        summary("INSERT IGNORE INTO `db`.`t1` VALUES (1)", MY),
        (Some("INSERT".into()), Some("`db`.`t1`".into()), 1)
    );
    assert_eq!(
        summary("REPLACE INTO t1 (a) VALUES (?)", MY),
        (Some("REPLACE".into()), Some("t1".into()), 1)
    );
}

#[test]
fn ambiguous_statements_have_no_collection() {
    for text in [
        "SELECT u.id FROM users u JOIN users v ON u.id = v.id;",
        "SELECT * FROM a, b",
        "SELECT * FROM a WHERE id IN (SELECT id FROM b)",
        "SELECT * FROM generate_series(1, 3)",
        "SELECT * FROM (SELECT 1) s",
        "SELECT 1 UNION SELECT 2",
        "INSERT INTO a SELECT * FROM b",
        "UPDATE a SET x = b.x FROM b WHERE a.id = b.id",
        "DELETE FROM a USING b WHERE a.id = b.id",
        "UPDATE a, b SET a.x = b.x",
        "SELECT 1",
    ] {
        assert_eq!(summarize(text, PG).collection, None, "{text}");
    }
    assert_eq!(
        summary("WITH x AS (SELECT 1 FROM t) SELECT * FROM x", PG),
        (Some("SELECT".into()), None, 1)
    );
    assert_eq!(
        summary("BEGIN; UPDATE t SET a = 1; COMMIT", PG),
        (Some("BEGIN".into()), None, 3)
    );
    assert_eq!(summary("", PG), (None, None, 0));
    assert_eq!(summary("  ;; ", PG), (None, None, 0));
    assert_eq!(summary("42", PG), (None, None, 1));
}

#[test]
fn traceparent_from_sqlcommenter_comments() {
    let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    assert_eq!(
        traceparent(&format!(
            "/*controller='index',traceparent='{tp}'*/ SELECT 1"
        ))
        .as_deref(),
        Some(tp)
    );
    // At the end, as most sqlcommenter implementations append it, URL-encoded.
    assert_eq!(
        traceparent("SELECT 1 /*db_driver='psycopg%3A3.1',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/").as_deref(),
        Some(tp)
    );
    assert_eq!(
        traceparent("SELECT 1 /*traceparent='00%2D0af7651916cd43dd8448eb211c80319c%2Db7ad6b7169203331%2D01'*/").as_deref(),
        Some(tp)
    );
    // Not in a comment, malformed, all-zero ids: none.
    assert_eq!(traceparent(&format!("SELECT 'traceparent=''{tp}'''")), None);
    assert_eq!(
        traceparent("/*traceparent='00-xyz-b7ad6b7169203331-01'*/"),
        None
    );
    assert_eq!(
        traceparent("/*traceparent='00-00000000000000000000000000000000-b7ad6b7169203331-01'*/"),
        None
    );
    assert_eq!(
        traceparent("/*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033"),
        None
    );
    assert_eq!(traceparent("SELECT 1"), None);
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut x = 0x9e37_79b9_u32;
    for _ in 0..2000 {
        let len = (x % 40) as usize;
        let text: String = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                b"'\"`$/*-#()?,;:.0123xEe_ \n\\ab\xc3"[(x % 29) as usize] as char
            })
            .collect();
        for d in [PG, MY] {
            let _ = sanitize(&text, d);
            let _ = summarize(&text, d);
            let _ = traceparent(&text);
        }
    }
}
