//! Engines: where a ladder runs. The runner sees one small interface; each database has a file.

mod sqlite;

use serde_json::Value;

use crate::dialect::Dialect;
use crate::error::Error;

pub use sqlite::SqliteEngine;

/// What `--db` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Embedded SQLite in memory: nothing to install.
    Sqlite,
}

impl Target {
    /// Reads a `--db` value.
    pub fn parse(spec: &str) -> Result<Target, Error> {
        match spec {
            "sqlite" | "sqlite3" | "sqlite::memory:" => Ok(Target::Sqlite),
            other => Err(Error::Usage(format!(
                "unsupported --db {other:?}\n  hint: use --db sqlite (embedded SQLite)"
            ))),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Target::Sqlite => Dialect::Sqlite3,
        }
    }
}

/// One table's records, read at the end of the ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDump {
    pub name: String,
    /// Column names in table order.
    pub columns: Vec<String>,
    /// The columns the rows are sorted by: the primary key, else every column.
    pub order_by: Vec<String>,
    /// Values in column order, as JSON with their real types.
    pub rows: Vec<Vec<Value>>,
}

/// A connection to a scratch database that ladder created and will drop.
pub enum Engine {
    Sqlite(SqliteEngine),
}

impl Engine {
    /// Creates the scratch database for `target` and connects to it.
    pub async fn open(target: &Target) -> Result<Engine, Error> {
        match target {
            Target::Sqlite => Ok(Engine::Sqlite(SqliteEngine::open().await?)),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Engine::Sqlite(_) => Dialect::Sqlite3,
        }
    }

    /// Where the run happens, for the progress header.
    pub fn describe(&self) -> String {
        match self {
            Engine::Sqlite(_) => "sqlite3 (embedded, in memory)".to_string(),
        }
    }

    /// Runs one statement; the error is the database's own message.
    pub async fn execute(&mut self, sql: &str) -> Result<(), String> {
        match self {
            Engine::Sqlite(e) => e.execute(sql).await.map_err(|e| db_message(&e)),
        }
    }

    /// The product's tables, sorted by name.
    pub async fn tables(&mut self) -> Result<Vec<String>, String> {
        match self {
            Engine::Sqlite(e) => e.tables().await.map_err(|e| db_message(&e)),
        }
    }

    pub async fn dump(&mut self, table: &str) -> Result<TableDump, String> {
        match self {
            Engine::Sqlite(e) => e.dump(table).await.map_err(|e| db_message(&e)),
        }
    }

    /// Closes the connection and drops the scratch database.
    pub async fn close(self) -> Result<(), Error> {
        match self {
            Engine::Sqlite(e) => e.close().await,
        }
    }
}

/// The database's own words for an error, without sqlx's wrapping.
pub(crate) fn db_message(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

/// Quotes an identifier with double quotes (SQLite, PostgreSQL).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Renders bytes the way reviewers read them: `x'00ff'`.
pub(crate) fn hex_literal(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2 + 3);
    out.push_str("x'");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out.push('\'');
    out
}
