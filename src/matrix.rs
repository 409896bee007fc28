//! The upgrade matrix: for each release, whether the records its users had are still there at
//! head, unchanged, after every later migration.
//!
//! Each record in a table snapshot carries `@version`, the version whose testdata inserted it
//! (see [`crate::origin`]). A release shipped every version up to its last one, so the records of
//! release R are those inserted by versions after the previous release, up to R's last version.
//! They are matched with the accepted snapshot by table, `@version` and key (the primary key,
//! else every column): the same record at head is *alive*, a different one *changed*, none
//! *missing*; a record at head that the accepted snapshot does not have is *added*.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::dialect::Dialect;
use crate::origin::Origin;
use crate::plan::Plan;
use crate::snapshot::VERSION_KEY;
use crate::version::Version;

/// A release and the last migration version it shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    pub name: String,
    pub version: Version,
}

/// The name of the row for records of versions after the newest release.
pub const UNRELEASED: &str = "unreleased";

/// One table's records at head and as accepted.
#[derive(Debug, Clone)]
pub struct TableRecords {
    pub table: String,
    /// This run's records (as the snapshot holds them, redacted).
    pub records: Vec<Record>,
    /// The accepted snapshot's records; `None` when there is nothing to compare with: the
    /// table has no accepted snapshot, or one equal to this run's (every record alive).
    pub accepted: Option<Vec<Record>>,
}

/// A record as the matrix needs it, small: a big table's records are held twice (this run's
/// and the accepted ones), and JSON objects would take several times the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its `@version`.
    pub version: Option<String>,
    /// `@version` and the key columns' values (the whole record when there are no key
    /// columns), as JSON text: the same record in two runs has the same key.
    pub key: String,
    /// A digest of the whole record, to tell a changed record from an equal one.
    pub digest: u64,
}

impl Record {
    /// `key`: the columns that tell records apart (primary key, else every column).
    pub fn of(record: &Value, key: &[String]) -> Record {
        use std::hash::{Hash, Hasher};
        let text = serde_json::to_string(record).unwrap_or_default();
        // SipHash with fixed keys: the same record gives the same digest in every run.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        let version = record.get(VERSION_KEY).and_then(Value::as_str);
        let key = if key.is_empty() {
            text
        } else {
            let mut values = vec![version.map_or(Value::Null, Value::from)];
            values.extend(
                key.iter()
                    .map(|k| record.get(k).cloned().unwrap_or(Value::Null)),
            );
            serde_json::to_string(&values).unwrap_or_default()
        };
        Record {
            version: version.map(String::from),
            key,
            digest: hasher.finish(),
        }
    }

    /// [`Self::of`] from the parts a renderer has at hand: the record's `@version`, its key
    /// (`None` when the table has no key columns: the whole record is), and its compact JSON.
    pub fn of_text(version: Option<String>, key: Option<String>, text: &str) -> Record {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        Record {
            version,
            key: key.unwrap_or_else(|| text.to_string()),
            digest: hasher.finish(),
        }
    }

    /// The records of a snapshot body (a JSON array of objects), read one at a time; `None`
    /// when the body is not such an array.
    pub fn parse_all(body: &str, key: &[String]) -> Option<Vec<Record>> {
        use serde::de::DeserializeSeed;
        let mut deserializer = serde_json::Deserializer::from_str(body);
        let records = Records(key).deserialize(&mut deserializer).ok()?;
        deserializer.end().ok()?;
        Some(records)
    }
}

/// Reads a JSON array into [`Record`]s without holding every object at once.
struct Records<'a>(&'a [String]);

impl<'de> serde::de::DeserializeSeed<'de> for Records<'_> {
    type Value = Vec<Record>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<Record>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Records<'_> {
    type Value = Vec<Record>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of records")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Record>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(value) = seq.next_element::<Value>()? {
            out.push(Record::of(&value, self.0));
        }
        Ok(out)
    }
}

/// One release's row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixRow {
    pub release: String,
    /// The last migration version the release shipped.
    pub version: Version,
    /// Migrations (for this dialect) that an upgrade from this release applies.
    pub migrations_on_top: usize,
    /// Records of this release at head.
    pub records: usize,
    pub alive: usize,
    pub changed: usize,
    pub missing: usize,
    pub added: usize,
    /// Tables where records of this release changed or went missing.
    pub failed_tables: Vec<String>,
}

impl MatrixRow {
    pub fn passed(&self) -> bool {
        self.changed == 0 && self.missing == 0
    }
}

/// The matrix of one engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    pub dialect: Dialect,
    pub rows: Vec<MatrixRow>,
}

impl Matrix {
    pub fn passed(&self) -> bool {
        self.rows.iter().all(MatrixRow::passed)
    }
}

/// The releases to report on: `configured`, sorted by version; with none, every version that
/// has testdata stands for a release of its own.
pub fn releases(configured: &[Release], plan: &Plan, dialect: Dialect) -> Vec<Release> {
    let mut releases = if configured.is_empty() {
        plan.steps
            .iter()
            .filter(|s| s.testdata_for(dialect).is_some())
            .map(|s| Release {
                name: s.version.to_string(),
                version: s.version.clone(),
            })
            .collect()
    } else {
        configured.to_vec()
    };
    releases.sort_by(|a, b| a.version.cmp(&b.version));
    releases
}

/// Works out the matrix of one engine's run.
pub fn matrix(
    releases: &[Release],
    plan: &Plan,
    dialect: Dialect,
    tables: &[TableRecords],
) -> Matrix {
    // The versions with a migration for this dialect, in order.
    let mut ups: Vec<&Version> = plan
        .steps
        .iter()
        .filter(|s| s.up_for(dialect).is_some())
        .map(|s| &s.version)
        .collect();
    ups.sort();
    let mut rows: Vec<MatrixRow> = releases
        .iter()
        .map(|r| MatrixRow {
            release: r.name.clone(),
            version: r.version.clone(),
            migrations_on_top: ups.len() - ups.partition_point(|v| **v <= r.version),
            records: 0,
            alive: 0,
            changed: 0,
            missing: 0,
            added: 0,
            failed_tables: Vec::new(),
        })
        .collect();
    let newest = releases.last().map(|r| r.version.clone());
    let mut unreleased = MatrixRow {
        release: UNRELEASED.to_string(),
        version: plan.steps.last().map_or_else(
            || Version::parse("0").expect("0 is a version"),
            |s| s.version.clone(),
        ),
        migrations_on_top: 0,
        records: 0,
        alive: 0,
        changed: 0,
        missing: 0,
        added: 0,
        failed_tables: Vec::new(),
    };
    let mut failed: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    // Many records share a version: each is looked up once.
    fn row_of<'t>(
        known: &mut HashMap<Option<&'t str>, Option<usize>>,
        releases: &[Release],
        record: &'t Record,
    ) -> Option<usize> {
        *known.entry(record.version.as_deref()).or_insert_with(|| {
            let origin = record.version.as_deref().and_then(Origin::parse)?;
            let version = origin.users_version()?;
            // Releases are sorted: the first whose last version is at or after the record's.
            Some(releases.partition_point(|r| r.version < *version))
        })
    }
    let mut known = HashMap::new();
    let mut row_of = |record| row_of(&mut known, releases, record);
    for table in tables {
        let accepted: Option<BTreeMap<&str, &Record>> = table
            .accepted
            .as_ref()
            .map(|records| records.iter().map(|r| (r.key.as_str(), r)).collect());
        let mut seen = BTreeSet::new();
        for record in &table.records {
            let Some(i) = row_of(record) else { continue };
            let row = rows.get_mut(i).unwrap_or(&mut unreleased);
            row.records += 1;
            match accepted.as_ref().map(|a| a.get(record.key.as_str())) {
                // No accepted snapshot for the table: nothing to compare with yet.
                None => row.alive += 1,
                Some(None) => row.added += 1,
                Some(Some(old)) if old.digest == record.digest => row.alive += 1,
                Some(Some(_)) => {
                    row.changed += 1;
                    failed.entry(i).or_default().insert(table.table.clone());
                }
            }
            if accepted.is_some() {
                seen.insert(record.key.as_str());
            }
        }
        for (key, old) in accepted.iter().flatten() {
            if seen.contains(key) {
                continue;
            }
            let Some(i) = row_of(old) else { continue };
            let row = rows.get_mut(i).unwrap_or(&mut unreleased);
            row.missing += 1;
            failed.entry(i).or_default().insert(table.table.clone());
        }
    }
    for (i, tables) in failed {
        let row = rows.get_mut(i).unwrap_or(&mut unreleased);
        row.failed_tables = tables.into_iter().collect();
    }
    if unreleased.records + unreleased.missing > 0 && newest.is_some() {
        rows.push(unreleased);
    }
    Matrix { dialect, rows }
}

impl fmt::Display for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = [
            "release",
            "shipped up to",
            "migrations on top",
            "records",
            "alive",
            "changed",
            "missing",
            "result",
        ];
        let lines: Vec<[String; 8]> = self
            .rows
            .iter()
            .map(|r| {
                let result = if r.passed() {
                    "ok".to_string()
                } else {
                    format!("FAILED ({})", r.failed_tables.join(", "))
                };
                let shipped = if r.release == UNRELEASED {
                    "(not shipped)".to_string()
                } else {
                    r.version.to_string()
                };
                [
                    r.release.clone(),
                    shipped,
                    r.migrations_on_top.to_string(),
                    r.records.to_string(),
                    r.alive.to_string(),
                    r.changed.to_string(),
                    r.missing.to_string(),
                    result,
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let write_line = |f: &mut fmt::Formatter<'_>, cells: &[&str]| -> fmt::Result {
            let mut text = String::new();
            for (cell, w) in cells.iter().zip(widths) {
                text.push_str(&format!("  {cell:<w$}"));
            }
            writeln!(f, "{}", text.trim_end())
        };
        writeln!(
            f,
            "{}: upgrade matrix (each release's records at head, against the accepted snapshots):",
            self.dialect
        )?;
        write_line(f, &header)?;
        for line in &lines {
            let cells: Vec<&str> = line.iter().map(String::as_str).collect();
            write_line(f, &cells)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Script, Step};
    use serde_json::json;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn plan(versions: &[&str]) -> Plan {
        let script = |path: &str| Script {
            path: path.into(),
            sql: "SELECT 1".into(),
            no_transaction: false,
            first_line: 1,
        };
        Plan {
            steps: versions
                .iter()
                .map(|ver| {
                    let mut step = Step::new(v(ver), "m");
                    step.up.insert(None, script("m.sql"));
                    step.testdata.insert(None, script("t.sql"));
                    step
                })
                .collect(),
        }
    }

    fn release(name: &str, version: &str) -> Release {
        Release {
            name: name.into(),
            version: v(version),
        }
    }

    #[test]
    fn a_change_to_old_records_fails_only_their_release() {
        let plan = plan(&["1", "2", "3", "4"]);
        let releases = [release("v1", "1"), release("v2", "3")];
        let accepted = [
            json!({"@version": "1", "id": 1, "name": "a"}),
            json!({"@version": "1", "id": 2, "name": "b"}),
            json!({"@version": "2", "id": 3, "name": "c"}),
            json!({"@version": "4", "id": 4, "name": "d"}),
        ];
        let records = [
            json!({"@version": "1", "id": 1, "name": "A"}),
            json!({"@version": "2", "id": 3, "name": "c"}),
            json!({"@version": "4", "id": 4, "name": "d"}),
            json!({"@version": "migration 3", "id": 9, "name": "made"}),
        ];
        let key = ["id".to_string()];
        let tables = [TableRecords {
            table: "users".into(),
            records: records.iter().map(|r| Record::of(r, &key)).collect(),
            accepted: Some(accepted.iter().map(|r| Record::of(r, &key)).collect()),
        }];
        let m = matrix(&releases, &plan, Dialect::Sqlite3, &tables);
        let summary: Vec<_> = m
            .rows
            .iter()
            .map(|r| {
                (
                    r.release.as_str(),
                    r.migrations_on_top,
                    r.records,
                    r.alive,
                    r.changed,
                    r.missing,
                    r.passed(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("v1", 3, 1, 0, 1, 1, false),
                ("v2", 1, 1, 1, 0, 0, true),
                (UNRELEASED, 0, 1, 1, 0, 0, true),
            ]
        );
        assert_eq!(m.rows[0].failed_tables, ["users"]);
        assert!(!m.passed());
    }

    #[test]
    fn records_parse_one_at_a_time_as_they_were_made() {
        let key = ["id".to_string()];
        let values = vec![
            json!({"@version": "1", "id": 1, "x": 1.5}),
            json!({"@version": "2", "id": 2, "x": null}),
        ];
        let body = serde_json::to_string_pretty(&values).unwrap();
        let parsed = Record::parse_all(&body, &key).unwrap();
        let made: Vec<Record> = values.iter().map(|v| Record::of(v, &key)).collect();
        assert_eq!(parsed, made);
        assert_eq!(made[0].key, r#"["1",1]"#);
        assert_ne!(made[0].digest, made[1].digest);
        assert_eq!(Record::parse_all("not json", &key), None);
    }

    #[test]
    fn without_configured_releases_each_seeded_version_is_one() {
        let plan = plan(&["1", "2"]);
        let names: Vec<String> = releases(&[], &plan, Dialect::Sqlite3)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["1", "2"]);
    }

    #[test]
    fn a_table_without_accepted_snapshot_counts_its_records_alive() {
        let plan = plan(&["1"]);
        let tables = [TableRecords {
            table: "t".into(),
            records: vec![Record::of(
                &json!({"@version": "1", "id": 1}),
                &["id".into()],
            )],
            accepted: None,
        }];
        let m = matrix(&[release("v1", "1")], &plan, Dialect::Sqlite3, &tables);
        assert_eq!((m.rows[0].records, m.rows[0].alive), (1, 1));
        assert!(m.passed());
    }
}
