//! `ladder bench`: the generator writes a product the ladder passes on every engine, and the
//! benchmark runs end to end at a small size. No timing is asserted: `make bench` measures.

mod common;

use common::{ladder, render};

/// The servers the benchmark may use, as `--db-if-reachable` arguments: with
/// LADDER_REQUIRE_SERVERS=1 (CI) one that does not answer fails the run.
fn servers() -> Vec<String> {
    let pg = std::env::var("LADDER_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let my =
        std::env::var("LADDER_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    vec![
        "--db-if-reachable".into(),
        pg,
        "--db-if-reachable".into(),
        my,
    ]
}

#[test]
fn generated_corpus_passes_the_ladder() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("product");
    let output = ladder(
        work.path(),
        [
            "bench",
            "gen",
            "--migrations",
            "50",
            "--rows",
            "5",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("50 migrations, 5 testdata rows per step"),
        "{}",
        render(&output)
    );
    let plan = ladder(&dir, ["plan"]);
    assert!(
        String::from_utf8_lossy(&plan.stdout).starts_with("50 migrations, 50 with testdata"),
        "{}",
        render(&plan)
    );
    // Accepted once, then a second run must match: the corpus is deterministic.
    let mut args: Vec<String> = vec!["run".into(), "--db".into(), "sqlite".into()];
    args.extend(servers());
    let mut accept = args.clone();
    accept.push("--accept".into());
    let first = ladder(&dir, &accept);
    assert_eq!(first.status.code(), Some(0), "{}", render(&first));
    let second = ladder(&dir, &args);
    let text = render(&second);
    assert_eq!(second.status.code(), Some(0), "{text}");
    assert!(text.contains("ok: sqlite3: 50 migrations"), "{text}");
    // 5 tables and their 5 child tables, 5 rows a step.
    let t0 = std::fs::read_to_string(dir.join("snapshots/sqlite3/t0.snap")).unwrap();
    assert!(t0.contains("table t0 on sqlite3: 45 rows"), "{t0}");
}

#[test]
fn benchmark_runs_end_to_end_at_a_small_size() {
    let work = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = [
        "bench",
        "run",
        "--n",
        "50",
        "--rows",
        "5",
        "--big-rows",
        "2000",
    ]
    .map(String::from)
    .to_vec();
    args.extend(["--db".to_string(), "sqlite".to_string()]);
    args.extend(servers());
    args.extend(["--markdown".to_string(), "bench.md".to_string()]);
    let output = ladder(work.path(), &args);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let table = std::fs::read_to_string(work.path().join("bench.md")).unwrap();
    assert!(table.contains("| sqlite3 | 50 | "), "{table}");
    assert!(
        table.contains("Dump and snapshot of one table of 2000 rows on sqlite3"),
        "{table}"
    );
    if std::env::var("LADDER_REQUIRE_SERVERS").is_ok_and(|v| v == "1") {
        assert!(table.contains("| postgres | 50 | "), "{table}");
        assert!(table.contains("| mysql | 50 | "), "{table}");
        assert!(
            table.contains("All 3 engines in one `ladder run"),
            "{table}"
        );
    }
}

/// A server that does not answer is skipped as `ladder run --db-if-reachable` skips it (its
/// password masked), and fails the benchmark under LADDER_REQUIRE_SERVERS=1, as in CI.
#[test]
fn benchmark_skips_a_server_that_does_not_answer_unless_servers_are_required() {
    let work = tempfile::tempdir().unwrap();
    // Port 9 (discard) has no database server on it.
    let url = "postgres://ladder:secret@127.0.0.1:9/postgres";
    let args = [
        "bench",
        "run",
        "--n",
        "3",
        "--rows",
        "1",
        "--big-rows",
        "0",
        "--db-if-reachable",
        url,
    ];
    let run = |required: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ladder"))
            .args(args)
            .current_dir(work.path())
            .env_remove("CI")
            .env("LADDER_REQUIRE_SERVERS", required)
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap()
    };
    let skipped = run("0");
    let text = render(&skipped);
    assert_eq!(skipped.status.code(), Some(0), "{text}");
    assert!(
        text.contains("skipped: postgres://ladder:***@127.0.0.1:9/postgres: failed to connect"),
        "{text}"
    );
    assert!(text.contains("| sqlite3 | 3 | "), "{text}");
    assert!(!text.contains("secret"), "{text}");
    let required = run("1");
    let text = render(&required);
    assert_eq!(required.status.code(), Some(2), "{text}");
    assert!(
        text.contains("error: failed to connect to 127.0.0.1:9"),
        "{text}"
    );
    assert!(!text.contains("| sqlite3 | 3 | "), "{text}");
}
