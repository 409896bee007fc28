//! The HTML report: one self-contained page (inline CSS and SVG, nothing fetched) with a
//! per-step timing chart and each engine's upgrade matrix.

use std::fmt::Write;
use std::time::Duration;

use quick_xml::escape::escape;

use crate::export::{difference, result_word, status_word, step_time};
use crate::matrix::{Matrix, UNRELEASED};
use crate::report::{EngineRun, Outcome, ms};

/// One colour per engine, in the order the engines were given.
const COLOURS: [&str; 6] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
];

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
h1 .passed { color: #1a7f37; } h1 .failed { color: #cf222e; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #d0d7de; padding: 0.3em 0.7em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th { background: #f6f8fa; }
td.ok { background: #dafbe1; color: #116329; }
td.failed { background: #ffebe9; color: #a40e26; font-weight: bold; }
td.skipped { background: #fff8c5; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; }
.legend span { display: inline-block; margin-right: 1.5em; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: -0.1em; }
svg text { font-size: 12px; fill: #222; }
svg .label { font-family: ui-monospace, monospace; }
";

/// The HTML report of `outcome`.
pub fn render(outcome: &Outcome) -> String {
    let mut out = String::new();
    let (class, verdict) = if outcome.passed() {
        ("passed", "passed")
    } else {
        ("failed", "FAILED")
    };
    put(
        &mut out,
        format_args!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>ladder: {verdict}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <h1>ladder: <span class=\"{class}\">{verdict}</span></h1>\n\
             <p>ladder {} · exit code {}</p>",
            env!("CARGO_PKG_VERSION"),
            outcome.exit_code()
        ),
    );
    put(
        &mut out,
        format_args!(
            "<table id=\"engines\">\n<tr><th>engine</th><th>where</th><th>result</th>\
             <th>migrations</th><th>time</th><th>dump</th></tr>"
        ),
    );
    for run in &outcome.runs {
        let word = result_word(run);
        let class = match word {
            "FAILED" => "failed",
            "skipped" => "skipped",
            _ => "ok",
        };
        let where_ = run.skipped.as_deref().unwrap_or(&run.describe);
        put(
            &mut out,
            format_args!(
                "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{word}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                run.dialect,
                escape(where_),
                run.steps.len(),
                ms(run.total),
                ms(run.dump_time)
            ),
        );
    }
    put(&mut out, format_args!("</table>"));
    chart(&mut out, outcome);
    for run in &outcome.runs {
        engine(&mut out, run);
    }
    put(&mut out, format_args!("</body>\n</html>"));
    out
}

/// Horizontal bars, one group per step, one bar per engine in each group.
fn chart(out: &mut String, outcome: &Outcome) {
    let runs: Vec<(usize, &EngineRun)> = outcome
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.steps.is_empty())
        .collect();
    if runs.is_empty() {
        return;
    }
    // The steps in version order, as any engine took them.
    let mut steps: Vec<(&crate::Version, &str)> = runs
        .iter()
        .flat_map(|(_, r)| r.steps.iter().map(|s| (&s.version, s.name.as_str())))
        .collect();
    steps.sort();
    steps.dedup_by(|a, b| a.0 == b.0);
    let longest = runs
        .iter()
        .flat_map(|(_, r)| r.steps.iter().map(step_time))
        .max()
        .unwrap_or_default()
        .max(Duration::from_micros(1));
    let (label_width, bar_space, bar, gap) = (330.0, 560.0, 11.0, 2.0);
    let group = runs.len() as f64 * (bar + gap) + 8.0;
    let height = steps.len() as f64 * group + 24.0;
    put(
        out,
        format_args!(
            "<h2>Time per step</h2>\n<p>Migration and testdata together, per engine.</p>\n<p class=\"legend\">"
        ),
    );
    for (i, run) in &runs {
        put(
            out,
            format_args!(
                "<span><i style=\"background:{}\"></i>{}</span>",
                COLOURS[i % COLOURS.len()],
                run.dialect
            ),
        );
    }
    put(
        out,
        format_args!(
            "</p>\n<svg id=\"timings\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" \
             role=\"img\" aria-label=\"time per step and engine\">",
            label_width + bar_space + 90.0
        ),
    );
    for (row, (version, name)) in steps.iter().enumerate() {
        let top = row as f64 * group + 4.0;
        let mut label = format!("{version} {name}");
        if label.chars().count() > 44 {
            label = label.chars().take(43).collect::<String>() + "…";
        }
        put(
            out,
            format_args!(
                "<text class=\"label\" x=\"0\" y=\"{:.1}\">{}</text>",
                top + (group - 8.0) / 2.0 + 4.0,
                escape(&label)
            ),
        );
        for (slot, (i, run)) in runs.iter().enumerate() {
            let Some(step) = run.steps.iter().find(|s| s.version == **version) else {
                continue;
            };
            let time = step_time(step);
            let width = (time.as_secs_f64() / longest.as_secs_f64() * bar_space).max(1.0);
            let y = top + slot as f64 * (bar + gap);
            let skipped = if step.migration.is_none() {
                " skipped"
            } else {
                ""
            };
            put(
                out,
                format_args!(
                    "<rect class=\"bar{skipped}\" data-engine=\"{}\" data-version=\"{}\" x=\"{label_width}\" \
                     y=\"{y:.1}\" width=\"{width:.1}\" height=\"{bar}\" fill=\"{}\">\
                     <title>{}: {} {}: {}</title></rect>\
                     <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    run.dialect,
                    escape(step.version.to_string()),
                    COLOURS[i % COLOURS.len()],
                    run.dialect,
                    escape(step.version.to_string()),
                    escape(&step.name),
                    ms(time),
                    label_width + width + 4.0,
                    y + bar - 1.5,
                    ms(time)
                ),
            );
        }
    }
    put(out, format_args!("</svg>"));
}

fn engine(out: &mut String, run: &EngineRun) {
    let d = run.dialect;
    put(
        out,
        format_args!(
            "<section class=\"engine\" id=\"engine-{d}\">\n<h2>{d}: {}</h2>",
            result_word(run)
        ),
    );
    if let Some(why) = &run.skipped {
        put(out, format_args!("<p>Skipped: {}</p>", escape(why)));
    }
    if let Some(error) = &run.error {
        put(
            out,
            format_args!("<pre class=\"error\">{}</pre>", escape(error.to_string())),
        );
    }
    if let Some(matrix) = &run.matrix {
        matrix_table(out, matrix);
    }
    for table in &run.tables {
        let Some(diff) = difference(&table.status) else {
            continue;
        };
        put(
            out,
            format_args!(
                "<details open><summary><code>{}</code> {}{}</summary><pre>{}</pre></details>",
                escape(&table.table),
                status_word(&table.status),
                if table.accepted { " (accepted)" } else { "" },
                escape(&diff)
            ),
        );
    }
    put(out, format_args!("</section>"));
}

fn matrix_table(out: &mut String, matrix: &Matrix) {
    put(
        out,
        format_args!(
            "<h3>Upgrade matrix</h3>\n<p>Each release's records at head, against the accepted snapshots.</p>\n\
             <table class=\"matrix\" data-engine=\"{}\">\n<tr><th>release</th><th>shipped up to</th>\
             <th>migrations on top</th><th>records</th><th>alive</th><th>changed</th><th>missing</th>\
             <th>result</th></tr>",
            matrix.dialect
        ),
    );
    for r in &matrix.rows {
        let shipped = if r.release == UNRELEASED {
            "(not shipped)".to_string()
        } else {
            r.version.to_string()
        };
        let result = if r.passed() {
            "<td class=\"ok\">ok</td>".to_string()
        } else {
            format!(
                "<td class=\"failed\">FAILED ({})</td>",
                escape(r.failed_tables.join(", "))
            )
        };
        put(
            out,
            format_args!(
                "<tr class=\"release\"><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>{result}</tr>",
                escape(&r.release),
                escape(&shipped),
                r.migrations_on_top,
                r.records,
                r.alive,
                r.changed,
                r.missing
            ),
        );
    }
    put(out, format_args!("</table>"));
}

fn put(out: &mut String, args: std::fmt::Arguments<'_>) {
    let _ = writeln!(out, "{args}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_escaped() {
        let html = render(&crate::export::hostile_outcome());
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;"));
        // One bar per step of each engine that ran steps.
        assert_eq!(html.matches("<rect class=\"bar\"").count(), 2);
    }
}
