//! Reports in the forms CI and pull requests read: JSON, JUnit XML, Markdown and HTML, each
//! rendered from an [`Outcome`] and written to a file atomically.
//!
//! One format per file: [`json`], [`junit`], [`markdown`], [`html`]; this one names them and
//! writes the files.

pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;

use std::fmt;
use std::io::Write;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::Error;
use crate::lint::Finding;
use crate::report::{EngineRun, Outcome};
use crate::runner::StepTiming;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Json,
    Junit,
    Markdown,
    Html,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Json, Kind::Junit, Kind::Markdown, Kind::Html];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Json => "json",
            Kind::Junit => "junit",
            Kind::Markdown => "markdown",
            Kind::Html => "html",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One report to write: `--report KIND=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    pub kind: Kind,
    pub path: Utf8PathBuf,
}

impl ReportFile {
    /// Parses `KIND=FILE`; the error lists the kinds.
    pub fn parse(spec: &str) -> Result<ReportFile, String> {
        let kinds = Kind::ALL.map(Kind::name).join(", ");
        let Some((kind, path)) = spec.split_once('=') else {
            return Err(format!(
                "expected KIND=FILE, where KIND is one of {kinds} (e.g. junit=target/ladder.xml)"
            ));
        };
        let Some(kind) = Kind::from_name(kind) else {
            return Err(format!(
                "unknown report kind `{kind}`; expected one of {kinds}"
            ));
        };
        if path.is_empty() {
            return Err(format!("no file named after `{kind}=`"));
        }
        Ok(ReportFile {
            kind,
            path: path.into(),
        })
    }
}

/// What a report shows besides the run itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// Lint findings for the dialects that ran, when they were looked for.
    pub lint: Option<&'a [Finding]>,
}

/// Renders `outcome` in the format `kind`.
pub fn render(kind: Kind, outcome: &Outcome, extras: Extras<'_>) -> String {
    match kind {
        Kind::Json => json::render(outcome, extras),
        Kind::Junit => junit::render(outcome),
        Kind::Markdown => markdown::render(outcome, extras),
        Kind::Html => html::render(outcome),
    }
}

/// Renders each report and writes it; every file is attempted, and the first error returned.
pub fn write_all(
    outcome: &Outcome,
    reports: &[ReportFile],
    extras: Extras<'_>,
) -> Result<(), Error> {
    let mut first = None;
    for report in reports {
        let text = render(report.kind, outcome, extras);
        if let Err(e) = write_atomically(&report.path, &text) {
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`, so a reader
/// never sees half a report.
pub fn write_atomically(path: &Utf8Path, text: &str) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_str().is_empty() => dir,
        _ => Utf8Path::new("."),
    };
    // tempfile names its own temporary path in errors; the report's path is the one to show.
    let plain = |e: std::io::Error| match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => e,
    };
    let mut file = tempfile::Builder::new()
        .prefix(".ladder-report")
        // Like any file the user writes (umask applies), not tempfile's private 0600.
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| Error::io("write report", path)(plain(e)))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(Error::io("write report", path))?;
    file.persist(path)
        .map_err(|e| Error::io("write report", path)(plain(e.error)))?;
    Ok(())
}

/// Milliseconds as a number, rounded to a microsecond.
pub(crate) fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// A step's time: its migration and its testdata.
pub(crate) fn step_time(step: &StepTiming) -> Duration {
    step.migration.unwrap_or_default() + step.testdata.unwrap_or_default()
}

/// The engine's one-line result: `passed`, `FAILED`, `skipped`, `accepted`.
pub(crate) fn result_word(run: &EngineRun) -> &'static str {
    if run.skipped.is_some() {
        "skipped"
    } else if !run.passed() {
        "FAILED"
    } else if run.tables.iter().any(|t| t.accepted) {
        "accepted"
    } else {
        "passed"
    }
}

/// The text of a snapshot difference: the unified diff, or the new body as added lines.
pub(crate) fn difference(status: &crate::snapshot::Status) -> Option<String> {
    use crate::snapshot::Status;
    match status {
        Status::Unchanged => None,
        Status::Changed { diff } | Status::Removed { diff } => Some(diff.clone()),
        Status::New { body } => Some(body.lines().map(|l| format!("+{l}\n")).collect()),
    }
}

/// The status word of a snapshot: `unchanged`, `changed`, `new`, `removed`.
pub(crate) fn status_word(status: &crate::snapshot::Status) -> &'static str {
    use crate::snapshot::Status;
    match status {
        Status::Unchanged => "unchanged",
        Status::Changed { .. } => "changed",
        Status::New { .. } => "new",
        Status::Removed { .. } => "removed",
    }
}

/// An outcome with hostile text in every place a report shows text: a failed and a skipped
/// engine beside one whose snapshot changed.
#[cfg(test)]
pub(crate) fn hostile_outcome() -> Outcome {
    use crate::dialect::Dialect;
    use crate::snapshot::{Status, TableResult};
    use crate::version::Version;
    let evil = "<script>alert(\"x\")</script> & ]]> \u{1}";
    let step = StepTiming {
        version: Version::parse("1").expect("1 is a version"),
        name: evil.into(),
        migration: Some(Duration::from_micros(1500)),
        only_for: Vec::new(),
        testdata: None,
        in_dump: None,
    };
    let run = |dialect| EngineRun {
        dialect,
        describe: evil.into(),
        steps: vec![step.clone()],
        dump_time: Duration::from_millis(1),
        tables: Vec::new(),
        error: None,
        skipped: None,
        down: None,
        fresh: None,
        roundtrips: None,
        matrix: None,
        from: None,
        total: Duration::from_millis(3),
    };
    let mut changed = run(Dialect::Sqlite3);
    changed.tables.push(TableResult {
        table: evil.into(),
        path: "snapshots/sqlite3/t.snap".into(),
        rows: 1,
        status: Status::Changed {
            diff: format!("-{evil}\n+ok\n"),
        },
        accepted: false,
    });
    let mut failed = run(Dialect::Postgres);
    failed.error = Some(Error::Usage(evil.into()));
    let mut skipped = run(Dialect::Mysql);
    skipped.steps.clear();
    skipped.skipped = Some(evil.into());
    Outcome {
        runs: vec![changed, failed, skipped],
        accept: false,
        snapshots: "snapshots".into(),
        releases_configured: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_specs_parse_and_bad_kinds_list_the_kinds() {
        assert_eq!(
            ReportFile::parse("junit=out/ladder.xml"),
            Ok(ReportFile {
                kind: Kind::Junit,
                path: "out/ladder.xml".into()
            })
        );
        let err = ReportFile::parse("xml=out.xml").unwrap_err();
        assert!(err.contains("json, junit, markdown, html"), "{err}");
        assert!(ReportFile::parse("json").is_err());
        assert!(ReportFile::parse("json=").is_err());
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8PathBuf::from_path_buf(dir.path().join("r.json")).unwrap();
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let missing = path.with_file_name("no/such/dir/r.json");
        let err = write_atomically(&missing, "x").unwrap_err().to_string();
        assert!(err.contains("no/such/dir/r.json"), "{err}");
    }
}
