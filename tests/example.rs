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
