//! Faults and hostile input on embedded SQLite, through the real binary: a statement that never
//! ends, a snapshot folder that cannot be written, and files that are odd, huge or not files at
//! all. Each is handled, or refused with a message naming the file.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::{copy_dir, ladder, render};

fn fixture(name: &str) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        work.path(),
    );
    work
}

fn write(root: &Path, path: &str, text: impl AsRef<[u8]>) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    found.sort();
    found
}

/// A recursive CTE that never ends is interrupted at `--statement-timeout`, named by file,
/// line and statement.
#[test]
fn statement_timeout_on_sqlite() {
    let work = fixture("servers/slow");
    let started = Instant::now();
    let output = ladder(work.path(), ["run", "--statement-timeout", "1s"]);
    let text = render(&output);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "error: migrations/2_slow.sqlite3.up.sql:1: statement 1 of 1 failed on sqlite3: \
             timed out after 1s (interrupted)\n  hint: a statement may run for \
             --statement-timeout (now 1s); raise it, or pass 0 for no limit\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("reached 1; failed applying 2 (slow); the file was rolled back"),
        "{text}"
    );
}

#[test]
fn statement_timeout_values() {
    let work = fixture("ok_sqlx");
    for ok in ["0", "500ms", "2m", "1m30s"] {
        let output = ladder(work.path(), ["run", "--statement-timeout", ok]);
        assert_eq!(output.status.code(), Some(0), "{ok}: {}", render(&output));
    }
    let output = ladder(work.path(), ["run", "--statement-timeout", "30"]);
    assert_eq!(output.status.code(), Some(2), "{}", render(&output));
    assert!(
        render(&output).contains(
            "invalid value '30' for '--statement-timeout <DURATION>': invalid duration \"30\": \
             expected a number with a unit"
        ),
        "{}",
        render(&output)
    );
}

/// `--accept` into a snapshot folder that cannot exist (its parent is a regular file, which
/// stops root too): exit 2, naming the folder; nothing written.
#[test]
fn snapshot_folder_that_cannot_be_created() {
    let work = fixture("new_snapshot");
    write(work.path(), "blocker", "a file where a folder should be\n");
    let output = ladder(
        work.path(),
        ["run", "--accept", "--snapshots", "blocker/snapshots"],
    );
    let text = render(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("error: failed to create blocker/snapshots/sqlite3: "),
        "{text}"
    );
    assert!(text.contains("Not a directory"), "{text}");
}

/// A folder sits where a `.snap` goes: exit 2, naming it, and nothing written or left behind
/// (that a temporary file that cannot take the snapshot's place is removed is tested beside
/// `write_snapshot`).
#[test]
fn snapshot_that_cannot_be_replaced_leaves_no_temporary_file() {
    let work = fixture("ok_sqlx");
    let snapshots = work.path().join("snapshots");
    std::fs::remove_file(snapshots.join("sqlite3/users.snap")).unwrap();
    std::fs::create_dir(snapshots.join("sqlite3/users.snap")).unwrap();
    write(&snapshots, "sqlite3/users.snap/keep", "");
    let before = files(&snapshots);
    let output = ladder(work.path(), ["run", "--accept"]);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "error: failed to read snapshot snapshots/sqlite3/users.snap: Is a directory"
        ),
        "{text}"
    );
    assert_eq!(files(&snapshots), before, "{text}");
}

/// In CI (`CI` set) `--accept` is refused before anything runs, and nothing is written.
#[test]
fn ci_never_accepts_snapshots() {
    let work = fixture("new_snapshot");
    let output = Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(["run", "--accept"])
        .current_dir(work.path())
        .env("CI", "true")
        .output()
        .unwrap();
    let text = render(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("error: refusing to --accept snapshots in CI (CI is set)"),
        "{text}"
    );
    assert!(!work.path().join("snapshots").exists(), "{text}");
}

/// A BOM, CRLF line endings and no final newline, in migrations and testdata: read as usual.
#[test]
fn bom_crlf_and_no_final_newline() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    write(
        root,
        "migrations/1_users.sql",
        "\u{feff}CREATE TABLE users (\r\n  id INTEGER PRIMARY KEY,\r\n  name TEXT\r\n);\r\n",
    );
    write(
        root,
        "migrations/2_email.sql",
        "ALTER TABLE users ADD COLUMN email TEXT",
    );
    write(
        root,
        "testdata/1.sql",
        "\u{feff}INSERT INTO users (id, name) VALUES (1, 'a;b');\r\nINSERT INTO users (id, name) VALUES (2, 'c')",
    );
    write(
        root,
        "testdata/2.sql",
        "UPDATE users SET email = 'x@y' WHERE id = 2;\r\n",
    );
    let output = ladder(root, ["run", "--accept"]);
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    let users = std::fs::read_to_string(root.join("snapshots/sqlite3/users.snap")).unwrap();
    assert!(users.contains("\"a;b\""), "{users}");
    assert!(users.contains("\"x@y\""), "{users}");
    let output = ladder(root, ["run"]);
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
}

/// 10 MB of INSERTs in one testdata file, and one statement with a 1 MB string literal.
#[test]
fn ten_megabytes_of_inserts_and_a_megabyte_literal() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    write(
        root,
        "migrations/1_items.sql",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n",
    );
    write(
        root,
        "migrations/2_blob.sql",
        "CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n",
    );
    let filler = "x".repeat(460);
    let mut inserts = String::with_capacity(10_500_000);
    let mut id = 0;
    while inserts.len() < 10_000_000 {
        id += 1;
        inserts.push_str(&format!(
            "INSERT INTO items (id, body) VALUES ({id}, '{id}; it''s {filler}');\n"
        ));
    }
    write(root, "testdata/1.sql", &inserts);
    let literal = "ab''c;-- /* ".repeat(100_000);
    write(
        root,
        "testdata/2.sql",
        format!("INSERT INTO blobs (id, body) VALUES (1, '{literal}');\nSELECT 1;\n"),
    );
    let started = Instant::now();
    let output = ladder(root, ["run", "--accept"]);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    eprintln!("10 MB of testdata ({id} rows) took {:?}", started.elapsed());
    let blobs = std::fs::read_to_string(root.join("snapshots/sqlite3/blobs.snap")).unwrap();
    assert!(
        blobs.contains(&"ab'c;-- /* ".repeat(100_000)),
        "the literal did not survive"
    );
    let items = std::fs::read_to_string(root.join("snapshots/sqlite3/items.snap")).unwrap();
    assert!(
        items.contains(&format!("\"{id}; it's {filler}\"")),
        "the last row is missing"
    );
}

/// Things in the migrations and testdata folders that are not readable files: each refused
/// (exit 2) with a message naming it, all in one run, never a hang (a FIFO would block a
/// reader forever).
#[test]
fn links_loops_and_things_that_are_not_files() {
    use std::os::unix::fs::symlink;
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    write(root, "migrations/1_a.sql", "CREATE TABLE a (x INT);\n");
    write(root, "testdata/1.sql", "INSERT INTO a VALUES (1);\n");
    // A link to a real file outside the folder is followed.
    write(root, "shared/b.sql", "CREATE TABLE b (x INT);\n");
    symlink(root.join("shared/b.sql"), root.join("migrations/2_b.sql")).unwrap();
    symlink(root.join("nowhere.sql"), root.join("migrations/3_gone.sql")).unwrap();
    symlink(root.join("migrations"), root.join("migrations/4_loop")).unwrap();
    std::fs::create_dir(root.join("migrations/5_folder.sql")).unwrap();
    for fifo in ["migrations/6_fifo.sql", "testdata/2.sql"] {
        let made = Command::new("mkfifo")
            .arg(root.join(fifo))
            .status()
            .unwrap();
        assert!(made.success());
    }
    let started = Instant::now();
    let output = ladder(root, ["plan"]);
    assert!(started.elapsed() < Duration::from_secs(30));
    let text = render(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    for expected in [
        "migrations/3_gone.sql: cannot be read: No such file or directory",
        "migrations/4_loop: symlink loop: points back to migrations",
        "migrations/5_folder.sql: folder name not recognised as a migration folder",
        "migrations/6_fifo.sql: is neither a file nor a folder",
        "testdata/2.sql: is neither a file nor a folder",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("2_b.sql"), "{text}");
}

/// A tmpfs of a few kilobytes, unmounted when dropped; `None` (after saying why) where this
/// user may not mount (a laptop without root): LADDER_REQUIRE_TOOLS=1, as in CI, makes that a
/// failure.
struct TinyDisk(tempfile::TempDir);

impl TinyDisk {
    fn mount(size: &str) -> Option<TinyDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(TinyDisk(dir)),
            other => {
                let why = format!("cannot mount a tmpfs to fill ({other:?})");
                if std::env::var("LADDER_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
                    panic!("{why}, and LADDER_REQUIRE_TOOLS=1 requires it");
                }
                println!("skipped: {why}");
                None
            }
        }
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

/// A full disk while `--accept` writes snapshots: a clear error naming the snapshot, and no
/// truncated `.snap` and no temporary file left behind.
#[test]
fn full_disk_leaves_no_truncated_snapshot() {
    let Some(disk) = TinyDisk::mount("16k") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    write(
        work.path(),
        "migrations/1_notes.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n",
    );
    // About 100 kB of records: far more than the disk holds.
    let rows: Vec<String> = (1..=1000)
        .map(|i| format!("({i}, '{}')", "x".repeat(80)))
        .collect();
    write(
        work.path(),
        "testdata/1.sql",
        format!("INSERT INTO notes VALUES {};\n", rows.join(",\n")),
    );
    let snapshots = disk.0.path().join("snapshots");
    let output = ladder(
        work.path(),
        [
            "run",
            "--accept",
            "--snapshots",
            snapshots.to_str().unwrap(),
        ],
    );
    let text = render(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("No space left on device"), "{text}");
    assert!(text.contains("notes.snap"), "{text}");
    let left = files(&snapshots);
    assert!(
        !left
            .iter()
            .any(|f| f.contains("notes") || f.ends_with(".tmp")),
        "left on the full disk: {left:?}"
    );
}
