//! What the SQL protocols share about the statement text: the sanitised
//! `db.query.text`, the operation and the table (`db.operation.name`,
//! `db.collection.name`), and the W3C trace context a sqlcommenter comment
//! carries.
//!
//! Sanitising replaces every string, number, hex, bit and dollar-quoted
//! literal with `?`, collapses a parenthesised list of literals and
//! placeholders (`IN (1, 2, 3)`, `VALUES ($1, $2), ($3, $4)`) into one `(?)`,
//! drops comments and folds whitespace into single spaces. Comments are
//! dropped because they are where per-request values hide (sqlcommenter puts
//! the trace id, the route and the caller there), which would make every
//! text unique; the trace context they carry is read separately
//! ([`traceparent`]).
//!
//! The operation is the first keyword of the first statement, upper-cased,
//! after leading comments and parentheses (`WITH` gives the keyword of the
//! main statement after its common table expressions). The collection is
//! the table of a simple single-table statement — `SELECT ... FROM t`,
//! `INSERT INTO t`, `REPLACE INTO t`, `UPDATE t`, `DELETE FROM t` — as
//! written (schema prefix and quotes kept); `None` when a join, a second
//! table, a subquery, a CTE or a second statement makes it ambiguous.

mod lex;
#[cfg(test)]
mod tests;

use lex::{Lexer, Tok, Token};

/// Whose lexical rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `"x"` is an identifier, `$$..$$` a string, block comments nest.
    Postgres,
    /// `"x"` is a string, `` `x` `` an identifier, `#` starts a comment,
    /// backslashes escape in strings.
    Mysql,
}

/// What a statement text says about the operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// `SELECT`, `INSERT`, `BEGIN`, ...
    pub operation: Option<String>,
    /// The one table of a simple statement.
    pub collection: Option<String>,
    /// How many statements the text holds (`BEGIN; UPDATE ...; COMMIT` is 3).
    pub statements: usize,
}

/// `text` with literals replaced by `?`, literal lists collapsed and
/// comments dropped (see the module doc).
pub fn sanitize(text: &str, dialect: Dialect) -> String {
    let tokens: Vec<Token> = Lexer::new(text, dialect).collect();
    let mut out = String::with_capacity(text.len().min(4096));
    let mut space = false;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        match t.tok {
            Tok::Space | Tok::Comment => {
                space = !out.is_empty();
                i += 1;
                continue;
            }
            _ => {}
        }
        if space {
            out.push(' ');
            space = false;
        }
        if t.tok == Tok::Punct(b'(') {
            if let Some(after) = value_list(&tokens, i) {
                out.push_str("(?)");
                i = after;
                // `VALUES (..), (..), (..)`: one tuple stands for them all.
                while let Some(comma) = next_solid(&tokens, i) {
                    if tokens[comma].tok != Tok::Punct(b',') {
                        break;
                    }
                    match next_solid(&tokens, comma + 1).and_then(|open| {
                        (tokens[open].tok == Tok::Punct(b'('))
                            .then(|| value_list(&tokens, open))
                            .flatten()
                    }) {
                        Some(after) => i = after,
                        None => break,
                    }
                }
                continue;
            }
        }
        match t.tok {
            Tok::Literal => out.push('?'),
            _ => out.push_str(&text[t.start..t.end]),
        }
        i += 1;
    }
    out
}

/// The index of the next token that is not space or comment.
fn next_solid(tokens: &[Token], from: usize) -> Option<usize> {
    (from..tokens.len()).find(|&i| !matches!(tokens[i].tok, Tok::Space | Tok::Comment))
}

/// If the `(` at `open` starts a list of literals and placeholders only,
/// the index after its `)`.
fn value_list(tokens: &[Token], open: usize) -> Option<usize> {
    let mut want_value = true;
    let mut i = open + 1;
    while let Some(j) = next_solid(tokens, i) {
        match tokens[j].tok {
            Tok::Literal | Tok::Placeholder if want_value => want_value = false,
            // A sign belongs to the number after it.
            Tok::Punct(b'-' | b'+') if want_value => {}
            Tok::Punct(b',') if !want_value => want_value = true,
            Tok::Punct(b')') if !want_value => return Some(j + 1),
            _ => return None,
        }
        i = j + 1;
    }
    None
}

/// Words that end a table reference rather than alias it.
const CLAUSE_WORDS: &[&str] = &[
    "WHERE",
    "GROUP",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "FETCH",
    "FOR",
    "HAVING",
    "WINDOW",
    "SET",
    "VALUES",
    "DEFAULT",
    "RETURNING",
    "ON",
    "USING",
    "SELECT",
    "LOCK",
    "INTO",
    "PARTITION",
    "OVERRIDING",
];

/// Words that make a statement name more than one table.
const MULTI_TABLE_WORDS: &[&str] = &[
    "JOIN",
    "UNION",
    "INTERSECT",
    "EXCEPT",
    "USING",
    "FROM",
    "SELECT",
    "WITH",
];

struct Words<'a> {
    text: &'a str,
    /// The solid tokens of the first statement.
    tokens: Vec<Token>,
}

impl<'a> Words<'a> {
    fn text(&self, i: usize) -> &'a str {
        self.tokens
            .get(i)
            .map_or("", |t| &self.text[t.start..t.end])
    }

    fn is_word(&self, i: usize, word: &str) -> bool {
        self.tokens.get(i).is_some_and(|t| t.tok == Tok::Word)
            && self.text(i).eq_ignore_ascii_case(word)
    }

    fn is_any(&self, i: usize, words: &[&str]) -> bool {
        words.iter().any(|w| self.is_word(i, w))
    }

    fn count(&self, word: &str) -> usize {
        (0..self.tokens.len())
            .filter(|&i| self.is_word(i, word))
            .count()
    }

    /// A table name at `i` (`t`, `s.t`, `"T"`, `` `db`.`t` ``): its text and
    /// the index after it.
    fn name(&self, i: usize) -> Option<(&'a str, usize)> {
        let is_part = |k: usize| {
            self.tokens
                .get(k)
                .is_some_and(|t| matches!(t.tok, Tok::Word | Tok::QuotedIdent))
        };
        if !is_part(i) || self.is_any(i, CLAUSE_WORDS) {
            return None;
        }
        let mut end = i + 1;
        while self.tokens.get(end).map(|t| t.tok) == Some(Tok::Punct(b'.')) && is_part(end + 1) {
            end += 2;
        }
        let (start, last) = (self.tokens[i].start, self.tokens[end - 1].end);
        Some((&self.text[start..last], end))
    }

    /// The table at `i`, if the statement goes on as a single-table one
    /// after it (an alias, then a clause or the end).
    fn single_table(&self, i: usize) -> Option<String> {
        let (name, mut next) = self.name(i)?;
        if self.is_word(next, "AS") {
            next += 1;
        }
        if self.tokens.get(next).is_some_and(|t| t.tok == Tok::Word)
            && !self.is_any(next, CLAUSE_WORDS)
        {
            next += 1;
        }
        match self.tokens.get(next).map(|t| t.tok) {
            // A function call (`generate_series(...)`) or a second table.
            Some(Tok::Punct(b'(' | b',')) => None,
            _ => Some(name.to_owned()),
        }
    }
}

/// The operation, the table and the statement count of `text`.
pub fn summarize(text: &str, dialect: Dialect) -> Summary {
    let mut tokens = Vec::new();
    let mut statements = 0;
    let mut depth = 0usize;
    let mut in_statement = false;
    for t in Lexer::new(text, dialect) {
        match t.tok {
            Tok::Space | Tok::Comment => continue,
            Tok::Punct(b';') if depth == 0 => {
                in_statement = false;
                continue;
            }
            Tok::Punct(b'(') => depth += 1,
            Tok::Punct(b')') => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !in_statement {
            in_statement = true;
            statements += 1;
        }
        if statements == 1 {
            tokens.push(t);
        }
    }
    let words = Words { text, tokens };
    let first = (0..words.tokens.len()).find(|&i| words.tokens[i].tok != Tok::Punct(b'('));
    let Some(first) = first.filter(|&i| words.tokens[i].tok == Tok::Word) else {
        return Summary {
            statements,
            ..Summary::default()
        };
    };
    let mut operation = words.text(first).to_ascii_uppercase();
    if operation == "WITH" {
        if let Some(main) = main_after_with(&words, first) {
            operation = main;
        }
        return Summary {
            operation: Some(operation),
            collection: None,
            statements,
        };
    }
    let collection = if statements == 1 {
        collection(&words, first, &operation)
    } else {
        None
    };
    Summary {
        operation: Some(operation),
        collection,
        statements,
    }
}

/// The keyword of the statement a `WITH` introduces: the first DML keyword
/// outside the parentheses of its common table expressions.
fn main_after_with(words: &Words<'_>, with: usize) -> Option<String> {
    let mut depth = 0usize;
    for i in with + 1..words.tokens.len() {
        match words.tokens[i].tok {
            Tok::Punct(b'(') => depth += 1,
            Tok::Punct(b')') => depth = depth.saturating_sub(1),
            Tok::Word
                if depth == 0
                    && words.is_any(i, &["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"]) =>
            {
                return Some(words.text(i).to_ascii_uppercase());
            }
            _ => {}
        }
    }
    None
}

fn collection(words: &Words<'_>, first: usize, operation: &str) -> Option<String> {
    let joins = words.count("JOIN")
        + words.count("UNION")
        + words.count("INTERSECT")
        + words.count("EXCEPT");
    if joins > 0 || words.count("SELECT") > usize::from(operation == "SELECT") {
        return None;
    }
    // Words a statement may put between its keyword and its table.
    let modifiers = [
        "LOW_PRIORITY",
        "DELAYED",
        "HIGH_PRIORITY",
        "IGNORE",
        "QUICK",
        "ONLY",
    ];
    let skip = |mut i: usize| {
        while words.is_any(i, &modifiers) {
            i += 1;
        }
        i
    };
    match operation {
        "SELECT" => {
            if words.count("FROM") != 1 {
                return None;
            }
            let from = (first..words.tokens.len()).find(|&i| words.is_word(i, "FROM"))?;
            words.single_table(skip(from + 1))
        }
        "INSERT" | "REPLACE" => {
            let mut i = skip(first + 1);
            if words.is_word(i, "INTO") {
                i += 1;
            }
            words.name(i).map(|(name, _)| name.to_owned())
        }
        "UPDATE" => {
            if MULTI_TABLE_WORDS.iter().any(|w| words.count(w) > 0) {
                return None;
            }
            words.single_table(skip(first + 1))
        }
        "DELETE" => {
            if words.count("FROM") != 1 || words.count("USING") > 0 {
                return None;
            }
            let i = skip(first + 1);
            if !words.is_word(i, "FROM") {
                return None;
            }
            words.single_table(skip(i + 1))
        }
        _ => None,
    }
}

/// The W3C `traceparent` a sqlcommenter comment carries
/// (`/*traceparent='00-<trace id>-<span id>-<flags>'*/`, the value
/// URL-encoded as sqlcommenter writes it), if well formed.
pub fn traceparent(text: &str) -> Option<String> {
    const KEY: &[u8] = b"traceparent=";
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(n) = memchr::memmem::find(&bytes[from..], KEY) {
        let at = from + n;
        from = at + KEY.len();
        // Only inside a block comment: a string literal holding the same
        // words is data, not context.
        let before = &bytes[..at];
        let opened = memchr::memmem::rfind(before, b"/*");
        let closed = memchr::memmem::rfind(before, b"*/");
        if !matches!((opened, closed), (Some(o), c) if c.is_none_or(|c| c < o)) {
            continue;
        }
        let rest = &bytes[from..];
        let (quoted, rest) = match rest.first() {
            Some(b'\'') => (true, &rest[1..]),
            _ => (false, rest),
        };
        let end = rest
            .iter()
            .position(|&b| {
                if quoted {
                    b == b'\''
                } else {
                    b == b',' || b == b'*' || b.is_ascii_whitespace()
                }
            })
            .unwrap_or(rest.len());
        if let Some(value) = url_decode(&rest[..end]).filter(|v| valid_traceparent(v)) {
            return Some(value);
        }
    }
    None
}

fn url_decode(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = std::str::from_utf8(raw.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `00-<32 hex>-<16 hex>-<2 hex>`, ids not all zero.
fn valid_traceparent(v: &str) -> bool {
    let b = v.as_bytes();
    let hex = |r: std::ops::Range<usize>| {
        b[r.clone()]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    };
    b.len() == 55
        && b[2] == b'-'
        && b[35] == b'-'
        && b[52] == b'-'
        && hex(0..2)
        && &b[0..2] != b"ff"
        && hex(3..35)
        && hex(36..52)
        && hex(53..55)
        && b[3..35].iter().any(|&c| c != b'0')
        && b[36..52].iter().any(|&c| c != b'0')
}
