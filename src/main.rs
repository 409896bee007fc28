//! The `ladder` command: a thin front end over the library.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use ladder::export::ReportFile;
use ladder::{Config, EXIT_BAD_INPUT, Error, Ladder, Progress, Target, report};

/// Prove that database migrations upgrade safely from every old version, in one pass.
///
/// Walks the migrations in version order, applies testdata/<version>.sql right after each
/// migration, and compares every record of every table with the snapshots.
///
/// Exit codes: 0 ok, 1 verification failed (snapshot differs, migration or testdata failed),
/// 2 bad input or usage, 130 interrupted (Ctrl-C or SIGTERM; scratch databases dropped first).
#[derive(Parser)]
#[command(name = "ladder", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the ladder and compare every table with its snapshot.
    Run(RunArgs),
    /// Print the ordered plan without touching a database.
    Plan(Dirs),
    /// Write migrations.lock: a checksum per migration file. Run it when cutting a release; from
    /// then on `check` and `run` fail when a locked migration is edited or deleted, or when a
    /// new migration sorts before the newest locked one.
    Lock(LockArgs),
    /// Check, without a database server: released history against migrations.lock (error),
    /// migrations that change a table no older testdata puts rows in (warning: the ladder does
    /// not really test them), and snapshot files nothing produces any more (error).
    Check(LockArgs),
    /// Flag risky statements in the up migrations: rule code, file:line and why. PostgreSQL
    /// and CockroachDB files go through squawk's rules; SQLite and MySQL through ladder's own.
    /// `-- ladder:allow <rule>` on or above a statement silences that rule for it.
    /// Exit 1 when anything is flagged.
    Lint(LintArgs),
    /// List the releases in ladder.toml ([releases]: each release and the last migration it
    /// shipped), which the upgrade matrix of `run` reports on; with --from-git, propose the
    /// table from git tags instead.
    Releases(ReleasesArgs),
    /// Benchmarks: generate a synthetic product, or time ladder against the floor (the same SQL
    /// as one plain script) and the peers (`psql -f`, `sqlx migrate run`).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Write a synthetic product into DIR: N migrations mixing CREATE, ALTER, backfill UPDATEs
    /// and index changes (with MySQL variants where the SQL differs), and testdata inserting R
    /// rows per step.
    Gen {
        #[arg(long, value_name = "N")]
        migrations: usize,
        #[arg(long, value_name = "R", default_value_t = 10)]
        rows: usize,
        dir: Utf8PathBuf,
    },
    /// Time ladder's full run, the floor and the peers on generated corpora, in one run, and
    /// print the times, the ratios and peak memory.
    Run {
        /// Corpus sizes (migrations), comma-separated.
        #[arg(
            long,
            value_name = "N,N",
            value_delimiter = ',',
            default_value = "100,1000"
        )]
        n: Vec<usize>,
        /// Testdata rows per step.
        #[arg(long, value_name = "R", default_value_t = 10)]
        rows: usize,
        /// Database to measure on (repeatable) [default: sqlite].
        #[arg(long, value_name = "URL")]
        db: Vec<String>,
        /// Server to measure on if it answers, skipped with the reason if not, as `ladder run`
        /// skips it; with LADDER_REQUIRE_SERVERS=1 one that does not answer fails (repeatable).
        #[arg(long, value_name = "URL")]
        db_if_reachable: Vec<String>,
        /// Rows of the one-table corpus whose dump and snapshot are timed on SQLite (0: skip).
        #[arg(long, value_name = "ROWS", default_value_t = 100_000)]
        big_rows: usize,
        /// Also write the results as Markdown to FILE.
        #[arg(long, value_name = "FILE")]
        markdown: Option<Utf8PathBuf>,
    },
    /// The floor: run FILE as one plain script through one connection, in a scratch database.
    #[command(hide = true)]
    Floor {
        #[arg(long, value_name = "URL", default_value = "sqlite")]
        db: String,
        file: Utf8PathBuf,
    },
}

#[derive(Args)]
struct ReleasesArgs {
    #[command(flatten)]
    dirs: Dirs,
    /// Propose [releases] from the git tags: for each tag, the newest migration in its copy of
    /// the migrations folder. Prints TOML to paste into ladder.toml.
    #[arg(long)]
    from_git: bool,
}

#[derive(Args)]
struct LintArgs {
    #[command(flatten)]
    lock: LockArgs,
    /// Dialect to lint for (repeatable) [default: every dialect the file names mention, and
    /// sqlite3].
    #[arg(long, value_name = "DIALECT", value_parser = parse_dialect)]
    dialect: Vec<ladder::Dialect>,
    /// Only migrations newer than the newest one in the lock file.
    #[arg(long)]
    since_lock: bool,
}

fn parse_dialect(name: &str) -> Result<ladder::Dialect, String> {
    ladder::Dialect::from_name(name)
        .ok_or_else(|| "expected sqlite3, postgres, mysql or cockroach".to_string())
}

#[derive(Args)]
struct LockArgs {
    #[command(flatten)]
    dirs: Dirs,
    /// Lock file [default: migrations.lock, or `lock` in ladder.toml].
    #[arg(long, value_name = "FILE")]
    lock: Option<Utf8PathBuf>,
}

#[derive(Args)]
struct Dirs {
    /// Migrations folder [default: migrations, or `migrations` in ladder.toml].
    #[arg(long, value_name = "DIR")]
    migrations: Option<Utf8PathBuf>,
    /// Testdata folder [default: testdata, when it exists].
    #[arg(long, value_name = "DIR")]
    testdata: Option<Utf8PathBuf>,
    /// Config file [default: ladder.toml, when it exists].
    #[arg(long, value_name = "FILE")]
    config: Option<Utf8PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    dirs: Dirs,
    /// Snapshot folder; snapshots live in <DIR>/<dialect>/<table>.snap [default: snapshots].
    #[arg(long, value_name = "DIR")]
    snapshots: Option<Utf8PathBuf>,
    /// Database to run on (repeatable; several run concurrently): `sqlite` (embedded, in
    /// memory), `postgres://USER@HOST:5432/DB`, `mysql://USER@HOST:3306`, `mariadb://…`,
    /// `cockroach://…`, or a throwaway container: `docker://postgres/16`, `docker://mysql/8`,
    /// `docker://mariadb/11`, `docker://cockroach`. A server run happens in a scratch
    /// database that ladder creates and drops. Default: sqlite.
    #[arg(long, value_name = "URL")]
    db: Vec<String>,
    /// Server to run on if it answers, skipped with the reason if it does not (repeatable).
    /// With LADDER_REQUIRE_SERVERS=1 (as in CI) a server that does not answer fails the run.
    #[arg(long, value_name = "URL")]
    db_if_reachable: Vec<String>,
    /// After the up pass, walk back from head to zero through the down migrations, and check
    /// that no table is left.
    #[arg(long)]
    down: bool,
    /// Check up, down, up for each version (on a scratch database of its own, without testdata):
    /// the schema after the second up must equal the schema after the first.
    #[arg(long)]
    roundtrip: bool,
    /// Write new and changed snapshots (and remove those of dropped tables) instead of failing.
    /// Refused when CI is set.
    #[arg(long)]
    accept: bool,
    /// Start from a real old database instead of an empty one: load FILE, a dump of a database
    /// at the version --at names (`sqlite3 DB .dump`, plain `pg_dump`, `mysqldump`, from the
    /// same kind of database as --db), skip the migrations up to --at, then apply every later
    /// migration and its testdata. Its snapshots live apart, in
    /// <snapshots>/from-<FILE stem>/<dialect>/ (--accept writes there).
    #[arg(long, value_name = "FILE", requires = "at")]
    from: Option<Utf8PathBuf>,
    /// The version the --from dump is at: the last migration its database had applied. It must
    /// be a version in the migrations folder.
    #[arg(long, value_name = "VERSION", requires = "from")]
    at: Option<String>,
    /// Also write a report, whatever the outcome (repeatable): KIND=FILE, where KIND is
    /// `json` (stable shape, see README), `junit` (JUnit XML for CI test reporters), `markdown`
    /// (for a pull-request comment or $GITHUB_STEP_SUMMARY) or `html` (one self-contained page
    /// with a timing chart and the upgrade matrix). Written atomically before ladder exits.
    #[arg(long, value_name = "KIND=FILE", value_parser = ReportFile::parse)]
    report: Vec<ReportFile>,
    /// How long one statement may run before the run fails, naming its file and line: e.g.
    /// 500ms, 30s, 2m, 1m30s; 0 for no limit. PostgreSQL and MariaDB stop it themselves
    /// (MySQL only SELECTs); otherwise ladder closes the connection shortly after.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = ladder::duration::parse)]
    statement_timeout: Limit,
}

/// `--statement-timeout`: an alias, so that clap takes `None` (`0`) as a value, not as absent.
type Limit = Option<std::time::Duration>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Plan(dirs) => plan(dirs),
        Command::Run(args) => run(args),
        Command::Lock(args) => lock(args),
        Command::Check(args) => check(args),
        Command::Lint(args) => lint(args),
        Command::Releases(args) => releases(args),
        Command::Bench(command) => bench(command),
    };
    ExitCode::from(code as u8)
}

/// Prints a line to stdout; a closed pipe (`ladder plan | head`) is not an error.
fn say(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Progress lines on their way to stdout, written together every [`Lines::EVERY`] by a thread
/// of their own ([`Lines::start`]): one write per step would cost more than many steps take.
#[derive(Default)]
struct Lines {
    text: std::sync::Mutex<String>,
    done: std::sync::atomic::AtomicBool,
}

impl Lines {
    const EVERY: std::time::Duration = std::time::Duration::from_millis(100);

    /// Lines, and, when `wanted`, the thread that writes them until [`Lines::finish`].
    fn start(wanted: bool) -> std::sync::Arc<Lines> {
        let lines = std::sync::Arc::new(Lines::default());
        let theirs = std::sync::Arc::clone(&lines);
        let flushing = wanted.then(|| {
            std::thread::Builder::new().spawn(move || {
                while !theirs.done.load(std::sync::atomic::Ordering::Acquire) {
                    std::thread::sleep(Self::EVERY);
                    theirs.flush();
                }
            })
        });
        // Without the thread, each line goes out as it comes.
        let flushing = flushing.is_some_and(|spawned| spawned.is_ok());
        lines
            .done
            .store(!flushing, std::sync::atomic::Ordering::Release);
        lines
    }

    fn push(&self, line: &str) {
        let mut text = self.text.lock().unwrap_or_else(|p| p.into_inner());
        text.push_str(line);
        text.push('\n');
        if self.done.load(std::sync::atomic::Ordering::Acquire) {
            drop(text);
            self.flush();
        }
    }

    fn flush(&self) {
        let mut text = self.text.lock().unwrap_or_else(|p| p.into_inner());
        if !text.is_empty() {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            text.clear();
        }
    }

    /// Writes what is left; from now on, each line as it comes. The thread is not waited for:
    /// it stops when it next wakes.
    fn finish(&self) {
        self.done.store(true, std::sync::atomic::Ordering::Release);
        self.flush();
    }
}

fn ladder(dirs: &Dirs) -> Result<Ladder, Error> {
    let mut ladder = match &dirs.config {
        Some(path) => Ladder::in_dir(".")?.config(Config::load(path)?),
        None => Ladder::in_dir(".")?,
    };
    if let Some(dir) = &dirs.migrations {
        ladder = ladder.migrations(dir.clone());
    }
    if let Some(dir) = &dirs.testdata {
        ladder = ladder.testdata(dir.clone());
    }
    Ok(ladder)
}

fn fail(error: &Error) -> i32 {
    eprintln!("error: {error}");
    error.exit_code()
}

fn plan(dirs: Dirs) -> i32 {
    let plan = match ladder(&dirs).and_then(|l| l.plan()) {
        Ok(plan) => plan,
        Err(e) => return fail(&e),
    };
    let with_testdata = plan.steps.iter().filter(|s| !s.testdata.is_empty()).count();
    say(format_args!(
        "{} migrations, {with_testdata} with testdata",
        plan.steps.len()
    ));
    let variants = |v: &ladder::plan::Variants| -> String {
        v.keys()
            .map(|k| k.map_or("all", |d| d.name()))
            .collect::<Vec<_>>()
            .join(",")
    };
    for step in &plan.steps {
        let mut line = format!("{} {}  up[{}]", step.version, step.name, variants(&step.up));
        if !step.down.is_empty() {
            line.push_str(&format!(" down[{}]", variants(&step.down)));
        }
        if !step.testdata.is_empty() {
            line.push_str(&format!(" testdata[{}]", variants(&step.testdata)));
        }
        say(line);
    }
    0
}

fn bench(command: BenchCommand) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return fail(&Error::Usage(format!(
                "failed to start the async runtime: {e}"
            )));
        }
    };
    match command {
        BenchCommand::Gen {
            migrations,
            rows,
            dir,
        } => match ladder::corpus::generate(&dir, migrations, rows) {
            Ok(corpus) => {
                say(format_args!(
                    "wrote {dir}: {migrations} migrations, {rows} testdata rows per step ({} files)",
                    corpus.files
                ));
                0
            }
            Err(e) => fail(&e),
        },
        BenchCommand::Floor { db, file } => {
            let done = Target::parse(&db)
                .map(|target| runtime.block_on(ladder::bench::floor(&target, &file)));
            match done.and_then(|r| r) {
                Ok(()) => 0,
                Err(e) => fail(&e),
            }
        }
        BenchCommand::Run {
            n,
            rows,
            mut db,
            db_if_reachable,
            big_rows,
            markdown,
        } => {
            // As `ladder run --db-if-reachable` does: a server that does not answer is skipped,
            // unless LADDER_REQUIRE_SERVERS=1.
            let required = ladder::servers_required();
            for spec in db_if_reachable {
                let target = match Target::parse(&spec) {
                    Ok(target) => target,
                    Err(e) => return fail(&e),
                };
                let opened = runtime
                    .block_on(async { ladder::engine::Engine::open(&target).await?.close().await });
                match opened.map_err(|e| ladder::skip_unreachable(&target, e, required)) {
                    Ok(()) => db.push(spec),
                    Err(Ok(reason)) => say(format_args!("skipped: {reason}")),
                    Err(Err(e)) => return fail(&e),
                }
            }
            if db.is_empty() {
                db.push("sqlite".into());
            }
            let exe = std::env::current_exe()
                .ok()
                .and_then(|p| Utf8PathBuf::from_path_buf(p).ok());
            let Some(exe) = exe else {
                return fail(&Error::Usage("cannot find the ladder binary itself".into()));
            };
            // Removed when dropped, after the run, whatever its outcome.
            let temp = tempfile::Builder::new().prefix("ladder-bench-").tempdir();
            let work = match temp
                .as_ref()
                .map(|t| Utf8PathBuf::from_path_buf(t.path().into()))
            {
                Ok(Ok(w)) => w,
                Ok(Err(p)) => {
                    return fail(&Error::Usage(format!(
                        "temporary folder {} is not UTF-8",
                        p.display()
                    )));
                }
                Err(e) => {
                    return fail(&Error::Usage(format!(
                        "failed to create a temporary folder: {e}"
                    )));
                }
            };
            let options = ladder::bench::Options {
                sizes: n,
                rows,
                dbs: db,
                big_rows,
                exe,
                work: work.clone(),
            };
            let results = runtime.block_on(ladder::bench::run(&options, |line| say(line)));
            match results {
                Ok(results) => {
                    let text = results.markdown();
                    say(&text);
                    if let Some(path) = markdown
                        && let Err(e) = fs_err::write(&path, &text)
                    {
                        return fail(&Error::Usage(format!("failed to write {path}: {e}")));
                    }
                    0
                }
                Err(e) => fail(&e),
            }
        }
    }
}

fn releases(args: ReleasesArgs) -> i32 {
    let ladder = match ladder(&args.dirs) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    if args.from_git {
        return match ladder::git::releases_from_tags(ladder.migrations_dir()) {
            Ok(found) if found.is_empty() => {
                say("# no git tag holds migrations: tag your releases, then run this again");
                0
            }
            Ok(found) => {
                say(format_args!(
                    "# proposed from {} git tag{}: the newest migration in each tag's {}; \
                     paste into ladder.toml",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" },
                    ladder.migrations_dir()
                ));
                print!("{}", ladder::git::render(&found));
                0
            }
            Err(e) => fail(&e),
        };
    }
    let listed = ladder.plan().and_then(|plan| {
        let releases = ladder.releases(&plan)?;
        Ok((plan, releases))
    });
    let (plan, releases) = match listed {
        Ok(found) => found,
        Err(e) => return fail(&e),
    };
    if releases.is_empty() {
        say(
            "no [releases] in ladder.toml: the upgrade matrix has a row per version with testdata\n  \
             hint: `ladder releases --from-git` proposes the table from your git tags",
        );
        return 0;
    }
    for release in &releases {
        let on_top = plan
            .steps
            .iter()
            .filter(|s| s.version > release.version)
            .count();
        let name = plan
            .steps
            .iter()
            .find(|s| s.version == release.version)
            .map_or("", |s| s.name.as_str());
        say(format_args!(
            "{}  {} {name}  ({on_top} migration{} since)",
            release.name,
            release.version,
            if on_top == 1 { "" } else { "s" }
        ));
    }
    0
}

fn lock_ladder(args: &LockArgs) -> Result<Ladder, Error> {
    let ladder = ladder(&args.dirs)?;
    Ok(match &args.lock {
        Some(path) => ladder.lock_file(path.clone()),
        None => ladder,
    })
}

fn lock(args: LockArgs) -> i32 {
    match lock_ladder(&args).and_then(|l| Ok((l.write_lock()?, l))) {
        Ok((files, ladder)) => {
            say(format_args!(
                "wrote {}: {files} migration file{} locked",
                ladder.lock_path(),
                if files == 1 { "" } else { "s" }
            ));
            0
        }
        Err(e) => fail(&e),
    }
}

/// Released history, test coverage and orphaned snapshots, without a database server.
fn check(args: LockArgs) -> i32 {
    let ladder = match lock_ladder(&args) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let plan = match ladder.plan() {
        Ok(plan) => plan,
        Err(e) => return fail(&e),
    };
    let mut failed = false;
    match ladder.check_lock(&plan) {
        Ok(()) if ladder.lock_path().is_file() => say(format_args!(
            "ok: {} migrations match {}",
            plan.steps.len(),
            ladder.lock_path()
        )),
        Ok(()) => say(format_args!(
            "ok: {} migrations (no {} yet: run `ladder lock` when you release)",
            plan.steps.len(),
            ladder.lock_path()
        )),
        Err(e) => {
            eprintln!("error: {e}");
            failed = true;
        }
    }
    let dialects = ladder::Dialect::ALL;
    let warnings = ladder::coverage::warnings(&plan, &dialects);
    for warning in &warnings {
        say(warning);
    }
    if warnings.is_empty() {
        say(
            "ok: every migration that changes a table's data has older testdata rows in that table",
        );
    }
    match ladder.orphan_snapshots(&plan) {
        Ok(orphans) if orphans.is_empty() => {
            say("ok: every snapshot file is produced by the migrations")
        }
        Ok(orphans) => {
            for orphan in orphans {
                eprintln!("error: {orphan}");
            }
            failed = true;
        }
        Err(e) => return fail(&e),
    }
    if failed { ladder::EXIT_FAILED } else { 0 }
}

fn lint(args: LintArgs) -> i32 {
    let findings =
        match lock_ladder(&args.lock).and_then(|l| l.lint(&args.dialect, args.since_lock)) {
            Ok(findings) => findings,
            Err(e) => return fail(&e),
        };
    for finding in &findings {
        say(finding);
    }
    if findings.is_empty() {
        say("ok: no risky statements found");
        return 0;
    }
    let files: std::collections::BTreeSet<_> = findings.iter().map(|f| &f.path).collect();
    say(format_args!(
        "FAILED: {} finding{} in {} file{}\n  hint: if a statement is safe here (say, the table is small), \
         put `-- ladder:allow <rule>` on or above it",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    ));
    ladder::EXIT_FAILED
}

fn run(args: RunArgs) -> i32 {
    if args.accept && std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        eprintln!(
            "error: refusing to --accept snapshots in CI (CI is set)\n  hint: accept locally, review the .snap diffs, and commit them"
        );
        return EXIT_BAD_INPUT;
    }
    let mut ladder = match ladder(&args.dirs) {
        Ok(l) => l
            .accept(args.accept)
            .down(args.down)
            .roundtrip(args.roundtrip)
            .statement_timeout(args.statement_timeout)
            .handle_signals(true),
        Err(e) => return fail(&e),
    };
    if let Some(dir) = args.snapshots {
        ladder = ladder.snapshots(dir);
    }
    if let (Some(dump), Some(at)) = (args.from, args.at) {
        ladder = ladder.from_dump(dump, at);
    }
    for spec in &args.db {
        match Target::parse(spec) {
            Ok(target) => ladder = ladder.db(target),
            Err(e) => return fail(&e),
        }
    }
    for spec in &args.db_if_reachable {
        match Target::parse(spec) {
            Ok(target) => ladder = ladder.db_if_reachable(target),
            Err(e) => return fail(&e),
        }
    }
    ladder = ladder.require_servers(ladder::servers_required());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    // With a bar, lines go above it as they come.
    let lines = Lines::start(bar.is_none());
    let print = |line: String| match &bar {
        Some(bar) => bar.println(line),
        None => lines.push(&line),
    };
    let outcome = runtime.block_on(ladder.run_with_progress(|event| match event {
        Progress::Started {
            dialect: _,
            describe,
            steps,
        } => {
            if let Some(bar) = &bar {
                bar.set_length(steps as u64);
                bar.set_position(0);
            }
            print(format!(
                "ladder: {steps} migration{} on {describe}",
                if steps == 1 { "" } else { "s" }
            ));
        }
        Progress::Step { dialect, timing } => {
            if let Some(bar) = &bar {
                bar.inc(1);
                bar.set_message(timing.version.to_string());
            }
            print(report::step_line(dialect, timing));
        }
        Progress::Loaded { dialect, loaded } => print(report::loaded_line(dialect, loaded)),
        Progress::Down { dialect, timing } => {
            if let Some(bar) = &bar {
                bar.set_message(format!("down {}", timing.version));
            }
            print(report::down_line(dialect, timing));
        }
    }));
    lines.finish();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match outcome {
        Ok(outcome) => {
            let _ = write!(std::io::stdout().lock(), "{outcome}");
            match ladder.write_reports(&outcome, &args.report) {
                Ok(()) => outcome.exit_code(),
                Err(e) => fail(&e).max(outcome.exit_code()),
            }
        }
        Err(e) => fail(&e),
    }
}
