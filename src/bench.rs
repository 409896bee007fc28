//! `ladder bench`: ladder's full run against the floor (the same SQL as one plain script through
//! one connection) and the peers (`psql -f`, `sqlx migrate run`), on generated corpora, timed
//! in one run and printed as ratios.
//!
//! Every contender runs as a child process, so each time includes process start-up and each
//! peak memory is that process's own (its maximum resident set size, from `wait4`).

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

use crate::corpus;
use crate::dialect::Dialect;
use crate::engine::{Engine, Target, redact_url};
use crate::error::Error;

/// What to measure.
#[derive(Debug, Clone)]
pub struct Options {
    /// Corpus sizes (number of migrations).
    pub sizes: Vec<usize>,
    /// Testdata rows per step.
    pub rows: usize,
    /// Engines, as `--db` takes them: `sqlite`, or server URLs.
    pub dbs: Vec<String>,
    /// Rows of the one-table corpus whose dump and snapshot are timed on SQLite (0: skip).
    pub big_rows: usize,
    /// The `ladder` binary to run.
    pub exe: Utf8PathBuf,
    /// Where corpora are generated.
    pub work: Utf8PathBuf,
}

/// One contender's time and peak memory.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    pub time: Duration,
    /// Peak resident memory in bytes.
    pub peak: u64,
}

/// One engine at one corpus size.
#[derive(Debug, Clone)]
pub struct Row {
    pub dialect: Dialect,
    pub where_: String,
    pub migrations: usize,
    pub ladder: Measure,
    pub floor: Measure,
    pub psql: Option<Measure>,
    /// `Err` says why it did not run (not installed).
    pub sqlx: Result<Measure, String>,
}

/// Every engine in one `ladder run` (they run concurrently), at one corpus size.
#[derive(Debug, Clone)]
pub struct Together {
    pub migrations: usize,
    pub engines: usize,
    pub all: Measure,
    /// The slowest engine's own run.
    pub slowest: Duration,
}

/// Everything one `ladder bench` run measured.
#[derive(Debug, Clone)]
pub struct Results {
    pub rows_per_step: usize,
    pub rows: Vec<Row>,
    pub together: Vec<Together>,
    /// The big dump on SQLite: rows, and the whole `ladder run`.
    pub big: Option<(usize, Measure)>,
    pub machine: String,
}

/// Runs every measurement. Each contender must succeed: a failing one is an error that says
/// which and shows its output.
pub async fn run(options: &Options, mut say: impl FnMut(&str)) -> Result<Results, Error> {
    let mut rows: Vec<Row> = Vec::new();
    let mut together = Vec::new();
    for &n in &options.sizes {
        let dir = options.work.join(format!("corpus-{n}"));
        let _ = fs_err::remove_dir_all(&dir);
        corpus::generate(&dir, n, options.rows)?;
        for db in &options.dbs {
            let target = Target::parse(db)?;
            say(&format!("bench: {n} migrations on {target}"));
            rows.push(measure_engine(options, &dir, n, db, &target).await?);
        }
        if options.dbs.len() > 1 {
            say(&format!("bench: {n} migrations on every engine at once"));
            let mut args = vec!["run"];
            for db in &options.dbs {
                args.extend(["--db", db.as_str()]);
            }
            let slowest = rows
                .iter()
                .filter(|r| r.migrations == n)
                .map(|r| r.ladder.time)
                .max()
                .unwrap_or_default();
            together.push(Together {
                migrations: n,
                engines: options.dbs.len(),
                all: child(&options.exe, &dir, &args)?,
                slowest,
            });
        }
    }
    let big = if options.big_rows > 0 {
        let dir = options.work.join("corpus-big");
        let _ = fs_err::remove_dir_all(&dir);
        corpus::generate(&dir, 1, options.big_rows)?;
        say(&format!(
            "bench: dump and snapshot of {} rows on sqlite3",
            options.big_rows
        ));
        child(&options.exe, &dir, &["run", "--accept", "--db", "sqlite"])?;
        Some((
            options.big_rows,
            child(&options.exe, &dir, &["run", "--db", "sqlite"])?,
        ))
    } else {
        None
    };
    Ok(Results {
        rows_per_step: options.rows,
        rows,
        together,
        big,
        machine: machine(),
    })
}

async fn measure_engine(
    options: &Options,
    dir: &Utf8Path,
    n: usize,
    db: &str,
    target: &Target,
) -> Result<Row, Error> {
    let dialect = target.dialect();
    let plan = crate::discover::discover(&dir.join("migrations"), Some(&dir.join("testdata")))?;
    // The floor's script: each migration, then its testdata, in order, as one file.
    let mut script = String::new();
    for step in &plan.steps {
        for part in [step.up_for(dialect), step.testdata_for(dialect)]
            .into_iter()
            .flatten()
        {
            script.push_str(&part.sql);
            script.push('\n');
        }
    }
    let script_path = dir.join(format!("all.{}.sql", dialect.name()));
    fs_err::write(&script_path, &script).map_err(Error::io("write", &script_path))?;
    // sqlx's layout: `<version>_<name>.sql`, the up migrations for this dialect only.
    let sqlx_dir = dir.join(format!("sqlx-{}", dialect.name()));
    fs_err::create_dir_all(&sqlx_dir).map_err(Error::io("create", &sqlx_dir))?;
    for step in &plan.steps {
        if let Some(up) = step.up_for(dialect) {
            let path = sqlx_dir.join(format!("{}_{}.sql", step.version, step.name));
            fs_err::write(&path, &up.sql).map_err(Error::io("write", &path))?;
        }
    }

    // The first run writes the snapshots; the timed one compares against them, as in CI.
    child(&options.exe, dir, &["run", "--accept", "--db", db])?;
    let ladder = best_of(REPEATS, || child(&options.exe, dir, &["run", "--db", db]))?;
    let floor = best_of(REPEATS, || {
        child(
            &options.exe,
            dir,
            &["bench", "floor", "--db", db, script_path.as_str()],
        )
    })?;
    let psql = match target {
        Target::Postgres { url, .. } if which("psql") => {
            let mut best = None;
            for _ in 0..REPEATS {
                let measured = with_database(target, |scratch| {
                    child(
                        Utf8Path::new("psql"),
                        dir,
                        &[
                            "-q",
                            "-X",
                            "-v",
                            "ON_ERROR_STOP=1",
                            "-d",
                            &database_url(url, scratch),
                            "-f",
                            script_path.as_str(),
                        ],
                    )
                })
                .await?;
                best = Some(better(best, measured));
            }
            best
        }
        _ => None,
    };
    let sqlx = if !which("sqlx") {
        Err("sqlx-cli not installed (cargo install sqlx-cli)".to_string())
    } else {
        let run = |url: &str| {
            child(
                Utf8Path::new("sqlx"),
                dir,
                &[
                    "migrate",
                    "run",
                    "--source",
                    sqlx_dir.as_str(),
                    "--database-url",
                    url,
                ],
            )
        };
        let mut best = None;
        for _ in 0..REPEATS {
            let measured = match target {
                Target::Sqlite => {
                    let file = dir.join("sqlx.db");
                    let _ = fs_err::remove_file(&file);
                    let measured = run(&format!("sqlite://{file}?mode=rwc"));
                    let _ = fs_err::remove_file(&file);
                    measured?
                }
                Target::Postgres { url, .. } | Target::Mysql { url } => {
                    with_database(target, |scratch| run(&database_url(url, scratch))).await?
                }
                Target::Docker(_) => break,
            };
            best = Some(better(best, measured));
        }
        best.ok_or_else(|| "not measured on docker://".to_string())
    };
    Ok(Row {
        dialect,
        where_: redact_url(db),
        migrations: n,
        ladder,
        floor,
        psql,
        sqlx,
    })
}

/// Every contender runs five times and keeps its best time: on a machine shared with other
/// work, timings move from run to run by more than the differences measured (three runs left
/// SQLite's ratio moving by ±0.05 from one `make bench` to the next).
const REPEATS: usize = 5;

fn best_of(n: usize, mut f: impl FnMut() -> Result<Measure, Error>) -> Result<Measure, Error> {
    let mut best: Option<Measure> = None;
    for _ in 0..n.max(1) {
        best = Some(better(best, f()?));
    }
    best.ok_or_else(|| Error::Usage("nothing measured".into()))
}

/// The faster of two measures, with the larger peak of the two.
fn better(best: Option<Measure>, m: Measure) -> Measure {
    match best {
        Some(b) if b.time <= m.time => Measure {
            peak: b.peak.max(m.peak),
            ..b
        },
        Some(b) => Measure {
            peak: b.peak.max(m.peak),
            ..m
        },
        None => m,
    }
}

/// Creates a scratch database on the server for a peer tool, runs `f` with its name, drops it.
/// The time is all of it: ladder's and the floor's runs create and drop their own scratch
/// database too (dropping 1,000 migrations' tables takes a MariaDB server 0.3 s).
async fn with_database(
    target: &Target,
    f: impl FnOnce(&str) -> Result<Measure, Error>,
) -> Result<Measure, Error> {
    let started = Instant::now();
    let engine = Engine::open(target).await?;
    let scratch = engine.scratch_database().unwrap_or_default().to_string();
    // The engine keeps its own connection to the scratch database; the peer gets it empty.
    let measured = f(&scratch);
    engine.close().await?;
    measured.map(|m| Measure {
        time: started.elapsed(),
        ..m
    })
}

/// `url` with its database replaced by `database`.
fn database_url(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = main.split('/').next().unwrap_or(main);
    format!("{scheme}://{authority}/{database}{query}")
}

fn which(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a child process in `dir`, timing it and reading its peak memory; it must exit 0.
fn child(program: &Utf8Path, dir: &Utf8Path, args: &[&str]) -> Result<Measure, Error> {
    let started = Instant::now();
    let spawned = Command::new(program.as_str())
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error::Usage(format!("failed to run {program}: {e}")))?;
    let pid = spawned.id() as libc::pid_t;
    let mut stderr = spawned.stderr;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // std's Child never waited for it, so the pid is still ours to reap; wait4 also gives the
    // child's own peak memory, which std does not.
    // SAFETY: pid is our child's, and both pointers are to live locals.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let time = started.elapsed();
    let mut err = String::new();
    if let Some(s) = stderr.as_mut() {
        let _ = std::io::Read::read_to_string(s, &mut err);
    }
    if reaped != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(Error::Usage(format!(
            "benchmark step failed: {program} {} (in {dir})\n{}",
            args.join(" "),
            err.trim_end()
        )));
    }
    Ok(Measure {
        time,
        // Linux reports ru_maxrss in kilobytes.
        peak: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
    })
}

/// `ladder bench floor`: the script as one plain multi-statement execution through one
/// connection, in a scratch database like ladder's: no splitting, bookkeeping or dump.
pub async fn floor(target: &Target, script: &Utf8Path) -> Result<(), Error> {
    let sql = fs_err::read_to_string(script).map_err(Error::io("read", script))?;
    let mut engine = Engine::open(target).await?;
    let result = engine.execute(&sql).await;
    engine.close().await?;
    result.map_err(|message| Error::Usage(format!("{script}: {message}")))
}

fn machine() -> String {
    let cpu = fs_err::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = fs_err::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(String::new, |kb| {
            format!(", {:.0} GiB", kb as f64 / 1024.0 / 1024.0)
        });
    format!("{cpu}, {cores} cores{memory}")
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        "-".into()
    } else {
        format!("{:.2}", a.as_secs_f64() / b.as_secs_f64())
    }
}

impl Results {
    /// The results as a Markdown table (also readable in a terminal).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Machine: {}.", self.machine);
        let _ = writeln!(
            out,
            "Corpus: `ladder bench gen`, {} testdata rows per step. Times are whole processes, \
             best of {REPEATS}; on a server, each contender's time takes in creating and dropping its \
             scratch database, as ladder's own run does.\n",
            self.rows_per_step
        );
        out.push_str(
            "| engine | migrations | ladder | floor | psql -f | sqlx migrate run | ladder/floor | \
             ladder/sqlx | ladder peak | floor peak |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for row in &self.rows {
            let psql = row.psql.map_or("-".to_string(), |m| secs(m.time));
            let (sqlx, vs_sqlx) = match &row.sqlx {
                Ok(m) => (secs(m.time), ratio(row.ladder.time, m.time)),
                Err(why) => (format!("({why})"), "-".into()),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {psql} | {sqlx} | {} | {vs_sqlx} | {} | {} |",
                row.dialect,
                row.migrations,
                secs(row.ladder.time),
                secs(row.floor.time),
                ratio(row.ladder.time, row.floor.time),
                mb(row.ladder.peak),
                mb(row.floor.peak),
            );
        }
        for t in &self.together {
            let _ = writeln!(
                out,
                "\nAll {} engines in one `ladder run --db … --db …` ({} migrations, concurrently): \
                 {}, against {} for the slowest engine alone (ratio {}).",
                t.engines,
                t.migrations,
                secs(t.all.time),
                secs(t.slowest),
                ratio(t.all.time, t.slowest)
            );
        }
        if let Some((rows, m)) = &self.big {
            let _ = writeln!(
                out,
                "\nDump and snapshot of one table of {rows} rows on sqlite3 (the whole `ladder \
                 run`): {}, peak memory {}.",
                secs(m.time),
                mb(m.peak)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_or_adds_the_database() {
        assert_eq!(
            database_url("postgres://u@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            database_url("mysql://root@h:3306", "x"),
            "mysql://root@h:3306/x"
        );
    }
}
