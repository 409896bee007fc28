//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs the real binary in `dir`, with CI unset so that `--accept` behaves as on a laptop.
pub fn ladder<I, S>(dir: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .output()
        .expect("the ladder binary runs")
}

/// Exit code, stdout and stderr, with timings masked.
pub fn render(output: &Output) -> String {
    let text = format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let timing = regex::Regex::new(r"\d+\.\d ms").unwrap();
    timing.replace_all(&text, "[ms]").into_owned()
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the example product (migrations, testdata, accepted snapshots, ladder.toml).
pub fn example() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    for dir in ["migrations", "testdata", "snapshots"] {
        copy_dir(&root.join(dir), &work.path().join(dir));
    }
    std::fs::copy(root.join("ladder.toml"), work.path().join("ladder.toml")).unwrap();
    work
}

/// The SQL that brings an empty database of `dialect` to `at`, as a user of that release would
/// have it: each migration up to `at` followed by its testdata, statement by statement (with
/// each statement's text, ready to execute).
pub fn example_statements_up_to(dialect: ladder::Dialect, at: &str) -> Vec<String> {
    let root = camino::Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
    let plan = ladder::discover::discover(&root.join("migrations"), Some(&root.join("testdata")))
        .expect("the example product's plan");
    let at = ladder::Version::parse(at).expect("a version");
    let mut statements = Vec::new();
    for step in plan.steps.iter().filter(|s| s.version <= at) {
        for script in [step.up_for(dialect), step.testdata_for(dialect)]
            .into_iter()
            .flatten()
        {
            statements.extend(
                ladder::sql::split(&script.sql, dialect)
                    .into_iter()
                    .map(|s| s.sql),
            );
        }
    }
    statements
}

/// Copies the seeded ladder's accepted snapshots to where a `--from` run of a dump at `at`
/// keeps its own: the same records, those of versions up to `at` now coming from the dump
/// (`"@version": "dump at <at>"`).
pub fn copy_snapshots_as_dump(from: &Path, to: &Path, at: &str) {
    let version = regex::Regex::new(r#""@version": "(\d+)""#).unwrap();
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = version.replace_all(&text, |caps: &regex::Captures<'_>| {
            let v = &caps[1];
            // Same-length timestamps compare as numbers do.
            if v.len() == at.len() && v <= at {
                format!(r#""@version": "dump at {at}""#)
            } else {
                caps[0].to_string()
            }
        });
        std::fs::write(to.join(path.file_name().unwrap()), text.as_bytes()).unwrap();
    }
}

/// An external program a test needs (`xmllint`, `chromium`): its path, or `None` after
/// printing `skipped: …`. With LADDER_REQUIRE_TOOLS=1 (as in CI) a missing tool fails the test.
pub fn tool(name: &str, package: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let why = format!(
            "{name} is not installed (Debian package {package}; `make test-tools` installs it)"
        );
        if std::env::var("LADDER_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
            panic!("{why}, and LADDER_REQUIRE_TOOLS=1 requires it");
        }
        println!("skipped: {why}");
    }
    found
}

/// Validates a JUnit report against tests/junit.xsd with xmllint (failing the test when it does
/// not validate); false when xmllint is missing and not required.
pub fn validates(xml: &str) -> bool {
    let Some(xmllint) = tool("xmllint", "libxml2-utils") else {
        return false;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).unwrap();
    let output = Command::new(xmllint)
        .args(["--noout", "--schema"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/junit.xsd"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the JUnit report does not validate:\n{}\n{xml}",
        String::from_utf8_lossy(&output.stderr)
    );
    true
}
