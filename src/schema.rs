//! The schema a ladder leaves behind, normalised so that two databases built differently (a fresh
//! install, an upgrade from an old version) compare equal when a reviewer would call them equal.

use std::collections::{BTreeMap, BTreeSet};

/// The normalised schema of a database: what a pull request reviewer needs to see, without engine
/// noise (column order, auto-increment counters, internal names).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub columns: BTreeMap<String, Column>,
    /// In key order; empty when the table has none.
    pub primary_key: Vec<String>,
    /// Excluding the primary key's own index.
    pub indexes: BTreeSet<Index>,
    pub foreign_keys: BTreeSet<ForeignKey>,
    /// Check expressions without `CHECK` and outer parentheses, as the engine prints them;
    /// ` NOT VALID` at the end for a PostgreSQL check that existing rows were not checked against.
    pub checks: BTreeSet<String>,
    /// Trigger names (their bodies are not compared).
    pub triggers: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Column {
    /// Lowercase, as the engine names it: `integer`, `varchar(255)`, `timestamp with time zone`.
    pub data_type: String,
    pub nullable: bool,
    /// As the engine reports it, trimmed, without trivial noise (casts on literals, `NULL`);
    /// identity, auto-increment and generated columns say so here.
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Index {
    /// Empty for an index the engine names itself (SQLite's UNIQUE constraints).
    pub name: String,
    /// Column names, or expressions.
    pub columns: Vec<String>,
    pub unique: bool,
    /// The `WHERE` of a partial index.
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    /// Lowercase: `no action`, `restrict`, `cascade`, `set null`, `set default`.
    pub on_delete: String,
    pub on_update: String,
}

impl Column {
    fn describe(&self) -> String {
        let mut out = self.data_type.clone();
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(if self.nullable { "null" } else { "not null" });
        if let Some(default) = &self.default {
            out.push_str(" default ");
            out.push_str(default);
        }
        out
    }
}

impl Index {
    /// `(a, b) where …`
    fn keys(&self) -> String {
        match &self.predicate {
            Some(predicate) => format!("{} where {predicate}", list(&self.columns)),
            None => list(&self.columns),
        }
    }

    /// `unique (a, b) where …`, without the name.
    fn definition(&self) -> String {
        let unique = if self.unique { "unique " } else { "" };
        format!("{unique}{}", self.keys())
    }

    fn describe(&self) -> String {
        if self.name.is_empty() {
            return self.definition();
        }
        let unique = if self.unique { "unique " } else { "" };
        format!("{unique}index {} {}", self.name, self.keys())
    }
}

impl ForeignKey {
    fn describe(&self) -> String {
        let mut out = format!(
            "foreign key {} references {} {}",
            list(&self.columns),
            self.references,
            list(&self.referenced_columns)
        );
        for (event, action) in [("delete", &self.on_delete), ("update", &self.on_update)] {
            if action != "no action" && !action.is_empty() {
                out.push_str(&format!(" on {event} {action}"));
            }
        }
        out
    }
}

/// `check (a > 0)`; PostgreSQL's unvalidated checks end in ` NOT VALID`, said after it.
fn check(expr: &str) -> String {
    match expr.strip_suffix(" NOT VALID") {
        Some(expr) => format!("check ({expr}) not valid"),
        None => format!("check ({expr})"),
    }
}

fn list(items: &[String]) -> String {
    format!("({})", items.join(", "))
}

impl Table {
    fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .columns
            .iter()
            .map(|(name, c)| format!("column {name} {}", c.describe()))
            .collect();
        if !self.primary_key.is_empty() {
            lines.push(format!("primary key {}", list(&self.primary_key)));
        }
        lines.extend(self.indexes.iter().map(Index::describe));
        lines.extend(self.foreign_keys.iter().map(ForeignKey::describe));
        lines.extend(self.checks.iter().map(|c| check(c)));
        lines.extend(self.triggers.iter().map(|t| format!("trigger {t}")));
        lines
    }
}

impl Schema {
    /// Stable, sorted, line-oriented text for a snapshot: each table, then its columns, primary
    /// key, indexes, foreign keys, checks and triggers indented by two spaces; a blank line
    /// between tables.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, (name, table)) in self.tables.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&format!("table {name}\n"));
            for line in table.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        out
    }

    /// The differences between `self` (expected, e.g. a fresh install, called `left`) and `other`
    /// (actual, e.g. an upgrade, called `right`), one line each; empty when equal.
    pub fn diff(&self, other: &Schema, left: &str, right: &str) -> Vec<String> {
        let mut out = Vec::new();
        let names: BTreeSet<&String> = self.tables.keys().chain(other.tables.keys()).collect();
        for name in names {
            match (self.tables.get(name), other.tables.get(name)) {
                (Some(a), Some(b)) => table_diff(name, a, b, left, right, &mut out),
                (Some(_), None) => out.push(format!("table {name}: only in {left}")),
                (None, _) => out.push(format!("table {name}: only in {right}")),
            }
        }
        out
    }
}

fn table_diff(name: &str, a: &Table, b: &Table, left: &str, right: &str, out: &mut Vec<String>) {
    let columns: BTreeSet<&String> = a.columns.keys().chain(b.columns.keys()).collect();
    for column in columns {
        let at = format!("table {name}: column {column}");
        match (a.columns.get(column), b.columns.get(column)) {
            (Some(x), Some(y)) => {
                if x.data_type != y.data_type {
                    out.push(format!("{at}: type {} vs {}", x.data_type, y.data_type));
                }
                if x.nullable != y.nullable {
                    let null = |n: bool| if n { "null" } else { "not null" };
                    out.push(format!(
                        "{at}: {} vs {}",
                        null(x.nullable),
                        null(y.nullable)
                    ));
                }
                if x.default != y.default {
                    let default = |d: &Option<String>| {
                        d.as_ref()
                            .map_or("no default".to_string(), |d| format!("default {d}"))
                    };
                    out.push(format!(
                        "{at}: {} vs {}",
                        default(&x.default),
                        default(&y.default)
                    ));
                }
            }
            (Some(_), None) => out.push(format!("{at}: only in {left}")),
            (None, _) => out.push(format!("{at}: only in {right}")),
        }
    }
    if a.primary_key != b.primary_key {
        let pk = |k: &[String]| {
            if k.is_empty() {
                "none".to_string()
            } else {
                list(k)
            }
        };
        out.push(format!(
            "table {name}: primary key {} vs {}",
            pk(&a.primary_key),
            pk(&b.primary_key)
        ));
    }
    // Indexes of the same name on both sides are one index that changed.
    let named = |t: &Table| -> BTreeMap<String, Index> {
        t.indexes
            .iter()
            .filter(|i| !i.name.is_empty())
            .map(|i| (i.name.clone(), i.clone()))
            .collect()
    };
    let (named_a, named_b) = (named(a), named(b));
    for (index, x) in &named_a {
        if let Some(y) = named_b.get(index).filter(|y| *y != x) {
            out.push(format!(
                "table {name}: index {index}: {} vs {}",
                x.definition(),
                y.definition()
            ));
        }
    }
    let changed = |i: &Index| named_a.contains_key(&i.name) && named_b.contains_key(&i.name);
    let only = |from: &Table, to: &Table, side: &str, out: &mut Vec<String>| {
        for i in from.indexes.difference(&to.indexes).filter(|i| !changed(i)) {
            out.push(format!("table {name}: {}: only in {side}", i.describe()));
        }
    };
    only(a, b, left, out);
    only(b, a, right, out);
    set_diff(
        name,
        &a.foreign_keys,
        &b.foreign_keys,
        left,
        right,
        out,
        |k| k.describe(),
    );
    set_diff(name, &a.checks, &b.checks, left, right, out, |c| check(c));
    set_diff(name, &a.triggers, &b.triggers, left, right, out, |t| {
        format!("trigger {t}")
    });
}

fn set_diff<T: Ord>(
    table: &str,
    a: &BTreeSet<T>,
    b: &BTreeSet<T>,
    left: &str,
    right: &str,
    out: &mut Vec<String>,
    describe: impl Fn(&T) -> String,
) {
    for x in a.difference(b) {
        out.push(format!("table {table}: {}: only in {left}", describe(x)));
    }
    for x in b.difference(a) {
        out.push(format!("table {table}: {}: only in {right}", describe(x)));
    }
}

/// `((a = 1))` → `a = 1`: engines wrap expressions in parentheses they do not need, and not all
/// the same way. Quotes (`'`, `"`, `` ` ``) are respected.
pub(crate) fn strip_outer_parens(expr: &str) -> &str {
    let mut s = expr.trim();
    while s.starts_with('(') && closing_paren(s) == Some(s.len() - 1) {
        s = s[1..s.len() - 1].trim();
    }
    s
}

/// The byte offset of the parenthesis closing the one `s` starts with.
fn closing_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            // A doubled quote inside a quoted run closes and reopens it: same result.
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            (None, _) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(items: &[&str]) -> Vec<String> {
        items.iter().map(|i| i.to_string()).collect()
    }

    fn column(data_type: &str, nullable: bool, default: Option<&str>) -> Column {
        Column {
            data_type: data_type.to_string(),
            nullable,
            default: default.map(str::to_string),
        }
    }

    fn identities() -> Table {
        Table {
            columns: BTreeMap::from([
                ("id".to_string(), column("integer", false, None)),
                ("created_at".to_string(), column("varchar(32)", true, None)),
                (
                    "state".to_string(),
                    column("varchar(16)", false, Some("'active'")),
                ),
                ("organization_id".to_string(), column("", true, None)),
            ]),
            primary_key: s(&["id"]),
            indexes: BTreeSet::from([
                Index {
                    name: "identities_org_idx".to_string(),
                    columns: s(&["organization_id"]),
                    unique: false,
                    predicate: None,
                },
                Index {
                    name: "identities_email_idx".to_string(),
                    columns: s(&["lower(email)"]),
                    unique: true,
                    predicate: Some("state = 'active'".to_string()),
                },
                Index {
                    name: String::new(),
                    columns: s(&["state", "created_at"]),
                    unique: true,
                    predicate: None,
                },
            ]),
            foreign_keys: BTreeSet::from([ForeignKey {
                columns: s(&["organization_id"]),
                references: "organizations".to_string(),
                referenced_columns: s(&["id"]),
                on_delete: "set null".to_string(),
                on_update: "no action".to_string(),
            }]),
            checks: BTreeSet::from(["state IN ('active', 'inactive')".to_string()]),
            triggers: BTreeSet::from(["identities_touch".to_string()]),
        }
    }

    #[test]
    fn renders_sorted_lines() {
        let schema = Schema {
            tables: BTreeMap::from([
                ("identities".to_string(), identities()),
                (
                    "a".to_string(),
                    Table {
                        columns: BTreeMap::from([("x".to_string(), column("text", true, None))]),
                        ..Table::default()
                    },
                ),
            ]),
        };
        assert_eq!(
            schema.render(),
            "table a
  column x text null

table identities
  column created_at varchar(32) null
  column id integer not null
  column organization_id null
  column state varchar(16) not null default 'active'
  primary key (id)
  unique (state, created_at)
  unique index identities_email_idx (lower(email)) where state = 'active'
  index identities_org_idx (organization_id)
  foreign key (organization_id) references organizations (id) on delete set null
  check (state IN ('active', 'inactive'))
  trigger identities_touch
"
        );
        assert_eq!(Schema::default().render(), "");
    }

    #[test]
    fn equal_schemas_have_no_differences() {
        let schema = Schema {
            tables: BTreeMap::from([("identities".to_string(), identities())]),
        };
        assert!(schema.diff(&schema.clone(), "fresh", "upgraded").is_empty());
    }

    #[test]
    fn diff_says_what_differs_and_where() {
        let fresh = Schema {
            tables: BTreeMap::from([
                ("identities".to_string(), identities()),
                ("x".to_string(), Table::default()),
            ]),
        };
        let mut upgraded = fresh.clone();
        upgraded.tables.remove("x");
        upgraded.tables.insert("y".to_string(), Table::default());
        let t = upgraded.tables.get_mut("identities").unwrap();
        t.columns.insert(
            "state".to_string(),
            column("varchar(64)", true, Some("'inactive'")),
        );
        t.columns.remove("created_at");
        t.columns
            .insert("legacy".to_string(), column("text", true, None));
        t.columns.get_mut("id").unwrap().default = Some("nextval(owned sequence)".to_string());
        t.primary_key = s(&["id", "state"]);
        t.indexes = t
            .indexes
            .iter()
            .cloned()
            .map(|mut i| {
                if i.name == "identities_org_idx" {
                    i.unique = true;
                }
                if i.name.is_empty() {
                    i.columns.reverse();
                }
                i
            })
            .collect();
        t.indexes.insert(Index {
            name: "foo".to_string(),
            columns: s(&["a"]),
            unique: false,
            predicate: None,
        });
        t.foreign_keys = t
            .foreign_keys
            .iter()
            .cloned()
            .map(|mut k| {
                k.on_delete = "cascade".to_string();
                k
            })
            .collect();
        t.checks.clear();
        t.triggers.insert("audit".to_string());
        assert_eq!(
            fresh.diff(&upgraded, "fresh", "upgraded"),
            [
                "table identities: column created_at: only in fresh",
                "table identities: column id: no default vs default nextval(owned sequence)",
                "table identities: column legacy: only in upgraded",
                "table identities: column state: type varchar(16) vs varchar(64)",
                "table identities: column state: not null vs null",
                "table identities: column state: default 'active' vs default 'inactive'",
                "table identities: primary key (id) vs (id, state)",
                "table identities: index identities_org_idx: (organization_id) vs unique (organization_id)",
                "table identities: unique (state, created_at): only in fresh",
                "table identities: unique (created_at, state): only in upgraded",
                "table identities: index foo (a): only in upgraded",
                "table identities: foreign key (organization_id) references organizations (id) on delete set null: only in fresh",
                "table identities: foreign key (organization_id) references organizations (id) on delete cascade: only in upgraded",
                "table identities: check (state IN ('active', 'inactive')): only in fresh",
                "table identities: trigger audit: only in upgraded",
                "table x: only in fresh",
                "table y: only in upgraded",
            ]
        );
    }

    #[test]
    fn missing_primary_key_reads_none() {
        let with = Schema {
            tables: BTreeMap::from([("t".to_string(), identities())]),
        };
        let mut without = with.clone();
        without.tables.get_mut("t").unwrap().primary_key.clear();
        assert_eq!(
            without.diff(&with, "a", "b"),
            ["table t: primary key none vs (id)"]
        );
    }

    #[test]
    fn outer_parentheses_go_but_not_inner_ones() {
        assert_eq!(strip_outer_parens(" ((a = 1)) "), "a = 1");
        assert_eq!(strip_outer_parens("(a) OR (b)"), "(a) OR (b)");
        assert_eq!(strip_outer_parens("(a = ')(')"), "a = ')('");
        assert_eq!(strip_outer_parens("a"), "a");
        assert_eq!(strip_outer_parens("(a"), "(a");
    }
}
