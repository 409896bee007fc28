//! Engines: where a ladder runs. The runner sees one small interface; each database has a file.

mod batch;
mod docker;
mod mysql;
mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::dialect::Dialect;
use crate::error::Error;
use crate::schema::Schema;

pub use batch::{Part, PartDone, PartFailed, Stop};
pub use docker::DockerSpec;
pub use mysql::MysqlEngine;
pub use postgres::PostgresEngine;
pub use sqlite::SqliteEngine;

/// How long connecting to a server may take before ladder gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long closing a scratch connection may take (it may be mid-statement after Ctrl-C).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// What `--db` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Embedded SQLite in memory: nothing to install.
    Sqlite,
    /// An existing PostgreSQL (or CockroachDB, `cockroach` dialect) server.
    Postgres { url: String, dialect: Dialect },
    /// An existing MySQL or MariaDB server.
    Mysql { url: String },
    /// A throwaway server in a container.
    Docker(DockerSpec),
}

impl Target {
    /// Reads a `--db` value.
    pub fn parse(spec: &str) -> Result<Target, Error> {
        let scheme = spec.split_once("://").map(|(s, _)| s);
        match (spec, scheme) {
            ("sqlite" | "sqlite3" | "sqlite::memory:", _) => Ok(Target::Sqlite),
            (_, Some("postgres" | "postgresql")) => Ok(Target::Postgres {
                url: spec.to_string(),
                dialect: Dialect::Postgres,
            }),
            (_, Some("cockroach" | "cockroachdb")) => Ok(Target::Postgres {
                url: format!(
                    "postgres://{}",
                    &spec[spec.find("://").map_or(0, |i| i + 3)..]
                ),
                dialect: Dialect::Cockroach,
            }),
            (_, Some("mysql")) => Ok(Target::Mysql {
                url: spec.to_string(),
            }),
            (_, Some("mariadb")) => Ok(Target::Mysql {
                url: format!("mysql://{}", &spec["mariadb://".len()..]),
            }),
            (_, Some("docker")) => DockerSpec::parse(&spec["docker://".len()..])
                .map(Target::Docker)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "unsupported --db {spec:?}\n  hint: use docker://postgres/16, \
                         docker://mysql/8, docker://mariadb/11 or docker://cockroach"
                    ))
                }),
            _ => Err(Error::Usage(format!(
                "unsupported --db {:?}\n  hint: use sqlite, postgres://user@host:5432/db, \
                 mysql://user@host:3306 or mariadb://user@host:3306",
                redact_url(spec)
            ))),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Target::Sqlite => Dialect::Sqlite3,
            Target::Postgres { dialect, .. } => *dialect,
            Target::Mysql { .. } => Dialect::Mysql,
            Target::Docker(spec) => spec.dialect(),
        }
    }
}

impl std::fmt::Display for Target {
    /// The target with any password masked: safe for output, reports and errors.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sqlite => f.write_str("sqlite"),
            Target::Postgres { url, .. } | Target::Mysql { url } => f.write_str(&redact_url(url)),
            Target::Docker(spec) => write!(f, "{spec}"),
        }
    }
}

/// `scheme://user:secret@host/db` → `scheme://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{masked}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// `host:port` of a server URL, for messages: never the credentials.
fn server_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .to_string()
}

/// A database name no other run uses: the process id, the time, and a counter.
pub(crate) fn scratch_name() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "ladder_{}_{:x}_{}",
        std::process::id(),
        nanos % (1 << 48),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub(crate) fn connect_error(
    action: &'static str,
    server: &str,
) -> impl FnOnce(sqlx::Error) -> Error {
    let target = server.to_string();
    move |e| Error::Connect {
        action,
        target,
        message: db_message(&e),
    }
}

/// Drops a server's scratch database with `drop` through the admin connection `admin`. When
/// that fails, the server may have dropped the admin connection too (a restart): ladder connects
/// again with `options` and tries once more. The error is the last failure's.
pub(crate) async fn drop_scratch<C: sqlx::Connection>(
    admin: &mut C,
    options: &C::Options,
    server: &str,
    drop: impl AsyncFn(&mut C) -> Result<(), String>,
) -> Result<(), String> {
    use sqlx::ConnectOptions;
    let dropped = drop(admin).await;
    if dropped.is_ok() {
        return dropped;
    }
    match with_timeout(options.connect(), "connect to", server).await {
        Ok(fresh) => {
            let _ = std::mem::replace(admin, fresh).close().await;
            drop(admin).await
        }
        Err(e) => Err(e.to_string()),
    }
}

pub(crate) async fn with_timeout<T>(
    fut: impl Future<Output = Result<T, sqlx::Error>>,
    action: &'static str,
    server: &str,
) -> Result<T, Error> {
    match tokio::time::timeout(CONNECT_TIMEOUT, fut).await {
        Ok(result) => result.map_err(connect_error(action, server)),
        Err(_) => Err(Error::Connect {
            action,
            target: server.to_string(),
            message: format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        }),
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
    /// Whether the table has a primary key, when this read looked (`None` when the caller gave
    /// the key columns).
    pub keyed: Option<bool>,
}

/// A table's records as [`Engine::keys`] reads them: each one's key, as text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keys {
    /// The key columns (the primary key, else every column).
    pub order_by: Vec<String>,
    /// Whether the table has a primary key, when this read looked (`None` when the caller gave
    /// the key columns).
    pub keyed: Option<bool>,
    /// SQLite: whether the key is the table's rowid (a single INTEGER PRIMARY KEY of a rowid
    /// table), so that a row's key is `[<rowid>]`; `None` when this read did not look.
    pub rowid_key: Option<bool>,
    /// Every record's key ([`key_text`]), one after the other, in no particular order: one
    /// buffer for all of them.
    text: String,
    /// Where each key ends in `text`.
    ends: Vec<usize>,
}

impl Keys {
    pub fn new(order_by: Vec<String>, keyed: Option<bool>) -> Keys {
        Keys {
            order_by,
            keyed,
            ..Keys::default()
        }
    }

    /// The keys of a dump's rows.
    pub fn of_dump(dump: TableDump) -> Keys {
        let positions = key_positions(&dump);
        let mut keys = Keys::new(dump.order_by.clone(), dump.keyed);
        for row in &dump.rows {
            keys.push(&key_text(positions.iter().filter_map(|&i| row.get(i))));
        }
        keys
    }

    pub fn push(&mut self, key: &str) {
        self.text.push_str(key);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Each record's key.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| self.text.get(start..end).unwrap_or_default())
    }
}

/// The rows a script wrote, as SQLite's update hook reports them while recording
/// ([`Engine::record_rows`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// The rowids of the rows inserted, by table.
    pub inserted: HashMap<String, Vec<i64>>,
    /// Whether a row was updated or deleted. (A REPLACE that deletes a row and the truncation
    /// of a whole table are not reported: a caller must rule them out.)
    pub changed: bool,
    /// Whether a database other than `main` (an attached or the temp one) was written to.
    pub elsewhere: bool,
}

/// `head`, each key query, and `tail`, as one multi-statement script.
pub(crate) fn with_key_queries<'a>(
    head: &str,
    queries: impl Iterator<Item = &'a str>,
    tail: &str,
) -> String {
    let mut batch = head.to_string();
    for query in queries {
        batch.push_str("\n;");
        batch.push_str(query);
    }
    batch.push_str("\n;");
    batch.push_str(tail);
    batch
}

/// The rows of each of the last `n` statements of a multi-statement script, before the `tail`
/// statements that return none, from its results in order (a statement's rows, then its
/// result); `None` when the results do not end that way.
pub(crate) fn last_rows<Q, R>(
    results: &[sqlx::Either<Q, R>],
    n: usize,
    tail: usize,
) -> Option<Vec<Vec<&R>>> {
    use sqlx::Either;
    let mut rest = results;
    for _ in 0..tail {
        let [before @ .., Either::Left(_)] = rest else {
            return None;
        };
        rest = before;
    }
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        let [before @ .., Either::Left(_)] = rest else {
            return None;
        };
        let start = before
            .iter()
            .rposition(|item| item.is_left())
            .map_or(0, |i| i + 1);
        rows.push(
            before[start..]
                .iter()
                .filter_map(|item| item.as_ref().right())
                .collect(),
        );
        rest = &before[..start];
    }
    rows.reverse();
    Some(rows)
}

/// The dumps of the key queries `plans` that ended a multi-statement script before `tail`, from
/// its `results`; `values` reads one query's rows.
pub(crate) fn key_dumps<Q, R, P>(
    results: &[sqlx::Either<Q, R>],
    plans: Vec<(&String, KeyPlan<P>)>,
    tail: &str,
    values: impl Fn(Vec<&R>, &KeyPlan<P>) -> Result<Vec<Vec<Value>>, sqlx::Error>,
) -> Result<Vec<TableDump>, sqlx::Error> {
    let tail_statements = usize::from(!tail.trim().is_empty());
    let rows = last_rows(results, plans.len(), tail_statements)
        .ok_or_else(|| sqlx::Error::Protocol("the key queries returned no result".into()))?;
    plans
        .into_iter()
        .zip(rows)
        .map(|((table, plan), rows)| {
            let rows = values(rows, &plan)?;
            Ok(plan.dump(table, rows))
        })
        .collect()
}

/// Per table, the last key query a server engine built (see [`Engine::keys`]): reused while the
/// caller's key columns are the ones it was built for, which saves the catalog round trips of
/// building it again. `R` is how the engine reads the query's values back (MySQL: each column's
/// kind; PostgreSQL needs nothing).
#[derive(Debug)]
pub(crate) struct KeyPlans<R>(HashMap<String, KeyPlan<R>>);

impl<R> Default for KeyPlans<R> {
    fn default() -> Self {
        KeyPlans(HashMap::new())
    }
}

#[derive(Debug, Clone)]
pub(crate) struct KeyPlan<R> {
    pub sql: String,
    /// The columns the query returns.
    pub columns: Vec<String>,
    pub read: R,
    /// The key columns it was built for.
    pub order_by: Vec<String>,
}

impl<R: Clone> KeyPlans<R> {
    /// `table`'s plan, when `known` are the key columns it was built for.
    pub fn get(&self, table: &str, known: Option<&[String]>) -> Option<KeyPlan<R>> {
        self.0
            .get(table)
            .filter(|plan| known == Some(plan.order_by.as_slice()))
            .cloned()
    }

    /// The plans of the `planned` tables (table and key columns), for
    /// [`Engine::execute_then_keys`]; none unless every one is kept.
    pub fn all<'a>(&self, planned: &'a [(String, Vec<String>)]) -> Vec<(&'a String, KeyPlan<R>)> {
        planned
            .iter()
            .map(|(table, known)| Some((table, self.get(table, Some(known))?)))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default()
    }

    /// Whether the plan of every `planned` table is kept ([`Self::all`] gives them all).
    pub fn has_all(&self, planned: &[(String, Vec<String>)]) -> bool {
        planned.iter().all(|(table, known)| {
            self.0
                .get(table)
                .is_some_and(|plan| plan.order_by == *known)
        })
    }

    pub fn keep(&mut self, table: &str, plan: KeyPlan<R>) {
        self.0.insert(table.to_string(), plan);
    }
}

impl<R> KeyPlan<R> {
    /// The rows its query read, as a dump of the key columns.
    pub fn dump(self, table: &str, rows: Vec<Vec<Value>>) -> TableDump {
        TableDump {
            name: table.to_string(),
            columns: self.columns,
            order_by: self.order_by,
            rows,
            keyed: None,
        }
    }
}

/// Where a dump's key columns are among its columns.
pub fn key_positions(dump: &TableDump) -> Vec<usize> {
    dump.order_by
        .iter()
        .filter_map(|k| dump.columns.iter().position(|c| c == k))
        .collect()
}

/// The key of a record: its key columns' values as a JSON array, as compact JSON writes it.
pub fn key_text<'a>(values: impl Iterator<Item = &'a Value>) -> String {
    use std::fmt::Write;
    let mut key = String::with_capacity(16);
    key.push('[');
    for (n, value) in values.enumerate() {
        if n > 0 {
            key.push(',');
        }
        // Numbers display as JSON writes them; the rest through serde_json.
        let _ = match value {
            Value::Number(number) => write!(key, "{number}"),
            other => write!(key, "{other}"),
        };
    }
    key.push(']');
    key
}

/// The rows a query returned, values as JSON with their real types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// A query without its trailing `;`, so that it can be wrapped.
pub(crate) fn bare_query(sql: &str) -> &str {
    sql.trim().trim_end_matches(';').trim_end()
}

/// What [`Engine::execute_batch`] did.
#[derive(Debug)]
pub struct Batched {
    /// Each part that ran to its end, in order: the keys read after it, and how long it took.
    pub done: Vec<(HashMap<String, Keys>, Duration)>,
    /// The part that failed, how many results of its statements came back before the error,
    /// and the error.
    pub failed: Option<(usize, usize, String)>,
    /// Whether the limit ran out and the connection was given up: what failed cannot run again.
    pub gave_up: bool,
}

/// A connection to a scratch database that ladder created and will drop.
pub enum Engine {
    Sqlite(SqliteEngine),
    Postgres(PostgresEngine, Dialect),
    Mysql(MysqlEngine),
}

/// Calls the same method on whichever engine this is.
macro_rules! each {
    ($self:expr, $e:ident => $body:expr) => {
        match $self {
            Engine::Sqlite($e) => $body,
            Engine::Postgres($e, _) => $body,
            Engine::Mysql($e) => $body,
        }
    };
}

/// Runs the same method on whichever engine this is, under `--statement-timeout`: the server
/// stops the statement itself where it can; the client gives up the connection
/// [`CLIENT_GRACE`] later.
macro_rules! limited {
    ($self:expr, $e:ident => $body:expr) => {{
        let limit = $self.statement_timeout();
        let started = Instant::now();
        let run = async { each!($self, $e => $body) };
        let done = match limit {
            Some(limit) => match tokio::time::timeout(limit + CLIENT_GRACE, run).await {
                Ok(done) => done,
                Err(_) => return Err($self.gave_up(limit)),
            },
            None => run.await,
        };
        judge(done, started, limit)
    }};
}

impl Engine {
    /// Creates the scratch database for `target` and connects to it.
    pub async fn open(target: &Target) -> Result<Engine, Error> {
        match target {
            Target::Sqlite => Ok(Engine::Sqlite(SqliteEngine::open().await?)),
            Target::Postgres { url, dialect } => Ok(Engine::Postgres(
                PostgresEngine::open(url, server_of(url)).await?,
                *dialect,
            )),
            Target::Mysql { url } => {
                Ok(Engine::Mysql(MysqlEngine::open(url, server_of(url)).await?))
            }
            Target::Docker(spec) => {
                let (container, url) = docker::start(spec).await?;
                let server = format!("{spec} ({})", server_of(&url));
                let opened = match spec.dialect() {
                    Dialect::Mysql => MysqlEngine::open(&url, server)
                        .await
                        .map(|e| Engine::Mysql(e.in_container(container))),
                    dialect => PostgresEngine::open(&url, server)
                        .await
                        .map(|e| Engine::Postgres(e.in_container(container), dialect)),
                };
                // On failure the container was moved into nothing and dropped: testcontainers
                // removes it.
                opened
            }
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Engine::Sqlite(_) => Dialect::Sqlite3,
            Engine::Postgres(_, dialect) => *dialect,
            Engine::Mysql(_) => Dialect::Mysql,
        }
    }

    /// The scratch database's name on a server (`None` for embedded SQLite).
    pub fn scratch_database(&self) -> Option<&str> {
        match self {
            Engine::Sqlite(_) => None,
            Engine::Postgres(e, _) => Some(e.scratch()),
            Engine::Mysql(e) => Some(e.scratch()),
        }
    }

    /// Whether DDL takes part in transactions; MySQL commits it implicitly.
    pub fn transactional_ddl(&self) -> bool {
        !matches!(self, Engine::Mysql(_))
    }

    /// Where the run happens, for the progress header.
    pub fn describe(&self) -> String {
        match self {
            Engine::Sqlite(_) => "sqlite3 (embedded, in memory)".to_string(),
            Engine::Postgres(e, _) => e.describe(),
            Engine::Mysql(e) => e.describe(),
        }
    }

    /// Stops any later statement that runs longer than `timeout` (`None`: no limit): the
    /// server's own timeout where it has one, SQLite's progress handler, and a client-side
    /// clock that gives up the connection when neither stopped the statement in time.
    pub async fn set_statement_timeout(&mut self, timeout: Option<Duration>) -> Result<(), String> {
        match self {
            Engine::Sqlite(e) => {
                e.set_statement_timeout(timeout);
                Ok(())
            }
            Engine::Postgres(e, _) => e.set_statement_timeout(timeout).await,
            Engine::Mysql(e) => e.set_statement_timeout(timeout).await,
        }
        .map_err(|e| db_message(&e))
    }

    pub fn statement_timeout(&self) -> Option<Duration> {
        each!(self, e => e.statement_timeout())
    }

    /// Runs one statement; the error is the database's own message, or that the statement
    /// timed out.
    pub async fn execute(&mut self, sql: &str) -> Result<(), String> {
        limited!(self, e => e.execute(sql).await)
    }

    /// Runs `head`, then, where the engine can in the same round trip (PostgreSQL,
    /// MySQL/MariaDB), the key query of each `planned` table (table and key columns, as
    /// [`Self::keys`] with those columns known), then `tail` (say, a COMMIT): returns the keys it
    /// read, and leaves out those it could not.
    pub async fn execute_then_keys(
        &mut self,
        head: &str,
        planned: &[(String, Vec<String>)],
        tail: &str,
    ) -> Result<HashMap<String, Keys>, String> {
        let dumps: Vec<TableDump> =
            limited!(self, e => e.execute_then_keys(head, planned, tail).await)?;
        Ok(dumps
            .into_iter()
            .map(|dump| (dump.name.clone(), Keys::of_dump(dump)))
            .collect())
    }

    /// Whether scripts can go to the database several in one round trip
    /// ([`Self::execute_batch`]): on the servers.
    pub fn batches(&self) -> bool {
        !matches!(self, Engine::Sqlite(_))
    }

    /// Whether [`Self::execute_then_keys`] and [`Self::execute_batch`] read the keys of every
    /// `planned` table in the script's own round trip.
    pub fn reads_keys_inline(&self, planned: &[(String, Vec<String>)]) -> bool {
        planned.is_empty()
            || match self {
                Engine::Sqlite(_) => false,
                Engine::Postgres(e, _) => e.keeps_key_plans(planned),
                Engine::Mysql(e) => e.keeps_key_plans(planned),
            }
    }

    /// Runs the `parts` in one round trip, each in its own transaction, and stops at the first
    /// that fails (servers only, see [`Self::batches`]): for each part that ran to its end, the
    /// keys of its `planned` tables and how long it took; then, if one failed, which, how many
    /// of its statements' results came back before the error (its BEGIN's included: on MySQL,
    /// which of its statements failed) and the error. With `--statement-timeout`, no result
    /// may take longer to come than the limit (and the server's grace): the connection is then
    /// given up ([`Batched::gave_up`]). An `Err` is a batch whose results could not be read.
    pub async fn execute_batch(&mut self, parts: &[Part<'_>]) -> Result<Batched, String> {
        let limit = self.statement_timeout();
        let (done, failed) = match self {
            Engine::Sqlite(_) => {
                return Err("SQLite runs scripts one at a time".to_string());
            }
            Engine::Postgres(e, _) => e.execute_batch(parts, limit, CLIENT_GRACE).await,
            Engine::Mysql(e) => e.execute_batch(parts, limit, CLIENT_GRACE).await,
        }
        .map_err(|e| db_message(&e))?;
        let mut gave_up = false;
        let failed = failed.map(|f| {
            let message = match (f.stop, limit) {
                (batch::Stop::Error { error, slow: true }, Some(limit)) => {
                    timed_out(limit, &db_message(&error))
                }
                (batch::Stop::Error { error, .. }, _) => db_message(&error),
                (_, limit) => {
                    gave_up = true;
                    self.gave_up(limit.unwrap_or_default())
                }
            };
            (f.part, f.results, message)
        });
        Ok(Batched {
            done: done
                .into_iter()
                .map(|part| {
                    let keys = part
                        .keys
                        .into_iter()
                        .map(|dump| (dump.name.clone(), Keys::of_dump(dump)))
                        .collect();
                    (keys, part.took)
                })
                .collect(),
            failed,
            gave_up,
        })
    }

    /// The client-side clock ran out: the connection is mid-statement, so it is given up
    /// (SQLite's own is interrupted by its progress handler instead).
    fn gave_up(&mut self, limit: Duration) -> String {
        match self {
            Engine::Sqlite(_) => {}
            Engine::Postgres(e, _) => e.abandon(),
            Engine::Mysql(e) => e.abandon(),
        }
        timed_out(
            limit,
            "the server did not stop it; ladder closed the connection",
        )
    }

    /// Runs `COPY … FROM stdin` with its rows (a PostgreSQL dump's data); the error is the
    /// database's own message.
    pub async fn copy_in(&mut self, statement: &str, data: &[u8]) -> Result<(), String> {
        match self {
            Engine::Postgres(e, _) => e.copy_in(statement, data).await.map_err(|e| db_message(&e)),
            _ => Err(format!(
                "COPY … FROM stdin is PostgreSQL's; this is {}",
                self.dialect()
            )),
        }
    }

    /// Restores ladder's session settings after a dump changed them (PostgreSQL's
    /// `search_path`, SQLite's `foreign_keys`). A MySQL dump restores its own from the
    /// `@OLD_…` variables it saved.
    pub async fn restore_session(&mut self) -> Result<(), String> {
        match self {
            Engine::Sqlite(e) => e.restore_session().await.map_err(|e| db_message(&e)),
            Engine::Postgres(e, _) => e.restore_session().await.map_err(|e| db_message(&e)),
            Engine::Mysql(_) => Ok(()),
        }
    }

    /// The product's tables, sorted by name.
    pub async fn tables(&mut self) -> Result<Vec<String>, String> {
        each!(self, e => e.tables().await.map_err(|e| db_message(&e)))
    }

    /// [`Self::tables`] without those matching `ignore`.
    pub async fn tables_kept(
        &mut self,
        ignore: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<String>, String> {
        let mut tables = self.tables().await?;
        tables.retain(|t| !ignore(t));
        Ok(tables)
    }

    pub async fn dump(&mut self, table: &str) -> Result<TableDump, String> {
        each!(self, e => e.dump(table).await.map_err(|e| db_message(&e)))
    }

    /// [`Self::dump`] of each of `tables`, in order: on a server in one or two round trips for
    /// all of them.
    pub async fn dump_all(&mut self, tables: &[String]) -> Result<Vec<TableDump>, String> {
        match self {
            Engine::Postgres(e, _) => return e.dump_all(tables).await.map_err(|e| db_message(&e)),
            Engine::Mysql(e) => return e.dump_all(tables).await.map_err(|e| db_message(&e)),
            Engine::Sqlite(_) => {}
        }
        let mut dumps = Vec::with_capacity(tables.len());
        for table in tables {
            dumps.push(self.dump(table).await?);
        }
        Ok(dumps)
    }

    /// Like [`Engine::dump`], but only the key columns (the primary key, else every column;
    /// still named in `order_by`), rendered the same way, in no particular order: cheaper, for
    /// following records step by step.
    /// `known`: the key columns, when the caller knows the table's schema has not changed.
    pub async fn keys(&mut self, table: &str, known: Option<&[String]>) -> Result<Keys, String> {
        self.read_keys(table, known, true).await
    }

    /// The key columns of a table known to be empty, as [`Self::keys`] would read them, with
    /// no record: a server keeps the key query for the reads to come without running it.
    pub async fn key_columns(&mut self, table: &str) -> Result<Keys, String> {
        self.read_keys(table, None, false).await
    }

    /// [`Self::keys`], reading the records unless `read` is false.
    async fn read_keys(
        &mut self,
        table: &str,
        known: Option<&[String]>,
        read: bool,
    ) -> Result<Keys, String> {
        // SQLite writes the keys as it reads them; the servers' rows go through JSON values.
        let keys = match self {
            Engine::Sqlite(e) => e.keys(table, known, read),
            Engine::Postgres(e, _) => e.keys(table, known, read).await.map(Keys::of_dump),
            Engine::Mysql(e) => e.keys(table, known, read).await.map(Keys::of_dump),
        };
        keys.map_err(|e| db_message(&e))
    }

    /// The tables, sorted by name, and, when `triggers` asks, whether the database has triggers
    /// ([`Self::tables`] and [`Self::has_triggers`]; in one query on PostgreSQL, where that
    /// costs nothing more).
    pub async fn catalog(&mut self, triggers: bool) -> Result<(Vec<String>, Option<bool>), String> {
        if let Engine::Postgres(e, _) = self {
            let (tables, any) = e.catalog().await.map_err(|e| db_message(&e))?;
            return Ok((tables, Some(any)));
        }
        let tables = self.tables().await?;
        let any = if triggers {
            Some(self.has_triggers().await?)
        } else {
            None
        };
        Ok((tables, any))
    }

    /// Learns of `names`, the tables a script just created without a schema, as
    /// [`Self::catalog`] would list them; `false` when they must be listed instead.
    pub fn created(&mut self, names: &[String]) -> bool {
        match self {
            Engine::Postgres(e, _) => e.created(names),
            Engine::Sqlite(_) | Engine::Mysql(_) => true,
        }
    }

    /// Starts recording the rows scripts write (`true`), or stops and hands over what was
    /// recorded: on SQLite, from its update hook; `None` on the servers, which have no such
    /// hook.
    pub fn record_rows(&mut self, on: bool) -> Option<Written> {
        match self {
            Engine::Sqlite(e) => e.record_rows(on),
            _ => None,
        }
    }

    /// Whether the scratch database has triggers: a statement can then write to tables it does
    /// not name.
    pub async fn has_triggers(&mut self) -> Result<bool, String> {
        let sql = match self {
            Engine::Sqlite(_) => "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'",
            Engine::Postgres(..) => "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal",
            Engine::Mysql(_) => {
                "SELECT count(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
            }
        };
        Ok(count_of(&self.query(sql).await?).is_some_and(|n| n > 0))
    }

    /// How many rows `table` has.
    pub async fn count(&mut self, table: &str) -> Result<usize, String> {
        let quoted = match self {
            Engine::Mysql(_) => format!("`{}`", table.replace('`', "``")),
            _ => quote_ident(table),
        };
        let result = self
            .query(&format!("SELECT count(*) FROM {quoted}"))
            .await?;
        count_of(&result).ok_or_else(|| format!("count(*) of {table} returned {:?}", result.rows))
    }

    /// The normalised schema of the scratch database, tables matching `ignore` left out.
    /// Runs a read-only query (step checks and step queries) and returns its rows.
    pub async fn query(&mut self, sql: &str) -> Result<QueryResult, String> {
        limited!(self, e => e.query(sql).await)
    }

    pub async fn schema(
        &mut self,
        ignore: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Schema, String> {
        each!(self, e => e.schema(ignore).await.map_err(|e| db_message(&e)))
    }

    /// Closes the connection and drops the scratch database.
    pub async fn close(self) -> Result<(), Error> {
        each!(self, e => e.close().await)
    }
}

/// The single number a `count(*)` query returned: engines give it as a number, or as
/// exact-numeric text.
fn count_of(result: &QueryResult) -> Option<usize> {
    match result.rows.first().and_then(|row| row.first()) {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

/// How long past the statement timeout the client waits for the server to stop the statement
/// itself before it gives up the connection.
const CLIENT_GRACE: Duration = Duration::from_secs(2);

/// A statement that ran as long as the limit timed out, whatever the server answered in the
/// end: stopped by its own timeout, interrupted, or (MySQL's `SLEEP`) returning normally.
fn judge<T>(
    done: Result<T, sqlx::Error>,
    started: Instant,
    limit: Option<Duration>,
) -> Result<T, String> {
    let over = limit.filter(|limit| started.elapsed() >= *limit);
    match (done, over) {
        (Ok(value), None) => Ok(value),
        (Err(e), None) => Err(db_message(&e)),
        (Ok(_), Some(limit)) => Err(timed_out(limit, "")),
        (Err(e), Some(limit)) => Err(timed_out(limit, &db_message(&e))),
    }
}

/// What a failure says about a statement that ran past `--statement-timeout`.
fn timed_out(limit: Duration, detail: &str) -> String {
    let limit = crate::duration::human(limit);
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    };
    format!(
        "timed out after {limit}{detail}\n  hint: a statement may run for --statement-timeout \
         (now {limit}); raise it, or pass 0 for no limit"
    )
}

/// The database's own words for an error, without sqlx's wrapping.
pub(crate) fn db_message(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => db.message().to_string(),
        // SQLite scripts run through sqlite3_exec report SQLite's own words this way.
        sqlx::Error::Protocol(message) => message.clone(),
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

/// For tests against the local servers: the URL in `var` (else `default`) if a server answers
/// there; otherwise `None` after printing `skipped: <why>`, or a panic when
/// `LADDER_REQUIRE_SERVERS=1`.
#[cfg(test)]
pub(crate) fn test_server(var: &str, default: &str, default_port: u16) -> Option<String> {
    use std::net::{TcpStream, ToSocketAddrs};
    let url = std::env::var(var)
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| default.to_string());
    let host = server_of(&url);
    let addr = if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host
    } else {
        format!("{host}:{default_port}")
    };
    let answered = match addr.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(a)) => TcpStream::connect_timeout(&a, Duration::from_secs(3))
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Ok(None) => Err("the address does not resolve".to_string()),
        Err(e) => Err(e.to_string()),
    };
    match answered {
        Ok(()) => Some(url),
        Err(why) => {
            let message = format!("no server answered at {addr} ({why}); set {var} to one");
            if std::env::var("LADDER_REQUIRE_SERVERS").as_deref() == Ok("1") {
                panic!("{message} (LADDER_REQUIRE_SERVERS=1: server tests must run)");
            }
            eprintln!("skipped: {message}");
            None
        }
    }
}

/// Builds `setup` in a scratch database of the local server named by `var` (skipped when none
/// answers) and returns its schema; the scratch database is dropped whatever happens.
#[cfg(test)]
pub(crate) async fn test_schema_on(
    var: &str,
    default: &str,
    default_port: u16,
    setup: &str,
) -> Option<crate::schema::Schema> {
    let url = test_server(var, default, default_port)?;
    let target = Target::parse(&url).expect("a server URL");
    let mut engine = Engine::open(&target)
        .await
        .expect("the scratch database opens");
    let schema = match engine.execute(setup).await {
        Ok(()) => engine.schema(&|t| t.starts_with("ignored_")).await,
        Err(e) => Err(e),
    };
    engine
        .close()
        .await
        .expect("the scratch database is dropped");
    Some(schema.expect("the schema is read"))
}

/// The schema every engine's schema test builds: a primary key, nullable and NOT NULL columns, a
/// default, a unique constraint, a plain and a composite index, a cascading foreign key, a check.
#[cfg(test)]
pub(crate) const TEST_SCHEMA: &str = "
CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    slug VARCHAR(64) NOT NULL,
    CONSTRAINT organizations_slug_key UNIQUE (slug)
);
CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER,
    email VARCHAR(255) NOT NULL,
    state VARCHAR(16) NOT NULL DEFAULT 'active',
    nickname VARCHAR(32),
    CONSTRAINT identities_email_key UNIQUE (email),
    CONSTRAINT identities_organization_fk FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT identities_state_check CHECK (state IN ('active', 'inactive'))
);
CREATE INDEX identities_nickname_idx ON identities (nickname);
CREATE INDEX identities_organization_state_idx ON identities (organization_id, state);
";
