//! `ladder run --report KIND=FILE`: each format, read back the way its consumer reads it (JSON
//! parsed, JUnit validated against a schema, Markdown reviewed as a snapshot, HTML rendered in
//! headless Chromium).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

use common::{copy_dir, example, render, tool, validates};
use serde_json::Value;

const RELEASES: [&str; 6] = [
    "v1.0.0",
    "v1.1.0",
    "v2.0.0",
    "v2.1.0",
    "v3.0.0",
    "unreleased",
];

/// Runs the real binary in `dir` with `args`, neither CI nor LADDER_REQUIRE_SERVERS set.
fn ladder(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .env_remove("LADDER_REQUIRE_SERVERS")
        .output()
        .expect("the ladder binary runs")
}

/// Runs `ladder run ARGS --report KIND=<tmp>/report` in `dir`; the report's text and the output.
fn report(dir: &Path, kind: &str, args: &[&str]) -> (String, Output, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join(format!("report.{kind}"));
    let spec = format!("{kind}={}", file.display());
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend(["--report", &spec]);
    let output = ladder(dir, &all);
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no {kind} report ({e}):\n{}", render(&output)));
    (text, output, out)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The example product with one value of the oldest release's testdata changed: the run fails
/// with a diff of identity_addresses, and the v1.0.0 row of the matrix fails.
fn failing_example() -> tempfile::TempDir {
    let work = example();
    edit(
        &work.path().join("testdata/20230112093015.sql"),
        "'jose.alvarez@example.com'",
        "'jose.alvarez@example.net'",
    );
    work
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

#[test]
fn json_report_of_the_example_product_has_the_documented_shape() {
    let (text, output, _dir) = report(&root(), "json", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        keys(&json),
        ["engines", "exit_code", "format", "ladder", "lint", "passed"]
    );
    assert_eq!(json["ladder"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["format"], 1);
    assert_eq!(json["passed"], true);
    assert_eq!(json["exit_code"], 0);
    let engines = json["engines"].as_array().unwrap();
    assert_eq!(engines.len(), 1);
    let sqlite = &engines[0];
    assert_eq!(
        keys(sqlite),
        [
            "dialect",
            "down",
            "dump_ms",
            "error",
            "exit_code",
            "fresh",
            "from",
            "matrix",
            "passed",
            "roundtrips",
            "skipped",
            "steps",
            "tables",
            "total_ms",
            "where"
        ]
    );
    assert_eq!(sqlite["dialect"], "sqlite3");
    assert_eq!(sqlite["where"], "sqlite3 (embedded, in memory)");
    assert_eq!(sqlite["passed"], true);
    assert_eq!(sqlite["error"], Value::Null);
    assert_eq!(sqlite["skipped"], Value::Null);
    let steps = sqlite["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 17);
    assert_eq!(steps[0]["version"], "20230112093015");
    assert_eq!(steps[0]["name"], "create_users");
    let mut step_ms = 0.0;
    for step in steps {
        assert_eq!(
            keys(step),
            [
                "in_dump",
                "migration_ms",
                "name",
                "skipped_for_dialect",
                "testdata_ms",
                "version"
            ]
        );
        let migration = step["migration_ms"].as_f64().unwrap();
        assert!(migration > 0.0, "{step}");
        assert_eq!(step["skipped_for_dialect"], false);
        step_ms += migration + step["testdata_ms"].as_f64().unwrap_or(0.0);
    }
    // The one version that ships no testdata.
    let no_testdata: Vec<&Value> = steps
        .iter()
        .filter(|s| s["testdata_ms"].is_null())
        .map(|s| &s["name"])
        .collect();
    assert_eq!(no_testdata, ["sessions_token_unique"]);
    let total = sqlite["total_ms"].as_f64().unwrap();
    let dump = sqlite["dump_ms"].as_f64().unwrap();
    assert!(
        dump > 0.0 && total >= step_ms + dump,
        "{total} {step_ms} {dump}"
    );

    let tables = sqlite["tables"].as_array().unwrap();
    let names: Vec<&str> = tables
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"identities") && names.contains(&"@schema"),
        "{names:?}"
    );
    for table in tables {
        assert_eq!(table["status"], "unchanged", "{table}");
        assert!(table.get("diff").is_none(), "{table}");
    }
    let identities = tables.iter().find(|t| t["table"] == "identities").unwrap();
    assert_eq!(identities["path"], "snapshots/sqlite3/identities.snap");
    assert!(identities["rows"].as_u64().unwrap() >= 5, "{identities}");

    let matrix = sqlite["matrix"].as_array().unwrap();
    let releases: Vec<&str> = matrix
        .iter()
        .map(|r| r["release"].as_str().unwrap())
        .collect();
    assert_eq!(releases, RELEASES);
    assert_eq!(
        keys(&matrix[0]),
        [
            "added",
            "alive",
            "changed",
            "failed_tables",
            "migrations_on_top",
            "missing",
            "passed",
            "records",
            "release",
            "version"
        ]
    );
    assert_eq!(matrix[0]["version"], "20230317100402");
    assert_eq!(matrix[0]["migrations_on_top"], 14);
    assert!(
        matrix
            .iter()
            .all(|r| r["passed"] == true && r["records"] == r["alive"])
    );
    assert_eq!(sqlite["down"], Value::Null);
    assert_eq!(sqlite["fresh"], Value::Null);
    assert_eq!(sqlite["roundtrips"], Value::Null);

    let lint = json["lint"].as_array().unwrap();
    assert!(
        lint.iter().any(|f| f["rule"] == "add-unique"
            && f["path"] == "migrations/20240812100230_sessions_token_unique.up.sql"),
        "{lint:?}"
    );
}

#[test]
fn json_report_of_a_failing_run_is_written_and_carries_the_diff() {
    let work = failing_example();
    let (text, output, _dir) = report(work.path(), "json", &["--down"]);
    assert_eq!(output.status.code(), Some(1), "{}", render(&output));
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (&json["passed"], &json["exit_code"]),
        (&Value::Bool(false), &1.into())
    );
    let sqlite = &json["engines"][0];
    assert_eq!(sqlite["passed"], false);
    let changed: Vec<&Value> = sqlite["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] != "unchanged")
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["table"], "identity_addresses");
    assert_eq!(changed[0]["status"], "changed");
    let diff = changed[0]["diff"].as_str().unwrap();
    assert!(
        diff.contains("-    \"address\": \"jose.alvarez@example.com\""),
        "{diff}"
    );
    assert!(
        diff.contains("+    \"address\": \"jose.alvarez@example.net\""),
        "{diff}"
    );
    let failed: Vec<&Value> = sqlite["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| &r["release"])
        .collect();
    assert_eq!(failed, ["v1.0.0"]);
    let down = sqlite["down"].as_array().unwrap();
    assert_eq!(down.len(), 17);
    assert_eq!(down[0]["version"], "20241105160003");
}

#[test]
fn junit_schema_rejects_what_it_should() {
    // Guards the guard: a schema that accepted anything would make the tests below pointless.
    let broken = "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"x\" tests=\"one\">\
                  <testcase/></testsuite></testsuites>\n";
    let Some(xmllint) = tool("xmllint", "libxml2-utils") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.xml");
    std::fs::write(&file, broken).unwrap();
    let output = Command::new(xmllint)
        .args(["--noout", "--schema"])
        .arg(root().join("tests/junit.xsd"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'tests'") && stderr.contains("'name'"),
        "{stderr}"
    );
}

#[test]
fn junit_report_of_the_example_product_validates() {
    // An unreachable optional server: its engine is reported as skipped.
    let (xml, output, _dir) = report(
        &root(),
        "junit",
        &[
            "--db",
            "sqlite",
            "--db-if-reachable",
            "postgres://nobody@127.0.0.1:1/x",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
    assert!(
        xml.contains("<testsuite name=\"ladder.sqlite3\" tests=\"31\" failures=\"0\" errors=\"0\" skipped=\"0\""),
        "{xml}"
    );
    assert_eq!(
        xml.matches("<testcase classname=\"ladder.sqlite3.steps\"")
            .count(),
        17
    );
    assert!(xml.contains(
        "<testcase classname=\"ladder.sqlite3.steps\" name=\"20230112093015 create_users\" time=\"0."
    ));
    for release in &RELEASES[..5] {
        let case = format!("classname=\"ladder.sqlite3.upgrade\" name=\"from {release} to head\"");
        assert!(xml.contains(&case), "{case}\n{xml}");
    }
    assert!(xml.contains("classname=\"ladder.sqlite3.snapshots\" name=\"identities\""));
    assert!(xml.contains("<testsuite name=\"ladder.postgres\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\""), "{xml}");
    assert!(
        xml.contains("<skipped message=\"postgres://nobody@127.0.0.1:1/x: "),
        "{xml}"
    );
    assert!(!xml.contains("<failure"), "{xml}");
    validates(&xml);
}

#[test]
fn junit_report_of_a_failing_run_has_failures_and_validates() {
    let work = failing_example();
    let (xml, output, _dir) = report(work.path(), "junit", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", render(&output));
    assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
    assert!(
        xml.contains("<testsuite name=\"ladder.sqlite3\" tests=\"31\" failures=\"2\""),
        "{xml}"
    );
    // The diff is the failure's text, its quotes escaped as XML needs.
    assert!(
        xml.contains("<failure message=\"identity_addresses changed\">"),
        "{xml}"
    );
    assert!(
        xml.contains("-    &quot;address&quot;: &quot;jose.alvarez@example.com&quot;"),
        "{xml}"
    );
    assert!(
        xml.contains("<failure message=\"records of v1.0.0: 1 changed, 0 missing at head (tables: identity_addresses)\">"),
        "{xml}"
    );
    validates(&xml);
}

#[test]
fn junit_report_of_a_failing_migration_names_the_step_and_validates() {
    let work = tempfile::tempdir().unwrap();
    copy_dir(
        &root().join("tests/fixtures/failing_migration"),
        work.path(),
    );
    let (xml, output, _dir) = report(work.path(), "junit", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", render(&output));
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(xml.contains("classname=\"ladder.sqlite3.steps\""), "{xml}");
    validates(&xml);
}

#[test]
fn markdown_report_of_a_failing_run() {
    let work = tempfile::tempdir().unwrap();
    copy_dir(&root().join("tests/fixtures/ok_sqlx"), work.path());
    edit(&work.path().join("testdata/1.sql"), "'Ann'", "'Anne'");
    let output = ladder(work.path(), &["run", "--report", "markdown=report.md"]);
    assert_eq!(output.status.code(), Some(1), "{}", render(&output));
    let text = std::fs::read_to_string(work.path().join("report.md")).unwrap();
    let timing = regex::Regex::new(r"\d+\.\d ms").unwrap();
    insta::assert_snapshot!(timing.replace_all(&text, "[ms]"));
}

#[test]
fn a_bad_report_kind_is_a_usage_error_listing_the_kinds() {
    let output = ladder(&root(), &["run", "--report", "xml=out.xml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown report kind `xml`; expected one of json, junit, markdown, html"),
        "{stderr}"
    );
}

#[test]
fn a_report_that_cannot_be_written_names_the_file_and_exits_2() {
    let work = tempfile::tempdir().unwrap();
    copy_dir(&root().join("tests/fixtures/ok_sqlx"), work.path());
    let output = ladder(work.path(), &["run", "--report", "json=no/such/dir/r.json"]);
    assert_eq!(output.status.code(), Some(2), "{}", render(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "error: failed to write report no/such/dir/r.json: No such file or directory"
        ),
        "{stderr}"
    );
}

/// Renders `html` in headless Chromium: the DOM it built, and a screenshot's pixels.
fn chromium(html: &str) -> Option<(String, png::Decoder<std::io::Cursor<Vec<u8>>>)> {
    let chromium = tool("chromium", "chromium")?;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
    let url = format!("file://{}", page.display());
    let run = |extra: &[&str]| {
        let output = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
            ])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .args(extra)
            .arg(&url)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "chromium failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let dom = String::from_utf8(run(&["--dump-dom"]).stdout).unwrap();
    let shot = dir.path().join("shot.png");
    run(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1200,1600",
    ]);
    let png = std::fs::read(&shot).unwrap();
    Some((dom, png::Decoder::new(std::io::Cursor::new(png))))
}

/// How many pixels of the screenshot have exactly this colour.
fn pixels(decoder: png::Decoder<std::io::Cursor<Vec<u8>>>, rgb: [u8; 3]) -> usize {
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p[..3] == rgb)
        .count()
}

#[test]
fn html_report_renders_the_chart_and_the_matrix() {
    let (html, output, _dir) = report(&root(), "html", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    // Self-contained: nothing to fetch (the one URL is the SVG namespace).
    assert!(!html.contains("src=") && !html.contains("href="), "{html}");
    assert_eq!(html.matches("http").count(), 1, "{html}");
    let Some((dom, shot)) = chromium(&html) else {
        return;
    };
    // One bar per step, each titled with its step.
    assert_eq!(dom.matches("<rect class=\"bar\"").count(), 17, "{dom}");
    assert!(
        dom.contains("<title>sqlite3: 20230112093015 create_users: "),
        "{dom}"
    );
    let rows: Vec<&str> = dom
        .split("<tr class=\"release\"><td>")
        .skip(1)
        .map(|r| r.split('<').next().unwrap())
        .collect();
    assert_eq!(rows, RELEASES);
    assert_eq!(dom.matches("<td class=\"ok\">ok</td>").count(), 6);
    // The bars (#1f77b4) and the green ok cells (#dafbe1) are on the screen.
    let bars = pixels(shot, [0x1f, 0x77, 0xb4]);
    assert!(bars > 17 * 50, "{bars} bar pixels");
}

#[test]
fn html_report_of_a_failing_run_colours_the_failed_release() {
    let work = failing_example();
    let (html, output, _dir) = report(work.path(), "html", &[]);
    assert_eq!(output.status.code(), Some(1), "{}", render(&output));
    let Some((dom, shot)) = chromium(&html) else {
        return;
    };
    assert!(
        dom.contains("<td class=\"failed\">FAILED (identity_addresses)</td>"),
        "{dom}"
    );
    assert_eq!(dom.matches("<td class=\"ok\">ok</td>").count(), 5);
    // The diff is shown as text, its quotes and markup escaped.
    assert!(
        dom.contains("-    \"address\": \"jose.alvarez@example.com\""),
        "{dom}"
    );
    let red = pixels(shot, [0xff, 0xeb, 0xe9]);
    assert!(red > 500, "{red} pixels of the failed cell's colour");
}
