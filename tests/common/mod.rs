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
