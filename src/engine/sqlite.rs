//! Embedded SQLite, in memory: the default engine, with nothing to install.

use std::str::FromStr;

use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow, SqliteValueRef};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Decode, Row, Sqlite, TypeInfo, ValueRef};

use super::{TableDump, hex_literal, quote_ident};
use crate::error::Error;

pub struct SqliteEngine {
    conn: SqliteConnection,
}

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
        Ok(SqliteEngine { conn })
    }

    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    pub async fn tables(&mut self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_schema WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .fetch_all(&mut self.conn)
        .await
    }

    pub async fn dump(&mut self, table: &str) -> Result<TableDump, sqlx::Error> {
        let info: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, pk FROM pragma_table_info(?) ORDER BY cid")
                .bind(table)
                .fetch_all(&mut self.conn)
                .await?;
        let columns: Vec<String> = info.iter().map(|(name, _)| name.clone()).collect();
        let mut pk: Vec<&(String, i64)> = info.iter().filter(|(_, pk)| *pk > 0).collect();
        pk.sort_by_key(|(_, pk)| *pk);
        let order_by: Vec<String> = if pk.is_empty() {
            columns.clone()
        } else {
            pk.iter().map(|(name, _)| name.clone()).collect()
        };
        let select_list: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
        let order_list: Vec<String> = order_by.iter().map(|c| quote_ident(c)).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            select_list.join(", "),
            quote_ident(table),
            order_list.join(", ")
        );
        let rows: Vec<SqliteRow> = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&mut self.conn)
            .await?;
        let rows = rows
            .iter()
            .map(|row| {
                (0..columns.len())
                    .map(|i| row.try_get_raw(i).map(to_json))
                    .collect::<Result<Vec<Value>, sqlx::Error>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TableDump {
            name: table.to_string(),
            columns,
            order_by,
            rows,
        })
    }

    pub async fn close(self) -> Result<(), crate::error::Error> {
        // An in-memory database disappears with its connection.
        let _ = self.conn.close().await;
        Ok(())
    }
}

/// A stored value as JSON, by the value's own storage class (SQLite types values, not columns).
fn to_json(value: SqliteValueRef<'_>) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    let kind = value.type_info().name().to_string();
    let decoded = match kind.as_str() {
        "INTEGER" => <i64 as Decode<Sqlite>>::decode(value).map(Value::from),
        "REAL" => <f64 as Decode<Sqlite>>::decode(value).map(real_to_json),
        "BLOB" => <Vec<u8> as Decode<Sqlite>>::decode(value).map(|b| Value::from(hex_literal(&b))),
        _ => <String as Decode<Sqlite>>::decode(value).map(Value::from),
    };
    decoded.unwrap_or_else(|e| Value::from(format!("<undecodable {kind}: {e}>")))
}

/// JSON has no NaN or infinities; keep them readable instead of turning them into null.
pub(crate) fn real_to_json(x: f64) -> Value {
    serde_json::Number::from_f64(x)
        .map(Value::Number)
        .unwrap_or_else(|| Value::from(x.to_string()))
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

    #[test]
    fn non_finite_reals_stay_readable() {
        assert_eq!(real_to_json(f64::NAN), Value::from("NaN"));
        assert_eq!(real_to_json(f64::INFINITY), Value::from("inf"));
        assert_eq!(real_to_json(2.0), serde_json::json!(2.0));
    }
}
