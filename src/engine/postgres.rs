//! PostgreSQL (and CockroachDB, which speaks its protocol): a scratch database on an existing
//! server, created with a unique name and dropped at the end.

use std::collections::HashMap;
use std::str::FromStr;

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

use super::docker::Container;
use super::{TableDump, connect_error, quote_ident, scratch_name, with_timeout};
use crate::error::Error;

pub struct PostgresEngine {
    /// A connection to the database named in the URL, used only to create and drop the scratch
    /// database: ladder never writes into a database it did not create.
    admin: PgConnection,
    conn: Option<PgConnection>,
    scratch: String,
    server: String,
    /// Table name as reported → (schema, table).
    tables: HashMap<String, (String, String)>,
    container: Option<Container>,
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
            conn: None,
            scratch,
            server,
            tables: HashMap::new(),
            container: None,
        };
        match with_timeout(
            options.database(&engine.scratch).connect(),
            "connect to",
            &engine.server,
        )
        .await
        {
            Ok(mut conn) => {
                // Timestamps with time zone render in UTC whatever the server's setting.
                let setup = "SET TimeZone = 'UTC'; SET client_min_messages = warning";
                sqlx::raw_sql(setup)
                    .execute(&mut conn)
                    .await
                    .map_err(connect_error("set up", &engine.server))?;
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

    pub fn describe(&self) -> String {
        format!(
            "postgres at {} (scratch database {})",
            self.server, self.scratch
        )
    }

    fn conn(&mut self) -> Result<&mut PgConnection, sqlx::Error> {
        self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)
    }

    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(self.conn()?)
            .await?;
        Ok(())
    }

    pub async fn tables(&mut self) -> Result<Vec<String>, sqlx::Error> {
        let rows: Vec<(String, String, bool)> = sqlx::query_as(
            "SELECT n.nspname::text, c.relname::text, n.nspname = current_schema() \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'crdb_internal', 'pg_extension') \
               AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'",
        )
        .fetch_all(self.conn()?)
        .await?;
        self.tables.clear();
        for (schema, table, current) in rows {
            let name = if current {
                table.clone()
            } else {
                format!("{schema}.{table}")
            };
            self.tables.insert(name, (schema, table));
        }
        let mut names: Vec<String> = self.tables.keys().cloned().collect();
        names.sort();
        Ok(names)
    }

    pub async fn dump(&mut self, name: &str) -> Result<TableDump, sqlx::Error> {
        let (schema, table) = self
            .tables
            .get(name)
            .cloned()
            .ok_or_else(|| sqlx::Error::Protocol(format!("unknown table {name}")))?;
        let qualified = format!("{}.{}", quote_ident(&schema), quote_ident(&table));
        let columns: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT a.attname::text, t.typname::text, t.typcategory::text \
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
             WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
        )
        .bind(&qualified)
        .fetch_all(self.conn()?)
        .await?;
        let pk: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_index i \
             JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY k.ord",
        )
        .bind(&qualified)
        .fetch_all(self.conn()?)
        .await?;
        let order_by: Vec<String> = if pk.is_empty() {
            columns.iter().map(|(n, _, _)| n.clone()).collect()
        } else {
            pk
        };
        let kind: HashMap<&str, (&str, &str)> = columns
            .iter()
            .map(|(n, t, c)| (n.as_str(), (t.as_str(), c.as_str())))
            .collect();
        let select: Vec<String> = columns
            .iter()
            .map(|(n, t, _)| format!("to_jsonb({})::text", value_expr(n, t)))
            .collect();
        let order: Vec<String> = order_by
            .iter()
            .map(|n| {
                let (t, c) = kind.get(n.as_str()).copied().unwrap_or(("text", "S"));
                order_expr(n, t, c)
            })
            .collect();
        let select_list = if select.is_empty() {
            "NULL".to_string()
        } else {
            select.join(", ")
        };
        let order_list = if order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", order.join(", "))
        };
        let sql = format!("SELECT {select_list} FROM {qualified}{order_list}");
        let rows: Vec<sqlx::postgres::PgRow> = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(self.conn()?)
            .await?;
        let rows = rows
            .iter()
            .map(|row| {
                (0..columns.len())
                    .map(|i| {
                        use sqlx::Row;
                        let text: Option<String> = row.try_get(i)?;
                        Ok(match text {
                            None => Value::Null,
                            Some(t) => serde_json::from_str(&t).unwrap_or(Value::String(t)),
                        })
                    })
                    .collect::<Result<Vec<Value>, sqlx::Error>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TableDump {
            name: name.to_string(),
            columns: columns.into_iter().map(|(n, _, _)| n).collect(),
            order_by,
            rows,
        })
    }

    /// Drops the scratch database; the admin connection stays ladder's only footprint.
    pub async fn close(mut self) -> Result<(), Error> {
        if let Some(conn) = self.conn.take() {
            let _ = tokio::time::timeout(super::CLOSE_TIMEOUT, conn.close()).await;
        }
        let name = quote_ident(&self.scratch);
        // WITH (FORCE) (PostgreSQL 13+) also ends sessions a failed run left behind.
        let forced = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let dropped = match sqlx::raw_sql(AssertSqlSafe(forced))
            .execute(&mut self.admin)
            .await
        {
            Ok(_) => Ok(()),
            Err(_) => sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .execute(&mut self.admin)
                .await
                .map(|_| ()),
        };
        let _ = self.admin.close().await;
        if let Some(container) = self.container.take() {
            container.remove().await;
        }
        dropped.map_err(connect_error("drop the scratch database on", &self.server))
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
