//! A forgiving SQL tokenizer: enough of the lexical rules of PostgreSQL and
//! MySQL to tell literals, identifiers, keywords, comments and punctuation
//! apart. It never fails: an unterminated string or comment runs to the end
//! of the text (a query cut by the capture is common).

use super::Dialect;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Spaces, tabs, newlines.
    Space,
    /// `/* ... */`, `-- ...`, MySQL `# ...`.
    Comment,
    /// A bare word: keyword or identifier.
    Word,
    /// `"x"` in PostgreSQL, `` `x` `` in MySQL.
    QuotedIdent,
    /// A string, number, hex or bit literal.
    Literal,
    /// `$1`, `?`, `:name`: a value bound outside the text.
    Placeholder,
    /// Any other character (operators, parentheses, commas, `;`, `.`).
    Punct(u8),
}

/// One token: its kind and where it lies in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// The tokens of `text`, in order.
pub(crate) struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    dialect: Dialect,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str, dialect: Dialect) -> Self {
        Lexer {
            bytes: text.as_bytes(),
            pos: 0,
            dialect,
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    /// End of a quoted run opened at `open` (the quote's index): `''`
    /// doubles the quote, a backslash escapes when `backslash`.
    fn quoted(&self, open: usize, quote: u8, backslash: bool) -> usize {
        let mut i = open + 1;
        while i < self.bytes.len() {
            let b = self.bytes[i];
            if backslash && b == b'\\' {
                i += 2;
            } else if b == quote {
                if self.at(i + 1) == quote {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i += 1;
            }
        }
        self.bytes.len()
    }

    fn block_comment(&self, open: usize) -> usize {
        // PostgreSQL nests block comments; MySQL does not.
        let nests = self.dialect == Dialect::Postgres;
        let mut depth = 0usize;
        let mut i = open;
        while i + 1 < self.bytes.len() {
            match (self.bytes[i], self.bytes[i + 1]) {
                (b'/', b'*') if depth == 0 || nests => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => i += 1,
            }
        }
        self.bytes.len()
    }

    fn line_comment(&self, open: usize) -> usize {
        match memchr::memchr(b'\n', &self.bytes[open..]) {
            Some(n) => open + n + 1,
            None => self.bytes.len(),
        }
    }

    fn number(&self, start: usize) -> usize {
        let b = self.bytes;
        let digits = |mut i: usize| {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
                i += 1;
            }
            i
        };
        if b[start] == b'0' && matches!(self.at(start + 1), b'x' | b'X' | b'b' | b'B' | b'o' | b'O')
        {
            let mut i = start + 2;
            while i < b.len() && b[i].is_ascii_hexdigit() {
                i += 1;
            }
            return i;
        }
        let mut i = digits(start);
        if self.at(i) == b'.' {
            i = digits(i + 1);
        }
        if matches!(self.at(i), b'e' | b'E') {
            let j = if matches!(self.at(i + 1), b'+' | b'-') {
                i + 2
            } else {
                i + 1
            };
            if self.at(j).is_ascii_digit() {
                i = digits(j);
            }
        }
        i
    }

    /// A PostgreSQL dollar quote `$tag$` opening at `start`: its end.
    fn dollar_quote(&self, start: usize) -> Option<usize> {
        let b = self.bytes;
        let mut i = start + 1;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
            i += 1;
        }
        if self.at(i) != b'$' || self.at(start + 1).is_ascii_digit() {
            return None;
        }
        let tag = &b[start..=i];
        let body = i + 1;
        match memchr::memmem::find(&b[body..], tag) {
            Some(n) => Some(body + n + tag.len()),
            None => Some(b.len()),
        }
    }
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let b = self.bytes;
        let start = self.pos;
        let c = *b.get(start)?;
        let mysql = self.dialect == Dialect::Mysql;
        let (tok, end) = match c {
            c if c.is_ascii_whitespace() => {
                let mut i = start + 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                (Tok::Space, i)
            }
            b'/' if self.at(start + 1) == b'*' => (Tok::Comment, self.block_comment(start)),
            b'-' if self.at(start + 1) == b'-' => (Tok::Comment, self.line_comment(start)),
            b'#' if mysql => (Tok::Comment, self.line_comment(start)),
            b'\'' => (Tok::Literal, self.quoted(start, b'\'', mysql)),
            b'"' if mysql => (Tok::Literal, self.quoted(start, b'"', true)),
            b'"' => (Tok::QuotedIdent, self.quoted(start, b'"', false)),
            b'`' if mysql => (Tok::QuotedIdent, self.quoted(start, b'`', false)),
            b'0'..=b'9' => (Tok::Literal, self.number(start)),
            b'.' if self.at(start + 1).is_ascii_digit() => (Tok::Literal, self.number(start)),
            b'?' => (Tok::Placeholder, start + 1),
            b'$' if self.at(start + 1).is_ascii_digit() => {
                let mut i = start + 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                (Tok::Placeholder, i)
            }
            b'$' if !mysql => match self.dollar_quote(start) {
                Some(end) => (Tok::Literal, end),
                None => (Tok::Punct(b'$'), start + 1),
            },
            b':' if is_word_start(self.at(start + 1)) && self.at(start.wrapping_sub(1)) != b':' => {
                let mut i = start + 1;
                while i < b.len() && is_word_byte(b[i]) {
                    i += 1;
                }
                (Tok::Placeholder, i)
            }
            c if is_word_start(c) => {
                // E'..', X'..', B'..', N'..' (and MySQL's _charset'..'
                // introducers) are one literal.
                let mut i = start + 1;
                while i < b.len() && is_word_byte(b[i]) {
                    i += 1;
                }
                let prefix = i - start == 1 && matches!(c | 0x20, b'e' | b'x' | b'b' | b'n');
                if self.at(i) == b'\'' && (prefix || (mysql && c == b'_')) {
                    let backslash = mysql || c | 0x20 == b'e';
                    (Tok::Literal, self.quoted(i, b'\'', backslash))
                } else {
                    (Tok::Word, i)
                }
            }
            c => (Tok::Punct(c), start + 1),
        };
        // Every branch moves forward; a multi-byte character is never split
        // because only ASCII bytes end a token early.
        let end = end.clamp(start + 1, b.len());
        self.pos = end;
        Some(Token { tok, start, end })
    }
}
