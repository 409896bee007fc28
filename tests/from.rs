//! `ladder run --from DUMP --at VERSION` on embedded SQLite: a real database of an old release of
//! the example product, dumped, upgraded to head.
//!
//! The dumped database holds exactly what the seeded ladder had at that version (its migrations
//! and testdata), so after the upgrade every table must equal the seeded ladder's accepted
//! snapshots, records up to that version now carrying `"@version": "dump at <version>"`: the
//! test copies them so into `snapshots/from-<dump>/sqlite3/` and expects exit 0.

use std::path::Path;
use std::process::Command;

use sqlx::{Connection, Row};

mod common;

use common::{copy_snapshots_as_dump, example, example_statements_up_to, ladder, render};

/// An old release: migrations 1-6, before the seventh moves emails into identity_addresses.
const AT: &str = "20230801091230";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// Builds the example product's database at `AT` in the SQLite file `db`.
async fn build_old_database(db: &Path) -> sqlx::SqliteConnection {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(true)
        .foreign_keys(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    for statement in example_statements_up_to(ladder::Dialect::Sqlite3, AT) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    conn
}

/// What `sqlite3 DB .dump` writes, produced through sqlx (the sqlite3 shell may not be
/// installed): the schema from sqlite_schema, each row as an INSERT of `quote()`d values.
async fn dump_with_sqlx(conn: &mut sqlx::SqliteConnection) -> String {
    let mut out = String::from("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for (name, sql) in &tables {
        out.push_str(&format!("{sql};\n"));
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(name)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let values: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
        let select = format!(
            "SELECT 'INSERT INTO \"{name}\" VALUES(' || {} || ');' FROM \"{name}\" ORDER BY rowid",
            values.join(" || ',' || ")
        );
        for row in sqlx::query(sqlx::AssertSqlSafe(select))
            .fetch_all(&mut *conn)
            .await
            .unwrap()
        {
            out.push_str(&row.get::<String, _>(0));
            out.push('\n');
        }
    }
    let rest: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_schema WHERE type IN ('index', 'trigger', 'view') \
         AND sql IS NOT NULL ORDER BY rowid",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for sql in rest {
        out.push_str(&format!("{sql};\n"));
    }
    out.push_str("COMMIT;\n");
    out
}

/// Runs `--from <name>.sql --at AT` in a copy of the example whose from-snapshots are the
/// seeded ladder's accepted ones, and checks that it passes.
fn upgrades_to_head(work: &Path, name: &str) {
    copy_snapshots_as_dump(
        &work.join("snapshots/sqlite3"),
        &work.join(format!("snapshots/from-{name}/sqlite3")),
        AT,
    );
    let dump = format!("{name}.sql");
    let output = ladder(work, ["run", "--from", dump.as_str(), "--at", AT]);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("sqlite3: loaded {name}.sql, a database at {AT}")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "sqlite3: 20230112093015 create_users  skipped: the dump is at {AT}"
        )),
        "{text}"
    );
    assert!(
        text.contains("sqlite3: 20230915143307 move_emails_to_identity_addresses  migration"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ok: sqlite3: {name}.sql at {AT}, then 11 migrations in"
        )),
        "{text}"
    );
}

#[test]
fn example_upgrades_from_a_dump_of_an_old_release() {
    let work = example();
    let rt = runtime();
    let dump = rt.block_on(async {
        let mut conn = build_old_database(&work.path().join("old.db")).await;
        dump_with_sqlx(&mut conn).await
    });
    std::fs::write(work.path().join("acme.sql"), dump).unwrap();
    upgrades_to_head(work.path(), "acme");
}

/// The same with the sqlite3 shell's own `.dump`, where it is installed.
#[test]
fn example_upgrades_from_a_sqlite3_shell_dump() {
    let work = example();
    let db = work.path().join("old.db");
    runtime().block_on(async { build_old_database(&db).await.close().await.unwrap() });
    let output = match Command::new("sqlite3").arg(&db).arg(".dump").output() {
        Ok(output) => output,
        Err(e) => {
            eprintln!("skipped: the sqlite3 shell is not installed ({e})");
            return;
        }
    };
    assert!(output.status.success(), "{}", render(&output));
    std::fs::write(work.path().join("shell.sql"), &output.stdout).unwrap();
    upgrades_to_head(work.path(), "shell");
}

/// A customer's extra record in the dump goes through the upgrade too, and a changed result
/// fails against the from-snapshots, not the seeded ones.
#[test]
fn a_customer_record_shows_in_the_from_snapshots_only() {
    let work = example();
    let rt = runtime();
    let dump = rt.block_on(async {
        let mut conn = build_old_database(&work.path().join("old.db")).await;
        dump_with_sqlx(&mut conn).await
    });
    let dump = dump.replace(
        "COMMIT;\n",
        "INSERT INTO identities (id, email, first_name, last_name, is_verified, traits_version, \
         created_at, state) VALUES (900, 'ops@customer.example', 'Customer', 'Ops', 1, '1', \
         '2023-08-05T10:00:00Z', 'active');\nCOMMIT;\n",
    );
    std::fs::write(work.path().join("customer.sql"), dump).unwrap();
    let accepted = ladder(
        work.path(),
        ["run", "--from", "customer.sql", "--at", AT, "--accept"],
    );
    assert_eq!(accepted.status.code(), Some(0), "{}", render(&accepted));
    let from = work.path().join("snapshots/from-customer/sqlite3");
    let addresses = std::fs::read_to_string(from.join("identity_addresses.snap")).unwrap();
    assert!(addresses.contains("ops@customer.example"), "{addresses}");
    // The seeded snapshots are untouched and still pass.
    let seeded = ladder(work.path(), ["run"]);
    assert_eq!(seeded.status.code(), Some(0), "{}", render(&seeded));
    let again = ladder(work.path(), ["run", "--from", "customer.sql", "--at", AT]);
    assert_eq!(again.status.code(), Some(0), "{}", render(&again));
}
