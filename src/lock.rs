//! `migrations.lock`: checksums of released migrations, so that edits to shipped history, and
//! branches merged out of order, are caught.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

use crate::plan::Plan;
use crate::problem::{Problem, Problems};
use crate::version::Version;

pub const LOCK_FILE: &str = "migrations.lock";

/// One locked migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub version: Version,
    /// The file, relative to the migrations folder (`/`-separated).
    pub file: String,
    pub checksum: String,
    /// The entry's line in the lock file.
    pub line: usize,
}

/// SHA-256 of the text with a byte-order mark removed and CRLF/CR line endings made LF, so
/// that a checkout on another platform does not look like an edit.
pub fn checksum(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut normalised = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter().peekable();
    while let Some(&b) = iter.next() {
        if b == b'\r' {
            if iter.peek() == Some(&&b'\n') {
                iter.next();
            }
            normalised.push(b'\n');
        } else {
            normalised.push(b);
        }
    }
    let digest = Sha256::digest(&normalised);
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256:");
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Every migration file of the plan (up and down, every dialect), by path relative to
/// `migrations`, with its version.
fn plan_files(plan: &Plan, migrations: &Utf8Path) -> BTreeMap<String, (Version, Utf8PathBuf)> {
    let mut files = BTreeMap::new();
    for step in &plan.steps {
        for script in step.up.values().chain(step.down.values()) {
            let rel = script
                .path
                .strip_prefix(migrations)
                .unwrap_or(&script.path)
                .as_str()
                .replace('\\', "/");
            files.insert(rel, (step.version.clone(), script.path.clone()));
        }
    }
    files
}

/// The text of a lock file for `plan`: one line per migration file.
pub fn render(plan: &Plan, migrations: &Utf8Path) -> Result<String, Problems> {
    let mut out = String::from(
        "# migrations.lock: checksums of released migrations, written by `ladder lock`.\n\
         # `ladder check` and `ladder run` fail when a locked migration is edited or deleted, or\n\
         # when a new migration's version sorts before the newest locked one.\n",
    );
    let mut problems = Vec::new();
    let mut lines: Vec<(Version, String, String)> = Vec::new();
    for (rel, (version, path)) in plan_files(plan, migrations) {
        match std::fs::read(&path) {
            Ok(bytes) => lines.push((version, rel, checksum(&bytes))),
            Err(e) => problems.push(Problem::new(path, format!("cannot be read: {e}"))),
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    lines.sort();
    for (version, rel, sum) in lines {
        let _ = writeln!(out, "{version} {rel} {sum}");
    }
    Ok(out)
}

/// Reads a lock file; malformed lines are problems naming the line.
pub fn parse(path: &Utf8Path, text: &str) -> Result<Vec<Entry>, Problems> {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = trimmed.split_whitespace().collect();
        let parsed = match parts.as_slice() {
            [version, file, sum] if sum.starts_with("sha256:") => {
                Version::parse(version).map(|version| Entry {
                    version,
                    file: file.to_string(),
                    checksum: sum.to_string(),
                    line: line_no,
                })
            }
            _ => None,
        };
        match parsed {
            Some(entry) => entries.push(entry),
            None => problems.push(
                Problem::new(path, "is not a lock line")
                    .at_line(line_no)
                    .hint("expected `<version> <file> sha256:<hex>`; run `ladder lock` to write the file again"),
            ),
        }
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(Problems(problems))
    }
}

/// Compares the plan with the lock: edited or deleted locked files, files added to a locked
/// version, and new versions that sort before the newest locked one.
pub fn check(
    plan: &Plan,
    migrations: &Utf8Path,
    lock_path: &Utf8Path,
    entries: &[Entry],
) -> Vec<Problem> {
    let files = plan_files(plan, migrations);
    let mut problems = Vec::new();
    let locked_files: BTreeSet<&str> = entries.iter().map(|e| e.file.as_str()).collect();
    let locked_versions: BTreeSet<&Version> = entries.iter().map(|e| &e.version).collect();
    let newest = entries.iter().map(|e| &e.version).max();
    for entry in entries {
        match files.get(&entry.file) {
            None => problems.push(
                Problem::new(
                    lock_path,
                    format!("locked migration {} was deleted or renamed", migrations.join(&entry.file)),
                )
                .at_line(entry.line)
                .hint("released migrations must stay as shipped: restore the file; if its release never shipped, run `ladder lock` again"),
            ),
            Some((_, path)) => {
                let now = std::fs::read(path).map(|b| checksum(&b));
                match now {
                    Ok(sum) if sum == entry.checksum => {}
                    Ok(_) => problems.push(
                        Problem::new(path.clone(), "was edited after it was locked (released)")
                            .hint(format!(
                                "revert the edit and put the change in a new migration; if its release never shipped, run `ladder lock` again (locked at {lock_path}:{})",
                                entry.line
                            )),
                    ),
                    Err(e) => problems.push(Problem::new(path.clone(), format!("cannot be read: {e}"))),
                }
            }
        }
    }
    for (rel, (version, path)) in &files {
        if locked_files.contains(rel.as_str()) {
            continue;
        }
        if locked_versions.contains(version) {
            problems.push(
                Problem::new(path.clone(), format!("was added to the released version {version}"))
                    .hint("databases already past that version will never run it: put the change in a new migration"),
            );
        } else if let Some(newest) = newest.filter(|n| version < *n) {
            problems.push(
                Problem::new(
                    path.clone(),
                    format!("version {version} sorts before {newest}, the newest locked migration"),
                )
                .hint(format!(
                    "databases already at {newest} would never run it (a branch merged out of order?): give it a version after {newest}"
                )),
            );
        }
    }
    problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::discover;

    fn write(dir: &Utf8Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn setup() -> (tempfile::TempDir, Utf8PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let migrations = Utf8Path::from_path(tmp.path()).unwrap().join("migrations");
        std::fs::create_dir(&migrations).unwrap();
        write(&migrations, "1_a.up.sql", "CREATE TABLE a (x INT);\n");
        write(&migrations, "1_a.down.sql", "DROP TABLE a;\n");
        write(&migrations, "5_b.up.sql", "CREATE TABLE b (x INT);\n");
        (tmp, migrations)
    }

    fn problems_after(migrations: &Utf8Path, change: impl FnOnce(&Utf8Path)) -> Vec<String> {
        let plan = discover(migrations, None).unwrap();
        let lock = render(&plan, migrations).unwrap();
        let lock_path = Utf8Path::new("migrations.lock");
        let entries = parse(lock_path, &lock).unwrap();
        change(migrations);
        let plan = discover(migrations, None).unwrap();
        check(&plan, migrations, lock_path, &entries)
            .iter()
            .map(|p| p.to_string().replace(migrations.as_str(), "M"))
            .collect()
    }

    #[test]
    fn line_endings_and_bom_do_not_change_the_checksum() {
        let lf = checksum(b"CREATE TABLE a (x INT);\nSELECT 1;\n");
        assert_eq!(lf, checksum(b"CREATE TABLE a (x INT);\r\nSELECT 1;\r\n"));
        assert_eq!(
            lf,
            checksum(b"\xEF\xBB\xBFCREATE TABLE a (x INT);\rSELECT 1;\r")
        );
        assert_ne!(lf, checksum(b"CREATE TABLE a (x INT);\nSELECT 2;\n"));
        assert_eq!(lf.len(), "sha256:".len() + 64);
    }

    #[test]
    fn lock_lists_every_file_by_version() {
        let (_tmp, migrations) = setup();
        let plan = discover(&migrations, None).unwrap();
        let text = render(&plan, &migrations).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("1 1_a.down.sql sha256:"), "{text}");
        assert!(lines[1].starts_with("1 1_a.up.sql sha256:"), "{text}");
        assert!(lines[2].starts_with("5 5_b.up.sql sha256:"), "{text}");
    }

    #[test]
    fn an_unchanged_tree_and_a_later_migration_pass() {
        let (_tmp, migrations) = setup();
        let found = problems_after(&migrations, |m| write(m, "6_c.up.sql", "SELECT 1;\n"));
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn an_edited_locked_migration_is_named() {
        let (_tmp, migrations) = setup();
        let found = problems_after(&migrations, |m| {
            write(m, "1_a.up.sql", "CREATE TABLE a (y INT);\n")
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "M/1_a.up.sql: was edited after it was locked (released)\n  hint: revert the edit"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn a_deleted_locked_migration_is_named() {
        let (_tmp, migrations) = setup();
        let found = problems_after(&migrations, |m| {
            std::fs::remove_file(m.join("5_b.up.sql")).unwrap()
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "migrations.lock:6: locked migration M/5_b.up.sql was deleted or renamed"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn a_version_before_the_newest_locked_is_out_of_order() {
        let (_tmp, migrations) = setup();
        let found = problems_after(&migrations, |m| {
            write(m, "3_late_branch.up.sql", "SELECT 1;\n")
        });
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(
                "M/3_late_branch.up.sql: version 3 sorts before 5, the newest locked migration"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn a_file_added_to_a_released_version_is_named() {
        let (_tmp, migrations) = setup();
        let found = problems_after(&migrations, |m| write(m, "5_b.down.sql", "DROP TABLE b;\n"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("M/5_b.down.sql: was added to the released version 5"),
            "{found:?}"
        );
    }

    #[test]
    fn malformed_lock_lines_are_named() {
        let err = parse(
            Utf8Path::new("migrations.lock"),
            "# c\n1 a.sql sha256:00\nnonsense\n",
        )
        .unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].line, Some(3));
    }
}
