//! Splitting a migration script into statements.
//!
//! The splitter is not a parser: it is one linear pass over the script that knows just enough of
//! each dialect's lexical rules to tell a terminating `;` from a `;` that is part of something
//! else. It understands:
//!
//! - string literals: `'...'` with `''` doubling everywhere; MySQL also `"..."` strings and
//!   backslash escapes in both; Postgres/CockroachDB `E'...'` escape strings (a plain `'C:\'` is
//!   complete there) and dollar quotes `$$...$$` / `$tag$...$tag$` (`$1` is a parameter);
//! - quoted identifiers: `"..."` (except in MySQL), `` `...` `` (MySQL, SQLite), `[...]` (SQLite);
//! - comments: `-- ...` (in MySQL only when followed by whitespace, as MySQL requires), `/* */`
//!   (nested in Postgres/CockroachDB) and MySQL's `# ...`. MySQL's `/*! */`, `/*M! */` and
//!   `/*+ */` are statement text, not comments;
//! - compound bodies: in `CREATE [OR REPLACE] [TEMP] [DEFINER=...] TRIGGER | PROCEDURE |
//!   FUNCTION | EVENT` statements, a `;` inside `BEGIN ... END` or `CASE ... END` (and in MySQL
//!   `IF`/`LOOP`/`WHILE`/`REPEAT ... END IF`/...) does not end the statement. Keywords count only
//!   as whole words outside strings, identifiers and comments, and only in such statements;
//! - the mysql client's `DELIMITER xx` lines, in every dialect: at the start of a statement, a
//!   line whose first word is `DELIMITER` makes `xx` the terminator (`DELIMITER ;` switches
//!   back) and is not itself a statement. While a custom delimiter is active, `;` is ordinary
//!   text and the delimiter always ends the statement, whatever the block nesting;
//! - in Postgres/CockroachDB, as in psql, a `;` inside parentheses does not end a statement
//!   (`CREATE RULE ... DO ALSO (a; b)`);
//! - a leading BOM, CRLF line endings, a missing final terminator and unterminated strings or
//!   comments (the rest of the script then belongs to the last statement).
//!
//! Leading whitespace and comments are not part of a statement; comments inside it are kept.

use crate::dialect::Dialect;

/// One statement of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement's text: from its first significant character up to, not including, its
    /// terminator (`;` or the current DELIMITER); trailing whitespace trimmed. Comments inside
    /// the statement are kept. Leading whitespace/comments before the statement are not part
    /// of it.
    pub sql: String,
    /// 1-based line (within the script) of the statement's first significant character.
    pub line: usize,
    /// 1-based position of the statement in the script.
    pub index: usize,
}

/// Splits a script into statements. Pieces that hold only whitespace and comments are not
/// statements. A last statement without terminator is still a statement.
pub fn split(script: &str, dialect: Dialect) -> Vec<Statement> {
    Splitter::new(script, dialect).run()
}

/// A custom DELIMITER is cut to this many bytes (the mysql client keeps 15), which also keeps
/// matching it linear.
const MAX_DELIMITER_LEN: usize = 16;

struct Splitter<'a> {
    src: &'a str,
    bytes: &'a [u8],
    dialect: Dialect,
    /// The current terminator: `;` or what the last `DELIMITER` line set.
    delimiter: &'a str,
    pos: usize,
    /// Only whitespace since the last newline (or the start of the script).
    at_line_start: bool,
    /// Byte offset of the current statement's first significant character.
    start: Option<usize>,
    /// Parenthesis depth of the current statement (Postgres/CockroachDB, as psql: a `;` inside
    /// parentheses, as in `CREATE RULE ... DO ALSO (a; b)`, does not end the statement).
    parens: usize,
    block: Block,
    /// Line number of byte offset `line_pos`; advanced lazily (statement starts only grow).
    line: usize,
    line_pos: usize,
    out: Vec<Statement>,
}

impl<'a> Splitter<'a> {
    fn new(src: &'a str, dialect: Dialect) -> Self {
        let pos = if src.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        Splitter {
            src,
            bytes: src.as_bytes(),
            dialect,
            delimiter: ";",
            pos,
            at_line_start: true,
            start: None,
            parens: 0,
            block: Block::default(),
            line: 1,
            line_pos: 0,
            out: Vec::new(),
        }
    }

    fn run(mut self) -> Vec<Statement> {
        while self.pos < self.bytes.len() {
            let before = self.pos;
            self.step();
            if self.pos <= before {
                // Every step consumes input; this only guards against a bug looping forever.
                self.pos = before + 1;
            }
        }
        if let Some(start) = self.start.take() {
            self.emit(start, self.bytes.len());
        }
        self.out
    }

    fn is_mysql(&self) -> bool {
        self.dialect == Dialect::Mysql
    }

    fn is_postgres(&self) -> bool {
        matches!(self.dialect, Dialect::Postgres | Dialect::Cockroach)
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Consumes one token, comment, whitespace byte, terminator or DELIMITER line.
    fn step(&mut self) {
        let Some(c) = self.byte(self.pos) else {
            self.pos = self.bytes.len();
            return;
        };
        if c.is_ascii_whitespace() {
            if c == b'\n' {
                self.at_line_start = true;
            }
            self.pos += 1;
            return;
        }
        if self.start.is_none() && self.at_line_start && self.delimiter_line() {
            return;
        }
        self.at_line_start = false;

        if self.rest().starts_with(self.delimiter.as_bytes()) {
            let custom = self.delimiter != ";";
            match self.start {
                None => {
                    self.pos += self.delimiter.len();
                    return;
                }
                Some(start)
                    if custom
                        || (self.block.may_end() && (self.parens == 0 || !self.is_postgres())) =>
                {
                    self.emit(start, self.pos);
                    self.start = None;
                    self.pos += self.delimiter.len();
                    return;
                }
                // A `;` inside a BEGIN ... END body or parentheses: ordinary punctuation.
                Some(_) => {}
            }
        }

        let mysql = self.is_mysql();
        let next = self.byte(self.pos + 1);
        match c {
            b'-' if next == Some(b'-')
                && (!mysql || self.byte(self.pos + 2).is_none_or(|x| x <= b' ')) =>
            {
                self.pos = self.line_end(self.pos);
                return;
            }
            b'#' if mysql => {
                self.pos = self.line_end(self.pos);
                return;
            }
            b'/' if next == Some(b'*') => {
                let executable = mysql
                    && matches!(
                        (self.byte(self.pos + 2), self.byte(self.pos + 3)),
                        (Some(b'!' | b'+'), _) | (Some(b'M'), Some(b'!'))
                    );
                let end = self.block_comment_end(self.pos);
                if executable {
                    self.begin_statement();
                    self.pos = end;
                    self.block.on_token(Token::Other, mysql);
                } else {
                    self.pos = end;
                }
                return;
            }
            _ => {}
        }

        self.begin_statement();
        let pos = self.pos;
        let bytes = self.bytes;
        let (token, end) = match c {
            b'\'' => (Token::Other, self.quoted_end(pos, b'\'', mysql)),
            b'"' => (Token::Other, self.quoted_end(pos, b'"', mysql)),
            b'`' if mysql || self.dialect == Dialect::Sqlite3 => {
                (Token::Other, self.quoted_end(pos, b'`', false))
            }
            b'[' if self.dialect == Dialect::Sqlite3 => {
                let end = match self.rest().iter().position(|&x| x == b']') {
                    Some(k) => pos + k + 1,
                    None => bytes.len(),
                };
                (Token::Other, end)
            }
            b'$' if self.is_postgres() => match self.dollar_quote_end(pos) {
                Some(end) => (Token::Other, end),
                None => (Token::Punct(b'$'), pos + 1),
            },
            _ if is_word_start(c) => {
                let end = self.word_end(pos);
                if self.is_postgres()
                    && end == pos + 1
                    && c.eq_ignore_ascii_case(&b'e')
                    && self.byte(end) == Some(b'\'')
                {
                    (Token::Other, self.quoted_end(end, b'\'', true))
                } else {
                    let word = bytes.get(pos..end).unwrap_or_default();
                    (Token::Word(word), end)
                }
            }
            _ => (Token::Punct(c), pos + 1),
        };
        self.pos = end;
        match token {
            Token::Punct(b'(') => self.parens += 1,
            Token::Punct(b')') => self.parens = self.parens.saturating_sub(1),
            _ => {}
        }
        self.block.on_token(token, mysql);
    }

    fn begin_statement(&mut self) {
        if self.start.is_none() {
            self.start = Some(self.pos);
            self.parens = 0;
            self.block.reset();
        }
    }

    fn emit(&mut self, start: usize, end: usize) {
        let raw = match self.src.get(start..end) {
            Some(s) => s.trim_ascii_end().to_owned(),
            // Unreachable: both ends are ASCII positions or the end of the script.
            None => String::from_utf8_lossy(self.bytes.get(start..end).unwrap_or_default())
                .trim_ascii_end()
                .to_owned(),
        };
        if raw.is_empty() {
            return;
        }
        if start > self.line_pos {
            let skipped = self.bytes.get(self.line_pos..start).unwrap_or_default();
            self.line += skipped.iter().filter(|&&b| b == b'\n').count();
            self.line_pos = start;
        }
        self.out.push(Statement {
            sql: raw,
            line: self.line,
            index: self.out.len() + 1,
        });
    }

    /// Handles a `DELIMITER xx` line at the current position, if there is one.
    fn delimiter_line(&mut self) -> bool {
        const KEYWORD: &[u8] = b"delimiter";
        let rest = self.rest();
        let is_keyword = rest
            .get(..KEYWORD.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(KEYWORD));
        if !is_keyword
            || rest
                .get(KEYWORD.len())
                .is_some_and(|b| !b.is_ascii_whitespace())
        {
            return false;
        }
        let line_end = self.line_end(self.pos);
        let args = self
            .src
            .get(self.pos + KEYWORD.len()..line_end)
            .unwrap_or("");
        if let Some(arg) = args.split_ascii_whitespace().next() {
            let arg = strip_quotes(arg);
            let mut len = arg.len().min(MAX_DELIMITER_LEN);
            while !arg.is_char_boundary(len) {
                len -= 1;
            }
            if let Some(delimiter) = arg.get(..len).filter(|d| !d.is_empty()) {
                self.delimiter = delimiter;
            }
        }
        // A DELIMITER line without argument is an error for the mysql client; it is skipped.
        self.pos = line_end;
        true
    }

    /// Offset of the newline ending the line at `from` (or the end of the script).
    fn line_end(&self, from: usize) -> usize {
        let rest = self.bytes.get(from..).unwrap_or_default();
        match rest.iter().position(|&b| b == b'\n') {
            Some(k) => from + k,
            None => self.bytes.len(),
        }
    }

    /// End of the `/* */` comment opening at `from` (nested in Postgres/CockroachDB).
    fn block_comment_end(&self, from: usize) -> usize {
        let nested = self.is_postgres();
        let mut depth = 1usize;
        let mut i = from + 2;
        while let (Some(a), Some(b)) = (self.byte(i), self.byte(i + 1)) {
            if a == b'*' && b == b'/' {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            } else if nested && a == b'/' && b == b'*' {
                depth += 1;
                i += 2;
            } else {
                i += 1;
            }
        }
        self.bytes.len()
    }

    /// End of the quoted text opening with `quote` at `from`: a doubled quote stands for itself,
    /// and with `backslash` a backslash escapes the next byte.
    fn quoted_end(&self, from: usize, quote: u8, backslash: bool) -> usize {
        let mut i = from + 1;
        while let Some(rest) = self.bytes.get(i..) {
            let Some(k) = rest
                .iter()
                .position(|&b| b == quote || (backslash && b == b'\\'))
            else {
                break;
            };
            i += k;
            // A backslash escape or a doubled quote: skip both bytes.
            if self.byte(i) == Some(b'\\') || self.byte(i + 1) == Some(quote) {
                i += 2;
            } else {
                return i + 1;
            }
        }
        self.bytes.len()
    }

    /// End of the dollar-quoted string starting at `from`, or `None` if the `$` there does not
    /// open one (`$1`, a lone `$`).
    fn dollar_quote_end(&self, from: usize) -> Option<usize> {
        let mut i = from + 1;
        match self.byte(i) {
            Some(b'$') => {}
            Some(b) if is_word_start(b) && !b.is_ascii_digit() => {
                while self.byte(i).is_some_and(is_word_start) {
                    i += 1;
                }
                if self.byte(i) != Some(b'$') {
                    return None;
                }
            }
            _ => return None,
        }
        let body = i + 1;
        let tag = self.src.get(from..body)?;
        Some(match self.src.get(body..).and_then(|rest| rest.find(tag)) {
            Some(k) => body + k + tag.len(),
            None => self.bytes.len(),
        })
    }

    /// End of the word (identifier, keyword or number) starting at `from`. A custom delimiter
    /// ends a word, as in the mysql client (`END$$`).
    fn word_end(&self, from: usize) -> usize {
        let custom = self.delimiter != ";";
        let mut i = from + 1;
        while let Some(b) = self.byte(i) {
            if !(is_word_start(b) || b == b'$') {
                break;
            }
            if custom
                && self
                    .bytes
                    .get(i..)
                    .is_some_and(|r| r.starts_with(self.delimiter.as_bytes()))
            {
                break;
            }
            i += 1;
        }
        i
    }
}

/// Letters, digits, `_` and any non-ASCII byte (parts of non-ASCII identifier characters).
fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn strip_quotes(arg: &str) -> &str {
    for quote in ['\'', '"', '`'] {
        if let Some(inner) = arg.strip_prefix(quote).and_then(|a| a.strip_suffix(quote)) {
            return inner;
        }
    }
    arg
}

fn is_keyword(word: &[u8], keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword.as_bytes())
}

/// What the block tracker sees of a statement: words, single punctuation bytes, and everything
/// else (strings, quoted identifiers, MySQL executable comments) as opaque tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a [u8]),
    Punct(u8),
    Other,
}

/// How far the statement's leading words are understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Header {
    /// No token yet.
    #[default]
    Start,
    /// `CREATE` and maybe `OR REPLACE`, `TEMP`, ...
    AfterCreate,
    /// After `DEFINER`: skipping the user (`= 'a'@'b'`, `= CURRENT_USER()`); the count of
    /// tokens skipped so far.
    Definer(u8),
    /// A trigger, procedure, function or event: blocks are tracked.
    Compound,
    /// Any other statement: the first terminator ends it.
    Plain,
}

/// The previous token's role, for telling a MySQL `IF` statement from `IF(`, `IF EXISTS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Context {
    /// A statement may start here: after `;`, `BEGIN`, `DO`, `LOOP`, `REPEAT`, `FOR EACH ROW`.
    StatementStart,
    /// After `THEN`, `ELSE` or `)`: a statement or (in a `CASE` expression) an expression.
    Ambiguous,
    #[default]
    Other,
}

/// A keyword whose meaning depends on the next token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Pending {
    #[default]
    None,
    /// `END`: a following `IF`, `LOOP`, `WHILE`, `REPEAT` or `CASE` belongs to it.
    End,
    /// MySQL `IF`, with the context it appeared in.
    If(Context),
    /// MySQL `IF NOT`.
    IfNot(Context),
    /// MySQL `REPEAT`: a loop unless it is the `REPEAT(` function.
    Repeat,
}

/// Tracks `BEGIN ... END` nesting in trigger/routine/event bodies.
#[derive(Debug, Default)]
struct Block {
    header: Header,
    depth: usize,
    parens: usize,
    pending: Pending,
    context: Context,
    /// `IF (` seen after `THEN`/`ELSE`/`)`, undecided until the parenthesis closes: the paren
    /// depth outside it, and whether a top-level comma (`IF(a, b, c)` function) was seen.
    open_ifs: Vec<(usize, bool)>,
}

impl Block {
    fn reset(&mut self) {
        self.header = Header::Start;
        self.depth = 0;
        self.parens = 0;
        self.pending = Pending::None;
        self.context = Context::Other;
        self.open_ifs.clear();
    }

    /// Whether a `;` here ends the statement.
    fn may_end(&self) -> bool {
        self.header != Header::Compound || self.depth == 0
    }

    fn open(&mut self) {
        self.depth += 1;
    }

    fn on_token(&mut self, token: Token<'_>, mysql: bool) {
        match self.header {
            Header::Plain => return,
            Header::Compound => {}
            _ => {
                self.on_header_token(token);
                return;
            }
        }

        match std::mem::take(&mut self.pending) {
            Pending::None => {}
            Pending::End => {
                if let Token::Word(w) = token
                    && ["IF", "LOOP", "WHILE", "REPEAT", "CASE"]
                        .iter()
                        .any(|k| is_keyword(w, k))
                {
                    self.context = Context::Other;
                    return;
                }
            }
            Pending::If(context) => match token {
                Token::Punct(b'(') => match context {
                    Context::StatementStart => self.open(),
                    Context::Ambiguous => self.open_ifs.push((self.parens, false)),
                    Context::Other => {}
                },
                Token::Word(w) if is_keyword(w, "EXISTS") => {
                    if context != Context::Other {
                        self.open();
                    }
                }
                Token::Word(w) if is_keyword(w, "NOT") => {
                    self.pending = Pending::IfNot(context);
                    self.context = Context::Other;
                    return;
                }
                _ => self.open(),
            },
            Pending::IfNot(context) => match token {
                Token::Word(w) if is_keyword(w, "EXISTS") => {
                    if context != Context::Other {
                        self.open();
                    }
                }
                _ => self.open(),
            },
            Pending::Repeat => {
                if token != Token::Punct(b'(') {
                    self.open();
                    self.context = Context::StatementStart;
                }
            }
        }

        self.context = match token {
            Token::Word(w) => {
                if is_keyword(w, "BEGIN") {
                    self.open();
                    Context::StatementStart
                } else if is_keyword(w, "CASE") {
                    self.open();
                    Context::Other
                } else if is_keyword(w, "END") {
                    self.depth = self.depth.saturating_sub(1);
                    self.pending = Pending::End;
                    Context::Other
                } else if mysql && is_keyword(w, "IF") {
                    self.pending = Pending::If(self.context);
                    Context::Other
                } else if mysql && is_keyword(w, "LOOP") {
                    self.open();
                    Context::StatementStart
                } else if mysql && is_keyword(w, "WHILE") {
                    self.open();
                    Context::Other
                } else if mysql && is_keyword(w, "REPEAT") {
                    self.pending = Pending::Repeat;
                    Context::Other
                } else if is_keyword(w, "THEN") || is_keyword(w, "ELSE") {
                    Context::Ambiguous
                } else if is_keyword(w, "DO") || is_keyword(w, "ROW") {
                    Context::StatementStart
                } else {
                    Context::Other
                }
            }
            Token::Punct(b';') => {
                self.open_ifs.clear();
                Context::StatementStart
            }
            Token::Punct(b'(') => {
                self.parens += 1;
                Context::Other
            }
            Token::Punct(b')') => {
                self.parens = self.parens.saturating_sub(1);
                if let Some(&(outside, comma)) = self.open_ifs.last()
                    && outside >= self.parens
                {
                    self.open_ifs.pop();
                    if !comma {
                        self.open();
                    }
                }
                Context::Ambiguous
            }
            Token::Punct(b',') => {
                let parens = self.parens;
                if let Some((outside, comma)) = self.open_ifs.last_mut()
                    && *outside + 1 == parens
                {
                    *comma = true;
                }
                Context::Other
            }
            Token::Punct(_) | Token::Other => Context::Other,
        };
    }

    fn on_header_token(&mut self, token: Token<'_>) {
        const OBJECTS: [&str; 4] = ["TRIGGER", "PROCEDURE", "FUNCTION", "EVENT"];
        const MODIFIERS: [&str; 6] = [
            "OR",
            "REPLACE",
            "TEMP",
            "TEMPORARY",
            "CONSTRAINT",
            "AGGREGATE",
        ];
        let word = match token {
            Token::Word(w) => Some(w),
            _ => None,
        };
        let is_any =
            |keywords: &[&str]| word.is_some_and(|w| keywords.iter().any(|k| is_keyword(w, k)));
        self.header = match self.header {
            Header::Start if is_any(&["CREATE"]) => Header::AfterCreate,
            Header::AfterCreate | Header::Definer(_) if is_any(&OBJECTS) => Header::Compound,
            Header::AfterCreate | Header::Definer(_) if is_any(&MODIFIERS) => Header::AfterCreate,
            Header::AfterCreate if is_any(&["DEFINER"]) => Header::Definer(0),
            Header::Definer(n) if n < 8 && !is_any(&["VIEW", "SQL", "TABLE"]) => {
                Header::Definer(n + 1)
            }
            Header::Compound => Header::Compound,
            _ => Header::Plain,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dialect::{Cockroach, Mysql, Postgres, Sqlite3};

    fn sqls(script: &str, dialect: Dialect) -> Vec<String> {
        split(script, dialect).into_iter().map(|s| s.sql).collect()
    }

    fn lines(script: &str, dialect: Dialect) -> Vec<usize> {
        split(script, dialect).into_iter().map(|s| s.line).collect()
    }

    #[track_caller]
    fn check(script: &str, dialect: Dialect, expected: &[&str]) {
        assert_eq!(
            sqls(script, dialect),
            expected,
            "dialect {dialect}, script {script:?}"
        );
    }

    #[test]
    fn basic_split_with_lines_and_indexes() {
        let script = "CREATE TABLE a (id INT);\n\nINSERT INTO a VALUES (1);  SELECT 1\n;\n";
        for dialect in Dialect::ALL {
            assert_eq!(
                split(script, dialect),
                vec![
                    Statement {
                        sql: "CREATE TABLE a (id INT)".into(),
                        line: 1,
                        index: 1
                    },
                    Statement {
                        sql: "INSERT INTO a VALUES (1)".into(),
                        line: 3,
                        index: 2
                    },
                    Statement {
                        sql: "SELECT 1".into(),
                        line: 3,
                        index: 3
                    },
                ]
            );
        }
    }

    #[test]
    fn empty_and_blank_pieces_are_not_statements() {
        for dialect in Dialect::ALL {
            assert!(split("", dialect).is_empty());
            assert!(split(" \n\t\r\n", dialect).is_empty());
            assert!(split(";;\n ; ;", dialect).is_empty());
            check("; SELECT 1;;\n;", dialect, &["SELECT 1"]);
        }
    }

    #[test]
    fn comment_only_script_has_no_statements() {
        let script =
            "-- just a comment; really\n/* block ; comment */\n-- last line without newline";
        for dialect in Dialect::ALL {
            assert!(split(script, dialect).is_empty(), "{dialect}");
        }
        assert!(split("# hash comment; too\n", Mysql).is_empty());
        assert!(split("/* a */ ; -- b\n ;", Sqlite3).is_empty());
    }

    #[test]
    fn last_statement_without_terminator() {
        for dialect in Dialect::ALL {
            let stmts = split("SELECT 1;\n  SELECT\n  2  \n\n", dialect);
            assert_eq!(
                sqls("SELECT 1;\n  SELECT\n  2  \n\n", dialect),
                ["SELECT 1", "SELECT\n  2"]
            );
            assert_eq!(stmts[1].line, 2);
            assert_eq!(stmts[1].index, 2);
            check("SELECT 1", dialect, &["SELECT 1"]);
        }
    }

    #[test]
    fn leading_comments_dropped_inner_and_trailing_comments_kept() {
        let script = "-- header; comment\n/* intro; */\n  SELECT 1 /* inner; */ + 2 -- tail; end\n;\nSELECT 3";
        for dialect in Dialect::ALL {
            let stmts = split(script, dialect);
            assert_eq!(stmts.len(), 2, "{dialect}");
            assert_eq!(stmts[0].sql, "SELECT 1 /* inner; */ + 2 -- tail; end");
            assert_eq!(stmts[0].line, 3);
            assert_eq!(stmts[1].sql, "SELECT 3");
            assert_eq!(stmts[1].line, 5);
        }
    }

    #[test]
    fn single_quoted_strings_with_doubling() {
        let script =
            "INSERT INTO t VALUES ('a;b', 'it''s; -- not a comment', '/* nor; this');\nSELECT ';'";
        for dialect in Dialect::ALL {
            check(
                script,
                dialect,
                &[
                    "INSERT INTO t VALUES ('a;b', 'it''s; -- not a comment', '/* nor; this')",
                    "SELECT ';'",
                ],
            );
        }
        // A string spanning lines: the next statement's line counts them.
        for dialect in Dialect::ALL {
            assert_eq!(lines("SELECT 'a;\nb;\nc';\nSELECT 2;", dialect), [1, 4]);
        }
    }

    #[test]
    fn mysql_backslash_escapes() {
        check(
            r#"SELECT 'it\'s; here', "say \"hi;\"", 'back\\'; SELECT 2"#,
            Mysql,
            &[
                r#"SELECT 'it\'s; here', "say \"hi;\"", 'back\\'"#,
                "SELECT 2",
            ],
        );
        // Without backslash escapes (Postgres, SQLite) the first string ends at `\'`.
        check(
            r"SELECT 'C:\'; SELECT 2",
            Sqlite3,
            &[r"SELECT 'C:\'", "SELECT 2"],
        );
        check(
            r"SELECT 'C:\'; SELECT 2",
            Mysql,
            &[r"SELECT 'C:\'; SELECT 2"],
        );
    }

    #[test]
    fn postgres_standard_strings_have_no_backslash_escapes() {
        for dialect in [Postgres, Cockroach] {
            check(
                "SELECT 'C:\\'; SELECT 'x\\\\'; SELECT 3",
                dialect,
                &["SELECT 'C:\\'", "SELECT 'x\\\\'", "SELECT 3"],
            );
        }
    }

    #[test]
    fn postgres_escape_strings() {
        for dialect in [Postgres, Cockroach] {
            check(
                r"SELECT E'it\'s;', e'a\\', E'q''; x'; SELECT 2",
                dialect,
                &[r"SELECT E'it\'s;', e'a\\', E'q''; x'", "SELECT 2"],
            );
            // Only a lone E prefixes an escape string: `some'` is a word then a plain string.
            check(
                r"SELECT name'C:\'; SELECT 2",
                dialect,
                &[r"SELECT name'C:\'", "SELECT 2"],
            );
        }
    }

    #[test]
    fn double_quotes_are_identifiers_except_in_mysql() {
        for dialect in [Sqlite3, Postgres, Cockroach] {
            check(
                r#"SELECT "a;""b" FROM t; SELECT "c\"; SELECT 3"#,
                dialect,
                &[r#"SELECT "a;""b" FROM t"#, r#"SELECT "c\""#, "SELECT 3"],
            );
        }
        // In MySQL "..." is a string: the backslash escapes the quote.
        check(
            r#"SELECT "c\"; SELECT 3"; SELECT 4"#,
            Mysql,
            &[r#"SELECT "c\"; SELECT 3""#, "SELECT 4"],
        );
    }

    #[test]
    fn backtick_and_bracket_identifiers() {
        for dialect in [Mysql, Sqlite3] {
            check(
                "SELECT `we;ird``name` FROM `t;`; SELECT 2",
                dialect,
                &["SELECT `we;ird``name` FROM `t;`", "SELECT 2"],
            );
        }
        // No backslash escape in MySQL backticks.
        check(
            "SELECT `a\\`; SELECT 2",
            Mysql,
            &["SELECT `a\\`", "SELECT 2"],
        );
        check(
            "SELECT [odd;name] FROM t; SELECT 2",
            Sqlite3,
            &["SELECT [odd;name] FROM t", "SELECT 2"],
        );
        // Brackets quote nothing elsewhere (Postgres arrays), nor do backticks in Postgres.
        for dialect in [Postgres, Cockroach, Mysql] {
            check(
                "SELECT a[1; SELECT ']'",
                dialect,
                &["SELECT a[1", "SELECT ']'"],
            );
        }
        check(
            "SELECT 1 `; SELECT 2",
            Postgres,
            &["SELECT 1 `", "SELECT 2"],
        );
    }

    #[test]
    fn line_comments() {
        for dialect in Dialect::ALL {
            check(
                "SELECT 1 -- a; b\n, 2;\n-- ;\nSELECT 3 --\n;",
                dialect,
                &["SELECT 1 -- a; b\n, 2", "SELECT 3 --"],
            );
        }
        for dialect in [Sqlite3, Postgres, Cockroach] {
            check("--;\nSELECT 1--;\n;", dialect, &["SELECT 1--;"]);
        }
    }

    #[test]
    fn mysql_double_dash_needs_whitespace() {
        check(
            "UPDATE t SET a = a--1; SELECT 2",
            Mysql,
            &["UPDATE t SET a = a--1", "SELECT 2"],
        );
        check(
            "SELECT 1 --\tx; y\n; SELECT 2",
            Mysql,
            &["SELECT 1 --\tx; y", "SELECT 2"],
        );
        // Elsewhere `--` always starts a comment.
        check(
            "UPDATE t SET a = a--1; SELECT 2",
            Postgres,
            &["UPDATE t SET a = a--1; SELECT 2"],
        );
    }

    #[test]
    fn mysql_hash_comments() {
        check(
            "SELECT 1 # one; two\n; SELECT 2",
            Mysql,
            &["SELECT 1 # one; two", "SELECT 2"],
        );
        // `#` is an operator in Postgres and not a comment in SQLite.
        check(
            "SELECT 5 # 3; SELECT 2",
            Postgres,
            &["SELECT 5 # 3", "SELECT 2"],
        );
        check(
            "SELECT 5 # 3; SELECT 2",
            Sqlite3,
            &["SELECT 5 # 3", "SELECT 2"],
        );
    }

    #[test]
    fn block_comments_nest_only_in_postgres() {
        let script = "SELECT /* a /* b; */ c; */ 1; SELECT 2";
        for dialect in [Postgres, Cockroach] {
            check(
                script,
                dialect,
                &["SELECT /* a /* b; */ c; */ 1", "SELECT 2"],
            );
        }
        for dialect in [Sqlite3, Mysql] {
            check(
                script,
                dialect,
                &["SELECT /* a /* b; */ c", "*/ 1", "SELECT 2"],
            );
        }
        // `/*/` does not close the comment it opens.
        for dialect in Dialect::ALL {
            check("/*/ x; */ SELECT 1", dialect, &["SELECT 1"]);
        }
    }

    #[test]
    fn mysql_executable_comments_are_statements() {
        let script = "/* plain */\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
                      /*!40101 SET NAMES utf8mb4 */;\n/*M!100316 SET a=1; */;\nSELECT /*+ NO_ICP(t) */ 1;";
        let stmts = split(script, Mysql);
        assert_eq!(
            sqls(script, Mysql),
            [
                "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */",
                "/*!40101 SET NAMES utf8mb4 */",
                "/*M!100316 SET a=1; */",
                "SELECT /*+ NO_ICP(t) */ 1",
            ]
        );
        assert_eq!(
            stmts.iter().map(|s| s.line).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
        // Elsewhere they are ordinary comments.
        check("/*!40101 SET NAMES utf8 */;", Postgres, &[]);
        check("/*!40101 SET NAMES utf8 */;", Sqlite3, &[]);
    }

    #[test]
    fn mysqldump_header() {
        let script = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n\
            --\n\
            -- Host: localhost    Database: app\n\
            -- ------------------------------------------------------\n\
            \n\
            /*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
            /*!50503 SET NAMES utf8mb4 */;\n\
            /*!40103 SET TIME_ZONE='+00:00' */;\n\
            /*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n\
            \n\
            --\n\
            -- Table structure for table `users`\n\
            --\n\
            \n\
            DROP TABLE IF EXISTS `users`;\n\
            /*!40101 SET @saved_cs_client     = @@character_set_client */;\n\
            CREATE TABLE `users` (\n\
            \x20 `id` int NOT NULL AUTO_INCREMENT,\n\
            \x20 `name` varchar(255) DEFAULT 'x;y',\n\
            \x20 PRIMARY KEY (`id`)\n\
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\
            \n\
            LOCK TABLES `users` WRITE;\n\
            /*!40000 ALTER TABLE `users` DISABLE KEYS */;\n\
            INSERT INTO `users` VALUES (1,'O\\'Brien; Jr.'),(2,'a\\\\');\n\
            UNLOCK TABLES;\n";
        let stmts = split(script, Mysql);
        let got: Vec<(usize, &str)> = stmts.iter().map(|s| (s.line, s.sql.as_str())).collect();
        assert_eq!(
            got,
            [
                (
                    6,
                    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */"
                ),
                (7, "/*!50503 SET NAMES utf8mb4 */"),
                (8, "/*!40103 SET TIME_ZONE='+00:00' */"),
                (
                    9,
                    "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */"
                ),
                (15, "DROP TABLE IF EXISTS `users`"),
                (
                    16,
                    "/*!40101 SET @saved_cs_client     = @@character_set_client */"
                ),
                (
                    17,
                    "CREATE TABLE `users` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  \
                     `name` varchar(255) DEFAULT 'x;y',\n  PRIMARY KEY (`id`)\n) \
                     ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
                ),
                (23, "LOCK TABLES `users` WRITE"),
                (24, "/*!40000 ALTER TABLE `users` DISABLE KEYS */"),
                (
                    25,
                    "INSERT INTO `users` VALUES (1,'O\\'Brien; Jr.'),(2,'a\\\\')"
                ),
                (26, "UNLOCK TABLES"),
            ]
        );
        assert_eq!(stmts.last().map(|s| s.index), Some(11));
    }

    #[test]
    fn mysqldump_trigger_with_delimiter() {
        let script = "DELIMITER ;;\n\
            /*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `t` FOR EACH ROW BEGIN\n\
            SET NEW.a = 1;\n\
            END */;;\n\
            DELIMITER ;\n\
            SELECT 1;\n";
        let stmts = split(script, Mysql);
        assert_eq!(stmts.len(), 2);
        assert!(stmts[0].sql.starts_with("/*!50003 CREATE*/ /*!50017"));
        assert!(stmts[0].sql.ends_with("SET NEW.a = 1;\nEND */"));
        assert_eq!((stmts[0].line, stmts[1].line), (2, 6));
        assert_eq!(stmts[1].sql, "SELECT 1");
    }

    #[test]
    fn dollar_quotes() {
        for dialect in [Postgres, Cockroach] {
            check(
                "SELECT $$a; 'b$$; SELECT $tag$ $$; $other$ ; $tag$; SELECT $Tag$ $tag$; $Tag$; SELECT 4",
                dialect,
                &[
                    "SELECT $$a; 'b$$",
                    "SELECT $tag$ $$; $other$ ; $tag$",
                    "SELECT $Tag$ $tag$; $Tag$",
                    "SELECT 4",
                ],
            );
            // `$1` is a parameter, `$1$` no tag, and `a$b$` an identifier.
            check(
                "PREPARE p AS SELECT $1, $2; SELECT $1$; SELECT 2; $1$",
                dialect,
                &[
                    "PREPARE p AS SELECT $1, $2",
                    "SELECT $1$",
                    "SELECT 2",
                    "$1$",
                ],
            );
            check(
                "SELECT a$b$ FROM t; SELECT $b$",
                dialect,
                &["SELECT a$b$ FROM t", "SELECT $b$"],
            );
            check(
                "SELECT $_x1$;$_x1$; SELECT 2",
                dialect,
                &["SELECT $_x1$;$_x1$", "SELECT 2"],
            );
            // A closing tag directly followed by another dollar quote.
            check(
                "SELECT $a$x$a$$b$;$b$; SELECT 2",
                dialect,
                &["SELECT $a$x$a$$b$;$b$", "SELECT 2"],
            );
        }
        // Not a quote in other dialects.
        for dialect in [Mysql, Sqlite3] {
            check(
                "SELECT '$$'; SELECT $$; SELECT 2 $$",
                dialect,
                &["SELECT '$$'", "SELECT $$", "SELECT 2 $$"],
            );
        }
    }

    #[test]
    fn postgres_function_with_named_dollar_body() {
        let script = "CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger AS $body$\n\
            BEGIN\n\
            \x20   -- keep in sync; see docs\n\
            \x20   NEW.updated_at := now();\n\
            \x20   RAISE NOTICE 'it''s $$ done; %', $$x$$;\n\
            \x20   RETURN NEW;\n\
            END;\n\
            $body$ LANGUAGE plpgsql;\n\
            \n\
            CREATE TRIGGER users_touch BEFORE UPDATE ON users\n\
            \x20   FOR EACH ROW EXECUTE FUNCTION touch_updated_at();\n\
            CREATE TABLE t (id INT);";
        for dialect in [Postgres, Cockroach] {
            let stmts = split(script, dialect);
            assert_eq!(stmts.len(), 3, "{dialect}");
            assert!(
                stmts[0]
                    .sql
                    .starts_with("CREATE OR REPLACE FUNCTION touch_updated_at()")
            );
            assert!(stmts[0].sql.ends_with("END;\n$body$ LANGUAGE plpgsql"));
            assert_eq!(
                stmts[1].sql,
                "CREATE TRIGGER users_touch BEFORE UPDATE ON users\n    FOR EACH ROW EXECUTE FUNCTION touch_updated_at()"
            );
            assert_eq!(stmts[2].sql, "CREATE TABLE t (id INT)");
            assert_eq!(
                stmts.iter().map(|s| s.line).collect::<Vec<_>>(),
                [1, 10, 12]
            );
        }
    }

    #[test]
    fn postgres_semicolons_inside_parentheses() {
        let script = "CREATE RULE r AS ON INSERT TO t DO ALSO (\n  INSERT INTO a VALUES (1);\n  NOTIFY t\n);\nSELECT (2);";
        for dialect in [Postgres, Cockroach] {
            let stmts = split(script, dialect);
            let got: Vec<(usize, &str)> = stmts.iter().map(|s| (s.line, s.sql.as_str())).collect();
            assert_eq!(
                got,
                [
                    (
                        1,
                        "CREATE RULE r AS ON INSERT TO t DO ALSO (\n  INSERT INTO a VALUES (1);\n  NOTIFY t\n)"
                    ),
                    (5, "SELECT (2)"),
                ]
            );
            // Parentheses in strings, quoted names and comments do not count; a stray `)` is harmless.
            check(
                "SELECT '(', \"(\" /* ( */; SELECT 1); SELECT 2",
                dialect,
                &["SELECT '(', \"(\" /* ( */", "SELECT 1)", "SELECT 2"],
            );
        }
        // Other dialects end at the first `;` regardless (as their command-line clients do).
        for dialect in [Sqlite3, Mysql] {
            check("SELECT (1; SELECT 2)", dialect, &["SELECT (1", "SELECT 2)"]);
        }
    }

    #[test]
    fn postgres_begin_atomic() {
        let script = "CREATE PROCEDURE insert_two(a int, b int)\nLANGUAGE SQL\nBEGIN ATOMIC\n  \
            INSERT INTO tbl VALUES (a);\n  SELECT CASE WHEN b > 0 THEN b END;\nEND;\nSELECT 2;";
        for dialect in [Postgres, Cockroach] {
            let stmts = split(script, dialect);
            assert_eq!(stmts.len(), 2);
            assert!(stmts[0].sql.starts_with("CREATE PROCEDURE insert_two"));
            assert!(stmts[0].sql.ends_with("THEN b END;\nEND"));
            assert_eq!((stmts[1].sql.as_str(), stmts[1].line), ("SELECT 2", 7));
        }
    }

    #[test]
    fn sqlite_trigger_with_nested_case() {
        let script = "CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);\n\
            \n\
            CREATE TRIGGER IF NOT EXISTS users_audit\n\
            AFTER UPDATE OF status ON users\n\
            FOR EACH ROW WHEN NEW.status <> OLD.status\n\
            BEGIN\n\
            \x20 -- record the change; END here is a comment\n\
            \x20 INSERT INTO audit (what) VALUES (\n\
            \x20   CASE NEW.status\n\
            \x20     WHEN 'end' THEN 'finished;'\n\
            \x20     WHEN 'begin' THEN CASE WHEN OLD.status IS NULL THEN 'new' ELSE 'restarted' END\n\
            \x20     ELSE [end]\n\
            \x20   END\n\
            \x20 );\n\
            \x20 UPDATE users SET end_date = NULL, backend = 'x' WHERE id = NEW.id;\n\
            \x20 SELECT RAISE(ABORT, 'bad; state') WHERE NEW.status = 'BEGIN';\n\
            END;\n\
            INSERT INTO audit (what) VALUES ('done');\n";
        let stmts = split(script, Sqlite3);
        assert_eq!(stmts.len(), 3);
        assert_eq!(
            stmts[0].sql,
            "CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)"
        );
        assert!(
            stmts[1]
                .sql
                .starts_with("CREATE TRIGGER IF NOT EXISTS users_audit\nAFTER UPDATE")
        );
        assert!(stmts[1].sql.ends_with("WHERE NEW.status = 'BEGIN';\nEND"));
        assert_eq!(stmts[2].sql, "INSERT INTO audit (what) VALUES ('done')");
        assert_eq!(stmts.iter().map(|s| s.line).collect::<Vec<_>>(), [1, 3, 18]);
        assert_eq!(stmts.iter().map(|s| s.index).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn create_header_variants() {
        let body = " BEGIN SELECT 1; SELECT 2; END; SELECT 3";
        for header in [
            "CREATE TRIGGER t AFTER INSERT ON x",
            "create temp trigger t after insert on x",
            "CREATE TEMPORARY TRIGGER t AFTER INSERT ON x",
            "CREATE OR REPLACE TRIGGER t AFTER INSERT ON x FOR EACH ROW",
            "CREATE /* note; */ PROCEDURE p()",
            "CREATE DEFINER=`root`@`localhost` PROCEDURE p()",
            "CREATE DEFINER = 'admin'@'%' FUNCTION f() RETURNS INT",
            "CREATE DEFINER=CURRENT_USER() TRIGGER t BEFORE INSERT ON x FOR EACH ROW",
            "CREATE DEFINER=admin@localhost EVENT e ON SCHEDULE EVERY 1 DAY DO",
            "CREATE OR REPLACE DEFINER=`a`@`b` AGGREGATE FUNCTION f() RETURNS INT",
        ] {
            let script = format!("{header}{body}");
            check(
                &script,
                Sqlite3,
                &[
                    &format!("{header} BEGIN SELECT 1; SELECT 2; END"),
                    "SELECT 3",
                ],
            );
        }
        // Other CREATE statements, even with keyword-like names, end at the first `;`.
        for script in [
            "CREATE TABLE event (a INT); BEGIN; END",
            "CREATE TABLE trigger_log (begin_at INT, \"end\" INT); BEGIN; END",
            "CREATE VIEW v AS SELECT 1 AS function; BEGIN; END",
            "CREATE DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW procedure AS SELECT 1; BEGIN; END",
            "CREATE INDEX begin ON t (a); BEGIN; END",
            "WITH x AS (SELECT 1) SELECT 'CREATE TRIGGER' FROM x; BEGIN; END",
        ] {
            let stmts = sqls(script, Sqlite3);
            assert_eq!(stmts.len(), 3, "{script}: {stmts:?}");
        }
    }

    #[test]
    fn top_level_transactions_are_ordinary_statements() {
        for dialect in Dialect::ALL {
            check(
                "BEGIN;\nBEGIN TRANSACTION;\nSTART TRANSACTION;\nUPDATE t SET a = 1;\nEND;\nCOMMIT;",
                dialect,
                &[
                    "BEGIN",
                    "BEGIN TRANSACTION",
                    "START TRANSACTION",
                    "UPDATE t SET a = 1",
                    "END",
                    "COMMIT",
                ],
            );
        }
    }

    #[test]
    fn keywords_are_whole_words_case_insensitive() {
        // `BEGINNING`, `backend`, `end_date`, `casey` are not keywords.
        check(
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET beginning = 1, casey = 2; END; SELECT 2",
            Sqlite3,
            &[
                "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET beginning = 1, casey = 2; END",
                "SELECT 2",
            ],
        );
        check(
            "CREATE TRIGGER t AFTER INSERT ON x Begin UPDATE y SET end_date = backend; eNd; SELECT 2",
            Sqlite3,
            &[
                "CREATE TRIGGER t AFTER INSERT ON x Begin UPDATE y SET end_date = backend; eNd",
                "SELECT 2",
            ],
        );
        // Keywords in strings, identifiers and comments do not count.
        check(
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'END', \"end\", [END] /* END */; -- END\nEND; SELECT 2",
            Sqlite3,
            &[
                "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'END', \"end\", [END] /* END */; -- END\nEND",
                "SELECT 2",
            ],
        );
        check(
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'BEGIN', \"begin\", `case`; END; SELECT 2",
            Sqlite3,
            &[
                "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'BEGIN', \"begin\", `case`; END",
                "SELECT 2",
            ],
        );
    }

    #[test]
    fn mysql_procedure_with_delimiter_and_if() {
        let script = "DROP PROCEDURE IF EXISTS add_user;\n\
            DELIMITER $$\n\
            CREATE DEFINER=`root`@`localhost` PROCEDURE add_user(IN p_name VARCHAR(50))\n\
            BEGIN\n\
            \x20 DECLARE n INT DEFAULT 0;\n\
            \x20 IF p_name IS NULL THEN\n\
            \x20   SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'name; required';\n\
            \x20 END IF;\n\
            \x20 INSERT INTO users (name) VALUES (p_name);\n\
            END$$\n\
            delimiter ;\n\
            CALL add_user('bob');\n";
        let stmts = split(script, Mysql);
        let got: Vec<(usize, &str)> = stmts.iter().map(|s| (s.line, s.sql.as_str())).collect();
        assert_eq!(
            got,
            [
                (1, "DROP PROCEDURE IF EXISTS add_user"),
                (
                    3,
                    "CREATE DEFINER=`root`@`localhost` PROCEDURE add_user(IN p_name VARCHAR(50))\n\
                     BEGIN\n  DECLARE n INT DEFAULT 0;\n  IF p_name IS NULL THEN\n    \
                     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'name; required';\n  \
                     END IF;\n  INSERT INTO users (name) VALUES (p_name);\nEND"
                ),
                (12, "CALL add_user('bob')"),
            ]
        );
        assert_eq!(stmts.iter().map(|s| s.index).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn mysql_procedure_without_delimiter() {
        // Control flow of every kind, with `;` as the only terminator.
        let body = "CREATE PROCEDURE p(IN x INT)\n\
            BEGIN\n\
            \x20 DECLARE i INT DEFAULT 0;\n\
            \x20 DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET i = -1; END;\n\
            \x20 DROP TEMPORARY TABLE IF EXISTS tmp;\n\
            \x20 CREATE TEMPORARY TABLE IF NOT EXISTS tmp (a INT);\n\
            \x20 SET i = IF(x > 10, 10, x);\n\
            \x20 SET i = IF (x > 10, 10, x);\n\
            \x20 IF (x > 0) THEN SET i = 1;\n\
            \x20 ELSEIF x < 0 THEN SET i = 2;\n\
            \x20 ELSE IF NOT x THEN SET i = 3; END IF;\n\
            \x20 END IF;\n\
            \x20 IF(x = 5) THEN SET i = 5; END IF;\n\
            \x20 IF EXISTS (SELECT 1 FROM tmp) THEN DELETE FROM tmp; END IF;\n\
            \x20 IF NOT EXISTS (SELECT 1 FROM tmp) THEN INSERT INTO tmp VALUES (1); END IF;\n\
            \x20 SET i = CASE WHEN x > 1 THEN IF(x > 2, 1, 2) ELSE IF(x < 0, 3, 4) END;\n\
            \x20 w: WHILE i > 0 DO SET i = i - 1; END WHILE w;\n\
            \x20 REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n\
            \x20 SELECT REPEAT('ab;', 2), REPEAT ('c', 3);\n\
            \x20 l: LOOP IF i > 5 THEN LEAVE l; END IF; SET i = i + 1; END LOOP l;\n\
            \x20 CASE i WHEN 1 THEN SELECT 1; ELSE BEGIN END; END CASE;\n\
            \x20 SELECT `end`, 'END IF;' FROM tmp;\n\
            END";
        let script = format!("{body};\nSELECT 'after';");
        let stmts = split(&script, Mysql);
        assert_eq!(stmts.len(), 2, "{stmts:#?}");
        assert_eq!(stmts[0].sql, body);
        assert_eq!(
            (stmts[1].sql.as_str(), stmts[1].line),
            ("SELECT 'after'", 24)
        );
    }

    #[test]
    fn mysql_trigger_event_and_function_bodies() {
        let script = "CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF;\n\
            CREATE TRIGGER trg2 BEFORE INSERT ON t FOR EACH ROW SET NEW.b = IF(NEW.a > 0, 1, 0);\n\
            CREATE TRIGGER IF NOT EXISTS trg3 BEFORE INSERT ON t FOR EACH ROW SET NEW.c = 1;\n\
            CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log; OPTIMIZE TABLE log; END;\n\
            CREATE FUNCTION f(a INT) RETURNS INT DETERMINISTIC RETURN a + 1;\n\
            SELECT 6;";
        let stmts = sqls(script, Mysql);
        assert_eq!(
            stmts,
            [
                "CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF",
                "CREATE TRIGGER trg2 BEFORE INSERT ON t FOR EACH ROW SET NEW.b = IF(NEW.a > 0, 1, 0)",
                "CREATE TRIGGER IF NOT EXISTS trg3 BEFORE INSERT ON t FOR EACH ROW SET NEW.c = 1",
                "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log; OPTIMIZE TABLE log; END",
                "CREATE FUNCTION f(a INT) RETURNS INT DETERMINISTIC RETURN a + 1",
                "SELECT 6",
            ]
        );
    }

    #[test]
    fn mysql_control_words_are_plain_elsewhere() {
        // IF/LOOP/WHILE/REPEAT only count in MySQL: elsewhere they are names.
        check(
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET loop = 1, while = 2, repeat = 3, if = 4; END; SELECT 2",
            Sqlite3,
            &[
                "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET loop = 1, while = 2, repeat = 3, if = 4; END",
                "SELECT 2",
            ],
        );
        // Outside CREATE ... bodies nothing is counted, not even CASE.
        check(
            "SELECT CASE WHEN a THEN 1; SELECT 2",
            Mysql,
            &["SELECT CASE WHEN a THEN 1", "SELECT 2"],
        );
        check(
            "SELECT IF(a, 1, 2); IF; SELECT 2",
            Mysql,
            &["SELECT IF(a, 1, 2)", "IF", "SELECT 2"],
        );
    }

    #[test]
    fn delimiter_lines() {
        let script = "DELIMITER //\nSELECT 1; SELECT 2 //\n  SELECT 3//SELECT 4\n//\nDELIMITER ;\nSELECT 5;\n";
        for dialect in Dialect::ALL {
            let stmts = split(script, dialect);
            let got: Vec<(usize, &str)> = stmts.iter().map(|s| (s.line, s.sql.as_str())).collect();
            assert_eq!(
                got,
                [
                    (2, "SELECT 1; SELECT 2"),
                    (3, "SELECT 3"),
                    (3, "SELECT 4"),
                    (6, "SELECT 5")
                ]
            );
        }
        // Case-insensitive, tolerant of trailing text and CRLF; a quoted argument is unquoted.
        check(
            "delimiter $$ -- switch\r\nSELECT 1;$$\r\nDelimiter ';'\r\nSELECT 2;",
            Mysql,
            &["SELECT 1;", "SELECT 2"],
        );
        // The delimiter ends even a word, as in the mysql client (`END$$`).
        check(
            "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\nDELIMITER ;",
            Mysql,
            &["CREATE PROCEDURE p() BEGIN SELECT 1; END"],
        );
        // The custom delimiter ends a statement even inside an unbalanced block.
        check(
            "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1;;\nSELECT 2;;",
            Mysql,
            &["CREATE PROCEDURE p() BEGIN SELECT 1", "SELECT 2"],
        );
        // DELIMITER without argument is skipped and changes nothing.
        check(
            "DELIMITER\nSELECT 1;\nDELIMITER   \nSELECT 2;",
            Mysql,
            &["SELECT 1", "SELECT 2"],
        );
    }

    #[test]
    fn delimiter_only_at_statement_start() {
        // Inside a statement, a line starting with `delimiter` is a column name.
        check(
            "CREATE TABLE csv_format (\n  id INT,\n  delimiter CHAR(1)\n);\nSELECT 2;",
            Mysql,
            &[
                "CREATE TABLE csv_format (\n  id INT,\n  delimiter CHAR(1)\n)",
                "SELECT 2",
            ],
        );
        // Not the first word of the line, nor a whole word.
        check(
            "SELECT 1; DELIMITER $$\nSELECT 2;",
            Mysql,
            &["SELECT 1", "DELIMITER $$\nSELECT 2"],
        );
        check(
            "delimiters $$;\nSELECT 2;",
            Mysql,
            &["delimiters $$", "SELECT 2"],
        );
        // After comments at the start of the line it is not a directive either, but after
        // comment lines it is.
        check(
            "-- note\n/* x */\n  DELIMITER $$\nSELECT 1;$$",
            Mysql,
            &["SELECT 1;"],
        );
        // Inside a string or comment, it is text.
        check(
            "SELECT '\nDELIMITER $$\n'; SELECT 2;",
            Mysql,
            &["SELECT '\nDELIMITER $$\n'", "SELECT 2"],
        );
    }

    #[test]
    fn crlf_script() {
        let script = "-- header\r\nCREATE TABLE a (\r\n  id INT -- key\r\n);\r\n\r\nINSERT INTO a VALUES ('x\r\ny');\r\nSELECT 1\r\n";
        for dialect in Dialect::ALL {
            let stmts = split(script, dialect);
            let got: Vec<(usize, &str)> = stmts.iter().map(|s| (s.line, s.sql.as_str())).collect();
            assert_eq!(
                got,
                [
                    (2, "CREATE TABLE a (\r\n  id INT -- key\r\n)"),
                    (6, "INSERT INTO a VALUES ('x\r\ny')"),
                    (8, "SELECT 1"),
                ],
                "{dialect}"
            );
        }
    }

    #[test]
    fn crlf_mysql_procedure_with_delimiter() {
        let script = "DELIMITER $$\r\nCREATE PROCEDURE p()\r\nBEGIN\r\n  SELECT 1;\r\nEND $$\r\nDELIMITER ;\r\nSELECT 2;\r\n";
        let stmts = split(script, Mysql);
        let got: Vec<(usize, &str)> = stmts.iter().map(|s| (s.line, s.sql.as_str())).collect();
        assert_eq!(
            got,
            [
                (2, "CREATE PROCEDURE p()\r\nBEGIN\r\n  SELECT 1;\r\nEND"),
                (7, "SELECT 2")
            ]
        );
    }

    #[test]
    fn bom_is_skipped() {
        for dialect in Dialect::ALL {
            let stmts = split("\u{feff}SELECT 1;\nSELECT 2", dialect);
            assert_eq!(
                stmts[0],
                Statement {
                    sql: "SELECT 1".into(),
                    line: 1,
                    index: 1
                }
            );
            assert_eq!(
                stmts[1],
                Statement {
                    sql: "SELECT 2".into(),
                    line: 2,
                    index: 2
                }
            );
            assert!(split("\u{feff}", dialect).is_empty());
            // With a BOM, a DELIMITER on the first line is still recognised.
            check(
                "\u{feff}DELIMITER //\nSELECT 1; SELECT 2//",
                dialect,
                &["SELECT 1; SELECT 2"],
            );
        }
    }

    #[test]
    fn unterminated_constructs_run_to_the_end() {
        for dialect in Dialect::ALL {
            check(
                "SELECT 1; SELECT 'abc;\nSELECT 3;  \n",
                dialect,
                &["SELECT 1", "SELECT 'abc;\nSELECT 3;"],
            );
            check(
                "SELECT 1; SELECT 2 /* open; comment",
                dialect,
                &["SELECT 1", "SELECT 2 /* open; comment"],
            );
            check("SELECT 1; /* open; comment", dialect, &["SELECT 1"]);
            check("SELECT 1; -- no newline", dialect, &["SELECT 1"]);
            check("SELECT \"abc;", dialect, &["SELECT \"abc;"]);
            check(
                "SELECT 'ends with quote''",
                dialect,
                &["SELECT 'ends with quote''"],
            );
            check(
                "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;",
                dialect,
                &["CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;"],
            );
        }
        check("SELECT 'x\\", Mysql, &["SELECT 'x\\"]);
        check("SELECT `abc; SELECT 2", Mysql, &["SELECT `abc; SELECT 2"]);
        check("SELECT [abc; SELECT 2", Sqlite3, &["SELECT [abc; SELECT 2"]);
        check(
            "SELECT $$abc; SELECT 2",
            Postgres,
            &["SELECT $$abc; SELECT 2"],
        );
        check(
            "SELECT $a$abc $a; SELECT 2",
            Postgres,
            &["SELECT $a$abc $a; SELECT 2"],
        );
        check("SELECT E'abc\\", Postgres, &["SELECT E'abc\\"]);
        check("DELIMITER", Mysql, &[]);
        check("SELECT 1 /*", Postgres, &["SELECT 1 /*"]);
        check("SELECT 1 /*/", Postgres, &["SELECT 1 /*/"]);
    }

    #[test]
    fn non_ascii_text() {
        for dialect in Dialect::ALL {
            check(
                "INSERT INTO t VALUES ('héllo; wörld', 'ü');\nSELECT ñame FROM données;\n",
                dialect,
                &[
                    "INSERT INTO t VALUES ('héllo; wörld', 'ü')",
                    "SELECT ñame FROM données",
                ],
            );
            check(
                "DELIMITER §§\nSELECT 'é'; SELECT 1§§SELECT 2",
                dialect,
                &["SELECT 'é'; SELECT 1", "SELECT 2"],
            );
        }
        check(
            "SELECT 'a\\é'; SELECT 2",
            Mysql,
            &["SELECT 'a\\é'", "SELECT 2"],
        );
    }

    #[test]
    fn large_inputs() {
        // Many statements; linear time keeps this fast even in debug builds.
        let row =
            "INSERT INTO t (a, b, c) VALUES (1, 'some text; with semicolon', \"x\"); -- note\n";
        let script = row.repeat(20_000);
        for dialect in Dialect::ALL {
            let stmts = split(&script, dialect);
            assert_eq!(stmts.len(), 20_000);
            assert_eq!(stmts[19_999].line, 20_000);
            assert_eq!(stmts[19_999].index, 20_000);
        }
        // One statement with a 1 MB string literal (with doubled quotes and backslashes).
        let literal = "ab''c;\\".repeat(150_000);
        let script = format!("INSERT INTO t VALUES ('{literal}');\nSELECT 2;");
        for dialect in [Sqlite3, Postgres, Cockroach] {
            let stmts = split(&script, dialect);
            assert_eq!(stmts.len(), 2);
            assert_eq!(stmts[0].sql.len(), literal.len() + 25);
            assert_eq!(stmts[1].line, 2);
        }
        // A 1 MB dollar-quoted body and a 1 MB comment.
        let filler = "x; $a$ ".repeat(150_000);
        let script = format!("SELECT $b$ {filler} $b$; /* {filler} */ SELECT 2");
        assert_eq!(split(&script, Postgres).len(), 2);
        // Deep nesting does not recurse.
        let nested = format!(
            "CREATE TRIGGER t AFTER INSERT ON x {} SELECT 1; {}; SELECT 2",
            "BEGIN ".repeat(100_000),
            "END ".repeat(100_000)
        );
        assert_eq!(split(&nested, Sqlite3).len(), 2);
    }

    /// A small deterministic pseudo-random generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            // n is small; the modulo bias does not matter here.
            usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items.get(self.below(items.len())).copied().unwrap_or("")
        }
    }

    /// Complete statements, each tricky for the given dialect. None starts with whitespace or
    /// a comment, ends with whitespace or a line comment, or contains a top-level terminator.
    fn known_statements(dialect: Dialect) -> Vec<&'static str> {
        let mut all = vec![
            "SELECT 1",
            "SELECT 'a;b', 'it''s; ok', ''",
            "INSERT INTO t (a, b) VALUES ('--', '/*')",
            "SELECT 1 /* ; */ + 2",
            "SELECT 1 -- not the end;\n + 2",
            "UPDATE t SET note = 'multi\nline; text' WHERE id = 1",
            "SELECT end_date, beginning FROM backend",
            "BEGIN",
            "BEGIN TRANSACTION",
            "COMMIT",
            "END",
            "CREATE TABLE event (id INT, begin_at INT)",
            "DROP TABLE IF EXISTS t",
            "SELECT CASE WHEN a THEN 'x;' ELSE 'y' END FROM t",
            "SELECT 'héllo; wörld' AS ñ",
            "CREATE TRIGGER trg AFTER INSERT ON t BEGIN UPDATE t SET a = CASE WHEN 1 THEN 'END;' ELSE 0 END; DELETE FROM u; END",
            "CREATE TRIGGER trg BEFORE DELETE ON t FOR EACH ROW BEGIN\n  DELETE FROM u WHERE id = 1;\n  UPDATE v SET end_date = 1;\nEND",
            "SELECT 1\r\n  + 2",
        ];
        match dialect {
            Dialect::Sqlite3 => all.extend([
                "SELECT [odd;name], `we;ird` FROM t",
                "SELECT \"a;\"\"b\" FROM t",
                "SELECT 'C:\\'",
                "CREATE TEMP TRIGGER IF NOT EXISTS trg2 BEFORE DELETE ON t FOR EACH ROW WHEN old.id = 1 BEGIN SELECT RAISE(ABORT, 'x;y'); END",
                "SELECT 5 # 3",
            ]),
            Dialect::Postgres | Dialect::Cockroach => all.extend([
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
                "CREATE FUNCTION g() RETURNS trigger AS $body$ BEGIN RAISE NOTICE '$$;'; RETURN NEW; END; $body$ LANGUAGE plpgsql",
                "SELECT E'it\\'s;', e'\\\\', 'C:\\'",
                "SELECT \"a;\"\"b\" FROM t",
                "SELECT /* outer /* inner ; */ still ; */ 1",
                "SELECT 5 # 3",
                "PREPARE p AS SELECT $1, $2",
                "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); SELECT CASE WHEN true THEN 1 END; END",
                "SELECT a$b$ FROM t",
                "DO $do$ BEGIN PERFORM 1; END $do$",
                "SELECT arr[1] FROM t",
            ]),
            Dialect::Mysql => all.extend([
                "SELECT 'it\\'s;', \"say \\\"hi;\\\"\" FROM `we;ird`",
                "/*!40101 SET NAMES utf8mb4 */",
                "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1 */",
                "SELECT /*+ MAX_EXECUTION_TIME(1000) */ 1",
                "UPDATE t SET a = a--1",
                "SELECT 1 # comment ;\n + 2",
                "CREATE PROCEDURE p(IN x INT) BEGIN DECLARE i INT DEFAULT 0; IF (x > 0) THEN SET i = IF(x > 10, 10, x); ELSEIF x < 0 THEN SET i = 0; END IF; IF EXISTS (SELECT 1 FROM t) THEN DELETE FROM t; END IF; w: WHILE i > 0 DO SET i = i - 1; END WHILE w; REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT; SELECT REPEAT('a;', 2); l: LOOP LEAVE l; END LOOP l; CASE i WHEN 1 THEN SELECT 1; ELSE BEGIN END; END CASE; DROP TABLE IF EXISTS tmp; CREATE TEMPORARY TABLE IF NOT EXISTS tmp (a INT); END",
                "CREATE DEFINER=`root`@`localhost` TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = CASE WHEN NEW.a IS NULL THEN 0 ELSE NEW.a END; END",
                "CREATE TRIGGER trg2 BEFORE UPDATE ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF",
                "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM log WHERE ts < NOW(); END",
                "CREATE FUNCTION fx(a INT) RETURNS INT DETERMINISTIC BEGIN RETURN CASE WHEN a > 0 THEN IF(a > 5, 1, 2) ELSE IF(a < -5, 3, 4) END; END",
                "CREATE TABLE csv (id INT,\ndelimiter CHAR(1))",
            ]),
        }
        all
    }

    /// Text allowed before a statement: whitespace and comments.
    fn fillers(dialect: Dialect) -> Vec<&'static str> {
        let mut all = vec![
            "",
            "",
            "\n",
            "\n\n",
            "  \t",
            "-- comment; here\n",
            "/* block; */ ",
            "/* multi\nline; */\n",
            "\r\n",
        ];
        if dialect == Dialect::Mysql {
            all.push("# hash; comment\n");
        }
        all
    }

    #[test]
    fn joined_known_statements_split_back() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for dialect in Dialect::ALL {
            let known = known_statements(dialect);
            let fillers = fillers(dialect);
            for round in 0..1500 {
                // Half the rounds use a custom delimiter instead of `;`.
                let custom = round % 2 == 1;
                let terminator = if custom { "//\n" } else { ";\n" };
                let mut script = String::from(if custom { "DELIMITER //\n" } else { "" });
                let mut expected = Vec::new();
                for i in 0..rng.below(8) {
                    if i > 0 {
                        script.push_str(terminator);
                    }
                    script.push_str(rng.pick(&fillers));
                    let sql = rng.pick(&known);
                    let line = 1 + script.matches('\n').count();
                    expected.push(Statement {
                        sql: sql.to_owned(),
                        line,
                        index: i + 1,
                    });
                    script.push_str(sql);
                }
                // End with or without a terminator, maybe followed by a comment.
                let terminated = expected.is_empty() || rng.below(2) == 0;
                if terminated {
                    script.push_str(terminator);
                }
                let tail = rng.pick(&fillers);
                script.push_str(tail);
                if !terminated && let Some(last) = expected.last_mut() {
                    // Without terminator, the statement runs to the end, trailing comments too.
                    last.sql = format!("{}{tail}", last.sql).trim_ascii_end().to_owned();
                }
                // After an unterminated statement, a DELIMITER line would be part of it.
                if custom && terminated && rng.below(2) == 0 {
                    script.push_str("\nDELIMITER ;\n");
                }
                assert_eq!(
                    split(&script, dialect),
                    expected,
                    "dialect {dialect}, script:\n{script}"
                );
            }
        }
    }

    /// Fragments that open, close or confuse every construct the splitter knows.
    const FRAGMENTS: &[&str] = &[
        "'",
        "\"",
        "`",
        "[",
        "]",
        "$",
        "$$",
        "$a$",
        "$1",
        "E'",
        "e'",
        "\\",
        "\\'",
        "''",
        "/*",
        "*/",
        "/*!",
        "/*+",
        "/*M!",
        "--",
        "-- ",
        "#",
        ";",
        ";;",
        "\n",
        "\r\n",
        "\r",
        " ",
        "\t",
        "DELIMITER ",
        "\nDELIMITER $$\n",
        "\ndelimiter ;\n",
        "\nDELIMITER //\n",
        "//",
        "BEGIN",
        "END",
        "CASE",
        "IF",
        "IF(",
        "IF (",
        "NOT",
        "EXISTS",
        "THEN",
        "ELSE",
        "LOOP",
        "WHILE",
        "REPEAT",
        "REPEAT(",
        "DO",
        "ROW",
        "(",
        ")",
        ",",
        "CREATE ",
        "TRIGGER ",
        "PROCEDURE ",
        "FUNCTION ",
        "DEFINER=",
        "OR REPLACE ",
        "SELECT ",
        "x",
        "é",
        "\u{feff}",
        "\0",
        "ü;",
        "1",
    ];

    #[test]
    fn random_scripts_never_panic_and_keep_invariants() {
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        for round in 0..20_000 {
            let dialect = Dialect::ALL[round % 4];
            let len = rng.below(40);
            let script: String = (0..len).map(|_| rng.pick(FRAGMENTS)).collect();
            let stmts = split(&script, dialect);
            let line_count = 1 + script.matches('\n').count();
            let mut last_line = 1;
            for (i, stmt) in stmts.iter().enumerate() {
                assert_eq!(stmt.index, i + 1);
                assert!(
                    !stmt.sql.is_empty() && stmt.sql.trim_ascii_end() == stmt.sql,
                    "{script:?}"
                );
                assert!(
                    !stmt.sql.starts_with(|c: char| c.is_ascii_whitespace()),
                    "{script:?}"
                );
                assert!(script.contains(&stmt.sql), "{script:?}: {stmt:?}");
                assert!(
                    stmt.line >= last_line && stmt.line <= line_count,
                    "{script:?}: {stmt:?}"
                );
                last_line = stmt.line;
            }
        }
    }

    #[test]
    fn every_prefix_of_realistic_scripts_is_handled() {
        // Truncating a script anywhere leaves constructs open at EOF.
        for dialect in Dialect::ALL {
            let script = known_statements(dialect).join(";\n");
            let mut cuts: Vec<usize> = script.char_indices().map(|(i, _)| i).collect();
            cuts.push(script.len());
            for cut in cuts {
                let prefix = script.get(..cut).unwrap_or("");
                let stmts = split(prefix, dialect);
                assert!(stmts.iter().all(|s| prefix.contains(&s.sql)));
            }
        }
    }
}
