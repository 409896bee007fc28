//! The JUnit XML report, in the shape Jenkins, GitLab and GitHub test reporters read: one
//! `<testsuite>` per engine, one `<testcase>` per step, per release path and per snapshot.

use std::io;
use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::error::{EXIT_BAD_INPUT, Error};
use crate::export::{difference, step_time};
use crate::matrix::UNRELEASED;
use crate::report::{EngineRun, Outcome};
use crate::runner::Phase;
use crate::snapshot::Status;

/// One `<testcase>`.
struct Case {
    classname: String,
    name: String,
    time: Option<Duration>,
    result: Result_,
}

enum Result_ {
    Passed,
    Failure { message: String, text: String },
    Error { message: String, text: String },
    Skipped { message: String },
}

/// The JUnit XML report of `outcome`.
pub fn render(outcome: &Outcome) -> String {
    let suites: Vec<(&EngineRun, Vec<Case>)> =
        outcome.runs.iter().map(|run| (run, cases(run))).collect();
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(&mut writer, &suites).expect("writing to memory does not fail");
    let mut text = String::from_utf8(writer.into_inner()).expect("the writer wrote UTF-8");
    text.push('\n');
    text
}

fn write(w: &mut Writer<Vec<u8>>, suites: &[(&EngineRun, Vec<Case>)]) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let all: Vec<&Case> = suites.iter().flat_map(|(_, cases)| cases).collect();
    let counts = Counts::of(all.iter().copied());
    w.create_element("testsuites")
        .with_attributes([("name", "ladder")])
        .with_attributes(counts.attributes().iter().map(|(k, v)| (*k, v.as_str())))
        .write_inner_content(|w| {
            for (run, cases) in suites {
                let counts = Counts::of(cases.iter());
                w.create_element("testsuite")
                    .with_attributes([("name", format!("ladder.{}", run.dialect).as_str())])
                    .with_attributes(counts.attributes().iter().map(|(k, v)| (*k, v.as_str())))
                    .with_attributes([("time", seconds(run.total).as_str())])
                    .write_inner_content(|w| {
                        if !run.describe.is_empty() {
                            w.create_element("properties").write_inner_content(|w| {
                                w.create_element("property")
                                    .with_attributes([
                                        ("name", "where"),
                                        ("value", clean(&run.describe).as_str()),
                                    ])
                                    .write_empty()?;
                                Ok(())
                            })?;
                        }
                        for case in cases {
                            write_case(w, case)?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(w: &mut Writer<Vec<u8>>, case: &Case) -> io::Result<()> {
    let mut element = w.create_element("testcase").with_attributes([
        ("classname", clean(&case.classname).as_str()),
        ("name", clean(&case.name).as_str()),
    ]);
    if let Some(time) = case.time {
        element = element.with_attributes([("time", seconds(time).as_str())]);
    }
    match &case.result {
        Result_::Passed => {
            element.write_empty()?;
        }
        Result_::Skipped { message } => {
            element.write_inner_content(|w| {
                w.create_element("skipped")
                    .with_attributes([("message", clean(message).as_str())])
                    .write_empty()?;
                Ok(())
            })?;
        }
        Result_::Failure { message, text } | Result_::Error { message, text } => {
            let tag = match case.result {
                Result_::Error { .. } => "error",
                _ => "failure",
            };
            element.write_inner_content(|w| {
                w.create_element(tag)
                    .with_attributes([("message", clean(message).as_str())])
                    .write_text_content(BytesText::new(&clean(text)))?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn of<'a>(cases: impl Iterator<Item = &'a Case>) -> Counts {
        let mut counts = Counts::default();
        for case in cases {
            counts.tests += 1;
            match case.result {
                Result_::Passed => {}
                Result_::Failure { .. } => counts.failures += 1,
                Result_::Error { .. } => counts.errors += 1,
                Result_::Skipped { .. } => counts.skipped += 1,
            }
        }
        counts
    }

    fn attributes(&self) -> Vec<(&'static str, String)> {
        [
            ("tests", self.tests),
            ("failures", self.failures),
            ("errors", self.errors),
            ("skipped", self.skipped),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
    }
}

/// The test cases of one engine's run.
fn cases(run: &EngineRun) -> Vec<Case> {
    let d = run.dialect;
    let case = |class: &str, name: String, time: Option<Duration>, result: Result_| Case {
        classname: if class.is_empty() {
            format!("ladder.{d}")
        } else {
            format!("ladder.{d}.{class}")
        },
        name,
        time,
        result,
    };
    let mut cases = Vec::new();
    if let Some(why) = &run.skipped {
        cases.push(case(
            "",
            "run".into(),
            None,
            Result_::Skipped {
                message: why.clone(),
            },
        ));
        return cases;
    }
    for step in &run.steps {
        let result = match step.migration {
            Some(_) => Result_::Passed,
            None => {
                let only: Vec<&str> = step.only_for.iter().map(|d| d.name()).collect();
                Result_::Skipped {
                    message: format!("no migration file for {d} (only for {})", only.join(", ")),
                }
            }
        };
        cases.push(case(
            "steps",
            format!("{} {}", step.version, step.name),
            Some(step_time(step)),
            result,
        ));
    }
    if let Some(error) = &run.error {
        let text = error.to_string();
        let message = text.lines().next().unwrap_or_default().to_string();
        let (class, name) = match error {
            Error::Step(f) if f.phase == Phase::Down => {
                ("down", format!("{} {}", f.version, f.name))
            }
            Error::Step(f) if f.phase == Phase::Roundtrip => {
                ("roundtrip", format!("{} {}", f.version, f.name))
            }
            Error::Step(f) if f.phase == Phase::Fresh => ("schema", "fresh install".to_string()),
            Error::Step(f) => ("steps", format!("{} {}", f.version, f.name)),
            _ => ("", "run".to_string()),
        };
        let result = if error.exit_code() == EXIT_BAD_INPUT {
            Result_::Error { message, text }
        } else {
            Result_::Failure { message, text }
        };
        cases.push(case(class, name, None, result));
    }
    for row in run.matrix.iter().flat_map(|m| &m.rows) {
        let name = if row.release == UNRELEASED {
            "from unreleased versions to head".to_string()
        } else {
            format!("from {} to head", row.release)
        };
        let result = if row.passed() {
            Result_::Passed
        } else {
            let message = format!(
                "records of {}: {} changed, {} missing at head (tables: {})",
                row.release,
                row.changed,
                row.missing,
                row.failed_tables.join(", ")
            );
            Result_::Failure {
                text: format!(
                    "{message}\n{} records, {} alive, {} added; {} migrations on top of {}",
                    row.records, row.alive, row.added, row.migrations_on_top, row.version
                ),
                message,
            }
        };
        cases.push(case("upgrade", name, None, result));
    }
    for table in &run.tables {
        let result = if table.failed() {
            let message = match &table.status {
                Status::Changed { .. } => format!("{} changed", table.table),
                Status::New { .. } => {
                    format!("{} has no accepted snapshot ({})", table.table, table.path)
                }
                Status::Removed { .. } => {
                    format!("{} no longer exists, but {} does", table.table, table.path)
                }
                Status::Unchanged => String::new(),
            };
            Result_::Failure {
                message,
                text: difference(&table.status).unwrap_or_default(),
            }
        } else {
            Result_::Passed
        };
        cases.push(case("snapshots", table.table.clone(), None, result));
    }
    for step in run.down.iter().flatten() {
        let result = match step.migration {
            Some(_) => Result_::Passed,
            None => Result_::Skipped {
                message: "never ran on this dialect".into(),
            },
        };
        cases.push(case(
            "down",
            format!("{} {}", step.version, step.name),
            step.migration,
            result,
        ));
    }
    if let Some(path) = &run.fresh {
        cases.push(case(
            "schema",
            format!("fresh install from {path}"),
            None,
            Result_::Passed,
        ));
    }
    if let Some(n) = run.roundtrips {
        cases.push(case(
            "roundtrip",
            format!("up, down, up for {n} versions"),
            None,
            Result_::Passed,
        ));
    }
    cases
}

fn seconds(d: Duration) -> String {
    format!("{:.6}", d.as_secs_f64())
}

/// XML 1.0 cannot carry most control characters, even escaped: they become U+FFFD.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_do_not_reach_the_xml() {
        assert_eq!(clean("a\u{1}b\nc"), "a\u{fffd}b\nc");
    }

    #[test]
    fn hostile_text_is_escaped_and_outcomes_are_counted() {
        let xml = render(&crate::export::hostile_outcome());
        assert!(!xml.contains("<script>") && !xml.contains('\u{1}'), "{xml}");
        assert!(xml.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ]]&gt;"));
        assert!(xml.contains(
            "<testsuites name=\"ladder\" tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"1\">"
        ));
        assert!(
            xml.contains("<testcase classname=\"ladder.sqlite3.steps\" name=\"1 &lt;script&gt;")
        );
        assert!(xml.contains(
            "<testcase classname=\"ladder.postgres\" name=\"run\">\n      <error message=\""
        ));
        assert!(xml.contains(
            "<testcase classname=\"ladder.mysql\" name=\"run\">\n      <skipped message=\""
        ));
    }
}
