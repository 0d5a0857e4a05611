use super::*;

fn ok(sql: &str) -> (Kind, &str) {
    let s = classify(sql).unwrap_or_else(|e| panic!("{sql:?} refused: {e}"));
    (s.kind, s.text)
}

fn refused(sql: &str) -> Refusal {
    match classify(sql) {
        Ok(s) => panic!("{sql:?} let through as {s:?}"),
        Err(e) => e,
    }
}

#[test]
fn reads_pass_with_their_kind() {
    assert_eq!(ok("SELECT 1"), (Kind::Select, "SELECT 1"));
    assert_eq!(ok("  select 1;  "), (Kind::Select, "select 1"));
    assert_eq!(ok("SHOW TABLES"), (Kind::Show, "SHOW TABLES"));
    assert_eq!(
        ok("DESCRIBE TABLE otel_traces"),
        (Kind::Describe, "DESCRIBE TABLE otel_traces")
    );
    assert_eq!(ok("desc otel_traces"), (Kind::Describe, "desc otel_traces"));
    assert_eq!(ok("EXPLAIN SELECT 1"), (Kind::Explain, "EXPLAIN SELECT 1"));
    assert_eq!(
        ok("WITH 1 AS x SELECT x"),
        (Kind::Select, "WITH 1 AS x SELECT x")
    );
    assert_eq!(ok("((SELECT 1))"), (Kind::Select, "((SELECT 1))"));
}

#[test]
fn comments_before_and_after_are_fine() {
    assert_eq!(
        ok("-- lead\n/* block */ SELECT 1 -- trail"),
        (Kind::Select, "SELECT 1 -- trail")
    );
    assert_eq!(
        ok("# hash\nSELECT 2; -- done\n/* end */"),
        (Kind::Select, "SELECT 2")
    );
    assert_eq!(
        ok("/* outer /* nested; DROP */ still; */ SELECT 3"),
        (Kind::Select, "SELECT 3")
    );
}

#[test]
fn semicolons_in_strings_identifiers_comments_and_heredocs_are_text() {
    for sql in [
        "SELECT 'a;b'",
        "SELECT 'it''s; fine'",
        r"SELECT 'back\'slash; x'",
        "SELECT \"a;b\" FROM t",
        "SELECT `a;b` FROM t",
        "SELECT 1 -- ; DROP TABLE t",
        "SELECT 1 /* ; DROP TABLE t */",
        "SELECT $$a; DROP TABLE t$$",
        "SELECT $tag$ ; $$ ; $tag$",
    ] {
        assert_eq!(ok(sql).0, Kind::Select, "{sql}");
    }
}

#[test]
fn writes_and_admin_statements_are_refused() {
    for (sql, word) in [
        ("INSERT INTO t VALUES (1)", "INSERT"),
        ("drop table t", "DROP"),
        ("ALTER TABLE t DELETE WHERE 1", "ALTER"),
        ("CREATE TABLE t (x UInt8) ENGINE = Memory", "CREATE"),
        ("TRUNCATE t", "TRUNCATE"),
        ("SYSTEM SHUTDOWN", "SYSTEM"),
        ("SET readonly = 0", "SET"),
        ("OPTIMIZE TABLE t", "OPTIMIZE"),
        ("KILL QUERY WHERE 1", "KILL"),
        ("GRANT ALL ON *.* TO x", "GRANT"),
        ("/* SELECT */ DELETE FROM t WHERE 1", "DELETE"),
        ("-- SELECT\nRENAME TABLE a TO b", "RENAME"),
    ] {
        assert_eq!(refused(sql), Refusal::NotReadOnly(word.into()), "{sql}");
    }
    assert_eq!(
        refused("INSERT INTO t VALUES (1)").to_string(),
        "INSERT statements are not allowed: only one SELECT, SHOW, DESCRIBE, EXPLAIN or \
         WITH ... SELECT statement is allowed"
    );
}

#[test]
fn only_hash_space_and_hash_bang_start_comments() {
    assert_eq!(ok("#!shebang\nSELECT 1").0, Kind::Select);
    // A bare `#` is no comment to ClickHouse, so what follows it is still looked at.
    assert_eq!(
        refused("SELECT 1 #;DROP TABLE t"),
        Refusal::MultipleStatements
    );
}

#[test]
fn a_second_statement_is_refused_wherever_it_hides() {
    for sql in [
        "SELECT 1; DROP TABLE t",
        "SELECT 1;SELECT 2",
        "SELECT 'a;'; DROP TABLE t",
        "SELECT 1 /* x */ ; /* y */ DROP TABLE t",
        "SELECT 1;;",
        "SELECT $$;$$; DROP TABLE t",
        // An escaped backslash ends the string where ClickHouse ends it.
        r"SELECT '\\'; DROP TABLE t",
        r"SELECT '\''; DROP TABLE t",
        "SELECT \"a\"\"b\"; DROP TABLE t",
        "SELECT 1 -- c\n; DROP TABLE t",
    ] {
        assert_eq!(refused(sql), Refusal::MultipleStatements, "{sql}");
    }
}

#[test]
fn with_must_reach_a_select() {
    assert_eq!(
        refused("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"),
        Refusal::NotReadOnly("INSERT".into())
    );
    assert_eq!(refused("WITH 1 AS x"), Refusal::WithoutSelect);
}

#[test]
fn output_clauses_are_refused_but_format_the_function_or_column_is_not() {
    assert_eq!(
        refused("SELECT 1 FORMAT JSON"),
        Refusal::OutputClause("FORMAT")
    );
    assert_eq!(
        refused("SELECT 1 FORMAT TSV SETTINGS max_threads = 1"),
        Refusal::OutputClause("FORMAT")
    );
    assert_eq!(
        refused("SELECT 1 INTO OUTFILE 'x'"),
        Refusal::OutputClause("INTO OUTFILE")
    );
    assert_eq!(ok("SELECT format('{}', 1)").0, Kind::Select);
    assert_eq!(ok("SELECT format FROM t").0, Kind::Select);
    assert_eq!(ok("SELECT (SELECT 1 FORMAT JSON)").0, Kind::Select);
}

#[test]
fn empty_and_unterminated_texts_are_refused() {
    assert_eq!(refused(""), Refusal::Empty);
    assert_eq!(refused("  -- nothing\n/* at all */ ;"), Refusal::Empty);
    assert_eq!(
        refused("SELECT 'open"),
        Refusal::Unterminated("string literal")
    );
    assert_eq!(
        refused("SELECT `open"),
        Refusal::Unterminated("quoted identifier")
    );
    assert_eq!(
        refused("SELECT 1 /* open"),
        Refusal::Unterminated("comment")
    );
    assert_eq!(refused("SELECT $$open"), Refusal::Unterminated("heredoc"));
    assert_eq!(
        refused("SELECT 'a\\"),
        Refusal::Unterminated("string literal")
    );
}

#[test]
fn non_ascii_text_does_not_confuse_the_scan() {
    assert_eq!(ok("SELECT 'héllo ✓' AS é").0, Kind::Select);
    assert_eq!(refused("SELECT 1 — ; DROP t"), Refusal::MultipleStatements);
}
