//! The JSON report: a stable, documented shape (README, "Reports") for tools to read.
//!
//! `format` is bumped when a field changes meaning or goes away; new fields may appear without.

use serde::Serialize;

use crate::export::{Extras, difference, millis, status_word};
use crate::lint::Finding;
use crate::matrix::MatrixRow;
use crate::report::{EngineRun, Outcome};
use crate::runner::StepTiming;
use crate::version::Version;

/// The version of the JSON shape.
pub const FORMAT: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    ladder: &'static str,
    format: u32,
    passed: bool,
    exit_code: i32,
    engines: Vec<Engine<'a>>,
    /// `null` when lint was not run for the report.
    lint: Option<&'a [Finding]>,
}

#[derive(Serialize)]
struct Engine<'a> {
    dialect: crate::Dialect,
    #[serde(rename = "where")]
    describe: &'a str,
    passed: bool,
    exit_code: i32,
    error: Option<String>,
    skipped: Option<&'a str>,
    steps: Vec<Step<'a>>,
    dump_ms: f64,
    total_ms: f64,
    tables: Vec<Table<'a>>,
    matrix: Option<Vec<Row<'a>>>,
    down: Option<Vec<Down<'a>>>,
    fresh: Option<&'a str>,
    roundtrips: Option<usize>,
    /// With `--from`: the dump the ladder started from.
    from: Option<FromDump<'a>>,
}

#[derive(Serialize)]
struct FromDump<'a> {
    path: &'a str,
    at: &'a Version,
    statements: usize,
    load_ms: f64,
}

#[derive(Serialize)]
struct Step<'a> {
    version: &'a Version,
    name: &'a str,
    /// `null` when the version has no migration for this dialect.
    migration_ms: Option<f64>,
    /// `null` when the version has no testdata for this dialect.
    testdata_ms: Option<f64>,
    skipped_for_dialect: bool,
    /// With `--from`: the version of the dump that stood in for this step; else `null`.
    in_dump: Option<&'a Version>,
}

#[derive(Serialize)]
struct Down<'a> {
    version: &'a Version,
    name: &'a str,
    migration_ms: Option<f64>,
    skipped_for_dialect: bool,
}

#[derive(Serialize)]
struct Table<'a> {
    table: &'a str,
    path: &'a str,
    status: &'static str,
    rows: usize,
    accepted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    row: &'a MatrixRow,
    passed: bool,
}

/// The JSON report of `outcome`, pretty-printed.
pub fn render(outcome: &Outcome, extras: Extras<'_>) -> String {
    let report = Report {
        ladder: env!("CARGO_PKG_VERSION"),
        format: FORMAT,
        passed: outcome.passed(),
        exit_code: outcome.exit_code(),
        engines: outcome.runs.iter().map(engine).collect(),
        lint: extras.lint,
    };
    let mut text =
        serde_json::to_string_pretty(&report).expect("the report serialises: string keys only");
    text.push('\n');
    text
}

fn engine(run: &EngineRun) -> Engine<'_> {
    Engine {
        dialect: run.dialect,
        describe: &run.describe,
        passed: run.passed(),
        exit_code: run.exit_code(),
        error: run.error.as_ref().map(ToString::to_string),
        skipped: run.skipped.as_deref(),
        steps: run.steps.iter().map(step).collect(),
        dump_ms: millis(run.dump_time),
        total_ms: millis(run.total),
        tables: run
            .tables
            .iter()
            .map(|t| Table {
                table: &t.table,
                path: t.path.as_str(),
                status: status_word(&t.status),
                rows: t.rows,
                accepted: t.accepted,
                diff: difference(&t.status),
            })
            .collect(),
        matrix: run.matrix.as_ref().map(|m| {
            m.rows
                .iter()
                .map(|row| Row {
                    row,
                    passed: row.passed(),
                })
                .collect()
        }),
        down: run.down.as_ref().map(|steps| {
            steps
                .iter()
                .map(|s| Down {
                    version: &s.version,
                    name: &s.name,
                    migration_ms: s.migration.map(millis),
                    skipped_for_dialect: s.migration.is_none(),
                })
                .collect()
        }),
        fresh: run.fresh.as_ref().map(|p| p.as_str()),
        roundtrips: run.roundtrips,
        from: run.from.as_ref().map(|d| FromDump {
            path: d.path.as_str(),
            at: &d.at,
            statements: d.statements,
            load_ms: millis(d.time),
        }),
    }
}

fn step(s: &StepTiming) -> Step<'_> {
    Step {
        version: &s.version,
        name: &s.name,
        migration_ms: s.migration.map(millis),
        testdata_ms: s.testdata.map(millis),
        skipped_for_dialect: s.migration.is_none() && s.in_dump.is_none(),
        in_dump: s.in_dump.as_ref(),
    }
}
