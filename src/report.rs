//! What a run found, per engine, and how it reads in a terminal.

use std::fmt;
use std::time::Duration;

use camino::Utf8PathBuf;

use crate::dialect::Dialect;
use crate::error::{EXIT_FAILED, EXIT_OK, Error};
use crate::matrix::Matrix;
use crate::runner::StepTiming;
use crate::snapshot::{Status, TableResult};

/// The result of one engine's ladder.
#[derive(Debug)]
pub struct EngineRun {
    pub dialect: Dialect,
    /// Where it ran (`sqlite3 (embedded, in memory)`); empty if the engine never opened.
    pub describe: String,
    pub steps: Vec<StepTiming>,
    pub dump_time: Duration,
    pub tables: Vec<TableResult>,
    /// Why the engine's ladder stopped, if it did.
    pub error: Option<Error>,
    /// Why an optional server was not used, if it was not.
    pub skipped: Option<String>,
    /// The down pass (`--down`), when it ran to zero.
    pub down: Option<Vec<StepTiming>>,
    /// The fresh-install schema file that matched the upgraded database.
    pub fresh: Option<Utf8PathBuf>,
    /// How many versions passed the up/down/up round trip (`--roundtrip`).
    pub roundtrips: Option<usize>,
    /// Each release's records at head (see [`crate::matrix`]), when the ladder reached the end.
    pub matrix: Option<Matrix>,
    /// The dump the ladder started from (`--from`), once loaded.
    pub from: Option<crate::dump::Loaded>,
    pub total: Duration,
}

impl EngineRun {
    pub fn passed(&self) -> bool {
        self.error.is_none() && !self.tables.iter().any(TableResult::failed)
    }

    pub fn exit_code(&self) -> i32 {
        match &self.error {
            Some(e) => e.exit_code(),
            None if self.passed() => EXIT_OK,
            None => EXIT_FAILED,
        }
    }
}

/// Every engine's result.
#[derive(Debug)]
pub struct Outcome {
    pub runs: Vec<EngineRun>,
    pub accept: bool,
    pub snapshots: Utf8PathBuf,
    /// Whether `[releases]` are configured; the terminal shows the matrix only then.
    pub releases_configured: bool,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.runs.iter().all(EngineRun::passed)
    }

    /// 0 when every engine passed; else the highest code of those that did not (2 bad input
    /// outranks 1 verification failed).
    pub fn exit_code(&self) -> i32 {
        self.runs
            .iter()
            .map(EngineRun::exit_code)
            .max()
            .unwrap_or(EXIT_OK)
    }
}

/// A down step's progress line: `sqlite3: down 20230101000001 create_users  0.4 ms`.
pub fn down_line(dialect: Dialect, timing: &StepTiming) -> String {
    let what = match timing.migration {
        Some(d) => ms(d),
        None => "skipped: never ran on this dialect".to_string(),
    };
    format!("{dialect}: down {} {}  {what}", timing.version, timing.name)
}

/// The line saying the run's dump is loaded:
/// `sqlite3: loaded old.sql, a database at 20230101000001 (42 statements)  3.1 ms`.
pub fn loaded_line(dialect: Dialect, loaded: &crate::dump::Loaded) -> String {
    format!(
        "{dialect}: loaded {}, a database at {} ({})  {}",
        loaded.path,
        loaded.at,
        plural(loaded.statements, "statement"),
        ms(loaded.time)
    )
}

/// A step's progress line: `20230101000001 create_users  migration 1.2 ms, testdata 0.3 ms`.
pub fn step_line(dialect: Dialect, timing: &StepTiming) -> String {
    if let Some(at) = &timing.in_dump {
        return format!(
            "{dialect}: {} {}  skipped: the dump is at {at}",
            timing.version, timing.name
        );
    }
    let migration = match timing.migration {
        Some(d) => format!("migration {}", ms(d)),
        None => {
            let only: Vec<&str> = timing.only_for.iter().map(|d| d.name()).collect();
            format!(
                "skipped: no migration file for {dialect} (only for {})",
                only.join(", ")
            )
        }
    };
    let testdata = match timing.testdata {
        Some(d) => format!(", testdata {}", ms(d)),
        None => String::new(),
    };
    format!(
        "{dialect}: {} {}  {migration}{testdata}",
        timing.version, timing.name
    )
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for run in &self.runs {
            write_run(f, run, self.accept, self.releases_configured)?;
        }
        Ok(())
    }
}

fn write_run(
    f: &mut fmt::Formatter<'_>,
    run: &EngineRun,
    accept: bool,
    show_matrix: bool,
) -> fmt::Result {
    let d = run.dialect;
    if let Some(why) = &run.skipped {
        return writeln!(f, "skipped: {d}: {why}");
    }
    if let Some(error) = &run.error {
        writeln!(f, "error: {error}")?;
        if run.describe.is_empty() {
            // The engine never opened (no server, no Docker): the error line says it all.
            return Ok(());
        }
        return writeln!(f, "FAILED: {d}: the ladder stopped after {}", ms(run.total));
    }
    for table in &run.tables {
        match &table.status {
            Status::Unchanged => {}
            Status::Changed { diff } => {
                writeln!(f, "{d}: {} changed:", label(&table.table))?;
                write!(f, "{diff}")?;
            }
            Status::New { body } if !accept => {
                writeln!(
                    f,
                    "{d}: {} has no accepted snapshot ({}); this run has:",
                    label(&table.table),
                    table.path
                )?;
                for line in body.lines() {
                    writeln!(f, "+{line}")?;
                }
            }
            Status::New { .. } => {}
            Status::Removed { diff } => {
                writeln!(
                    f,
                    "{d}: {} no longer exists, but {} does:",
                    label(&table.table),
                    table.path
                )?;
                write!(f, "{diff}")?;
            }
        }
    }
    let names = |pick: fn(&Status) -> bool| -> Vec<&str> {
        run.tables
            .iter()
            .filter(|t| pick(&t.status))
            .map(|t| t.table.as_str())
            .collect()
    };
    let changed = names(|s| matches!(s, Status::Changed { .. }));
    let new = names(|s| matches!(s, Status::New { .. }));
    let removed = names(|s| matches!(s, Status::Removed { .. }));
    let applied = run.steps.iter().filter(|s| s.in_dump.is_none()).count();
    let from = match &run.from {
        Some(loaded) => format!("{} at {}, then ", loaded.path, loaded.at),
        None => String::new(),
    };
    let timing = format!(
        "{from}{} in {}, dump {}",
        plural(applied, "migration"),
        ms(run.total.saturating_sub(run.dump_time)),
        ms(run.dump_time)
    );
    let tables = run
        .tables
        .iter()
        .filter(|t| !matches!(t.status, Status::Removed { .. }))
        .count();
    if let Some(matrix) = run.matrix.as_ref().filter(|_| show_matrix) {
        write!(f, "{matrix}")?;
    }
    if let Some(down) = &run.down {
        let reverted = down.iter().filter(|s| s.migration.is_some()).count();
        writeln!(
            f,
            "ok: {d}: walked down through {} to zero; no table left",
            plural(reverted, "down migration")
        )?;
    }
    if let Some(path) = &run.fresh {
        writeln!(
            f,
            "ok: {d}: a fresh install from {path} matches the upgraded schema"
        )?;
    }
    if let Some(n) = run.roundtrips {
        writeln!(
            f,
            "ok: {d}: up, down, up restores the schema for {}",
            plural(n, "version")
        )?;
    }
    if changed.is_empty() && new.is_empty() && removed.is_empty() {
        return writeln!(f, "ok: {d}: {timing}; snapshots match for {}", matched(run));
    }
    let mut parts = Vec::new();
    if !changed.is_empty() {
        parts.push(format!("changed: {}", changed.join(", ")));
    }
    if !new.is_empty() {
        parts.push(format!("new: {}", new.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("gone: {}", removed.join(", ")));
    }
    if accept {
        writeln!(f, "accepted: {d}: {timing}; {}", parts.join("; "))
    } else {
        writeln!(
            f,
            "FAILED: {d}: {timing}; {} of {} differ ({})",
            changed.len() + new.len() + removed.len(),
            plural(tables, "snapshot"),
            parts.join("; ")
        )?;
        writeln!(
            f,
            "  hint: if every change above is intended, run again with --accept and commit the snapshots"
        )
    }
}

/// How the report names a snapshot: `table users`, `the schema`, `step queries of 5`.
fn label(name: &str) -> String {
    match name.strip_prefix("@query-") {
        Some(version) => format!("step queries of {version}"),
        None if name == "@schema" => "the schema".to_string(),
        None => format!("table {name}"),
    }
}

/// "7 tables, the schema and 2 step queries": what the snapshots of a run cover.
fn matched(run: &EngineRun) -> String {
    let tables = run
        .tables
        .iter()
        .filter(|t| !t.table.starts_with('@'))
        .count();
    let queries = run
        .tables
        .iter()
        .filter(|t| t.table.starts_with("@query-"))
        .count();
    let mut parts = vec![plural(tables, "table")];
    if run.tables.iter().any(|t| t.table == "@schema") {
        parts.push("the schema".to_string());
    }
    if queries > 0 {
        parts.push(plural(queries, "step query file"));
    }
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.join(""),
    }
}

fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
