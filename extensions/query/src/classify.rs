//! Which SQL the service lets through: exactly one statement, and only one that reads.
//!
//! A pure scan over the text that knows ClickHouse's lexical rules well enough not to
//! be fooled: `--`, `# ` and `#!` line comments, `/* */` block comments (nested, as ClickHouse
//! allows), `'...'` strings, `"..."` and `` `...` `` identifiers (with `\` escapes and
//! doubled quotes), and `$tag$...$tag$` heredocs. A `;` inside any of those is text; a
//! `;` outside them ends the statement, and only whitespace and comments may follow.
//!
//! The first word decides: `SELECT`, `WITH` (which must reach a `SELECT` outside
//! brackets), `SHOW`, `DESCRIBE` / `DESC`, `EXPLAIN`; leading `(` are allowed. The
//! service picks the output format, so a top-level `FORMAT x` or `INTO OUTFILE` is
//! refused too. ClickHouse runs what passes with `readonly=1`, so this check is the
//! friendly first line, not the only one.

use std::fmt;

/// The kinds of statement let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Select,
    Show,
    Describe,
    Explain,
}

/// A statement that may run: its kind and its text without the trailing `;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    pub kind: Kind,
    pub text: &'a str,
}

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    MultipleStatements,
    /// The first word, as written.
    NotReadOnly(String),
    /// A `WITH` that never reaches a `SELECT`.
    WithoutSelect,
    /// `FORMAT` or `INTO OUTFILE`.
    OutputClause(&'static str),
    /// A string, identifier, heredoc or comment that never ends.
    Unterminated(&'static str),
}

const ALLOWED: &str =
    "only one SELECT, SHOW, DESCRIBE, EXPLAIN or WITH ... SELECT statement is allowed";

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Empty => write!(f, "the query is empty: {ALLOWED}"),
            Refusal::MultipleStatements => {
                write!(f, "more than one statement: {ALLOWED}")
            }
            Refusal::NotReadOnly(word) => {
                write!(f, "{word} statements are not allowed: {ALLOWED}")
            }
            Refusal::WithoutSelect => write!(f, "WITH must lead to a SELECT: {ALLOWED}"),
            Refusal::OutputClause(clause) => write!(
                f,
                "{clause} is not allowed: the service chooses the output format"
            ),
            Refusal::Unterminated(what) => write!(f, "unterminated {what}"),
        }
    }
}

impl std::error::Error for Refusal {}

/// One lexical unit the classifier cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    Open,
    Close,
    Semicolon,
    /// Strings, quoted identifiers, numbers, operators: anything else.
    Other,
}

struct Lexer<'a> {
    src: &'a str,
    at: usize,
}

impl<'a> Lexer<'a> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.as_bytes().get(self.at + ahead).copied()
    }

    /// Skips a quoted run opened at `self.at` by `quote`; `\` escapes and a doubled
    /// quote stands for itself.
    fn quoted(&mut self, quote: u8, what: &'static str) -> Result<(), Refusal> {
        let bytes = self.src.as_bytes();
        let mut i = self.at + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b if b == quote => {
                    if bytes.get(i + 1) == Some(&quote) {
                        i += 2;
                    } else {
                        self.at = i + 1;
                        return Ok(());
                    }
                }
                _ => i += 1,
            }
        }
        Err(Refusal::Unterminated(what))
    }

    /// `/* ... */`, nested.
    fn block_comment(&mut self) -> Result<(), Refusal> {
        let bytes = self.src.as_bytes();
        let mut depth = 0usize;
        let mut i = self.at;
        while i + 1 < bytes.len() {
            match (bytes[i], bytes[i + 1]) {
                (b'/', b'*') => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        self.at = i;
                        return Ok(());
                    }
                }
                _ => i += 1,
            }
        }
        Err(Refusal::Unterminated("comment"))
    }

    /// `$tag$ ... $tag$` at `self.at`, if that is what starts here.
    fn heredoc(&mut self) -> Result<bool, Refusal> {
        let rest = &self.src[self.at + 1..];
        let Some(end) = rest.find('$') else {
            return Ok(false);
        };
        let tag = &rest[..end];
        if !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Ok(false);
        }
        let delimiter = &self.src[self.at..self.at + end + 2];
        let body_start = self.at + delimiter.len();
        match self.src[body_start..].find(delimiter) {
            Some(close) => {
                self.at = body_start + close + delimiter.len();
                Ok(true)
            }
            None => Err(Refusal::Unterminated("heredoc")),
        }
    }

    fn next(&mut self) -> Result<Option<(usize, Token<'a>)>, Refusal> {
        loop {
            let Some(b) = self.peek(0) else {
                return Ok(None);
            };
            match b {
                b if b.is_ascii_whitespace() => self.at += 1,
                b'-' if self.peek(1) == Some(b'-') => self.line_comment(),
                // ClickHouse reads `# ` and `#!` as comments, a bare `#` as an error.
                b'#' if matches!(self.peek(1), Some(b' ') | Some(b'!')) => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment()?,
                _ => break,
            }
        }
        let start = self.at;
        let b = self.src.as_bytes()[start];
        let token = match b {
            b'\'' => {
                self.quoted(b'\'', "string literal")?;
                Token::Other
            }
            b'"' | b'`' => {
                self.quoted(b, "quoted identifier")?;
                Token::Other
            }
            b'$' if self.heredoc()? => Token::Other,
            b'(' | b'[' | b'{' => {
                self.at += 1;
                Token::Open
            }
            b')' | b']' | b'}' => {
                self.at += 1;
                Token::Close
            }
            b';' => {
                self.at += 1;
                Token::Semicolon
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let len = self.src[start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(self.src.len() - start);
                self.at += len;
                Token::Word(&self.src[start..self.at])
            }
            _ => {
                // One character (whole, for UTF-8) of a number or an operator.
                let len = self.src[start..].chars().next().map_or(1, char::len_utf8);
                self.at += len;
                Token::Other
            }
        };
        Ok(Some((start, token)))
    }

    fn line_comment(&mut self) {
        self.at = match self.src[self.at..].find('\n') {
            Some(end) => self.at + end + 1,
            None => self.src.len(),
        };
    }
}

/// Lets one read-only statement through, or says why not.
pub fn classify(sql: &str) -> Result<Statement<'_>, Refusal> {
    let mut lexer = Lexer { src: sql, at: 0 };
    // Top-level words and the tokens' ends, for the clause checks.
    let mut tokens: Vec<(Token<'_>, usize)> = Vec::new();
    let mut first: Option<&str> = None;
    let mut start = None;
    let mut end = sql.len();
    let mut depth = 0usize;
    let mut terminated = false;
    while let Some((at, token)) = lexer.next()? {
        if terminated {
            // Only whitespace and comments may follow the `;`.
            return Err(Refusal::MultipleStatements);
        }
        start.get_or_insert(at);
        match token {
            Token::Semicolon => {
                end = at;
                terminated = true;
                continue;
            }
            Token::Open => depth += 1,
            Token::Close => depth = depth.saturating_sub(1),
            Token::Word(word) if first.is_none() => first = Some(word),
            _ => {}
        }
        if depth == 0 && !matches!(token, Token::Open) {
            tokens.push((token, at));
        }
    }
    let Some(first) = first else {
        return Err(Refusal::Empty);
    };
    check_output_clauses(&tokens)?;
    let saw_select = top_level_word(&tokens, "select");
    let kind = match first.to_ascii_uppercase().as_str() {
        "SELECT" => Kind::Select,
        // ClickHouse has no `WITH ... INSERT`, but say no plainly rather than let it try.
        "WITH" if top_level_word(&tokens, "insert") => {
            return Err(Refusal::NotReadOnly("INSERT".into()))
        }
        "WITH" if saw_select => Kind::Select,
        "WITH" => return Err(Refusal::WithoutSelect),
        "SHOW" => Kind::Show,
        "DESCRIBE" | "DESC" => Kind::Describe,
        "EXPLAIN" => Kind::Explain,
        _ => return Err(Refusal::NotReadOnly(first.to_ascii_uppercase())),
    };
    let start = start.unwrap_or(0);
    Ok(Statement {
        kind,
        text: sql[start..end].trim_end(),
    })
}

fn top_level_word(tokens: &[(Token<'_>, usize)], want: &str) -> bool {
    tokens
        .iter()
        .any(|(t, _)| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case(want)))
}

/// `INTO OUTFILE`, and `FORMAT name` as the clause: followed by the end or by
/// `SETTINGS` (a column or alias called `format` is followed by anything else).
fn check_output_clauses(top_level: &[(Token<'_>, usize)]) -> Result<(), Refusal> {
    let word = |i: usize, want: &str| matches!(top_level.get(i), Some((Token::Word(w), _)) if w.eq_ignore_ascii_case(want));
    for i in 0..top_level.len() {
        if word(i, "into") && word(i + 1, "outfile") {
            return Err(Refusal::OutputClause("INTO OUTFILE"));
        }
        if word(i, "format")
            && matches!(top_level.get(i + 1), Some((Token::Word(_), _)))
            && (i + 2 == top_level.len() || word(i + 2, "settings"))
        {
            return Err(Refusal::OutputClause("FORMAT"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
