//! Real PostgreSQL and MySQL/MariaDB servers: the example ladder, scratch databases that never
//! outlive a run (failure, Ctrl-C), concurrent runs, half-way failures, types, credentials.
//!
//! The servers come from LADDER_POSTGRES_URL and LADDER_MYSQL_URL (default: the local servers).
//! A server that does not answer makes its tests say `skipped` and why, unless
//! LADDER_REQUIRE_SERVERS=1 (set by CI), which turns the skip into a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use camino::Utf8Path;
use ladder::engine::Engine;
use ladder::{Target, discover::discover, runner};
use sqlx::Connection;

mod common;

use common::{copy_dir, ladder, render};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Postgres,
    Mysql,
}

impl Kind {
    fn var(self) -> &'static str {
        match self {
            Kind::Postgres => "LADDER_POSTGRES_URL",
            Kind::Mysql => "LADDER_MYSQL_URL",
        }
    }

    fn default_url(self) -> &'static str {
        match self {
            Kind::Postgres => "postgres://postgres@127.0.0.1:5432/postgres",
            Kind::Mysql => "mysql://root@127.0.0.1:3306",
        }
    }

    fn dialect(self) -> &'static str {
        match self {
            Kind::Postgres => "postgres",
            Kind::Mysql => "mysql",
        }
    }
}

/// The server's URL if it answers; otherwise `None` after saying why the test is skipped.
fn server(kind: Kind) -> Option<String> {
    let url = std::env::var(kind.var())
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| kind.default_url().to_string());
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let addr = if host.contains(':') {
        host.to_string()
    } else {
        format!(
            "{host}:{}",
            if kind == Kind::Postgres { 5432 } else { 3306 }
        )
    };
    let answered = std::net::ToSocketAddrs::to_socket_addrs(&addr)
        .ok()
        .and_then(|mut addrs| addrs.next())
        .map(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(3)));
    match answered {
        Some(Ok(_)) => Some(url),
        other => {
            let why = match other {
                Some(Err(e)) => e.to_string(),
                _ => "the address does not resolve".to_string(),
            };
            let message = format!(
                "no server answered at {addr} ({why}); set {} to a reachable server",
                kind.var()
            );
            if std::env::var("LADDER_REQUIRE_SERVERS").as_deref() == Ok("1") {
                panic!("{message} (LADDER_REQUIRE_SERVERS=1: server tests must run)");
            }
            eprintln!("skipped: {message}");
            None
        }
    }
}

/// Names of ladder scratch databases on the server whose name starts with `prefix`.
async fn scratch_databases(kind: Kind, url: &str, prefix: &str) -> Vec<String> {
    let pattern = format!("{prefix}%");
    match kind {
        Kind::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE $1")
                .bind(pattern)
                .fetch_all(&mut conn)
                .await
                .unwrap()
        }
        Kind::Mysql => {
            let mut conn = sqlx::MySqlConnection::connect(url).await.unwrap();
            sqlx::query_scalar(
                "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA \
                 WHERE SCHEMA_NAME LIKE ?",
            )
            .bind(pattern)
            .fetch_all(&mut conn)
            .await
            .unwrap()
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    copy_dir(
        &root().join("tests/fixtures/servers").join(name),
        work.path(),
    );
    work
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

fn example_ladder_passes(kind: Kind) {
    let Some(url) = server(kind) else { return };
    let output = ladder(&root(), ["run", "--db", url.as_str()]);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("ok: {}: 17 migrations", kind.dialect())),
        "{text}"
    );
}

#[test]
fn example_ladder_passes_on_postgres() {
    example_ladder_passes(Kind::Postgres);
}

#[test]
fn example_ladder_passes_on_mysql() {
    example_ladder_passes(Kind::Mysql);
}

/// A failing migration leaves no scratch database behind, and the message names the file.
fn failure_leaves_no_scratch_database(kind: Kind) {
    let Some(url) = server(kind) else { return };
    let work = fixture("half_way");
    let child = Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(["run", "--db", &url])
        .current_dir(work.path())
        .env_remove("CI")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let prefix = format!("ladder_{}_", child.id());
    let output = child.wait_with_output().unwrap();
    let text = render(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("scratch database {prefix}")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "migrations/2_half.up.sql:3: statement 3 of 3 failed on {}",
            kind.dialect()
        )),
        "{text}"
    );
    let left = runtime().block_on(scratch_databases(kind, &url, &prefix));
    assert_eq!(left, Vec::<String>::new(), "scratch database left behind");
}

#[test]
fn failure_leaves_no_scratch_database_on_postgres() {
    failure_leaves_no_scratch_database(Kind::Postgres);
}

#[test]
fn failure_leaves_no_scratch_database_on_mysql() {
    failure_leaves_no_scratch_database(Kind::Mysql);
}

/// What a migration that fails at its third statement leaves in the scratch database: nothing
/// on PostgreSQL (transactional DDL); on MySQL the DDL before it, which the error says.
fn half_way_failure(kind: Kind) -> (Vec<String>, String) {
    let url = server(kind).expect("checked by the caller");
    let work = fixture("half_way");
    let migrations = Utf8Path::from_path(work.path()).unwrap().join("migrations");
    let plan = discover(&migrations, None).unwrap();
    runtime().block_on(async {
        let mut engine = Engine::open(&Target::parse(&url).unwrap()).await.unwrap();
        let err = runner::climb(&mut engine, &plan, &|_| false, &mut |_| {})
            .await
            .unwrap_err();
        let tables = engine.tables().await.unwrap();
        let base_rows = engine.dump("base").await.unwrap().rows.len();
        engine.close().await.unwrap();
        (
            tables
                .into_iter()
                .chain([format!("base rows: {base_rows}")])
                .collect(),
            err.to_string(),
        )
    })
}

#[test]
fn postgres_migration_failing_half_way_leaves_nothing_applied() {
    if server(Kind::Postgres).is_none() {
        return;
    }
    let (state, message) = half_way_failure(Kind::Postgres);
    assert_eq!(state, ["base", "base rows: 0"], "{message}");
    assert!(message.contains("the file was rolled back"), "{message}");
}

#[test]
fn mysql_migration_failing_half_way_says_what_was_applied() {
    if server(Kind::Mysql).is_none() {
        return;
    }
    let (state, message) = half_way_failure(Kind::Mysql);
    assert_eq!(state, ["base", "first_half", "base rows: 1"], "{message}");
    assert!(
        message.contains(
            "statements 1-2 of the file had already been applied \
             (mysql commits DDL implicitly, so a rollback cannot undo them)"
        ),
        "{message}"
    );
}

/// Eight runs at the same time, each on PostgreSQL and MariaDB/MySQL at once, all pass and leave
/// no scratch database behind.
#[test]
fn eight_concurrent_runs_on_postgres_and_mysql() {
    let (Some(pg), Some(my)) = (server(Kind::Postgres), server(Kind::Mysql)) else {
        return;
    };
    let started = Instant::now();
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_ladder"))
                .args(["run", "--db", &pg, "--db", &my])
                .current_dir(root())
                .env_remove("CI")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let pids: Vec<u32> = children.iter().map(|c| c.id()).collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let text = render(&output);
        assert_eq!(output.status.code(), Some(0), "{text}");
        for dialect in ["postgres", "mysql"] {
            assert!(
                text.contains(&format!("ok: {dialect}: 17 migrations")),
                "{text}"
            );
        }
    }
    eprintln!(
        "8 concurrent runs on 2 servers took {:?}",
        started.elapsed()
    );
    let rt = runtime();
    for pid in pids {
        let prefix = format!("ladder_{pid}_");
        for (kind, url) in [(Kind::Postgres, &pg), (Kind::Mysql, &my)] {
            let left = rt.block_on(scratch_databases(kind, url, &prefix));
            assert!(left.is_empty(), "left behind on {kind:?}: {left:?}");
        }
    }
}

/// Starts the binary on a copy of the `slow` fixture (a migration that sleeps for 60 s) against
/// `url`; returns the child and the prefix of its scratch databases.
fn spawn_slow(url: &str, extra: &[&str]) -> (std::process::Child, String, tempfile::TempDir) {
    let work = fixture("slow");
    let child = Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(["run", "--db", url])
        .args(extra)
        .current_dir(work.path())
        .env_remove("CI")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let prefix = format!("ladder_{}_", child.id());
    (child, prefix, work)
}

/// Waits for `child` to exit; failing with `hang` if it is still running after 30 s (a
/// generous bound that only a hang would break).
fn exit_within_30s(child: &mut std::process::Child, hang: &str) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{hang}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A statement that runs past `--statement-timeout` fails naming its file, line and statement,
/// long before it would have ended; the scratch database is dropped.
fn statement_timeout_names_the_statement(kind: Kind) {
    let Some(url) = server(kind) else { return };
    let started = Instant::now();
    let (child, prefix, _work) = spawn_slow(&url, &["--statement-timeout", "1s"]);
    let output = child.wait_with_output().unwrap();
    let text = render(&output);
    // The statement sleeps for 60 s; a generous bound that only a hang would break.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1), "{text}");
    let dialect = kind.dialect();
    assert!(
        text.contains(&format!(
            "migrations/2_slow.{dialect}.up.sql:1: statement 1 of 1 failed on {dialect}: \
             timed out after 1s"
        )),
        "{text}"
    );
    let left = runtime().block_on(scratch_databases(kind, &url, &prefix));
    assert_eq!(left, Vec::<String>::new(), "scratch database left behind");
}

#[test]
fn statement_timeout_on_postgres() {
    statement_timeout_names_the_statement(Kind::Postgres);
}

#[test]
fn statement_timeout_on_mysql() {
    statement_timeout_names_the_statement(Kind::Mysql);
}

/// The server ends ladder's connection mid-statement (an administrator, a failover): the run
/// fails at once naming the statement, and ladder still drops the scratch database.
fn server_kills_the_connection(kind: Kind) {
    let Some(url) = server(kind) else { return };
    let (mut child, prefix, _work) = spawn_slow(&url, &[]);
    let rt = runtime();
    let started = Instant::now();
    let killed = rt.block_on(async {
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the slow statement never started"
            );
            let pattern = format!("{prefix}%");
            let killed: Vec<i64> = match kind {
                Kind::Postgres => {
                    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
                    // Found first, ended second: in one query the planner may call
                    // pg_terminate_backend before the filter, on this very connection.
                    let pids: Vec<i32> = sqlx::query_scalar(
                        "SELECT pid FROM pg_stat_activity WHERE datname LIKE $1 \
                         AND query LIKE '%pg_sleep(%' AND state = 'active' \
                         AND pid <> pg_backend_pid()",
                    )
                    .bind(pattern)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                    for pid in &pids {
                        sqlx::query("SELECT pg_terminate_backend($1)")
                            .bind(pid)
                            .execute(&mut conn)
                            .await
                            .unwrap();
                    }
                    pids.into_iter().map(i64::from).collect()
                }
                Kind::Mysql => {
                    let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
                    let ids: Vec<i64> = sqlx::query_scalar(
                        "SELECT CAST(ID AS SIGNED) FROM information_schema.PROCESSLIST \
                         WHERE DB LIKE ? AND INFO LIKE 'SELECT SLEEP(%'",
                    )
                    .bind(pattern)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                    for id in &ids {
                        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("KILL {id}")))
                            .execute(&mut conn)
                            .await
                            .unwrap();
                    }
                    ids
                }
            };
            if !killed.is_empty() {
                break killed;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert_eq!(killed.len(), 1, "{killed:?}");
    let status = exit_within_30s(
        &mut child,
        "ladder hung after the server ended its connection",
    );
    let output = child.wait_with_output().unwrap();
    let text = render(&output);
    assert_eq!(status.code(), Some(1), "{text}");
    let dialect = kind.dialect();
    assert!(
        text.contains(&format!(
            "migrations/2_slow.{dialect}.up.sql:1: statement 1 of 1 failed on {dialect}: "
        )),
        "{text}"
    );
    assert!(
        text.contains("reached 1; failed applying 2 (slow)"),
        "{text}"
    );
    let left = rt.block_on(scratch_databases(kind, &url, &prefix));
    assert_eq!(left, Vec::<String>::new(), "scratch database left behind");
}

#[test]
fn server_kills_the_connection_on_postgres() {
    server_kills_the_connection(Kind::Postgres);
}

#[test]
fn server_kills_the_connection_on_mysql() {
    server_kills_the_connection(Kind::Mysql);
}

/// Ctrl-C in the middle of a long statement: the run stops at once, exits 130, and the scratch
/// database is gone.
fn interrupt_drops_scratch_database(kind: Kind, signal: &str) {
    let Some(url) = server(kind) else { return };
    // --accept: an interrupted run must not write snapshots either.
    let (mut child, prefix, work) = spawn_slow(&url, &["--accept"]);
    let rt = runtime();
    let started = Instant::now();
    while rt
        .block_on(scratch_databases(kind, &url, &prefix))
        .is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no scratch database appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let the slow statement start.
    std::thread::sleep(Duration::from_millis(500));
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The statement sleeps for 60 s; a run that waited for it did not stop.
    let status = exit_within_30s(
        &mut child,
        &format!("ladder did not stop after SIG{signal}"),
    );
    let output = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(130), "{}", render(&output));
    assert!(
        render(&output).contains("interrupted; the scratch database was dropped"),
        "{}",
        render(&output)
    );
    let left = rt.block_on(scratch_databases(kind, &url, &prefix));
    assert_eq!(left, Vec::<String>::new(), "scratch database left behind");
    assert!(
        !work.path().join("snapshots").exists(),
        "an interrupted run wrote snapshots"
    );
}

#[test]
fn interrupt_drops_scratch_database_on_postgres() {
    interrupt_drops_scratch_database(Kind::Postgres, "INT");
}

#[test]
fn interrupt_drops_scratch_database_on_mysql() {
    interrupt_drops_scratch_database(Kind::Mysql, "INT");
}

/// SIGTERM (a CI job cancelled, a container stopped) cleans up like Ctrl-C.
#[test]
fn sigterm_drops_scratch_database_on_postgres() {
    interrupt_drops_scratch_database(Kind::Postgres, "TERM");
}

#[test]
fn sigterm_drops_scratch_database_on_mysql() {
    interrupt_drops_scratch_database(Kind::Mysql, "TERM");
}

/// Each server's own types render the same way on every run; the snapshot pins how.
fn types_render(kind: Kind) {
    let Some(url) = server(kind) else { return };
    let work = fixture("types");
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let _ = std::fs::remove_dir_all(work.path().join("snapshots"));
        let output = ladder(work.path(), ["run", "--accept", "--db", url.as_str()]);
        assert_eq!(output.status.code(), Some(0), "{}", render(&output));
        let dir = work.path().join(format!("snapshots/{}", kind.dialect()));
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        bodies.push((read("typed.snap"), read("@query-2.snap")));
    }
    assert_eq!(bodies[0], bodies[1], "two runs rendered differently");
    insta::assert_snapshot!(format!("types_{}", kind.dialect()), bodies[0].0);
    // The same values through a step query: each engine's query path, not its table dump.
    insta::assert_snapshot!(format!("query_{}", kind.dialect()), bodies[0].1);
}

#[test]
fn postgres_types_render_deterministically() {
    types_render(Kind::Postgres);
}

#[test]
fn mysql_types_render_deterministically() {
    types_render(Kind::Mysql);
}

/// Several engines in one command run concurrently and each is reported.
#[test]
fn several_engines_in_one_command() {
    let (Some(pg), Some(my)) = (server(Kind::Postgres), server(Kind::Mysql)) else {
        return;
    };
    let output = ladder(
        &root(),
        [
            "run",
            "--db",
            "sqlite",
            "--db",
            pg.as_str(),
            "--db",
            my.as_str(),
        ],
    );
    let text = render(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    for dialect in ["sqlite3", "postgres", "mysql"] {
        assert!(
            text.contains(&format!("ok: {dialect}: 17 migrations")),
            "{text}"
        );
    }
}

/// Reports of a run on every engine: one entry, suite and chart series per engine, passwords
/// masked.
#[test]
fn reports_cover_every_engine() {
    let (Some(pg), Some(my)) = (server(Kind::Postgres), server(Kind::Mysql)) else {
        return;
    };
    let pg = pg.replacen("://postgres@", "://postgres:hunter2secret@", 1);
    let out = tempfile::tempdir().unwrap();
    let file = |kind: &str| out.path().join(format!("report.{kind}"));
    let spec = |kind: &str| format!("{kind}={}", file(kind).display());
    let (json, junit, html) = (spec("json"), spec("junit"), spec("html"));
    let output = ladder(
        &root(),
        [
            "run", "--db", "sqlite", "--db", &pg, "--db", &my, "--report", &json, "--report",
            &junit, "--report", &html,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    let read = |kind: &str| std::fs::read_to_string(file(kind)).unwrap();

    let json: serde_json::Value = serde_json::from_str(&read("json")).unwrap();
    assert_eq!(json["passed"], true);
    let engines = json["engines"].as_array().unwrap();
    let dialects: Vec<&str> = engines
        .iter()
        .map(|e| e["dialect"].as_str().unwrap())
        .collect();
    assert_eq!(dialects, ["sqlite3", "postgres", "mysql"]);
    for engine in engines {
        assert_eq!(engine["steps"].as_array().unwrap().len(), 17, "{engine}");
        assert_eq!(engine["matrix"].as_array().unwrap().len(), 6, "{engine}");
        assert!(engine["total_ms"].as_f64().unwrap() > 0.0);
    }
    let where_ = engines[1]["where"].as_str().unwrap();
    assert!(
        where_.starts_with("postgres at 127.0.0.1:5432 (scratch database ladder_"),
        "{where_}"
    );

    let xml = read("junit");
    assert_eq!(xml.matches("<testsuite ").count(), 3, "{xml}");
    assert_eq!(
        xml.matches("<testcase classname=\"ladder.mysql.steps\"")
            .count(),
        17
    );
    common::validates(&xml);

    let html = read("html");
    assert_eq!(html.matches("<rect class=\"bar\"").count(), 3 * 17);
    assert_eq!(html.matches("<table class=\"matrix\"").count(), 3);
    for text in [read("json"), xml, html] {
        assert!(!text.contains("hunter2secret"));
    }
}

/// A password in the URL never shows in the output, even when the run fails.
#[test]
fn passwords_never_show() {
    let Some(url) = server(Kind::Postgres) else {
        return;
    };
    // Trust authentication accepts any password; a password-checking server rejects it, and
    // the error must not show it either.
    let with_password = url.replacen("://postgres@", "://postgres:hunter2secret@", 1);
    let work = fixture("half_way");
    let output = ladder(work.path(), ["run", "--db", with_password.as_str()]);
    let text = render(&output);
    assert!(!text.contains("hunter2secret"), "{text}");
    let output = ladder(
        work.path(),
        [
            "run",
            "--db",
            "postgres://postgres:hunter2secret@127.0.0.1:1/postgres",
        ],
    );
    let text = render(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(!text.contains("hunter2secret"), "{text}");
}

/// With no Docker engine, `docker://` fails at once with one line saying what to do.
#[test]
fn docker_without_an_engine_fails_fast_with_one_line() {
    let work = fixture("half_way");
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(["run", "--db", "docker://postgres/16"])
        .current_dir(work.path())
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(2), "{}", render(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "error: no Docker engine answered at unix:///nonexistent/docker.sock \
         (No such file or directory (os error 2)); start Docker, or run on an existing server \
         with --db postgres://USER@HOST:5432/DB or --db mysql://USER@HOST:3306\n"
    );
}

/// Where Docker exists, the happy path: a throwaway PostgreSQL runs the example ladder.
#[test]
fn docker_postgres_runs_the_example_where_docker_exists() {
    if !Path::new("/var/run/docker.sock").exists() && std::env::var_os("DOCKER_HOST").is_none() {
        eprintln!(
            "skipped: no Docker engine on this machine (no /var/run/docker.sock, DOCKER_HOST unset)"
        );
        return;
    }
    let output = ladder(&root(), ["run", "--db", "docker://postgres/16"]);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("ok: postgres: 17 migrations"), "{text}");
}

/// Runs the binary on a copy of `tests/fixtures/<fixture>` against `url`.
fn run_fixture(fixture_dir: &str, url: &str, extra: &[&str]) -> (Option<i32>, String) {
    let work = tempfile::tempdir().unwrap();
    copy_dir(
        &root().join("tests/fixtures").join(fixture_dir),
        work.path(),
    );
    let mut args = vec!["run", "--db", url];
    args.extend_from_slice(extra);
    let output = ladder(work.path(), args);
    (output.status.code(), render(&output))
}

/// The example's down migrations walk back to zero, and every version survives up/down/up.
fn example_down_and_roundtrip(kind: Kind) {
    let Some(url) = server(kind) else { return };
    let output = ladder(
        &root(),
        ["run", "--db", url.as_str(), "--down", "--roundtrip"],
    );
    let text = render(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let d = kind.dialect();
    assert!(
        text.contains(&format!(
            "ok: {d}: walked down through 17 down migrations to zero; no table left"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ok: {d}: up, down, up restores the schema for 17 versions"
        )),
        "{text}"
    );
}

#[test]
fn example_down_and_roundtrip_on_postgres() {
    example_down_and_roundtrip(Kind::Postgres);
}

#[test]
fn example_down_and_roundtrip_on_mysql() {
    example_down_and_roundtrip(Kind::Mysql);
}

/// Broken history, down files, round trips, drift and checks fail with the file named, on
/// each server as on SQLite.
fn guards_fail_naming_the_file(kind: Kind) {
    let Some(url) = server(kind) else { return };
    let d = kind.dialect();
    let cases: [(&str, &[&str], String); 5] = [
        (
            "down_broken",
            &["--down"],
            format!(
                "migrations/2_posts.{}down.sql:3: statement 2 of 2 failed on {d}",
                if kind == Kind::Mysql { "mysql." } else { "" }
            ),
        ),
        (
            "roundtrip_broken",
            &["--roundtrip"],
            format!(
                "migrations/2_notes.down.sql: the round trip of 2 (notes) on {d} does not \
                 restore the schema:\n  table notes: column body: only in first up\n  \
                 table notes: column text_body: only in up after down"
            ),
        ),
        (
            "servers/drift",
            &[],
            format!(
                "schema.sql: a fresh install differs from an upgraded database on {d}:\n  \
                 table users: column email: null vs not null\n  \
                 table users: column name: only in upgraded\n  \
                 table users: column nickname: only in fresh install\n  \
                 table users: unique index users_email (email): only in upgraded"
            ),
        ),
        (
            "step_checks",
            &[],
            format!(
                "testdata/2.check.sql:2: statement 1 of 1 failed on {d}: returned {}, not true",
                if kind == Kind::Postgres { "false" } else { "0" }
            ),
        ),
        (
            "lock_edited",
            &[],
            "migrations/2_email.up.sql: was edited after it was locked (released)".to_string(),
        ),
    ];
    for (fixture, extra, expected) in cases {
        let (code, text) = run_fixture(fixture, &url, extra);
        assert_eq!(code, Some(1), "{fixture}: {text}");
        assert!(
            text.contains(&expected),
            "{fixture}: expected {expected:?} in\n{text}"
        );
    }
}

#[test]
fn guards_fail_naming_the_file_on_postgres() {
    guards_fail_naming_the_file(Kind::Postgres);
}

#[test]
fn guards_fail_naming_the_file_on_mysql() {
    guards_fail_naming_the_file(Kind::Mysql);
}

/// The version the `--from` tests dump the example product at: before the seventh migration
/// moves emails into identity_addresses.
const FROM_AT: &str = "20230801091230";

/// Builds the example product at [`FROM_AT`] in a database of its own on the server, dumps it
/// with the server's own tool (`pg_dump`, plain format with COPY; `mariadb-dump`/`mysqldump`),
/// and drops the database. `None` (skipped, saying why) when the tool is not installed.
fn dump_example_at(kind: Kind, url: &str) -> Option<String> {
    let name = format!("ladder_from_test_{}", std::process::id());
    let dialect = ladder::Dialect::from_name(kind.dialect()).unwrap();
    let statements = common::example_statements_up_to(dialect, FROM_AT);
    let rt = runtime();
    match kind {
        Kind::Postgres => rt.block_on(async {
            let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
            // One statement at a time: PostgreSQL runs a multi-statement string as one
            // transaction, where CREATE DATABASE is refused.
            for sql in [
                format!("DROP DATABASE IF EXISTS {name}"),
                format!("CREATE DATABASE {name}"),
            ] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
        }),
        Kind::Mysql => rt.block_on(async {
            let mut admin = sqlx::MySqlConnection::connect(url).await.unwrap();
            let create = format!("DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(create))
                .execute(&mut admin)
                .await
                .unwrap();
        }),
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let authority_end = base.find("://").map_or(0, |i| {
        i + 3 + base[i + 3..].find('/').unwrap_or(base.len() - i - 3)
    });
    let db_url = format!(
        "{}/{name}{}",
        &base[..authority_end],
        if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        }
    );
    let built = rt.block_on(async {
        match kind {
            Kind::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&db_url).await.unwrap();
                for s in &statements {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(s.clone()))
                        .execute(&mut conn)
                        .await
                        .map_err(|e| format!("{s}: {e}"))?;
                }
            }
            Kind::Mysql => {
                let mut conn = sqlx::MySqlConnection::connect(&db_url).await.unwrap();
                for s in &statements {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(s.clone()))
                        .execute(&mut conn)
                        .await
                        .map_err(|e| format!("{s}: {e}"))?;
                }
            }
        }
        Ok::<(), String>(())
    });
    let output = built.and_then(|()| {
        let mut command = match kind {
            Kind::Postgres => {
                let mut c = Command::new("pg_dump");
                c.arg("--dbname").arg(&db_url);
                c
            }
            Kind::Mysql => {
                let rest = db_url.split_once("://").map_or(db_url.as_str(), |(_, r)| r);
                let (userinfo, host) = rest[..rest.find('/').unwrap_or(rest.len())]
                    .rsplit_once('@')
                    .unwrap_or(("root", rest));
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let (host, port) = host.split_once(':').unwrap_or((host, "3306"));
                let tool = if Command::new("mariadb-dump")
                    .arg("--version")
                    .output()
                    .is_ok()
                {
                    "mariadb-dump"
                } else {
                    "mysqldump"
                };
                let mut c = Command::new(tool);
                c.args(["-h", host, "-P", port, "-u", user, "--protocol=tcp", &name]);
                if !password.is_empty() {
                    c.env("MYSQL_PWD", password);
                }
                c
            }
        };
        command.output().map_err(|e| e.to_string())
    });
    let drop = format!("DROP DATABASE IF EXISTS {name}");
    rt.block_on(async {
        match kind {
            Kind::Postgres => {
                let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
            Kind::Mysql => {
                let mut admin = sqlx::MySqlConnection::connect(url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
        }
    });
    match output {
        Ok(output) => {
            assert!(output.status.success(), "{}", render(&output));
            Some(String::from_utf8(output.stdout).unwrap())
        }
        Err(why) if why.contains("No such file") => {
            eprintln!(
                "skipped: no dump tool for {} is installed ({why})",
                kind.dialect()
            );
            None
        }
        Err(why) => panic!("building the old database failed: {why}"),
    }
}

/// `ladder run --db URL --from DUMP --at VERSION` upgrades a real dump of an old release made by
/// the server's own tool to head: every table equals the seeded ladder's accepted snapshots
/// (copied into `snapshots/from-acme/<dialect>/`), and no scratch database is left behind.
fn upgrades_from_a_server_dump(kind: Kind) {
    let Some(url) = server(kind) else { return };
    let Some(dump) = dump_example_at(kind, &url) else {
        return;
    };
    // What makes such dumps more than plain statements is really there.
    let features: &[&str] = match kind {
        Kind::Postgres => &[
            "FROM stdin;",
            "\\.",
            "SELECT pg_catalog.set_config('search_path', '', false);",
        ],
        Kind::Mysql => &["/*!40101 SET", "LOCK TABLES"],
    };
    for feature in features {
        assert!(
            dump.contains(feature),
            "{feature:?} not in the dump:\n{dump}"
        );
    }
    let work = common::example();
    std::fs::write(work.path().join("acme.sql"), &dump).unwrap();
    common::copy_snapshots_as_dump(
        &work.path().join(format!("snapshots/{}", kind.dialect())),
        &work
            .path()
            .join(format!("snapshots/from-acme/{}", kind.dialect())),
        FROM_AT,
    );
    let child = Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(["run", "--db", &url, "--from", "acme.sql", "--at", FROM_AT])
        .current_dir(work.path())
        .env_remove("CI")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let prefix = format!("ladder_{}_", child.id());
    let output = child.wait_with_output().unwrap();
    let text = render(&output);
    assert_eq!(output.status.code(), Some(0), "{text}\n--- dump\n{dump}");
    let d = kind.dialect();
    assert!(
        text.contains(&format!("{d}: loaded acme.sql, a database at {FROM_AT}")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{d}: 20230112093015 create_users  skipped: the dump is at {FROM_AT}"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ok: {d}: acme.sql at {FROM_AT}, then 11 migrations in"
        )),
        "{text}"
    );
    let left = runtime().block_on(scratch_databases(kind, &url, &prefix));
    assert_eq!(left, Vec::<String>::new(), "scratch database left behind");
}

#[test]
fn upgrades_from_a_pg_dump_of_an_old_release() {
    upgrades_from_a_server_dump(Kind::Postgres);
}

#[test]
fn upgrades_from_a_mariadb_dump_of_an_old_release() {
    upgrades_from_a_server_dump(Kind::Mysql);
}

/// The servers read the keys following needs in the script's own round trip: the rows of the
/// key queries are told apart from the script's own results and the COMMIT's.
fn reads_keys_in_the_scripts_own_round_trip(kind: Kind) {
    let Some(url) = server(kind) else {
        return;
    };
    let read = runtime().block_on(async {
        let mut engine = Engine::open(&Target::parse(&url).unwrap()).await.unwrap();
        let read = async {
            engine
                .execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
                .await?;
            engine.execute("CREATE TABLE u (a INT, b TEXT)").await?;
            // A first read keeps each table's key query (after a listing, as in a climb).
            engine.tables().await?;
            engine.keys("t", None).await?;
            engine.keys("u", None).await?;
            let planned = [
                ("t".to_string(), vec!["id".to_string()]),
                ("u".to_string(), vec!["a".to_string(), "b".to_string()]),
            ];
            engine
                .execute_then_keys(
                    "BEGIN;\nINSERT INTO t VALUES (1, 'x'), (2, 'y');\nSELECT 7;\n\
                     INSERT INTO u VALUES (5, 'z')",
                    &planned,
                    "COMMIT",
                )
                .await
        }
        .await;
        engine.close().await.unwrap();
        read.unwrap()
    });
    let sorted = |table: &str| {
        let mut keys: Vec<String> = read[table].iter().map(String::from).collect();
        keys.sort();
        keys
    };
    assert_eq!(sorted("t"), ["[1]", "[2]"]);
    assert_eq!(sorted("u"), [r#"[5,"z"]"#]);
}

#[test]
fn postgres_reads_keys_in_the_scripts_own_round_trip() {
    reads_keys_in_the_scripts_own_round_trip(Kind::Postgres);
}

#[test]
fn mysql_reads_keys_in_the_scripts_own_round_trip() {
    reads_keys_in_the_scripts_own_round_trip(Kind::Mysql);
}

/// A ladder of column renames and drops, new empty tables and a table made from a query, with
/// the origin each record must end with, table by table. Renaming or dropping a column outside
/// a table's key needs no reading; renaming a key column does, and leaves each record its
/// version (keys are values alone); a table made by CREATE TABLE alone is empty; one made `AS
/// SELECT` is not; rows copied from a table leave it unread.
const COLUMN_CHANGES: &[(&str, &str, &str)] = &[
    (
        "1",
        "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(64), note VARCHAR(64))",
        "INSERT INTO users VALUES (1, 'a', 'x'), (2, 'b', 'y')",
    ),
    (
        "2",
        "ALTER TABLE users RENAME COLUMN note TO remark",
        "INSERT INTO users (id, email, remark) VALUES (3, 'c', 'z')",
    ),
    (
        "3",
        "ALTER TABLE users DROP COLUMN remark",
        "INSERT INTO users (id, email) VALUES (4, 'd')",
    ),
    (
        "4",
        "ALTER TABLE users RENAME COLUMN id TO uid",
        "INSERT INTO users (uid, email) VALUES (5, 'e')",
    ),
    (
        "5",
        "CREATE TABLE copies AS SELECT uid, email FROM users WHERE uid < 3",
        "INSERT INTO copies VALUES (6, 'f')",
    ),
    (
        "6",
        "CREATE TABLE empty_t (id INT PRIMARY KEY, v VARCHAR(8))",
        "INSERT INTO empty_t VALUES (7, 'g')",
    ),
    (
        "7",
        "ALTER TABLE empty_t DROP COLUMN v",
        "UPDATE users SET email = 'changed' WHERE uid = 1",
    ),
    // Rows copied from one table into another: only the one inserted into is read again.
    (
        "8",
        "INSERT INTO copies SELECT uid, email FROM users WHERE uid = 4",
        "INSERT INTO empty_t VALUES (8)",
    ),
    // Records copied into a table of the same key keep their version, the table they come from
    // read again or not.
    (
        "9",
        "CREATE TABLE users_copy (uid INT PRIMARY KEY, email VARCHAR(64));
         INSERT INTO users_copy SELECT uid, email FROM users WHERE uid = 2",
        "INSERT INTO users_copy VALUES (9, 'n')",
    ),
    (
        "10",
        "INSERT INTO users_copy SELECT uid, email FROM users WHERE uid = 3",
        "INSERT INTO empty_t VALUES (10)",
    ),
];

/// Climbs `ladder` (version, migration, testdata) on `target` and returns each table's record
/// origins in key order.
fn followed(target: &str, ladder: &[(&str, &str, &str)]) -> Vec<(String, Vec<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    for sub in ["migrations", "testdata"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    for (version, up, testdata) in ladder {
        std::fs::write(root.join(format!("migrations/{version}_step.up.sql")), up).unwrap();
        std::fs::write(root.join(format!("testdata/{version}.sql")), testdata).unwrap();
    }
    let plan = discover(&root.join("migrations"), Some(&root.join("testdata"))).unwrap();
    runtime().block_on(async {
        let mut engine = Engine::open(&Target::parse(target).unwrap()).await.unwrap();
        let climbed = runner::climb(&mut engine, &plan, &|_| false, &mut |_| {}).await;
        engine.close().await.unwrap();
        let climbed = climbed.unwrap();
        climbed
            .tables
            .iter()
            .zip(&climbed.origins)
            .map(|(dump, origins)| {
                let labels = origins
                    .iter()
                    .map(|o| o.as_ref().map_or("?".into(), |o| o.label()))
                    .collect();
                (dump.name.clone(), labels)
            })
            .collect()
    })
}

fn follows_records_through_column_changes(target: &str) {
    let s = |labels: &[&str]| labels.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert_eq!(
        followed(target, COLUMN_CHANGES),
        [
            // Made from a query: its rows are the migration's; it has no primary key.
            (
                "copies".to_string(),
                s(&["migration 5", "migration 5", "migration 8", "5"])
            ),
            ("empty_t".to_string(), s(&["6", "8", "10"])),
            ("users".to_string(), s(&["1", "1", "2", "3", "4"])),
            ("users_copy".to_string(), s(&["1", "2", "9"])),
        ],
        "{target}"
    );
}

#[test]
fn follows_records_through_column_changes_on_sqlite() {
    follows_records_through_column_changes("sqlite");
}

#[test]
fn follows_records_through_column_changes_on_postgres() {
    if let Some(url) = server(Kind::Postgres) {
        follows_records_through_column_changes(&url);
    }
}

#[test]
fn follows_records_through_column_changes_on_mysql() {
    if let Some(url) = server(Kind::Mysql) {
        follows_records_through_column_changes(&url);
    }
}

/// A table outside the current schema is followed like any other.
#[test]
fn follows_records_of_another_schema_on_postgres() {
    let Some(url) = server(Kind::Postgres) else {
        return;
    };
    let ladder = [
        (
            "1",
            "CREATE SCHEMA app; CREATE TABLE app.users (id INT PRIMARY KEY, email TEXT)",
            "INSERT INTO app.users VALUES (1, 'a')",
        ),
        (
            "2",
            "INSERT INTO app.users VALUES (2, 'b')",
            "INSERT INTO app.users VALUES (3, 'c')",
        ),
    ];
    let labels = |l: &[&str]| l.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert_eq!(
        followed(&url, &ladder),
        [("app.users".to_string(), labels(&["1", "migration 2", "2"]))]
    );
}

/// Writes `ladder` (version, migration, testdata) into `root`.
fn write_ladder(root: &Utf8Path, ladder: &[(&str, &str, &str)]) {
    for sub in ["migrations", "testdata"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    for (version, up, testdata) in ladder {
        std::fs::write(root.join(format!("migrations/{version}_step.up.sql")), up).unwrap();
        std::fs::write(root.join(format!("testdata/{version}.sql")), testdata).unwrap();
    }
}

/// Climbs `ladder` on `kind`'s server until it fails; returns the error, the tables left and
/// the rows of `t` (id and v), in id order.
fn climb_failing(kind: Kind, ladder: &[(&str, &str, &str)]) -> (String, Vec<String>, Vec<String>) {
    let url = server(kind).expect("checked by the caller");
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    write_ladder(root, ladder);
    let plan = discover(&root.join("migrations"), Some(&root.join("testdata"))).unwrap();
    runtime().block_on(async {
        let mut engine = Engine::open(&Target::parse(&url).unwrap()).await.unwrap();
        let climbed = runner::climb(&mut engine, &plan, &|_| false, &mut |_| {}).await;
        let tables = engine.tables().await.unwrap();
        let rows = engine
            .query("SELECT id, v FROM t ORDER BY id")
            .await
            .unwrap()
            .rows
            .iter()
            .map(|row| format!("{} {}", row[0], row[1]))
            .collect();
        engine.close().await.unwrap();
        (climbed.unwrap_err().to_string(), tables, rows)
    })
}

/// After its first migration, each script of this ladder only writes records of a table
/// already followed: they go to the server together, in one round trip, up to the third
/// migration, which creates a table (and so ends the batch) and fails at its third statement.
const BATCHED_FAILURE: &[(&str, &str, &str)] = &[
    (
        "1",
        "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))",
        "INSERT INTO t VALUES (1, 'a')",
    ),
    (
        "2",
        "UPDATE t SET v = 'b' WHERE id = 1",
        "INSERT INTO t VALUES (2, 'c')",
    ),
    (
        "3",
        "INSERT INTO t VALUES (3, 'd');\nCREATE TABLE made (id INT PRIMARY KEY);\n\
         INSERT INTO t VALUES (1, 'dup');\nINSERT INTO t VALUES (5, 'f');",
        "INSERT INTO t VALUES (4, 'g')",
    ),
];

/// A script that fails among others sent together is named by file, line and statement, as
/// alone; the scripts before it stay applied, and of it what the engine keeps: nothing on
/// PostgreSQL, the statements before the failing one on MySQL (no transactional DDL there, so
/// statements are counted as their results come back).
#[test]
fn failure_among_scripts_sent_together_on_postgres() {
    if server(Kind::Postgres).is_none() {
        return;
    }
    let (message, tables, rows) = climb_failing(Kind::Postgres, BATCHED_FAILURE);
    assert!(
        message.contains("migrations/3_step.up.sql:3: statement 3 of 4 failed on postgres"),
        "{message}"
    );
    assert!(message.contains("the file was rolled back"), "{message}");
    assert_eq!(tables, ["t"]);
    assert_eq!(rows, [r#"1 "b""#, r#"2 "c""#]);
}

#[test]
fn failure_among_scripts_sent_together_on_mysql() {
    if server(Kind::Mysql).is_none() {
        return;
    }
    let (message, tables, rows) = climb_failing(Kind::Mysql, BATCHED_FAILURE);
    assert!(
        message.contains("migrations/3_step.up.sql:3: statement 3 of 4 failed on mysql"),
        "{message}"
    );
    assert!(
        message.contains("statements 1-2 of the file had already been applied"),
        "{message}"
    );
    // Its first two statements: the CREATE TABLE committed itself and the INSERT before it.
    assert_eq!(tables, ["made", "t"]);
    assert_eq!(rows, [r#"1 "b""#, r#"2 "c""#, r#"3 "d""#]);
}

/// PostgreSQL parses all the scripts sent together before it runs any: a syntax error in the
/// last one fails them all, and each then runs alone until the one at fault, which is named.
#[test]
fn syntax_error_among_scripts_sent_together_on_postgres() {
    if server(Kind::Postgres).is_none() {
        return;
    }
    let ladder = [
        BATCHED_FAILURE[0],
        BATCHED_FAILURE[1],
        (
            "3",
            "UPDATE t SET v = 'h' WHERE id = 2",
            "INSERT INTO t VALUES (4, 'g'",
        ),
    ];
    let (message, tables, rows) = climb_failing(Kind::Postgres, &ladder);
    assert!(
        message.contains("testdata/3.sql:1: statement 1 of 1 failed on postgres"),
        "{message}"
    );
    assert!(message.contains("syntax error"), "{message}");
    assert_eq!(tables, ["t"]);
    assert_eq!(rows, [r#"1 "b""#, r#"2 "h""#]);
}

/// Scripts sent together in one round trip: each part's key queries are told apart from the
/// script's own results and the marks between parts; the batch stops at the part that fails,
/// saying how many results of its statements came back.
fn batch_runs_parts_in_order(kind: Kind) {
    let Some(url) = server(kind) else {
        return;
    };
    let batched = runtime().block_on(async {
        let mut engine = Engine::open(&Target::parse(&url).unwrap()).await.unwrap();
        let batched = async {
            engine
                .execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
                .await?;
            engine.tables().await?;
            engine.keys("t", None).await?;
            let planned = [("t".to_string(), vec!["id".to_string()])];
            let part = |head: &str| ladder::engine::Part {
                head: format!("BEGIN;\n{head}"),
                planned: &planned,
                tail: "COMMIT",
            };
            let parts = [
                part("INSERT INTO t VALUES (1, 'x');\nSELECT 7"),
                part("INSERT INTO t VALUES (2, 'y')"),
                part("INSERT INTO t VALUES (3, 'z');\nINSERT INTO t VALUES (1, 'dup')"),
                part("INSERT INTO t VALUES (4, 'w')"),
            ];
            let batched = engine.execute_batch(&parts).await?;
            let _ = engine.execute("ROLLBACK").await;
            let left = engine.query("SELECT id FROM t ORDER BY id").await?;
            Ok::<_, String>((batched, left.rows.len()))
        }
        .await;
        engine.close().await.unwrap();
        batched.unwrap()
    });
    let (batched, rows) = batched;
    let keys: Vec<Vec<String>> = batched
        .done
        .iter()
        .map(|(keys, _)| {
            let mut keys: Vec<String> = keys["t"].iter().map(String::from).collect();
            keys.sort();
            keys
        })
        .collect();
    assert_eq!(keys, [vec!["[1]"], vec!["[1]", "[2]"]]);
    let (part, results, message) = batched.failed.expect("the third part fails");
    assert_eq!(part, 2);
    // BEGIN's and the first INSERT's.
    assert_eq!(results, 2);
    assert!(message.to_lowercase().contains("dup"), "{message}");
    assert!(!batched.gave_up);
    // The two parts before it, and nothing after it.
    assert_eq!(rows, 2);
}

#[test]
fn postgres_batch_runs_parts_in_order() {
    batch_runs_parts_in_order(Kind::Postgres);
}

#[test]
fn mysql_batch_runs_parts_in_order() {
    batch_runs_parts_in_order(Kind::Mysql);
}

/// A statement that runs past `--statement-timeout` among scripts sent together fails naming
/// its file, long before it would have ended; those before it stay applied.
fn statement_timeout_among_scripts_sent_together(kind: Kind) {
    let Some(url) = server(kind) else { return };
    let sleep = match kind {
        Kind::Postgres => "SELECT pg_sleep(60)",
        Kind::Mysql => "SELECT SLEEP(60)",
    };
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    write_ladder(
        root,
        &[
            BATCHED_FAILURE[0],
            ("2", "UPDATE t SET v = 'b' WHERE id = 1", sleep),
        ],
    );
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(["run", "--db", &url, "--statement-timeout", "1s"])
        .current_dir(root)
        .env_remove("CI")
        .output()
        .unwrap();
    let text = render(&output);
    // The statement sleeps for 60 s; a generous bound that only a hang would break.
    assert!(started.elapsed() < Duration::from_secs(30), "{text}");
    assert_eq!(output.status.code(), Some(1), "{text}");
    let dialect = kind.dialect();
    assert!(
        text.contains(&format!(
            "testdata/2.sql:1: statement 1 of 1 failed on {dialect}: timed out after 1s"
        )),
        "{text}"
    );
}

#[test]
fn statement_timeout_among_scripts_sent_together_on_postgres() {
    statement_timeout_among_scripts_sent_together(Kind::Postgres);
}

#[test]
fn statement_timeout_among_scripts_sent_together_on_mysql() {
    statement_timeout_among_scripts_sent_together(Kind::Mysql);
}

/// A table created without a schema goes where `search_path` says at that moment: PostgreSQL
/// takes a script's new tables without listing them again only while it knows where that is.
#[test]
fn created_tables_are_placed_only_while_the_schema_is_known_on_postgres() {
    let Some(url) = server(Kind::Postgres) else {
        return;
    };
    let placed = runtime().block_on(async {
        let mut engine = Engine::open(&Target::parse(&url).unwrap()).await.unwrap();
        let placed = async {
            let mut placed = vec![engine.created(&["before".to_string()])];
            engine
                .execute("CREATE SCHEMA app; CREATE TABLE t (id INT)")
                .await?;
            engine.tables().await?;
            engine.execute("CREATE TABLE u (id INT)").await?;
            placed.push(engine.created(&["u".to_string()]));
            // Found where it was placed.
            engine.keys("u", None).await?;
            engine.execute("SET search_path TO app, public").await?;
            placed.push(engine.created(&["w".to_string()]));
            engine.tables().await?;
            placed.push(engine.created(&["w".to_string()]));
            Ok::<_, String>(placed)
        }
        .await;
        engine.close().await.unwrap();
        placed.unwrap()
    });
    assert_eq!(placed, [false, true, false, true]);
}
