//! Coverage: which migrations the ladder does not really test, because no record lives through
//! them.
//!
//! A migration that changes the data of a table (`ALTER TABLE`, `UPDATE`, `DELETE`, `DROP
//! TABLE`, `TRUNCATE`, `MERGE`) is only exercised by the ladder when some testdata applied
//! before it put rows in that table. The testdata of a version is applied right *after* that
//! version's migration, so only the testdata of earlier versions counts.
//!
//! This is worked out from the SQL text alone, without a database. Per dialect, the steps are
//! walked in order and each table (by its current name) is tracked:
//!
//! - testdata `INSERT INTO t` / `REPLACE INTO t` / `COPY t FROM` puts rows in `t`;
//! - in migrations, rows move: `INSERT INTO new ... SELECT ... FROM old` and `CREATE TABLE new AS
//!   SELECT ... FROM old` fill `new` when any table read after `FROM`/`JOIN` has rows (or when
//!   the rows are the statement's own: `VALUES`, a `SELECT` without tables);
//! - `ALTER TABLE a RENAME TO b` and MySQL's `RENAME TABLE a TO b` move `a`'s state to `b`;
//!   `DROP TABLE t` forgets `t`; `CREATE TABLE t` starts an empty one.
//!
//! So SQLite's table rebuild (`CREATE TABLE t_new`, `INSERT INTO t_new SELECT ... FROM t`, `DROP
//! TABLE t`, `ALTER TABLE t_new RENAME TO t`) keeps `t` seeded when it was. Tables created in the
//! same migration file are never warned about, and each table is warned about at most once per
//! file, at its first data-changing statement. Names compare case-insensitively, without quotes
//! or schema.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use camino::Utf8PathBuf;

use crate::dialect::Dialect;
use crate::plan::{Plan, Script};
use crate::sql;
use crate::tokens::{self, Cursor, Tok, split_top_level, top_level};
use crate::version::Version;

/// A migration statement that changes a table no earlier testdata put rows in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// The migration file.
    pub path: Utf8PathBuf,
    /// 1-based line of the statement in the file.
    pub line: usize,
    /// The table, as the statement names it (without quotes and schema).
    pub table: String,
    /// The migration's version.
    pub version: Version,
    pub dialect: Dialect,
    /// The statement's first line, trimmed and cut to 80 characters.
    pub statement: String,
    /// The version just before `version`: rows added to its testdata live through this
    /// migration. `None` when the migration is the first one.
    pub seed_version: Option<Version>,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}: warning: changes table {}, but no testdata before {} puts rows in it ({})",
            self.path, self.line, self.table, self.version, self.dialect
        )?;
        writeln!(f, "  statement: {}", self.statement)?;
        match &self.seed_version {
            Some(seed) => write!(
                f,
                "  hint: add rows for {} to testdata/{seed}.sql (testdata/{}.sql is applied after \
                 this migration, too late to test it)",
                self.table, self.version
            ),
            None => write!(
                f,
                "  hint: this is the first migration, so no testdata can put rows in {} before it",
                self.table
            ),
        }
    }
}

/// Warns about each statement of the migrations for `dialect` that changes the data of a table
/// no testdata applied before it put rows in; once per (migration file, table), in plan order.
pub fn coverage(plan: &Plan, dialect: Dialect) -> Vec<Warning> {
    walk(plan, dialect).warnings
}

/// [`coverage`] for each dialect. A warning for the same (file, line, table) in several dialects
/// (a generic file) is kept once, for the first of `dialects`. Sorted.
pub fn warnings(plan: &Plan, dialects: &[Dialect]) -> Vec<Warning> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for &dialect in dialects {
        for warning in coverage(plan, dialect) {
            if seen.insert((warning.path.clone(), warning.line, warning.table.clone())) {
                out.push(warning);
            }
        }
    }
    out.sort();
    out
}

/// The tables that exist after all migrations for `dialect`, named as written in the most recent
/// `CREATE TABLE` or rename (without quotes and schema). Temporary tables are not included.
pub fn final_tables(plan: &Plan, dialect: Dialect) -> BTreeSet<String> {
    let model = walk(plan, dialect).model;
    model
        .names
        .values()
        .filter_map(|&id| model.tables.get(id))
        .filter(|table| table.declared)
        .map(|table| table.name.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The walk over the plan.

/// What is known of one table (it keeps its identity through renames).
#[derive(Debug)]
struct Table {
    /// As written in the most recent CREATE TABLE or rename.
    name: String,
    /// Has rows from testdata (directly or moved by a migration).
    seeded: bool,
    /// Created by a CREATE TABLE (not only seen in other statements).
    declared: bool,
    temporary: bool,
    /// Index of the step whose migration created it.
    created_in: Option<usize>,
    /// Index of the step whose migration it was last warned about in.
    warned_in: Option<usize>,
}

#[derive(Debug, Default)]
struct Model {
    /// Lower-cased current name -> index in `tables`.
    names: BTreeMap<String, usize>,
    tables: Vec<Table>,
}

impl Model {
    fn id(&self, name: &Name) -> Option<usize> {
        self.names.get(&name.key).copied()
    }

    fn table(&self, name: &Name) -> Option<&Table> {
        self.id(name).and_then(|id| self.tables.get(id))
    }

    fn table_mut(&mut self, name: &Name) -> Option<&mut Table> {
        self.id(name).and_then(|id| self.tables.get_mut(id))
    }

    fn add(&mut self, name: &Name, table: Table) -> usize {
        let id = self.tables.len();
        self.tables.push(table);
        self.names.insert(name.key.clone(), id);
        id
    }

    /// The table by that name; a table that was never created as far as the SQL shows (or that
    /// testdata fills) still exists.
    fn get_or_add(&mut self, name: &Name) -> usize {
        match self.id(name) {
            Some(id) => id,
            None => self.add(
                name,
                Table {
                    name: name.written.clone(),
                    seeded: false,
                    declared: false,
                    temporary: false,
                    created_in: None,
                    warned_in: None,
                },
            ),
        }
    }

    fn seeded(&self, name: &Name) -> bool {
        self.table(name).is_some_and(|table| table.seeded)
    }

    fn seed(&mut self, name: &Name) {
        let id = self.get_or_add(name);
        if let Some(table) = self.tables.get_mut(id) {
            table.seeded = true;
        }
    }

    /// Rows for the target of a fill: its own rows, or any of its sources has rows.
    fn fills(&self, sources: Option<&[Name]>) -> bool {
        sources.is_none_or(|sources| sources.iter().any(|source| self.seeded(source)))
    }
}

struct Walk {
    warnings: Vec<Warning>,
    model: Model,
}

/// Where a statement is: for the warnings.
struct At<'a> {
    step: usize,
    version: &'a Version,
    seed_version: Option<&'a Version>,
    script: &'a Script,
    statement: &'a sql::Statement,
}

fn walk(plan: &Plan, dialect: Dialect) -> Walk {
    let mut walk = Walk {
        warnings: Vec::new(),
        model: Model::default(),
    };
    let mut previous: Option<&Version> = None;
    for (n, step) in plan.steps.iter().enumerate() {
        if let Some(script) = step.up_for(dialect) {
            for statement in sql::split(&script.sql, dialect) {
                let at = At {
                    step: n,
                    version: &step.version,
                    seed_version: previous,
                    script,
                    statement: &statement,
                };
                for action in actions(&lex(&statement.sql, dialect)) {
                    walk.migration(action, &at, dialect);
                }
            }
            // Temporary tables end with the migration's session.
            let model = &mut walk.model;
            let tables = &model.tables;
            model
                .names
                .retain(|_, id| tables.get(*id).is_none_or(|table| !table.temporary));
        }
        if let Some(script) = step.testdata_for(dialect) {
            for statement in sql::split(&script.sql, dialect) {
                for action in actions(&lex(&statement.sql, dialect)) {
                    if let Action::Fill { table, sources } = action
                        && walk.model.fills(sources.as_deref())
                    {
                        walk.model.seed(&table);
                    }
                }
            }
        }
        previous = Some(&step.version);
    }
    walk
}

impl Walk {
    fn migration(&mut self, action: Action, at: &At<'_>, dialect: Dialect) {
        let model = &mut self.model;
        match action {
            Action::Create {
                table,
                temporary,
                if_not_exists,
            } => {
                if if_not_exists && let Some(existing) = model.table_mut(&table) {
                    if !existing.declared {
                        existing.declared = true;
                        existing.name = table.written;
                    }
                    return;
                }
                model.add(
                    &table,
                    Table {
                        name: table.written.clone(),
                        seeded: false,
                        declared: true,
                        temporary,
                        created_in: Some(at.step),
                        warned_in: None,
                    },
                );
            }
            Action::Fill { table, sources } => {
                if model.fills(sources.as_deref()) {
                    model.seed(&table);
                }
            }
            Action::Change { table, if_exists } => self.check(&table, if_exists, at, dialect),
            Action::Drop { table, if_exists } => {
                self.check(&table, if_exists, at, dialect);
                self.model.names.remove(&table.key);
            }
            Action::Rename {
                from,
                to,
                if_exists,
            } => {
                if if_exists && model.id(&from).is_none() {
                    return;
                }
                let id = model.get_or_add(&from);
                model.names.remove(&from.key);
                model.names.insert(to.key.clone(), id);
                if let Some(table) = model.tables.get_mut(id) {
                    table.name = to.written;
                }
            }
        }
    }

    /// Warns when `name` changes without seeded rows, unless the file created it or already
    /// warned about it.
    fn check(&mut self, name: &Name, if_exists: bool, at: &At<'_>, dialect: Dialect) {
        let id = match self.model.id(name) {
            Some(id) => id,
            None if if_exists => return,
            None => self.model.get_or_add(name),
        };
        let Some(table) = self.model.tables.get_mut(id) else {
            return;
        };
        if table.seeded || table.created_in == Some(at.step) || table.warned_in == Some(at.step) {
            return;
        }
        table.warned_in = Some(at.step);
        self.warnings.push(Warning {
            path: at.script.path.clone(),
            line: at.statement.line + at.script.first_line.saturating_sub(1),
            table: name.written.clone(),
            version: at.version.clone(),
            dialect,
            statement: shorten(at.statement.sql.lines().next().unwrap_or("")),
            seed_version: at.seed_version.cloned(),
        });
    }
}

/// A statement's first line, trimmed and cut to 80 characters.
fn shorten(line: &str) -> String {
    let line = line.trim();
    if line.chars().count() <= 80 {
        line.to_string()
    } else {
        let mut short: String = line.chars().take(79).collect();
        short.push('…');
        short
    }
}

// ---------------------------------------------------------------------------------------------
// What a statement does to tables.

/// A table name: its last part (no schema), unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name {
    written: String,
    /// Lower-cased, for comparing.
    key: String,
}

impl Name {
    fn new(written: &str) -> Name {
        Name {
            written: written.to_string(),
            key: written.to_lowercase(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    /// `CREATE TABLE`.
    Create {
        table: Name,
        temporary: bool,
        if_not_exists: bool,
    },
    /// Rows go into `table`: its own rows (`None`: `VALUES`, `COPY`, a `SELECT` without tables)
    /// or those read from `sources`.
    Fill {
        table: Name,
        sources: Option<Vec<Name>>,
    },
    /// The data of `table` changes.
    Change { table: Name, if_exists: bool },
    /// `DROP TABLE`: a change, then the table is gone.
    Drop { table: Name, if_exists: bool },
    Rename {
        from: Name,
        to: Name,
        if_exists: bool,
    },
}

/// What one statement does to tables, in order.
fn actions(toks: &[Tok]) -> Vec<Action> {
    let mut c = Cursor::new(toks);
    let ctes = if c.eat("WITH") {
        ctes(&mut c)
    } else {
        Vec::new()
    };
    let Some(Tok::Word(first)) = c.next() else {
        return Vec::new();
    };
    let first = first.to_ascii_uppercase();
    let mut out = Vec::new();
    match first.as_str() {
        "INSERT" | "REPLACE" => {
            while c.eat_any(&["LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE"]) {}
            if c.eat("OR") {
                c.skip(1);
            }
            c.eat("INTO");
            let Some(table) = c.name() else {
                return out;
            };
            if c.eat("AS") {
                c.name();
            }
            if c.eat("PARTITION") {
                c.skip_group();
            }
            if c.peek() == Some(&Tok::Punct('('))
                && !c.peek_at(1).is_some_and(|t| t.is_any(&["SELECT", "WITH"]))
            {
                c.skip_group();
            }
            if c.eat("OVERRIDING") {
                c.skip(2);
            }
            let own_rows = c
                .peek()
                .is_some_and(|t| t.is_any(&["VALUES", "VALUE", "SET", "DEFAULT"]));
            let sources = if own_rows {
                None
            } else {
                Some(sources(toks, &ctes)).filter(|s| !s.is_empty())
            };
            out.push(Action::Fill { table, sources });
        }
        "COPY" => {
            if let Some(table) = c.name() {
                if c.peek() == Some(&Tok::Punct('(')) {
                    c.skip_group();
                }
                if c.eat("FROM") {
                    out.push(Action::Fill {
                        table,
                        sources: None,
                    });
                }
            }
        }
        "CREATE" => {
            c.eat_all(&["OR", "REPLACE"]);
            let mut temporary = false;
            loop {
                if c.eat_any(&["TEMP", "TEMPORARY"]) {
                    temporary = true;
                } else if !c.eat_any(&["GLOBAL", "LOCAL", "UNLOGGED"]) {
                    break;
                }
            }
            if !c.eat("TABLE") {
                return out;
            }
            let if_not_exists = c.eat_all(&["IF", "NOT", "EXISTS"]);
            let Some(table) = c.name() else {
                return out;
            };
            let rest = c.rest();
            let query = top_level(rest).any(|(_, t)| t.is_any(&["AS", "SELECT"]));
            let no_data = rest
                .windows(3)
                .any(|w| matches!(w, [a, b, c] if a.is("WITH") && b.is("NO") && c.is("DATA")));
            out.push(Action::Create {
                table: table.clone(),
                temporary,
                if_not_exists,
            });
            if query && !no_data {
                let sources = Some(sources(toks, &ctes)).filter(|s| !s.is_empty());
                out.push(Action::Fill { table, sources });
            }
        }
        "DROP" => {
            c.eat("TEMPORARY");
            if !c.eat("TABLE") {
                return out;
            }
            let if_exists = c.eat_all(&["IF", "EXISTS"]);
            for table in c.names() {
                out.push(Action::Drop { table, if_exists });
            }
        }
        "ALTER" => {
            while c.eat_any(&["ONLINE", "OFFLINE", "IGNORE"]) {}
            if !c.eat("TABLE") {
                return out;
            }
            let if_exists = c.eat_all(&["IF", "EXISTS"]);
            c.eat("ONLY");
            let Some(table) = c.name() else {
                return out;
            };
            c.eat_punct('*');
            out.push(Action::Change {
                table: table.clone(),
                if_exists,
            });
            for piece in split_top_level(c.rest()) {
                if let Some(to) = renamed_to(piece) {
                    out.push(Action::Rename {
                        from: table.clone(),
                        to,
                        if_exists,
                    });
                }
            }
        }
        "RENAME" => {
            // MySQL: RENAME TABLE a TO b, c TO d
            if !c.eat("TABLE") {
                return out;
            }
            while let (Some(from), true, Some(to)) = (c.name(), c.eat("TO"), c.name()) {
                out.push(Action::Change {
                    table: from.clone(),
                    if_exists: false,
                });
                out.push(Action::Rename {
                    from,
                    to,
                    if_exists: false,
                });
                if !c.eat_punct(',') {
                    break;
                }
            }
        }
        "UPDATE" => {
            while c.eat_any(&["LOW_PRIORITY", "IGNORE"]) {}
            if c.eat("OR") {
                c.skip(1);
            }
            c.eat("ONLY");
            if let Some(table) = c.name() {
                out.push(Action::Change {
                    table,
                    if_exists: false,
                });
            }
        }
        "DELETE" => {
            while c.eat_any(&["LOW_PRIORITY", "QUICK", "IGNORE"]) {}
            c.eat("FROM");
            c.eat("ONLY");
            if let Some(table) = c.name() {
                out.push(Action::Change {
                    table,
                    if_exists: false,
                });
            }
        }
        "TRUNCATE" => {
            c.eat("TABLE");
            let if_exists = c.eat_all(&["IF", "EXISTS"]);
            c.eat("ONLY");
            for table in c.names() {
                out.push(Action::Change { table, if_exists });
            }
        }
        "MERGE" => {
            c.eat("INTO");
            if let Some(table) = c.name() {
                out.push(Action::Change {
                    table,
                    if_exists: false,
                });
            }
        }
        _ => {}
    }
    out
}

/// The CTEs of a `WITH` (already consumed): their names, and the cursor after them.
fn ctes(c: &mut Cursor<'_>) -> Vec<String> {
    let mut names = Vec::new();
    c.eat("RECURSIVE");
    while let Some(name) = c.name() {
        names.push(name.key);
        if c.peek() == Some(&Tok::Punct('(')) {
            c.skip_group();
        }
        if !c.eat("AS") {
            break;
        }
        c.eat("NOT");
        c.eat("MATERIALIZED");
        if c.peek() != Some(&Tok::Punct('(')) {
            break;
        }
        c.skip_group();
        if !c.eat_punct(',') {
            break;
        }
    }
    names
}

/// The new name in an `ALTER TABLE` action `RENAME [TO | AS] name` (not `RENAME COLUMN`, `RENAME
/// INDEX`, ..., nor Postgres's `RENAME col TO new`).
fn renamed_to(piece: &[Tok]) -> Option<Name> {
    let mut c = Cursor::new(piece);
    if !c.eat("RENAME") {
        return None;
    }
    if c.eat_any(&["TO", "AS"]) {
        return c.name();
    }
    if c.peek()
        .is_some_and(|t| t.is_any(&["COLUMN", "INDEX", "KEY", "CONSTRAINT"]))
    {
        return None;
    }
    // MySQL's `RENAME new_name`; `RENAME a TO b` renames a column.
    let name = c.name()?;
    c.rest().is_empty().then_some(name)
}

/// Words after which a table in a FROM list has no alias.
const NOT_ALIAS: &[&str] = &[
    "WHERE",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "OUTER",
    "CROSS",
    "NATURAL",
    "STRAIGHT_JOIN",
    "ON",
    "USING",
    "GROUP",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "HAVING",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "WINDOW",
    "RETURNING",
    "FETCH",
    "FOR",
    "SET",
    "INDEXED",
    "NOT",
    "USE",
    "FORCE",
    "IGNORE",
    "PARTITION",
    "TABLESAMPLE",
    "LOCK",
    "INTO",
    "DO",
];

/// The tables a statement reads: those named after `FROM` and `JOIN` in its queries (not in
/// function calls such as `EXTRACT(YEAR FROM d)`), without CTE names and table functions.
fn sources(toks: &[Tok], ctes: &[String]) -> Vec<Name> {
    let mut out: Vec<Name> = Vec::new();
    // Per open parenthesis: whether it holds a query.
    let mut parens: Vec<bool> = Vec::new();
    for (i, tok) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| toks.get(p));
        match tok {
            Tok::Punct('(') => {
                let query = toks.get(i + 1).is_some_and(|t| {
                    t.is_any(&["SELECT", "WITH", "VALUES"]) || t == &Tok::Punct('(')
                }) || prev.is_some_and(|t| t.is_any(&["FROM", "JOIN"]));
                parens.push(query);
            }
            Tok::Punct(')') => {
                parens.pop();
            }
            _ if parens.last().is_none_or(|&query| query) => {
                if tok.is("FROM") && !prev.is_some_and(|t| t.is("DISTINCT")) {
                    table_refs(toks, i + 1, true, &mut out);
                } else if tok.is("JOIN") {
                    table_refs(toks, i + 1, false, &mut out);
                }
            }
            _ => {}
        }
    }
    out.retain(|name| !ctes.contains(&name.key) && name.key != "dual");
    out
}

/// The tables of a FROM list (or of one JOIN) starting at `i`.
fn table_refs(toks: &[Tok], i: usize, list: bool, out: &mut Vec<Name>) {
    let mut c = Cursor::at(toks, i);
    loop {
        while c.eat_any(&["ONLY", "LATERAL"]) {}
        let Some(name) = c.name() else {
            // A subquery: its own FROM is seen on its own.
            return;
        };
        if c.peek() == Some(&Tok::Punct('(')) {
            // A table function.
            return;
        }
        out.push(name);
        c.eat_punct('*');
        // An alias: `AS a`, or a word that is not the next clause's keyword.
        if c.eat("AS")
            || c.peek().is_some_and(|t| match t {
                Tok::Word(_) => !t.is_any(NOT_ALIAS),
                Tok::Quoted(_) => true,
                _ => false,
            })
        {
            c.skip(1);
        }
        if c.peek() == Some(&Tok::Punct('(')) {
            c.skip_group();
        }
        if !list || !c.eat_punct(',') {
            return;
        }
    }
}

/// Table names as coverage compares them.
trait Names {
    /// A possibly qualified name (`schema.table`): its last part.
    fn name(&mut self) -> Option<Name>;
    /// Comma-separated names (a trailing `*`, Postgres's "and descendants", is skipped).
    fn names(&mut self) -> Vec<Name>;
}

impl Names for Cursor<'_> {
    fn name(&mut self) -> Option<Name> {
        self.qualified_name().map(Name::new)
    }

    fn names(&mut self) -> Vec<Name> {
        self.comma_list(|c| {
            let name = c.name()?;
            c.eat_punct('*');
            Some(name)
        })
    }
}

/// A statement's tokens; coverage has no use for its comments.
fn lex(text: &str, dialect: Dialect) -> Vec<Tok> {
    tokens::lex(text, dialect).toks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Step;

    use Dialect::{Cockroach, Mysql, Postgres, Sqlite3};

    /// Builds a plan in memory: `step` adds a version, the other methods add files to the last one.
    #[derive(Default)]
    struct Builder(Plan);

    fn ladder() -> Builder {
        Builder::default()
    }

    fn script(path: String, sql: &str) -> Script {
        Script {
            path: path.into(),
            sql: sql.into(),
            first_line: 1,
            no_transaction: false,
        }
    }

    fn suffix(dialect: Option<Dialect>) -> String {
        dialect.map(|d| format!(".{d}")).unwrap_or_default()
    }

    impl Builder {
        /// A version with a generic migration (none when `up` is empty).
        fn step(mut self, version: &str, up: &str) -> Builder {
            let mut step = Step::new(Version::parse(version).expect("version"), "change");
            if !up.is_empty() {
                step.up.insert(
                    None,
                    script(format!("migrations/{version}_change.up.sql"), up),
                );
            }
            self.0.steps.push(step);
            self
        }

        fn last(&mut self) -> &mut Step {
            self.0.steps.last_mut().expect("a step first")
        }

        fn up_for(mut self, dialect: Dialect, sql: &str) -> Builder {
            let step = self.last();
            let path = format!("migrations/{}_change.{dialect}.up.sql", step.version);
            step.up.insert(Some(dialect), script(path, sql));
            self
        }

        fn testdata(self, sql: &str) -> Builder {
            self.testdata_in(None, sql)
        }

        fn testdata_in(mut self, dialect: Option<Dialect>, sql: &str) -> Builder {
            let step = self.last();
            let path = format!("testdata/{}{}.sql", step.version, suffix(dialect));
            step.testdata.insert(dialect, script(path, sql));
            self
        }

        fn build(self) -> Plan {
            self.0
        }
    }

    /// (version, line, table) of each warning.
    fn found(plan: &Plan, dialect: Dialect) -> Vec<(String, usize, String)> {
        coverage(plan, dialect)
            .into_iter()
            .map(|w| (w.version.to_string(), w.line, w.table))
            .collect()
    }

    fn expect(want: &[(&str, usize, &str)]) -> Vec<(String, usize, String)> {
        want.iter()
            .map(|&(v, line, table)| (v.to_string(), line, table.to_string()))
            .collect()
    }

    #[track_caller]
    fn check(plan: &Plan, dialects: &[Dialect], want: &[(&str, usize, &str)]) {
        for &dialect in dialects {
            assert_eq!(found(plan, dialect), expect(want), "{dialect}");
        }
    }

    fn tables(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    const ALL: &[Dialect] = &Dialect::ALL;

    const CREATE_USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);";
    const SEED_USERS: &str = "INSERT INTO users (id, name) VALUES (1, 'a');";

    #[test]
    fn seeded_table_altered_is_fine() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .testdata(SEED_USERS)
            .step("2", "ALTER TABLE users ADD COLUMN email TEXT;")
            .build();
        check(&plan, ALL, &[]);
    }

    #[test]
    fn unseeded_table_altered_warns_at_its_line() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .step(
                "2",
                "-- add email\n\nSELECT 1;\nALTER TABLE users\n    ADD COLUMN email TEXT;\n",
            )
            .build();
        check(&plan, ALL, &[("2", 4, "users")]);
        let warning = coverage(&plan, Sqlite3).remove(0);
        assert_eq!(
            warning.to_string(),
            "migrations/2_change.up.sql:4: warning: changes table users, but no testdata before 2 \
             puts rows in it (sqlite3)\n  statement: ALTER TABLE users\n  hint: add rows for \
             users to testdata/1.sql (testdata/2.sql is applied after this migration, too late to \
             test it)"
        );
    }

    #[test]
    fn line_counts_from_the_scripts_first_line() {
        let mut plan = ladder()
            .step("1", CREATE_USERS)
            .step("2", "\nUPDATE users SET name = 'x';")
            .build();
        if let Some(up) = plan.steps.get_mut(1).and_then(|s| s.up.get_mut(&None)) {
            up.first_line = 10;
        }
        check(&plan, &[Postgres], &[("2", 11, "users")]);
    }

    #[test]
    fn statement_is_the_first_line_cut_to_80_characters() {
        let long = format!("UPDATE users SET name = '{}';", "x".repeat(100));
        let plan = ladder().step("1", CREATE_USERS).step("2", &long).build();
        let statement = &coverage(&plan, Sqlite3)[0].statement;
        assert_eq!(statement.chars().count(), 80);
        assert!(statement.starts_with("UPDATE users SET name = 'xxx"));
        assert!(statement.ends_with('…'));
    }

    #[test]
    fn testdata_of_the_same_or_a_later_version_is_too_late() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .step("2", "ALTER TABLE users ADD COLUMN email TEXT;")
            .testdata(SEED_USERS)
            .step("3", "")
            .testdata(SEED_USERS)
            .step("4", "ALTER TABLE users ADD COLUMN phone TEXT;")
            .build();
        check(&plan, ALL, &[("2", 1, "users")]);
    }

    #[test]
    fn rename_moves_the_rows() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .testdata(SEED_USERS)
            .step("2", "ALTER TABLE users RENAME TO identities;")
            .step("3", "ALTER TABLE identities ADD COLUMN email TEXT;")
            .step("4", "ALTER TABLE users ADD COLUMN email TEXT;")
            .build();
        // `users` is gone: a new table of that name has no rows.
        check(&plan, ALL, &[("4", 1, "users")]);

        let plan = ladder()
            .step("1", CREATE_USERS)
            .testdata(SEED_USERS)
            .step("2", "RENAME TABLE users TO identities;")
            .step("3", "UPDATE identities SET name = 'x';")
            .build();
        check(&plan, &[Mysql], &[]);
    }

    #[test]
    fn rename_of_an_unseeded_table_warns_once_per_file() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .step(
                "2",
                "ALTER TABLE users RENAME TO identities;\nALTER TABLE identities ADD COLUMN x TEXT;",
            )
            .step("3", "ALTER TABLE identities ADD COLUMN y TEXT;")
            .build();
        check(&plan, ALL, &[("2", 1, "users"), ("3", 1, "identities")]);
    }

    const REBUILD: &str = "PRAGMA foreign_keys = OFF;
CREATE TABLE users_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO users_new (id, name)
SELECT id, COALESCE(name, '') FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_name_idx ON users (name);
PRAGMA foreign_keys = ON;";

    #[test]
    fn sqlite_rebuild_of_a_seeded_table() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .testdata(SEED_USERS)
            .step("2", REBUILD)
            .step("3", "UPDATE users SET name = 'x';")
            .build();
        check(&plan, &[Sqlite3], &[]);
        assert_eq!(final_tables(&plan, Sqlite3), tables(&["users"]));
    }

    #[test]
    fn sqlite_rebuild_of_an_unseeded_table_warns_once() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .step("2", REBUILD)
            .step("3", "UPDATE users SET name = 'x';")
            .build();
        check(&plan, &[Sqlite3], &[("2", 5, "users"), ("3", 1, "users")]);
    }

    #[test]
    fn sqlite_rebuild_through_a_renamed_old_table() {
        let rebuild = "ALTER TABLE users RENAME TO users_old;
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO users SELECT id, name FROM users_old;
DROP TABLE users_old;";
        let seeded = ladder()
            .step("1", CREATE_USERS)
            .testdata(SEED_USERS)
            .step("2", rebuild)
            .step("3", "DELETE FROM users;")
            .build();
        check(&seeded, &[Sqlite3], &[]);
        let unseeded = ladder()
            .step("1", CREATE_USERS)
            .step("2", rebuild)
            .step("3", "DELETE FROM users;")
            .build();
        check(
            &unseeded,
            &[Sqlite3],
            &[("2", 1, "users"), ("3", 1, "users")],
        );
    }

    #[test]
    fn insert_select_moves_rows_from_a_seeded_table() {
        let build = |seed: &str| {
            ladder()
                .step("1", "CREATE TABLE users (id INT, email TEXT);\nCREATE TABLE orgs (id INT);")
                .testdata(seed)
                .step(
                    "2",
                    "CREATE TABLE addresses (id INT, address TEXT);
INSERT INTO addresses (id, address)
SELECT u.id, u.email FROM orgs o JOIN users u ON u.id = o.id WHERE u.email IS NOT NULL;
CREATE TABLE emails AS SELECT email FROM public.users;",
                )
                .step(
                    "3",
                    "ALTER TABLE addresses ADD COLUMN verified INT;\nUPDATE emails SET email = lower(email);",
                )
                .build()
        };
        check(&build("INSERT INTO users VALUES (1, 'a@b');"), ALL, &[]);
        // Any table read with rows will do.
        check(
            &build("INSERT INTO orgs VALUES (1);"),
            ALL,
            &[("3", 2, "emails")],
        );
        check(
            &build("SELECT 1;"),
            ALL,
            &[("3", 1, "addresses"), ("3", 2, "emails")],
        );
    }

    #[test]
    fn migrations_rows_of_their_own_count() {
        let plan = ladder()
            .step(
                "1",
                "CREATE TABLE roles (id INT, name TEXT);\nINSERT INTO roles VALUES (1, 'admin');",
            )
            .step("2", "CREATE TABLE flags AS SELECT 1 AS id;")
            .step("3", "UPDATE roles SET name = 'root';\nDELETE FROM flags;")
            .build();
        check(&plan, ALL, &[]);
    }

    #[test]
    fn sources_are_tables_in_queries_only() {
        // EXTRACT(... FROM col) and IS DISTINCT FROM read no table; a CTE is not a table.
        let plan = ladder()
            .step("1", "CREATE TABLE a (d DATE);\nCREATE TABLE b (y INT);")
            .testdata("INSERT INTO a VALUES ('2024-01-01');")
            .step(
                "2",
                "WITH recent AS (SELECT d FROM a)
INSERT INTO b (y) SELECT EXTRACT(YEAR FROM d) FROM recent;",
            )
            .step("3", "ALTER TABLE b ADD COLUMN z INT;")
            .build();
        check(&plan, &[Postgres], &[]);
        let toks = lex(
            "INSERT INTO b SELECT EXTRACT(YEAR FROM d), x IS DISTINCT FROM y, \
             (SELECT max(v) FROM c) FROM a AS t1, \"B\" t2 LEFT JOIN d ON true, \
             generate_series(1, 3), (SELECT 1 FROM e) s",
            Postgres,
        );
        let names: Vec<String> = sources(&toks, &[]).into_iter().map(|n| n.key).collect();
        assert_eq!(names, ["c", "a", "b", "d", "e"]);
    }

    #[test]
    fn data_changes_count_but_indexes_do_not() {
        let plan = ladder()
            .step(
                "1",
                "CREATE TABLE a (x INT); CREATE TABLE b (x INT); CREATE TABLE c (x INT);
CREATE TABLE d (x INT); CREATE TABLE e (x INT); CREATE TABLE f (x INT);",
            )
            .step(
                "2",
                "CREATE INDEX a_x ON a (x);
CREATE UNIQUE INDEX b_x ON b (x);
DROP INDEX a_x;
UPDATE a SET x = 1;
DELETE FROM ONLY b WHERE x = 2;
DROP TABLE IF EXISTS c;
TRUNCATE TABLE d;
ALTER TABLE IF EXISTS ONLY e ADD CONSTRAINT e_x CHECK (x > 0);
SELECT * FROM f;
DROP TABLE IF EXISTS never_created;
INSERT INTO f VALUES (1);
UPDATE f SET x = 2;",
            )
            .build();
        check(
            &plan,
            &[Postgres],
            &[
                ("2", 4, "a"),
                ("2", 5, "b"),
                ("2", 6, "c"),
                ("2", 7, "d"),
                ("2", 8, "e"),
            ],
        );
    }

    #[test]
    fn tables_created_in_the_same_file_are_not_warned_about() {
        let plan = ladder()
            .step(
                "1",
                "CREATE TABLE t (x INT);\nALTER TABLE t ADD COLUMN y INT;\nUPDATE t SET y = 1;",
            )
            .build();
        check(&plan, ALL, &[]);
    }

    #[test]
    fn one_warning_per_file_and_table() {
        let plan = ladder()
            .step("1", "CREATE TABLE t (x INT);\nCREATE TABLE u (x INT);")
            .step(
                "2",
                "UPDATE t SET x = 1;\nALTER TABLE t ADD COLUMN y INT;\nDELETE FROM u;\nDROP TABLE t;",
            )
            .build();
        check(&plan, ALL, &[("2", 1, "t"), ("2", 3, "u")]);
    }

    #[test]
    fn quoted_and_schema_qualified_names() {
        let plan = ladder()
            .step("1", "CREATE TABLE \"Users\" (id INT);")
            .testdata("INSERT INTO public.users (id) VALUES (1);")
            .step("2", "ALTER TABLE \"public\".\"USERS\" ADD COLUMN x INT;")
            .build();
        check(&plan, &[Sqlite3, Postgres, Cockroach], &[]);

        let plan = ladder()
            .step("1", "CREATE TABLE `Users` (id INT);")
            .testdata("REPLACE INTO app.Users (id) VALUES (1);")
            .step("2", "ALTER TABLE `app`.`users` ADD COLUMN x INT;")
            .build();
        check(&plan, &[Mysql, Sqlite3], &[]);

        let plan = ladder()
            .step("1", "CREATE TABLE [users] (id INT);")
            .testdata("INSERT INTO [Users] VALUES (1);")
            .step(
                "2",
                "UPDATE main.[USERS] SET id = 2;\nUPDATE [other table] SET id = 2;",
            )
            .build();
        check(&plan, &[Sqlite3], &[("2", 2, "other table")]);
    }

    #[test]
    fn copy_and_insert_variants_seed() {
        let plan = ladder()
            .step(
                "1",
                "CREATE TABLE a (x INT); CREATE TABLE b (x INT); CREATE TABLE c (x INT);",
            )
            .testdata_in(
                Some(Postgres),
                "COPY a (x) FROM stdin;\nINSERT INTO b AS t DEFAULT VALUES;",
            )
            .testdata_in(
                Some(Sqlite3),
                "INSERT OR REPLACE INTO a VALUES (1);\nINSERT INTO b SELECT 1;",
            )
            .testdata_in(
                Some(Mysql),
                "INSERT IGNORE a SET x = 1;\nINSERT INTO b (x) VALUES (1);\nCOPY c TO stdout;",
            )
            .step(
                "2",
                "UPDATE a SET x = 1; UPDATE b SET x = 1; UPDATE c SET x = 1;",
            )
            .build();
        check(&plan, &[Postgres, Sqlite3, Mysql], &[("2", 1, "c")]);
    }

    #[test]
    fn comments_strings_and_trigger_bodies_are_not_statements() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .step(
                "2",
                "-- UPDATE users SET name = 'x';
/* DROP TABLE users; */
SELECT 'ALTER TABLE users ADD x INT';
CREATE TRIGGER users_touch AFTER INSERT ON users
BEGIN
    UPDATE users SET name = 'y' WHERE id = NEW.id;
    DELETE FROM users WHERE 0;
END;",
            )
            .build();
        check(&plan, &[Sqlite3], &[]);
    }

    #[test]
    fn dialect_files_apply_to_their_dialect_only() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .testdata_in(Some(Postgres), SEED_USERS)
            .step("2", "ALTER TABLE users ADD COLUMN x INT;")
            .step("3", "")
            .up_for(Postgres, "ALTER TABLE users RENAME TO accounts;")
            .step("4", "")
            .up_for(Postgres, "UPDATE accounts SET x = 1;")
            .up_for(Sqlite3, "UPDATE users SET x = 1;")
            .build();
        check(&plan, &[Postgres], &[]);
        check(&plan, &[Sqlite3], &[("2", 1, "users"), ("4", 1, "users")]);
        check(&plan, &[Mysql], &[("2", 1, "users")]);
        assert_eq!(final_tables(&plan, Postgres), tables(&["accounts"]));
        assert_eq!(final_tables(&plan, Sqlite3), tables(&["users"]));
    }

    #[test]
    fn warnings_dedupe_generic_files_across_dialects() {
        let plan = ladder()
            .step("1", CREATE_USERS)
            .step("2", "UPDATE users SET name = 'x';")
            .up_for(Mysql, "UPDATE users SET name = 'y';")
            .build();
        let all = warnings(&plan, &[Postgres, Sqlite3, Mysql]);
        let seen: Vec<(String, Dialect)> = all
            .iter()
            .map(|w| (w.path.to_string(), w.dialect))
            .collect();
        assert_eq!(
            seen,
            [
                ("migrations/2_change.mysql.up.sql".to_string(), Mysql),
                ("migrations/2_change.up.sql".to_string(), Postgres),
            ]
        );
    }

    #[test]
    fn final_tables_follow_creates_drops_and_renames() {
        for &dialect in ALL {
            // MySQL quotes names with backticks ("..." is a string there).
            let q = if dialect == Mysql { '`' } else { '"' };
            let plan = ladder()
                .step(
                    "1",
                    &format!(
                        "CREATE TABLE Users (id INT);
CREATE TABLE IF NOT EXISTS {q}Sessions{q} (id INT);
CREATE TABLE tokens (id INT);
CREATE TABLE a (id INT); CREATE TABLE b (id INT);
CREATE TEMPORARY TABLE scratch (id INT);
CREATE INDEX users_id ON users (id);
CREATE VIEW v AS SELECT id FROM users;"
                    ),
                )
                .step(
                    "2",
                    "CREATE TABLE IF NOT EXISTS sessions (other INT);
DROP TABLE IF EXISTS a, public.B;
ALTER TABLE tokens RENAME TO Api_Tokens;
ALTER TABLE users RENAME COLUMN id TO user_id;
ALTER TABLE users RENAME id TO uid;
CREATE TABLE logs AS SELECT * FROM users;",
                )
                .build();
            let want = tables(&["Api_Tokens", "Sessions", "Users", "logs"]);
            assert_eq!(final_tables(&plan, dialect), want, "{dialect}");
        }

        let plan = ladder()
            .step("1", "CREATE TABLE a (x INT); CREATE TABLE c (x INT);")
            .step(
                "2",
                "RENAME TABLE a TO b, c TO d;\nALTER TABLE b RENAME AS e;",
            )
            .step("3", "ALTER TABLE d ADD COLUMN y INT, RENAME TO f;")
            .build();
        assert_eq!(final_tables(&plan, Mysql), tables(&["e", "f"]));
        assert_eq!(final_tables(&Plan::default(), Mysql), tables(&[]));
    }

    #[test]
    fn final_tables_through_a_sqlite_rebuild() {
        let plan = ladder().step("1", CREATE_USERS).step("2", REBUILD).build();
        assert_eq!(final_tables(&plan, Sqlite3), tables(&["users"]));
    }

    #[test]
    fn never_panics_on_cut_off_input() {
        let sql = "WITH x AS (SELECT * FROM \"a\".[b] JOIN `c` ON (1)) INSERT INTO t (a, b)
SELECT E'\\'', $q$ ; $q$, /*! 1 */ EXTRACT(YEAR FROM d) FROM x, y AS z;
ALTER TABLE IF EXISTS ONLY s.t * RENAME TO \"u\"; RENAME TABLE a TO b, c TO
CREATE TEMP TABLE IF NOT EXISTS q AS SELECT 1 WITH NO DATA; DROP TABLE a, b;
COPY t (a) FROM stdin; TRUNCATE ONLY a, b *; DELETE FROM ONLY d; MERGE INTO m USING";
        let cuts = (0..=sql.len()).filter(|&n| sql.is_char_boundary(n));
        for n in cuts {
            let cut = sql.get(..n).unwrap_or_default();
            let plan = ladder().step("1", cut).testdata(cut).step("2", cut).build();
            for &dialect in ALL {
                coverage(&plan, dialect);
                final_tables(&plan, dialect);
            }
        }
    }

    #[test]
    fn the_example_product() {
        let root = camino::Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
        let plan =
            crate::discover::discover(&root.join("migrations"), Some(&root.join("testdata")))
                .expect("the example product is valid");
        let want = tables(&[
            "audit_log",
            "credentials",
            "identities",
            "identity_addresses",
            "identity_credential_identifiers",
            "organizations",
            "sessions",
        ]);
        for dialect in [Sqlite3, Postgres, Mysql] {
            assert_eq!(final_tables(&plan, dialect), want, "{dialect}");
        }
        let found: Vec<String> = warnings(&plan, &[Sqlite3, Postgres, Mysql])
            .iter()
            .map(|w| format!("{w}"))
            .collect();
        assert_eq!(found, Vec::<String>::new());
    }
}
