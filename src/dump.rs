//! Starting from a real old database (`ladder run --from DUMP --at VERSION`): a dump of an old
//! release, schema and data, read, cut into statements (and PostgreSQL `COPY` blocks) and loaded
//! into the scratch database, which then stands in for every step up to `VERSION`.
//!
//! Dumps as the usual tools write them: `sqlite3 db .dump`, plain `pg_dump` (its `COPY … FROM
//! stdin` blocks are streamed with the COPY protocol; psql meta-commands such as `\connect` or
//! `\restrict` are skipped) and `mysqldump`/`mariadb-dump` (`/*!40101 … */` executable comments,
//! `LOCK TABLES`, `DELIMITER` blocks).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

use crate::dialect::Dialect;
use crate::engine::Engine;
use crate::error::Error;
use crate::problem::{Problem, Problems};
use crate::runner::{Phase, StepFailure};
use crate::sql;
use crate::version::Version;

/// A dump of an old release, and the version its database was at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    pub path: Utf8PathBuf,
    pub at: Version,
    /// The migration name of `at`, for messages.
    pub name: String,
    pub text: String,
}

/// What loading a dump did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub path: Utf8PathBuf,
    pub at: Version,
    /// Statements executed, `COPY` blocks included.
    pub statements: usize,
    pub time: Duration,
}

/// One statement of a dump, with the rows that follow it when it is `COPY … FROM stdin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub statement: sql::Statement,
    /// The data lines of a `COPY … FROM stdin` block, each ending in `\n`, without the `\.` line.
    pub copy: Option<String>,
}

impl Dump {
    /// Reads the dump file as UTF-8 (a byte-order mark removed); a file that cannot be read or
    /// is not UTF-8 is bad input naming the file.
    pub fn read(path: &Utf8Path, at: Version, name: String) -> Result<Dump, Error> {
        let problem = |message: String, hint: &str| {
            Error::Input(Problems(vec![Problem::new(path, message).hint(hint)]))
        };
        let bytes = std::fs::read(path).map_err(|e| {
            problem(
                format!("dump cannot be read: {e}"),
                "--from names a dump of an old release: `sqlite3 DB .dump`, plain `pg_dump` or `mysqldump` output",
            )
        })?;
        let bytes = bytes
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .unwrap_or(&bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            Error::Input(Problems(vec![
                Problem::new(
                    path,
                    "dump is not valid UTF-8 (the first bad byte is on this line)",
                )
                .at_line(line)
                .hint("dump the database with UTF-8 client encoding (pg_dump -E UTF8, mysqldump --default-character-set=utf8mb4)"),
            ]))
        })?;
        Ok(Dump {
            path: path.to_owned(),
            at,
            name,
            text: text.to_string(),
        })
    }

    /// The snapshot folder of runs from this dump, under the snapshot folder: `from-<file stem>`,
    /// so that its results never mix with those of the seeded ladder.
    pub fn snapshot_folder(&self) -> String {
        let stem = self.path.file_stem().unwrap_or("dump");
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("from-{stem}")
    }
}

/// Cuts a dump into statements for `dialect`. On PostgreSQL and CockroachDB, psql meta-command
/// lines (`\connect`, `\restrict`) are skipped and the data lines after `COPY … FROM stdin;` up
/// to `\.` go with that statement; line numbers stay those of the file.
pub fn pieces(text: &str, dialect: Dialect) -> Vec<Piece> {
    if !matches!(dialect, Dialect::Postgres | Dialect::Cockroach) {
        return sql::split(text, dialect)
            .into_iter()
            .map(|statement| Piece {
                statement,
                copy: None,
            })
            .collect();
    }
    // The SQL with meta-commands and COPY data blanked out (lines kept, so numbers stay), and
    // each COPY block's data by the line of its statement.
    let mut masked = String::with_capacity(text.len());
    let mut blocks: HashMap<usize, String> = HashMap::new();
    let mut copying: Option<(usize, String)> = None;
    for (i, line) in text.split('\n').enumerate() {
        let number = i + 1;
        let bare = line.strip_suffix('\r').unwrap_or(line);
        if let Some((start, data)) = &mut copying {
            if bare == "\\." {
                blocks.insert(*start, std::mem::take(data));
                copying = None;
            } else {
                data.push_str(bare);
                data.push('\n');
            }
        } else if bare.starts_with('\\') {
            // A psql meta-command: not SQL, and nothing the server could run.
        } else {
            masked.push_str(line);
            if is_copy_from_stdin(bare) {
                copying = Some((number, String::new()));
            }
        }
        masked.push('\n');
    }
    // A block without its `\.` line runs to the end of the file.
    if let Some((start, data)) = copying {
        blocks.insert(start, data);
    }
    sql::split(&masked, dialect)
        .into_iter()
        .map(|statement| {
            let copy = if is_copy_from_stdin(&statement.sql) {
                blocks.remove(&statement.line)
            } else {
                None
            };
            Piece { statement, copy }
        })
        .collect()
}

/// `COPY public.t (a, b) FROM stdin;`, as pg_dump writes it: on one line.
fn is_copy_from_stdin(line: &str) -> bool {
    let words: Vec<String> = line
        .trim()
        .trim_end_matches(';')
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    words.first().is_some_and(|w| w == "copy")
        && words
            .windows(2)
            .any(|w| w[0] == "from" && w[1].starts_with("stdin"))
}

/// Loads `dump` into the scratch database, statement by statement, outside any transaction of
/// ladder's own (dumps bring their own `BEGIN`/`COMMIT`), then restores the session settings a
/// dump changes (`search_path`, `foreign_keys`, …) so that the migrations after it run as usual.
pub async fn load(engine: &mut Engine, dump: &Dump) -> Result<Loaded, Error> {
    let dialect = engine.dialect();
    let started = Instant::now();
    let pieces = pieces(&dump.text, dialect);
    let fail = |index: usize, message: String| {
        let piece = pieces.get(index);
        Error::Step(Box::new(StepFailure {
            dialect,
            version: dump.at.clone(),
            name: dump.name.clone(),
            phase: Phase::Dump,
            path: dump.path.clone(),
            line: piece.map_or(1, |p| p.statement.line),
            statement: index + 1,
            statements: pieces.len(),
            sql: piece.map_or_else(String::new, |p| p.statement.sql.clone()),
            message,
            reached: None,
            transaction: false,
            rolled_back: false,
        }))
    };
    for (i, piece) in pieces.iter().enumerate() {
        let done = match &piece.copy {
            Some(data) => engine.copy_in(&piece.statement.sql, data.as_bytes()).await,
            None => engine.execute(&piece.statement.sql).await,
        };
        done.map_err(|message| fail(i, message))?;
    }
    engine.restore_session().await.map_err(|message| {
        fail(
            pieces.len().saturating_sub(1),
            format!("failed to restore the session settings after the dump: {message}"),
        )
    })?;
    Ok(Loaded {
        path: dump.path.clone(),
        at: dump.at.clone(),
        statements: pieces.len(),
        time: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_dump_copy_blocks_and_meta_commands() {
        let text = "\\restrict abc\n\
                    SET statement_timeout = 0;\n\
                    SELECT pg_catalog.set_config('search_path', '', false);\n\
                    CREATE TABLE public.t (\n    id integer,\n    name text\n);\n\
                    COPY public.t (id, name) FROM stdin;\n\
                    1\tAnn\n\
                    2\t\\N\n\
                    \\.\n\
                    \n\
                    ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n\
                    \\unrestrict abc\n";
        let pieces = pieces(text, Dialect::Postgres);
        let lines: Vec<usize> = pieces.iter().map(|p| p.statement.line).collect();
        assert_eq!(lines, [2, 3, 4, 8, 13]);
        assert_eq!(
            pieces[3].statement.sql,
            "COPY public.t (id, name) FROM stdin"
        );
        assert_eq!(pieces[3].copy.as_deref(), Some("1\tAnn\n2\t\\N\n"));
        assert!(
            pieces
                .iter()
                .filter(|p| p.statement.line != 8)
                .all(|p| p.copy.is_none())
        );
    }

    #[test]
    fn sqlite_dump_is_plain_statements() {
        let text = "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n\
                    CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, s TEXT);\n\
                    INSERT INTO t VALUES(1,'a;\\b');\n\
                    DELETE FROM sqlite_sequence;\nINSERT INTO sqlite_sequence VALUES('t',1);\nCOMMIT;\n";
        let pieces = pieces(text, Dialect::Sqlite3);
        assert_eq!(pieces.len(), 7);
        assert_eq!(pieces[3].statement.sql, "INSERT INTO t VALUES(1,'a;\\b')");
        assert!(pieces.iter().all(|p| p.copy.is_none()));
    }

    #[test]
    fn mysqldump_executable_comments_are_statements() {
        let text = "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n\
                    -- comment\nLOCK TABLES `t` WRITE;\n\
                    /*!40000 ALTER TABLE `t` DISABLE KEYS */;\n\
                    INSERT INTO `t` VALUES (1,'it\\'s');\nUNLOCK TABLES;\n";
        let pieces = pieces(text, Dialect::Mysql);
        let lines: Vec<usize> = pieces.iter().map(|p| p.statement.line).collect();
        assert_eq!(lines, [1, 3, 4, 5, 6]);
    }

    #[test]
    fn snapshot_folder_is_named_after_the_file() {
        let dump = Dump {
            path: "dumps/acme corp.sql".into(),
            at: Version::parse("3").unwrap(),
            name: "x".into(),
            text: String::new(),
        };
        assert_eq!(dump.snapshot_folder(), "from-acme_corp");
    }
}
