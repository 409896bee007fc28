//! The example product under `migrations/` and `testdata/`: what a reviewer sees when someone
//! edits old testdata or ships a migration that loses seeded data.

use std::path::Path;

mod common;

use common::{example, ladder, render};

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_copy_passes_before_any_edit() {
    let work = example();
    let output = ladder(work.path(), ["run"]);
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
}

#[test]
fn changing_one_testdata_value_fails_with_a_diff_of_that_table() {
    let work = example();
    // The oldest release's testdata: a record that lived through every migration since.
    edit(
        &work.path().join("testdata/20230112093015.sql"),
        "'jose.alvarez@example.com'",
        "'jose.alvarez@example.net'",
    );
    let output = ladder(work.path(), ["run"]);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("sqlite3: table identity_addresses changed:"),
        "{text}"
    );
    assert!(
        text.contains("-    \"address\": \"jose.alvarez@example.com\""),
        "{text}"
    );
    assert!(
        text.contains("+    \"address\": \"jose.alvarez@example.net\""),
        "{text}"
    );
    assert!(text.contains("(changed: identity_addresses)"), "{text}");
}

#[test]
fn a_migration_that_drops_a_seeded_column_fails_naming_the_table() {
    let work = example();
    std::fs::write(
        work.path()
            .join("migrations/20250101000000_drop_last_name.up.sql"),
        "ALTER TABLE identities DROP COLUMN last_name;\n",
    )
    .unwrap();
    let output = ladder(work.path(), ["run"]);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("sqlite3: table identities changed:"),
        "{text}"
    );
    assert!(text.contains("-    \"last_name\": \"Álvarez\","), "{text}");
    // The schema snapshot shows the same change beside the records.
    assert!(text.contains("sqlite3: the schema changed:"), "{text}");
    assert!(
        text.contains("-  column last_name varchar(255) null"),
        "{text}"
    );
    assert!(text.contains("(changed: @schema, identities)"), "{text}");
}

#[test]
fn accept_writes_the_change_and_the_next_run_passes() {
    let work = example();
    std::fs::write(
        work.path()
            .join("migrations/20250101000000_drop_last_name.up.sql"),
        "ALTER TABLE identities DROP COLUMN last_name;\n",
    )
    .unwrap();
    let accepted = ladder(work.path(), ["run", "--accept"]);
    assert_eq!(accepted.status.code(), Some(0), "{}", render(&accepted));
    let snap =
        std::fs::read_to_string(work.path().join("snapshots/sqlite3/identities.snap")).unwrap();
    assert!(!snap.contains("last_name"), "{snap}");
    let again = ladder(work.path(), ["run"]);
    assert_eq!(again.status.code(), Some(0), "{}", render(&again));
}

/// The upgrade matrix attributes a change to the release whose records it touched: a new
/// migration that rewrites only the first release's identities fails that release's row alone.
#[test]
fn a_migration_breaking_only_the_oldest_release_fails_only_its_row() {
    let work = example();
    // Identities 1-5 were seeded by the testdata of v1.0.0's versions (see their "@version").
    std::fs::write(
        work.path()
            .join("migrations/20250101000000_shout_first_names.up.sql"),
        "UPDATE identities SET first_name = upper(first_name) WHERE id <= 5;\n",
    )
    .unwrap();
    let output = ladder(work.path(), ["run"]);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("sqlite3: upgrade matrix"))
        .skip(2)
        .take_while(|l| l.starts_with("  "))
        .collect();
    let release = |line: &str| line.split_whitespace().next().unwrap_or("").to_string();
    let names: Vec<String> = rows.iter().map(|l| release(l)).collect();
    assert_eq!(
        names,
        [
            "v1.0.0",
            "v1.1.0",
            "v2.0.0",
            "v2.1.0",
            "v3.0.0",
            "unreleased"
        ],
        "{text}"
    );
    let failed: Vec<String> = rows
        .iter()
        .filter(|l| !l.ends_with(" ok"))
        .map(|l| release(l))
        .collect();
    assert_eq!(failed, ["v1.0.0"], "{text}");
    // 24 records, of which the 4 identities with a first name changed; 15 migrations on top.
    let v1: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(
        v1,
        [
            "v1.0.0",
            "20230317100402",
            "15",
            "24",
            "20",
            "4",
            "0",
            "FAILED",
            "(identities)"
        ],
        "{text}"
    );
}
