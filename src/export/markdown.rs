//! The Markdown report: a summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write;

use crate::export::{Extras, difference, result_word, status_word, step_time};
use crate::matrix::{Matrix, UNRELEASED};
use crate::report::{EngineRun, Outcome, ms};

/// The Markdown report of `outcome`.
pub fn render(outcome: &Outcome, extras: Extras<'_>) -> String {
    let mut out = String::new();
    let verdict = if outcome.passed() {
        "✅ passed"
    } else {
        "❌ FAILED"
    };
    line(&mut out, format_args!("# ladder: {verdict}\n"));
    line(
        &mut out,
        format_args!("| engine | result | migrations | time | dump |"),
    );
    line(&mut out, format_args!("| --- | --- | ---: | ---: | ---: |"));
    for run in &outcome.runs {
        let (steps, time, dump) = if run.skipped.is_some() {
            (String::new(), String::new(), String::new())
        } else {
            (
                run.steps.len().to_string(),
                ms(run.total),
                ms(run.dump_time),
            )
        };
        line(
            &mut out,
            format_args!(
                "| {} | {} | {steps} | {time} | {dump} |",
                run.dialect,
                result_word(run)
            ),
        );
    }
    for run in &outcome.runs {
        engine(&mut out, run);
    }
    if let Some(findings) = extras.lint {
        line(&mut out, format_args!("\n## Lint\n"));
        if findings.is_empty() {
            line(&mut out, format_args!("No risky statements found."));
        } else {
            line(
                &mut out,
                format_args!(
                    "<details><summary>{} risky statement{} (<code>ladder lint</code>; informational here, they do not fail the run)</summary>\n",
                    findings.len(),
                    if findings.len() == 1 { "" } else { "s" }
                ),
            );
            line(
                &mut out,
                format_args!("| file | rule | dialect | why | statement |"),
            );
            line(&mut out, format_args!("| --- | --- | --- | --- | --- |"));
            for f in findings {
                line(
                    &mut out,
                    format_args!(
                        "| `{}:{}` | `{}` | {} | {} | {} |",
                        f.path,
                        f.line,
                        f.rule,
                        f.dialect,
                        cell(&f.message),
                        code(&f.statement)
                    ),
                );
            }
            line(&mut out, format_args!("\n</details>"));
        }
    }
    out
}

fn engine(out: &mut String, run: &EngineRun) {
    let d = run.dialect;
    line(out, format_args!("\n## {d}: {}\n", result_word(run)));
    if let Some(why) = &run.skipped {
        line(out, format_args!("Skipped: {}", cell(why)));
        return;
    }
    if !run.describe.is_empty() {
        line(
            out,
            format_args!(
                "On {}: {} migrations in {}, dump {}, total {}.",
                cell(&run.describe),
                run.steps.len(),
                ms(run.total.saturating_sub(run.dump_time)),
                ms(run.dump_time),
                ms(run.total)
            ),
        );
    }
    if let Some(error) = &run.error {
        line(out, format_args!("\n{}", fence("text", &error.to_string())));
    }
    if !run.steps.is_empty() {
        line(
            out,
            format_args!("\n<details><summary>{} steps</summary>\n", run.steps.len()),
        );
        line(
            out,
            format_args!("| version | name | migration | testdata |"),
        );
        line(out, format_args!("| --- | --- | ---: | ---: |"));
        for step in &run.steps {
            let migration = step
                .migration
                .map_or_else(|| "skipped for this dialect".to_string(), ms);
            let testdata = step.testdata.map_or_else(String::new, ms);
            line(
                out,
                format_args!(
                    "| {} | {} | {migration} | {testdata} |",
                    step.version,
                    cell(&step.name)
                ),
            );
        }
        let total: std::time::Duration = run.steps.iter().map(step_time).sum();
        line(
            out,
            format_args!("\nSteps together: {}.\n\n</details>", ms(total)),
        );
    }
    if let Some(matrix) = &run.matrix {
        matrix_table(out, matrix);
    }
    let differing: Vec<_> = run
        .tables
        .iter()
        .filter(|t| difference(&t.status).is_some())
        .collect();
    if !differing.is_empty() {
        line(out, format_args!("\n### Snapshots that differ\n"));
        for table in differing {
            let accepted = if table.accepted { " (accepted)" } else { "" };
            line(
                out,
                format_args!(
                    "<details><summary><code>{}</code> {}{accepted}</summary>\n",
                    html(&table.table),
                    status_word(&table.status)
                ),
            );
            let diff = difference(&table.status).unwrap_or_default();
            line(out, format_args!("{}\n\n</details>", fence("diff", &diff)));
        }
    } else if run.error.is_none() {
        line(
            out,
            format_args!("\nAll {} snapshots match.", run.tables.len()),
        );
    }
    let mut checks = Vec::new();
    if let Some(down) = &run.down {
        let n = down.iter().filter(|s| s.migration.is_some()).count();
        checks.push(format!("walked down through {n} down migrations to zero"));
    }
    if let Some(path) = &run.fresh {
        checks.push(format!(
            "a fresh install from `{path}` matches the upgraded schema"
        ));
    }
    if let Some(n) = run.roundtrips {
        checks.push(format!("up, down, up restores the schema for {n} versions"));
    }
    for check in checks {
        line(out, format_args!("- ok: {}", cell(&check)));
    }
}

fn matrix_table(out: &mut String, matrix: &Matrix) {
    line(
        out,
        format_args!(
            "\n### Upgrade matrix\n\nEach release's records at head, against the accepted snapshots.\n"
        ),
    );
    line(
        out,
        format_args!(
            "| release | shipped up to | migrations on top | records | alive | changed | missing | result |"
        ),
    );
    line(
        out,
        format_args!("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"),
    );
    for r in &matrix.rows {
        let shipped = if r.release == UNRELEASED {
            "(not shipped)".to_string()
        } else {
            r.version.to_string()
        };
        let result = if r.passed() {
            "ok".to_string()
        } else {
            format!("**FAILED** ({})", cell(&r.failed_tables.join(", ")))
        };
        line(
            out,
            format_args!(
                "| {} | {shipped} | {} | {} | {} | {} | {} | {result} |",
                cell(&r.release),
                r.migrations_on_top,
                r.records,
                r.alive,
                r.changed,
                r.missing
            ),
        );
    }
}

fn line(out: &mut String, args: std::fmt::Arguments<'_>) {
    let _ = writeln!(out, "{args}");
}

/// Text made safe for a table cell: no HTML, no column breaks, one line.
fn cell(text: &str) -> String {
    html(text).replace('|', "\\|").replace('\n', " ")
}

/// Text made safe inside HTML (a `<summary>`) or Markdown that renders HTML.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Inline code in a table cell; backticks inside become a longer delimiter.
fn code(text: &str) -> String {
    let ticks = "`".repeat(longest_run(text, '`') + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{}{pad}{ticks}", text.replace('|', "\\|"))
}

/// A fenced block that no backtick run inside `text` can close early.
fn fence(info: &str, text: &str) -> String {
    let fence = "`".repeat((longest_run(text, '`') + 1).max(3));
    format!("{fence}{info}\n{}\n{fence}", text.trim_end())
}

fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut now) = (0, 0);
    for ch in text.chars() {
        now = if ch == c { now + 1 } else { 0 };
        best = best.max(now);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_and_cells_cannot_be_broken_out_of() {
        assert_eq!(fence("diff", "a\n```\nb"), "````diff\na\n```\nb\n````");
        assert_eq!(cell("a|b <script>"), "a\\|b &lt;script&gt;");
        assert_eq!(code("x `y`"), "`` x `y` ``");
    }

    #[test]
    fn hostile_text_stays_text() {
        let md = render(&crate::export::hostile_outcome(), Extras::default());
        // Inside fences, text is shown as it is; outside them no markup gets through.
        assert!(md.contains("```diff\n-<script>alert"), "{md}");
        let outside: String = md.split("```").step_by(2).collect();
        assert!(!outside.contains("<script>"), "{outside}");
        assert!(outside.contains("&lt;script&gt;"), "{outside}");
    }
}
