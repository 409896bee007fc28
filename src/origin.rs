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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::engine::{Engine, TableDump, Written, key_positions, key_text};
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

/// The key of a record: its key columns' values, as a JSON array.
fn key_of(positions: &[usize], row: &[Value]) -> String {
    key_text(positions.iter().filter_map(|&i| row.get(i)))
}

/// Each record's origin, by key. Keys are the user's own test records, hashed by the fast
/// non-cryptographic hash the Rust compiler uses.
type Rows = rustc_hash::FxHashMap<String, Arc<Origin>>;

#[derive(Debug, Clone, Default)]
struct TableState {
    /// The key columns the keys are made of.
    key_columns: Vec<String>,
    /// Shared: most records keep their origin step after step.
    rows: Rows,
    count: usize,
    /// Whether the table has a primary key, once a read has looked.
    keyed: Option<bool>,
    /// Whether its key is its SQLite rowid, once a read has looked ([`crate::engine::Keys::rowid_key`]).
    rowid_key: Option<bool>,
}

/// What the tracker knows about every table, kept up to date step by step.
#[derive(Debug, Default)]
pub struct Origins {
    tables: BTreeMap<String, TableState>,
    /// Whether the database has triggers (read again after each script that can create one):
    /// only then can a script change a table it does not name, so only then are row counts
    /// compared.
    triggers: bool,
    /// Whether the tables were ever listed.
    listed: bool,
    /// The tables by their lower-cased name without its schema, as a script's [`words`] name
    /// them (rebuilt with each listing, the only time the names change).
    by_word: rustc_hash::FxHashMap<String, Vec<String>>,
    /// Whether a table may resolve a conflict by deleting rows (SQLite's `ON CONFLICT
    /// REPLACE`, [`Scan::may_replace`]; or a dump's tables, unread): then an UPDATE can delete
    /// rows, and [`Origins::keeps_keys`] never says it keeps the keys.
    replacing: bool,
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

    /// Brings the tracker up to date after `script` of `version` ran. Tables matching `ignore`
    /// are not followed.
    ///
    /// The tables are listed again, and the triggers looked for, only after a script that can
    /// create, drop or rename one, and the key columns of the tables it names read again only
    /// when it can also alter a table (see [`reach`]); otherwise what is known stands.
    pub async fn observe(
        &mut self,
        engine: &mut Engine,
        ignore: &dyn Fn(&str) -> bool,
        version: &Version,
        after: After,
        script: &str,
    ) -> Result<(), String> {
        let scan = Scan::of(script, engine.dialect());
        self.observe_scanned(engine, ignore, version, after, &scan, Told::default())
            .await
    }

    /// [`Self::observe`] with the script already scanned ([`Scan::of`]; a climb scans its
    /// scripts on another thread while it runs them), and, on SQLite, the rows it wrote
    /// ([`Engine::record_rows`]).
    ///
    /// Testdata that only inserted rows into tables keyed by their rowid needs no reading at
    /// all: SQLite said which rows it added, and their rowids are their keys.
    pub async fn observe_scanned(
        &mut self,
        engine: &mut Engine,
        ignore: &dyn Fn(&str) -> bool,
        version: &Version,
        after: After,
        scan: &Scan,
        told: Told,
    ) -> Result<(), String> {
        let Told { written, mut keys } = told;
        let written = written.as_ref();
        self.replacing |= scan.may_replace || after == After::Dump;
        // Before a listing changes them: a table new after the script is read anyway.
        let named = self.named(scan);
        if after == After::Testdata
            && self.listed
            && !self.triggers
            && scan.reach.inserts_only
            && let Some(written) = written
            && !written.changed
            && !written.elsewhere
            // Every table it inserts into is one it names, and SQLite reports no row of a
            // table without rowid: each table named must be keyed by its rowid, not only those
            // reported.
            && named
                .iter()
                .chain(written.inserted.keys())
                .all(|table| {
                    ignore(table)
                        || self
                            .tables
                            .get(table)
                            .is_some_and(|s| s.rowid_key == Some(true))
                })
        {
            let fresh = Arc::new(Origin::Testdata(version.clone()));
            for (table, rowids) in &written.inserted {
                let Some(state) = self.tables.get_mut(table) else {
                    continue;
                };
                for rowid in rowids {
                    state.rows.insert(format!("[{rowid}]"), Arc::clone(&fresh));
                }
                state.count = state.rows.len();
            }
            return Ok(());
        }
        // Whether the script's own scan counts, rather than everything it could do.
        let scanned = self.listed && after != After::Dump;
        let (reach, written) = if !scanned {
            (Reach::everything(), None)
        } else {
            (scan.reach, scan.written.as_deref())
        };
        // The state before the script of every table read again below, and of every table gone.
        let mut before: BTreeMap<String, TableState> = BTreeMap::new();
        let mut reread: BTreeSet<String> = BTreeSet::new();
        if reach.lists {
            // A script that only creates tables adds them to those known, where the engine
            // knows where they go; otherwise the tables are listed.
            let created = scan
                .created
                .as_deref()
                .filter(|_| scanned && !reach.triggers);
            let created: Option<Vec<String>> = match created {
                Some(created) => {
                    let created: Vec<String> = created.split(' ').map(String::from).collect();
                    engine.created(&created).then_some(created)
                }
                None => None,
            };
            self.listed = true;
            match created {
                // The tables known stay; the new ones join them, and are read.
                Some(created) => {
                    for table in created.into_iter().filter(|t| !ignore(t)) {
                        if !self.tables.contains_key(&table) {
                            self.index(&table);
                            reread.insert(table);
                        }
                    }
                }
                None => {
                    let (mut tables, triggers) = engine.catalog(reach.triggers).await?;
                    if let Some(triggers) = triggers {
                        self.triggers = triggers;
                    }
                    tables.retain(|t| !ignore(t));
                    let now: BTreeSet<String> = tables.into_iter().collect();
                    self.by_word.clear();
                    for table in &now {
                        self.index(table);
                    }
                    let gone: Vec<String> = self
                        .tables
                        .keys()
                        .filter(|t| !now.contains(*t))
                        .cloned()
                        .collect();
                    for table in gone {
                        if let Some(state) = self.tables.remove(&table) {
                            before.insert(table, state);
                        }
                    }
                    reread.extend(now.into_iter().filter(|t| !self.tables.contains_key(t)));
                }
            }
        }
        let gone: Vec<String> = before.keys().cloned().collect();
        for table in &named {
            let Some(state) = self.tables.get(table) else {
                continue;
            };
            if changed(
                &reach,
                scan,
                written,
                table,
                state,
                self.replacing || !scanned,
            ) {
                reread.insert(table.clone());
            }
        }
        if self.triggers {
            // A trigger can write to a table the script does not name.
            for (table, state) in &self.tables {
                if !reread.contains(table) && engine.count(table).await? != state.count {
                    reread.insert(table.clone());
                }
            }
        }
        for table in &reread {
            if let Some(state) = self.tables.remove(table) {
                before.insert(table.clone(), state);
            }
        }
        let gone: Vec<&String> = gone.iter().collect();
        // The origin of a record new after this script.
        let fresh = Arc::new(match after {
            After::Testdata => Origin::Testdata(version.clone()),
            After::Dump => Origin::Dump(version.clone()),
            After::Migration => Origin::Migration(version.clone()),
        });
        // The origin of a key a table did not have: after a migration, that of the same key in a
        // table it emptied or named, if any.
        let new_origin = |before: &BTreeMap<String, TableState>,
                          now: &BTreeMap<String, TableState>,
                          table: &str,
                          key_columns: &[String],
                          key: &str| {
            match after {
                After::Migration => inherited(before, now, &gone, &named, table, key_columns, key)
                    .unwrap_or_else(|| Arc::clone(&fresh)),
                After::Testdata | After::Dump => Arc::clone(&fresh),
            }
        };
        // Whether the script can only have renamed or dropped columns of the tables it names.
        let renames_only = reach.columns && !reach.rekeys && !reach.lists && !reach.widens;
        // Whether a table's records can be updated in place: no other table read again can
        // need its state from before the script (see `inherited`).
        let alone = after == After::Testdata || reread.len() == 1;
        for table in reread {
            let old = before.get(&table);
            let known = old
                .filter(|s| !reach.lists && !rekeys(&reach, scan, s) && !reach.widens)
                .map(|s| s.key_columns.as_slice());
            // Read in the script's own round trip, when the engine could ([`Self::planned`]).
            let read = match keys.remove(&table) {
                Some(read) if Some(read.order_by.as_slice()) == known => read,
                // A table new after a script that writes no row (and no trigger that could)
                // is empty: only its key columns are read.
                _ if old.is_none() && !reach.rows && !self.triggers => {
                    engine.key_columns(&table).await?
                }
                _ => engine.keys(&table, known).await?,
            };
            // Keys are values alone: a key column renamed leaves every record's key as it was.
            // (A primary key whose column was dropped is gone, or shorter.)
            let same_key = |s: &&TableState| {
                s.key_columns == read.order_by
                    || (renames_only
                        && s.keyed == Some(true)
                        && read.keyed == Some(true)
                        && s.key_columns.len() == read.order_by.len())
            };
            // A table with a primary key whose key columns stayed: its records are updated in
            // place, and only a key not seen before costs anything.
            let in_place = alone
                && after != After::Dump
                && read.keyed != Some(false)
                && before
                    .get(&table)
                    .filter(same_key)
                    .is_some_and(|s| s.keyed == Some(true));
            if in_place && let Some(mut state) = before.remove(&table) {
                let had = state.rows.len();
                let mut kept = 0;
                for key in read.iter() {
                    if state.rows.contains_key(key) {
                        kept += 1;
                    } else {
                        let origin = new_origin(&before, &self.tables, &table, &read.order_by, key);
                        state.rows.insert(key.to_string(), origin);
                    }
                }
                // Primary keys are distinct: fewer kept than there were means some are gone.
                if kept < had {
                    let now: rustc_hash::FxHashSet<&str> = read.iter().collect();
                    state.rows.retain(|key, _| now.contains(key.as_str()));
                }
                state.count = read.len();
                state.rowid_key = read.rowid_key.or(state.rowid_key);
                state.key_columns = read.order_by;
                self.tables.insert(table, state);
                continue;
            }
            let old = before.get(&table);
            let old_rows = old.filter(same_key).map(|s| &s.rows);
            let count = read.len();
            let mut rows = Rows::with_capacity_and_hasher(count, Default::default());
            for key in read.iter() {
                let origin = match old_rows.and_then(|r| r.get(key)) {
                    Some(origin) => Arc::clone(origin),
                    None => new_origin(&before, &self.tables, &table, &read.order_by, key),
                };
                rows.insert(key.to_string(), origin);
            }
            self.tables.insert(
                table,
                TableState {
                    key_columns: read.order_by,
                    count,
                    rows,
                    keyed: read.keyed.or_else(|| old.and_then(|s| s.keyed)),
                    rowid_key: read.rowid_key.or_else(|| old.and_then(|s| s.rowid_key)),
                },
            );
        }
        Ok(())
    }

    /// The tables whose keys [`Self::observe_scanned`] will read after `scan`'s script, with
    /// their key columns, when it can say so before the script runs: the tables the script
    /// names that it can fill or empty but neither create, drop, rename nor alter. An engine
    /// can then read them in the script's own round trip ([`Told::keys`]).
    pub fn planned(&self, scan: &Scan, after: After) -> Vec<(String, Vec<String>)> {
        let reach = scan.reach;
        if !self.listed
            || after == After::Dump
            || !reach.rows
            || reach.lists
            || reach.rekeys
            || reach.columns
            || reach.widens
        {
            return Vec::new();
        }
        let written = scan.written.as_deref();
        self.named(scan)
            .into_iter()
            .filter(|table| writes(written, table))
            .filter_map(|table| {
                let state = self.tables.get(&table)?;
                if keeps_keys(scan, &table, state, self.replacing) {
                    return None;
                }
                Some((table, state.key_columns.clone()))
            })
            .collect()
    }

    /// Whether, after `scan`'s script, [`Self::observe_scanned`] reads nothing but the keys of
    /// the `planned` tables ([`Self::planned`]) and leaves every table and its key columns as
    /// they are: the script lists no table, changes no key, and the database has no trigger.
    /// The next script can then be planned, and run, before this one's keys are looked at,
    /// provided they are read in its own round trip ([`Engine::reads_keys_inline`]).
    pub fn settled(&self, scan: &Scan, after: After, planned: &[(String, Vec<String>)]) -> bool {
        let reach = scan.reach;
        if !self.listed || after == After::Dump || reach.lists || self.triggers {
            return false;
        }
        let written = scan.written.as_deref();
        self.named(scan).iter().all(|table| {
            self.tables.get(table).is_none_or(|state| {
                !changed(&reach, scan, written, table, state, self.replacing)
                    || planned.iter().any(|(t, _)| t == table)
            })
        })
    }

    /// Adds `table` to [`Self::by_word`].
    fn index(&mut self, table: &str) {
        // A table of another schema (PostgreSQL's `app.users`) by its own name: a script's
        // words never hold a dot.
        let word = table.rsplit('.').next().unwrap_or(table);
        self.by_word
            .entry(word.to_lowercase())
            .or_default()
            .push(table.to_string());
    }

    /// The known tables a script names: those whose lower-cased name (without its schema) is
    /// one of its words.
    fn named(&self, scan: &Scan) -> BTreeSet<String> {
        scan.words()
            .filter_map(|word| self.by_word.get(word))
            .flatten()
            .cloned()
            .collect()
    }

    /// The origin of each row of a final dump, in row order (`None` for a row the tracker never
    /// saw, e.g. a table it was not asked about).
    pub fn of(&self, dump: &TableDump) -> Vec<Option<Arc<Origin>>> {
        let state = self
            .tables
            .get(&dump.name)
            .filter(|s| s.key_columns == dump.order_by);
        let positions = key_positions(dump);
        dump.rows
            .iter()
            .map(|row| state.and_then(|s| s.rows.get(&key_of(&positions, row)).map(Arc::clone)))
            .collect()
    }
}

/// The origin of `key` in a table that existed before the migration, with the same key
/// columns: one it dropped or renamed first, then one it names (rows can only come from a table
/// the migration reads), read again (`before`: its state before the script) or not (`now`: its
/// state stands).
fn inherited(
    before: &BTreeMap<String, TableState>,
    now: &BTreeMap<String, TableState>,
    gone: &[&String],
    named: &BTreeSet<String>,
    table: &str,
    key_columns: &[String],
    key: &str,
) -> Option<Arc<Origin>> {
    let candidates = gone.iter().filter_map(|t| before.get(*t)).chain(
        named
            .iter()
            .filter(|t| t.as_str() != table)
            .filter_map(|t| before.get(t).or_else(|| now.get(t))),
    );
    for state in candidates {
        if let Some(origin) = Some(state)
            .filter(|s| s.key_columns == key_columns)
            .and_then(|s| s.rows.get(key))
        {
            return Some(Arc::clone(origin));
        }
    }
    None
}

/// Whether a script may create, drop, rename or alter a table (its columns, keys or checks),
/// by [`reach`].
pub(crate) fn may_change_tables(sql: &str, dialect: crate::Dialect) -> bool {
    let reach = reach(sql, dialect).reach;
    reach.lists || reach.rekeys || reach.columns || reach.widens
}

/// Whether `scan`'s script (of reach `reach`, writing `written`) can change the records or the
/// key columns of `table`, now in `state`, that it names.
fn changed(
    reach: &Reach,
    scan: &Scan,
    written: Option<&str>,
    table: &str,
    state: &TableState,
    replacing: bool,
) -> bool {
    (reach.rows && writes(written, table) && !keeps_keys(scan, table, state, replacing))
        || rekeys(reach, scan, state)
        // A new column joins the key of a table without a primary key.
        || (reach.widens && state.keyed != Some(true))
}

/// Whether `scan`'s script, though it writes rows of `table` (now in `state`), leaves its keys
/// as they are: it only updates them ([`Scan::updated`]), assigns none of its primary key's
/// columns, and no table resolves a conflict by deleting rows (`replacing`,
/// [`Origins::replacing`]). (A trigger can do anything: with triggers, tables
/// are compared anyway.)
fn keeps_keys(scan: &Scan, table: &str, state: &TableState, replacing: bool) -> bool {
    if replacing || state.keyed != Some(true) {
        return false;
    }
    let own = table.rsplit('.').next().unwrap_or(table).to_lowercase();
    scan.updated(&own).is_some_and(|mut assigned| {
        assigned.all(|column| {
            // SQLite's rowid is the key of a table keyed by an INTEGER PRIMARY KEY.
            !["rowid", "_rowid_", "oid"].contains(&column)
                && !state
                    .key_columns
                    .iter()
                    .any(|key| key.to_lowercase() == column)
        })
    })
}

/// Whether a script whose written tables are `written` ([`Scan::written`]; `None`: any it
/// names) can change the rows of `table`.
fn writes(written: Option<&str>, table: &str) -> bool {
    let own = table.rsplit('.').next().unwrap_or(table).to_lowercase();
    written.is_none_or(|written| written.split(' ').any(|w| w == own))
}

/// Whether `scan`'s script (of reach `reach`) can change the key columns or the keys of a
/// table now in `state`: by any ALTER TABLE but those that only add, or rename or drop
/// columns none of which is in its key (every column is in the key of a table without a
/// primary key).
fn rekeys(reach: &Reach, scan: &Scan, state: &TableState) -> bool {
    reach.rekeys
        || (reach.columns
            && (state.keyed != Some(true)
                || state.key_columns.iter().any(|key| {
                    let key = key.to_lowercase();
                    scan.columns.split(' ').any(|column| column == key)
                })))
}

/// What the engine told about a script as it ran it, so that following its records needs
/// fewer reads.
#[derive(Debug, Default)]
pub struct Told {
    /// SQLite: the rows it wrote ([`Engine::record_rows`]).
    pub written: Option<Written>,
    /// The keys of tables [`Origins::planned`] named, read right after the script.
    pub keys: std::collections::HashMap<String, crate::engine::Keys>,
}

/// What following the records needs to know of a script, worked out from its text alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    reach: Reach,
    /// Its distinct words, lower-cased, one space between two: a table it names is among
    /// them. (One string, so that a scan made on another thread is one thing to free.)
    words: String,
    /// The columns it renames or drops ([`Reach::columns`]), one space between two.
    columns: String,
    /// The tables whose rows it can change, when it can say ([`Touched::written`]), one space
    /// between two.
    written: Option<String>,
    /// The tables it creates, when those are all it can add to or take from the list of tables
    /// ([`Touched::created`]), one space between two.
    created: Option<String>,
    /// The tables whose rows it only updates ([`Touched::updated`]), each on a line of its own,
    /// with the columns it assigns after it, one space between two.
    updated: String,
    /// SQLite: whether it can make a table that resolves a conflict by deleting rows (its
    /// words hold `replace`, and it creates or alters tables).
    may_replace: bool,
    /// Whether the script ends outside any string, quoted name, comment or body: text after
    /// it (another script, sent with it) would not be read as part of it.
    pub closed: bool,
    /// Whether the script is one INSERT, UPDATE, DELETE, CREATE, ALTER or DROP statement, which
    /// SQLite runs as a whole or not at all without a BEGIN and COMMIT around it.
    pub one_statement: bool,
}

impl Scan {
    pub fn of(script: &str, dialect: crate::Dialect) -> Scan {
        // Distinct words only, borrowed from the script where they are lower-case already: a
        // testdata file of many rows has many words but far fewer distinct ones. (Numbers
        // stay: a quoted name can be digits alone.)
        let distinct: rustc_hash::FxHashSet<std::borrow::Cow<'_, str>> = words(script).collect();
        let mut words: Vec<_> = distinct.into_iter().collect();
        words.sort_unstable();
        // Split with a statement after it, on a line of its own: when nothing in the script is
        // left open, that statement comes back alone, starting on that line, and the others are
        // the script's; otherwise the script is split again, alone.
        let mut statements = crate::sql::split(&format!("{script}\n;SELECT 1"), dialect);
        let probe_line = script.matches('\n').count() + 2;
        let closed = statements
            .last()
            .is_some_and(|s| s.sql == "SELECT 1" && s.line == probe_line);
        if closed {
            statements.pop();
        } else {
            statements = crate::sql::split(script, dialect);
        }
        let one_statement = match statements.as_slice() {
            [one] => {
                let first = one.sql.split(|c: char| !c.is_ascii_alphabetic()).next();
                first.is_some_and(|word| {
                    ["insert", "update", "delete", "create", "alter", "drop"]
                        .iter()
                        .any(|k| word.eq_ignore_ascii_case(k))
                })
            }
            _ => false,
        };
        let Touched {
            reach,
            columns,
            written,
            created,
            updated,
        } = reach_statements(statements, dialect);
        let may_replace = dialect == crate::Dialect::Sqlite3
            && (reach.lists || reach.rekeys || reach.columns || reach.widens)
            && words
                .binary_search(&std::borrow::Cow::Borrowed("replace"))
                .is_ok();
        Scan {
            closed,
            one_statement,
            reach,
            words: words.join(" "),
            columns: columns.join(" "),
            written: written.map(|w| w.join(" ")),
            created: created.map(|c| c.join(" ")),
            updated: updated
                .iter()
                .map(|(table, columns)| format!("{table} {}", columns.join(" ")))
                .collect::<Vec<_>>()
                .join("\n"),
            may_replace,
        }
    }

    fn words(&self) -> impl Iterator<Item = &str> {
        self.words.split(' ').filter(|w| !w.is_empty())
    }

    /// The columns the script assigns in `table` (by its own name, lower-cased), when it only
    /// updates its rows ([`Self::updated`]).
    fn updated(&self, table: &str) -> Option<impl Iterator<Item = &str>> {
        self.updated.lines().find_map(|line| {
            let mut words = line.split(' ');
            (words.next() == Some(table)).then_some(words)
        })
    }
}

/// What a script can change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Reach {
    /// Which tables exist, or the triggers.
    lists: bool,
    /// The key columns of a table it names (an `ALTER TABLE`).
    rekeys: bool,
    /// The key columns of a table it names whose key holds a column it renames or drops (an
    /// `ALTER TABLE` that does only that, [`Scan::columns`]).
    columns: bool,
    /// Only the key columns of a table without a primary key, by adding a column (an `ALTER
    /// TABLE` that only adds columns and constraints, none of them a primary key).
    widens: bool,
    /// Whether there are triggers (with `lists`).
    triggers: bool,
    /// Which records (keys) the tables it names hold.
    rows: bool,
    /// Whether every statement is a plain INSERT, one that only adds rows: not an upsert or a
    /// REPLACE (they change or delete rows), nor a WITH (it can hold anything).
    inserts_only: bool,
}

impl Reach {
    fn everything() -> Reach {
        Reach {
            lists: true,
            rekeys: true,
            columns: true,
            widens: true,
            triggers: true,
            rows: true,
            inserts_only: false,
        }
    }
}

/// [`Reach`] of a script, statement by statement, from each statement's leading words. What
/// is not known to leave tables, triggers and records alone is taken to change them all: a
/// procedure or a function it calls, dynamic SQL (`DO`, `EXECUTE`), PostgreSQL's `SELECT … INTO
/// new_table`. Also the columns that ALTER TABLEs rename or drop ([`Reach::columns`]).
fn reach(script: &str, dialect: crate::Dialect) -> Touched {
    reach_statements(crate::sql::split(script, dialect), dialect)
}

/// [`reach`] of a script split into `statements`.
fn reach_statements(statements: Vec<crate::sql::Statement>, dialect: crate::Dialect) -> Touched {
    // Words between CREATE/DROP and the kind of object.
    const MODIFIERS: &[&str] = &[
        "or",
        "replace",
        "temp",
        "temporary",
        "unique",
        "global",
        "local",
        "unlogged",
        "if",
        "not",
        "exists",
        "concurrently",
        "online",
        "offline",
    ];
    // Objects whose creation touches no table, trigger, key or record.
    const CREATED_ALONE: &[&str] = &[
        "index",
        "sequence",
        "type",
        "extension",
        "function",
        "procedure",
        "domain",
        "collation",
        "statistics",
        "policy",
        "role",
        "user",
        "aggregate",
        "operator",
    ];
    // Words that make an ALTER TABLE more than adding columns and constraints.
    const BEYOND_ADDING: &[&str] = &[
        "primary", "rename", "drop", "type", "using", "modify", "change", "alter",
    ];
    let mut reach = Reach::default();
    let mut columns = Vec::new();
    let mut written = Some(Vec::new());
    let mut inserted = Vec::new();
    let mut updated: Vec<(String, Vec<String>)> = Vec::new();
    // Whether every statement that writes rows is a plain INSERT or a plain UPDATE.
    let mut updates_only = true;
    let mut created = Some(Vec::new());
    let mut inserts_only = !statements.is_empty();
    for statement in statements {
        // Keywords are ASCII: the words are compared as they are, ignoring ASCII case, and
        // only the few matched against lists are lower-cased.
        let words: Vec<&str> = statement
            .sql
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        let lower = |w: &str| w.to_ascii_lowercase();
        let word = |i: usize| words.get(i).map_or(String::new(), |w| lower(w));
        let has = |keyword: &str| words.iter().any(|w| w.eq_ignore_ascii_case(keyword));
        let object = || {
            words
                .iter()
                .skip(1)
                .map(|w| lower(w))
                .find(|w| !MODIFIERS.contains(&w.as_str()))
                .unwrap_or_default()
        };
        let plain_insert = word(0) == "insert"
            && !words.iter().any(|w| {
                ["replace", "conflict", "duplicate"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
            });
        inserts_only &= plain_insert;
        // Whether this statement writes rows, or lists tables, apart from the statements
        // before it.
        let rows_before = std::mem::take(&mut reach.rows);
        let lists_before = std::mem::take(&mut reach.lists);
        match word(0).as_str() {
            "comment" | "grant" | "revoke" | "analyze" | "vacuum" | "reindex" | "set" | "begin"
            | "commit" | "start" | "end" | "savepoint" | "release" | "pragma" | "lock"
            | "unlock" | "notify" | "refresh" | "cluster" | "checkpoint" | "optimize" | "flush"
            | "use" => {}
            "insert" | "update" | "delete" | "merge" | "replace" | "upsert" | "with"
            | "truncate" | "rollback" => reach.rows = true,
            "select" | "values" | "table" => {
                // A function it calls may write; PostgreSQL's SELECT … INTO makes a table.
                reach.rows = true;
                if has("into") {
                    reach.lists = true;
                    reach.triggers = true;
                }
            }
            "create" if CREATED_ALONE.contains(&object().as_str()) => {}
            // A table made from nothing is empty: neither `AS …` nor MySQL's bare `SELECT`.
            "create" if object() == "table" && !has("as") && !has("select") => {
                reach.lists = true;
            }
            "create" => {
                reach.lists = true;
                reach.rows = true;
                // MySQL's CREATE DEFINER = … TRIGGER: the word anywhere will do.
                reach.triggers |= has("trigger");
            }
            "drop" if object() == "index" => {}
            "drop" => {
                reach.lists = true;
                reach.rows = true;
                // A table, a schema or a database goes with its triggers.
                reach.triggers |= !matches!(object().as_str(), "view" | "sequence" | "type");
            }
            "alter" => match word(1).as_str() {
                "table" => 'table: {
                    let adds_only = has("add")
                        && !words
                            .iter()
                            .skip(2)
                            .any(|w| BEYOND_ADDING.iter().any(|b| w.eq_ignore_ascii_case(b)));
                    if adds_only {
                        reach.widens = true;
                        break 'table;
                    }
                    if let Some(column) = column_renamed_or_dropped(&statement.sql, &words) {
                        reach.columns = true;
                        columns.push(column.to_lowercase());
                        break 'table;
                    }
                    reach.rekeys = true;
                    reach.rows = true;
                    // RENAME COLUMN/INDEX/KEY/CONSTRAINT renames those; any other RENAME
                    // (`RENAME TO t2`, MySQL's bare `RENAME t2`) is taken to rename the table.
                    let renames_table = words
                        .iter()
                        .position(|w| w.eq_ignore_ascii_case("rename"))
                        .is_some_and(|at| {
                            !matches!(
                                word(at + 1).as_str(),
                                "column" | "index" | "key" | "constraint"
                            )
                        });
                    reach.lists |= renames_table;
                }
                "index" | "sequence" | "type" | "function" | "procedure" | "domain" => {}
                _ => {
                    reach.lists = true;
                    reach.rows = true;
                }
            },
            _ => reach = Reach::everything(),
        }
        if reach.rows {
            let update = (word(0) == "update")
                .then(|| plain_update(&statement.sql, dialect))
                .flatten();
            let target = insert_target(&statement.sql);
            match (plain_insert, &target, update) {
                (true, Some(target), _) => inserted.push(target.clone()),
                (false, _, Some((table, columns))) => {
                    match updated.iter_mut().find(|(t, _)| *t == table) {
                        Some((_, assigned)) => assigned.extend(columns),
                        None => updated.push((table, columns)),
                    }
                }
                _ => updates_only = false,
            }
            // An UPDATE can cascade to the tables whose foreign keys name the one it updates.
            match (plain_insert, written.as_mut(), target) {
                (true, Some(written), Some(target)) => written.push(target),
                _ => written = None,
            }
        }
        reach.rows |= rows_before;
        if reach.lists {
            match (created.as_mut(), created_table(&statement.sql)) {
                (Some(created), Some(table)) if !reach.triggers => created.push(table.to_string()),
                _ => created = None,
            }
        }
        reach.lists |= lists_before;
    }
    reach.inserts_only = inserts_only;
    updated.retain(|(table, _)| updates_only && !inserted.contains(table));
    Touched {
        reach,
        columns,
        written,
        created,
        updated,
    }
}

/// What [`reach`] finds of a script besides its [`Reach`].
struct Touched {
    reach: Reach,
    /// The columns its ALTER TABLEs rename or drop ([`Reach::columns`]), lower-cased.
    columns: Vec<String>,
    /// The tables whose rows it can change, by their own names (without schema), lower-cased,
    /// when it can say: when every statement that writes rows is a plain INSERT into a table
    /// it names (no upsert, no REPLACE; a foreign key cascades nothing on an insert).
    written: Option<Vec<String>>,
    /// The tables whose rows it only updates, with plain UPDATEs ([`plain_update`]), and the
    /// columns they assign, lower-cased; none unless every statement that writes rows is a
    /// plain INSERT (into a table it names) or a plain UPDATE.
    updated: Vec<(String, Vec<String>)>,
    /// The tables it creates, when every statement that can change which tables exist is a
    /// plain `CREATE TABLE <name> (` of an unquoted, unqualified, lower-case name (which every
    /// engine lists as written, in the current schema): the tables after it are those before
    /// and these.
    created: Option<Vec<String>>,
}

/// A plain UPDATE, `UPDATE <table> [[AS] <alias>] SET <assignments> [FROM … | WHERE … |
/// RETURNING … | ORDER BY … | LIMIT …]`: the table it updates, by its own name lower-cased (as
/// [`insert_target`] gives it), and the columns it assigns, lower-cased: every name left of an
/// assignment's `=` (`a`, `t.a`, `(a, b)`). Not SQLite's `UPDATE OR …` (REPLACE deletes rows),
/// PostgreSQL's `UPDATE ONLY`, MySQL's modifiers or multi-table UPDATE, nor one naming a table
/// or column with white space in it ([`Scan::updated`] holds them between spaces).
fn plain_update(sql: &str, dialect: crate::Dialect) -> Option<(String, Vec<String>)> {
    use crate::tokens::Tok;
    let toks = crate::tokens::lex(sql, dialect).toks;
    let at = |i: usize| toks.get(i);
    if !at(0)?.is("update") || at(1)?.is_any(&["or", "only", "low_priority", "ignore"]) {
        return None;
    }
    let mut table = at(1)?.text()?;
    let mut i = 2;
    while at(i) == Some(&Tok::Punct('.')) {
        table = at(i + 1)?.text()?;
        i += 2;
    }
    if at(i)?.is("as") {
        i += 1;
    }
    if !at(i)?.is("set") {
        // An alias.
        at(i)?.text()?;
        i += 1;
    }
    if !at(i)?.is("set") {
        return None;
    }
    i += 1;
    let mut columns = Vec::new();
    'assignments: loop {
        // The assigned columns, up to the `=` outside any parentheses.
        let mut depth = 0usize;
        loop {
            match at(i)? {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => depth = depth.checked_sub(1)?,
                Tok::Punct('=') if depth == 0 => break,
                Tok::Punct(',' | ';') if depth == 0 => return None,
                tok => columns.extend(tok.name()),
            }
            i += 1;
        }
        i += 1;
        // The value, up to the next assignment or the end of the SET list.
        let mut depth = 0usize;
        loop {
            match at(i) {
                None | Some(Tok::Punct(';')) => break 'assignments,
                Some(Tok::Punct('(')) => depth += 1,
                Some(Tok::Punct(')')) => depth = depth.checked_sub(1)?,
                Some(Tok::Punct(',')) if depth == 0 => break,
                Some(tok)
                    if depth == 0
                        && tok.is_any(&["from", "where", "returning", "order", "limit"]) =>
                {
                    break 'assignments;
                }
                Some(_) => {}
            }
            i += 1;
        }
        i += 1;
    }
    let spaced = |name: &str| name.contains(char::is_whitespace);
    if spaced(table) || columns.iter().any(|c| spaced(c)) {
        return None;
    }
    Some((table.to_lowercase(), columns))
}

/// The table a plain `CREATE TABLE <name> (` creates ([`Touched::created`]).
fn created_table(sql: &str) -> Option<&str> {
    let mut rest = sql.trim_start();
    for keyword in ["create", "table"] {
        let word = rest.get(..keyword.len())?;
        if !word.eq_ignore_ascii_case(keyword) {
            return None;
        }
        rest = &rest[keyword.len()..];
        let trimmed = rest.trim_start();
        if trimmed.len() == rest.len() {
            return None;
        }
        rest = trimmed;
    }
    let end = rest
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .unwrap_or(rest.len());
    let (name, after) = rest.split_at(end);
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && after.trim_start().starts_with('(');
    plain.then_some(name)
}

/// The table a plain `INSERT … INTO <table>` inserts into, by its own name (the last part of
/// a qualified name, unquoted), lower-cased; `None` without `INTO` among its first words.
fn insert_target(sql: &str) -> Option<String> {
    let sql = sql.trim_start();
    let mut rest = sql;
    // INSERT, then any of SQLite's OR … and MySQL's modifiers, then INTO.
    for _ in 0..4 {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        rest = after.trim_start();
        if word.eq_ignore_ascii_case("into") {
            // By its own name, as tables are matched (a name holding a dot, by what follows).
            return last_name_part(rest)
                .map(|name| name.rsplit('.').next().unwrap_or(&name).to_lowercase());
        }
        if word.is_empty() {
            return None;
        }
    }
    None
}

/// The last part of the (possibly qualified, possibly quoted) name `sql` starts with.
fn last_name_part(sql: &str) -> Option<String> {
    let mut rest = sql;
    loop {
        let (part, after) = match rest.chars().next()? {
            quote @ ('"' | '`' | '[') => {
                let close = if quote == '[' { ']' } else { quote };
                let end = rest[1..].find(close)? + 1;
                // A quote doubled inside the name: not worth reading further.
                if quote != '[' && rest[end + 1..].starts_with(close) {
                    return None;
                }
                (&rest[1..end], &rest[end + 1..])
            }
            _ => {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(rest.len());
                if end == 0 {
                    return None;
                }
                rest.split_at(end)
            }
        };
        match after.strip_prefix('.') {
            Some(next) => rest = next,
            None => return Some(part.to_string()),
        }
    }
}

/// The column an `ALTER TABLE` renames or drops, when that is all it does: `… RENAME COLUMN a
/// TO b` or `… DROP COLUMN [IF EXISTS] a [CASCADE | RESTRICT]`, with no quoted name anywhere
/// (one could hold spaces or other words). `words` are the statement's words.
fn column_renamed_or_dropped<'a>(sql: &str, words: &[&'a str]) -> Option<&'a str> {
    if sql.contains(['"', '`', '[']) {
        return None;
    }
    let is = |word: &str, keyword: &str| word.eq_ignore_ascii_case(keyword);
    let at = words
        .iter()
        .skip(3)
        .position(|w| is(w, "rename") || is(w, "drop"))?
        + 3;
    match &words[at..] {
        [rename, column, name, to, _]
            if is(rename, "rename") && is(column, "column") && is(to, "to") =>
        {
            Some(name)
        }
        [drop, column, rest @ ..] if is(drop, "drop") && is(column, "column") => {
            let rest = match rest {
                [if_, exists, rest @ ..] if is(if_, "if") && is(exists, "exists") => rest,
                _ => rest,
            };
            match rest {
                [name] => Some(name),
                [name, how] if is(how, "cascade") || is(how, "restrict") => Some(name),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The words of a script, lower-cased: a table it names is among them.
fn words(script: &str) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    script
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.bytes().any(|b| !b.is_ascii() || b.is_ascii_uppercase()) {
                std::borrow::Cow::Owned(w.to_lowercase())
            } else {
                std::borrow::Cow::Borrowed(w)
            }
        })
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
        origins
            .observe(engine, &|_| false, &v(version), after, sql)
            .await
            .unwrap();
    }

    /// A fresh SQLite database, with `ladder` run and followed step by step.
    async fn followed(ladder: &[(&str, After, &str)]) -> (Engine, Origins) {
        let mut engine = Engine::open(&crate::Target::Sqlite).await.unwrap();
        let mut origins = Origins::new();
        for (version, after, sql) in ladder {
            step(&mut origins, &mut engine, version, *after, sql).await;
        }
        (engine, origins)
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
    fn only_what_can_change_tables_or_keys_makes_them_read_again() {
        let of = |sql| reach(sql, crate::Dialect::Postgres).reach;
        let nothing = Reach::default();
        let rows = Reach {
            rows: true,
            ..Reach::default()
        };
        let rekeys = Reach {
            rekeys: true,
            rows: true,
            ..Reach::default()
        };
        let widens = Reach {
            widens: true,
            ..Reach::default()
        };
        let lists = Reach {
            lists: true,
            rows: true,
            ..Reach::default()
        };
        let columns = Reach {
            columns: true,
            ..Reach::default()
        };
        let empty_table = Reach {
            lists: true,
            ..Reach::default()
        };
        let expected = [
            (
                "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a); DROP INDEX i",
                nothing,
            ),
            (
                "-- a comment\nCREATE SEQUENCE s; COMMENT ON TABLE t IS 'x'; ANALYZE t",
                nothing,
            ),
            ("ALTER INDEX i RENAME TO j", nothing),
            (
                "UPDATE t SET a = 1; INSERT INTO t VALUES (1); DELETE FROM u",
                rows,
            ),
            ("SELECT setval('s', 3)", rows),
            ("TRUNCATE t", rows),
            ("ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 0", widens),
            (
                "ALTER TABLE t ADD CONSTRAINT t_u UNIQUE (c), ADD COLUMN d TEXT",
                widens,
            ),
            ("ALTER TABLE t RENAME COLUMN a TO b", columns),
            ("alter table app.t drop column if exists a cascade", columns),
            ("ALTER TABLE t DROP COLUMN a", columns),
            // Not only one column renamed or dropped, or a name that may hide other words.
            ("ALTER TABLE t DROP COLUMN a, DROP COLUMN b", rekeys),
            (r#"ALTER TABLE t DROP COLUMN "a b""#, rekeys),
            (r#"ALTER TABLE t DROP COLUMN "a cascade""#, rekeys),
            ("ALTER TABLE t DROP CONSTRAINT t_pkey", rekeys),
            (
                "ALTER TABLE t RENAME COLUMN a TO b, ADD COLUMN c INT",
                rekeys,
            ),
            ("CREATE TABLE t (a INT PRIMARY KEY, b TEXT)", empty_table),
            (
                "CREATE TABLE IF NOT EXISTS t (LIKE u INCLUDING ALL)",
                empty_table,
            ),
            ("ALTER TABLE t ADD PRIMARY KEY (a)", rekeys),
            (
                "ALTER TABLE t ADD COLUMN id serial, ALTER COLUMN a TYPE text",
                rekeys,
            ),
        ];
        for (sql, reach) in expected {
            assert_eq!(of(sql), reach, "{sql}");
        }
        for sql in [
            "CREATE TABLE t AS SELECT * FROM u",
            "CREATE TABLE t (a) AS TABLE u",
            "CREATE TABLE t (a INT GENERATED ALWAYS AS (1) STORED)",
            "CREATE OR REPLACE TEMP VIEW v AS SELECT 1",
            "CREATE TRIGGER g AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            "DROP TABLE t",
            "SELECT * INTO t2 FROM t",
            "CALL make_tables()",
            "DO $$ BEGIN EXECUTE 'CREATE TABLE x (a int)'; END $$",
            "RENAME TABLE a TO b",
            "ALTER TABLE a RENAME TO b",
        ] {
            let found = of(sql);
            assert!(found.lists && found.rows, "{sql}");
        }
        // PostgreSQL's RENAME without COLUMN is taken to rename the table, as MySQL's is.
        assert_eq!(
            of("ALTER TABLE t RENAME a TO b"),
            Reach {
                lists: true,
                ..rekeys
            }
        );
        assert_eq!(
            reach("CREATE TABLE t SELECT * FROM u", crate::Dialect::Mysql).reach,
            lists
        );
        let touched = reach(
            "ALTER TABLE t RENAME COLUMN Note TO remark; ALTER TABLE u DROP COLUMN x",
            crate::Dialect::Mysql,
        );
        assert_eq!(touched.reach, columns);
        assert_eq!(touched.columns, ["note", "x"]);
        // The tables whose rows a script can change, when every statement that writes rows is
        // a plain INSERT.
        let written = |sql| reach(sql, crate::Dialect::Postgres).written;
        assert_eq!(
            written(
                "CREATE TABLE c (id INT PRIMARY KEY); CREATE INDEX i ON t (a);
                 INSERT INTO c SELECT id FROM t;
                 insert into app.\"Log\" (a) values (1); INSERT OR IGNORE INTO `q` VALUES (1)"
            ),
            Some(vec!["c".to_string(), "log".to_string(), "q".to_string()])
        );
        assert_eq!(written("CREATE INDEX i ON t (a)"), Some(vec![]));
        assert_eq!(
            written(r#"INSERT INTO "a.B"(x) VALUES (1); INSERT INTO [s].[T] VALUES (1)"#),
            Some(vec!["b".to_string(), "t".to_string()])
        );
        assert_eq!(written("INSERT INTO `a``b` VALUES (1)"), None);
        // The tables a script creates, when that is all it changes of which tables exist.
        let created = |sql| reach(sql, crate::Dialect::Postgres).created;
        assert_eq!(
            created(
                "CREATE TABLE t_1 (id INT PRIMARY KEY);\ncreate  table\n_u(a INT);
                 CREATE INDEX i ON t_1 (id); INSERT INTO t_1 VALUES (1); ALTER TABLE _u ADD b INT"
            ),
            Some(vec!["t_1".to_string(), "_u".to_string()])
        );
        assert_eq!(created("INSERT INTO t VALUES (1)"), Some(vec![]));
        // Whether SQLite can run the script without a BEGIN and COMMIT around it.
        for (sql, one) in [
            ("-- seed\nINSERT INTO t VALUES (1), (2);\n-- done", true),
            ("update t set a = 1", true),
            ("ALTER TABLE t ADD b INT;", true),
            ("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)", false),
            ("PRAGMA foreign_keys = OFF", false),
            ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", false),
            ("", false),
        ] {
            assert_eq!(
                Scan::of(sql, crate::Dialect::Sqlite3).one_statement,
                one,
                "{sql}"
            );
        }
        // Whether text after a script would be read as part of it.
        for (sql, closed) in [
            ("INSERT INTO t VALUES ('a'); -- done", true),
            ("SELECT 1", true),
            ("", true),
            ("INSERT INTO t VALUES ('a);", false),
            ("SELECT 1; /* open", false),
            ("SELECT 1;\nSELECT 1 -- no newline", true),
            ("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1", false),
        ] {
            assert_eq!(
                Scan::of(sql, crate::Dialect::Postgres).closed,
                closed,
                "{sql}"
            );
        }
        for sql in [
            // Quoted, qualified, not lower-case, not plain: the engine may list it otherwise.
            "CREATE TABLE \"T\" (id INT)",
            "CREATE TABLE app.t (id INT)",
            "CREATE TABLE Users (id INT)",
            "CREATE TABLE IF NOT EXISTS t (id INT)",
            "CREATE TEMP TABLE t (id INT)",
            "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)",
            "CREATE TABLE t AS SELECT 1 AS id",
            "CREATE TABLE t LIKE u",
            "CREATE VIEW v AS SELECT 1",
            // Something else changes which tables exist.
            "CREATE TABLE t (id INT); DROP TABLE u",
            "CREATE TABLE t (id INT); ALTER TABLE u RENAME TO w",
            "CREATE TABLE t (id INT); DO $$ BEGIN NULL; END $$",
            "CREATE TABLE t (id INT); CREATE TRIGGER tr AFTER INSERT ON t \
             FOR EACH ROW EXECUTE FUNCTION f()",
        ] {
            assert_eq!(created(sql), None, "{sql}");
        }
        for sql in [
            "INSERT INTO c SELECT id FROM t; UPDATE t SET a = 1",
            "INSERT INTO c VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 2",
            "INSERT INTO c VALUES (1) ON DUPLICATE KEY UPDATE a = 2",
            "WITH x AS (DELETE FROM t RETURNING id) INSERT INTO c SELECT id FROM x",
            "DELETE FROM t",
            "CREATE TABLE c AS SELECT * FROM t",
            "INSERT c VALUES (1)",
        ] {
            assert_eq!(written(sql), None, "{sql}");
        }
        assert_eq!(
            reach("ALTER TABLE a RENAME b", crate::Dialect::Mysql).reach,
            Reach {
                lists: true,
                rekeys: true,
                rows: true,
                ..Reach::default()
            }
        );
        assert!(of("CREATE TRIGGER g BEFORE UPDATE ON t EXECUTE FUNCTION f()").triggers);
        assert!(
            reach(
                "CREATE DEFINER = root@localhost TRIGGER g BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
                crate::Dialect::Mysql
            )
            .reach
            .triggers
        );
        assert!(of("DROP TABLE t").triggers);
        assert_eq!(of("CALL p()"), Reach::everything());
        assert!(!of("CREATE TABLE t (a INT)").triggers);
        assert_eq!(of("ALTER VIEW v RENAME TO w"), lists);
    }

    #[tokio::test]
    async fn a_column_added_to_a_table_without_primary_key_joins_its_key() {
        let (mut engine, o) = followed(&[
            (
                "1",
                After::Migration,
                "CREATE TABLE keyed (id INTEGER PRIMARY KEY, a TEXT); CREATE TABLE loose (a TEXT)",
            ),
            (
                "1",
                After::Testdata,
                "INSERT INTO keyed VALUES (1, 'x'); INSERT INTO loose VALUES ('x')",
            ),
            (
                "2",
                After::Migration,
                "ALTER TABLE keyed ADD COLUMN b TEXT; ALTER TABLE loose ADD COLUMN b TEXT;
                 CREATE INDEX keyed_a ON keyed (a)",
            ),
            (
                "2",
                After::Testdata,
                "INSERT INTO keyed VALUES (2, 'y', 'z'); INSERT INTO loose VALUES ('y', 'z')",
            ),
        ])
        .await;
        let e = &mut engine;
        // The keyed table is not read again after the ALTER; the loose one is, since the new
        // column joined its key, and its old record, under a key it never had, counts as the
        // migration's (the limit of following records by key). Not read again, both of its
        // records would be unknown ("?").
        assert_eq!(origins_of(&o, e, "keyed").await, ["1", "2"]);
        assert_eq!(origins_of(&o, e, "loose").await, ["migration 2", "2"]);
    }

    #[tokio::test]
    async fn records_of_a_keyed_table_updated_in_place_lose_the_keys_that_go() {
        let (mut engine, o) = followed(&[
            (
                "1",
                After::Migration,
                "CREATE TABLE users (id INTEGER PRIMARY KEY, a TEXT); CREATE TABLE other (id INT)",
            ),
            (
                "1",
                After::Testdata,
                "INSERT INTO users VALUES (1, 'x'), (2, 'y'), (3, 'z')",
            ),
            // One table read again after a migration: updated in place; the moved record is
            // the migration's, the deleted one goes.
            (
                "2",
                After::Migration,
                "UPDATE users SET id = 12 WHERE id = 2; DELETE FROM users WHERE id = 3",
            ),
            // A record deleted and one added by testdata.
            (
                "2",
                After::Testdata,
                "DELETE FROM users WHERE id = 1; INSERT INTO users VALUES (4, 'w')",
            ),
        ])
        .await;
        let e = &mut engine;
        assert_eq!(
            origins_of(&o, e, "users").await,
            ["2", "migration 2"],
            "ids 4 and 12"
        );
        let users = &o.tables["users"];
        assert_eq!((users.count, users.rows.len()), (2, 2));
    }

    #[test]
    fn plain_updates_say_what_they_assign() {
        let update = |sql| plain_update(sql, crate::Dialect::Postgres);
        let assigns = |table: &str, columns: &[&str]| {
            Some((
                table.to_string(),
                columns.iter().map(|c| c.to_string()).collect(),
            ))
        };
        assert_eq!(
            update("UPDATE t0 SET score = id % 7 WHERE score = 0"),
            assigns("t0", &["score"])
        );
        assert_eq!(
            update(
                r#"update app."T" as x set x.a = f(b, c), ("D", e) = (select 1, 2) from y where z"#
            ),
            assigns("t", &["x", "a", "d", "e"])
        );
        assert_eq!(
            update("UPDATE t SET a = (SELECT max(x) FROM u WHERE y), b = CASE WHEN c THEN 1 END;"),
            assigns("t", &["a", "b"])
        );
        assert_eq!(
            update("UPDATE t SET a = 1 RETURNING id"),
            assigns("t", &["a"])
        );
        for sql in [
            "UPDATE OR REPLACE t SET a = 1",
            "UPDATE ONLY t SET a = 1",
            "UPDATE LOW_PRIORITY t SET a = 1",
            "UPDATE t1, t2 SET t1.a = t2.b",
            "UPDATE t1 JOIN t2 ON t1.id = t2.id SET t1.a = t2.b",
            r#"UPDATE "a b" SET a = 1"#,
            r#"UPDATE t SET "my id" = 1"#,
            "UPDATE t SET a = 1, WHERE b",
            "UPDATE t SET (a = 1",
            "UPDATE t",
        ] {
            assert_eq!(update(sql), None, "{sql}");
        }
        // Only plain UPDATEs: any other statement that writes rows leaves what it writes open.
        let updated = |sql| reach(sql, crate::Dialect::Sqlite3).updated;
        assert_eq!(
            updated("UPDATE a SET x = 1; UPDATE b SET y = 2; UPDATE a SET z = 3"),
            [
                ("a".to_string(), vec!["x".to_string(), "z".to_string()]),
                ("b".to_string(), vec!["y".to_string()])
            ]
        );
        assert_eq!(updated("INSERT INTO a VALUES (1); UPDATE a SET x = 1"), []);
        assert_eq!(updated("UPDATE a SET x = 1; DELETE FROM b"), []);
    }

    /// A migration that only updates columns outside a table's key leaves its keys: they are
    /// not read again. Assigning a key column (or SQLite's rowid) reads them, and so does any
    /// UPDATE once a table can resolve a conflict by deleting rows.
    #[tokio::test]
    async fn updates_outside_the_key_leave_the_keys_unread() {
        let (mut engine, mut o) = followed(&[
            (
                "1",
                After::Migration,
                "CREATE TABLE users (id INTEGER PRIMARY KEY, a TEXT); CREATE TABLE bare (a INT)",
            ),
            (
                "1",
                After::Testdata,
                "INSERT INTO users VALUES (1, 'x'), (2, 'y'); INSERT INTO bare VALUES (1)",
            ),
        ])
        .await;
        let reads = |o: &Origins, sql: &str| -> Vec<String> {
            let scan = Scan::of(sql, crate::Dialect::Sqlite3);
            o.planned(&scan, After::Migration)
                .into_iter()
                .map(|(table, _)| table)
                .collect()
        };
        assert!(reads(&o, "UPDATE users SET a = upper(a) WHERE id > 0").is_empty());
        assert_eq!(reads(&o, "UPDATE users SET id = id + 10"), ["users"]);
        assert_eq!(reads(&o, "UPDATE users SET rowid = rowid + 10"), ["users"]);
        assert_eq!(
            reads(&o, r#"UPDATE users SET "ID" = 3 WHERE a = 'x'"#),
            ["users"]
        );
        assert_eq!(
            reads(&o, "UPDATE users SET a = 'q'; DELETE FROM users"),
            ["users"]
        );
        // Every column is the key of a table without a primary key.
        assert_eq!(reads(&o, "UPDATE bare SET a = 2"), ["bare"]);

        // The rowid moved: the records are the migration's.
        let e = &mut engine;
        step(
            &mut o,
            e,
            "2",
            After::Migration,
            "UPDATE users SET rowid = rowid + 10",
        )
        .await;
        assert_eq!(
            origins_of(&o, e, "users").await,
            ["migration 2", "migration 2"]
        );

        // A table that replaces rows on a conflict: an UPDATE can delete rows.
        let replacing = "CREATE TABLE mails (id INTEGER PRIMARY KEY, \
                         mail TEXT UNIQUE ON CONFLICT REPLACE)";
        step(&mut o, e, "3", After::Migration, replacing).await;
        step(
            &mut o,
            e,
            "3",
            After::Testdata,
            "INSERT INTO mails VALUES (1, 'a'), (2, 'b')",
        )
        .await;
        assert!(o.replacing);
        assert_eq!(reads(&o, "UPDATE users SET a = 'q'"), ["users"]);
        step(
            &mut o,
            e,
            "4",
            After::Migration,
            "UPDATE mails SET mail = 'a' WHERE id = 2",
        )
        .await;
        assert_eq!(origins_of(&o, e, "mails").await, ["3"]);
        let mails = &o.tables["mails"];
        assert_eq!((mails.count, mails.rows.len()), (1, 1), "id 1 is gone");
    }

    #[tokio::test]
    async fn testdata_that_only_inserts_is_followed_by_the_rows_sqlite_reports() {
        let (mut engine, mut o) = followed(&[(
            "1",
            After::Migration,
            "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);
             CREATE TABLE d (id INTEGER PRIMARY KEY DESC, v TEXT);
             CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID;
             CREATE TABLE s (k TEXT PRIMARY KEY)",
        )])
        .await;
        let e = &mut engine;
        // Only `a`'s key is its rowid: a row's key is known from the rowid SQLite reports.
        let rowid_keys: Vec<_> = ["a", "d", "w", "s"]
            .iter()
            .map(|t| o.tables[*t].rowid_key)
            .collect();
        assert_eq!(
            rowid_keys,
            [Some(true), Some(false), Some(false), Some(false)]
        );
        let all = |id: i32| {
            format!(
                "INSERT INTO a VALUES ({id}, 'x'); INSERT INTO d VALUES ({id}, 'x');
                 INSERT INTO w VALUES ({id}, 'x'); INSERT INTO s VALUES ('k{id}')"
            )
        };
        let only_a = |id: i32| format!("INSERT INTO a VALUES ({id}, 'x')");
        // SQLite reports no row of a WITHOUT ROWID table.
        let only_w = |id: i32| format!("INSERT INTO w VALUES ({id}, 'x')");
        // A row ladder does not see being written: only a read of the table finds it.
        let unseen = "INSERT INTO a VALUES (150, 'unseen')".to_string();
        let ladder = [
            ("1", all(100), true),
            ("2", only_a(200), true),
            ("2", unseen, false),
            ("3", only_a(300), true),
            ("4", all(400), true),
            ("5", only_w(500), true),
        ];
        for (version, sql, observed) in ladder {
            e.record_rows(true);
            e.execute(&sql).await.unwrap();
            let written = e.record_rows(false).unwrap();
            if !observed {
                continue;
            }
            assert!(!written.changed);
            let scan = Scan::of(&sql, crate::Dialect::Sqlite3);
            assert!(scan.reach.inserts_only);
            let told = Told {
                written: Some(written),
                ..Told::default()
            };
            o.observe_scanned(e, &|_| false, &v(version), After::Testdata, &scan, told)
                .await
                .unwrap();
            // Right after the row ladder did not see, a read would have found it.
            if version == "3" {
                assert_eq!(origins_of(&o, e, "a").await, ["1", "?", "2", "3"]);
            }
        }
        // Inserts into tables not keyed by their rowid: read again, and the unseen row found.
        assert_eq!(origins_of(&o, e, "a").await, ["1", "4", "2", "3", "4"]);
        for table in ["d", "s"] {
            assert_eq!(origins_of(&o, e, table).await, ["1", "4"], "{table}");
        }
        assert_eq!(origins_of(&o, e, "w").await, ["1", "4", "5"]);
        // An update among the inserts, or an upsert: the rows are read again.
        for sql in [
            "INSERT INTO a VALUES (1); UPDATE a SET v = 1",
            "INSERT OR REPLACE INTO a VALUES (1)",
            "INSERT INTO a VALUES (1) ON CONFLICT DO NOTHING",
        ] {
            assert!(
                !Scan::of(sql, crate::Dialect::Sqlite3).reach.inserts_only,
                "{sql}"
            );
        }
    }

    #[tokio::test]
    async fn a_table_named_by_digits_alone_is_followed() {
        let (mut engine, o) = followed(&[
            (
                "1",
                After::Migration,
                "CREATE TABLE \"2024\" (id INTEGER PRIMARY KEY)",
            ),
            ("1", After::Testdata, "INSERT INTO \"2024\" VALUES (1)"),
            ("2", After::Testdata, "INSERT INTO \"2024\" VALUES (2)"),
        ])
        .await;
        assert_eq!(origins_of(&o, &mut engine, "2024").await, ["1", "2"]);
    }

    #[test]
    fn table_changes_are_whole_words() {
        let may = |sql| may_change_tables(sql, crate::Dialect::Mysql);
        assert!(may("ALTER TABLE t ADD c INT"));
        assert!(may("create temp table x (a int)"));
        assert!(!may("INSERT INTO t (created_at, dropped) VALUES (1, 2)"));
    }

    #[test]
    fn labels_read_back() {
        for label in ["20230112093015", "migration 3", "dump at 2"] {
            assert_eq!(Origin::parse(label).unwrap().label(), label);
        }
        assert_eq!(Origin::parse("nonsense"), None);
    }
}
