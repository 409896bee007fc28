//! Embedded SQLite, in memory: the default engine, with nothing to install.

use std::collections::HashMap;
use std::ffi::{CStr, c_int};
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;
use serde_json::Value;
use sqlx::sqlite::{LockedSqliteHandle, SqliteConnectOptions, SqliteConnection, SqliteOperation};
use sqlx::{ConnectOptions, Connection};

use super::{Keys, QueryResult, TableDump, hex_literal, quote_ident};
use crate::error::Error;
use crate::schema::{Column, ForeignKey, Index, Schema, Table, strip_outer_parens};

/// sqlx opens the connection; ladder then holds sqlx's lock on its handle for the engine's
/// whole life and runs every statement through SQLite's C API on its own thread. Through sqlx,
/// each query and each row would be handed over from sqlx's worker thread, and at a few small
/// queries per migration those hand-overs cost more than the statements.
pub struct SqliteEngine {
    held: Option<Held>,
    /// When the running statement must stop; SQLite's progress handler checks it, since SQLite
    /// has no statement timeout of its own.
    deadline: Arc<Mutex<Option<Instant>>>,
    timeout: Option<Duration>,
    /// The rows written while recording ([`SqliteEngine::record_rows`]), from SQLite's update
    /// hook; `None` while not recording.
    written: Arc<Mutex<Option<super::Written>>>,
    /// When the climb last let other engines of the same run go on ([`Self::execute`]).
    yielded: Instant,
}

/// How long SQLite works, script after script, before it lets the other engines of a run go on:
/// they share its thread, and their servers wait on them.
const YIELD_EVERY: Duration = Duration::from_millis(2);

/// sqlx's connection, in a box of its own, and the lock on its handle, which borrows it.
struct Held {
    handle: ManuallyDrop<LockedSqliteHandle<'static>>,
    conn: NonNull<SqliteConnection>,
    /// ladder's own queries, kept prepared by their text: it asks the same few questions after
    /// every migration. Finalized before the connection closes.
    statements: HashMap<String, Prepared>,
}

/// How many of ladder's own statements stay prepared at most (one per table it reads).
const MAX_PREPARED: usize = 2_000;

// SAFETY: the connection is only used through `handle`, by whoever holds the engine, one call at
// a time (SQLite's multi-thread mode allows a connection to move between threads); `conn` is
// only touched again to free it, after the lock is released.
unsafe impl Send for Held {}

impl Held {
    fn db(&mut self) -> *mut ffi::sqlite3 {
        self.handle.as_raw_handle().as_ptr()
    }

    /// `sql` prepared, kept for the next call with the same text; `None` for a text without
    /// a statement.
    fn prepared(&mut self, sql: &str) -> Result<Option<&Prepared>, sqlx::Error> {
        if !self.statements.contains_key(sql) {
            if self.statements.len() >= MAX_PREPARED {
                self.statements.clear();
            }
            match prepare(self.db(), sql, true)? {
                Some(statement) => self.statements.insert(sql.to_string(), statement),
                None => return Ok(None),
            };
        }
        Ok(self.statements.get(sql))
    }

    /// Releases the lock and hands the connection back.
    fn into_conn(self) -> SqliteConnection {
        let mut this = ManuallyDrop::new(self);
        drop(std::mem::take(&mut this.statements));
        // SAFETY: the lock is released before its connection is taken back from the box it was
        // leaked into in `SqliteEngine::open`; `this` is never dropped, so neither happens twice.
        unsafe {
            ManuallyDrop::drop(&mut this.handle);
            *Box::from_raw(this.conn.as_ptr())
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.statements.clear();
        // SAFETY: as in `into_conn`: the lock goes first, then the box it borrowed.
        unsafe {
            ManuallyDrop::drop(&mut self.handle);
            drop(Box::from_raw(self.conn.as_ptr()));
        }
    }
}

/// SQLite virtual-machine steps between two looks at the deadline.
const PROGRESS_STEPS: i32 = 10_000;

impl SqliteEngine {
    pub async fn open() -> Result<SqliteEngine, Error> {
        let connect_err = |e: sqlx::Error| Error::Connect {
            action: "open",
            target: "sqlite (in memory)".to_string(),
            message: e.to_string(),
        };
        // Foreign keys on, as sqlx and most applications run SQLite.
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(connect_err)?
            .foreign_keys(true);
        let conn = options.connect().await.map_err(connect_err)?;
        let conn = NonNull::from(Box::leak(Box::new(conn)));
        // SAFETY: the box lives until `Held` frees it, after releasing this lock.
        let handle = match unsafe { &mut *conn.as_ptr() }.lock_handle().await {
            Ok(handle) => handle,
            Err(e) => {
                // SAFETY: no lock was taken; the box is freed once, here.
                drop(unsafe { Box::from_raw(conn.as_ptr()) });
                return Err(connect_err(e));
            }
        };
        let mut held = Held {
            handle: ManuallyDrop::new(handle),
            conn,
            statements: HashMap::new(),
        };
        let deadline: Arc<Mutex<Option<Instant>>> = Arc::default();
        let watched = Arc::clone(&deadline);
        held.handle.set_progress_handler(PROGRESS_STEPS, move || {
            // Returning false interrupts the statement ("interrupted").
            let deadline = *watched.lock().unwrap_or_else(|p| p.into_inner());
            deadline.is_none_or(|d| Instant::now() < d)
        });
        let written: Arc<Mutex<Option<super::Written>>> = Arc::default();
        let sink = Arc::clone(&written);
        held.handle.set_update_hook(move |change| {
            let mut written = sink.lock().unwrap_or_else(|p| p.into_inner());
            let Some(written) = written.as_mut() else {
                return;
            };
            if change.database != "main" {
                written.elsewhere = true;
            } else if matches!(change.operation, SqliteOperation::Insert) {
                match written.inserted.get_mut(change.table) {
                    Some(rowids) => rowids.push(change.rowid),
                    None => {
                        written
                            .inserted
                            .insert(change.table.to_string(), vec![change.rowid]);
                    }
                }
            } else {
                written.changed = true;
            }
        });
        Ok(SqliteEngine {
            held: Some(held),
            deadline,
            timeout: None,
            written,
            yielded: Instant::now(),
        })
    }

    /// Starts recording the rows written (`true`), or stops and hands over what was recorded.
    pub fn record_rows(&mut self, on: bool) -> Option<super::Written> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if on {
            *written = Some(super::Written::default());
            None
        } else {
            written.take()
        }
    }

    fn db(&mut self) -> *mut ffi::sqlite3 {
        self.held
            .as_mut()
            .expect("the connection is held until close")
            .db()
    }

    /// Interrupts any later statement that runs longer than `timeout`.
    pub fn set_statement_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    pub fn statement_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Starts the clock of the statement about to run.
    fn arm(&self) {
        *self.deadline.lock().unwrap_or_else(|p| p.into_inner()) =
            self.timeout.map(|t| Instant::now() + t);
    }

    fn disarm(&self) {
        *self.deadline.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Runs a script of any number of statements, in one `sqlite3_exec` call.
    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let script = std::ffi::CString::new(sql)
            .map_err(|_| sqlx::Error::Protocol("the SQL holds a NUL character".into()))?;
        self.arm();
        let done = exec(self.db(), &script);
        self.disarm();
        // SQLite never waits: without this, engines run together (`--db … --db …`) would wait
        // for its whole climb.
        if self.yielded.elapsed() >= YIELD_EVERY {
            tokio::task::yield_now().await;
            self.yielded = Instant::now();
        }
        done
    }

    /// Only runs `sql`: SQLite's keys cost no round trip (see
    /// [`super::Engine::execute_then_keys`]).
    pub async fn execute_then_keys(
        &mut self,
        head: &str,
        _planned: &[(String, Vec<String>)],
        tail: &str,
    ) -> Result<Vec<TableDump>, sqlx::Error> {
        let batch = super::with_key_queries(head, std::iter::empty(), tail);
        self.execute(&batch).await.map(|()| Vec::new())
    }

    /// Undoes what a `.dump` leaves behind: it turns foreign keys off.
    pub async fn restore_session(&mut self) -> Result<(), sqlx::Error> {
        self.execute("PRAGMA foreign_keys = ON").await
    }

    /// One statement's column names and rows, `binds` bound as text to its parameters.
    fn rows(&mut self, sql: &str, binds: &[&str]) -> Result<QueryResult, sqlx::Error> {
        let held = self
            .held
            .as_mut()
            .expect("the connection is held until close");
        let db = held.db();
        let Some(statement) = held.prepared(sql)? else {
            return Ok(QueryResult::default());
        };
        let result = run(db, statement, binds);
        statement.reset();
        result
    }

    /// The tables, sorted by name.
    pub async fn tables(&mut self) -> Result<Vec<String>, sqlx::Error> {
        let found = self.rows(
            "SELECT name FROM sqlite_schema \
             WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            &[],
        )?;
        let mut names: Vec<String> = found.rows.iter().map(|r| text(&r[0])).collect();
        // Byte order, as SQLite's BINARY collation sorts.
        names.sort();
        Ok(names)
    }

    pub async fn dump(&mut self, table: &str) -> Result<TableDump, sqlx::Error> {
        self.dump_with(table)
    }

    /// Each record's key, in no particular order (see [`super::Engine::keys`]), written
    /// straight from SQLite's values as [`super::key_text`] writes them; `known` are the key
    /// columns when the caller knows them. Unless `read`, only the key columns (a table known to
    /// be empty).
    pub fn keys(
        &mut self,
        table: &str,
        known: Option<&[String]>,
        read: bool,
    ) -> Result<Keys, sqlx::Error> {
        let (order_by, keyed, rowid_key) = match known {
            Some(key) => (key.to_vec(), None, None),
            None => {
                let (columns, order_by, pk_types) = self.dump_with_columns(table)?;
                // Without a primary key, every column is the key.
                let keyed = columns != order_by;
                let types: Vec<Option<&str>> = pk_types.iter().map(Option::as_deref).collect();
                // The index behind the key is only looked for when its type allows a rowid.
                let rowid_key = rowid_alias(&types, false) && !self.has_pk_index(table)?;
                (order_by, Some(keyed), Some(rowid_key))
            }
        };
        let select_list: Vec<String> = order_by.iter().map(|c| quote_ident(c)).collect();
        let mut keys = Keys::new(order_by, keyed);
        keys.rowid_key = rowid_key;
        if !read {
            return Ok(keys);
        }
        let sql = format!(
            "SELECT {} FROM {}",
            select_list.join(", "),
            quote_ident(table)
        );
        let held = self
            .held
            .as_mut()
            .expect("the connection is held until close");
        let db = held.db();
        let Some(statement) = held.prepared(&sql)? else {
            return Ok(keys);
        };
        let read = key_rows(db, statement, &mut keys);
        statement.reset();
        read.map(|()| keys)
    }

    /// Whether a table's primary key has an index behind it (origin `pk`), as every key but
    /// a rowid has.
    fn has_pk_index(&mut self, table: &str) -> Result<bool, sqlx::Error> {
        let indexed = self.rows(
            "SELECT count(*) FROM pragma_index_list(?) WHERE origin = 'pk'",
            &[table],
        )?;
        Ok(indexed.rows.first().is_some_and(|r| int(&r[0]) != 0))
    }

    /// A table's columns, its key columns (the primary key, else every column), and the
    /// primary key columns' declared types.
    fn dump_with_columns(&mut self, table: &str) -> Result<ColumnsAndKey, sqlx::Error> {
        let info = self.rows(
            "SELECT name, pk, type FROM pragma_table_info(?) ORDER BY cid",
            &[table],
        )?;
        let columns: Vec<String> = info.rows.iter().map(|r| text(&r[0])).collect();
        let mut pk: Vec<(i64, String, Option<String>)> = info
            .rows
            .iter()
            .map(|r| (int(&r[1]), text(&r[0]), opt_text(&r[2])))
            .filter(|(pk, _, _)| *pk > 0)
            .collect();
        pk.sort();
        let pk_types = pk.iter().map(|(_, _, t)| t.clone()).collect();
        let order_by: Vec<String> = if pk.is_empty() {
            columns.clone()
        } else {
            pk.into_iter().map(|(_, name, _)| name).collect()
        };
        Ok((columns, order_by, pk_types))
    }

    /// The whole table, ordered by its key.
    fn dump_with(&mut self, table: &str) -> Result<TableDump, sqlx::Error> {
        let (columns, order_by, _) = self.dump_with_columns(table)?;
        // Without a primary key, every column is the key.
        let keyed = Some(columns != order_by);
        let select_list: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
        let order_list: Vec<String> = order_by.iter().map(|c| quote_ident(c)).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            select_list.join(", "),
            quote_ident(table),
            order_list.join(", "),
        );
        let rows = self.rows(&sql, &[])?.rows;
        Ok(TableDump {
            name: table.to_string(),
            columns,
            order_by,
            rows,
            keyed,
        })
    }

    pub async fn query(&mut self, sql: &str) -> Result<QueryResult, sqlx::Error> {
        self.arm();
        let db = self.db();
        let result = prepare(db, super::bare_query(sql), false).and_then(|statement| {
            statement.map_or_else(|| Ok(QueryResult::default()), |s| run(db, &s, &[]))
        });
        self.disarm();
        let mut result = result?;
        // As the servers report it: no rows, no columns.
        if result.rows.is_empty() {
            result.columns.clear();
        }
        Ok(result)
    }

    pub async fn schema(
        &mut self,
        ignore: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Schema, sqlx::Error> {
        let all = self.tables().await?;
        // sqlite_schema has no index by name, and pragma_table_list lists every table: both are
        // read once for all tables.
        let mut objects = Objects::default();
        for row in self
            .rows("SELECT type, name, tbl_name, sql FROM sqlite_schema", &[])?
            .rows
        {
            let (kind, name, table, sql) = (
                text(&row[0]),
                text(&row[1]),
                text(&row[2]),
                opt_text(&row[3]),
            );
            match kind.as_str() {
                "table" => {
                    objects.table_sql.insert(name, sql);
                }
                "index" => {
                    objects.index_sql.insert(name, sql);
                }
                "trigger" => objects.triggers.entry(table).or_default().push(name),
                _ => {}
            }
        }
        for row in self
            .rows(
                "SELECT name, wr FROM pragma_table_list WHERE schema = 'main'",
                &[],
            )?
            .rows
        {
            if int(&row[1]) != 0 {
                objects.without_rowid.insert(text(&row[0]));
            }
        }
        let mut schema = Schema::default();
        for name in all.iter().filter(|t| !ignore(t)) {
            let table = self.table_schema(name, &all, &objects).await?;
            schema.tables.insert(name.clone(), table);
        }
        Ok(schema)
    }

    async fn table_schema(
        &mut self,
        name: &str,
        all: &[String],
        objects: &Objects,
    ) -> Result<Table, sqlx::Error> {
        let sql = objects.table_sql.get(name).cloned().flatten();
        let without_rowid = objects.without_rowid.contains(name);
        // hidden: 0 plain, 1 hidden (virtual tables), 2 and 3 generated columns.
        // name, declared type, NOT NULL, default, position in the primary key.
        type ColumnRow = (String, Option<String>, bool, Option<String>, i64);
        let columns: Vec<ColumnRow> = self
            .rows(
                "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?) \
                 WHERE hidden <> 1 ORDER BY cid",
                &[name],
            )?
            .rows
            .iter()
            .map(|r| {
                (
                    text(&r[0]),
                    opt_text(&r[1]),
                    int(&r[2]) != 0,
                    opt_text(&r[3]),
                    int(&r[4]),
                )
            })
            .collect();
        let indexes: Vec<(String, bool, String)> = self
            .rows(
                "SELECT name, \"unique\", origin FROM pragma_index_list(?)",
                &[name],
            )?
            .rows
            .iter()
            .map(|r| (text(&r[0]), int(&r[1]) != 0, text(&r[2])))
            .collect();
        let mut pk: Vec<(i64, &str)> = columns
            .iter()
            .filter(|c| c.4 > 0)
            .map(|c| (c.4, c.0.as_str()))
            .collect();
        pk.sort();
        // Only an INTEGER PRIMARY KEY of a rowid table (the rowid itself, no index behind it)
        // or any key of a WITHOUT ROWID table refuses NULL; other SQLite keys accept it.
        let pk_types: Vec<Option<&str>> = pk
            .iter()
            .map(|(_, name)| {
                columns
                    .iter()
                    .find(|c| c.0 == *name)
                    .and_then(|c| c.1.as_deref())
            })
            .collect();
        let rowid_alias = rowid_alias(
            &pk_types,
            indexes.iter().any(|(_, _, origin)| origin == "pk"),
        );
        let mut table = Table {
            primary_key: pk.iter().map(|(_, c)| c.to_string()).collect(),
            ..Table::default()
        };
        for (column, data_type, not_null, default, key) in &columns {
            let never_null = *key > 0 && (without_rowid || rowid_alias);
            table.columns.insert(
                column.clone(),
                Column {
                    data_type: data_type.as_deref().unwrap_or("").trim().to_lowercase(),
                    nullable: !not_null && !never_null,
                    default: default
                        .as_deref()
                        .map(str::trim)
                        .filter(|d| !d.eq_ignore_ascii_case("null"))
                        .map(str::to_string),
                },
            );
        }
        for (index, unique, origin) in &indexes {
            if origin == "pk" {
                continue;
            }
            let keys: Vec<Option<String>> = self
                .rows(
                    "SELECT name FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno",
                    &[index],
                )?
                .rows
                .iter()
                .map(|r| opt_text(&r[0]))
                .collect();
            let index_sql = objects.index_sql.get(index).cloned().flatten();
            let (expressions, predicate) =
                index_sql.as_deref().map(index_parts).unwrap_or_default();
            let columns = keys
                .into_iter()
                .enumerate()
                .map(|(i, column)| match column {
                    Some(column) => column,
                    // No name: an expression, which only the CREATE INDEX text holds.
                    None => expressions
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| "?".to_string()),
                })
                .collect();
            table.indexes.insert(Index {
                // UNIQUE constraints get `sqlite_autoindex_<table>_<n>`: named by position.
                name: if origin == "u" {
                    String::new()
                } else {
                    index.clone()
                },
                columns,
                unique: *unique,
                predicate,
            });
        }
        let keys = self
            .rows(
                "SELECT id, \"table\", \"from\", \"to\", on_delete, on_update \
                 FROM pragma_foreign_key_list(?) ORDER BY id, seq",
                &[name],
            )?
            .rows;
        let mut by_id: Vec<(i64, ForeignKey, bool)> = Vec::new();
        for row in &keys {
            let id = int(&row[0]);
            if by_id.last().is_none_or(|(last, _, _)| *last != id) {
                // Table names are case-insensitive: show the parent as it is named.
                let parent = text(&row[1]);
                let parent = all
                    .iter()
                    .find(|t| t.eq_ignore_ascii_case(&parent))
                    .cloned()
                    .unwrap_or(parent);
                let key = ForeignKey {
                    references: parent,
                    on_delete: text(&row[4]).to_lowercase(),
                    on_update: text(&row[5]).to_lowercase(),
                    ..ForeignKey::default()
                };
                by_id.push((id, key, false));
            }
            let (_, key, implicit) = by_id.last_mut().expect("pushed above");
            key.columns.push(text(&row[2]));
            match opt_text(&row[3]) {
                Some(to) => key.referenced_columns.push(to),
                None => *implicit = true,
            }
        }
        for (_, mut key, implicit) in by_id {
            if implicit {
                // `REFERENCES parent` without columns means the parent's primary key.
                key.referenced_columns = self
                    .rows(
                        "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk",
                        &[&key.references],
                    )?
                    .rows
                    .iter()
                    .map(|r| text(&r[0]))
                    .collect();
            }
            table.foreign_keys.insert(key);
        }
        table.checks = sql.as_deref().map(checks).unwrap_or_default();
        table.triggers = objects
            .triggers
            .get(name)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        Ok(table)
    }

    pub async fn close(mut self) -> Result<(), crate::error::Error> {
        // An in-memory database disappears with its connection.
        if let Some(held) = self.held.take() {
            let _ = held.into_conn().close().await;
        }
        Ok(())
    }
}

/// A table's columns, key columns and primary key columns' declared types
/// ([`SqliteEngine::dump_with_columns`]).
type ColumnsAndKey = (Vec<String>, Vec<String>, Vec<Option<String>>);

/// Whether a primary key, given its columns' declared types and whether an index stands behind
/// it (`pk_index`), is the table's rowid: one column declared INTEGER with no index, which
/// `INTEGER PRIMARY KEY DESC`, any other key and a WITHOUT ROWID table's key all have.
fn rowid_alias(pk_types: &[Option<&str>], pk_index: bool) -> bool {
    !pk_index && matches!(pk_types, [Some(t)] if t.trim().eq_ignore_ascii_case("integer"))
}

/// What [`SqliteEngine::schema`] reads of `sqlite_schema` and `pragma_table_list` once, for
/// every table.
#[derive(Default)]
struct Objects {
    /// Each table's and each index's CREATE statement (none for automatic indexes).
    table_sql: HashMap<String, Option<String>>,
    index_sql: HashMap<String, Option<String>>,
    /// Each table's triggers, by the table's name.
    triggers: HashMap<String, Vec<String>>,
    without_rowid: std::collections::HashSet<String>,
}

/// A text value (a name, a type); other values as JSON text.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn opt_text(value: &Value) -> Option<String> {
    (!value.is_null()).then(|| text(value))
}

fn int(value: &Value) -> i64 {
    value.as_i64().unwrap_or(0)
}

/// Finalizes a prepared statement when dropped.
struct Prepared(*mut ffi::sqlite3_stmt);

impl Prepared {
    /// Makes the statement ready to run again, parameters cleared.
    fn reset(&self) {
        // SAFETY: a live statement; an error of the last step is reported by `run` already.
        unsafe {
            ffi::sqlite3_reset(self.0);
            ffi::sqlite3_clear_bindings(self.0);
        }
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: a statement prepared on a connection still open, finalized once.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

/// SQLite's message for the last error on `db`.
fn error(db: *mut ffi::sqlite3, rc: c_int) -> sqlx::Error {
    // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the connection (valid
    // until the next call on it); sqlite3_errstr a static one.
    let text = unsafe {
        let message = ffi::sqlite3_errmsg(db);
        if message.is_null() {
            CStr::from_ptr(ffi::sqlite3_errstr(rc))
        } else {
            CStr::from_ptr(message)
        }
    };
    sqlx::Error::Protocol(text.to_string_lossy().into_owned())
}

fn too_long() -> sqlx::Error {
    sqlx::Error::Protocol("the SQL is too long".into())
}

/// Prepares the first statement of `sql`; `None` when it holds only whitespace and comments.
/// `keep`: the statement will be kept and run again.
fn prepare(db: *mut ffi::sqlite3, sql: &str, keep: bool) -> Result<Option<Prepared>, sqlx::Error> {
    let mut raw = std::ptr::null_mut();
    let flags = if keep {
        ffi::SQLITE_PREPARE_PERSISTENT
    } else {
        0
    };
    // SAFETY: `db` is the locked connection; SQLite reads `sql.len()` bytes of `sql`.
    let rc = unsafe {
        ffi::sqlite3_prepare_v3(
            db,
            sql.as_ptr().cast(),
            c_int::try_from(sql.len()).map_err(|_| too_long())?,
            flags,
            &mut raw,
            std::ptr::null_mut(),
        )
    };
    if rc != ffi::SQLITE_OK {
        return Err(error(db, rc));
    }
    Ok((!raw.is_null()).then_some(Prepared(raw)))
}

/// Runs `statement` with `binds` bound as text, and returns its column names and rows, each
/// value by its own storage class (SQLite types values, not columns).
fn run(
    db: *mut ffi::sqlite3,
    statement: &Prepared,
    binds: &[&str],
) -> Result<QueryResult, sqlx::Error> {
    for (i, bind) in binds.iter().enumerate() {
        let at = c_int::try_from(i + 1).map_err(|_| too_long())?;
        let len = c_int::try_from(bind.len()).map_err(|_| too_long())?;
        // SAFETY: SQLITE_TRANSIENT makes SQLite copy the text before this call returns.
        let rc = unsafe {
            ffi::sqlite3_bind_text(
                statement.0,
                at,
                bind.as_ptr().cast(),
                len,
                ffi::SQLITE_TRANSIENT(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, rc));
        }
    }
    // SAFETY (this block and `value`): column indexes stay below the statement's column count,
    // and SQLite's pointers are read before the next step.
    let count = unsafe { ffi::sqlite3_column_count(statement.0) };
    let columns = (0..count)
        .map(|i| unsafe {
            let name = ffi::sqlite3_column_name(statement.0, i);
            if name.is_null() {
                String::new()
            } else {
                CStr::from_ptr(name).to_string_lossy().into_owned()
            }
        })
        .collect();
    let mut found = Vec::new();
    loop {
        match unsafe { ffi::sqlite3_step(statement.0) } {
            ffi::SQLITE_ROW => found.push((0..count).map(|i| value(statement, i)).collect()),
            ffi::SQLITE_DONE => break,
            rc => return Err(error(db, rc)),
        }
    }
    Ok(QueryResult {
        columns,
        rows: found,
    })
}

/// Each row's key text ([`super::key_text`]): the values written as they are read, without a
/// row of JSON values in between.
fn key_rows(
    db: *mut ffi::sqlite3,
    statement: &Prepared,
    keys: &mut Keys,
) -> Result<(), sqlx::Error> {
    use std::io::Write;
    // SAFETY: as in `run`.
    let count = unsafe { ffi::sqlite3_column_count(statement.0) };
    let mut key: Vec<u8> = Vec::with_capacity(32);
    loop {
        match unsafe { ffi::sqlite3_step(statement.0) } {
            ffi::SQLITE_ROW => {}
            ffi::SQLITE_DONE => break,
            rc => return Err(error(db, rc)),
        }
        key.clear();
        key.push(b'[');
        for i in 0..count {
            if i > 0 {
                key.push(b',');
            }
            // SAFETY: as in `value`.
            let kind = unsafe { ffi::sqlite3_column_type(statement.0, i) };
            let _ = match kind {
                ffi::SQLITE_NULL => key.write_all(b"null"),
                ffi::SQLITE_INTEGER => {
                    write!(key, "{}", unsafe {
                        ffi::sqlite3_column_int64(statement.0, i)
                    })
                }
                ffi::SQLITE_TEXT => {
                    // SAFETY: as in `value`.
                    let text = unsafe {
                        column_bytes(statement, i, ffi::sqlite3_column_text(statement.0, i))
                    };
                    serde_json::to_writer(&mut key, &String::from_utf8_lossy(text))
                        .map_err(std::io::Error::other)
                }
                // Reals and blobs are rare in keys: as JSON values, like `value`.
                _ => write!(key, "{}", value(statement, i)),
            };
        }
        key.push(b']');
        // Only whole UTF-8 pieces were written.
        keys.push(&String::from_utf8_lossy(&key));
    }
    Ok(())
}

/// SQLite's buffer of column `i`'s bytes (`p`, from sqlite3_column_text or _blob).
///
/// # Safety
/// `p` is that column's pointer for the current row; the slice is valid until the next step.
unsafe fn column_bytes(statement: &Prepared, i: c_int, p: *const u8) -> &[u8] {
    // SAFETY: the caller's.
    unsafe {
        let len = usize::try_from(ffi::sqlite3_column_bytes(statement.0, i)).unwrap_or(0);
        if p.is_null() || len == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(p, len)
        }
    }
}

/// Column `i` of the current row as JSON.
fn value(statement: &Prepared, i: c_int) -> Value {
    // SAFETY: the pointers passed are column i's, read before the next step.
    let bytes = |p: *const u8| -> &[u8] { unsafe { column_bytes(statement, i, p) } };
    // SAFETY: see `rows`.
    unsafe {
        match ffi::sqlite3_column_type(statement.0, i) {
            ffi::SQLITE_NULL => Value::Null,
            ffi::SQLITE_INTEGER => Value::from(ffi::sqlite3_column_int64(statement.0, i)),
            ffi::SQLITE_FLOAT => real_to_json(ffi::sqlite3_column_double(statement.0, i)),
            ffi::SQLITE_BLOB => Value::from(hex_literal(bytes(
                ffi::sqlite3_column_blob(statement.0, i).cast(),
            ))),
            _ => Value::from(
                String::from_utf8_lossy(bytes(ffi::sqlite3_column_text(statement.0, i)))
                    .into_owned(),
            ),
        }
    }
}

/// JSON has no NaN or infinities; keep them readable instead of turning them into null.
pub(crate) fn real_to_json(x: f64) -> Value {
    serde_json::Number::from_f64(x)
        .map(Value::Number)
        .unwrap_or_else(|| Value::from(x.to_string()))
}

/// SQL text cut into tokens: enough to find CHECK clauses and index keys in the `sql` SQLite
/// keeps, with strings, quoted names and comments kept whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Word,
    /// `"name"`, `` `name` ``, `[name]`.
    Quoted,
    Str,
    Open,
    Close,
    Comma,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Tok,
    start: usize,
    end: usize,
    /// Whitespace or a comment comes before it.
    spaced: bool,
}

fn lex(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut spaced = false;
    let until = |from: usize, end: &str| {
        sql[from..]
            .find(end)
            .map_or(sql.len(), |at| from + at + end.len())
    };
    while i < bytes.len() {
        let c = bytes[i];
        let (kind, end) = match c {
            _ if c.is_ascii_whitespace() => {
                spaced = true;
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                (spaced, i) = (true, until(i, "\n"));
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                (spaced, i) = (true, until(i + 2, "*/"));
                continue;
            }
            b'\'' | b'"' | b'`' => {
                // A doubled quote escapes it: scan past pairs.
                let mut end = i + 1;
                let end = loop {
                    match bytes[end..].iter().position(|&b| b == c) {
                        Some(at) if bytes.get(end + at + 1) == Some(&c) => end += at + 2,
                        Some(at) => break end + at + 1,
                        None => break bytes.len(),
                    }
                };
                (if c == b'\'' { Tok::Str } else { Tok::Quoted }, end)
            }
            b'[' => (Tok::Quoted, until(i, "]")),
            b'(' => (Tok::Open, i + 1),
            b')' => (Tok::Close, i + 1),
            b',' => (Tok::Comma, i + 1),
            _ if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                let len = bytes[i..]
                    .iter()
                    .position(|&b| {
                        !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80)
                    })
                    .unwrap_or(bytes.len() - i);
                (Tok::Word, i + len)
            }
            _ => (Tok::Other, i + 1),
        };
        tokens.push(Token {
            kind,
            start: i,
            end,
            spaced,
        });
        spaced = false;
        i = end;
    }
    tokens
}

/// The tokens back as text, whitespace and comments collapsed to one space, and quotes dropped
/// from plain names (`"status"` and `status` are one name, however a migration spelt it).
fn text_of(sql: &str, tokens: &[Token]) -> String {
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.spaced && i > 0 {
            out.push(' ');
        }
        let text = &sql[t.start..t.end];
        let plain = (t.kind == Tok::Quoted)
            .then(|| text.get(1..text.len() - 1))
            .flatten()
            .filter(|inner| {
                !inner.is_empty()
                    && !inner.starts_with(|c: char| c.is_ascii_digit())
                    && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        out.push_str(plain.unwrap_or(text));
    }
    out
}

/// The index of the token closing the parenthesis at `open`.
fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// The CHECK constraints of a CREATE TABLE, table and column ones: SQLite exposes no other way.
fn checks(sql: &str) -> std::collections::BTreeSet<String> {
    let tokens = lex(sql);
    let mut found = std::collections::BTreeSet::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        match t.kind {
            Tok::Open => depth += 1,
            Tok::Close => depth = depth.saturating_sub(1),
            Tok::Word
                if depth == 1
                    && sql[t.start..t.end].eq_ignore_ascii_case("check")
                    && tokens.get(i + 1).is_some_and(|n| n.kind == Tok::Open) =>
            {
                let close = matching(&tokens, i + 1);
                let text = text_of(sql, &tokens[i + 2..close.min(tokens.len())]);
                found.insert(strip_outer_parens(&text).to_string());
                i = close + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The key expressions and the WHERE of a CREATE INDEX.
fn index_parts(sql: &str) -> (Vec<String>, Option<String>) {
    let tokens = lex(sql);
    let Some(open) = tokens.iter().position(|t| t.kind == Tok::Open) else {
        return (Vec::new(), None);
    };
    let close = matching(&tokens, open);
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut from = open + 1;
    for (i, t) in tokens.iter().enumerate().take(close + 1).skip(open) {
        match t.kind {
            Tok::Open => depth += 1,
            Tok::Close => depth -= 1,
            _ => {}
        }
        if (t.kind == Tok::Comma && depth == 1) || i == close {
            keys.push(text_of(sql, &tokens[from..i]));
            from = i + 1;
        }
    }
    let predicate = tokens
        .iter()
        .skip(close + 1)
        .position(|t| t.kind == Tok::Word && sql[t.start..t.end].eq_ignore_ascii_case("where"))
        .map(|at| {
            let mut rest = &tokens[close + 2 + at..];
            while rest.last().is_some_and(|t| &sql[t.start..t.end] == ";") {
                rest = &rest[..rest.len() - 1];
            }
            strip_outer_parens(&text_of(sql, rest)).to_string()
        });
    (keys, predicate)
}

/// `sqlite3_exec`: every statement of `script` in turn, stopping at the first error, whose
/// message (SQLite's own words) is the error.
fn exec(db: *mut ffi::sqlite3, script: &CStr) -> Result<(), sqlx::Error> {
    let mut message: *mut std::ffi::c_char = std::ptr::null_mut();
    // SAFETY: `db` is the connection's handle, locked out from sqlx's worker;
    // `script` is NUL-terminated; SQLite allocates `message` (or leaves it null), and it is
    // freed below with sqlite3_free, as the API requires.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_exec(
            db,
            script.as_ptr(),
            None,
            std::ptr::null_mut(),
            &mut message,
        )
    };
    if rc == libsqlite3_sys::SQLITE_OK {
        return Ok(());
    }
    let text = if message.is_null() {
        // SAFETY: sqlite3_errstr returns a static string for any result code.
        unsafe { std::ffi::CStr::from_ptr(libsqlite3_sys::sqlite3_errstr(rc)) }
            .to_string_lossy()
            .into_owned()
    } else {
        // SAFETY: a non-null message is a NUL-terminated string from SQLite, freed once here.
        unsafe {
            let text = std::ffi::CStr::from_ptr(message)
                .to_string_lossy()
                .into_owned();
            libsqlite3_sys::sqlite3_free(message.cast());
            text
        }
    };
    Err(sqlx::Error::Protocol(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn dump_of(setup: &str, table: &str) -> TableDump {
        let mut engine = SqliteEngine::open().await.unwrap();
        engine.execute(setup).await.unwrap();
        engine.dump(table).await.unwrap()
    }

    #[tokio::test]
    async fn keys_read_directly_match_the_keys_of_a_dump() {
        let mut engine = SqliteEngine::open().await.unwrap();
        engine
            .execute(
                "CREATE TABLE loose (a, b TEXT);
                 INSERT INTO loose VALUES
                   (1, 'plain'), (2.5, 'quote \" and \\ back'), (NULL, 'line
break'),
                   (x'00ff', 'ünïcödé ✓'), (-9223372036854775808, ''), (1e300, NULL);
                 CREATE TABLE pair (k1 TEXT, k2 INTEGER, v TEXT, PRIMARY KEY (k1, k2));
                 INSERT INTO pair VALUES ('a', 1, 'x'), ('a', 2, 'y'), ('tab	here', -3, 'z');",
            )
            .await
            .unwrap();
        for table in ["loose", "pair"] {
            let dump = engine.dump(table).await.unwrap();
            let expected = Keys::of_dump(dump.clone());
            let sorted = |keys: &Keys| {
                let mut keys: Vec<String> = keys.iter().map(String::from).collect();
                keys.sort();
                keys
            };
            assert_eq!(expected.len(), dump.rows.len());
            for known in [None, Some(dump.order_by.as_slice())] {
                let read = engine.keys(table, known, true).unwrap();
                assert_eq!(
                    sorted(&read),
                    sorted(&expected),
                    "{table}, known: {known:?}"
                );
                assert_eq!(read.order_by, expected.order_by);
            }
        }
        let pair = engine.keys("pair", None, true).unwrap();
        assert_eq!(pair.keyed, Some(true));
        assert!(pair.iter().any(|k| k == r#"["tab\there",-3]"#));
        assert_eq!(engine.keys("loose", None, true).unwrap().keyed, Some(false));
    }

    #[tokio::test]
    async fn values_keep_their_real_types() {
        let dump = dump_of(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, r REAL, s TEXT, b BLOB, n TEXT, loose);
             INSERT INTO t VALUES (1, 1.5, 'x', x'00ff', NULL, '7');
             INSERT INTO t VALUES (2, -0.25, '', x'', NULL, 7);",
            "t",
        )
        .await;
        assert_eq!(dump.columns, ["id", "r", "s", "b", "n", "loose"]);
        assert_eq!(dump.order_by, ["id"]);
        assert_eq!(
            serde_json::to_string(&dump.rows).unwrap(),
            r#"[[1,1.5,"x","x'00ff'",null,"7"],[2,-0.25,"","x''",null,7]]"#
        );
    }

    #[tokio::test]
    async fn rows_follow_the_primary_key_else_every_column() {
        let with_pk = dump_of(
            "CREATE TABLE t (a TEXT, b INTEGER, PRIMARY KEY (b, a));
             INSERT INTO t VALUES ('z', 1), ('a', 2), ('b', 1);",
            "t",
        )
        .await;
        assert_eq!(with_pk.order_by, ["b", "a"]);
        assert_eq!(
            serde_json::to_string(&with_pk.rows).unwrap(),
            r#"[["b",1],["z",1],["a",2]]"#
        );
        let without = dump_of(
            "CREATE TABLE t (a TEXT, b INTEGER);
             INSERT INTO t VALUES ('z', 1), ('a', 2), ('a', 1);",
            "t",
        )
        .await;
        assert_eq!(without.order_by, ["a", "b"]);
        assert_eq!(
            serde_json::to_string(&without.rows).unwrap(),
            r#"[["a",1],["a",2],["z",1]]"#
        );
    }

    #[tokio::test]
    async fn lists_tables_but_not_sqlite_internals() {
        let mut engine = SqliteEngine::open().await.unwrap();
        engine
            .execute("CREATE TABLE b (id INTEGER PRIMARY KEY AUTOINCREMENT); CREATE TABLE a (x);")
            .await
            .unwrap();
        assert_eq!(engine.tables().await.unwrap(), ["a", "b"]);
    }

    async fn schema_of(setup: &str) -> Schema {
        let mut engine = SqliteEngine::open().await.unwrap();
        engine.execute(setup).await.unwrap();
        engine.schema(&|_| false).await.unwrap()
    }

    #[tokio::test]
    async fn schema_renders_every_kind_of_constraint() {
        assert_eq!(
            schema_of(crate::engine::TEST_SCHEMA).await.render(),
            "table identities
  column email varchar(255) not null
  column id integer not null
  column nickname varchar(32) null
  column organization_id integer null
  column state varchar(16) not null default 'active'
  primary key (id)
  unique (email)
  index identities_nickname_idx (nickname)
  index identities_organization_state_idx (organization_id, state)
  foreign key (organization_id) references organizations (id) on delete cascade
  check (state IN ('active', 'inactive'))

table organizations
  column id integer not null
  column slug varchar(64) not null
  primary key (id)
  unique (slug)
"
        );
    }

    #[tokio::test]
    async fn column_order_is_noise() {
        let a = schema_of(
            "CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE t (a TEXT NOT NULL DEFAULT 'x', b INTEGER REFERENCES p (id), c BLOB,
                 UNIQUE (c, a), CHECK (a <> ''));",
        )
        .await;
        let b = schema_of(
            "CREATE TABLE p (id INTEGER PRIMARY KEY);
             CREATE TABLE t (c BLOB, b INTEGER REFERENCES p (id), a TEXT NOT NULL DEFAULT 'x',
                 CHECK (a <> ''), UNIQUE (c, a));",
        )
        .await;
        assert_eq!(a, b);
        assert!(a.diff(&b, "fresh", "upgraded").is_empty());
    }

    #[tokio::test]
    async fn schema_keeps_sqlite_specifics_and_drops_their_noise() {
        let schema = schema_of(
            "CREATE TABLE Parent (code TEXT PRIMARY KEY, n INTEGER NOT NULL);
             CREATE TABLE t (
                 id INTEGER PRIMARY KEY,
                 parent TEXT REFERENCES parent ON UPDATE CASCADE, -- the parent's key, implied
                 email TEXT CHECK (email LIKE '%@%'), /* a column check */
                 gone TEXT DEFAULT NULL,
                 stamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                 loose
             );
             CREATE TABLE w (a TEXT, b TEXT, PRIMARY KEY (b, a)) WITHOUT ROWID;
             CREATE TABLE ignored_log (x);
             CREATE UNIQUE INDEX t_email_idx ON t (lower(email), id DESC) WHERE email IS NOT NULL;
             CREATE TRIGGER t_touch AFTER UPDATE ON t BEGIN SELECT 1; END;
             ALTER TABLE t RENAME COLUMN email TO address;",
        )
        .await;
        let mut engine = SqliteEngine::open().await.unwrap();
        engine
            .execute("CREATE TABLE ignored_log (x)")
            .await
            .unwrap();
        let ignored = engine.schema(&|t| t.starts_with("ignored_")).await.unwrap();
        assert!(ignored.tables.is_empty());
        let rendered = schema.render();
        assert_eq!(
            rendered,
            "table Parent
  column code text null
  column n integer not null
  primary key (code)

table ignored_log
  column x null

table t
  column address text null
  column gone text null
  column id integer not null
  column loose null
  column parent text null
  column stamp timestamp null default CURRENT_TIMESTAMP
  primary key (id)
  unique index t_email_idx (lower(address), id) where address IS NOT NULL
  foreign key (parent) references Parent (code) on update cascade
  check (address LIKE '%@%')
  trigger t_touch

table w
  column a text not null
  column b text not null
  primary key (b, a)
",
            "{rendered}"
        );
    }

    #[test]
    fn checks_and_index_parts_come_from_the_sql_text() {
        assert_eq!(
            checks(
                "CREATE TABLE \"t\" (a INT CHECK(a>0), [b] TEXT, \"check\" TEXT,
                 CONSTRAINT c CHECK ( (b  IN ('x,)', 'y'))  ), CHECK (\"b\" <> 'CHECK (z)'))"
            )
            .into_iter()
            .collect::<Vec<_>>(),
            ["a>0", "b <> 'CHECK (z)'", "b IN ('x,)', 'y')"]
        );
        assert_eq!(
            index_parts("CREATE INDEX i ON t (a, substr(b, 1, 2) COLLATE nocase) WHERE (a > 1);"),
            (
                vec![
                    "a".to_string(),
                    "substr(b, 1, 2) COLLATE nocase".to_string()
                ],
                Some("a > 1".to_string())
            )
        );
        assert_eq!(
            index_parts("CREATE INDEX i ON t(a)"),
            (vec!["a".to_string()], None)
        );
    }

    #[test]
    fn non_finite_reals_stay_readable() {
        assert_eq!(real_to_json(f64::NAN), Value::from("NaN"));
        assert_eq!(real_to_json(f64::INFINITY), Value::from("inf"));
        assert_eq!(real_to_json(2.0), serde_json::json!(2.0));
    }
}
