//! MySQL and MariaDB: a scratch database on an existing server, created with a unique name and
//! dropped at the end. DDL commits implicitly here, which failures report.

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlRow};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Row};
use std::str::FromStr;

use serde_json::Value;

use super::docker::Container;
use super::{TableDump, connect_error, scratch_name, with_timeout};
use crate::error::Error;

pub struct MysqlEngine {
    /// Connected without a default database; used only to create and drop the scratch one.
    admin: MySqlConnection,
    conn: Option<MySqlConnection>,
    scratch: String,
    server: String,
    flavour: &'static str,
    /// The scratch connection's id, to end it if a run is interrupted mid-statement.
    conn_id: Option<u64>,
    container: Option<Container>,
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
            conn: None,
            scratch,
            server,
            flavour,
            conn_id: None,
            container: None,
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

    pub fn describe(&self) -> String {
        format!(
            "{} at {} (scratch database {})",
            self.flavour, self.server, self.scratch
        )
    }

    fn conn(&mut self) -> Result<&mut MySqlConnection, sqlx::Error> {
        self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)
    }

    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(self.conn()?)
            .await?;
        Ok(())
    }

    pub async fn tables(&mut self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' \
             ORDER BY CAST(TABLE_NAME AS BINARY)",
        )
        .fetch_all(self.conn()?)
        .await
    }

    pub async fn dump(&mut self, table: &str) -> Result<TableDump, sqlx::Error> {
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT CAST(COLUMN_NAME AS CHAR), CAST(DATA_TYPE AS CHAR) \
             FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        )
        .bind(table)
        .fetch_all(self.conn()?)
        .await?;
        let pk: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' \
             ORDER BY ORDINAL_POSITION",
        )
        .bind(table)
        .fetch_all(self.conn()?)
        .await?;
        let order_by: Vec<String> = if pk.is_empty() {
            columns.iter().map(|(n, _)| n.clone()).collect()
        } else {
            pk
        };
        let json_columns = self.mariadb_json_columns(table).await?;
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
        let order_list = if order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", order.join(", "))
        };
        let sql = format!("SELECT {select_list} FROM {}{order_list}", quote(table));
        let rows: Vec<MySqlRow> = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(self.conn()?)
            .await?;
        let rows = rows
            .iter()
            .map(|row| {
                kinds
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| {
                        let text: Option<String> = row.try_get(i)?;
                        Ok(text.map_or(Value::Null, |t| kind.value(t)))
                    })
                    .collect::<Result<Vec<Value>, sqlx::Error>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TableDump {
            name: table.to_string(),
            columns: columns.into_iter().map(|(n, _)| n).collect(),
            order_by,
            rows,
        })
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
        static JSON_VALID: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"^json_valid\(`?([^`()]+)`?\)$").expect("valid regex")
        });
        Ok(clauses
            .iter()
            .filter_map(|c| JSON_VALID.captures(c.trim()).map(|m| m[1].to_string()))
            .collect())
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
        let drop = format!("DROP DATABASE IF EXISTS {}", quote(&self.scratch));
        let dropped = sqlx::raw_sql(AssertSqlSafe(drop))
            .execute(&mut self.admin)
            .await
            .map(|_| ());
        let _ = self.admin.close().await;
        if let Some(container) = self.container.take() {
            container.remove().await;
        }
        dropped.map_err(connect_error("drop the scratch database on", &self.server))
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
