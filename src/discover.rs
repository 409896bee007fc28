//! Discovery: reads the migrations folder (and the testdata folder) and builds the ordered plan.
//!
//! Every file in the migrations folder is either recognised as a migration or reported as a
//! problem; only hidden files and folders (names starting with `.`) are skipped. All problems are
//! collected and returned together, sorted by path and line.
//!
//! Recognised migration layouts:
//!
//! - ORY/pop and golang-migrate: `<ver>_<name>[.<dialect>].up.sql` and `.down.sql`;
//! - sqlx: `<ver>_<name>.sql` (up only), first line `-- no-transaction` to run outside a
//!   transaction;
//! - dbmate: `<ver>_<name>.sql` with `-- migrate:up` (and optionally `-- migrate:down`) sections;
//! - Flyway: `V<ver>__<desc>.sql` (up) and `U<ver>__<desc>.sql` (undo);
//! - diesel: `<ver>_<name>/up.sql` and `down.sql` (diesel's `YYYY-MM-DD-HHMMSS` versions lose
//!   their dashes, as diesel does).
//!
//! Testdata files: `<ver>.sql`, `<ver>.<dialect>.sql`, `<ver>_testdata.sql` and
//! `<ver>_testdata.<dialect>.sql`, in a flat folder; beside them step checks
//! `<ver>.check[.<dialect>].sql` and step queries `<ver>.query[.<dialect>].sql`.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::LazyLock;

use camino::{Utf8Path, Utf8PathBuf};
use regex::Regex;
use walkdir::WalkDir;

use crate::dialect::Dialect;
use crate::plan::{Plan, Script, Step, Variants};
use crate::problem::{Problem, Problems};
use crate::version::Version;

const MIGRATION_PATTERNS: &str = "expected one of <ver>_<name>.sql, \
     <ver>_<name>[.<dialect>].up.sql / .down.sql, V<ver>__<desc>.sql / U<ver>__<desc>.sql, \
     <ver>_<name>/up.sql (+ down.sql)";
const TESTDATA_PATTERNS: &str = "expected one of <ver>.sql, <ver>.<dialect>.sql, \
     <ver>_testdata.sql, <ver>_testdata.<dialect>.sql, <ver>.check[.<dialect>].sql, \
     <ver>.query[.<dialect>].sql";
const KNOWN_DIALECTS: &str = "known dialects: sqlite3 (or sqlite), postgres (or postgresql), \
     mysql (or mariadb), cockroach (or cockroachdb)";
const EMPTY_MIGRATION_HINT: &str = "if this migration is meant to do nothing, say so in a comment \
     such as `-- nothing to do on sqlite3`";
const EMPTY_TESTDATA_HINT: &str =
    "add the rows this version should be tested with, or remove the file";
const FOLDER_HINT: &str = "a migration folder holds only up.sql and, optionally, down.sql";

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("literal regex is valid")
}

/// `<ver>_<name>[.<dialect>].up.sql` / `.down.sql` (ORY/pop, golang-migrate, sqlx pairs).
static UP_DOWN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^([0-9]+)_([^.]+?)(?:\.([^.]+))?\.(up|down)\.sql$"));
/// `<ver>_<name>.sql` (sqlx up-only, or dbmate).
static PLAIN: LazyLock<Regex> = LazyLock::new(|| regex(r"^([0-9]+)_([^.]+)\.sql$"));
/// Flyway's `V<ver>__<desc>.sql` and `U<ver>__<desc>.sql`.
static FLYWAY: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^([VU])([0-9]+(?:[._][0-9]+)*)__([^.]+)\.sql$"));
/// Flyway's repeatable `R__<desc>.sql`.
static FLYWAY_REPEATABLE: LazyLock<Regex> = LazyLock::new(|| regex(r"^R__.*\.sql$"));
/// diesel's `<ver>_<name>` folder; the version may be `2017-11-23-064151`.
static FOLDER: LazyLock<Regex> = LazyLock::new(|| regex(r"^([0-9]+(?:-[0-9]+)*)_([^.]+)$"));
/// Testdata: `<ver>[_testdata][.check|.query][.<dialect>].sql`.
static TESTDATA: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^([0-9]+)(?:_testdata)?(?:\.(check|query))?(?:\.([^.]+))?\.sql$"));
/// dbmate's section markers, as dbmate matches them: at the start of a line.
static DBMATE_MARKER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^--\s*migrate:(up|down)(?:\s+(.*))?$"));

/// The version of a migration, from its path relative to the migrations folder (a file, or a
/// diesel folder and a file in it); `None` when the name follows no known layout. Used to read
/// old trees (git tags) without reading their files.
pub fn version_of(relative: &str) -> Option<Version> {
    let first = relative.split('/').next()?;
    if relative.contains('/') {
        let caps = FOLDER.captures(first)?;
        return Version::parse(&caps[1].replace('-', ""));
    }
    if let Some(caps) = FLYWAY.captures(first) {
        return (&caps[1] == "V")
            .then(|| Version::parse(&caps[2]))
            .flatten();
    }
    let caps = UP_DOWN.captures(first).or_else(|| PLAIN.captures(first))?;
    Version::parse(&caps[1])
}

/// Reads the migrations folder and (when given) the testdata folder and builds the ordered plan,
/// or reports every problem found (not only the first).
pub fn discover(migrations: &Utf8Path, testdata: Option<&Utf8Path>) -> Result<Plan, Problems> {
    let mut problems = Vec::new();
    let migrations_ok = check_folder(
        migrations,
        "migrations",
        "pass the folder that holds the migrations with `--migrations DIR`",
        &mut problems,
    );
    let testdata = testdata.filter(|testdata| {
        check_folder(
            testdata,
            "testdata",
            "pass the testdata folder with `--testdata DIR`, or leave it out if there is none",
            &mut problems,
        )
    });
    let mut steps = BTreeMap::new();
    std::thread::scope(|scope| {
        // The testdata files are read on another thread while the migrations are read here.
        let reading = testdata.filter(|_| migrations_ok).map(|testdata| {
            scope.spawn(move || {
                let mut problems = Vec::new();
                let files = read_testdata(testdata, &mut problems);
                (files, problems)
            })
        });
        if migrations_ok {
            let found = read_migrations(migrations, &mut problems);
            if found.is_empty() {
                problems.push(
                    Problem::new(migrations, "no migrations found in this folder").hint(
                        "pass the folder that holds the migration files with `--migrations DIR`",
                    ),
                );
            }
            steps = build_steps(found, &mut problems);
        }
        if let Some(reading) = reading {
            let (files, found) = match reading.join() {
                Ok(read) => read,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            problems.extend(found);
            attach_testdata(files, &mut steps, &mut problems);
        }
    });

    if problems.is_empty() {
        Ok(Plan {
            steps: steps.into_values().collect(),
        })
    } else {
        problems.sort_by(|a, b| {
            a.path
                .cmp(&b.path)
                .then(a.line.cmp(&b.line))
                .then_with(|| a.message.cmp(&b.message))
        });
        Err(Problems(problems))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Direction {
    Up,
    Down,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// One script of a migration, before the scripts are grouped into steps.
#[derive(Debug)]
struct Found {
    version: Version,
    name: String,
    direction: Direction,
    dialect: Option<Dialect>,
    script: Script,
}

/// A diesel-style `<ver>_<name>/` folder while its files are read.
struct Folder {
    version: Version,
    name: String,
    up: Option<Script>,
    down: Option<Script>,
}

/// Reports a missing or unusable folder; true when it can be walked.
fn check_folder(path: &Utf8Path, what: &str, hint: &str, problems: &mut Vec<Problem>) -> bool {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => true,
        Ok(_) => {
            problems.push(Problem::new(path, format!("{what} path is not a folder")).hint(hint));
            false
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            problems.push(Problem::new(path, format!("{what} folder does not exist")).hint(hint));
            false
        }
        Err(err) => {
            problems.push(Problem::new(path, format!("cannot be read: {err}")));
            false
        }
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

/// Turns a walkdir error (a symlink loop, an unreadable folder, a broken link) into a problem;
/// `None` for errors about hidden entries, which are skipped like the entries themselves.
fn walk_problem(root: &Utf8Path, err: &walkdir::Error) -> Option<Problem> {
    let path = err.path().map_or_else(
        || root.to_owned(),
        |p| Utf8PathBuf::from(p.to_string_lossy().into_owned()),
    );
    if err.depth() > 0 && path.file_name().is_some_and(|n| n.starts_with('.')) {
        return None;
    }
    if let Some(ancestor) = err.loop_ancestor() {
        return Some(
            Problem::new(
                path,
                format!(
                    "symlink loop: points back to {}",
                    ancestor.to_string_lossy()
                ),
            )
            .hint("remove the link, or make it point outside the folder"),
        );
    }
    let text = match err.io_error() {
        Some(io) => io.to_string(),
        None => err.to_string(),
    };
    Some(Problem::new(path, format!("cannot be read: {text}")))
}

/// The path of a walked entry, or a problem when its name is not UTF-8.
fn entry_path(entry: &walkdir::DirEntry) -> Result<Utf8PathBuf, Problem> {
    Utf8PathBuf::from_path_buf(entry.path().to_path_buf()).map_err(|path| {
        Problem::new(
            path.to_string_lossy().into_owned(),
            "file name is not valid UTF-8",
        )
        .hint("rename it using only UTF-8 characters")
    })
}

/// Two entries of one folder in file-name order: their paths' bytes, which differ only in
/// their names (`sort_by_file_name` works each name out of its path again on every comparison,
/// half of reading a big folder).
fn by_name(a: &walkdir::DirEntry, b: &walkdir::DirEntry) -> std::cmp::Ordering {
    a.path().as_os_str().cmp(b.path().as_os_str())
}

/// Walks the migrations folder and reads every migration script in it.
fn read_migrations(root: &Utf8Path, problems: &mut Vec<Problem>) -> Vec<Found> {
    let mut found = Vec::new();
    let mut folders: BTreeMap<Utf8PathBuf, Folder> = BTreeMap::new();
    let mut walker = WalkDir::new(root.as_std_path())
        .min_depth(1)
        .follow_links(true)
        .sort_by(by_name)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                problems.extend(walk_problem(root, &err));
                continue;
            }
        };
        let is_dir = entry.file_type().is_dir();
        let path = match entry_path(&entry) {
            Ok(path) => path,
            Err(problem) => {
                problems.push(problem);
                if is_dir {
                    walker.skip_current_dir();
                }
                continue;
            }
        };
        let Some(file_name) = path.file_name().map(str::to_owned) else {
            continue;
        };
        if !is_dir && !entry.file_type().is_file() {
            problems.push(Problem::new(path, "is neither a file nor a folder"));
            continue;
        }
        match (entry.depth(), is_dir) {
            (1, true) => match parse_folder_name(&file_name) {
                Some((version, name)) => {
                    let folder = Folder {
                        version,
                        name,
                        up: None,
                        down: None,
                    };
                    folders.insert(path, folder);
                }
                None => {
                    problems.push(
                        Problem::new(path, "folder name not recognised as a migration folder")
                            .hint(format!(
                                "{MIGRATION_PATTERNS}; move other folders out of the migrations \
                                 folder"
                            )),
                    );
                    walker.skip_current_dir();
                }
            },
            (1, false) => read_migration_file(&path, &file_name, &mut found, problems),
            (2, false) => {
                let folder = path.parent().and_then(|parent| folders.get_mut(parent));
                let Some(folder) = folder else {
                    continue;
                };
                read_folder_file(&path, &file_name, folder, problems);
            }
            (_, true) => {
                problems.push(
                    Problem::new(path, "nested folder inside a migration folder").hint(FOLDER_HINT),
                );
                walker.skip_current_dir();
            }
            (_, false) => {
                // Deeper files are never reached: deeper folders are skipped above.
            }
        }
    }
    for (path, folder) in folders {
        let Some(up) = folder.up else {
            problems.push(Problem::new(path, "migration folder has no up.sql").hint(FOLDER_HINT));
            continue;
        };
        found.push(Found {
            version: folder.version.clone(),
            name: folder.name.clone(),
            direction: Direction::Up,
            dialect: None,
            script: up,
        });
        if let Some(down) = folder.down {
            found.push(Found {
                version: folder.version,
                name: folder.name,
                direction: Direction::Down,
                dialect: None,
                script: down,
            });
        }
    }
    found
}

/// `<ver>_<name>` folder names; diesel's dashes in the version are dropped, as diesel does.
fn parse_folder_name(name: &str) -> Option<(Version, String)> {
    let caps = FOLDER.captures(name)?;
    let version = Version::parse(&caps[1].replace('-', ""))?;
    Some((version, caps[2].to_string()))
}

/// A file inside a diesel-style folder: `up.sql` or `down.sql`.
fn read_folder_file(
    path: &Utf8Path,
    file_name: &str,
    folder: &mut Folder,
    problems: &mut Vec<Problem>,
) {
    let direction = match file_name {
        "up.sql" => Direction::Up,
        "down.sql" => Direction::Down,
        "metadata.toml" => {
            problems.push(
                Problem::new(path, "diesel's metadata.toml is not supported").hint(
                    "to run the migration outside a transaction, put `-- no-transaction` on the \
                     first line of up.sql, and remove metadata.toml",
                ),
            );
            return;
        }
        _ => {
            problems.push(
                Problem::new(path, "unexpected file in a migration folder")
                    .hint(format!("{FOLDER_HINT}; move other files out")),
            );
            return;
        }
    };
    let text = read_text(path, problems);
    if direction == Direction::Up {
        check_not_empty(path, text.as_deref(), EMPTY_MIGRATION_HINT, problems);
    }
    let script = whole_file(path, text.unwrap_or_default());
    match direction {
        Direction::Up => folder.up = Some(script),
        Direction::Down => folder.down = Some(script),
    }
}

/// A file directly in the migrations folder.
fn read_migration_file(
    path: &Utf8Path,
    file_name: &str,
    found: &mut Vec<Found>,
    problems: &mut Vec<Problem>,
) {
    if FLYWAY_REPEATABLE.is_match(file_name) {
        problems.push(
            Problem::new(path, "repeatable migrations are not supported").hint(
                "ladder tests versioned migrations in order; make it a versioned migration \
                 (V<ver>__<desc>.sql) or move it out of the migrations folder",
            ),
        );
        return;
    }

    let mut whole = |version: &str, name: &str, direction: Direction, dialect: Option<&str>| {
        let Some(version) = Version::parse(version) else {
            problems.push(not_recognised(path, file_name));
            return;
        };
        let dialect = match dialect {
            None => None,
            Some(spelled) => match Dialect::from_name(spelled) {
                Some(dialect) => Some(dialect),
                None => {
                    problems.push(unknown_dialect(path, spelled));
                    return;
                }
            },
        };
        let text = read_text(path, problems);
        if direction == Direction::Up {
            check_not_empty(path, text.as_deref(), EMPTY_MIGRATION_HINT, problems);
        }
        found.push(Found {
            version,
            name: name.to_string(),
            direction,
            dialect,
            script: whole_file(path, text.unwrap_or_default()),
        });
    };

    if let Some(caps) = FLYWAY.captures(file_name) {
        let direction = if &caps[1] == "V" {
            Direction::Up
        } else {
            Direction::Down
        };
        whole(&caps[2], &caps[3], direction, None);
    } else if let Some(caps) = UP_DOWN.captures(file_name) {
        let direction = if &caps[4] == "up" {
            Direction::Up
        } else {
            Direction::Down
        };
        whole(
            &caps[1],
            &caps[2],
            direction,
            caps.get(3).map(|m| m.as_str()),
        );
    } else if let Some(caps) = PLAIN.captures(file_name) {
        let Some(version) = Version::parse(&caps[1]) else {
            problems.push(not_recognised(path, file_name));
            return;
        };
        let name = caps[2].to_string();
        let text = read_text(path, problems);
        let text_ref = text.as_deref().unwrap_or_default();
        if text_ref.lines().any(|line| DBMATE_MARKER.is_match(line)) {
            let (up, down) = split_dbmate(path, text_ref, problems);
            found.push(Found {
                version: version.clone(),
                name: name.clone(),
                direction: Direction::Up,
                dialect: None,
                script: up,
            });
            if let Some(down) = down {
                found.push(Found {
                    version,
                    name,
                    direction: Direction::Down,
                    dialect: None,
                    script: down,
                });
            }
        } else {
            check_not_empty(path, text.as_deref(), EMPTY_MIGRATION_HINT, problems);
            found.push(Found {
                version,
                name,
                direction: Direction::Up,
                dialect: None,
                script: whole_file(path, text.unwrap_or_default()),
            });
        }
    } else {
        problems.push(not_recognised(path, file_name));
    }
}

fn not_recognised(path: &Utf8Path, file_name: &str) -> Problem {
    let extra = if TESTDATA.is_match(file_name) {
        "; this looks like testdata: move it to the testdata folder"
    } else {
        "; move other files, such as a README, out of the migrations folder"
    };
    Problem::new(path, "file name not recognised as a migration")
        .hint(format!("{MIGRATION_PATTERNS}{extra}"))
}

fn unknown_dialect(path: &Utf8Path, spelled: &str) -> Problem {
    Problem::new(
        path,
        format!("unknown dialect `{spelled}` in the file name"),
    )
    .hint(KNOWN_DIALECTS)
}

/// Reads a file as UTF-8 text without its byte-order mark; `None` (and a problem) when the file
/// cannot be read or is not UTF-8.
fn read_text(path: &Utf8Path, problems: &mut Vec<Problem>) -> Option<String> {
    // Not `fs::read` (nor `File::read_to_end`): their look at the file's size costs two system
    // calls per file, more than growing a buffer now and then, and giving back what it did not
    // use.
    let read = std::fs::File::open(path).and_then(|file| {
        let mut bytes = Vec::with_capacity(16 * 1024);
        std::io::Read::read_to_end(&mut std::io::Read::take(file, u64::MAX), &mut bytes)?;
        bytes.shrink_to_fit();
        Ok(bytes)
    });
    let mut bytes = match read {
        Ok(bytes) => bytes,
        Err(err) => {
            problems.push(Problem::new(path, format!("cannot be read: {err}")));
            return None;
        }
    };
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(err) => {
            let bytes = err.as_bytes();
            let valid = bytes
                .get(..err.utf8_error().valid_up_to())
                .unwrap_or_default();
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            problems.push(
                Problem::new(
                    path,
                    "is not valid UTF-8 (the first bad byte is on this line)",
                )
                .at_line(line)
                .hint("save the file as UTF-8"),
            );
            None
        }
    }
}

/// Reports a file (or section) with nothing but whitespace. Comments alone are a deliberate no-op.
fn check_not_empty(path: &Utf8Path, text: Option<&str>, hint: &str, problems: &mut Vec<Problem>) {
    if text.is_some_and(|text| text.trim().is_empty()) {
        problems.push(Problem::new(path, "is empty").hint(hint));
    }
}

/// A whole file as one script; a first line `-- no-transaction` runs it outside a transaction.
fn whole_file(path: &Utf8Path, text: String) -> Script {
    let no_transaction = text
        .lines()
        .next()
        .is_some_and(|line| line.trim() == "-- no-transaction");
    Script {
        path: path.to_owned(),
        sql: text,
        first_line: 1,
        no_transaction,
    }
}

/// A `-- migrate:up` / `-- migrate:down` marker line of a dbmate file.
struct Marker {
    direction: Direction,
    /// 1-based line of the marker.
    line: usize,
    /// Byte offsets of the start of the marker line and of the line after it.
    start: usize,
    end: usize,
    no_transaction: bool,
}

/// Splits a dbmate file into its up section and optional down section, reporting misplaced,
/// repeated or missing markers, SQL before the up section and an empty up section. When the
/// markers are broken the whole text stands in as the up script so no follow-on problems appear.
fn split_dbmate(
    path: &Utf8Path,
    text: &str,
    problems: &mut Vec<Problem>,
) -> (Script, Option<Script>) {
    let mut markers = Vec::new();
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        if let Some(caps) = DBMATE_MARKER.captures(content) {
            let direction = if &caps[1] == "up" {
                Direction::Up
            } else {
                Direction::Down
            };
            let no_transaction = caps.get(2).is_some_and(|o| {
                o.as_str()
                    .split_whitespace()
                    .any(|o| o == "transaction:false")
            });
            markers.push(Marker {
                direction,
                line: index + 1,
                start: offset,
                end: offset + line.len(),
                no_transaction,
            });
        }
        offset += line.len();
    }
    let ups: Vec<&Marker> = markers
        .iter()
        .filter(|m| m.direction == Direction::Up)
        .collect();
    let downs: Vec<&Marker> = markers
        .iter()
        .filter(|m| m.direction == Direction::Down)
        .collect();
    let fallback = || whole_file(path, text.to_string());
    const SECTIONS_HINT: &str =
        "a dbmate migration has one `-- migrate:up` section, then at most one `-- migrate:down`";

    let mut broken = false;
    for markers in [&ups, &downs] {
        if let [first, second, ..] = markers.as_slice() {
            let marker = first.direction.name();
            problems.push(
                Problem::new(
                    path,
                    format!(
                        "second `-- migrate:{marker}` (the first is on line {})",
                        first.line
                    ),
                )
                .at_line(second.line)
                .hint(SECTIONS_HINT),
            );
            broken = true;
        }
    }
    let Some(up) = ups.first() else {
        if let Some(down) = downs.first() {
            problems.push(
                Problem::new(path, "`-- migrate:down` without a `-- migrate:up` section")
                    .at_line(down.line)
                    .hint(SECTIONS_HINT),
            );
        }
        return (fallback(), None);
    };
    let down = downs.first();
    if let Some(down) = down
        && down.line < up.line
    {
        problems.push(
            Problem::new(
                path,
                format!(
                    "`-- migrate:down` comes before `-- migrate:up` (line {})",
                    up.line
                ),
            )
            .at_line(down.line)
            .hint(SECTIONS_HINT),
        );
        broken = true;
    }
    if broken {
        return (fallback(), None);
    }

    let before = text.get(..up.start).unwrap_or_default();
    if let Some(index) = before.lines().position(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with("--")
    }) {
        problems.push(
            Problem::new(path, "SQL before `-- migrate:up` is never run")
                .at_line(index + 1)
                .hint("move it into the `-- migrate:up` section, or make it a comment"),
        );
    }

    let up_end = down.map_or(text.len(), |d| d.start);
    let up_sql = text.get(up.end..up_end).unwrap_or_default();
    if up_sql.trim().is_empty() {
        problems.push(
            Problem::new(path, "`-- migrate:up` section is empty")
                .at_line(up.line)
                .hint(EMPTY_MIGRATION_HINT),
        );
    }
    let up_script = Script {
        path: path.to_owned(),
        sql: up_sql.to_string(),
        first_line: up.line + 1,
        no_transaction: up.no_transaction,
    };
    let down_script = down.map(|down| Script {
        path: path.to_owned(),
        sql: text.get(down.end..).unwrap_or_default().to_string(),
        first_line: down.line + 1,
        no_transaction: down.no_transaction,
    });
    (up_script, down_script)
}

fn dialect_suffix(dialect: Option<Dialect>) -> String {
    dialect.map_or_else(String::new, |d| format!(" ({d})"))
}

/// Groups the scripts into steps by version, reporting clashing versions, repeated scripts and
/// down migrations without an up.
fn build_steps(found: Vec<Found>, problems: &mut Vec<Problem>) -> BTreeMap<Version, Step> {
    let mut groups: BTreeMap<Version, Vec<Found>> = BTreeMap::new();
    for f in found {
        groups.entry(f.version.clone()).or_default().push(f);
    }
    let mut steps = BTreeMap::new();
    for (version, mut files) in groups {
        files.sort_by(|a, b| {
            a.script
                .path
                .cmp(&b.script.path)
                .then(a.direction.cmp(&b.direction))
        });
        let Some(owner) = files.first() else {
            continue;
        };
        let owner_path = owner.script.path.clone();
        let owner_version = owner.version.clone();
        let mut step = Step::new(owner.version.clone(), owner.name.clone());
        let mut clashing_names = BTreeSet::new();
        let mut seen: BTreeMap<(Direction, Option<Dialect>), Utf8PathBuf> = BTreeMap::new();
        for f in files {
            if f.name != step.name {
                if clashing_names.insert(f.name.clone()) {
                    let hint = if f.version.as_str() == owner_version.as_str() {
                        "give each migration its own version".to_string()
                    } else {
                        format!(
                            "versions compare as numbers, so {} and {} are the same version; \
                             give each migration its own version",
                            owner_version, f.version
                        )
                    };
                    problems.push(
                        Problem::new(
                            &f.script.path,
                            format!("version {} is already used by {owner_path}", f.version),
                        )
                        .hint(hint),
                    );
                }
                continue;
            }
            let key = (f.direction, f.dialect);
            if let Some(first) = seen.get(&key) {
                problems.push(
                    Problem::new(
                        &f.script.path,
                        format!(
                            "{} migration of version {}{} is already given by {first}",
                            f.direction.name(),
                            f.version,
                            dialect_suffix(f.dialect)
                        ),
                    )
                    .hint("keep only one of the two files"),
                );
                continue;
            }
            seen.insert(key, f.script.path.clone());
            let variants: &mut Variants = match f.direction {
                Direction::Up => &mut step.up,
                Direction::Down => &mut step.down,
            };
            variants.insert(f.dialect, f.script);
        }
        for (dialect, script) in &step.down {
            let has_up = match dialect {
                None => !step.up.is_empty(),
                Some(dialect) => step.up_for(*dialect).is_some(),
            };
            if !has_up {
                problems.push(
                    Problem::new(
                        &script.path,
                        format!(
                            "down migration without an up migration for version {}{}",
                            step.version,
                            dialect_suffix(*dialect)
                        ),
                    )
                    .hint("add the up migration, or remove this file"),
                );
            }
        }
        steps.insert(version, step);
    }
    steps
}

/// A file of the testdata folder, read.
struct TestdataFile {
    path: Utf8PathBuf,
    version: Version,
    /// `testdata`, `check` or `query`.
    kind: String,
    dialect: Option<Dialect>,
    text: Option<String>,
}

/// Reads the flat testdata folder (the files whose names it recognises).
fn read_testdata(root: &Utf8Path, problems: &mut Vec<Problem>) -> Vec<TestdataFile> {
    let mut read = Vec::new();
    let walker = WalkDir::new(root.as_std_path())
        .min_depth(1)
        .max_depth(1)
        .follow_links(true)
        .sort_by(by_name)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                problems.extend(walk_problem(root, &err));
                continue;
            }
        };
        let path = match entry_path(&entry) {
            Ok(path) => path,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if entry.file_type().is_dir() {
            problems.push(
                Problem::new(path, "subfolders are not supported in the testdata folder")
                    .hint("keep the testdata files directly in the testdata folder"),
            );
            continue;
        }
        if !entry.file_type().is_file() {
            problems.push(Problem::new(path, "is neither a file nor a folder"));
            continue;
        }
        let Some(file_name) = path.file_name() else {
            continue;
        };
        let parsed = TESTDATA.captures(file_name).and_then(|caps| {
            let kind = caps.get(2).map_or("testdata", |m| m.as_str());
            Some((Version::parse(&caps[1])?, kind, caps.get(3)))
        });
        let Some((version, kind, dialect)) = parsed else {
            problems.push(
                Problem::new(&path, "file name not recognised as testdata").hint(format!(
                    "{TESTDATA_PATTERNS}; move other files out of the testdata folder"
                )),
            );
            continue;
        };
        let dialect = match dialect {
            None => None,
            Some(spelled) => match Dialect::from_name(spelled.as_str()) {
                Some(dialect) => Some(dialect),
                None => {
                    problems.push(unknown_dialect(&path, spelled.as_str()));
                    continue;
                }
            },
        };
        let kind = kind.to_string();
        let text = read_text(&path, problems);
        check_not_empty(&path, text.as_deref(), EMPTY_TESTDATA_HINT, problems);
        read.push(TestdataFile {
            path,
            version,
            kind,
            dialect,
            text,
        });
    }
    read
}

/// Puts each testdata file into its step's `testdata`, `checks` or `queries`.
fn attach_testdata(
    files: Vec<TestdataFile>,
    steps: &mut BTreeMap<Version, Step>,
    problems: &mut Vec<Problem>,
) {
    if steps.is_empty() {
        // Already reported: there are no migrations at all.
        return;
    }
    for TestdataFile {
        path,
        version,
        kind,
        dialect,
        text,
    } in files
    {
        let Some(step) = steps.get_mut(&version) else {
            problems.push(
                Problem::new(&path, format!("no migration has version {version}"))
                    .hint(nearest_versions(steps, &version)),
            );
            continue;
        };
        let (files, what) = match kind.as_str() {
            "check" => (&mut step.checks, "checks"),
            "query" => (&mut step.queries, "queries"),
            _ => (&mut step.testdata, "testdata"),
        };
        if let Some(first) = files.get(&dialect) {
            problems.push(
                Problem::new(
                    &path,
                    format!(
                        "{what} for version {}{} {} already given by {}",
                        step.version,
                        dialect_suffix(dialect),
                        if what == "testdata" { "is" } else { "are" },
                        first.path
                    ),
                )
                .hint(format!("keep only one {what} file per version and dialect")),
            );
            continue;
        }
        files.insert(dialect, whole_file(&path, text.unwrap_or_default()));
    }
}

/// "the nearest versions are A and B", for testdata whose version no migration has.
fn nearest_versions(steps: &BTreeMap<Version, Step>, version: &Version) -> String {
    let before = steps.range(..version).next_back().map(|(_, s)| &s.version);
    let after = steps.range(version..).next().map(|(_, s)| &s.version);
    match (before, after) {
        (Some(before), Some(after)) => format!("the nearest versions are {before} and {after}"),
        (Some(only), None) | (None, Some(only)) => format!("the nearest version is {only}"),
        (None, None) => "there are no migrations".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tempfile::TempDir;

    #[test]
    fn version_of_reads_every_layout() {
        let cases = [
            ("20240101120000_users.up.sql", Some("20240101120000")),
            ("3_users.postgres.down.sql", Some("3")),
            ("12_users.sql", Some("12")),
            ("V1.2__users.sql", Some("1.2")),
            ("U1.2__users.sql", None),
            ("2017-11-23-064151_users/up.sql", Some("20171123064151")),
            ("README.md", None),
        ];
        for (path, want) in cases {
            assert_eq!(
                version_of(path).map(|v| v.to_string()),
                want.map(String::from),
                "{path}"
            );
        }
    }

    /// A temporary folder with `migrations/` and `testdata/` inside.
    struct Tree {
        _dir: TempDir,
        root: Utf8PathBuf,
    }

    impl Tree {
        fn new() -> Tree {
            let dir = tempfile::tempdir().expect("tempdir");
            let root = Utf8PathBuf::from_path_buf(dir.path().to_path_buf()).expect("utf-8 tmp");
            Tree { _dir: dir, root }
        }

        fn with(files: &[(&str, &str)]) -> Tree {
            let tree = Tree::new();
            fs_err::create_dir_all(tree.root.join("migrations")).expect("mkdir");
            for (path, text) in files {
                tree.write(path, text);
            }
            tree
        }

        fn write(&self, path: &str, content: impl AsRef<[u8]>) {
            let path = self.root.join(path);
            if let Some(parent) = path.parent() {
                fs_err::create_dir_all(parent).expect("mkdir");
            }
            fs_err::write(path, content).expect("write");
        }

        fn path(&self, rel: &str) -> Utf8PathBuf {
            self.root.join(rel)
        }

        fn discover(&self) -> Result<Plan, Problems> {
            let testdata = self.path("testdata");
            discover(
                &self.path("migrations"),
                testdata.exists().then_some(testdata.as_path()),
            )
        }

        fn plan(&self) -> Plan {
            match self.discover() {
                Ok(plan) => plan,
                Err(problems) => panic!("unexpected problems:\n{}", self.strip(&problems)),
            }
        }

        /// Each problem as displayed, with the temporary folder cut from its paths.
        fn problems(&self) -> Vec<String> {
            match self.discover() {
                Ok(plan) => panic!("expected problems, got {plan:#?}"),
                Err(problems) => problems
                    .0
                    .iter()
                    .map(|p| p.to_string().replace(&format!("{}/", self.root), ""))
                    .collect(),
            }
        }

        fn strip(&self, problems: &Problems) -> String {
            problems.to_string().replace(&format!("{}/", self.root), "")
        }
    }

    fn v(s: &str) -> Version {
        Version::parse(s).expect("version")
    }

    fn versions(plan: &Plan) -> Vec<&str> {
        plan.steps.iter().map(|s| s.version.as_str()).collect()
    }

    fn keys(variants: &Variants) -> Vec<Option<Dialect>> {
        variants.keys().copied().collect()
    }

    const HINT_PATTERNS: &str = "  hint: expected one of <ver>_<name>.sql, \
        <ver>_<name>[.<dialect>].up.sql / .down.sql, V<ver>__<desc>.sql / U<ver>__<desc>.sql, \
        <ver>_<name>/up.sql (+ down.sql)";

    #[test]
    fn ory_layout_with_dialect_variants() {
        let tree = Tree::with(&[
            (
                "migrations/20230112093015_create_users.up.sql",
                "CREATE TABLE users (id INT);\n",
            ),
            (
                "migrations/20230112093015_create_users.down.sql",
                "DROP TABLE users;\n",
            ),
            (
                "migrations/20230609120045_split_name.up.sql",
                "ALTER TABLE users ADD x INT;\n",
            ),
            (
                "migrations/20230609120045_split_name.sqlite3.up.sql",
                "-- sqlite rebuild\nCREATE TABLE t (x INT);\n",
            ),
            ("migrations/20230609120045_split_name.down.sql", ""),
            (
                "migrations/20230609120045_split_name.sqlite.down.sql",
                "DROP TABLE t;\n",
            ),
            (
                "migrations/20240520110701_audit.postgres.up.sql",
                "CREATE TABLE audit (id INT);\n",
            ),
            (
                "migrations/20240520110701_audit.mariadb.up.sql",
                "CREATE TABLE audit (id INT);\n",
            ),
            (
                "migrations/20240520110701_audit.cockroachdb.up.sql",
                "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n",
            ),
        ]);
        let plan = tree.plan();
        assert_eq!(
            versions(&plan),
            ["20230112093015", "20230609120045", "20240520110701"]
        );
        let [first, second, third] = plan.steps.as_slice() else {
            panic!("three steps expected");
        };
        assert_eq!(first.name, "create_users");
        assert_eq!(keys(&first.up), [None]);
        assert_eq!(keys(&first.down), [None]);
        assert_eq!(
            first.up[&None],
            Script {
                path: tree.path("migrations/20230112093015_create_users.up.sql"),
                sql: "CREATE TABLE users (id INT);\n".into(),
                first_line: 1,
                no_transaction: false,
            }
        );

        assert_eq!(second.name, "split_name");
        assert_eq!(keys(&second.up), [None, Some(Dialect::Sqlite3)]);
        assert_eq!(keys(&second.down), [None, Some(Dialect::Sqlite3)]);
        let sqlite_up = second.up_for(Dialect::Sqlite3).expect("sqlite up");
        assert_eq!(
            sqlite_up.path,
            tree.path("migrations/20230609120045_split_name.sqlite3.up.sql")
        );
        let pg_up = second.up_for(Dialect::Postgres).expect("postgres up");
        assert_eq!(
            pg_up.path,
            tree.path("migrations/20230609120045_split_name.up.sql")
        );
        // The empty generic down file is allowed.
        assert_eq!(second.down_for(Dialect::Mysql).expect("down").sql, "");

        assert_eq!(third.name, "audit");
        assert_eq!(
            keys(&third.up),
            [
                Some(Dialect::Postgres),
                Some(Dialect::Mysql),
                Some(Dialect::Cockroach)
            ]
        );
        assert!(third.up_for(Dialect::Sqlite3).is_none());
        assert!(third.down.is_empty());
        assert!(
            third
                .up_for(Dialect::Cockroach)
                .expect("crdb")
                .no_transaction
        );
        assert!(!third.up_for(Dialect::Postgres).expect("pg").no_transaction);
    }

    #[test]
    fn golang_migrate_pairs_with_leading_zeros() {
        let tree = Tree::with(&[
            ("migrations/000001_init.up.sql", "CREATE TABLE a (x INT);"),
            ("migrations/000001_init.down.sql", "DROP TABLE a;"),
            (
                "migrations/000002_add-index.up.sql",
                "CREATE INDEX i ON a (x);",
            ),
        ]);
        let plan = tree.plan();
        assert_eq!(versions(&plan), ["000001", "000002"]);
        assert_eq!(plan.steps[0].version, v("1"));
        assert_eq!(plan.steps[1].name, "add-index");
        assert!(plan.steps[1].down.is_empty());
    }

    #[test]
    fn sqlx_up_only_and_no_transaction() {
        let tree = Tree::with(&[
            (
                "migrations/20220101000000_init.sql",
                "\u{feff}CREATE TABLE a (x INT);\n",
            ),
            (
                "migrations/20220201000000_concurrent_index.sql",
                "\u{feff}  -- no-transaction  \r\nCREATE INDEX CONCURRENTLY i ON a (x);\n",
            ),
            (
                "migrations/20220301000000_not_first_line.sql",
                "SELECT 1;\n-- no-transaction\n",
            ),
            (
                "migrations/20220401000000_pair.up.sql",
                "-- no-transaction\nSELECT 1;\n",
            ),
            (
                "migrations/20220401000000_pair.down.sql",
                "-- no-transaction\nSELECT 2;\n",
            ),
        ]);
        let plan = tree.plan();
        let [init, concurrent, not_first, pair] = plan.steps.as_slice() else {
            panic!("four steps expected");
        };
        assert_eq!(init.name, "init");
        assert_eq!(keys(&init.up), [None]);
        assert!(init.down.is_empty());
        // The byte-order mark is removed.
        assert_eq!(init.up[&None].sql, "CREATE TABLE a (x INT);\n");
        assert!(!init.up[&None].no_transaction);
        assert!(concurrent.up[&None].no_transaction);
        assert!(!not_first.up[&None].no_transaction);
        assert!(pair.up[&None].no_transaction);
        assert!(pair.down[&None].no_transaction);
    }

    #[test]
    fn dbmate_sections() {
        let tree = Tree::with(&[
            (
                "migrations/20200101000000_users.sql",
                "-- a leading comment is fine\n\
                 -- migrate:up\n\
                 CREATE TABLE users (id INT);\n\
                 \n\
                 -- migrate:down\n\
                 DROP TABLE users;\n",
            ),
            (
                "migrations/20200102000000_index.sql",
                "-- migrate:up transaction:false\r\nCREATE INDEX CONCURRENTLY i ON users (id);\r\n",
            ),
            (
                "migrations/20200103000000_both.sql",
                "--migrate:up\nSELECT 1;\n-- migrate:down   transaction:false\n",
            ),
        ]);
        let plan = tree.plan();
        let [users, index, both] = plan.steps.as_slice() else {
            panic!("three steps expected");
        };
        let path = tree.path("migrations/20200101000000_users.sql");
        assert_eq!(users.name, "users");
        assert_eq!(
            users.up[&None],
            Script {
                path: path.clone(),
                sql: "CREATE TABLE users (id INT);\n\n".into(),
                first_line: 3,
                no_transaction: false,
            }
        );
        assert_eq!(
            users.down[&None],
            Script {
                path,
                sql: "DROP TABLE users;\n".into(),
                first_line: 6,
                no_transaction: false,
            }
        );
        assert_eq!(
            index.up[&None].sql,
            "CREATE INDEX CONCURRENTLY i ON users (id);\r\n"
        );
        assert_eq!(index.up[&None].first_line, 2);
        assert!(index.up[&None].no_transaction);
        assert!(index.down.is_empty());
        assert_eq!(both.up[&None].sql, "SELECT 1;\n");
        assert!(!both.up[&None].no_transaction);
        assert_eq!(both.down[&None].sql, "");
        assert_eq!(both.down[&None].first_line, 4);
        assert!(both.down[&None].no_transaction);
    }

    #[test]
    fn dbmate_problems() {
        let tree = Tree::with(&[
            (
                "migrations/1_down_first.sql",
                "-- migrate:down\nDROP TABLE a;\n-- migrate:up\nCREATE TABLE a (x INT);\n",
            ),
            (
                "migrations/2_two_ups.sql",
                "-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n",
            ),
            (
                "migrations/3_empty_up.sql",
                "-- migrate:up\n  \n-- migrate:down\nDROP TABLE a;\n",
            ),
            (
                "migrations/4_sql_before.sql",
                "-- header\nCREATE TYPE t AS ENUM ('a');\n-- migrate:up\nSELECT 1;\n",
            ),
            (
                "migrations/5_down_only.sql",
                "SELECT 0;\n-- migrate:down\nSELECT 1;\n",
            ),
            (
                "migrations/6_two_downs.sql",
                "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n-- migrate:down\n",
            ),
        ]);
        let hint = "  hint: a dbmate migration has one `-- migrate:up` section, then at most one \
                    `-- migrate:down`";
        assert_eq!(
            tree.problems(),
            [
                format!(
                    "migrations/1_down_first.sql:1: `-- migrate:down` comes before \
                     `-- migrate:up` (line 3)\n{hint}"
                ),
                format!(
                    "migrations/2_two_ups.sql:3: second `-- migrate:up` (the first is on line \
                     1)\n{hint}"
                ),
                "migrations/3_empty_up.sql:1: `-- migrate:up` section is empty\n  hint: if this \
                 migration is meant to do nothing, say so in a comment such as `-- nothing to \
                 do on sqlite3`"
                    .to_string(),
                "migrations/4_sql_before.sql:2: SQL before `-- migrate:up` is never run\n  \
                 hint: move it into the `-- migrate:up` section, or make it a comment"
                    .to_string(),
                format!(
                    "migrations/5_down_only.sql:2: `-- migrate:down` without a `-- migrate:up` \
                     section\n{hint}"
                ),
                format!(
                    "migrations/6_two_downs.sql:5: second `-- migrate:down` (the first is on \
                     line 3)\n{hint}"
                ),
            ]
        );
    }

    #[test]
    fn flyway_layout() {
        let tree = Tree::with(&[
            ("migrations/V1__init.sql", "CREATE TABLE a (x INT);"),
            ("migrations/U1__init.sql", "DROP TABLE a;"),
            ("migrations/V1_2__more.sql", "SELECT 12;"),
            ("migrations/V1.10__later.sql", "SELECT 110;"),
            ("migrations/V2__Add_People.sql", "SELECT 2;"),
        ]);
        let plan = tree.plan();
        assert_eq!(versions(&plan), ["1", "1_2", "1.10", "2"]);
        assert_eq!(plan.steps[1].version, v("1.2"));
        let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["init", "more", "later", "Add_People"]);
        assert_eq!(
            plan.steps[0].down[&None].path,
            tree.path("migrations/U1__init.sql")
        );
        assert!(plan.steps[1].down.is_empty());
    }

    #[test]
    fn flyway_repeatable_is_a_problem() {
        let tree = Tree::with(&[
            ("migrations/V1__init.sql", "SELECT 1;"),
            ("migrations/R__views.sql", "CREATE VIEW v AS SELECT 1;"),
        ]);
        assert_eq!(
            tree.problems(),
            [
                "migrations/R__views.sql: repeatable migrations are not supported\n  hint: \
                 ladder tests versioned migrations in order; make it a versioned migration \
                 (V<ver>__<desc>.sql) or move it out of the migrations folder"
            ]
        );
    }

    #[test]
    fn diesel_folders() {
        let tree = Tree::with(&[
            (
                "migrations/00000000000000_diesel_initial_setup/up.sql",
                "SELECT 0;",
            ),
            (
                "migrations/00000000000000_diesel_initial_setup/down.sql",
                "SELECT 0;",
            ),
            (
                "migrations/2017-11-23-064151_create_posts/up.sql",
                "CREATE TABLE posts (id INT);",
            ),
            (
                "migrations/20180101000000_up_only/up.sql",
                "-- no-transaction\nSELECT 1;",
            ),
        ]);
        let plan = tree.plan();
        assert_eq!(
            versions(&plan),
            ["00000000000000", "20171123064151", "20180101000000"]
        );
        let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["diesel_initial_setup", "create_posts", "up_only"]);
        assert_eq!(
            plan.steps[0].down[&None].path,
            tree.path("migrations/00000000000000_diesel_initial_setup/down.sql")
        );
        assert_eq!(
            plan.steps[1].up[&None].path,
            tree.path("migrations/2017-11-23-064151_create_posts/up.sql")
        );
        assert!(plan.steps[1].down.is_empty());
        assert!(plan.steps[2].up[&None].no_transaction);
    }

    #[test]
    fn diesel_folder_problems() {
        let tree = Tree::with(&[
            ("migrations/1_a/up.sql", "SELECT 1;"),
            ("migrations/1_a/notes.txt", "x"),
            ("migrations/1_a/metadata.toml", "run_in_transaction = false"),
            ("migrations/1_a/nested/up.sql", "SELECT 1;"),
            ("migrations/2_b/down.sql", "SELECT 2;"),
            ("migrations/3_c/.keep", ""),
            ("migrations/not a migration/up.sql", "SELECT 4;"),
            ("migrations/5_e.x/up.sql", "SELECT 5;"),
        ]);
        let folder_hint = "  hint: a migration folder holds only up.sql and, optionally, down.sql";
        assert_eq!(
            tree.problems(),
            [
                "migrations/1_a/metadata.toml: diesel's metadata.toml is not supported\n  hint: \
                 to run the migration outside a transaction, put `-- no-transaction` on the \
                 first line of up.sql, and remove metadata.toml"
                    .to_string(),
                format!(
                    "migrations/1_a/nested: nested folder inside a migration folder\n{folder_hint}"
                ),
                format!(
                    "migrations/1_a/notes.txt: unexpected file in a migration folder\n\
                     {folder_hint}; move other files out"
                ),
                format!("migrations/2_b: migration folder has no up.sql\n{folder_hint}"),
                format!("migrations/3_c: migration folder has no up.sql\n{folder_hint}"),
                format!(
                    "migrations/5_e.x: folder name not recognised as a migration folder\n\
                     {HINT_PATTERNS}; move other folders out of the migrations folder"
                ),
                format!(
                    "migrations/not a migration: folder name not recognised as a migration \
                     folder\n{HINT_PATTERNS}; move other folders out of the migrations folder"
                ),
            ]
        );
    }

    #[test]
    fn versions_order_numerically() {
        let tree = Tree::with(&[
            ("migrations/10_ten.sql", "SELECT 10;"),
            ("migrations/2_two.sql", "SELECT 2;"),
            ("migrations/1_one.sql", "SELECT 1;"),
            ("migrations/20230105000000_ts.sql", "SELECT 3;"),
            ("migrations/20191100000001000000_ory.up.sql", "SELECT 4;"),
            (
                "migrations/20191100000000999999_ory_before.up.sql",
                "SELECT 5;",
            ),
            ("migrations/99999999999999_ts_last.sql", "SELECT 6;"),
        ]);
        let plan = tree.plan();
        assert_eq!(
            versions(&plan),
            [
                "1",
                "2",
                "10",
                "20230105000000",
                "99999999999999",
                "20191100000000999999",
                "20191100000001000000"
            ]
        );
    }

    #[test]
    fn mixed_layouts_in_one_folder() {
        let tree = Tree::with(&[
            ("migrations/1_a.up.sql", "SELECT 1;"),
            ("migrations/2_b.sql", "SELECT 2;"),
            ("migrations/3_c.sql", "-- migrate:up\nSELECT 3;\n"),
            ("migrations/V4__d.sql", "SELECT 4;"),
            ("migrations/5_e/up.sql", "SELECT 5;"),
        ]);
        let plan = tree.plan();
        assert_eq!(versions(&plan), ["1", "2", "3", "4", "5"]);
    }

    #[test]
    fn testdata_patterns() {
        let tree = Tree::with(&[
            ("migrations/1_a.up.sql", "SELECT 1;"),
            ("migrations/2_b.up.sql", "SELECT 2;"),
            ("migrations/3_c.up.sql", "SELECT 3;"),
            ("migrations/20210410175418_d.up.sql", "SELECT 4;"),
            ("testdata/1.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/1.postgresql.sql", "INSERT INTO a VALUES (11);"),
            ("testdata/2_testdata.sql", "-- nothing to seed on purpose"),
            ("testdata/3_testdata.mysql.sql", "INSERT INTO c VALUES (3);"),
            (
                "testdata/20210410175418_testdata.sql",
                "INSERT INTO d VALUES (4);",
            ),
            ("testdata/.gitkeep", ""),
        ]);
        let plan = tree.plan();
        let [one, two, three, four] = plan.steps.as_slice() else {
            panic!("four steps expected");
        };
        assert_eq!(keys(&one.testdata), [None, Some(Dialect::Postgres)]);
        assert_eq!(
            one.testdata_for(Dialect::Postgres).expect("pg").path,
            tree.path("testdata/1.postgresql.sql")
        );
        assert_eq!(
            one.testdata_for(Dialect::Sqlite3).expect("generic").path,
            tree.path("testdata/1.sql")
        );
        assert_eq!(keys(&two.testdata), [None]);
        assert_eq!(keys(&three.testdata), [Some(Dialect::Mysql)]);
        assert!(three.testdata_for(Dialect::Postgres).is_none());
        assert_eq!(
            four.testdata[&None],
            Script {
                path: tree.path("testdata/20210410175418_testdata.sql"),
                sql: "INSERT INTO d VALUES (4);".into(),
                first_line: 1,
                no_transaction: false,
            }
        );
    }

    #[test]
    fn checks_and_queries_sit_beside_testdata() {
        let tree = Tree::with(&[
            ("migrations/1_a.up.sql", "CREATE TABLE a (x INT);"),
            ("testdata/1.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/1.check.sql", "SELECT count(*) = 1 FROM a;"),
            ("testdata/1.query.sql", "SELECT x FROM a;"),
            (
                "testdata/1.query.postgres.sql",
                "SELECT x FROM a ORDER BY x;",
            ),
            ("testdata/1_testdata.check.sql", "SELECT 1;"),
        ]);
        assert_eq!(
            tree.problems(),
            [
                "testdata/1_testdata.check.sql: checks for version 1 are already given by \
              testdata/1.check.sql\n  hint: keep only one checks file per version and dialect"
            ]
        );
        fs_err::remove_file(tree.path("testdata/1_testdata.check.sql")).expect("rm");
        let plan = tree.plan();
        let step = &plan.steps[0];
        assert_eq!(keys(&step.testdata), [None]);
        assert_eq!(keys(&step.checks), [None]);
        assert_eq!(keys(&step.queries), [None, Some(Dialect::Postgres)]);
        assert_eq!(
            step.queries_for(Dialect::Postgres).expect("pg").path,
            tree.path("testdata/1.query.postgres.sql")
        );
        assert_eq!(
            step.checks_for(Dialect::Mysql).expect("generic").path,
            tree.path("testdata/1.check.sql")
        );
    }

    #[test]
    fn testdata_problems() {
        let tree = Tree::with(&[
            ("migrations/5_a.up.sql", "SELECT 5;"),
            ("migrations/20230105000000_b.up.sql", "SELECT 1;"),
            ("migrations/20230301000000_c.up.sql", "SELECT 1;"),
            ("testdata/005.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/5.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/5_testdata.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/5.sqlite.sql", "INSERT INTO a VALUES (1);"),
            (
                "testdata/5_testdata.sqlite3.sql",
                "INSERT INTO a VALUES (1);",
            ),
            ("testdata/20230201000000.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/99999999999999.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/1.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/5.oracle.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/seed.sql", "INSERT INTO a VALUES (1);"),
            ("testdata/20230105000000.sql", " \n"),
            ("testdata/sub/1.sql", "INSERT INTO a VALUES (1);"),
        ]);
        let keep = "  hint: keep only one testdata file per version and dialect";
        assert_eq!(
            tree.problems(),
            [
                "testdata/1.sql: no migration has version 1\n  hint: the nearest version is 5"
                    .to_string(),
                "testdata/20230105000000.sql: is empty\n  hint: add the rows this version \
                 should be tested with, or remove the file"
                    .to_string(),
                "testdata/20230201000000.sql: no migration has version 20230201000000\n  hint: \
                 the nearest versions are 20230105000000 and 20230301000000"
                    .to_string(),
                "testdata/5.oracle.sql: unknown dialect `oracle` in the file name\n  hint: known \
                 dialects: sqlite3 (or sqlite), postgres (or postgresql), mysql (or mariadb), \
                 cockroach (or cockroachdb)"
                    .to_string(),
                format!(
                    "testdata/5.sql: testdata for version 5 is already given by {}\n{keep}",
                    "testdata/005.sql"
                ),
                format!(
                    "testdata/5_testdata.sql: testdata for version 5 is already given by {}\n{keep}",
                    "testdata/005.sql"
                ),
                format!(
                    "testdata/5_testdata.sqlite3.sql: testdata for version 5 (sqlite3) is \
                     already given by {}\n{keep}",
                    "testdata/5.sqlite.sql"
                ),
                "testdata/99999999999999.sql: no migration has version 99999999999999\n  hint: \
                 the nearest version is 20230301000000"
                    .to_string(),
                "testdata/seed.sql: file name not recognised as testdata\n  hint: expected one \
                 of <ver>.sql, <ver>.<dialect>.sql, <ver>_testdata.sql, \
                 <ver>_testdata.<dialect>.sql, <ver>.check[.<dialect>].sql, \
                 <ver>.query[.<dialect>].sql; move other files out of the testdata folder"
                    .to_string(),
                "testdata/sub: subfolders are not supported in the testdata folder\n  hint: keep \
                 the testdata files directly in the testdata folder"
                    .to_string(),
            ]
        );
    }

    #[test]
    fn duplicate_versions() {
        let tree = Tree::with(&[
            ("migrations/007_a.sql", "SELECT 7;"),
            ("migrations/7_b.sql", "SELECT 7;"),
            ("migrations/7_b.down.sql", "SELECT 7;"),
            ("migrations/8_c.sql", "SELECT 8;"),
            ("migrations/8_c.up.sql", "SELECT 8;"),
            ("migrations/9_d.sqlite.up.sql", "SELECT 9;"),
            ("migrations/9_d.sqlite3.up.sql", "SELECT 9;"),
            ("migrations/10_e.up.sql", "SELECT 10;"),
            ("migrations/10_f.up.sql", "SELECT 10;"),
            ("migrations/11_g/up.sql", "SELECT 11;"),
            ("migrations/11_g.up.sql", "SELECT 11;"),
        ]);
        // `problems()` cuts the temporary folder from every path.
        let path = |rel: &'static str| rel;
        assert_eq!(
            tree.problems(),
            [
                format!(
                    "migrations/10_f.up.sql: version 10 is already used by {}\n  hint: give \
                     each migration its own version",
                    path("migrations/10_e.up.sql")
                ),
                format!(
                    "migrations/11_g.up.sql: up migration of version 11 is already given by \
                     {}\n  hint: keep only one of the two files",
                    path("migrations/11_g/up.sql")
                ),
                format!(
                    "migrations/7_b.down.sql: version 7 is already used by {}\n  hint: versions \
                     compare as numbers, so 007 and 7 are the same version; give each migration \
                     its own version",
                    path("migrations/007_a.sql")
                ),
                format!(
                    "migrations/8_c.up.sql: up migration of version 8 is already given by {}\n  \
                     hint: keep only one of the two files",
                    path("migrations/8_c.sql")
                ),
                format!(
                    "migrations/9_d.sqlite3.up.sql: up migration of version 9 (sqlite3) is \
                     already given by {}\n  hint: keep only one of the two files",
                    path("migrations/9_d.sqlite.up.sql")
                ),
            ]
        );
    }

    #[test]
    fn variants_of_one_migration_are_not_duplicates() {
        let tree = Tree::with(&[
            ("migrations/7_a.up.sql", "SELECT 1;"),
            ("migrations/7_a.down.sql", "SELECT 1;"),
            ("migrations/7_a.mysql.up.sql", "SELECT 1;"),
            ("migrations/7_a.mysql.down.sql", "SELECT 1;"),
            ("migrations/7_a.postgres.down.sql", "SELECT 1;"),
        ]);
        let plan = tree.plan();
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(keys(&plan.steps[0].up), [None, Some(Dialect::Mysql)]);
        assert_eq!(
            keys(&plan.steps[0].down),
            [None, Some(Dialect::Postgres), Some(Dialect::Mysql)]
        );
    }

    #[test]
    fn down_without_up() {
        let tree = Tree::with(&[
            ("migrations/1_a.down.sql", "SELECT 1;"),
            ("migrations/U2__b.sql", "SELECT 2;"),
            ("migrations/3_c.sqlite3.up.sql", "SELECT 3;"),
            ("migrations/3_c.sqlite3.down.sql", "SELECT 3;"),
            ("migrations/3_c.mysql.down.sql", "SELECT 3;"),
            ("migrations/4_only_sqlite.sqlite3.up.sql", "SELECT 4;"),
            ("migrations/4_only_sqlite.down.sql", "SELECT 4;"),
        ]);
        let hint = "  hint: add the up migration, or remove this file";
        assert_eq!(
            tree.problems(),
            [
                format!(
                    "migrations/1_a.down.sql: down migration without an up migration for version 1\n{hint}"
                ),
                format!(
                    "migrations/3_c.mysql.down.sql: down migration without an up migration for version 3 (mysql)\n{hint}"
                ),
                format!(
                    "migrations/U2__b.sql: down migration without an up migration for version 2\n{hint}"
                ),
            ]
        );
    }

    #[test]
    fn empty_files() {
        let tree = Tree::with(&[
            ("migrations/1_empty.up.sql", ""),
            ("migrations/2_blank.sql", " \n\t\r\n"),
            ("migrations/3_comment.sql", "-- nothing to do on sqlite3\n"),
            ("migrations/4_empty_down.up.sql", "SELECT 4;"),
            ("migrations/4_empty_down.down.sql", "  \n"),
            ("migrations/5_bom_only.sql", "\u{feff}"),
            ("migrations/6_f/up.sql", "\n"),
            ("migrations/V7__g.sql", ""),
        ]);
        let hint = "  hint: if this migration is meant to do nothing, say so in a comment such as \
                    `-- nothing to do on sqlite3`";
        assert_eq!(
            tree.problems(),
            [
                format!("migrations/1_empty.up.sql: is empty\n{hint}"),
                format!("migrations/2_blank.sql: is empty\n{hint}"),
                format!("migrations/5_bom_only.sql: is empty\n{hint}"),
                format!("migrations/6_f/up.sql: is empty\n{hint}"),
                format!("migrations/V7__g.sql: is empty\n{hint}"),
            ]
        );
    }

    #[test]
    fn not_utf8_reports_the_line() {
        let tree = Tree::with(&[("migrations/2_ok.sql", "SELECT 2;")]);
        tree.write(
            "migrations/1_latin1.sql",
            b"\xEF\xBB\xBFSELECT 1;\n-- ok\nINSERT INTO t VALUES ('caf\xE9');\n",
        );
        tree.write("migrations/3_first.down.sql", b"\xFF");
        tree.write("migrations/3_first.up.sql", "SELECT 3;");
        assert_eq!(
            tree.problems(),
            [
                "migrations/1_latin1.sql:3: is not valid UTF-8 (the first bad byte is on this line)\n  \
                 hint: save the file as UTF-8",
                "migrations/3_first.down.sql:1: is not valid UTF-8 (the first bad byte is on this line)\n  \
                 hint: save the file as UTF-8",
            ]
        );
    }

    #[test]
    fn unrecognised_names() {
        let tree = Tree::with(&[
            ("migrations/1_a.sql", "SELECT 1;"),
            ("migrations/README.md", "# migrations"),
            ("migrations/x.txt", "x"),
            ("migrations/2.sql", "SELECT 2;"),
            ("migrations/3_a.b.sql", "SELECT 3;"),
            ("migrations/4_a.oracle.up.sql", "SELECT 4;"),
            ("migrations/_a.sql", "SELECT 5;"),
            ("migrations/6_a.SQL", "SELECT 6;"),
            ("migrations/.gitkeep", ""),
            ("migrations/.DS_Store", "\u{0}\u{1}"),
            ("migrations/.git/config", "x"),
        ]);
        let move_out = "; move other files, such as a README, out of the migrations folder";
        assert_eq!(
            tree.problems(),
            [
                format!(
                    "migrations/2.sql: file name not recognised as a migration\n{HINT_PATTERNS}; \
                     this looks like testdata: move it to the testdata folder"
                ),
                format!(
                    "migrations/3_a.b.sql: file name not recognised as a migration\n\
                     {HINT_PATTERNS}{move_out}"
                ),
                "migrations/4_a.oracle.up.sql: unknown dialect `oracle` in the file name\n  \
                 hint: known dialects: sqlite3 (or sqlite), postgres (or postgresql), mysql (or \
                 mariadb), cockroach (or cockroachdb)"
                    .to_string(),
                format!(
                    "migrations/6_a.SQL: file name not recognised as a migration\n\
                     {HINT_PATTERNS}{move_out}"
                ),
                format!(
                    "migrations/README.md: file name not recognised as a migration\n\
                     {HINT_PATTERNS}{move_out}"
                ),
                format!(
                    "migrations/_a.sql: file name not recognised as a migration\n\
                     {HINT_PATTERNS}{move_out}"
                ),
                format!(
                    "migrations/x.txt: file name not recognised as a migration\n\
                     {HINT_PATTERNS}{move_out}"
                ),
            ]
        );
    }

    #[test]
    fn hidden_files_and_folders_are_skipped() {
        let tree = Tree::with(&[
            ("migrations/1_a.sql", "SELECT 1;"),
            ("migrations/.gitkeep", ""),
            ("migrations/.hidden/README.md", "x"),
            ("migrations/2_b/up.sql", "SELECT 2;"),
            ("migrations/2_b/.DS_Store", "x"),
            ("testdata/1.sql", "INSERT INTO t VALUES (1);"),
            ("testdata/.keep", ""),
            ("testdata/.old/9.sql", "x"),
        ]);
        let plan = tree.plan();
        assert_eq!(versions(&plan), ["1", "2"]);
    }

    #[test]
    fn missing_folders() {
        let tree = Tree::new();
        let migrations = tree.path("migrations");
        let testdata = tree.path("testdata");
        let Err(problems) = discover(&migrations, Some(&testdata)) else {
            panic!("expected problems");
        };
        assert_eq!(
            problems.0,
            [
                Problem::new(&migrations, "migrations folder does not exist")
                    .hint("pass the folder that holds the migrations with `--migrations DIR`"),
                Problem::new(&testdata, "testdata folder does not exist").hint(
                    "pass the testdata folder with `--testdata DIR`, or leave it out if there is \
                     none"
                ),
            ]
        );

        // A present migrations folder with a missing testdata folder.
        tree.write("migrations/1_a.sql", "SELECT 1;");
        let Err(problems) = discover(&migrations, Some(&testdata)) else {
            panic!("expected problems");
        };
        assert_eq!(problems.0.len(), 1);
        assert_eq!(problems.0[0].path, testdata);
        assert!(discover(&migrations, None).is_ok());

        // A file where the folder should be.
        let Err(problems) = discover(&tree.path("migrations/1_a.sql"), None) else {
            panic!("expected problems");
        };
        assert_eq!(problems.0[0].message, "migrations path is not a folder");
    }

    #[test]
    fn empty_migrations_folder() {
        let tree = Tree::with(&[]);
        assert_eq!(
            tree.problems(),
            [
                "migrations: no migrations found in this folder\n  hint: pass the folder that \
              holds the migration files with `--migrations DIR`"
            ]
        );
    }

    #[test]
    fn paths_keep_the_folder_as_given() {
        let tree = Tree::with(&[("migrations/1_a.sql", "SELECT 1;")]);
        tree.write("testdata/1.sql", "INSERT INTO t VALUES (1);");
        let given = Utf8PathBuf::from(format!("{}/./migrations/", tree.root));
        let plan = discover(&given, Some(&tree.path("testdata"))).expect("plan");
        assert_eq!(
            plan.steps[0].up[&None].path,
            Utf8PathBuf::from(format!("{}/./migrations/1_a.sql", tree.root))
        );

        // A relative folder gives relative paths: run from the temporary folder's parent.
        let parent = tree.root.parent().expect("parent");
        let name = tree.root.file_name().expect("name");
        let relative = Utf8PathBuf::from(name).join("migrations");
        let rel_from_cwd = relative_to_cwd(parent).join(&relative);
        let plan = discover(&rel_from_cwd, None).expect("plan");
        assert!(plan.steps[0].up[&None].path.is_relative());
        assert_eq!(plan.steps[0].up[&None].path, rel_from_cwd.join("1_a.sql"));
    }

    /// A relative path from the current directory to `dir`, through `..` up to the root.
    fn relative_to_cwd(dir: &Utf8Path) -> Utf8PathBuf {
        let cwd = std::env::current_dir().expect("cwd");
        let mut rel = Utf8PathBuf::new();
        for _ in cwd.components().skip(1) {
            rel.push("..");
        }
        for part in dir.components().skip(1) {
            rel.push(part);
        }
        rel
    }

    #[test]
    fn several_problems_at_once_sorted() {
        let tree = Tree::with(&[
            ("migrations/3_c.up.sql", ""),
            ("migrations/1_a.down.sql", "SELECT 1;"),
            ("migrations/README.md", "x"),
            ("migrations/2_b.sql", "-- migrate:up\n\n-- migrate:down\n"),
            ("testdata/4.sql", "INSERT INTO t VALUES (4);"),
        ]);
        let problems = tree.problems();
        let heads: Vec<&str> = problems
            .iter()
            .map(|p| p.split('\n').next().unwrap_or_default())
            .collect();
        assert_eq!(
            heads,
            [
                "migrations/1_a.down.sql: down migration without an up migration for version 1",
                "migrations/2_b.sql:1: `-- migrate:up` section is empty",
                "migrations/3_c.up.sql: is empty",
                "migrations/README.md: file name not recognised as a migration",
                "testdata/4.sql: no migration has version 4",
            ]
        );
        // Deterministic: the same input gives the same report.
        assert_eq!(tree.problems(), problems);
    }

    #[test]
    fn symlink_loop_is_reported() {
        let tree = Tree::with(&[
            ("migrations/1_a.sql", "SELECT 1;"),
            ("migrations/2_b/up.sql", "SELECT 2;"),
        ]);
        std::os::unix::fs::symlink(tree.path("migrations"), tree.path("migrations/3_loop"))
            .expect("symlink");
        std::os::unix::fs::symlink("..", tree.path("migrations/2_b/back")).expect("symlink");
        std::os::unix::fs::symlink(
            tree.path("migrations"),
            tree.path("migrations/.hidden_loop"),
        )
        .expect("symlink");
        let hint = "  hint: remove the link, or make it point outside the folder";
        assert_eq!(
            tree.problems(),
            [
                format!(
                    "migrations/2_b/back: symlink loop: points back to {}\n{hint}",
                    "migrations"
                ),
                format!(
                    "migrations/3_loop: symlink loop: points back to {}\n{hint}",
                    "migrations"
                ),
            ]
        );
    }

    #[test]
    fn symlinked_files_are_followed() {
        let tree = Tree::with(&[("shared/init.sql", "SELECT 1;")]);
        std::os::unix::fs::symlink(
            tree.path("shared/init.sql"),
            tree.path("migrations/1_init.sql"),
        )
        .expect("symlink");
        std::os::unix::fs::symlink(tree.path("nowhere.sql"), tree.path("migrations/2_gone.sql"))
            .expect("symlink");
        let problems = tree.problems();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("migrations/2_gone.sql: cannot be read: "),
            "{problems:?}"
        );
    }

    #[test]
    fn unreadable_file_is_reported() {
        use std::os::unix::fs::PermissionsExt;
        let tree = Tree::with(&[("migrations/1_a.sql", "SELECT 1;")]);
        let path = tree.path("migrations/1_a.sql");
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if std::fs::read(&path).is_ok() {
            // Running as root: permissions do not stop reading, so there is nothing to test.
            return;
        }
        let problems = tree.problems();
        assert_eq!(
            problems,
            ["migrations/1_a.sql: cannot be read: Permission denied (os error 13)"]
        );
    }
}
