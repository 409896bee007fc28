//! Tokens of one SQL statement, for the checks that look at its words (`lint`, `coverage`): a
//! lexer with the dialect's lexical rules (those `sql::split` knows) that leaves comments and
//! the text of string literals out, and a cursor over its tokens.

use crate::dialect::Dialect;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A keyword or unquoted name, as written.
    Word(String),
    /// A quoted name, without its quotes.
    Quoted(String),
    /// A string literal; its text is never looked at.
    Str,
    /// A number or a parameter.
    Num,
    Punct(char),
}

impl Tok {
    pub(crate) fn is(&self, keyword: &str) -> bool {
        matches!(self, Tok::Word(word) if word.eq_ignore_ascii_case(keyword))
    }

    pub(crate) fn is_any(&self, keywords: &[&str]) -> bool {
        keywords.iter().any(|keyword| self.is(keyword))
    }

    /// The name the token can stand for, as written.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Tok::Word(name) | Tok::Quoted(name) => Some(name),
            _ => None,
        }
    }

    /// The (lower-cased) name the token can stand for.
    pub(crate) fn name(&self) -> Option<String> {
        self.text().map(str::to_lowercase)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub(crate) toks: Vec<Tok>,
    /// `--` comments: byte offset and text, up to the end of the line (for `-- ladder:allow`).
    pub(crate) comments: Vec<(usize, String)>,
}

/// Splits SQL into tokens, leaving comments out of them. MySQL's executable comments
/// (`/*!40101 ... */`) count as SQL.
pub(crate) fn lex(text: &str, dialect: Dialect) -> Lexed {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied();
    let mysql = dialect == Dialect::Mysql;
    let postgres = matches!(dialect, Dialect::Postgres | Dialect::Cockroach);
    let mut out = Lexed::default();
    let mut executable = 0usize;
    let mut i = 0;
    while let Some(c) = at(i) {
        let next = at(i + 1);
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && next == Some(b'-') && (!mysql || at(i + 2).is_none_or(|x| x <= b' '))
        {
            let end = line_end(b, i);
            out.comments
                .push((i, text.get(i..end).unwrap_or("").trim_end().to_string()));
            i = end;
        } else if c == b'#' && mysql {
            i = line_end(b, i);
        } else if c == b'/' && next == Some(b'*') {
            let marker = match (at(i + 2), at(i + 3)) {
                (Some(b'!'), _) if mysql => 3,
                (Some(b'M'), Some(b'!')) if mysql => 4,
                _ => 0,
            };
            if marker > 0 {
                i += marker;
                while at(i).is_some_and(|x| x.is_ascii_digit()) {
                    i += 1;
                }
                executable += 1;
            } else {
                i = block_comment_end(b, i, postgres);
            }
        } else if c == b'*' && next == Some(b'/') && executable > 0 {
            executable -= 1;
            i += 2;
        } else if c == b'\'' {
            i = string_end(b, i, b'\'', mysql);
            out.toks.push(Tok::Str);
        } else if c == b'"' && mysql {
            i = string_end(b, i, b'"', true);
            out.toks.push(Tok::Str);
        } else if c == b'"' || (c == b'`' && !postgres) {
            let (end, name) = quoted(text, i, c, true);
            out.toks.push(Tok::Quoted(name));
            i = end;
        } else if c == b'[' && dialect == Dialect::Sqlite3 {
            let (end, name) = quoted(text, i, b']', false);
            out.toks.push(Tok::Quoted(name));
            i = end;
        } else if c == b'$' && postgres {
            if let Some(end) = dollar_quote_end(text, i) {
                out.toks.push(Tok::Str);
                i = end;
            } else {
                i += 1;
                while at(i).is_some_and(|x| x.is_ascii_digit()) {
                    i += 1;
                }
                out.toks.push(Tok::Num);
            }
        } else if c.is_ascii_digit() {
            while at(i).is_some_and(|x| x.is_ascii_alphanumeric() || x == b'.' || x == b'_') {
                i += 1;
            }
            out.toks.push(Tok::Num);
        } else if is_word_byte(c) {
            let start = i;
            while at(i).is_some_and(|x| is_word_byte(x) || x.is_ascii_digit() || x == b'$') {
                i += 1;
            }
            let word = text.get(start..i).unwrap_or("");
            // Prefixed strings: E'...', B'...', X'...', N'...'.
            if at(i) == Some(b'\'')
                && ["e", "b", "x", "n"]
                    .iter()
                    .any(|p| word.eq_ignore_ascii_case(p))
            {
                let escapes = mysql || (postgres && word.eq_ignore_ascii_case("e"));
                i = string_end(b, i, b'\'', escapes);
                out.toks.push(Tok::Str);
            } else {
                out.toks.push(Tok::Word(word.to_string()));
            }
        } else {
            // Only ASCII gets here: bytes of other characters are word bytes.
            out.toks.push(Tok::Punct(char::from(c)));
            i += 1;
        }
    }
    out
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn line_end(b: &[u8], from: usize) -> usize {
    b.get(from..)
        .and_then(|rest| rest.iter().position(|&x| x == b'\n'))
        .map_or(b.len(), |n| from + n)
}

/// The end of the block comment at `start` (nested ones too, in Postgres).
fn block_comment_end(b: &[u8], start: usize, nested: bool) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while let (Some(&x), Some(&y)) = (b.get(i), b.get(i + 1)) {
        match (x, y) {
            (b'/', b'*') if depth == 0 || nested => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth = depth.saturating_sub(1);
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// The end of the string literal opened by the quote at `start`.
fn string_end(b: &[u8], start: usize, quote: u8, backslash: bool) -> usize {
    let mut i = start + 1;
    loop {
        match b.get(i) {
            None => return b.len(),
            Some(b'\\') if backslash => i += 2,
            Some(&x) if x == quote => {
                if b.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            Some(_) => i += 1,
        }
    }
}

/// The end of the quoted name opened at `start`, and the name.
fn quoted(text: &str, start: usize, close: u8, doubling: bool) -> (usize, String) {
    let b = text.as_bytes();
    let mut name = String::new();
    let mut piece = start + 1;
    let mut i = start + 1;
    while let Some(&x) = b.get(i) {
        if x == close {
            name.push_str(text.get(piece..i).unwrap_or(""));
            if doubling && b.get(i + 1) == Some(&close) {
                i += 2;
                piece = i - 1;
                continue;
            }
            return (i + 1, name);
        }
        i += 1;
    }
    name.push_str(text.get(piece..).unwrap_or(""));
    (b.len(), name)
}

/// The end of the dollar-quoted string at `start` (`$$...$$`, `$tag$...$tag$`), if one starts
/// there.
fn dollar_quote_end(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = start + 1;
    if b.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    while b
        .get(i)
        .is_some_and(|&x| x.is_ascii_alphanumeric() || x == b'_' || x >= 0x80)
    {
        i += 1;
    }
    if b.get(i) != Some(&b'$') {
        return None;
    }
    let tag = text.get(start..=i)?;
    let body = i + 1;
    Some(
        text.get(body..)
            .and_then(|rest| rest.find(tag))
            .map_or(text.len(), |n| body + n + tag.len()),
    )
}

/// A cursor over tokens.
pub(crate) struct Cursor<'a> {
    toks: &'a [Tok],
    i: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(toks: &'a [Tok]) -> Self {
        Cursor::at(toks, 0)
    }

    /// A cursor at token `i` of `toks`.
    pub(crate) fn at(toks: &'a [Tok], i: usize) -> Self {
        Cursor {
            toks,
            i: i.min(toks.len()),
        }
    }

    pub(crate) fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.i)
    }

    pub(crate) fn peek_at(&self, n: usize) -> Option<&'a Tok> {
        self.toks.get(self.i + n)
    }

    pub(crate) fn next(&mut self) -> Option<&'a Tok> {
        let tok = self.peek();
        self.skip(1);
        tok
    }

    pub(crate) fn skip(&mut self, n: usize) {
        self.i = (self.i + n).min(self.toks.len());
    }

    pub(crate) fn rest(&self) -> &'a [Tok] {
        self.toks.get(self.i..).unwrap_or_default()
    }

    /// Consumes the keyword if it is next.
    pub(crate) fn eat(&mut self, keyword: &str) -> bool {
        let found = self.peek().is_some_and(|t| t.is(keyword));
        if found {
            self.skip(1);
        }
        found
    }

    pub(crate) fn eat_any(&mut self, keywords: &[&str]) -> bool {
        let found = self.peek().is_some_and(|t| t.is_any(keywords));
        if found {
            self.skip(1);
        }
        found
    }

    /// Consumes the keywords if they are all next, in order.
    pub(crate) fn eat_all(&mut self, keywords: &[&str]) -> bool {
        let found = keywords
            .iter()
            .enumerate()
            .all(|(n, keyword)| self.peek_at(n).is_some_and(|t| t.is(keyword)));
        if found {
            self.skip(keywords.len());
        }
        found
    }

    pub(crate) fn eat_punct(&mut self, c: char) -> bool {
        let found = self.peek() == Some(&Tok::Punct(c));
        if found {
            self.skip(1);
        }
        found
    }

    /// Skips the parenthesised group opening here (to the end if it is not closed).
    pub(crate) fn skip_group(&mut self) {
        let mut depth = 0usize;
        while let Some(tok) = self.next() {
            match tok {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                _ if depth == 0 => return,
                _ => {}
            }
        }
    }

    /// A possibly qualified name (`schema.table`): its last part, as written.
    pub(crate) fn qualified_name(&mut self) -> Option<&'a str> {
        let mut name = self.peek()?.text()?;
        self.skip(1);
        while self.peek() == Some(&Tok::Punct('.')) {
            let Some(part) = self.peek_at(1).and_then(Tok::text) else {
                break;
            };
            name = part;
            self.skip(2);
        }
        Some(name)
    }

    /// Comma-separated items, each read by `item`, up to the first that is not one.
    pub(crate) fn comma_list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Vec<T> {
        let mut items = Vec::new();
        while let Some(next) = item(self) {
            items.push(next);
            if !self.eat_punct(',') {
                break;
            }
        }
        items
    }
}

/// The pieces of `toks` between commas outside parentheses.
pub(crate) fn split_top_level(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut pieces = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth = depth.saturating_sub(1),
            Tok::Punct(',') if depth == 0 => {
                pieces.push(toks.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(toks.get(start..).unwrap_or_default());
    pieces
}

/// Tokens outside parentheses (the parentheses themselves excluded), with their index.
pub(crate) fn top_level(toks: &[Tok]) -> impl Iterator<Item = (usize, &Tok)> {
    let mut depth = 0usize;
    toks.iter().enumerate().filter(move |(_, tok)| {
        let outside = depth == 0;
        match tok {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => depth = depth.saturating_sub(1),
            _ => {}
        }
        outside && !matches!(tok, Tok::Punct('(' | ')'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(lexed: &Lexed) -> Vec<&str> {
        lexed.toks.iter().filter_map(Tok::text).collect()
    }

    #[test]
    fn comments_and_strings_are_no_words() {
        let lexed = lex(
            "DROP /* x */ TABLE -- ladder:allow drop-table\n'a''b' t;",
            Dialect::Sqlite3,
        );
        assert_eq!(words(&lexed), ["DROP", "TABLE", "t"]);
        assert_eq!(lexed.comments, [(19, "-- ladder:allow drop-table".into())]);
        // Postgres nests block comments.
        let lexed = lex("a /* x /* y */ b */ c $t$ d $t$ $1", Dialect::Postgres);
        assert_eq!(words(&lexed), ["a", "c"]);
        assert_eq!(lexed.toks.get(2..), Some(&[Tok::Str, Tok::Num][..]));
    }

    #[test]
    fn mysql_comments_and_quotes() {
        let lexed = lex(
            "# gone\nSELECT \"str\", `na``me`, /*!40101 kept */ --not-a-comment",
            Dialect::Mysql,
        );
        assert_eq!(
            words(&lexed),
            ["SELECT", "na`me", "kept", "not", "a", "comment"]
        );
        assert!(lexed.comments.is_empty());
    }

    #[test]
    fn cursor_names_and_top_level() {
        let toks = lex("s.\"T\" (a, (b, c)), d", Dialect::Sqlite3).toks;
        let mut c = Cursor::new(&toks);
        assert_eq!(c.qualified_name(), Some("T"));
        c.skip_group();
        assert!(c.eat_punct(','));
        assert_eq!(c.qualified_name(), Some("d"));
        assert_eq!(split_top_level(&toks).len(), 2);
        let outside: Vec<usize> = top_level(&toks).map(|(n, _)| n).collect();
        assert_eq!(outside, [0, 1, 2, 12, 13]);
    }
}
