//! Which version's testdata put each record in the database, followed through every later
//! migration, so that each release's records can be told apart at head.
//!
//! A record is known by its table and key (the primary key, else every column). After each
//! testdata file, a key that a table did not have before belongs to that version. After each
//! migration, a key the table already had keeps its version; a key that is new to the table
//! (a table rebuilt, renamed, or filled from another) takes the version of the same key in a
//! table that existed before and that the migration names, preferring one it dropped or renamed;
//! a key found nowhere was made by the migration itself.
//!
//! Only tables that can have changed are read again after a step, and only their keys: those the
//! script names, new ones, and, when the database has triggers, those whose row count changed
//! (rows written by a trigger).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde_json::Value;

use crate::engine::{Engine, TableDump};
use crate::version::Version;

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// Inserted by this version's testdata (and carried through later migrations).
    Testdata(Version),
    /// Made by this version's migration from nothing ladder could trace.
    Migration(Version),
    /// Loaded from a dump of a database at this version (`--from DUMP --at VERSION`).
    Dump(Version),
}

impl Origin {
    /// How a snapshot records it: the version, or `migration <version>`.
    pub fn label(&self) -> String {
        match self {
            Origin::Testdata(v) => v.to_string(),
            Origin::Migration(v) => format!("migration {v}"),
            Origin::Dump(v) => format!("dump at {v}"),
        }
    }

    /// Reads [`Origin::label`] back.
    pub fn parse(label: &str) -> Option<Origin> {
        if let Some(v) = label.strip_prefix("migration ") {
            Version::parse(v).map(Origin::Migration)
        } else if let Some(v) = label.strip_prefix("dump at ") {
            Version::parse(v).map(Origin::Dump)
        } else {
            Version::parse(label).map(Origin::Testdata)
        }
    }

    /// The version whose users had the record: the version whose testdata inserted it, or the
    /// version of the dump it was loaded from; `None` for a record a migration made.
    pub fn users_version(&self) -> Option<&Version> {
        match self {
            Origin::Testdata(v) | Origin::Dump(v) => Some(v),
            Origin::Migration(_) => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// The key of a record: its key columns' values, as JSON text.
fn key_of(dump: &TableDump, row: &[Value]) -> String {
    let values: Vec<&Value> = dump
        .order_by
        .iter()
        .filter_map(|k| dump.columns.iter().position(|c| c == k))
        .filter_map(|i| row.get(i))
        .collect();
    serde_json::to_string(&values).unwrap_or_default()
}

#[derive(Debug, Clone, Default)]
struct TableState {
    /// The key columns the keys are made of.
    key_columns: Vec<String>,
    rows: HashMap<String, Origin>,
    count: usize,
}

/// What the tracker knows about every table, kept up to date step by step.
#[derive(Debug, Default)]
pub struct Origins {
    tables: BTreeMap<String, TableState>,
    /// Whether the database has triggers (read again after each migration): only then can a
    /// script change a table it does not name, so only then are row counts compared.
    triggers: bool,
}

/// Which kind of script just ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Migration,
    Testdata,
    /// A dump loaded into the empty database.
    Dump,
}

impl Origins {
    pub fn new() -> Origins {
        Origins::default()
    }

    /// Brings the tracker up to date after `script` of `version` ran. `tables` are the tables
    /// that exist now (ignored ones left out).
    pub async fn observe(
        &mut self,
        engine: &mut Engine,
        tables: &[String],
        version: &Version,
        after: After,
        script: &str,
    ) -> Result<(), String> {
        let named = words(script);
        if after != After::Testdata {
            self.triggers = engine.has_triggers().await?;
        }
        let mut before = std::mem::take(&mut self.tables);
        let mut now = BTreeMap::new();
        let mut reread = Vec::new();
        for table in tables {
            let unchanged = match before.get(table) {
                Some(state) if !named.contains(&table.to_lowercase()) => {
                    !self.triggers || engine.count(table).await? == state.count
                }
                _ => false,
            };
            // Moved, not copied: an unchanged table's keys can be many, and most tables are
            // unchanged at most steps.
            match unchanged.then(|| before.remove(table)).flatten() {
                Some(state) => {
                    now.insert(table.clone(), state);
                }
                None => reread.push(table.clone()),
            }
        }
        let gone: Vec<&String> = before.keys().filter(|t| !tables.contains(t)).collect();
        for table in reread {
            let old = before.get(&table);
            let known = old
                .filter(|_| after == After::Testdata && !may_change_tables(script))
                .map(|s| s.key_columns.as_slice());
            let dump = engine.keys(&table, known).await?;
            let mut rows = HashMap::with_capacity(dump.rows.len());
            for row in &dump.rows {
                let key = key_of(&dump, row);
                let known = old
                    .filter(|s| s.key_columns == dump.order_by)
                    .and_then(|s| s.rows.get(&key));
                let origin = match (known, after) {
                    (Some(origin), _) => origin.clone(),
                    (None, After::Testdata) => Origin::Testdata(version.clone()),
                    (None, After::Dump) => Origin::Dump(version.clone()),
                    (None, After::Migration) => {
                        inherited(&before, &gone, &named, &table, &dump.order_by, &key)
                            .unwrap_or_else(|| Origin::Migration(version.clone()))
                    }
                };
                rows.insert(key, origin);
            }
            now.insert(
                table,
                TableState {
                    key_columns: dump.order_by.clone(),
                    count: dump.rows.len(),
                    rows,
                },
            );
        }
        self.tables = now;
        Ok(())
    }

    /// The tables known after the last step, by name.
    pub fn tables(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    /// The origin of each row of a final dump, in row order (`None` for a row the tracker never
    /// saw, e.g. a table it was not asked about).
    pub fn of(&self, dump: &TableDump) -> Vec<Option<Origin>> {
        let state = self
            .tables
            .get(&dump.name)
            .filter(|s| s.key_columns == dump.order_by);
        dump.rows
            .iter()
            .map(|row| state.and_then(|s| s.rows.get(&key_of(dump, row)).cloned()))
            .collect()
    }
}

/// The origin of `key` in a table that existed before the migration, with the same key
/// columns: one it dropped or renamed first, then one it names (rows can only come from a table
/// the migration reads).
fn inherited(
    before: &BTreeMap<String, TableState>,
    gone: &[&String],
    named: &BTreeSet<String>,
    table: &str,
    key_columns: &[String],
    key: &str,
) -> Option<Origin> {
    let candidates = gone
        .iter()
        .map(|t| t.as_str())
        .chain(
            before
                .keys()
                .map(|t| t.as_str())
                .filter(|t| named.contains(&t.to_lowercase())),
        )
        .filter(|t| *t != table);
    for name in candidates {
        if let Some(origin) = before
            .get(name)
            .filter(|s| s.key_columns == key_columns)
            .and_then(|s| s.rows.get(key))
        {
            return Some(origin.clone());
        }
    }
    None
}

/// Whether a script may create, drop, rename or alter a table: it has one of those words (as
/// whole words: `created_at` is not `create`).
pub(crate) fn may_change_tables(sql: &str) -> bool {
    let words = words(sql);
    ["create", "drop", "alter", "rename"]
        .iter()
        .any(|word| words.contains(*word))
}

/// The words of a script, lower-cased: a table it names is among them.
fn words(script: &str) -> BTreeSet<String> {
    script
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    async fn step(
        origins: &mut Origins,
        engine: &mut Engine,
        version: &str,
        after: After,
        sql: &str,
    ) {
        for statement in crate::sql::split(sql, crate::Dialect::Sqlite3) {
            engine.execute(&statement.sql).await.unwrap();
        }
        let tables = engine.tables().await.unwrap();
        origins
            .observe(engine, &tables, &v(version), after, sql)
            .await
            .unwrap();
    }

    async fn origins_of(origins: &Origins, engine: &mut Engine, table: &str) -> Vec<String> {
        let dump = engine.dump(table).await.unwrap();
        origins
            .of(&dump)
            .into_iter()
            .map(|o| o.map_or("?".into(), |o| o.label()))
            .collect()
    }

    #[tokio::test]
    async fn records_keep_their_version_through_rebuilds_renames_and_moves() {
        let mut engine = Engine::open(&crate::Target::Sqlite).await.unwrap();
        let mut o = Origins::new();
        let e = &mut engine;
        step(
            &mut o,
            e,
            "1",
            After::Migration,
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)",
        )
        .await;
        step(
            &mut o,
            e,
            "1",
            After::Testdata,
            "INSERT INTO users VALUES (1, 'a'), (2, 'b')",
        )
        .await;
        step(
            &mut o,
            e,
            "2",
            After::Migration,
            "ALTER TABLE users ADD COLUMN name TEXT",
        )
        .await;
        step(
            &mut o,
            e,
            "2",
            After::Testdata,
            "INSERT INTO users VALUES (3, 'c', 'C')",
        )
        .await;
        // A rebuild under a new name, then a move into a new table keyed by the same id.
        step(
            &mut o,
            e,
            "3",
            After::Migration,
            "CREATE TABLE identities (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO identities SELECT id, name FROM users;
             CREATE TABLE addresses (id INTEGER PRIMARY KEY, address TEXT);
             INSERT INTO addresses SELECT id, email FROM users;
             DROP TABLE users;",
        )
        .await;
        step(
            &mut o,
            e,
            "3",
            After::Testdata,
            "INSERT INTO identities VALUES (4, 'D')",
        )
        .await;
        // A row no testdata made: the migration's own.
        step(
            &mut o,
            e,
            "4",
            After::Migration,
            "INSERT INTO identities VALUES (10, 'system')",
        )
        .await;
        assert_eq!(
            origins_of(&o, e, "identities").await,
            ["1", "1", "2", "3", "migration 4"]
        );
        assert_eq!(origins_of(&o, e, "addresses").await, ["1", "1", "2"]);
    }

    #[tokio::test]
    async fn rows_written_by_a_trigger_belong_to_the_testdata_that_fired_it() {
        let mut engine = Engine::open(&crate::Target::Sqlite).await.unwrap();
        let mut o = Origins::new();
        let e = &mut engine;
        step(
            &mut o,
            e,
            "1",
            After::Migration,
            "CREATE TABLE t (id INTEGER PRIMARY KEY);
             CREATE TABLE log (n INTEGER PRIMARY KEY, id INTEGER);
             CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log (id) VALUES (new.id); END;",
        )
        .await;
        step(&mut o, e, "1", After::Testdata, "INSERT INTO t VALUES (1)").await;
        step(&mut o, e, "2", After::Testdata, "INSERT INTO t VALUES (2)").await;
        assert_eq!(origins_of(&o, e, "log").await, ["1", "2"]);
    }

    #[test]
    fn table_changes_are_whole_words() {
        assert!(may_change_tables("ALTER TABLE t ADD c INT"));
        assert!(may_change_tables("create temp table x (a int)"));
        assert!(!may_change_tables(
            "INSERT INTO t (created_at, dropped) VALUES (1, 2)"
        ));
    }

    #[test]
    fn labels_read_back() {
        for label in ["20230112093015", "migration 3", "dump at 2"] {
            assert_eq!(Origin::parse(label).unwrap().label(), label);
        }
        assert_eq!(Origin::parse("nonsense"), None);
    }
}
