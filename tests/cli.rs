//! Drives the real `ladder` binary on fixture folders (one per scenario, broken ones included)
//! and snapshots its whole output: exit code, stdout and stderr.

use std::path::Path;
use std::process::Command;

mod common;

use common::{copy_dir, ladder, render};

/// `tests/fixtures/<scenario>/args` holds the arguments; the run happens in a copy of the folder
/// so that nothing a run writes can leak into the fixture.
#[test]
fn fixtures() {
    insta::glob!("fixtures/*/args", |args_file| {
        let fixture = args_file.parent().unwrap();
        let work = tempfile::tempdir().unwrap();
        copy_dir(fixture, work.path());
        let args = std::fs::read_to_string(args_file).unwrap();
        let output = ladder(work.path(), args.split_whitespace());
        insta::assert_snapshot!(render(&output));
    });
}

/// The accepted snapshots of the example product match what the binary produces, so
/// `make migration-test` passes on a clean checkout.
#[test]
fn example_product_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO_BIN_EXE_ladder"))
        .arg("run")
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
}
