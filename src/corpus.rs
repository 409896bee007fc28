//! A synthetic product for benchmarks: N migrations that really change the shape of data, and
//! testdata inserting R rows per step, in the sqlite3, postgres and mysql dialects.
//!
//! Every tenth migration creates a table; the nine after it work on that table in a fixed
//! cycle: add a NOT NULL column with a default, backfill it, index it, add a nullable column,
//! backfill that from another column, drop the index, rename a column, copy rows into a child
//! table, and (last) drop the copied column. Each step's testdata inserts `rows` rows into the
//! table the step works on, in one multi-row INSERT.

use std::fmt::Write as _;

use camino::Utf8Path;

use crate::error::Error;

/// What [`generate`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corpus {
    pub migrations: usize,
    pub rows_per_step: usize,
    /// Files written (migrations, dialect variants and testdata).
    pub files: usize,
}

/// Writes `dir/migrations/` and `dir/testdata/` (creating them; existing files of the same
/// names are replaced).
pub fn generate(dir: &Utf8Path, migrations: usize, rows: usize) -> Result<Corpus, Error> {
    let mdir = dir.join("migrations");
    let tdir = dir.join("testdata");
    for d in [&mdir, &tdir] {
        fs_err::create_dir_all(d).map_err(Error::io("create", d))?;
    }
    let mut files = 0;
    let mut write = |path: camino::Utf8PathBuf, text: String| -> Result<(), Error> {
        fs_err::write(&path, text).map_err(Error::io("write", &path))?;
        files += 1;
        Ok(())
    };
    for i in 0..migrations {
        let version = i + 1;
        let table = format!("t{}", i / 10);
        let child = format!("{table}_child");
        let (name, up, mysql_up) = match i % 10 {
            0 => (
                format!("create_{table}"),
                format!(
                    "CREATE TABLE {table} (\n    id INTEGER PRIMARY KEY,\n    name VARCHAR(64) NOT NULL,\n    \
                     created_at VARCHAR(32)\n);\n"
                ),
                None,
            ),
            1 => (
                format!("{table}_add_score"),
                format!("ALTER TABLE {table} ADD COLUMN score INTEGER NOT NULL DEFAULT 0;\n"),
                None,
            ),
            2 => (
                format!("{table}_backfill_score"),
                format!("UPDATE {table} SET score = id % 7 WHERE score = 0;\n"),
                None,
            ),
            3 => (
                format!("{table}_index_score"),
                format!("CREATE INDEX {table}_score_idx ON {table} (score);\n"),
                None,
            ),
            4 => (
                format!("{table}_add_note"),
                format!("ALTER TABLE {table} ADD COLUMN note VARCHAR(255);\n"),
                None,
            ),
            5 => (
                format!("{table}_backfill_note"),
                format!("UPDATE {table} SET note = name WHERE note IS NULL;\n"),
                None,
            ),
            6 => (
                format!("{table}_drop_score_index"),
                format!("DROP INDEX {table}_score_idx;\n"),
                Some(format!("DROP INDEX {table}_score_idx ON {table};\n")),
            ),
            7 => (
                format!("{table}_rename_note"),
                format!("ALTER TABLE {table} RENAME COLUMN note TO remark;\n"),
                None,
            ),
            8 => (
                format!("{table}_child_copy"),
                format!(
                    "CREATE TABLE {child} (\n    id INTEGER PRIMARY KEY,\n    parent_id INTEGER NOT NULL,\n    \
                     remark VARCHAR(255)\n);\n\
                     INSERT INTO {child} (id, parent_id, remark)\nSELECT id, id, remark FROM {table};\n"
                ),
                None,
            ),
            _ => (
                format!("{table}_drop_remark"),
                format!("ALTER TABLE {table} DROP COLUMN remark;\n"),
                None,
            ),
        };
        let stem = format!("{version:06}_{name}");
        write(mdir.join(format!("{stem}.up.sql")), up)?;
        if let Some(mysql) = mysql_up {
            write(mdir.join(format!("{stem}.mysql.up.sql")), mysql)?;
        }
        if rows > 0 {
            write(
                tdir.join(format!("{version:06}.sql")),
                testdata(i, &table, &child, rows),
            )?;
        }
    }
    Ok(Corpus {
        migrations,
        rows_per_step: rows,
        files,
    })
}

/// One multi-row INSERT into the table step `i` works on (its child table after it exists),
/// with ids unique across the whole corpus.
fn testdata(i: usize, table: &str, child: &str, rows: usize) -> String {
    let first = i * rows;
    let mut sql = String::new();
    match i % 10 {
        // The child table exists from step 8 on; step 9 seeds it.
        9 => {
            sql.push_str(&format!(
                "INSERT INTO {child} (id, parent_id, remark) VALUES\n"
            ));
            for j in 0..rows {
                let id = first + j;
                let sep = if j + 1 == rows { ";" } else { "," };
                let _ = writeln!(sql, "({id}, {id}, 'child {id}'){sep}");
            }
        }
        _ => {
            let columns = match i % 10 {
                0 => "id, name, created_at",
                1..=3 => "id, name, created_at, score",
                4..=6 => "id, name, created_at, score, note",
                _ => "id, name, created_at, score, remark",
            };
            let _ = writeln!(sql, "INSERT INTO {table} ({columns}) VALUES");
            for j in 0..rows {
                let id = first + j;
                let day = 1 + id % 28;
                let mut values = format!("({id}, 'name {id}', '2024-01-{day:02}T00:00:00Z'");
                if i % 10 >= 1 {
                    let _ = write!(values, ", {}", id % 5);
                }
                if i % 10 >= 4 {
                    let _ = write!(values, ", 'note {id}'");
                }
                let sep = if j + 1 == rows { ";" } else { "," };
                let _ = writeln!(sql, "{values}){sep}");
            }
        }
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_plan_discovery_accepts() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let corpus = generate(root, 25, 3).unwrap();
        // 25 migrations, 2 MySQL variants (steps 7 and 17), 25 testdata files.
        assert_eq!(corpus.files, 52);
        let plan =
            crate::discover::discover(&root.join("migrations"), Some(&root.join("testdata")))
                .unwrap();
        assert_eq!(plan.steps.len(), 25);
        assert_eq!(plan.steps[9].name, "t0_drop_remark");
    }
}
