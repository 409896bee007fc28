//! `ladder lint`: flags risky statements in migrations, each with a rule code, `file:line` and a
//! one-line why.
//!
//! What counts as risky: dropping a column or table, renaming a table or column, changing a
//! column's type, `SET NOT NULL` or adding a `NOT NULL` column without default, adding a
//! `UNIQUE` constraint or a foreign key that existing rows can violate, `CREATE INDEX` without
//! `CONCURRENTLY` on Postgres, `TRUNCATE`, and `DELETE`/`UPDATE` without `WHERE`.
//!
//! - **Postgres and CockroachDB**: the whole file is parsed and linted by [squawk]'s rules, and
//!   a finding's code is squawk's rule name (`ban-drop-column`, `renaming-table`, ...): see
//!   [`SQUAWK_RULES`]. Squawk rules that are style preferences or deploy settings rather than
//!   risks are left out: see [`SQUAWK_EXCLUDED`]. What squawk does not cover comes from
//!   ladder's own rules: `truncate`, `delete-without-where`, `update-without-where` and
//!   `add-unique` for `CREATE UNIQUE INDEX` (squawk only checks its lock, not that existing
//!   duplicates make it fail). On CockroachDB, which builds and drops indexes online, the
//!   `CONCURRENTLY` rules are off ([`COCKROACH_SKIPPED`]). Squawk is told the file runs in a
//!   transaction unless the script says `-- no-transaction`, as the runner does it.
//! - **SQLite and MySQL**: ladder's own rules ([`RULES`]) look at each statement's words, with
//!   comments and string literals left out, so `INSERT INTO notes VALUES ('DROP TABLE users')`
//!   is not a drop.
//!
//! A statement that changes a table created earlier in the same file is not risky for the rules
//! about existing rows and existing code (drop, rename, type, unique, foreign key, not null,
//! index): the table is new and empty. This holds for squawk's findings too.
//!
//! A finding's line is that of the statement's first line in the file.
//!
//! `-- ladder:allow <rule>[, <rule>...]` silences the named rules for one statement: the one the
//! comment is in, or the one it precedes (on the lines above). A comment after a statement's
//! terminator on that statement's last line (`DROP TABLE t; -- ladder:allow drop-table`) is about
//! that statement. Names are matched exactly; a name that is no rule is itself a finding,
//! `unknown-allow`, so that typos show. A reason may follow after another `--`:
//! `-- ladder:allow drop-column -- nothing reads it since v3`.
//!
//! [squawk]: https://squawkhq.com

use std::collections::HashSet;
use std::fmt;

use camino::Utf8PathBuf;
use serde::Serialize;

use crate::dialect::Dialect;
use crate::plan::{Plan, Script};
use crate::sql::{self, Statement};
use crate::tokens::{Cursor, Lexed, Tok, lex, split_top_level, top_level};
use crate::version::Version;

/// One risky statement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub path: Utf8PathBuf,
    /// 1-based line of the file on which the statement starts (for `unknown-allow`, the line of
    /// the comment).
    pub line: usize,
    /// The rule's code: one of [`RULES`] or, for Postgres and CockroachDB, of [`SQUAWK_RULES`].
    pub rule: String,
    #[serde(serialize_with = "serialize_dialect")]
    pub dialect: Dialect,
    /// Why the statement is risky: a one-line lowercase fragment.
    pub message: String,
    /// The statement's first line, at most 80 characters.
    pub statement: String,
}

fn serialize_dialect<S: serde::Serializer>(
    dialect: &Dialect,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(dialect.name())
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} ({}): {}\n  statement: {}",
            self.path, self.line, self.rule, self.dialect, self.message, self.statement
        )
    }
}

/// Ladder's own rules: (code, why). All apply to SQLite and MySQL; on Postgres and CockroachDB
/// squawk covers the others, and `truncate`, `delete-without-where`, `update-without-where`,
/// `add-unique` (for `CREATE UNIQUE INDEX`) and `unknown-allow` apply.
pub const RULES: &[(&str, &str)] = &[
    (
        "drop-column",
        "dropping a column loses its data and breaks code still reading it",
    ),
    (
        "drop-table",
        "dropping a table loses its data and breaks code still using it",
    ),
    (
        "rename-table",
        "renaming a table breaks code still using the old name",
    ),
    (
        "rename-column",
        "renaming a column breaks code still using the old name",
    ),
    (
        "change-column-type",
        "changing a column's type can fail on or silently convert existing values, and breaks code expecting the old type",
    ),
    (
        "not-null-without-default",
        "adding a NOT NULL column without a default fails on a table with rows, or fills them with an implicit value",
    ),
    (
        "add-unique",
        "a unique constraint or index fails if existing rows hold duplicate values",
    ),
    (
        "add-foreign-key",
        "a foreign key fails if existing rows reference missing parents, and rejects writes old code still makes",
    ),
    ("truncate", "truncating a table deletes all of its rows"),
    (
        "delete-without-where",
        "a DELETE without WHERE deletes every row of the table",
    ),
    (
        "update-without-where",
        "an UPDATE without WHERE changes every row of the table",
    ),
    (
        "unknown-allow",
        "a `-- ladder:allow` comment names a rule that does not exist, so it silences nothing",
    ),
];

/// The squawk rules ladder runs on Postgres and CockroachDB: (squawk's code, why). These are
/// squawk's default rules less [`SQUAWK_EXCLUDED`].
pub const SQUAWK_RULES: &[(&str, &str)] = &[
    (
        "ban-drop-column",
        "dropping a column loses its data and breaks code still reading it",
    ),
    (
        "ban-drop-table",
        "dropping a table loses its data and breaks code still using it",
    ),
    (
        "renaming-table",
        "renaming a table breaks code still using the old name",
    ),
    (
        "renaming-column",
        "renaming a column breaks code still using the old name",
    ),
    (
        "changing-column-type",
        "changing a column's type rewrites the table under an exclusive lock, can fail on existing values and breaks code expecting the old type",
    ),
    (
        "adding-not-nullable-field",
        "SET NOT NULL scans the table under an exclusive lock and fails if any existing row holds NULL",
    ),
    (
        "adding-required-field",
        "adding a NOT NULL column without a default fails on a table with rows and breaks inserts that leave it out",
    ),
    (
        "adding-foreign-key-constraint",
        "a foreign key checks every existing row under a lock on both tables and fails if one references a missing parent",
    ),
    (
        "disallowed-unique-constraint",
        "a UNIQUE constraint builds its index under an exclusive lock and fails if existing rows hold duplicates",
    ),
    (
        "adding-serial-primary-key-field",
        "adding a primary key builds its index under an exclusive lock and fails on duplicate or NULL values",
    ),
    (
        "require-concurrent-index-creation",
        "CREATE INDEX without CONCURRENTLY blocks writes to the table until the index is built",
    ),
    (
        "require-concurrent-index-deletion",
        "DROP INDEX without CONCURRENTLY blocks reads and writes to the table",
    ),
    (
        "ban-concurrent-index-creation-in-transaction",
        "CREATE INDEX CONCURRENTLY fails inside a transaction; run the file without one",
    ),
    (
        "constraint-missing-not-valid",
        "adding a constraint without NOT VALID, or validating it in the same transaction, checks every row while blocking the table",
    ),
    (
        "adding-field-with-default",
        "a column with a volatile default or a generated column rewrites the table under an exclusive lock",
    ),
    (
        "ban-truncate-cascade",
        "TRUNCATE ... CASCADE also empties every table whose foreign keys point at the truncated ones",
    ),
    (
        "ban-drop-database",
        "dropping a database loses all of its data",
    ),
    (
        "ban-drop-not-null",
        "dropping NOT NULL lets in NULLs that code reading the column may not expect",
    ),
    (
        "ban-drop-default",
        "dropping a default breaks code that inserts rows without that column",
    ),
    (
        "ban-drop-constraint",
        "dropping a constraint removes a guarantee that code may rely on",
    ),
    (
        "ban-drop-view",
        "dropping a view breaks code still querying it",
    ),
    (
        "ban-drop-function",
        "dropping a function breaks code and objects still calling it",
    ),
    (
        "ban-drop-type",
        "dropping a type breaks code and columns still using it",
    ),
    (
        "ban-drop-schema",
        "dropping a schema loses everything in it",
    ),
    (
        "ban-drop-sequence",
        "dropping a sequence breaks code and defaults still using it",
    ),
    (
        "ban-drop-domain",
        "dropping a domain breaks columns and code still using it",
    ),
    (
        "ban-drop-extension",
        "dropping an extension breaks the types, functions and columns that use it",
    ),
    (
        "ban-drop-generated-expression",
        "dropping a generation expression lets the column go stale for code that relies on it",
    ),
    (
        "ban-alter-identity",
        "changing a column's identity breaks inserts from existing code",
    ),
    (
        "ban-set-schema",
        "moving an object to another schema breaks code still using the old name",
    ),
    (
        "renaming-object",
        "renaming an object breaks code still using the old name",
    ),
    (
        "ban-create-domain-with-constraint",
        "a domain's constraint cannot be changed later without checking every column that uses it",
    ),
    (
        "ban-alter-domain-with-add-constraint",
        "adding a constraint to a domain checks every column that uses it while locking those tables",
    ),
    (
        "ban-uncommitted-transaction",
        "a BEGIN without COMMIT or ROLLBACK leaves the transaction open",
    ),
    (
        "ban-duplicate-column-assignments",
        "assigning the same column twice in one statement is an error",
    ),
    (
        "identifier-too-long",
        "postgres cuts names longer than 63 bytes, so the object gets another name than the one written",
    ),
    (
        "require-concurrent-partition-detach",
        "detaching a partition without CONCURRENTLY blocks reads and writes to the parent table",
    ),
    (
        "require-concurrent-reindex",
        "REINDEX without CONCURRENTLY blocks writes to the table and reads using the index",
    ),
    (
        "prefer-repack",
        "CLUSTER and VACUUM FULL rewrite the table under a lock that blocks reads and writes",
    ),
];

/// Squawk's default rules that ladder does not run: (squawk's code, why not). Squawk's opt-in
/// rules are off too.
pub const SQUAWK_EXCLUDED: &[(&str, &str)] = &[
    (
        "prefer-bigint-over-int",
        "a choice of column type, not a risk to existing rows or code",
    ),
    (
        "prefer-bigint-over-smallint",
        "a choice of column type, not a risk to existing rows or code",
    ),
    (
        "prefer-identity",
        "a choice of column type, not a risk to existing rows or code",
    ),
    (
        "prefer-text-field",
        "a choice of column type, not a risk to existing rows or code",
    ),
    (
        "prefer-timestamp-tz",
        "a choice of column type, not a risk to existing rows or code",
    ),
    (
        "ban-char-field",
        "a choice of column type, not a risk to existing rows or code",
    ),
    (
        "prefer-robust-stmts",
        "migrations run once, in order; `IF [NOT] EXISTS` on every statement is style",
    ),
    (
        "require-lock-timeout",
        "a setting of the deploy, not of the migration that ladder tests",
    ),
    (
        "require-statement-timeout",
        "a setting of the deploy, not of the migration that ladder tests",
    ),
    (
        "transaction-nesting",
        "the migration tool decides the transaction (`-- no-transaction` opts out), and a run shows what BEGIN/COMMIT in the file do",
    ),
    (
        "require-enum-value-ordering",
        "where a new enum value sorts is a design choice, not a risk",
    ),
    (
        "unused-ignore",
        "about `squawk-ignore` comments; ladder's own `-- ladder:allow` reports unknown names as `unknown-allow`",
    ),
];

/// Squawk rules that are off for CockroachDB, which builds and drops indexes online (there
/// `CONCURRENTLY` is accepted and does nothing).
pub const COCKROACH_SKIPPED: &[&str] = &[
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "ban-concurrent-index-creation-in-transaction",
];

/// Rules that do not apply to a table created earlier in the same file: it is new and empty,
/// and no code uses it yet.
const SAFE_ON_NEW_TABLE: &[&str] = &[
    "drop-column",
    "drop-table",
    "rename-table",
    "rename-column",
    "change-column-type",
    "not-null-without-default",
    "add-unique",
    "add-foreign-key",
    "ban-drop-column",
    "ban-drop-table",
    "renaming-table",
    "renaming-column",
    "changing-column-type",
    "adding-not-nullable-field",
    "adding-required-field",
    "adding-foreign-key-constraint",
    "disallowed-unique-constraint",
    "adding-serial-primary-key-field",
    "require-concurrent-index-creation",
    "constraint-missing-not-valid",
    "adding-field-with-default",
    "ban-drop-not-null",
    "ban-drop-default",
    "ban-drop-constraint",
    "ban-alter-identity",
    "ban-drop-generated-expression",
];

const UNKNOWN_ALLOW: &str = "unknown-allow";

/// Lints the up migration each step has for each dialect (the file [`Step::up_for`] picks),
/// only for steps newer than `newer_than` when given. A generic file used by several dialects is
/// linted once per dialect, but identical findings (same path, line and rule) are reported once.
/// Sorted by path, line and rule.
///
/// [`Step::up_for`]: crate::plan::Step::up_for
pub fn lint_plan(plan: &Plan, dialects: &[Dialect], newer_than: Option<&Version>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for step in &plan.steps {
        if newer_than.is_some_and(|newest| step.version <= *newest) {
            continue;
        }
        for &dialect in dialects {
            if let Some(script) = step.up_for(dialect) {
                findings.extend(lint_script(script, dialect));
            }
        }
    }
    findings.sort();
    findings.dedup_by(|later, first| {
        later.path == first.path && later.line == first.line && later.rule == first.rule
    });
    findings
}

/// Lints one script as `dialect` SQL. Sorted by line and rule.
pub fn lint_script(script: &Script, dialect: Dialect) -> Vec<Finding> {
    let text = script.sql.as_str();
    let statements = sql::split(text, dialect);
    let spans = locate(text, &statements);
    let lines = LineIndex::new(text);
    let lexed: Vec<Lexed> = spans
        .iter()
        .map(|&(start, end)| lex(text.get(start..end).unwrap_or(""), dialect))
        .collect();
    let file_line = |line: usize| line + script.first_line.max(1) - 1;
    let postgres = matches!(dialect, Dialect::Postgres | Dialect::Cockroach);

    let mut findings = Vec::new();
    let mut finding = |line: usize, rule: &str, message: String, statement: &str| {
        findings.push(Finding {
            path: script.path.clone(),
            line: file_line(line),
            rule: rule.to_string(),
            dialect,
            message,
            statement: shorten(statement),
        });
    };

    // `-- ladder:allow` comments: which statement each is about.
    let mut allowed: Vec<Vec<String>> = vec![Vec::new(); statements.len()];
    let mut allow_comments: Vec<(usize, String, Vec<String>)> = Vec::new();
    let mut prev_end = 0;
    for i in 0..=statements.len() {
        let gap_end = spans.get(i).map_or(text.len(), |&(start, _)| start);
        let gap = text.get(prev_end..gap_end).unwrap_or("");
        for (offset, comment) in lex(gap, dialect).comments {
            let Some(names) = parse_allow(&comment) else {
                continue;
            };
            let at = prev_end + offset;
            let trailing = i > 0 && lines.line(at) == lines.line(prev_end);
            let target = if trailing { Some(i - 1) } else { Some(i) };
            if let Some(list) = target.and_then(|t| allowed.get_mut(t)) {
                list.extend(names.iter().cloned());
            }
            allow_comments.push((at, comment, names));
        }
        if let (Some(&(start, end)), Some(lexed)) = (spans.get(i), lexed.get(i)) {
            for (offset, comment) in &lexed.comments {
                if let Some(names) = parse_allow(comment) {
                    if let Some(list) = allowed.get_mut(i) {
                        list.extend(names.iter().cloned());
                    }
                    allow_comments.push((start + offset, comment.clone(), names));
                }
            }
            prev_end = end;
        }
    }
    for (at, comment, names) in &allow_comments {
        let line = lines.line(*at);
        if names.is_empty() {
            finding(
                line,
                UNKNOWN_ALLOW,
                "`ladder:allow` names no rule".to_string(),
                comment,
            );
        }
        for name in names.iter().filter(|name| why(name).is_none()) {
            let hint = closest_rule(name)
                .map(|rule| format!(" (did you mean `{rule}`?)"))
                .unwrap_or_default();
            finding(
                line,
                UNKNOWN_ALLOW,
                format!("`ladder:allow` names unknown rule `{name}`, which silences nothing{hint}"),
                comment,
            );
        }
    }

    // Ladder's own rules, and which statements change tables created earlier in the file.
    let mut raw: Vec<(usize, String)> = Vec::new();
    let mut on_new_table = Vec::with_capacity(statements.len());
    let mut created: HashSet<String> = HashSet::new();
    for (i, lexed) in lexed.iter().enumerate() {
        let analysis = analyze(&lexed.toks);
        let new =
            !analysis.targets.is_empty() && analysis.targets.iter().all(|t| created.contains(t));
        on_new_table.push(new);
        for hit in &analysis.hits {
            if postgres && !hit.postgres {
                continue;
            }
            if new && SAFE_ON_NEW_TABLE.contains(&hit.rule) {
                continue;
            }
            raw.push((i, hit.rule.to_string()));
        }
        if let Some(table) = analysis.creates {
            created.insert(table);
        }
        for (from, to) in analysis.renames {
            if created.remove(&from) {
                created.insert(to);
            }
        }
    }

    if postgres {
        let starts: Vec<usize> = spans.iter().map(|&(start, _)| start).collect();
        for (offset, rule) in squawk(script, dialect) {
            let Some(i) = starts.partition_point(|&s| s <= offset).checked_sub(1) else {
                // Before the first statement: count it as the first one's.
                if !starts.is_empty() {
                    raw.push((0, rule));
                }
                continue;
            };
            if on_new_table.get(i) == Some(&true) && SAFE_ON_NEW_TABLE.contains(&rule.as_str()) {
                continue;
            }
            raw.push((i, rule));
        }
    }

    for (i, rule) in raw {
        let (Some(statement), Some(allowed)) = (statements.get(i), allowed.get(i)) else {
            continue;
        };
        if allowed.contains(&rule) {
            continue;
        }
        let message = why(&rule).unwrap_or_default().to_string();
        let first = statement.sql.lines().next().unwrap_or("");
        finding(statement.line, &rule, message, first);
    }

    findings.sort();
    findings.dedup();
    findings
}

/// The why of a rule ladder knows, ladder's own or squawk's.
fn why(rule: &str) -> Option<&'static str> {
    RULES
        .iter()
        .chain(SQUAWK_RULES)
        .find(|(code, _)| *code == rule)
        .map(|&(_, why)| why)
}

/// The known rule nearest to a misspelt one, if it is near enough to be the one meant.
fn closest_rule(name: &str) -> Option<&'static str> {
    RULES
        .iter()
        .chain(SQUAWK_RULES)
        .map(|&(code, _)| (edit_distance(name, code), code))
        .filter(|&(distance, _)| distance <= 2)
        .min()
        .map(|(_, code)| code)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The rule names of a `-- ladder:allow a, b` comment; `None` if it is another comment. The
/// names run up to the end of the comment or to a further `--` that starts a reason.
fn parse_allow(comment: &str) -> Option<Vec<String>> {
    let body = comment.strip_prefix("--")?.trim_start();
    let rest = body.strip_prefix("ladder:allow")?;
    if !(rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || c == ',')) {
        return None;
    }
    let names = rest.split("--").next().unwrap_or("");
    Some(
        names
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect(),
    )
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

/// Byte ranges of the statements in the script. Each statement's text is an exact piece of the
/// script that starts on the statement's line, after the previous statement.
fn locate(text: &str, statements: &[Statement]) -> Vec<(usize, usize)> {
    let lines = LineIndex::new(text);
    let mut pos = 0;
    statements
        .iter()
        .map(|statement| {
            let from = lines.start_of(statement.line).max(pos);
            let start = text
                .get(from..)
                .and_then(|rest| rest.find(&statement.sql))
                .map_or(from, |found| from + found);
            let end = (start + statement.sql.len()).min(text.len());
            pos = end;
            (start, end)
        })
        .collect()
}

/// Byte offsets of line starts, to turn offsets into 1-based lines and back.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(starts)
    }

    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset).max(1)
    }

    fn start_of(&self, line: usize) -> usize {
        self.0
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or_default()
    }
}

/// Runs squawk's rules over the whole script: (byte offset, rule code) of each violation.
fn squawk(script: &Script, dialect: Dialect) -> Vec<(usize, String)> {
    let enabled: Vec<&str> = SQUAWK_RULES
        .iter()
        .map(|&(code, _)| code)
        .filter(|code| dialect != Dialect::Cockroach || !COCKROACH_SKIPPED.contains(code))
        .collect();
    let rules: Vec<squawk_linter::Rule> = enabled
        .iter()
        .filter_map(|&code| squawk_linter::Rule::try_from(code).ok())
        .collect();
    let run = || {
        let mut linter = squawk_linter::Linter::from(rules);
        // The runner runs a file in a transaction unless it says `-- no-transaction`.
        linter.settings.assume_in_transaction = !script.no_transaction;
        let parse = squawk_syntax::SourceFile::parse(&script.sql);
        linter.lint(&parse, &script.sql)
    };
    // A parser bug on unusual SQL must not take the whole lint down.
    let Ok(violations) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) else {
        return Vec::new();
    };
    violations
        .into_iter()
        .map(|v| (usize::from(v.text_range.start()), v.code.to_string()))
        // squawk reports `-- squawk-ignore` typos whatever the rules.
        .filter(|(_, code)| enabled.contains(&code.as_str()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Ladder's own rules: checks over a statement's tokens (comments and strings left out).

#[derive(Debug)]
struct Hit {
    rule: &'static str,
    /// Also for Postgres/CockroachDB, where squawk does not cover it.
    postgres: bool,
}

/// What one statement does, as far as ladder's rules care.
#[derive(Debug, Default)]
struct Analysis {
    hits: Vec<Hit>,
    /// The tables the statement changes (lower-cased, without schema); empty when unknown.
    targets: Vec<String>,
    /// The table the statement creates.
    creates: Option<String>,
    /// Tables it renames: (from, to).
    renames: Vec<(String, String)>,
}

impl Analysis {
    fn hit(&mut self, rule: &'static str) {
        self.hits.push(Hit {
            rule,
            postgres: false,
        });
    }

    fn hit_postgres_too(&mut self, rule: &'static str) {
        self.hits.push(Hit {
            rule,
            postgres: true,
        });
    }
}

/// Table names, lower-cased, for ladder's rules.
trait Names {
    /// A possibly qualified name (`schema.table`): its last part.
    fn name(&mut self) -> Option<String>;
    /// Comma-separated names.
    fn names(&mut self) -> Vec<String>;
}

impl Names for Cursor<'_> {
    fn name(&mut self) -> Option<String> {
        self.qualified_name().map(str::to_lowercase)
    }

    fn names(&mut self) -> Vec<String> {
        self.comma_list(Names::name)
    }
}

fn analyze(toks: &[Tok]) -> Analysis {
    let mut a = Analysis::default();
    let mut c = Cursor::new(toks);
    let Some(first) = c.peek() else {
        return a;
    };
    if first.is("ALTER") {
        c.skip(1);
        while c.eat("ONLINE") || c.eat("OFFLINE") || c.eat("IGNORE") {}
        if c.eat("TABLE") {
            c.eat_all(&["IF", "EXISTS"]);
            c.eat("ONLY");
            if let Some(table) = c.name() {
                c.eat_punct('*');
                alter_table(&table, c.rest(), &mut a);
                a.targets.push(table);
            }
        }
    } else if first.is("CREATE") {
        c.skip(1);
        create(&mut c, &mut a);
    } else if first.is("DROP") {
        c.skip(1);
        c.eat("TEMPORARY");
        if c.eat("TABLE") {
            c.eat_all(&["IF", "EXISTS"]);
            a.targets = c.names();
            a.hit("drop-table");
        }
    } else if first.is("RENAME") {
        // MySQL: RENAME TABLE a TO b, c TO d
        c.skip(1);
        if c.eat("TABLE") {
            while let (Some(from), true, Some(to)) = (c.name(), c.eat("TO"), c.name()) {
                a.targets.push(from.clone());
                a.renames.push((from, to));
                if !c.eat_punct(',') {
                    break;
                }
            }
            a.hit("rename-table");
        }
    } else if first.is("TRUNCATE") {
        c.skip(1);
        c.eat("TABLE");
        c.eat("ONLY");
        a.targets = c.names();
        a.hit_postgres_too("truncate");
    } else if first.is_any(&["DELETE", "UPDATE", "WITH"]) {
        dml(toks, &mut a);
    }
    a
}

fn create(c: &mut Cursor<'_>, a: &mut Analysis) {
    c.eat_all(&["OR", "REPLACE"]);
    while c.eat("TEMP")
        || c.eat("TEMPORARY")
        || c.eat("GLOBAL")
        || c.eat("LOCAL")
        || c.eat("UNLOGGED")
        || c.eat("VIRTUAL")
        || c.eat("ONLINE")
        || c.eat("OFFLINE")
    {}
    if c.eat("TABLE") {
        c.eat_all(&["IF", "NOT", "EXISTS"]);
        a.creates = c.name();
        return;
    }
    let unique = c.eat("UNIQUE");
    c.eat("FULLTEXT");
    c.eat("SPATIAL");
    if !c.eat("INDEX") {
        return;
    }
    let Some(on) = top_level(c.rest())
        .find(|(_, tok)| tok.is("ON"))
        .map(|(n, _)| n)
    else {
        return;
    };
    c.skip(on + 1);
    c.eat("ONLY");
    if let Some(table) = c.name() {
        a.targets.push(table);
        if unique {
            a.hit_postgres_too("add-unique");
        }
    }
}

/// `DELETE`/`UPDATE`, maybe after `WITH ...`: flagged without a `WHERE` of their own.
fn dml(toks: &[Tok], a: &mut Analysis) {
    let Some((verb, _)) = top_level(toks)
        .find(|(_, tok)| tok.is_any(&["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"]))
    else {
        return;
    };
    let toks = toks.get(verb..).unwrap_or_default();
    let has_where = top_level(toks).any(|(_, tok)| tok.is("WHERE"));
    let mut c = Cursor::new(toks);
    if c.eat("DELETE") {
        if let Some((from, _)) = top_level(toks).find(|(_, tok)| tok.is("FROM")) {
            c = Cursor::at(toks, from + 1);
            c.eat("ONLY");
            a.targets.extend(c.name());
        }
        if !has_where {
            a.hit_postgres_too("delete-without-where");
        }
    } else if c.eat("UPDATE") {
        if c.eat("OR") {
            c.skip(1);
        }
        c.eat("ONLY");
        a.targets.extend(c.name());
        if !has_where {
            a.hit_postgres_too("update-without-where");
        }
    }
}

/// The actions of `ALTER TABLE table ...`.
fn alter_table(table: &str, actions: &[Tok], a: &mut Analysis) {
    for action in split_top_level(actions) {
        let mut c = Cursor::new(action);
        if c.eat("DROP") {
            let what = c.peek();
            let not_a_column = [
                "INDEX",
                "KEY",
                "PRIMARY",
                "FOREIGN",
                "CHECK",
                "CONSTRAINT",
                "PARTITION",
                "FULLTEXT",
                "SPATIAL",
                "SYSTEM",
                "PERIOD",
            ];
            if what.is_some_and(|t| !t.is_any(&not_a_column) && t.name().is_some()) {
                a.hit("drop-column");
            }
        } else if c.eat("ADD") {
            add(&mut c, a);
        } else if c.eat("RENAME") {
            if c.eat("COLUMN") {
                a.hit("rename-column");
            } else if c.eat("TO") || c.eat("AS") {
                a.hit("rename-table");
                if let Some(to) = c.name() {
                    a.renames.push((table.to_string(), to));
                }
            } else if c
                .peek()
                .is_some_and(|t| t.is_any(&["INDEX", "KEY", "CONSTRAINT"]))
            {
                // Renaming an index or a constraint: no code names those.
            } else if c.peek_at(1).is_some_and(|t| t.is("TO")) {
                a.hit("rename-column");
            } else if let Some(to) = c.name() {
                // MySQL: RENAME new_name
                a.hit("rename-table");
                a.renames.push((table.to_string(), to));
            }
        } else if c.eat("CHANGE") {
            c.eat("COLUMN");
            a.hit("change-column-type");
            if let (Some(old), Some(new)) = (c.name(), c.name())
                && old != new
            {
                a.hit("rename-column");
            }
        } else if c.eat("MODIFY") {
            a.hit("change-column-type");
        } else if c.eat("ALTER") {
            c.eat("COLUMN");
            if top_level(c.rest()).any(|(_, tok)| tok.is("TYPE")) {
                a.hit("change-column-type");
            }
        }
    }
}

/// `ADD ...` in `ALTER TABLE`, after the `ADD`.
fn add(c: &mut Cursor<'_>, a: &mut Analysis) {
    let Some(next) = c.peek() else {
        return;
    };
    if next.is("CONSTRAINT") {
        // ADD CONSTRAINT name UNIQUE|PRIMARY KEY|FOREIGN KEY|CHECK ...
        let kind = c
            .rest()
            .iter()
            .find(|t| t.is_any(&["UNIQUE", "PRIMARY", "FOREIGN", "CHECK"]));
        constraint(kind, a);
    } else if next.is_any(&["UNIQUE", "PRIMARY", "FOREIGN"]) {
        constraint(Some(next), a);
    } else if next.is_any(&[
        "INDEX",
        "KEY",
        "FULLTEXT",
        "SPATIAL",
        "CHECK",
        "PARTITION",
        "PERIOD",
        "SYSTEM",
    ]) {
        // Indexes, checks and partitions: none of ladder's rules.
    } else if *next == Tok::Punct('(') {
        // MySQL: ADD (a INT, b INT)
        c.skip(1);
        let inner = c.rest();
        let inner = inner
            .get(..inner.len().saturating_sub(1))
            .unwrap_or_default();
        for column in split_top_level(inner) {
            add_column(column, a);
        }
    } else {
        c.eat("COLUMN");
        c.eat_all(&["IF", "NOT", "EXISTS"]);
        add_column(c.rest(), a);
    }
}

fn constraint(kind: Option<&Tok>, a: &mut Analysis) {
    match kind {
        Some(t) if t.is_any(&["UNIQUE", "PRIMARY"]) => a.hit("add-unique"),
        Some(t) if t.is("FOREIGN") => a.hit("add-foreign-key"),
        _ => {}
    }
}

/// A column definition added to an existing table.
fn add_column(def: &[Tok], a: &mut Analysis) {
    let mut not_null = false;
    let mut default = false;
    let mut generated = false;
    let mut unique = false;
    for (n, tok) in top_level(def) {
        let next = def.get(n + 1);
        if tok.is("NOT") && next.is_some_and(|t| t.is("NULL")) {
            not_null = true;
        } else if tok.is("DEFAULT") {
            default = true;
        } else if tok.is_any(&["GENERATED", "AUTO_INCREMENT", "AUTOINCREMENT", "IDENTITY"])
            || (tok.is("AS") && next == Some(&Tok::Punct('(')))
        {
            generated = true;
        } else if tok.is_any(&["UNIQUE", "PRIMARY"]) {
            unique = true;
        }
    }
    if not_null && !default && !generated {
        a.hit("not-null-without-default");
    }
    if unique {
        a.hit("add-unique");
    }
    if def.iter().any(|t| t.is("REFERENCES")) {
        a.hit("add-foreign-key");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Step;

    use Dialect::{Cockroach, Mysql, Postgres, Sqlite3};

    fn script_at(path: &str, sql: &str, first_line: usize) -> Script {
        Script {
            path: path.into(),
            sql: sql.into(),
            first_line,
            no_transaction: false,
        }
    }

    fn script(sql: &str) -> Script {
        script_at("migrations/2_change.up.sql", sql, 1)
    }

    /// (line, rule) of each finding.
    fn found(sql: &str, dialect: Dialect) -> Vec<(usize, String)> {
        lines(&lint_script(&script(sql), dialect))
    }

    fn lines(findings: &[Finding]) -> Vec<(usize, String)> {
        findings.iter().map(|f| (f.line, f.rule.clone())).collect()
    }

    fn expect(pairs: &[(usize, &str)]) -> Vec<(usize, String)> {
        pairs
            .iter()
            .map(|&(line, rule)| (line, rule.to_string()))
            .collect()
    }

    #[track_caller]
    fn check(sql: &str, dialects: &[Dialect], want: &[(usize, &str)]) {
        for &dialect in dialects {
            assert_eq!(found(sql, dialect), expect(want), "{dialect}: {sql}");
        }
    }

    const REGEX: &[Dialect] = &[Sqlite3, Mysql];
    const PG: &[Dialect] = &[Postgres, Cockroach];

    // --- ladder's own rules, SQLite and MySQL ---

    #[test]
    fn drop_column() {
        check(
            "SELECT 1;\nALTER TABLE users DROP COLUMN email;\nALTER TABLE users DROP name;",
            REGEX,
            &[(2, "drop-column"), (3, "drop-column")],
        );
        check(
            "ALTER TABLE t DROP INDEX i, DROP PRIMARY KEY, DROP FOREIGN KEY fk, DROP CHECK c;",
            &[Mysql],
            &[],
        );
    }

    #[test]
    fn drop_table() {
        check(
            "\n\nDROP TABLE IF EXISTS sessions;",
            REGEX,
            &[(3, "drop-table")],
        );
        check("DROP TEMPORARY TABLE tmp;", &[Mysql], &[(1, "drop-table")]);
        check("DROP INDEX i;\nDROP VIEW v;", REGEX, &[]);
    }

    #[test]
    fn rename_table() {
        check(
            "ALTER TABLE users RENAME TO accounts;",
            REGEX,
            &[(1, "rename-table")],
        );
        check(
            "RENAME TABLE users TO accounts;\nALTER TABLE a RENAME AS b;\nALTER TABLE c RENAME d;",
            &[Mysql],
            &[
                (1, "rename-table"),
                (2, "rename-table"),
                (3, "rename-table"),
            ],
        );
        check("ALTER TABLE t RENAME INDEX a TO b;", &[Mysql], &[]);
    }

    #[test]
    fn rename_column() {
        check(
            "ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users RENAME email TO mail;",
            REGEX,
            &[(1, "rename-column"), (2, "rename-column")],
        );
    }

    #[test]
    fn change_column_type() {
        check(
            "ALTER TABLE users MODIFY COLUMN age BIGINT;\nALTER TABLE users MODIFY age INT NOT NULL;\n\
             ALTER TABLE users CHANGE age age BIGINT;\nALTER TABLE users ALTER COLUMN age TYPE bigint;",
            &[Mysql],
            &[
                (1, "change-column-type"),
                (2, "change-column-type"),
                (3, "change-column-type"),
                (4, "change-column-type"),
            ],
        );
        // CHANGE with another name renames too.
        check(
            "ALTER TABLE users CHANGE COLUMN age years INT;",
            &[Mysql],
            &[(1, "change-column-type"), (1, "rename-column")],
        );
        check(
            "ALTER TABLE users ALTER COLUMN age SET DATA TYPE bigint;",
            &[Sqlite3],
            &[(1, "change-column-type")],
        );
        check(
            "ALTER TABLE users ALTER COLUMN age SET DEFAULT 1;",
            REGEX,
            &[],
        );
    }

    #[test]
    fn not_null_without_default() {
        check(
            "ALTER TABLE users ADD COLUMN age INT NOT NULL;\n\
             ALTER TABLE users ADD COLUMN b INT NOT NULL DEFAULT 0;\n\
             ALTER TABLE users ADD COLUMN c INT;\n\
             ALTER TABLE users ADD d INT CHECK (d IS NOT NULL);",
            REGEX,
            &[(1, "not-null-without-default")],
        );
        check(
            "ALTER TABLE users ADD COLUMN e INT NOT NULL AFTER id, ADD (f INT NOT NULL, g INT);\n\
             ALTER TABLE users ADD COLUMN h INT AS (id + 1) NOT NULL;",
            &[Mysql],
            &[(1, "not-null-without-default")],
        );
    }

    #[test]
    fn add_unique() {
        check(
            "ALTER TABLE users ADD UNIQUE (email);\n\
             ALTER TABLE users ADD CONSTRAINT users_email UNIQUE (email);\n\
             CREATE UNIQUE INDEX users_name ON users (name);\n\
             CREATE INDEX users_age ON users (age);",
            &[Mysql],
            &[(1, "add-unique"), (2, "add-unique"), (3, "add-unique")],
        );
        check(
            "CREATE UNIQUE INDEX IF NOT EXISTS users_name ON users (name);",
            &[Sqlite3],
            &[(1, "add-unique")],
        );
    }

    #[test]
    fn add_foreign_key() {
        check(
            "ALTER TABLE posts ADD FOREIGN KEY (user_id) REFERENCES users (id);\n\
             ALTER TABLE posts ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id);",
            &[Mysql],
            &[(1, "add-foreign-key"), (2, "add-foreign-key")],
        );
        check(
            "ALTER TABLE posts ADD COLUMN user_id INTEGER REFERENCES users (id);",
            REGEX,
            &[(1, "add-foreign-key")],
        );
    }

    #[test]
    fn truncate() {
        check(
            "TRUNCATE TABLE sessions;\nTRUNCATE logs;",
            &[Mysql],
            &[(1, "truncate"), (2, "truncate")],
        );
    }

    #[test]
    fn delete_without_where() {
        check(
            "DELETE FROM sessions;\nDELETE FROM sessions WHERE expired = 1;\n\
             DELETE FROM a WHERE id IN (SELECT id FROM b);\n\
             DELETE FROM c WHERE NOT EXISTS (SELECT 1 FROM d WHERE d.id = c.id);",
            REGEX,
            &[(1, "delete-without-where")],
        );
        // A WHERE in a subquery is not the statement's own.
        check(
            "DELETE FROM a ORDER BY (SELECT x FROM b WHERE y) LIMIT 1;",
            &[Mysql],
            &[(1, "delete-without-where")],
        );
        check(
            "WITH old AS (SELECT id FROM s WHERE x) DELETE FROM s;",
            &[Sqlite3],
            &[(1, "delete-without-where")],
        );
    }

    #[test]
    fn update_without_where() {
        check(
            "UPDATE users SET active = 1;\nUPDATE users SET active = 0 WHERE id = 1;\n\
             UPDATE users SET n = (SELECT count(*) FROM posts WHERE posts.u = users.id);",
            REGEX,
            &[(1, "update-without-where"), (3, "update-without-where")],
        );
        check(
            "UPDATE OR IGNORE users SET a = 1;",
            &[Sqlite3],
            &[(1, "update-without-where")],
        );
    }

    #[test]
    fn triggers_are_not_statements_of_their_own() {
        check(
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; UPDATE c SET x = 1; END;",
            REGEX,
            &[],
        );
    }

    // --- Postgres and CockroachDB: squawk plus ladder's extra rules ---

    #[test]
    fn postgres_drop_column() {
        check(
            "ALTER TABLE users DROP COLUMN email;",
            PG,
            &[(1, "ban-drop-column")],
        );
    }

    #[test]
    fn postgres_drop_table() {
        check(
            "SELECT 1;\n\nDROP TABLE sessions;",
            PG,
            &[(3, "ban-drop-table")],
        );
    }

    #[test]
    fn postgres_renames() {
        check(
            "ALTER TABLE users RENAME TO accounts;\nALTER TABLE accounts RENAME COLUMN name TO full_name;",
            PG,
            &[(1, "renaming-table"), (2, "renaming-column")],
        );
    }

    #[test]
    fn postgres_change_column_type() {
        check(
            "ALTER TABLE users ALTER COLUMN age TYPE bigint;",
            PG,
            &[(1, "changing-column-type")],
        );
    }

    #[test]
    fn postgres_not_null() {
        check(
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n\
             ALTER TABLE users ADD COLUMN age integer NOT NULL;\n\
             ALTER TABLE users ADD COLUMN ok integer NOT NULL DEFAULT 0;",
            PG,
            &[
                (1, "adding-not-nullable-field"),
                (2, "adding-required-field"),
            ],
        );
    }

    #[test]
    fn postgres_unique_and_foreign_key() {
        check(
            "ALTER TABLE users ADD CONSTRAINT users_email UNIQUE (email);\n\
             ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);\n\
             ALTER TABLE posts ADD CONSTRAINT fk2 FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
            PG,
            // squawk also asks for NOT VALID on any constraint added to an existing table.
            &[
                (1, "constraint-missing-not-valid"),
                (1, "disallowed-unique-constraint"),
                (2, "adding-foreign-key-constraint"),
                (2, "constraint-missing-not-valid"),
            ],
        );
    }

    #[test]
    fn postgres_create_index() {
        check(
            "CREATE INDEX users_age ON users (age);",
            &[Postgres],
            &[(1, "require-concurrent-index-creation")],
        );
        // CockroachDB builds indexes online.
        check("CREATE INDEX users_age ON users (age);", &[Cockroach], &[]);
        // A unique index also fails on existing duplicates, concurrently or not.
        check(
            "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);",
            &[Postgres],
            &[(1, "add-unique")],
        );
        let mut file = script(
            "-- no-transaction\nCREATE INDEX CONCURRENTLY users_age ON users (age);\nSELECT 1;",
        );
        file.no_transaction = true;
        assert!(lint_script(&file, Postgres).is_empty());
        file.no_transaction = false;
        assert_eq!(
            lines(&lint_script(&file, Postgres)),
            expect(&[(2, "ban-concurrent-index-creation-in-transaction")])
        );
    }

    #[test]
    fn postgres_truncate() {
        check("TRUNCATE sessions;", PG, &[(1, "truncate")]);
        check(
            "TRUNCATE TABLE users CASCADE;",
            PG,
            &[(1, "ban-truncate-cascade"), (1, "truncate")],
        );
    }

    #[test]
    fn postgres_delete_and_update_without_where() {
        check(
            "DELETE FROM sessions;\nUPDATE users SET active = true;\n\
             DELETE FROM sessions WHERE id = 1;\nUPDATE users SET a = 1 WHERE id = 2;\n\
             DO $$ BEGIN DELETE FROM x; END $$;",
            PG,
            &[(1, "delete-without-where"), (2, "update-without-where")],
        );
    }

    #[test]
    fn postgres_style_rules_are_left_out() {
        check(
            "CREATE TABLE events (id serial PRIMARY KEY, name varchar(10), code char(2), at timestamp, n int);\n\
             ALTER TABLE events ADD COLUMN extra integer;\n\
             CREATE TYPE mood AS ENUM ('a');\nALTER TYPE mood ADD VALUE 'b';",
            PG,
            &[],
        );
    }

    #[test]
    fn squawk_rule_lists_match_squawk() {
        let known: HashSet<String> = squawk_linter::Linter::with_default_rules()
            .rules
            .iter()
            .map(ToString::to_string)
            .collect();
        for (code, _) in SQUAWK_RULES.iter().chain(SQUAWK_EXCLUDED) {
            assert!(known.contains(*code), "{code} is no default squawk rule");
        }
        for code in &known {
            let listed = SQUAWK_RULES
                .iter()
                .chain(SQUAWK_EXCLUDED)
                .filter(|(c, _)| c == code);
            assert_eq!(listed.count(), 1, "{code} must be either kept or excluded");
        }
        for code in SAFE_ON_NEW_TABLE.iter().chain(COCKROACH_SKIPPED) {
            assert!(why(code).is_some(), "{code}");
        }
        for (code, why) in RULES.iter().chain(SQUAWK_RULES) {
            assert!(!why.ends_with('.') && !why.is_empty(), "{code}");
        }
    }

    // --- allow comments ---

    #[test]
    fn every_rule_can_be_allowed() {
        let cases: &[(&[Dialect], &str, &str)] = &[
            (REGEX, "drop-column", "ALTER TABLE t DROP COLUMN c"),
            (REGEX, "drop-table", "DROP TABLE t"),
            (REGEX, "rename-table", "ALTER TABLE t RENAME TO u"),
            (REGEX, "rename-column", "ALTER TABLE t RENAME COLUMN a TO b"),
            (
                &[Mysql],
                "change-column-type",
                "ALTER TABLE t MODIFY c BIGINT",
            ),
            (
                REGEX,
                "not-null-without-default",
                "ALTER TABLE t ADD COLUMN c INT NOT NULL",
            ),
            (REGEX, "add-unique", "CREATE UNIQUE INDEX i ON t (c)"),
            (
                &[Mysql],
                "add-foreign-key",
                "ALTER TABLE t ADD FOREIGN KEY (c) REFERENCES u (id)",
            ),
            (&[Mysql], "truncate", "TRUNCATE t"),
            (REGEX, "delete-without-where", "DELETE FROM t"),
            (REGEX, "update-without-where", "UPDATE t SET c = 1"),
            (PG, "ban-drop-column", "ALTER TABLE t DROP COLUMN c"),
            (PG, "ban-drop-table", "DROP TABLE t"),
            (PG, "renaming-table", "ALTER TABLE t RENAME TO u"),
            (PG, "renaming-column", "ALTER TABLE t RENAME COLUMN a TO b"),
            (
                PG,
                "changing-column-type",
                "ALTER TABLE t ALTER COLUMN c TYPE bigint",
            ),
            (
                PG,
                "adding-not-nullable-field",
                "ALTER TABLE t ALTER COLUMN c SET NOT NULL",
            ),
            (
                PG,
                "adding-required-field",
                "ALTER TABLE t ADD COLUMN c int NOT NULL",
            ),
            (
                PG,
                "adding-foreign-key-constraint",
                "ALTER TABLE t ADD COLUMN c int REFERENCES u (id)",
            ),
            (
                PG,
                "disallowed-unique-constraint",
                "ALTER TABLE t ADD COLUMN c int UNIQUE",
            ),
            (
                PG,
                "constraint-missing-not-valid",
                "ALTER TABLE t ADD CONSTRAINT k CHECK (c > 0)",
            ),
            (
                &[Postgres],
                "require-concurrent-index-creation",
                "CREATE INDEX i ON t (c)",
            ),
            (
                &[Postgres],
                "add-unique",
                "CREATE UNIQUE INDEX CONCURRENTLY i ON t (c)",
            ),
            (PG, "truncate", "TRUNCATE t"),
            (PG, "delete-without-where", "DELETE FROM t"),
            (PG, "update-without-where", "UPDATE t SET c = 1"),
        ];
        for &(dialects, rule, statement) in cases {
            check(&format!("{statement};"), dialects, &[(1, rule)]);
            // On the line above, with a reason.
            check(
                &format!("-- ladder:allow {rule} -- checked by hand\n{statement};"),
                dialects,
                &[],
            );
            // Inside the statement.
            let (head, tail) = statement.split_at(statement.find(' ').unwrap_or(0));
            check(
                &format!("{head} -- ladder:allow {rule}\n{tail};"),
                dialects,
                &[],
            );
            // After it on its line.
            check(
                &format!("{statement}; -- ladder:allow truncate,{rule}"),
                dialects,
                &[],
            );
        }
    }

    #[test]
    fn an_allow_silences_only_its_statement_and_rules() {
        let sql = "-- ladder:allow drop-table\nDROP TABLE a;\nDROP TABLE b;\n\
                   DELETE FROM c; -- ladder:allow drop-table\n\
                   -- just a note\n-- ladder:allow drop-column, rename-column\n\n\
                   ALTER TABLE d DROP COLUMN x;\nALTER TABLE d DROP COLUMN y;";
        check(
            sql,
            REGEX,
            &[
                (3, "drop-table"),
                (4, "delete-without-where"),
                (9, "drop-column"),
            ],
        );
        let sql = "DROP TABLE a; -- ladder:allow ban-drop-table\nDROP TABLE b;";
        check(sql, PG, &[(2, "ban-drop-table")]);
    }

    #[test]
    fn unknown_allow() {
        let sql = "-- ladder:allow drop-colum\nALTER TABLE t DROP COLUMN c;\n\
                   SELECT 1; -- ladder:allow\n-- ladder:allow truncate, nonsense\nTRUNCATE t;";
        check(
            sql,
            &[Mysql],
            &[
                (1, "unknown-allow"),
                (2, "drop-column"),
                (3, "unknown-allow"),
                (4, "unknown-allow"),
            ],
        );
        let findings = lint_script(&script(sql), Mysql);
        assert_eq!(
            findings[0].message,
            "`ladder:allow` names unknown rule `drop-colum`, which silences nothing (did you mean `drop-column`?)"
        );
        assert_eq!(findings[0].statement, "-- ladder:allow drop-colum");
        assert_eq!(findings[2].message, "`ladder:allow` names no rule");
        assert_eq!(
            findings[3].message,
            "`ladder:allow` names unknown rule `nonsense`, which silences nothing"
        );
        // Rules of either family are known to every dialect; other comments are no allows.
        check(
            "-- ladder:allow ban-drop-table, drop-table\n-- ladder:allowed x\nDROP TABLE t;",
            &[Sqlite3, Postgres],
            &[],
        );
    }

    // --- what must not match ---

    #[test]
    fn strings_comments_and_names_do_not_match() {
        let sql = "INSERT INTO notes VALUES ('DROP TABLE users');\n\
                   INSERT INTO notes VALUES ('it''s; DELETE FROM users');\n\
                   -- DROP TABLE users;\n/* TRUNCATE users; */\n\
                   SELECT \"DROP TABLE\" FROM t;\n\
                   INSERT INTO notes (body) VALUES ('ALTER TABLE t DROP COLUMN c');";
        check(sql, &[Sqlite3, Postgres, Cockroach], &[]);
        check(
            "INSERT INTO notes VALUES (\"DROP TABLE users\", 'it\\'s; TRUNCATE t');\n\
             # DROP TABLE users\nSELECT `UPDATE users SET a = 1`;",
            &[Mysql],
            &[],
        );
        check(
            "SELECT $x$ DELETE FROM t $x$, E'\\' DELETE FROM t';",
            &[Postgres],
            &[],
        );
        check("INSERT INTO t VALUES ('-- ladder:allow nope');", REGEX, &[]);
    }

    #[test]
    fn tables_created_in_the_same_file_are_not_risky() {
        let sql = "CREATE TABLE IF NOT EXISTS `Tags` (id INT, name TEXT);\n\
                   ALTER TABLE tags ADD COLUMN slug TEXT NOT NULL;\n\
                   CREATE UNIQUE INDEX tags_name ON tags (name);\n\
                   ALTER TABLE tags ADD COLUMN owner INT REFERENCES users (id);\n\
                   ALTER TABLE tags RENAME COLUMN name TO label;\n\
                   ALTER TABLE tags DROP COLUMN slug;\n\
                   ALTER TABLE tags RENAME TO labels;\n\
                   ALTER TABLE labels DROP COLUMN owner;\n\
                   DROP TABLE labels;\n\
                   DROP TABLE users;\nDELETE FROM labels;";
        check(
            sql,
            REGEX,
            &[(10, "drop-table"), (11, "delete-without-where")],
        );
        // The same for squawk's findings.
        let sql = "CREATE TABLE tags (id bigint, name text);\n\
                   ALTER TABLE tags ADD COLUMN slug text NOT NULL;\n\
                   CREATE INDEX tags_name ON tags (name);\n\
                   CREATE UNIQUE INDEX tags_slug ON tags (slug);\n\
                   ALTER TABLE tags ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES users (id);\n\
                   ALTER TABLE tags ALTER COLUMN name TYPE varchar(20);\n\
                   ALTER TABLE tags DROP COLUMN slug;\n\
                   ALTER TABLE tags RENAME TO labels;\n\
                   DROP TABLE labels;\n\
                   ALTER TABLE users DROP COLUMN age;";
        check(sql, &[Postgres], &[(10, "ban-drop-column")]);
        // A table created later or in another file is not new.
        check(
            "ALTER TABLE t DROP COLUMN c;\nCREATE TABLE t (id INT);",
            REGEX,
            &[(1, "drop-column")],
        );
    }

    // --- positions ---

    #[test]
    fn lines_count_from_the_section_start_in_the_file() {
        let file = script_at(
            "migrations/20240101_x.sql",
            "\n-- ladder:allow drop-table, ban-drop-table\nDROP TABLE a;\n\n  DROP TABLE\n    b;",
            10,
        );
        let findings = lint_script(&file, Sqlite3);
        assert_eq!(lines(&findings), expect(&[(14, "drop-table")]));
        let findings = lint_script(&file, Postgres);
        assert_eq!(lines(&findings), expect(&[(14, "ban-drop-table")]));
        assert_eq!(findings[0].statement, "DROP TABLE");
        assert_eq!(
            findings[0].to_string(),
            "migrations/20240101_x.sql:14: ban-drop-table (postgres): dropping a table loses its \
             data and breaks code still using it\n  statement: DROP TABLE"
        );
        // Unknown allows report the comment's own line.
        let file = script_at("m.sql", "SELECT 1;\n-- ladder:allow oops\nSELECT 2;", 5);
        assert_eq!(
            lines(&lint_script(&file, Mysql)),
            expect(&[(6, "unknown-allow")])
        );
    }

    #[test]
    fn several_statements_on_one_line_and_long_statements() {
        check(
            "DROP TABLE a; DELETE FROM b; UPDATE c SET x = 1 WHERE y;",
            &[Sqlite3],
            &[(1, "delete-without-where"), (1, "drop-table")],
        );
        check(
            "SELECT 1; DROP TABLE a; ALTER TABLE b DROP COLUMN c;",
            &[Postgres],
            &[(1, "ban-drop-column"), (1, "ban-drop-table")],
        );
        let long = format!("DELETE FROM {};", "x".repeat(100));
        let findings = lint_script(&script(&long), Sqlite3);
        assert_eq!(findings[0].statement.chars().count(), 80);
        assert!(findings[0].statement.ends_with('…'));
    }

    // --- plans ---

    fn step(version: &str, scripts: &[(Option<Dialect>, &str, &str)]) -> Step {
        let mut step = Step::new(Version::parse(version).expect("version"), "x");
        for &(dialect, path, sql) in scripts {
            step.up.insert(dialect, script_at(path, sql, 1));
        }
        step
    }

    #[test]
    fn plans_lint_each_dialects_file_once_per_finding() {
        let plan = Plan {
            steps: vec![
                step(
                    "1",
                    &[(
                        None,
                        "m/1_a.up.sql",
                        "CREATE TABLE t (id INT);\nDROP TABLE old;",
                    )],
                ),
                step(
                    "2",
                    &[
                        (None, "m/2_b.up.sql", "DELETE FROM t;"),
                        (Some(Mysql), "m/2_b.mysql.up.sql", "TRUNCATE t;"),
                    ],
                ),
            ],
        };
        let findings = lint_plan(&plan, &Dialect::ALL, None);
        let got: Vec<(String, usize, String, Dialect)> = findings
            .iter()
            .map(|f| (f.path.to_string(), f.line, f.rule.clone(), f.dialect))
            .collect();
        let want = [
            ("m/1_a.up.sql", 2, "ban-drop-table", Postgres),
            ("m/1_a.up.sql", 2, "drop-table", Sqlite3),
            ("m/2_b.mysql.up.sql", 1, "truncate", Mysql),
            ("m/2_b.up.sql", 1, "delete-without-where", Sqlite3),
        ];
        let want: Vec<(String, usize, String, Dialect)> = want
            .iter()
            .map(|&(p, l, r, d)| (p.to_string(), l, r.to_string(), d))
            .collect();
        assert_eq!(got, want);

        // Only what is newer than the lock file's newest version.
        let newer = lint_plan(&plan, &[Sqlite3], Version::parse("1").as_ref());
        assert_eq!(
            newer
                .iter()
                .map(|f| (f.path.as_str(), f.line, f.rule.as_str()))
                .collect::<Vec<_>>(),
            [("m/2_b.up.sql", 1, "delete-without-where")]
        );
        assert!(lint_plan(&plan, &[Sqlite3], Version::parse("2").as_ref()).is_empty());
        assert!(lint_plan(&plan, &[], None).is_empty());
    }

    #[test]
    fn findings_serialize_the_dialect_by_name() {
        let findings = lint_script(&script("DROP TABLE t;"), Cockroach);
        let json = serde_json::to_value(&findings).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!([{
                "path": "migrations/2_change.up.sql",
                "line": 1,
                "rule": "ban-drop-table",
                "dialect": "cockroach",
                "message": "dropping a table loses its data and breaks code still using it",
                "statement": "DROP TABLE t",
            }])
        );
    }
}
