//! Property tests (proptest) for the two parsers that read whatever a repository holds: file
//! names (`discover`) and scripts (`sql::split`). `make test` runs proptest's default 256 cases
//! per property; `make fuzz` runs many more (PROPTEST_CASES).
//!
//! What is guaranteed, for any input:
//! - neither parser panics, and both return (the splitter is one linear pass);
//! - a version read from a file name is all digits;
//! - discovery never skips a file silently: a folder that gives a plan holds only files whose
//!   names `version_of` reads, and every problem names a path inside the folder;
//! - the statements of any script are verbatim slices of it, in order, not overlapping, trimmed,
//!   never empty;
//! - statements made of ordinary tokens (names, numbers, strings and comments that hold `;`,
//!   `--`, quotes and newlines) joined with `;\n` split back into exactly those statements, each
//!   with the line it starts on, in every dialect.

use camino::Utf8Path;
use ladder::{Dialect, discover, sql};
use proptest::prelude::*;

/// Pieces of the file-name layouts ladder reads, to reach deep into the name parser.
fn name_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,16}",
        Just("_".to_string()),
        Just("__".to_string()),
        Just("V".to_string()),
        Just("U".to_string()),
        Just("R".to_string()),
        Just("-".to_string()),
        Just(".".to_string()),
        Just(".sql".to_string()),
        Just(".up.sql".to_string()),
        Just(".down.sql".to_string()),
        Just(".postgres".to_string()),
        Just(".mysql".to_string()),
        Just(".sqlite3".to_string()),
        Just(".cockroach".to_string()),
        Just("_testdata".to_string()),
        Just(".check".to_string()),
        Just(".query".to_string()),
        Just("/".to_string()),
        Just("up.sql".to_string()),
        "[a-zA-Z ]{1,8}",
        "\\PC{1,4}",
    ]
}

fn file_name() -> impl Strategy<Value = String> {
    prop::collection::vec(name_piece(), 1..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    // Failures print the minimal input; no regression file is written into tests/.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn version_of_never_panics_and_reads_digits(name in prop_oneof![file_name(), "\\PC{0,40}"]) {
        if let Some(version) = discover::version_of(&name) {
            prop_assert!(version.as_str().bytes().all(|b| b.is_ascii_digit()), "{name:?} -> {version}");
        }
    }

    #[test]
    fn discovery_of_random_names_never_skips_a_file(
        names in prop::collection::btree_set(file_name(), 1..6),
        with_testdata in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let migrations = root.join("migrations");
        let testdata = root.join("testdata");
        std::fs::create_dir_all(&migrations).unwrap();
        std::fs::create_dir_all(&testdata).unwrap();
        let mut written = Vec::new();
        for name in &names {
            // Names the file system cannot hold are not the parser's business.
            if name.split('/').any(|part| part.is_empty() || part == "." || part == ".." || part.len() > 200) {
                continue;
            }
            let base = if with_testdata && written.len() % 2 == 1 { &testdata } else { &migrations };
            let path = base.join(name);
            if let Some(parent) = path.parent()
                && std::fs::create_dir_all(parent).is_ok()
                && std::fs::write(&path, "SELECT 1;\n").is_ok()
            {
                written.push(path);
            }
        }
        match discover::discover(&migrations, Some(&testdata)) {
            Ok(plan) => {
                for path in written.iter().filter(|p| p.starts_with(&migrations)) {
                    let relative = path.strip_prefix(&migrations).unwrap().as_str();
                    let hidden = relative.split('/').any(|part| part.starts_with('.'));
                    prop_assert!(
                        hidden || discover::version_of(relative).is_some(),
                        "{relative:?} is in a plan of {} steps but has no version", plan.steps.len()
                    );
                }
            }
            Err(problems) => {
                prop_assert!(!problems.0.is_empty());
                for problem in &problems.0 {
                    prop_assert!(problem.path.starts_with(root), "{problem}");
                }
            }
        }
    }
}

/// Fragments that open, close or confuse every construct the splitter knows.
fn script_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "'",
            "\"",
            "`",
            "[",
            "]",
            "$",
            "$$",
            "$a$",
            "$1",
            "E'",
            "\\",
            "''",
            "/*",
            "*/",
            "/*!",
            "/*+",
            "--",
            "-- ",
            "#",
            ";",
            "\n",
            "\r\n",
            " ",
            "DELIMITER ",
            "\nDELIMITER $$\n",
            "\nDELIMITER ;\n",
            "//",
            "BEGIN",
            "END",
            "CASE",
            "IF",
            "THEN",
            "LOOP",
            "(",
            ")",
            "CREATE ",
            "TRIGGER ",
            "PROCEDURE ",
            "FUNCTION ",
            "SELECT ",
            "\u{feff}",
            "é",
            "\0",
        ])
        .prop_map(str::to_string),
        "\\PC{1,6}",
    ]
}

fn any_script() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(script_piece(), 0..60).prop_map(|p| p.concat()),
        "\\PC{0,200}",
        ".{0,200}",
    ]
}

fn dialect() -> impl Strategy<Value = Dialect> {
    prop::sample::select(Dialect::ALL.to_vec())
}

/// A token no dialect gives a special meaning to, or a string or comment full of characters
/// that would end a statement elsewhere.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,6}_[0-9]",
        "[0-9]{1,5}",
        prop::sample::select(vec![",", "=", "+", "*", "<", ">", "(a_1, 'b;')"])
            .prop_map(str::to_string),
        "[a-z ;\n-]{0,12}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        Just("'it''s; -- not a comment'".to_string()),
        "[a-z ;\n'-]{0,12}".prop_map(|s| format!("/* {s} */")),
        Just("-- trailing; comment\n".to_string()),
    ]
}

fn statement() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "SELECT",
            "INSERT INTO t VALUES",
            "UPDATE t SET",
            "DELETE FROM t WHERE",
        ]),
        prop::collection::vec(token(), 0..12),
    )
        .prop_map(|(head, tokens)| {
            let mut sql = head.to_string();
            for token in tokens {
                sql.push(' ');
                sql.push_str(&token);
            }
            // A line comment last would swallow the terminator's line: end on a token.
            sql.push_str(" x_1");
            sql
        })
}

proptest! {
    // Failures print the minimal input; no regression file is written into tests/.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn split_never_panics_and_returns_ordered_slices(script in any_script(), dialect in dialect()) {
        let statements = sql::split(&script, dialect);
        let mut from = 0;
        for (i, statement) in statements.iter().enumerate() {
            prop_assert_eq!(statement.index, i + 1);
            prop_assert!(!statement.sql.is_empty());
            prop_assert_eq!(statement.sql.trim_ascii(), statement.sql.as_str());
            let Some(at) = script[from..].find(&statement.sql) else {
                return Err(TestCaseError::fail(format!(
                    "statement {} is not a slice of the script after the previous one: {statement:?} in {script:?}",
                    i + 1
                )));
            };
            from += at + statement.sql.len();
        }
    }

    #[test]
    fn joined_statements_split_back(
        statements in prop::collection::vec(statement(), 0..8),
        dialect in dialect(),
        terminated in any::<bool>(),
    ) {
        let mut script = String::new();
        let mut expected = Vec::new();
        for (i, sql) in statements.iter().enumerate() {
            if i > 0 {
                script.push_str(";\n");
            }
            expected.push((sql.clone(), 1 + script.matches('\n').count(), i + 1));
            script.push_str(sql);
        }
        if terminated && !statements.is_empty() {
            script.push_str(";\n");
        }
        let got: Vec<(String, usize, usize)> = sql::split(&script, dialect)
            .into_iter()
            .map(|s| (s.sql, s.line, s.index))
            .collect();
        prop_assert_eq!(got, expected, "{:?}", script);
    }
}
