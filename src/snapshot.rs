//! Records to JSON, redactions, and insta `.snap` files: one per table per dialect.

use std::collections::BTreeMap;
use std::sync::Arc;

use camino::{Utf8Path, Utf8PathBuf};
use insta::internals::TextSnapshotContents;
use insta::{Snapshot, TextSnapshotKind};
use regex::Regex;
use serde_json::{Map, Value};

use crate::dialect::Dialect;
use crate::engine::TableDump;
use crate::error::Error;
use crate::origin::Origin;
use crate::runner::StepQueries;

/// A `*` pattern matched against a whole name.
#[derive(Debug, Clone)]
pub struct Glob(Regex);

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        let body = pattern
            .split('*')
            .map(regex::escape)
            .collect::<Vec<_>>()
            .join(".*");
        // Escaped literals joined by `.*` always form a valid pattern.
        Glob(Regex::new(&format!("^{body}$")).expect("escaped glob is a valid regex"))
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}

/// Values replaced before snapshotting, for columns that change on every run (timestamps filled
/// by `now()`, random ids). NULL stays NULL so that nullability still shows.
#[derive(Debug, Clone, Default)]
pub struct Redactions {
    rules: Vec<(Glob, Glob, String)>,
}

impl Redactions {
    /// Reads `"table.column" = "replacement"` selectors.
    pub fn new(selectors: &BTreeMap<String, String>) -> Result<Redactions, String> {
        let mut rules = Vec::new();
        for (selector, replacement) in selectors {
            let Some((table, column)) = selector.split_once('.') else {
                return Err(format!(
                    "redaction selector {selector:?} is not of the form \"table.column\" \
                     (use * for any table or column, e.g. \"*.updated_at\")"
                ));
            };
            rules.push((Glob::new(table), Glob::new(column), replacement.clone()));
        }
        Ok(Redactions { rules })
    }

    fn replacement(&self, table: &str, column: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|(t, c, _)| t.matches(table) && c.matches(column))
            .map(|(_, _, r)| r.as_str())
    }
}

/// The body of a table's snapshot: a JSON array of records, keys sorted, one field a line.
/// Each record carries `"@version"`: the version whose testdata inserted it (see
/// [`crate::origin`]); `origins` is in row order, and may be empty.
pub fn render(
    dump: &TableDump,
    origins: &[Option<Arc<Origin>>],
    redactions: &Redactions,
) -> String {
    render_with_records(dump, origins, redactions).0
}

/// [`render`], and each record in the upgrade matrix's small form. One record at a time is a
/// JSON object: the text is what `serde_json::to_string_pretty` makes of the whole array, but a
/// big table's objects are never all held at once.
fn render_with_records(
    dump: &TableDump,
    origins: &[Option<Arc<Origin>>],
    redactions: &Redactions,
) -> (String, Vec<crate::matrix::Record>) {
    if dump.rows.is_empty() {
        return ("[]".to_string(), Vec::new());
    }
    // The fields of a record as serde_json's map orders them (by the keys' bytes), each with
    // its key as JSON and where its value comes from: the origin (`None`) or a column.
    let mut fields: Vec<(&str, Option<usize>)> = std::iter::once((VERSION_KEY, None))
        .chain(
            dump.columns
                .iter()
                .enumerate()
                .map(|(i, c)| (c.as_str(), Some(i))),
        )
        .collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    // A name given twice keeps its last value, as a map would (a column named `@version`
    // hides the origin).
    fields.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            *earlier = *later;
        }
        same
    });
    let fields: Vec<(String, Option<usize>, Option<&str>)> = fields
        .into_iter()
        .map(|(name, at)| {
            let replacement = at.and_then(|_| redactions.replacement(&dump.name, name));
            (json_text(&Value::from(name)), at, replacement)
        })
        .collect();
    let key_columns: Vec<Option<usize>> = dump
        .order_by
        .iter()
        .map(|k| dump.columns.iter().rposition(|c| c == k))
        .collect();
    let mut body = String::from("[\n");
    let mut small = Vec::with_capacity(dump.rows.len());
    // One record's compact JSON (for the matrix), and each key column's value.
    let mut compact = String::new();
    let mut values: Vec<Option<String>> = vec![None; dump.columns.len()];
    let in_key: Vec<bool> = (0..dump.columns.len())
        .map(|at| key_columns.contains(&Some(at)))
        .collect();
    let mut last: Option<(Arc<Origin>, String, String)> = None;
    for (i, row) in dump.rows.iter().enumerate() {
        // Records of one version come together: their label is written once.
        let version = origins.get(i).and_then(Option::as_ref).map(|origin| {
            if !last
                .as_ref()
                .is_some_and(|(o, _, _)| Arc::ptr_eq(o, origin))
            {
                let label = origin.label();
                let text = json_text(&Value::from(label.as_str()));
                last = Some((Arc::clone(origin), label, text));
            }
            let (_, label, text) = last.as_ref().expect("set just above");
            (label, text)
        });
        // What the record holds under `@version` in the end, and as JSON: its origin, unless a
        // column of that name hides it.
        let mut held_version: Option<(String, String)> = None;
        if i > 0 {
            body.push_str(",\n");
        }
        compact.clear();
        compact.push('{');
        let mut written = 0;
        body.push_str("  {");
        for (name, at, replacement) in &fields {
            let (text, pretty) = match at {
                None => match version {
                    Some((label, text)) => {
                        held_version = Some((label.clone(), text.clone()));
                        (text.clone(), None)
                    }
                    None => continue,
                },
                Some(at) => {
                    let value = row.get(*at).unwrap_or(&Value::Null);
                    let replaced = replacement.filter(|_| !value.is_null()).map(Value::from);
                    let shown = replaced.as_ref().unwrap_or(value);
                    let text = json_text(shown);
                    if name.as_str() == VERSION_TEXT {
                        held_version = shown.as_str().map(|s| (s.to_string(), text.clone()));
                    }
                    if in_key[*at] {
                        values[*at] = Some(text.clone());
                    }
                    // Nested arrays and objects take lines of their own when pretty.
                    let nested = matches!(shown, Value::Array(a) if !a.is_empty())
                        || matches!(shown, Value::Object(o) if !o.is_empty());
                    let pretty = nested.then(|| {
                        serde_json::to_string_pretty(shown).expect("JSON values serialise")
                    });
                    (text, pretty)
                }
            };
            if written > 0 {
                compact.push(',');
                body.push(',');
            }
            written += 1;
            compact.push_str(name);
            compact.push(':');
            compact.push_str(&text);
            body.push_str("\n    ");
            body.push_str(name);
            body.push_str(": ");
            match pretty {
                Some(pretty) => {
                    for (n, line) in pretty.lines().enumerate() {
                        if n > 0 {
                            body.push_str("\n    ");
                        }
                        body.push_str(line);
                    }
                }
                None => body.push_str(&text),
            }
        }
        compact.push('}');
        body.push_str(if written > 0 { "\n  }" } else { "}" });
        // `[@version, key values…]`, as the matrix keys a record (see `Record::of`).
        let key = (!key_columns.is_empty()).then(|| {
            let mut key = String::from("[");
            match &held_version {
                Some((_, text)) => key.push_str(text),
                None => key.push_str("null"),
            }
            for at in &key_columns {
                key.push(',');
                match at.and_then(|at| values[at].as_deref()) {
                    Some(text) => key.push_str(text),
                    None => key.push_str("null"),
                }
            }
            key.push(']');
            key
        });
        let held_version = held_version.map(|(label, _)| label);
        small.push(crate::matrix::Record::of_text(held_version, key, &compact));
    }
    body.push_str("\n]");
    (body, small)
}

/// A value as compact JSON.
fn json_text(value: &Value) -> String {
    serde_json::to_string(value).expect("JSON values serialise")
}

/// The key under which a record carries the version whose testdata inserted it.
pub const VERSION_KEY: &str = "@version";

/// [`VERSION_KEY`] as JSON.
const VERSION_TEXT: &str = "\"@version\"";

/// The file of `table`'s snapshot on `dialect`.
pub fn path_for(dir: &Utf8Path, dialect: Dialect, table: &str) -> Utf8PathBuf {
    dir.join(dialect.name())
        .join(format!("{}.snap", file_stem(table)))
}

/// A table name as a file name: characters outside `[A-Za-z0-9_.-]` become `_`, so a table
/// can never take the `@` names of ladder's own snapshots.
fn file_stem(table: &str) -> String {
    table
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One snapshot to compare: a table's records, the schema, or a step's query results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// What the report calls it: the table name, `@schema`, `@query-<version>`.
    pub name: String,
    /// The file name without `.snap`.
    pub stem: String,
    pub body: String,
    /// The snapshot's `description` header.
    pub description: String,
    pub rows: usize,
    /// For a table: the columns that tell its records apart (primary key, else every column).
    pub key: Vec<String>,
    /// For a table: its records, as `body` holds them, in the matrix's small form.
    pub records: Vec<crate::matrix::Record>,
}

impl Item {
    pub fn table(
        dump: &TableDump,
        origins: &[Option<Arc<Origin>>],
        dialect: Dialect,
        redactions: &Redactions,
    ) -> Item {
        let n = dump.rows.len();
        let (body, records) = render_with_records(dump, origins, redactions);
        Item {
            name: dump.name.clone(),
            stem: file_stem(&dump.name),
            body,
            description: format!(
                "table {} on {dialect}: {n} row{}, ordered by {}",
                dump.name,
                if n == 1 { "" } else { "s" },
                dump.order_by.join(", ")
            ),
            rows: n,
            key: dump.order_by.clone(),
            records,
        }
    }

    /// The normalised schema after the last migration.
    pub fn schema(body: String, dialect: Dialect) -> Item {
        Item {
            name: "@schema".into(),
            stem: "@schema".into(),
            body,
            description: format!("schema on {dialect} after the last migration"),
            rows: 0,
            key: Vec::new(),
            records: Vec::new(),
        }
    }

    /// What a version's step queries returned right after its migration.
    pub fn queries(step: &StepQueries, dialect: Dialect) -> Item {
        let mut body = String::new();
        for (line, sql, result) in &step.results {
            let records: Vec<Value> = result
                .rows
                .iter()
                .map(|row| {
                    let mut record = Map::new();
                    for (column, value) in result.columns.iter().zip(row) {
                        record.insert(column.clone(), value.clone());
                    }
                    Value::Object(record)
                })
                .collect();
            body.push_str(&format!("-- {}:{line}\n", step.path));
            for sql_line in sql.lines() {
                body.push_str(&format!("-- {}\n", sql_line.trim_end()));
            }
            body.push_str(&serde_json::to_string_pretty(&records).expect("JSON values serialise"));
            body.push_str("\n\n");
        }
        let name = format!("@query-{}", step.version);
        Item {
            stem: name.clone(),
            name,
            body: body.trim_end().to_string(),
            description: format!(
                "step queries of {} on {dialect}, right after its migration",
                step.version
            ),
            rows: step.results.iter().map(|(_, _, r)| r.rows.len()).sum(),
            key: Vec::new(),
            records: Vec::new(),
        }
    }
}

/// How a table's records compare with its accepted snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Unchanged,
    /// The records differ; `diff` is a unified diff from the accepted to this run.
    Changed {
        diff: String,
    },
    /// No accepted snapshot yet.
    New {
        body: String,
    },
    /// A snapshot exists for a table that the ladder no longer produces.
    Removed {
        diff: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableResult {
    pub table: String,
    pub path: Utf8PathBuf,
    pub rows: usize,
    pub status: Status,
    /// `--accept` wrote (or removed) the snapshot.
    pub accepted: bool,
}

impl TableResult {
    /// Whether this table fails the run.
    pub fn failed(&self) -> bool {
        self.status != Status::Unchanged && !self.accepted
    }
}

/// Compares every item with its snapshot under `dir/<dialect>/`, whose bodies are `accepted`
/// (as [`accepted_bodies`] read them); with `accept`, writes the new ones and removes those that
/// nothing produces any more.
pub fn check(
    dir: &Utf8Path,
    dialect: Dialect,
    items: &[Item],
    accepted: &BTreeMap<String, String>,
    accept: bool,
) -> Result<Vec<TableResult>, Error> {
    let mut results = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let folder = dir.join(dialect.name());
    for item in items {
        let path = folder.join(format!("{}.snap", item.stem));
        seen.insert(item.stem.as_str());
        let status = match accepted.get(&item.stem) {
            None => Status::New {
                body: item.body.clone(),
            },
            Some(old) => {
                let new = normalise(&item.body);
                if *old == new {
                    Status::Unchanged
                } else {
                    Status::Changed {
                        diff: diff(old, &new, &path),
                    }
                }
            }
        };
        let accepted = accept && status != Status::Unchanged;
        if accepted {
            write_snapshot(&path, &item.description, &item.body)?;
        }
        results.push(TableResult {
            table: item.name.clone(),
            path,
            rows: item.rows,
            status,
            accepted,
        });
    }
    for (stem, old) in accepted {
        if seen.contains(stem.as_str()) {
            continue;
        }
        let path = folder.join(format!("{stem}.snap"));
        let table = stem.clone();
        if accept {
            fs_err::remove_file(&path).map_err(Error::io("remove", &path))?;
        }
        results.push(TableResult {
            table,
            path: path.clone(),
            rows: 0,
            status: Status::Removed {
                diff: diff(old, "", &path),
            },
            accepted: accept,
        });
    }
    results.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(results)
}

/// The accepted snapshot text of each snapshot under `dir/<dialect>/`, by file stem, as insta
/// reads it.
pub fn accepted_bodies(
    dir: &Utf8Path,
    dialect: Dialect,
) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for path in existing_snapshots(&dir.join(dialect.name()))? {
        let stem = path.file_stem().unwrap_or_default().to_string();
        if let Some(body) = read_snapshot(&path)? {
            out.insert(stem, body);
        }
    }
    Ok(out)
}

/// insta's own reading of a snapshot, normalised the way insta compares them.
fn read_snapshot(path: &Utf8Path) -> Result<Option<String>, Error> {
    if !path.exists() {
        return Ok(None);
    }
    let snapshot = Snapshot::from_file(path.as_std_path()).map_err(|e| Error::Io {
        action: "read snapshot",
        path: path.to_owned(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(Some(
        snapshot
            .as_text()
            .map(|t| t.to_string())
            .unwrap_or_default(),
    ))
}

/// The body as insta compares it: without trailing white space, and with `\n` line ends. Most
/// bodies are that already, and are not copied.
fn normalise(body: &str) -> std::borrow::Cow<'_, str> {
    let normal = !body.contains('\r') && !body.ends_with(char::is_whitespace);
    if normal {
        std::borrow::Cow::Borrowed(body)
    } else {
        TextSnapshotContents::new(body.to_string(), TextSnapshotKind::File)
            .to_string()
            .into()
    }
}

/// The `.snap` files in `dir`, sorted; none when it does not exist.
pub(crate) fn existing_snapshots(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>, Error> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut paths = Vec::new();
    for entry in fs_err::read_dir(dir).map_err(Error::io("read", dir))? {
        let entry = entry.map_err(Error::io("read", dir))?;
        if let Ok(path) = Utf8PathBuf::from_path_buf(entry.path())
            && path.extension() == Some("snap")
        {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Writes the file in insta's format, through a temporary file so that a crash never leaves a
/// truncated snapshot.
fn write_snapshot(path: &Utf8Path, description: &str, body: &str) -> Result<(), Error> {
    let text = format!(
        "---\nsource: ladder\ndescription: {}\n---\n{}\n",
        serde_json::Value::from(description),
        body.trim_end()
    );
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent).map_err(Error::io("create", parent))?;
    }
    let tmp = path.with_extension("snap.tmp");
    let written = std::fs::write(&tmp, text)
        .map_err(Error::io("write", &tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(Error::io("write", path)));
    if written.is_err() {
        // A half-written temporary file (disk full) or one that could not take the snapshot's
        // place is not left behind.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn diff(old: &str, new: &str, path: &Utf8Path) -> String {
    // Both sides end in a newline so the diff has no "no newline at end of file" noise.
    let line_end = |s: &str| {
        if s.is_empty() || s.ends_with('\n') {
            String::new()
        } else {
            "\n".into()
        }
    };
    let (old, new) = (
        format!("{old}{}", line_end(old)),
        format!("{new}{}", line_end(new)),
    );
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{path} (accepted)"), "this run")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each record written field by field is what serde_json makes of it as a map: pretty in
    /// the body, compact in the matrix's digest and key.
    #[test]
    fn records_render_as_serde_json_prints_them() {
        use serde_json::json;
        let dump = TableDump {
            name: "t".into(),
            columns: ["b", "@version", "a", "created_at", "A", "tags", "b"]
                .map(String::from)
                .to_vec(),
            order_by: vec!["a".into(), "missing".into()],
            rows: vec![
                vec![
                    json!(1),
                    json!("own"),
                    json!("x\ny \"q\" é"),
                    json!("2024-01-01"),
                    json!(null),
                    json!([1, {"k": [2, {}], "j": []}]),
                    json!(2.5),
                ],
                vec![
                    json!(null),
                    json!(null),
                    json!(-3),
                    json!(null),
                    json!({"z": 1, "a": {"n": null}}),
                    json!([]),
                    json!(true),
                ],
            ],
            keyed: Some(true),
        };
        let origins = [Some(Arc::new(Origin::Testdata(
            crate::version::Version::parse("7").unwrap(),
        )))];
        let redactions =
            Redactions::new(&BTreeMap::from([("*.created_*".into(), "[now]".into())])).unwrap();
        for (key, origins) in [(dump.order_by.clone(), &origins[..]), (Vec::new(), &[][..])] {
            let dump = TableDump {
                order_by: key.clone(),
                ..dump.clone()
            };
            // As records used to be rendered: each a map, printed by serde_json.
            let mut expected = Vec::new();
            let mut records = Vec::new();
            for (i, row) in dump.rows.iter().enumerate() {
                let mut record = Map::new();
                if let Some(Some(origin)) = origins.get(i) {
                    record.insert(VERSION_KEY.to_string(), Value::from(origin.label()));
                }
                for (column, value) in dump.columns.iter().zip(row) {
                    let value = match redactions.replacement(&dump.name, column) {
                        Some(r) if !value.is_null() => Value::from(r),
                        _ => value.clone(),
                    };
                    record.insert(column.clone(), value);
                }
                let record = Value::Object(record);
                records.push(crate::matrix::Record::of(&record, &key));
                expected.push(record);
            }
            let (body, small) = render_with_records(&dump, origins, &redactions);
            assert_eq!(body, serde_json::to_string_pretty(&expected).unwrap());
            assert_eq!(small, records);
        }
    }

    /// A label is written once for the records of one origin in a row; each record still
    /// carries its own.
    #[test]
    fn each_record_carries_its_own_origin() {
        let dump = TableDump {
            name: "t".into(),
            columns: vec!["id".into()],
            order_by: vec!["id".into()],
            rows: (1..=6).map(|id| vec![Value::from(id)]).collect(),
            keyed: Some(true),
        };
        let v = |v: &str| Arc::new(Origin::Testdata(crate::Version::parse(v).unwrap()));
        let (one, two) = (v("1"), v("2"));
        let origins = [
            Some(Arc::clone(&one)),
            Some(Arc::clone(&one)),
            Some(two),
            None,
            Some(one),
            Some(Arc::new(Origin::Migration(
                crate::Version::parse("1").unwrap(),
            ))),
        ];
        let (body, small) = render_with_records(&dump, &origins, &Redactions::default());
        let records: Vec<Value> = serde_json::from_str(&body).unwrap();
        let labels: Vec<Option<&str>> = records
            .iter()
            .map(|r| r.get(VERSION_KEY).and_then(Value::as_str))
            .collect();
        assert_eq!(
            labels,
            [
                Some("1"),
                Some("1"),
                Some("2"),
                None,
                Some("1"),
                Some("migration 1")
            ]
        );
        assert_eq!(small.len(), 6);
    }

    /// [`check`] against what is on disk now.
    fn check_on_disk(
        dir: &Utf8Path,
        dialect: Dialect,
        items: &[Item],
        accept: bool,
    ) -> Result<Vec<TableResult>, Error> {
        check(dir, dialect, items, &accepted_bodies(dir, dialect)?, accept)
    }

    #[test]
    fn body_is_what_serde_json_makes_of_the_whole_array() {
        let dump = TableDump {
            name: "t".into(),
            columns: vec!["id".into(), "doc".into(), "s".into()],
            order_by: vec!["id".into()],
            keyed: Some(true),
            rows: vec![
                vec![
                    Value::from(1),
                    serde_json::json!({"a": [1, {"b": null}], "c": {}}),
                    Value::from("two\nlines"),
                ],
                vec![Value::from(2), serde_json::json!([]), Value::Null],
            ],
        };
        let origins = [
            Some(Arc::new(Origin::Testdata(
                crate::Version::parse("7").unwrap(),
            ))),
            None,
        ];
        let (body, small) = render_with_records(&dump, &origins, &Redactions::default());
        let whole: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(body, serde_json::to_string_pretty(&whole).unwrap());
        assert_eq!(small.len(), 2);
        assert_eq!(small[0].version.as_deref(), Some("7"));
        let empty = TableDump {
            rows: Vec::new(),
            ..dump
        };
        assert_eq!(render(&empty, &[], &Redactions::default()), "[]");
    }
    use serde_json::json;

    #[test]
    fn a_snapshot_that_cannot_be_written_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = Utf8Path::from_path(dir.path()).expect("utf-8 temp path");
        // A non-empty folder where the snapshot goes: the rename fails, for root too.
        let path = root.join("users.snap");
        fs_err::create_dir_all(path.join("keep")).expect("mkdir");
        let err = write_snapshot(&path, "users", "[]").expect_err("the rename fails");
        assert!(
            err.to_string()
                .starts_with(&format!("failed to write {path}: ")),
            "{err}"
        );
        assert!(!root.join("users.snap.tmp").exists());
        // A folder where the temporary file goes: the write fails, and the folder stays.
        let path = root.join("posts.snap");
        fs_err::create_dir_all(root.join("posts.snap.tmp")).expect("mkdir");
        let err = write_snapshot(&path, "posts", "[]").expect_err("the write fails");
        assert!(
            err.to_string()
                .starts_with(&format!("failed to write {root}/posts.snap.tmp: ")),
            "{err}"
        );
        assert!(!path.exists());
    }

    fn items(dumps: &[TableDump], redactions: &Redactions) -> Vec<Item> {
        dumps
            .iter()
            .map(|d| Item::table(d, &[], Dialect::Sqlite3, redactions))
            .collect()
    }

    fn dump() -> TableDump {
        TableDump {
            name: "users".into(),
            columns: vec!["id".into(), "email".into(), "created_at".into()],
            order_by: vec!["id".into()],
            keyed: Some(true),
            rows: vec![
                vec![
                    json!(1),
                    json!("a@example.com"),
                    json!("2024-01-01 10:00:00"),
                ],
                vec![json!(2), json!(null), Value::Null],
            ],
        }
    }

    #[test]
    fn records_render_with_sorted_keys_and_redactions() {
        let redactions =
            Redactions::new(&BTreeMap::from([("*.created_*".into(), "[now]".into())])).unwrap();
        insta::assert_snapshot!(render(&dump(), &[], &redactions), @r#"
        [
          {
            "created_at": "[now]",
            "email": "a@example.com",
            "id": 1
          },
          {
            "created_at": null,
            "email": null,
            "id": 2
          }
        ]
        "#);
    }

    #[test]
    fn selectors_need_a_table_and_a_column() {
        let err = Redactions::new(&BTreeMap::from([("updated_at".into(), "x".into())]));
        assert!(err.unwrap_err().contains("\"table.column\""));
    }

    #[test]
    fn globs_match_whole_names() {
        assert!(Glob::new("*_at").matches("created_at"));
        assert!(!Glob::new("*_at").matches("created_at_x"));
        assert!(Glob::new("a.b").matches("a.b"));
        assert!(!Glob::new("a.b").matches("axb"));
    }

    #[test]
    fn accepted_snapshots_round_trip_through_insta() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let tables = [dump()];
        let none = Redactions::default();
        let first = check_on_disk(dir, Dialect::Sqlite3, &items(&tables, &none), false).unwrap();
        assert!(matches!(first[0].status, Status::New { .. }) && first[0].failed());
        assert!(
            !dir.join("sqlite3/users.snap").exists(),
            "wrote without --accept"
        );

        check_on_disk(dir, Dialect::Sqlite3, &items(&tables, &none), true).unwrap();
        let parsed = Snapshot::from_file(dir.join("sqlite3/users.snap").as_std_path()).unwrap();
        assert_eq!(
            parsed.metadata().description(),
            Some("table users on sqlite3: 2 rows, ordered by id")
        );
        let again = check_on_disk(dir, Dialect::Sqlite3, &items(&tables, &none), false).unwrap();
        assert_eq!(again[0].status, Status::Unchanged);

        let mut changed = dump();
        changed.rows[0][1] = json!("b@example.com");
        let result =
            check_on_disk(dir, Dialect::Sqlite3, &items(&[changed], &none), false).unwrap();
        let Status::Changed { diff } = &result[0].status else {
            panic!("expected a change, got {:?}", result[0].status);
        };
        assert!(
            diff.contains("-    \"email\": \"a@example.com\",\n+    \"email\": \"b@example.com\","),
            "{diff}"
        );
    }

    #[test]
    fn snapshots_of_dropped_tables_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        let none = Redactions::default();
        check_on_disk(dir, Dialect::Sqlite3, &items(&[dump()], &none), true).unwrap();
        let result = check_on_disk(dir, Dialect::Sqlite3, &[], false).unwrap();
        assert_eq!(result.len(), 1);
        assert!(matches!(result[0].status, Status::Removed { .. }) && result[0].failed());
        check_on_disk(dir, Dialect::Sqlite3, &[], true).unwrap();
        assert!(!dir.join("sqlite3/users.snap").exists());
    }
}
