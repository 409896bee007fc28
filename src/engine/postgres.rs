//! PostgreSQL (and CockroachDB, which speaks its protocol): a scratch database on an existing
//! server, created with a unique name and dropped at the end.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

use super::batch::{self, Part, PartDone, PartFailed};
use super::docker::Container;
use super::{
    KeyPlan, KeyPlans, QueryResult, TableDump, connect_error, key_dumps, last_rows, quote_ident,
    scratch_name, with_key_queries, with_timeout,
};
use crate::error::Error;
use crate::schema::{Column, ForeignKey, Index, Schema, Table, strip_outer_parens};

/// Timestamps with time zone render in UTC whatever the server's setting.
const SESSION_SETUP: &str = "SET TimeZone = 'UTC'; SET client_min_messages = warning";

/// Each column of the tables [`PostgresEngine::columns_of`] reads, with its type and its place
/// in the primary key (0: not in it); the query names the table(s) with `a` and ends with
/// [`DESCRIBED_WHERE`].
const DESCRIBED: &str = "a.attname::text, ty.typname::text, ty.typcategory::text, \
        COALESCE((SELECT k.ord::int4 FROM unnest(i.indkey) WITH ORDINALITY \
                  AS k(attnum, ord) WHERE k.attnum = a.attnum), 0) \
     FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid \
     LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary";

/// See [`DESCRIBED`].
const DESCRIBED_WHERE: &str = "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, a.attnum";

pub struct PostgresEngine {
    /// A connection to the database named in the URL, used only to create and drop the scratch
    /// database: ladder never writes into a database it did not create.
    admin: PgConnection,
    /// To connect again and drop the scratch database when the server dropped `admin`.
    admin_options: PgConnectOptions,
    conn: Option<PgConnection>,
    timeout: Option<Duration>,
    scratch: String,
    server: String,
    /// Table name as reported → (schema, table).
    tables: HashMap<String, (String, String)>,
    /// The schema a table created without one goes to, as the last listing read it; `None`
    /// after a script that may have changed it ([`forgets_schema`]).
    current_schema: Option<String>,
    container: Option<Container>,
    key_plans: KeyPlans<()>,
}

/// Whether a script may change the schema a table created without one goes to: `search_path`
/// set or reset (also by `SET SCHEMA`), or another role (`$user`).
fn forgets_schema(sql: &str) -> bool {
    ["search_path", "reset", "schema", "role", "authorization"]
        .iter()
        .any(|word| {
            sql.as_bytes()
                .windows(word.len())
                .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
        })
}

impl PostgresEngine {
    pub async fn open(url: &str, server: String) -> Result<PostgresEngine, Error> {
        let options = PgConnectOptions::from_str(url).map_err(connect_error("parse", &server))?;
        let admin_options = match options.get_database() {
            Some(_) => options.clone(),
            None => options.clone().database("postgres"),
        };
        let mut admin = with_timeout(admin_options.connect(), "connect to", &server).await?;
        let scratch = scratch_name();
        // template0: template1 may be in use by someone else, which makes CREATE DATABASE fail.
        let create = format!(
            "CREATE DATABASE {} TEMPLATE template0",
            quote_ident(&scratch)
        );
        sqlx::raw_sql(AssertSqlSafe(create))
            .execute(&mut admin)
            .await
            .map_err(connect_error("create a scratch database on", &server))?;
        let mut engine = PostgresEngine {
            admin,
            admin_options,
            conn: None,
            timeout: None,
            scratch,
            server,
            tables: HashMap::new(),
            current_schema: None,
            container: None,
            key_plans: KeyPlans::default(),
        };
        match with_timeout(
            options.database(&engine.scratch).connect(),
            "connect to",
            &engine.server,
        )
        .await
        {
            Ok(mut conn) => {
                sqlx::raw_sql(SESSION_SETUP)
                    .execute(&mut conn)
                    .await
                    .map_err(connect_error("set up", &engine.server))?;
                // A scratch database needs no durable commits: without waiting for the WAL to
                // reach the disk, a commit per migration and per testdata file costs no flush.
                // Servers that lack the setting (CockroachDB) just keep their own.
                let _ = sqlx::raw_sql("SET synchronous_commit = off")
                    .execute(&mut conn)
                    .await;
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
            "postgres at {} (scratch database {})",
            self.server, self.scratch
        )
    }

    fn conn(&mut self) -> Result<&mut PgConnection, sqlx::Error> {
        self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// Makes the server cancel any later statement that runs longer than `timeout`.
    pub async fn set_statement_timeout(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<(), sqlx::Error> {
        self.timeout = timeout;
        self.apply_timeout().await
    }

    async fn apply_timeout(&mut self) -> Result<(), sqlx::Error> {
        let millis = self.timeout.map_or(0, |t| t.as_millis());
        self.execute(&format!("SET statement_timeout = {millis}"))
            .await
    }

    pub fn statement_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Gives up the scratch connection, which is mid-statement and cannot be trusted; [`close`]
    /// still drops the database (ending the statement's session).
    ///
    /// [`close`]: Self::close
    pub fn abandon(&mut self) {
        self.conn = None;
    }

    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        if forgets_schema(sql) {
            self.current_schema = None;
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
        use futures_util::TryStreamExt;
        let plans = self.key_plans.all(planned);
        let batch = with_key_queries(head, plans.iter().map(|(_, p)| p.sql.as_str()), tail);
        if plans.is_empty() {
            self.execute(&batch).await?;
            return Ok(Vec::new());
        }
        if forgets_schema(head) {
            self.current_schema = None;
        }
        let results: Vec<sqlx::Either<sqlx::postgres::PgQueryResult, sqlx::postgres::PgRow>> =
            sqlx::raw_sql(AssertSqlSafe(batch))
                .fetch_many(self.conn()?)
                .try_collect()
                .await?;
        key_dumps(&results, plans, tail, |rows, plan| {
            json_rows(rows, plan.columns.len())
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
        use sqlx::Row;
        if parts.iter().any(|p| forgets_schema(&p.head)) {
            self.current_schema = None;
        }
        let plans: Vec<_> = parts
            .iter()
            .map(|p| self.key_plans.all(p.planned))
            .collect();
        let conn = self.conn()?;
        batch::run(
            parts,
            plans,
            "clock_timestamp()",
            |text| sqlx::raw_sql(AssertSqlSafe(text)).fetch_many(conn),
            limit,
            grace,
            // As the server writes it (text, in any DateStyle): only its time of day matters,
            // for the time between two marks.
            |row: &sqlx::postgres::PgRow| {
                row.try_get_raw(1)
                    .ok()?
                    .as_str()
                    .ok()
                    .and_then(seconds_of_day)
            },
            |rows, plan| json_rows(rows, plan.columns.len()),
        )
        .await
    }

    /// Runs `COPY … FROM stdin` with `data` (text format rows) through the COPY protocol.
    pub async fn copy_in(&mut self, statement: &str, data: &[u8]) -> Result<(), sqlx::Error> {
        let mut copy = self.conn()?.copy_in_raw(statement).await?;
        if let Err(e) = copy.send(data).await {
            // The connection is unusable until the copy ends; the server's message is in `e`.
            let _ = copy.abort("ladder: sending the rows failed").await;
            return Err(e);
        }
        copy.finish().await?;
        Ok(())
    }

    /// Undoes the `SET`s of a loaded dump (pg_dump empties `search_path`), back to ladder's own.
    pub async fn restore_session(&mut self) -> Result<(), sqlx::Error> {
        self.execute("RESET ALL").await?;
        self.execute(SESSION_SETUP).await?;
        self.apply_timeout().await
    }

    pub async fn tables(&mut self) -> Result<Vec<String>, sqlx::Error> {
        Ok(self.catalog().await?.0)
    }

    /// The tables, and whether the database has triggers, in one query.
    pub async fn catalog(&mut self) -> Result<(Vec<String>, bool), sqlx::Error> {
        // With no table, one row of NULLs still says whether there are triggers.
        // schema, table, whether the schema is the current one, whether there are triggers,
        // the current schema.
        type CatalogRow = (
            Option<String>,
            Option<String>,
            Option<bool>,
            bool,
            Option<String>,
        );
        let rows: Vec<CatalogRow> = sqlx::query_as(
            "SELECT n.nspname::text, c.relname::text, n.nspname = current_schema(), \
                    EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal), \
                    current_schema()::text \
             FROM (SELECT 1) one \
             LEFT JOIN (pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'crdb_internal', 'pg_extension') \
               AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%') ON true",
        )
        .fetch_all(self.conn()?)
        .await?;
        self.tables.clear();
        let triggers = rows.first().is_some_and(|r| r.3);
        self.current_schema = rows.first().and_then(|r| r.4.clone());
        for (schema, table, current, _, _) in rows {
            let (Some(schema), Some(table)) = (schema, table) else {
                continue;
            };
            let name = if current == Some(true) {
                table.clone()
            } else {
                format!("{schema}.{table}")
            };
            self.tables.insert(name, (schema, table));
        }
        let mut names: Vec<String> = self.tables.keys().cloned().collect();
        names.sort();
        Ok((names, triggers))
    }

    /// Learns of `names`, tables just created without a schema, as a listing would; `false`
    /// when it cannot say which schema they are in (they must be listed).
    pub fn created(&mut self, names: &[String]) -> bool {
        let Some(schema) = &self.current_schema else {
            return false;
        };
        for name in names {
            self.tables
                .insert(name.clone(), (schema.clone(), name.clone()));
        }
        true
    }

    pub async fn dump(&mut self, name: &str) -> Result<TableDump, sqlx::Error> {
        self.dump_with(name, false, true).await
    }

    /// Only the key columns, in no particular order (see [`super::Engine::keys`]); unless
    /// `read`, no row (a table known to be empty; the key query is kept).
    pub async fn keys(
        &mut self,
        name: &str,
        known: Option<&[String]>,
        read: bool,
    ) -> Result<TableDump, sqlx::Error> {
        if read && let Some(plan) = self.key_plans.get(name, known) {
            // As plain text, in one round trip: no statement to prepare for a query that
            // differs table by table.
            let rows: Vec<sqlx::postgres::PgRow> = sqlx::raw_sql(AssertSqlSafe(plan.sql.clone()))
                .fetch_all(self.conn()?)
                .await?;
            let rows = json_rows(&rows, plan.columns.len())?;
            return Ok(plan.dump(name, rows));
        }
        self.dump_with(name, true, read).await
    }

    /// The whole table, or only its key columns (`keys_only`), reading its rows unless `read`
    /// is false.
    async fn dump_with(
        &mut self,
        name: &str,
        keys_only: bool,
        read: bool,
    ) -> Result<TableDump, sqlx::Error> {
        let (qualified, described) = self.columns_of(&[name]).await?.pop().unwrap_or_default();
        let (sql, dump) = dump_query(name, &qualified, &described, keys_only);
        if keys_only {
            let plan = KeyPlan {
                sql: sql.clone(),
                columns: dump.columns.clone(),
                read: (),
                order_by: dump.order_by.clone(),
            };
            self.key_plans.keep(name, plan);
        }
        let rows = if read {
            let rows: Vec<sqlx::postgres::PgRow> = sqlx::raw_sql(AssertSqlSafe(sql))
                .fetch_all(self.conn()?)
                .await?;
            json_rows(&rows, dump.columns.len())?
        } else {
            Vec::new()
        };
        Ok(TableDump { rows, ..dump })
    }

    /// Every table in `names`, whole ([`Self::dump`]), in two round trips: one query describes
    /// them all, and their SELECTs go together.
    pub async fn dump_all(&mut self, names: &[String]) -> Result<Vec<TableDump>, sqlx::Error> {
        use futures_util::TryStreamExt;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let described = self.columns_of(&refs).await?;
        let (queries, dumps): (Vec<String>, Vec<TableDump>) = names
            .iter()
            .zip(&described)
            .map(|(name, (qualified, columns))| dump_query(name, qualified, columns, false))
            .unzip();
        let batch = queries.join(";\n");
        let results: Vec<sqlx::Either<sqlx::postgres::PgQueryResult, sqlx::postgres::PgRow>> =
            sqlx::raw_sql(AssertSqlSafe(batch))
                .fetch_many(self.conn()?)
                .try_collect()
                .await?;
        let rows = last_rows(&results, dumps.len(), 0)
            .ok_or_else(|| sqlx::Error::Protocol("the table dumps returned no result".into()))?;
        dumps
            .into_iter()
            .zip(rows)
            .map(|(dump, rows)| {
                let rows = json_rows(rows, dump.columns.len())?;
                Ok(TableDump { rows, ..dump })
            })
            .collect()
    }

    /// Table `name` (as [`Self::catalog`] names it), quoted, with its schema.
    fn qualified(&self, name: &str) -> Result<String, sqlx::Error> {
        let (schema, table) = self
            .tables
            .get(name)
            .ok_or_else(|| sqlx::Error::Protocol(format!("unknown table {name}")))?;
        Ok(format!("{}.{}", quote_ident(schema), quote_ident(table)))
    }

    /// Each table in `names`, quoted and qualified, with its columns in table order, their
    /// types and their place in the primary key: one query for all of them.
    async fn columns_of(
        &mut self,
        names: &[&str],
    ) -> Result<Vec<(String, Vec<Described>)>, sqlx::Error> {
        let qualified = names
            .iter()
            .map(|name| self.qualified(name))
            .collect::<Result<Vec<String>, sqlx::Error>>()?;
        // Each column with its place in the primary key (0: not in it).
        // One table by a query whose plan the server keeps (a key read after a step); several
        // through a list, whose plan depends on its length (the final dump, once).
        let query = if let [one] = qualified.as_slice() {
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT 1::int8, {DESCRIBED} WHERE a.attrelid = $1::regclass {DESCRIBED_WHERE}"
            )))
            .bind(one.clone())
        } else {
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT t.ord, {DESCRIBED} \
                 JOIN unnest($1::text[]) WITH ORDINALITY AS t(name, ord) \
                   ON a.attrelid = t.name::regclass {DESCRIBED_WHERE}"
            )))
            .bind(qualified.clone())
        };
        let rows: Vec<(i64, String, String, String, i32)> = query.fetch_all(self.conn()?).await?;
        let mut described: Vec<(String, Vec<Described>)> = qualified
            .into_iter()
            .map(|qualified| (qualified, Vec::new()))
            .collect();
        for (ord, name, type_name, category, key_place) in rows {
            if let Some((_, columns)) = described.get_mut((ord - 1) as usize) {
                columns.push(Described {
                    name,
                    type_name,
                    category,
                    key_place,
                });
            }
        }
        Ok(described)
    }

    /// Reads the query's columns and types first, then selects each value the way table dumps
    /// do (exact numerics as text, bytes as `x'…'`, the rest through `to_jsonb`).
    pub async fn query(&mut self, sql: &str) -> Result<QueryResult, sqlx::Error> {
        use sqlx::{Column, Executor, Statement, TypeInfo};
        let bare = super::bare_query(sql).to_string();
        let prepared = self
            .conn()?
            .prepare(sqlx::SqlSafeStr::into_sql_str(AssertSqlSafe(bare.clone())))
            .await?;
        let columns: Vec<(String, String)> = prepared
            .columns()
            .iter()
            .map(|c| {
                (
                    c.name().to_string(),
                    c.type_info().name().to_ascii_lowercase(),
                )
            })
            .collect();
        if columns.is_empty() {
            return Ok(QueryResult {
                columns: Vec::new(),
                rows: Vec::new(),
            });
        }
        let select: Vec<String> = columns.iter().map(|(n, t)| json_expr(n, t)).collect();
        let wrapped = format!("SELECT {} FROM ({bare}\n) AS q", select.join(", "));
        let rows: Vec<sqlx::postgres::PgRow> = sqlx::query(AssertSqlSafe(wrapped))
            .fetch_all(self.conn()?)
            .await?;
        Ok(QueryResult {
            rows: json_rows(&rows, columns.len())?,
            columns: columns.into_iter().map(|(n, _)| n).collect(),
        })
    }

    /// The schema of the tables [`Self::tables`] reports (the user's schemas), in six queries
    /// whatever the number of tables: each reads one kind of thing for all of them at once.
    pub async fn schema(
        &mut self,
        ignore: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Schema, sqlx::Error> {
        let names: Vec<String> = self
            .tables()
            .await?
            .into_iter()
            .filter(|name| !ignore(name))
            .collect();
        let qualified = names
            .iter()
            .map(|name| self.qualified(name))
            .collect::<Result<Vec<String>, sqlx::Error>>()?;
        let mut tables: Vec<Table> = vec![Table::default(); names.len()];
        // Each query's first column is the table's place in `qualified`, from 1.
        const TABLES: &str = "unnest($1::text[]) WITH ORDINALITY AS t(name, ord)";
        let conn = self.conn()?;
        type ColumnRow = (
            i64,
            String,
            String,
            bool,
            Option<String>,
            String,
            String,
            bool,
        );
        let columns: Vec<ColumnRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT t.ord, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
               pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text, \
               pg_get_serial_sequence(t.name, a.attname) IS NOT NULL \
             FROM {TABLES} \
             JOIN pg_attribute a ON a.attrelid = t.name::regclass \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attnum > 0 AND NOT a.attisdropped"
        )))
        .bind(&qualified)
        .fetch_all(&mut *conn)
        .await?;
        let primary_keys: Vec<(i64, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT t.ord, a.attname::text FROM {TABLES} \
             JOIN pg_index i ON i.indrelid = t.name::regclass AND i.indisprimary \
             JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             ORDER BY t.ord, k.ord"
        )))
        .bind(&qualified)
        .fetch_all(&mut *conn)
        .await?;
        // Key columns only (not INCLUDE ones), each as a name or an expression.
        type IndexRow = (i64, String, bool, Vec<String>, Option<String>);
        let indexes: Vec<IndexRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT t.ord, c.relname::text, i.indisunique, \
               ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) \
                     FROM generate_series(1, i.indnkeyatts::int) AS k ORDER BY k), \
               pg_get_expr(i.indpred, i.indrelid, true) \
             FROM {TABLES} \
             JOIN pg_index i ON i.indrelid = t.name::regclass AND NOT i.indisprimary \
             JOIN pg_class c ON c.oid = i.indexrelid"
        )))
        .bind(&qualified)
        .fetch_all(&mut *conn)
        .await?;
        // The referenced table is named as `tables()` names it: bare in the current schema.
        type KeyRow = (i64, Vec<String>, String, Vec<String>, String, String);
        let foreign_keys: Vec<KeyRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT t.ord, \
                   ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) \
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n \
                         ORDER BY k.o), \
                   CASE WHEN n.nspname = current_schema() THEN r.relname::text \
                        ELSE n.nspname::text || '.' || r.relname::text END, \
                   ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o) \
                         JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n \
                         ORDER BY k.o), \
                   c.confdeltype::text, c.confupdtype::text \
                 FROM {TABLES} \
                 JOIN pg_constraint c ON c.conrelid = t.name::regclass AND c.contype = 'f' \
                 JOIN pg_class r ON r.oid = c.confrelid \
                 JOIN pg_namespace n ON n.oid = r.relnamespace"
        )))
        .bind(&qualified)
        .fetch_all(&mut *conn)
        .await?;
        let checks: Vec<(i64, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT t.ord, pg_get_constraintdef(c.oid, true) FROM {TABLES} \
             JOIN pg_constraint c ON c.conrelid = t.name::regclass AND c.contype = 'c'"
        )))
        .bind(&qualified)
        .fetch_all(&mut *conn)
        .await?;
        let triggers: Vec<(i64, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT t.ord, g.tgname::text FROM {TABLES} \
             JOIN pg_trigger g ON g.tgrelid = t.name::regclass AND NOT g.tgisinternal"
        )))
        .bind(&qualified)
        .fetch_all(&mut *conn)
        .await?;
        // The table a row is about: `ord` counts from 1.
        let at = |ord: i64| (ord - 1) as usize;
        for (ord, name, data_type, not_null, default, identity, generated, owns_sequence) in columns
        {
            let default = match (identity.as_str(), generated.as_str(), default) {
                ("a", _, _) => Some("generated always as identity".to_string()),
                ("d", _, _) => Some("generated by default as identity".to_string()),
                ("", "s" | "v", Some(expr)) => Some(format!(
                    "generated always as ({}) {}",
                    strip_outer_parens(&expr),
                    if generated == "s" {
                        "stored"
                    } else {
                        "virtual"
                    }
                )),
                (_, _, Some(expr)) => default_of(&expr, owns_sequence),
                (_, _, None) => None,
            };
            tables[at(ord)].columns.insert(
                name,
                Column {
                    data_type,
                    nullable: !not_null,
                    default,
                },
            );
        }
        for (ord, column) in primary_keys {
            tables[at(ord)].primary_key.push(column);
        }
        for (ord, name, unique, columns, predicate) in indexes {
            tables[at(ord)].indexes.insert(Index {
                name,
                columns,
                unique,
                predicate,
            });
        }
        for (ord, columns, references, referenced_columns, on_delete, on_update) in foreign_keys {
            tables[at(ord)].foreign_keys.insert(ForeignKey {
                columns,
                references,
                referenced_columns,
                on_delete: action(&on_delete).to_string(),
                on_update: action(&on_update).to_string(),
            });
        }
        for (ord, def) in checks {
            let expr = def.strip_prefix("CHECK ").unwrap_or(&def);
            // `CHECK (…) NOT VALID`: keep the marker, it is a real difference.
            let check = match expr.strip_suffix(" NOT VALID") {
                Some(expr) => format!("{} NOT VALID", strip_outer_parens(expr)),
                None => strip_outer_parens(expr).to_string(),
            };
            tables[at(ord)].checks.insert(check);
        }
        for (ord, trigger) in triggers {
            tables[at(ord)].triggers.insert(trigger);
        }
        Ok(Schema {
            tables: names.into_iter().zip(tables).collect(),
        })
    }

    /// Drops the scratch database; the admin connection stays ladder's only footprint.
    pub async fn close(mut self) -> Result<(), Error> {
        if let Some(conn) = self.conn.take() {
            let _ = tokio::time::timeout(super::CLOSE_TIMEOUT, conn.close()).await;
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
        dropped.map_err(|e| Error::Leftover {
            database: self.scratch.clone(),
            server: self.server.clone(),
            message: e,
            drop: format!("DROP DATABASE {}", quote_ident(&self.scratch)),
        })
    }
}

/// Drops the scratch database `scratch` through `admin`.
async fn drop_database(admin: &mut PgConnection, scratch: &str) -> Result<(), String> {
    let name = quote_ident(scratch);
    // WITH (FORCE) (PostgreSQL 13+) also ends sessions a failed run left behind.
    let forced = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    match sqlx::raw_sql(AssertSqlSafe(forced))
        .execute(&mut *admin)
        .await
    {
        Ok(_) => Ok(()),
        Err(_) => sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
            .execute(admin)
            .await
            .map(|_| ())
            .map_err(|e| super::db_message(&e)),
    }
}

/// `pg_constraint`'s one-letter referential actions.
fn action(code: &str) -> &'static str {
    match code {
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => "no action",
    }
}

/// A default as PostgreSQL prints it, without the noise: `'x'::character varying` → `'x'`,
/// `'-1'::integer` → `-1`, `NULL::text` → none, and a serial's `nextval('<table>_id_seq'::regclass)`
/// → `nextval(owned sequence)` (the sequence keeps the table's old name across renames).
fn default_of(expr: &str, owns_sequence: bool) -> Option<String> {
    static CAST_LITERAL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^(NULL|'(?:[^']|'')*')::([^'()]+?)(?:\([0-9, ]+\))?(?:\[\])*$")
            .expect("valid regex")
    });
    static NUMBER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^-?[0-9]+(\.[0-9]+)?$").expect("valid regex")
    });
    let expr = expr.trim();
    if owns_sequence && expr.starts_with("nextval(") {
        return Some("nextval(owned sequence)".to_string());
    }
    let Some(m) = CAST_LITERAL.captures(expr) else {
        return Some(expr.to_string());
    };
    let (literal, cast) = (&m[1], &m[2]);
    if literal == "NULL" {
        return None;
    }
    let inner = &literal[1..literal.len() - 1];
    let numeric = matches!(
        cast,
        "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision"
    );
    if numeric && NUMBER.is_match(inner) {
        Some(inner.to_string())
    } else {
        Some(literal.to_string())
    }
}

/// The time of day, in seconds, of a timestamp as PostgreSQL writes it in any DateStyle (the
/// word `HH:MM:SS[.ffffff]`, its time zone after it or apart); reading it is cheaper for the
/// server than working out seconds itself, on every mark of a batch.
fn seconds_of_day(text: &str) -> Option<f64> {
    let word = text
        .split_whitespace()
        .find(|w| w.matches(':').count() >= 2)?;
    let mut parts = word.splitn(3, ':');
    let hours: f64 = parts.next()?.parse().ok()?;
    let minutes: f64 = parts.next()?.parse().ok()?;
    let rest = parts.next()?;
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let seconds: f64 = rest[..end].parse().ok()?;
    Some(hours * 3600.0 + minutes * 60.0 + seconds)
}

/// A column's value as JSON text. An integer's is its decimal text, which the server writes
/// without the cost of `to_jsonb` (a third of a key read's time); cast as a call, so that the
/// result is not named after the column, which an ORDER BY of that name would then sort as text.
fn json_expr(column: &str, type_name: &str) -> String {
    match type_name {
        "int2" | "int4" | "int8" => format!("text({})", quote_ident(column)),
        _ => format!("to_jsonb({})::text", value_expr(column, type_name)),
    }
}

/// How a column's value becomes JSON: exact numerics as text (JSON numbers would round them),
/// bytes as `x'…'` like on every engine; the rest as `to_jsonb` renders them.
fn value_expr(column: &str, type_name: &str) -> String {
    let c = quote_ident(column);
    match type_name {
        "numeric" | "money" => format!("{c}::text"),
        "bytea" => format!("'x''' || encode({c}, 'hex') || ''''"),
        _ => c,
    }
}

/// How rows sort: text in byte order whatever the server's locale; types without an ordering
/// (json, geometry) by their text.
fn order_expr(column: &str, type_name: &str, category: &str) -> String {
    let c = quote_ident(column);
    match (type_name, category) {
        ("json" | "xml" | "point" | "line" | "lseg" | "box" | "path" | "polygon" | "circle", _) => {
            format!("{c}::text COLLATE \"C\"")
        }
        (_, "S") => format!("{c} COLLATE \"C\""),
        _ => c,
    }
}

/// A column as [`PostgresEngine::columns_of`] reads it.
#[derive(Debug, Clone, Default)]
struct Described {
    name: String,
    type_name: String,
    category: String,
    /// Its place in the primary key, from 1; 0 when not in it.
    key_place: i32,
}

/// The query that dumps table `name` (`qualified`: quoted, with its schema) of columns
/// `described` (only its key columns when `keys_only`, then in no order), and the dump it
/// fills, with no rows yet.
fn dump_query(
    name: &str,
    qualified: &str,
    described: &[Described],
    keys_only: bool,
) -> (String, TableDump) {
    let mut pk: Vec<(i32, &str)> = described
        .iter()
        .filter(|c| c.key_place > 0)
        .map(|c| (c.key_place, c.name.as_str()))
        .collect();
    pk.sort();
    let keyed = !pk.is_empty();
    let order_by: Vec<String> = if keyed {
        pk.into_iter().map(|(_, n)| n.to_string()).collect()
    } else {
        described.iter().map(|c| c.name.clone()).collect()
    };
    let columns: Vec<&Described> = described
        .iter()
        .filter(|c| !keys_only || order_by.contains(&c.name))
        .collect();
    let select: Vec<String> = columns
        .iter()
        .map(|c| json_expr(&c.name, &c.type_name))
        .collect();
    let select_list = if select.is_empty() {
        "NULL".to_string()
    } else {
        select.join(", ")
    };
    let order_list = if keys_only || order_by.is_empty() {
        String::new()
    } else {
        let order: Vec<String> = order_by
            .iter()
            .map(|n| match columns.iter().find(|c| &c.name == n) {
                Some(c) => order_expr(n, &c.type_name, &c.category),
                None => order_expr(n, "text", "S"),
            })
            .collect();
        format!(" ORDER BY {}", order.join(", "))
    };
    let sql = format!("SELECT {select_list} FROM {qualified}{order_list}");
    let dump = TableDump {
        name: name.to_string(),
        columns: columns.iter().map(|c| c.name.clone()).collect(),
        order_by,
        rows: Vec::new(),
        keyed: Some(keyed),
    };
    (sql, dump)
}

/// Rows of `to_jsonb(…)::text` columns, parsed.
fn json_rows<'a>(
    rows: impl IntoIterator<Item = &'a sqlx::postgres::PgRow>,
    width: usize,
) -> Result<Vec<Vec<Value>>, sqlx::Error> {
    use sqlx::Row;
    rows.into_iter()
        .map(|row| {
            (0..width)
                .map(|i| {
                    let text: Option<String> = row.try_get(i)?;
                    Ok(match text {
                        None => Value::Null,
                        Some(t) => serde_json::from_str(&t).unwrap_or(Value::String(t)),
                    })
                })
                .collect::<Result<Vec<Value>, sqlx::Error>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_read_the_time_of_day_in_any_date_style() {
        let at = 5.0 * 3600.0 + 31.0 * 60.0 + 2.5;
        for text in [
            "2026-11-26 05:31:02.5+00",
            "26/11/2026 05:31:02.500000 UTC",
            "26.11.2026 05:31:02.5 UTC",
            "Thu Nov 26 05:31:02.5 2026 UTC",
        ] {
            assert_eq!(seconds_of_day(text), Some(at), "{text}");
        }
        assert_eq!(seconds_of_day("2026-11-26 05:31:02+05:30"), Some(at - 0.5));
        assert_eq!(seconds_of_day("ladder-mark-1"), None);
    }

    /// Builds `setup` on a scratch database of the local server (skipped if none answers) and
    /// returns its schema; the scratch database is dropped whatever happens.
    async fn schema_of(setup: &str) -> Option<Schema> {
        super::super::test_schema_on(
            "LADDER_POSTGRES_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
            5432,
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
  column email character varying(255) not null
  column id integer not null
  column nickname character varying(32) null
  column organization_id integer null
  column state character varying(16) not null default 'active'
  primary key (id)
  unique index identities_email_key (email)
  index identities_nickname_idx (nickname)
  index identities_organization_state_idx (organization_id, state)
  foreign key (organization_id) references organizations (id) on delete cascade
  check (state::text = ANY (ARRAY['active'::character varying, 'inactive'::character varying]::text[]))

table organizations
  column id integer not null
  column slug character varying(64) not null
  primary key (id)
  unique index organizations_slug_key (slug)
"
        );
    }

    #[tokio::test]
    async fn schema_normalises_postgres_noise() {
        let Some(schema) = schema_of(
            "CREATE SCHEMA audit;
             CREATE TABLE audit.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
             CREATE TABLE old_name (
                 id serial PRIMARY KEY,
                 n integer DEFAULT -1,
                 x numeric(10, 2) DEFAULT 1.5,
                 tags text[] DEFAULT '{}',
                 at timestamptz NOT NULL DEFAULT now(),
                 gone text DEFAULT NULL,
                 twice integer GENERATED ALWAYS AS (n * 2) STORED,
                 event bigint REFERENCES audit.events
             );
             ALTER TABLE old_name ADD CHECK (n <> 0) NOT VALID;
             ALTER TABLE old_name RENAME TO t;
             CREATE UNIQUE INDEX t_lower_idx ON t (lower(tags[1]), n DESC) INCLUDE (x)
                 WHERE n > 0;
             CREATE TABLE ignored_log (x int);
             CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql
                 AS 'BEGIN RETURN NEW; END';
             CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();",
        )
        .await
        else {
            return;
        };
        let rendered = schema.render();
        assert_eq!(
            rendered,
            "table audit.events
  column id bigint not null default generated always as identity
  primary key (id)

table t
  column at timestamp with time zone not null default now()
  column event bigint null
  column gone text null
  column id integer not null default nextval(owned sequence)
  column n integer null default -1
  column tags text[] null default '{}'
  column twice integer null default generated always as (n * 2) stored
  column x numeric(10,2) null default 1.5
  primary key (id)
  unique index t_lower_idx (lower(tags[1]), n) where n > 0
  foreign key (event) references audit.events (id)
  check (n <> 0) not valid
  trigger t_touch
",
            "{rendered}"
        );
    }
}
