//! MySQL and MariaDB: a scratch database on an existing server, created with a unique name and
//! dropped at the end. DDL commits implicitly here, which failures report.

use futures_util::TryStreamExt;
use sqlx::Either;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlQueryResult, MySqlRow};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row};
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;

use super::batch::{self, Part, PartDone, PartFailed};
use super::docker::Container;
use super::{
    KeyPlan, KeyPlans, QueryResult, TableDump, connect_error, key_dumps, scratch_name,
    with_key_queries, with_timeout,
};
use crate::error::Error;
use crate::schema::{Column, ForeignKey, Index, Schema, Table, strip_outer_parens};

pub struct MysqlEngine {
    /// Connected without a default database; used only to create and drop the scratch one.
    admin: MySqlConnection,
    /// To connect again and drop the scratch database when the server dropped `admin`.
    admin_options: MySqlConnectOptions,
    conn: Option<MySqlConnection>,
    timeout: Option<Duration>,
    scratch: String,
    server: String,
    flavour: &'static str,
    /// The scratch connection's id, to end it if a run is interrupted mid-statement.
    conn_id: Option<u64>,
    container: Option<Container>,
    /// Each key query is read back by its columns' kinds (information_schema is slow on
    /// MariaDB: reusing the query saves the most here).
    key_plans: KeyPlans<Vec<Kind>>,
    /// Every table's columns, primary key and MariaDB JSON columns, read in three queries for the
    /// final dump (information_schema opens every table per query on MariaDB: one query per
    /// table each was most of a big dump's time); dropped when a script may change tables.
    meta: Option<std::collections::HashMap<String, TableMeta>>,
}

/// What a dump needs to know of a table.
#[derive(Debug, Clone, Default)]
struct TableMeta {
    /// (name, data type), in column order.
    columns: Vec<(String, String)>,
    primary_key: Vec<String>,
    json: Vec<String>,
}

/// The column of a MariaDB `json_valid(column)` check clause.
fn json_valid_column(clause: &str) -> Option<String> {
    static JSON_VALID: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^json_valid\(`?([^`()]+)`?\)$").expect("valid regex")
    });
    JSON_VALID.captures(clause.trim()).map(|m| m[1].to_string())
}

/// A row of a dump's query, each value rendered by its column's kind.
fn row_values(row: &MySqlRow, kinds: &[Kind]) -> Result<Vec<Value>, sqlx::Error> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let text: Option<String> = row.try_get(i)?;
            Ok(text.map_or(Value::Null, |t| kind.value(t)))
        })
        .collect()
}

fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

impl MysqlEngine {
    pub async fn open(url: &str, server: String) -> Result<MysqlEngine, Error> {
        let options =
            MySqlConnectOptions::from_str(url).map_err(connect_error("parse", &server))?;
        let mut admin = with_timeout(options.connect(), "connect to", &server).await?;
        let version: String = sqlx::query_scalar("SELECT VERSION()")
            .fetch_one(&mut admin)
            .await
            .map_err(connect_error("query", &server))?;
        let flavour = if version.to_lowercase().contains("mariadb") {
            "mariadb"
        } else {
            "mysql"
        };
        let scratch = scratch_name();
        let create = format!("CREATE DATABASE {} CHARACTER SET utf8mb4", quote(&scratch));
        sqlx::raw_sql(AssertSqlSafe(create))
            .execute(&mut admin)
            .await
            .map_err(connect_error("create a scratch database on", &server))?;
        let mut engine = MysqlEngine {
            admin,
            admin_options: options.clone(),
            conn: None,
            timeout: None,
            scratch,
            server,
            flavour,
            conn_id: None,
            container: None,
            key_plans: KeyPlans::default(),
            meta: None,
        };
        // sqlx sets the session time zone to UTC, so TIMESTAMP values read the same everywhere.
        match with_timeout(
            options.database(&engine.scratch).connect(),
            "connect to",
            &engine.server,
        )
        .await
        {
            Ok(mut conn) => {
                engine.conn_id = sqlx::query_scalar("SELECT CONNECTION_ID()")
                    .fetch_one(&mut conn)
                    .await
                    .ok();
                engine.conn = Some(conn);
                Ok(engine)
            }
            Err(e) => {
                let _ = engine.close().await;
                Err(e)
            }
        }
    }

    /// Ties a container's life to this engine: [`Self::close`] removes it.
    pub fn in_container(mut self, container: Container) -> Self {
        self.container = Some(container);
        self
    }

    pub fn scratch(&self) -> &str {
        &self.scratch
    }

    pub fn describe(&self) -> String {
        format!(
            "{} at {} (scratch database {})",
            self.flavour, self.server, self.scratch
        )
    }

    fn conn(&mut self) -> Result<&mut MySqlConnection, sqlx::Error> {
        self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// Makes the server stop any later statement that runs longer than `timeout`: all of them
    /// on MariaDB (`max_statement_time`), SELECTs only on MySQL (`max_execution_time`); the
    /// engine's client-side clock covers the rest.
    pub async fn set_statement_timeout(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<(), sqlx::Error> {
        self.timeout = timeout;
        let millis = timeout.map_or(0, |t| t.as_millis());
        let set = if self.flavour == "mariadb" {
            format!(
                "SET SESSION max_statement_time = {}.{:03}",
                millis / 1000,
                millis % 1000
            )
        } else {
            format!("SET SESSION max_execution_time = {millis}")
        };
        self.execute(&set).await
    }

    pub fn statement_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Gives up the scratch connection, which is mid-statement and cannot be trusted; [`close`]
    /// still ends its statement (KILL) and drops the database.
    ///
    /// [`close`]: Self::close
    pub fn abandon(&mut self) {
        self.conn = None;
    }

    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        if crate::origin::may_change_tables(sql, crate::Dialect::Mysql) {
            self.meta = None;
        }
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(self.conn()?)
            .await?;
        Ok(())
    }

    /// Runs `head`, the key query of each `planned` table (table and key columns) whose query
    /// is kept ([`KeyPlans`]), and `tail`, in one round trip; returns those tables' keys. With
    /// a table whose query is not kept, no key is read (they are left to [`Self::keys`]).
    pub async fn execute_then_keys(
        &mut self,
        head: &str,
        planned: &[(String, Vec<String>)],
        tail: &str,
    ) -> Result<Vec<TableDump>, sqlx::Error> {
        let plans = self.key_plans.all(planned);
        let batch = with_key_queries(head, plans.iter().map(|(_, p)| p.sql.as_str()), tail);
        if plans.is_empty() {
            self.execute(&batch).await?;
            return Ok(Vec::new());
        }
        if crate::origin::may_change_tables(head, crate::Dialect::Mysql) {
            self.meta = None;
        }
        let results: Vec<Either<MySqlQueryResult, MySqlRow>> = sqlx::raw_sql(AssertSqlSafe(batch))
            .fetch_many(self.conn()?)
            .try_collect()
            .await?;
        key_dumps(&results, plans, tail, |rows, plan| {
            rows.into_iter()
                .map(|row| row_values(row, &plan.read))
                .collect()
        })
    }

    /// Whether the key query of every `planned` table is kept.
    pub fn keeps_key_plans(&self, planned: &[(String, Vec<String>)]) -> bool {
        self.key_plans.has_all(planned)
    }

    /// Runs the `parts` in one round trip ([`super::batch`]); stops at the first that fails.
    pub async fn execute_batch(
        &mut self,
        parts: &[Part<'_>],
        limit: Option<Duration>,
        grace: Duration,
    ) -> Result<(Vec<PartDone>, Option<PartFailed>), sqlx::Error> {
        if parts
            .iter()
            .any(|p| crate::origin::may_change_tables(&p.head, crate::Dialect::Mysql))
        {
            self.meta = None;
        }
        let plans: Vec<_> = parts
            .iter()
            .map(|p| self.key_plans.all(p.planned))
            .collect();
        let conn = self.conn()?;
        batch::run(
            parts,
            plans,
            "CAST(UNIX_TIMESTAMP(SYSDATE(6)) AS CHAR)",
            |text| sqlx::raw_sql(AssertSqlSafe(text)).fetch_many(conn),
            limit,
            grace,
            |row: &MySqlRow| row.try_get::<String, _>(1).ok()?.parse().ok(),
            |rows, plan| {
                rows.into_iter()
                    .map(|row| row_values(row, &plan.read))
                    .collect()
            },
        )
        .await
    }

    pub async fn tables(&mut self) -> Result<Vec<String>, sqlx::Error> {
        // SHOW reads the database's own folder: a third faster than information_schema on
        // MariaDB, which a climb lists after each script that creates a table.
        let rows: Vec<MySqlRow> = sqlx::raw_sql("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")
            .fetch_all(self.conn()?)
            .await?;
        let mut names = rows
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<Vec<String>, _>>()?;
        // Byte order, as a binary collation sorts.
        names.sort();
        Ok(names)
    }

    pub async fn dump(&mut self, table: &str) -> Result<TableDump, sqlx::Error> {
        self.dump_with(table, false, true).await
    }

    /// Only the key columns, in no particular order (see [`super::Engine::keys`]); unless
    /// `read`, no row (a table known to be empty; the key query is kept).
    pub async fn keys(
        &mut self,
        table: &str,
        known: Option<&[String]>,
        read: bool,
    ) -> Result<TableDump, sqlx::Error> {
        if read && let Some(plan) = self.key_plans.get(table, known) {
            let rows = self.read_rows(plan.sql.clone(), &plan.read).await?;
            return Ok(plan.dump(table, rows));
        }
        self.dump_with(table, true, read).await
    }

    /// A table's metadata: for key reads after a step, by queries on that table alone; for
    /// whole dumps, from the cache of every table.
    async fn table_meta(&mut self, table: &str, alone: bool) -> Result<TableMeta, sqlx::Error> {
        if !alone {
            if self.meta.is_none() {
                self.meta = Some(self.all_meta().await?);
            }
            return Ok(self
                .meta
                .as_ref()
                .and_then(|m| m.get(table))
                .cloned()
                .unwrap_or_default());
        }
        // Separate queries: MariaDB runs a join of information_schema tables far slower. A
        // name of plain characters goes into their text, and both go in one round trip.
        const COLUMNS: &str = "SELECT CAST(COLUMN_NAME AS CHAR), CAST(DATA_TYPE AS CHAR) \
             FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION";
        const PRIMARY_KEY: &str = "SELECT CAST(COLUMN_NAME AS CHAR) \
             FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' \
             ORDER BY ORDINAL_POSITION";
        let (columns, primary_key) = if table
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        {
            let literal = format!("'{table}'");
            let both = format!(
                "{};\n{}",
                COLUMNS.replace('?', &literal),
                PRIMARY_KEY.replace('?', &literal)
            );
            let results: Vec<Either<MySqlQueryResult, MySqlRow>> =
                sqlx::raw_sql(AssertSqlSafe(both))
                    .fetch_many(self.conn()?)
                    .try_collect()
                    .await?;
            let [columns, primary_key]: [Vec<&MySqlRow>; 2] = super::last_rows(&results, 2, 0)
                .and_then(|rows| rows.try_into().ok())
                .ok_or_else(|| {
                    sqlx::Error::Protocol("the table's columns came back short".into())
                })?;
            let columns = columns
                .into_iter()
                .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
                .collect::<Result<Vec<(String, String)>, sqlx::Error>>()?;
            let primary_key = primary_key
                .into_iter()
                .map(|row| row.try_get(0))
                .collect::<Result<Vec<String>, sqlx::Error>>()?;
            (columns, primary_key)
        } else {
            let columns: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(COLUMNS))
                .bind(table)
                .fetch_all(self.conn()?)
                .await?;
            let primary_key: Vec<String> = sqlx::query_scalar(AssertSqlSafe(PRIMARY_KEY))
                .bind(table)
                .fetch_all(self.conn()?)
                .await?;
            (columns, primary_key)
        };
        // MariaDB's JSON is LONGTEXT with a check: it only matters to the key columns read
        // here when one of them can be JSON (every column, for a table without primary key).
        let json_possible = primary_key.is_empty()
            || columns.iter().any(|(name, data_type)| {
                primary_key.contains(name) && data_type.eq_ignore_ascii_case("longtext")
            });
        let json = if json_possible {
            self.mariadb_json_columns(table).await?
        } else {
            Vec::new()
        };
        Ok(TableMeta {
            columns,
            primary_key,
            json,
        })
    }

    /// [`TableMeta`] of every table, in three queries.
    async fn all_meta(
        &mut self,
    ) -> Result<std::collections::HashMap<String, TableMeta>, sqlx::Error> {
        let mut meta: std::collections::HashMap<String, TableMeta> =
            std::collections::HashMap::new();
        let columns: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), CAST(DATA_TYPE AS CHAR) \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             ORDER BY TABLE_NAME, ORDINAL_POSITION",
        )
        .fetch_all(self.conn()?)
        .await?;
        for (table, column, data_type) in columns {
            meta.entry(table)
                .or_default()
                .columns
                .push((column, data_type));
        }
        let keys: Vec<(String, String)> = sqlx::query_as(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) \
             FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY' \
             ORDER BY TABLE_NAME, ORDINAL_POSITION",
        )
        .fetch_all(self.conn()?)
        .await?;
        for (table, column) in keys {
            meta.entry(table).or_default().primary_key.push(column);
        }
        if self.flavour == "mariadb" {
            let checks: Vec<(String, String)> = sqlx::query_as(
                "SELECT CAST(TABLE_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR) \
                 FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
            )
            .fetch_all(self.conn()?)
            .await?;
            for (table, clause) in checks {
                if let Some(column) = json_valid_column(&clause) {
                    meta.entry(table).or_default().json.push(column);
                }
            }
        }
        Ok(meta)
    }

    /// The whole table, or only its key columns (`keys_only`), reading its rows unless `read`
    /// is false.
    async fn dump_with(
        &mut self,
        table: &str,
        keys_only: bool,
        read: bool,
    ) -> Result<TableDump, sqlx::Error> {
        let (sql, kinds, dump) = self.dump_query(table, keys_only).await?;
        let rows = if read {
            self.read_rows(sql, &kinds).await?
        } else {
            Vec::new()
        };
        Ok(TableDump { rows, ..dump })
    }

    /// Every table of `tables`, whole: their queries in one round trip.
    pub async fn dump_all(&mut self, tables: &[String]) -> Result<Vec<TableDump>, sqlx::Error> {
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let mut queries = Vec::with_capacity(tables.len());
        let mut dumps = Vec::with_capacity(tables.len());
        for table in tables {
            let (sql, kinds, dump) = self.dump_query(table, false).await?;
            queries.push(sql);
            dumps.push((kinds, dump));
        }
        // As plain text, as `read_rows` runs one.
        let results: Vec<Either<MySqlQueryResult, MySqlRow>> =
            sqlx::raw_sql(AssertSqlSafe(queries.join(";\n")))
                .fetch_many(self.conn()?)
                .try_collect()
                .await?;
        let rows = super::last_rows(&results, dumps.len(), 0)
            .ok_or_else(|| sqlx::Error::Protocol("the table dumps returned no result".into()))?;
        dumps
            .into_iter()
            .zip(rows)
            .map(|((kinds, dump), rows)| {
                let rows = rows
                    .into_iter()
                    .map(|row| row_values(row, &kinds))
                    .collect::<Result<_, _>>()?;
                Ok(TableDump { rows, ..dump })
            })
            .collect()
    }

    /// A table's dump query (only its key columns, unordered, when `keys_only`; then kept as
    /// its key query), how to read each column, and the dump without its rows.
    async fn dump_query(
        &mut self,
        table: &str,
        keys_only: bool,
    ) -> Result<(String, Vec<Kind>, TableDump), sqlx::Error> {
        let TableMeta {
            columns,
            primary_key: pk,
            json: json_columns,
        } = self.table_meta(table, keys_only).await?;
        let keyed = !pk.is_empty();
        let order_by: Vec<String> = if pk.is_empty() {
            columns.iter().map(|(n, _)| n.clone()).collect()
        } else {
            pk
        };
        let mut columns = columns;
        if keys_only {
            columns.retain(|(n, _)| order_by.contains(n));
        }
        let kinds: Vec<Kind> = columns
            .iter()
            .map(|(n, t)| {
                if json_columns.contains(n) {
                    Kind::Json
                } else {
                    Kind::of(t)
                }
            })
            .collect();
        let select: Vec<String> = columns
            .iter()
            .zip(&kinds)
            .map(|((n, _), k)| k.select(&quote(n)))
            .collect();
        let order: Vec<String> = order_by
            .iter()
            .map(|n| {
                let kind = columns
                    .iter()
                    .zip(&kinds)
                    .find(|((c, _), _)| c == n)
                    .map_or(Kind::Text, |(_, k)| *k);
                kind.order(&quote(n))
            })
            .collect();
        let select_list = if select.is_empty() {
            "NULL".to_string()
        } else {
            select.join(", ")
        };
        let order_list = if order.is_empty() || keys_only {
            String::new()
        } else {
            format!(" ORDER BY {}", order.join(", "))
        };
        let sql = format!("SELECT {select_list} FROM {}{order_list}", quote(table));
        if keys_only {
            let names = columns.iter().map(|(n, _)| n.clone()).collect();
            let plan = KeyPlan {
                sql: sql.clone(),
                columns: names,
                read: kinds.clone(),
                order_by: order_by.clone(),
            };
            self.key_plans.keep(table, plan);
        }
        let dump = TableDump {
            name: table.to_string(),
            columns: columns.into_iter().map(|(n, _)| n).collect(),
            order_by,
            rows: Vec::new(),
            keyed: Some(keyed),
        };
        Ok((sql, kinds, dump))
    }

    /// Runs a dump's query and renders each value by its column's kind.
    async fn read_rows(
        &mut self,
        sql: String,
        kinds: &[Kind],
    ) -> Result<Vec<Vec<Value>>, sqlx::Error> {
        // As plain text, not a prepared statement: a dump of many tables overflows sqlx's
        // statement cache, and closing an evicted statement before preparing the next one
        // stalls each query by the TCP delayed-ACK timeout (about 40 ms).
        let rows: Vec<MySqlRow> = sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_all(self.conn()?)
            .await?;
        rows.iter().map(|row| row_values(row, kinds)).collect()
    }

    /// MariaDB's JSON is LONGTEXT with a `json_valid(column)` check; those columns render as
    /// JSON, as MySQL's JSON type does.
    async fn mariadb_json_columns(&mut self, table: &str) -> Result<Vec<String>, sqlx::Error> {
        if self.flavour != "mariadb" {
            return Ok(Vec::new());
        }
        let clauses: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(CHECK_CLAUSE AS CHAR) FROM information_schema.CHECK_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?",
        )
        .bind(table)
        .fetch_all(self.conn()?)
        .await?;
        Ok(clauses
            .iter()
            .filter_map(|c| json_valid_column(c))
            .collect())
    }

    /// The schema of the scratch database, read from information_schema in one pass.
    /// Runs the query over the text protocol, where every value arrives as text, then reads
    /// each by its column's type.
    pub async fn query(&mut self, sql: &str) -> Result<QueryResult, sqlx::Error> {
        use sqlx::{Column, TypeInfo};
        let rows: Vec<MySqlRow> = sqlx::raw_sql(AssertSqlSafe(super::bare_query(sql)))
            .fetch_all(self.conn()?)
            .await?;
        let Some(first) = rows.first() else {
            return Ok(QueryResult {
                columns: Vec::new(),
                rows: Vec::new(),
            });
        };
        let columns: Vec<String> = first
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let kinds: Vec<Kind> = first
            .columns()
            .iter()
            .map(|c| {
                let info = c.type_info();
                match Kind::of(&info.name().to_ascii_lowercase().replace(" unsigned", "")) {
                    // Text columns in a binary-safe collation (MariaDB's JSON, utf8mb4_bin) are
                    // reported as blobs; only the `binary` collation (63) means bytes. sqlx has no
                    // accessor for the collation, but its Debug form shows it.
                    Kind::Bytes if !format!("{info:?}").contains("Collation(63)") => Kind::Text,
                    _ if info.name() == "BOOLEAN" => Kind::Integer,
                    kind => kind,
                }
            })
            .collect();
        let rows = rows
            .iter()
            .map(|row| {
                kinds
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| {
                        let raw: Option<Vec<u8>> = row.try_get_unchecked(i)?;
                        Ok(raw.map_or(Value::Null, |bytes| {
                            match (kind, String::from_utf8(bytes)) {
                                (Kind::Bytes, Ok(text)) => {
                                    Value::from(super::hex_literal(text.as_bytes()))
                                }
                                (_, Ok(text)) => kind.value(text),
                                (_, Err(e)) => Value::from(super::hex_literal(e.as_bytes())),
                            }
                        }))
                    })
                    .collect::<Result<Vec<Value>, sqlx::Error>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(QueryResult { columns, rows })
    }

    pub async fn schema(
        &mut self,
        ignore: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Schema, sqlx::Error> {
        let mariadb = self.flavour == "mariadb";
        let mut tables: std::collections::BTreeMap<String, Table> = self
            .tables()
            .await?
            .into_iter()
            .filter(|t| !ignore(t))
            .map(|t| (t, Table::default()))
            .collect();
        let conn = self.conn()?;
        type ColumnRow = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let columns: Vec<ColumnRow> = sqlx::query_as(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), \
               CAST(COLUMN_TYPE AS CHAR), CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR), \
               CAST(EXTRA AS CHAR), CAST(GENERATION_EXPRESSION AS CHAR) \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
        )
        .fetch_all(&mut *conn)
        .await?;
        // MySQL 8 has EXPRESSION for functional key parts; MariaDB has no such indexes.
        let expression = if mariadb {
            "CAST(NULL AS CHAR)"
        } else {
            "CAST(EXPRESSION AS CHAR)"
        };
        type IndexRow = (
            String,
            String,
            i64,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        let statistics: Vec<IndexRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), \
                   CAST(NON_UNIQUE AS SIGNED), CAST(COLUMN_NAME AS CHAR), \
                   CAST(SUB_PART AS SIGNED), {expression} \
                 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
                 ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        )))
        .fetch_all(&mut *conn)
        .await?;
        // The referenced table is named as `tables()` names it: bare in this database.
        let references: Vec<(String, String, String, String, String, String, String)> =
            sqlx::query_as(
                "SELECT CAST(k.TABLE_NAME AS CHAR), CAST(k.CONSTRAINT_NAME AS CHAR), \
                   CAST(k.COLUMN_NAME AS CHAR), \
                   CAST(IF(k.REFERENCED_TABLE_SCHEMA = DATABASE(), k.REFERENCED_TABLE_NAME, \
                     CONCAT(k.REFERENCED_TABLE_SCHEMA, '.', k.REFERENCED_TABLE_NAME)) AS CHAR), \
                   CAST(k.REFERENCED_COLUMN_NAME AS CHAR), \
                   CAST(r.DELETE_RULE AS CHAR), CAST(r.UPDATE_RULE AS CHAR) \
                 FROM information_schema.KEY_COLUMN_USAGE k \
                 JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                   ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA \
                   AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
                 WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
                 ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            )
            .fetch_all(&mut *conn)
            .await?;
        // MariaDB's CHECK_CONSTRAINTS has the table; MySQL's needs TABLE_CONSTRAINTS for it.
        let checks_sql = if mariadb {
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR) \
             FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()"
        } else {
            "SELECT CAST(t.TABLE_NAME AS CHAR), CAST(c.CHECK_CLAUSE AS CHAR) \
             FROM information_schema.CHECK_CONSTRAINTS c \
             JOIN information_schema.TABLE_CONSTRAINTS t \
               ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA \
               AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME AND t.CONSTRAINT_TYPE = 'CHECK' \
             WHERE c.CONSTRAINT_SCHEMA = DATABASE()"
        };
        let checks: Vec<(String, String)> =
            sqlx::query_as(checks_sql).fetch_all(&mut *conn).await?;
        let triggers: Vec<(String, String)> = sqlx::query_as(
            "SELECT CAST(EVENT_OBJECT_TABLE AS CHAR), CAST(TRIGGER_NAME AS CHAR) \
             FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
        )
        .fetch_all(&mut *conn)
        .await?;

        for (table, name, column_type, nullable, default, extra, generation) in columns {
            let Some(t) = tables.get_mut(&table) else {
                continue;
            };
            let column = Column {
                data_type: type_of(&column_type),
                nullable: nullable == "YES",
                default: default_of(
                    mariadb,
                    &column_type,
                    default.as_deref(),
                    extra.as_deref().unwrap_or(""),
                    generation.as_deref().unwrap_or(""),
                ),
            };
            t.columns.insert(name, column);
        }
        for (table, clause) in checks {
            let Some(t) = tables.get_mut(&table) else {
                continue;
            };
            let clause = strip_outer_parens(&INTRODUCER.replace_all(&clause, "'")).to_string();
            // MariaDB's JSON is LONGTEXT plus this check: read it as MySQL's JSON type.
            if let Some(m) = JSON_VALID.captures(&clause)
                && let Some(c) = t.columns.get_mut(&m[1])
                && c.data_type == "longtext"
            {
                c.data_type = "json".to_string();
                continue;
            }
            t.checks.insert(clause);
        }
        let mut keys: Vec<(String, String, ForeignKey)> = Vec::new();
        for (table, constraint, column, parent, parent_column, on_delete, on_update) in references {
            if !tables.contains_key(&table) {
                continue;
            }
            if keys
                .last()
                .is_none_or(|(t, c, _)| *t != table || *c != constraint)
            {
                let key = ForeignKey {
                    references: parent,
                    on_delete: rule(&on_delete),
                    on_update: rule(&on_update),
                    ..ForeignKey::default()
                };
                keys.push((table.clone(), constraint.clone(), key));
            }
            let (_, _, key) = keys.last_mut().expect("pushed above");
            key.columns.push(column);
            key.referenced_columns.push(parent_column);
        }
        let mut indexes: Vec<(String, Index)> = Vec::new();
        for (table, name, non_unique, column, sub_part, expression) in statistics {
            if name == "PRIMARY" || !tables.contains_key(&table) {
                continue;
            }
            if indexes
                .last()
                .is_none_or(|(t, i)| *t != table || i.name != name)
            {
                let index = Index {
                    name,
                    unique: non_unique == 0,
                    ..Index::default()
                };
                indexes.push((table.clone(), index));
            }
            let (_, index) = indexes.last_mut().expect("pushed above");
            let key = match (column, expression) {
                (Some(column), _) => column,
                (None, Some(expression)) => format!("({})", strip_outer_parens(&expression)),
                (None, None) => "?".to_string(),
            };
            index.columns.push(match sub_part {
                Some(length) => format!("{key}({length})"),
                None => key,
            });
        }
        for (table, index) in indexes {
            // InnoDB creates an index for a foreign key that has none, named after the
            // constraint (or its first column when the constraint is unnamed), and silently
            // drops it when a later index can serve: whether it exists depends on history.
            let implicit = keys.iter().any(|(t, constraint, key)| {
                *t == table
                    && !index.unique
                    && index.columns == key.columns
                    && (index.name == *constraint
                        || (constraint.starts_with(&format!("{table}_ibfk_"))
                            && index.name == key.columns[0]))
            });
            if !implicit && let Some(t) = tables.get_mut(&table) {
                t.indexes.insert(index);
            }
        }
        for (table, _, key) in keys {
            if let Some(t) = tables.get_mut(&table) {
                t.foreign_keys.insert(key);
            }
        }
        for (table, trigger) in triggers {
            if let Some(t) = tables.get_mut(&table) {
                t.triggers.insert(trigger);
            }
        }
        // The primary key from STATISTICS, in key order.
        let primary: Vec<(String, String)> = sqlx::query_as(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) \
             FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'PRIMARY' \
             ORDER BY TABLE_NAME, SEQ_IN_INDEX",
        )
        .fetch_all(self.conn()?)
        .await?;
        for (table, column) in primary {
            if let Some(t) = tables.get_mut(&table) {
                t.primary_key.push(column);
            }
        }
        Ok(Schema { tables })
    }

    pub async fn close(mut self) -> Result<(), Error> {
        if let Some(conn) = self.conn.take() {
            let _ = tokio::time::timeout(super::CLOSE_TIMEOUT, conn.close()).await;
        }
        if let Some(id) = self.conn_id {
            // A statement still running would hold locks that block DROP DATABASE.
            let _ = sqlx::raw_sql(AssertSqlSafe(format!("KILL {id}")))
                .execute(&mut self.admin)
                .await;
        }
        let scratch = &self.scratch;
        let dropped = super::drop_scratch(
            &mut self.admin,
            &self.admin_options,
            &self.server,
            async |admin| drop_database(admin, scratch).await,
        )
        .await;
        let _ = self.admin.close().await;
        if let Some(container) = self.container.take() {
            container.remove().await;
        }
        dropped.map_err(|message| Error::Leftover {
            database: self.scratch.clone(),
            server: self.server.clone(),
            message,
            drop: format!("DROP DATABASE {}", quote(&self.scratch)),
        })
    }
}

/// Drops the scratch database `scratch` through `admin`.
async fn drop_database(admin: &mut MySqlConnection, scratch: &str) -> Result<(), String> {
    let drop = format!("DROP DATABASE IF EXISTS {}", quote(scratch));
    sqlx::raw_sql(AssertSqlSafe(drop))
        .execute(admin)
        .await
        .map(|_| ())
        .map_err(|e| super::db_message(&e))
}

/// `_utf8mb4'x'` → `'x'`: MySQL 8 writes charset introducers into check and default
/// expressions, MariaDB does not.
static INTRODUCER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b_(?:utf8mb4|utf8mb3|utf8|latin1|ascii|binary)'").expect("valid regex")
});

static JSON_VALID: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^json_valid\(`?([^`()]+)`?\)$").expect("valid regex")
});

/// COLUMN_TYPE lowercased, without integer display widths: MySQL 8.0.19+ prints `int`,
/// MariaDB `int(11)`. `tinyint(1)` (a boolean to both) and ZEROFILL widths stay.
fn type_of(column_type: &str) -> String {
    static WIDTH: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^(tinyint|smallint|mediumint|int|bigint|year)\(\d+\)")
            .expect("valid regex")
    });
    let lower = column_type.trim().to_lowercase();
    if lower == "tinyint(1)" || lower.contains("zerofill") {
        return lower;
    }
    WIDTH.replace(&lower, "$1").into_owned()
}

/// A default that reads the same on MySQL and MariaDB: string literals quoted (`'active'`), no
/// default rather than NULL, `current_timestamp()` however it was spelt; auto-increment, ON UPDATE
/// and generated columns say so.
fn default_of(
    mariadb: bool,
    column_type: &str,
    default: Option<&str>,
    extra: &str,
    generation: &str,
) -> Option<String> {
    static NOW: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)^(?:current_timestamp|now|localtime|localtimestamp)(?:\((\d*)\))?$")
            .expect("valid regex")
    });
    static ON_UPDATE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)on update ([a-z_]+(?:\(\d*\))?)").expect("valid regex")
    });
    let now = |expr: &str| match NOW.captures(expr.trim()) {
        Some(m) => format!("current_timestamp({})", m.get(1).map_or("", |p| p.as_str())),
        None => expr.trim().to_string(),
    };
    let extra_lower = extra.to_lowercase();
    if extra_lower.contains("auto_increment") {
        return Some("auto_increment".to_string());
    }
    if !generation.trim().is_empty() {
        let kind = if extra_lower.contains("virtual") {
            "virtual"
        } else {
            "stored"
        };
        let expr = INTRODUCER.replace_all(generation, "'");
        return Some(format!(
            "generated always as ({}) {kind}",
            strip_outer_parens(&expr)
        ));
    }
    let value = match default {
        None => None,
        // MariaDB: NULL as text for DEFAULT NULL; literals quoted, expressions bare.
        Some(d) if mariadb => (d.trim() != "NULL").then(|| now(d)),
        // MySQL: expressions marked DEFAULT_GENERATED; literals bare, quoted here unless numeric.
        Some(d) if extra_lower.contains("default_generated") => {
            Some(now(&INTRODUCER.replace_all(d, "'")))
        }
        Some(d) => {
            let numeric = [
                "tinyint",
                "smallint",
                "mediumint",
                "int",
                "bigint",
                "decimal",
                "numeric",
                "float",
                "double",
                "real",
                "bit",
                "year",
            ]
            .iter()
            .any(|t| column_type.to_lowercase().starts_with(t));
            Some(if numeric {
                d.to_string()
            } else {
                format!("'{}'", d.replace('\'', "''"))
            })
        }
    };
    let on_update = ON_UPDATE
        .captures(extra)
        .map(|m| format!("on update {}", now(&m[1])));
    match (value, on_update) {
        (Some(v), Some(u)) => Some(format!("{v} {u}")),
        (None, Some(u)) => Some(u),
        (v, None) => v,
    }
}

/// A referential action, lowercase. InnoDB treats RESTRICT and NO ACTION alike, and MariaDB
/// reports an unspecified action as RESTRICT where MySQL says NO ACTION: both read `no action`.
fn rule(action: &str) -> String {
    match action.to_lowercase().as_str() {
        "restrict" => "no action".to_string(),
        other => other.to_string(),
    }
}

/// How a MySQL type is read: every value comes back as text, then becomes JSON by kind, so
/// that each renders the same way on every run and server version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Integers, including `tinyint(1)` booleans (kept as the 0/1 the table holds) and BIT.
    Integer,
    Bit,
    Float,
    /// DECIMAL: text, since a JSON number would round it.
    Decimal,
    Bytes,
    Json,
    Text,
}

impl Kind {
    fn of(data_type: &str) -> Kind {
        match data_type.to_ascii_lowercase().as_str() {
            "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "year" => {
                Kind::Integer
            }
            "bit" => Kind::Bit,
            "float" | "double" | "real" => Kind::Float,
            "decimal" | "numeric" => Kind::Decimal,
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => Kind::Bytes,
            "json" => Kind::Json,
            _ => Kind::Text,
        }
    }

    fn select(self, column: &str) -> String {
        match self {
            Kind::Bytes => format!("CONCAT('x''', LOWER(HEX({column})), '''')"),
            Kind::Bit => format!("CAST({column} + 0 AS CHAR)"),
            _ => format!("CAST({column} AS CHAR)"),
        }
    }

    /// Text sorts by bytes, whatever the column's collation says.
    fn order(self, column: &str) -> String {
        match self {
            Kind::Text | Kind::Json => format!("CAST({column} AS BINARY)"),
            _ => column.to_string(),
        }
    }

    fn value(self, text: String) -> Value {
        let parsed = match self {
            Kind::Integer | Kind::Bit => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<u64>().map(Value::from))
                .ok(),
            Kind::Float => text.parse::<f64>().ok().map(super::sqlite::real_to_json),
            Kind::Json => serde_json::from_str(&text).ok(),
            Kind::Decimal | Kind::Bytes | Kind::Text => None,
        };
        parsed.unwrap_or(Value::String(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds `setup` on a scratch database of the local server (skipped if none answers) and
    /// returns its schema; the scratch database is dropped whatever happens.
    async fn schema_of(setup: &str) -> Option<Schema> {
        super::super::test_schema_on(
            "LADDER_MYSQL_URL",
            "mysql://root@127.0.0.1:3306",
            3306,
            setup,
        )
        .await
    }

    #[tokio::test]
    async fn schema_renders_every_kind_of_constraint() {
        let Some(schema) = schema_of(crate::engine::TEST_SCHEMA).await else {
            return;
        };
        assert_eq!(
            schema.render(),
            "table identities
  column email varchar(255) not null
  column id int not null
  column nickname varchar(32) null
  column organization_id int null
  column state varchar(16) not null default 'active'
  primary key (id)
  unique index identities_email_key (email)
  index identities_nickname_idx (nickname)
  index identities_organization_state_idx (organization_id, state)
  foreign key (organization_id) references organizations (id) on delete cascade
  check (`state` in ('active','inactive'))

table organizations
  column id int not null
  column slug varchar(64) not null
  primary key (id)
  unique index organizations_slug_key (slug)
"
        );
    }

    #[tokio::test]
    async fn schema_normalises_mysql_noise() {
        let Some(schema) = schema_of(
            "CREATE TABLE p (id INT PRIMARY KEY AUTO_INCREMENT, code VARCHAR(8) NOT NULL UNIQUE);
             CREATE TABLE t (
                 id BIGINT UNSIGNED NOT NULL,
                 pid INT,
                 code VARCHAR(8),
                 quote VARCHAR(8) DEFAULT 'it''s',
                 n INT DEFAULT 0,
                 flag TINYINT(1) NOT NULL DEFAULT 1,
                 gone VARCHAR(5) DEFAULT NULL,
                 doc JSON,
                 stamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
                 twice INT AS (n * 2) STORED,
                 CONSTRAINT t_p_fk FOREIGN KEY (pid) REFERENCES p (id),
                 FOREIGN KEY (code) REFERENCES p (code) ON UPDATE CASCADE,
                 KEY t_code_prefix (code(4))
             );
             CREATE TABLE ignored_log (x INT);
             CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW SET NEW.n = NEW.n;",
        )
        .await
        else {
            return;
        };
        let rendered = schema.render();
        assert_eq!(
            rendered,
            "table p
  column code varchar(8) not null
  column id int not null default auto_increment
  primary key (id)
  unique index code (code)

table t
  column code varchar(8) null
  column doc json null
  column flag tinyint(1) not null default 1
  column gone varchar(5) null
  column id bigint unsigned not null
  column n int null default 0
  column pid int null
  column quote varchar(8) null default 'it''s'
  column stamp timestamp not null default current_timestamp() on update current_timestamp()
  column twice int null default generated always as (`n` * 2) stored
  index t_code_prefix (code(4))
  foreign key (code) references p (code) on update cascade
  foreign key (pid) references p (id)
  trigger t_touch
",
            "{rendered}"
        );
    }

    #[test]
    fn mysql_8_spellings_read_like_mariadb_ones() {
        assert_eq!(type_of("INT"), "int");
        assert_eq!(type_of("int(11) unsigned"), "int unsigned");
        assert_eq!(type_of("tinyint(1)"), "tinyint(1)");
        assert_eq!(
            type_of("int(5) unsigned zerofill"),
            "int(5) unsigned zerofill"
        );
        let mysql =
            |column_type, default, extra| default_of(false, column_type, default, extra, "");
        let mariadb = |column_type, default| default_of(true, column_type, default, "", "");
        for (mysql, mariadb) in [
            (
                mysql("varchar(16)", Some("active"), ""),
                mariadb("varchar(16)", Some("'active'")),
            ),
            (
                mysql("varchar(8)", Some("it's"), ""),
                mariadb("varchar(8)", Some("'it''s'")),
            ),
            (mysql("int", Some("0"), ""), mariadb("int(11)", Some("0"))),
            (
                mysql("varchar(5)", None, ""),
                mariadb("varchar(5)", Some("NULL")),
            ),
            (
                mysql("timestamp", Some("CURRENT_TIMESTAMP"), "DEFAULT_GENERATED"),
                mariadb("timestamp", Some("current_timestamp()")),
            ),
            (
                mysql("varchar(36)", Some("uuid()"), "DEFAULT_GENERATED"),
                mariadb("varchar(36)", Some("uuid()")),
            ),
            (
                mysql("text", Some("_utf8mb4'x'"), "DEFAULT_GENERATED"),
                mariadb("text", Some("'x'")),
            ),
        ] {
            assert_eq!(mysql, mariadb);
        }
        assert_eq!(
            default_of(
                false,
                "datetime(3)",
                Some("CURRENT_TIMESTAMP(3)"),
                "DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)",
                ""
            )
            .as_deref(),
            Some("current_timestamp(3) on update current_timestamp(3)")
        );
        assert_eq!(rule("RESTRICT"), "no action");
        assert_eq!(rule("SET NULL"), "set null");
    }
}
