//! ladder proves that a product's database migrations upgrade safely from every old version, in
//! one pass: it walks `migrations/` in version order, applies `testdata/<version>.sql` right after
//! each migration, and at the end snapshots every record of every table with insta.
//!
//! A product's own tests can call it:
//!
//! ```no_run
//! # fn main() -> Result<(), ladder::Error> {
//! let outcome = ladder::Ladder::in_dir(".")?.run_blocking()?;
//! assert!(outcome.passed(), "{outcome}");
//! # Ok(())
//! # }
//! ```

pub mod bench;
pub mod config;
pub mod corpus;
pub mod coverage;
pub mod dialect;
pub mod discover;
pub mod dump;
pub mod duration;
pub mod engine;
pub mod error;
pub mod export;
pub mod git;
pub mod lint;
pub mod lock;
pub mod matrix;
pub mod origin;
mod par;
pub mod plan;
pub mod problem;
pub mod report;
pub mod runner;
pub mod schema;
pub mod snapshot;
pub mod sql;
pub(crate) mod tokens;
pub mod version;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

pub use crate::config::Config;
pub use crate::dialect::Dialect;
pub use crate::engine::Target;
pub use crate::error::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Error};
pub use crate::plan::Plan;
pub use crate::report::Outcome;
pub use crate::runner::{StepFailure, StepTiming};
pub use crate::version::Version;

use crate::engine::Engine;
use crate::report::EngineRun;
use crate::snapshot::{Glob, Item, Redactions};

/// What a run reports while it goes.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    /// An engine is ready and the ladder starts on it.
    Started {
        dialect: Dialect,
        describe: &'a str,
        steps: usize,
    },
    /// A version's migration and testdata are applied.
    Step {
        dialect: Dialect,
        timing: &'a StepTiming,
    },
    /// A version's down migration is applied (`--down`).
    Down {
        dialect: Dialect,
        timing: &'a StepTiming,
    },
    /// The dump the run starts from is loaded (`--from DUMP --at VERSION`).
    Loaded {
        dialect: Dialect,
        loaded: &'a dump::Loaded,
    },
}

/// A ladder run: which folders, which databases, what to do with snapshots.
#[derive(Debug, Clone)]
pub struct Ladder {
    migrations: Utf8PathBuf,
    testdata: Option<Utf8PathBuf>,
    snapshots: Utf8PathBuf,
    lock: Utf8PathBuf,
    schema_file: Utf8PathBuf,
    targets: Vec<Target>,
    /// Servers to use when they answer and to skip, saying why, when they do not.
    optional: Vec<Target>,
    require_servers: bool,
    accept: bool,
    down: bool,
    roundtrip: bool,
    ignore_tables: Vec<String>,
    redactions: BTreeMap<String, String>,
    /// Release name -> the last migration version it shipped, as written.
    releases: BTreeMap<String, String>,
    handle_signals: bool,
    /// `--from DUMP --at VERSION`: the dump and the version (as given) it is at.
    from: Option<(Utf8PathBuf, String)>,
    statement_timeout: Option<Duration>,
}

/// How long one statement may run unless told otherwise (`--statement-timeout`).
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

impl Ladder {
    /// The conventional layout under `root`: `migrations/`, `testdata/` (if present) and
    /// `snapshots/`, with `root/ladder.toml` applied when it exists.
    pub fn in_dir(root: impl AsRef<Utf8Path>) -> Result<Ladder, Error> {
        let root = root.as_ref();
        // `in_dir(".")` gives `migrations/…` in messages, not `./migrations/…`.
        let root = if root == "." { Utf8Path::new("") } else { root };
        let testdata = root.join("testdata");
        let ladder = Ladder {
            migrations: root.join("migrations"),
            testdata: testdata.is_dir().then_some(testdata),
            snapshots: root.join("snapshots"),
            lock: root.join(lock::LOCK_FILE),
            schema_file: root.join("schema.sql"),
            targets: Vec::new(),
            optional: Vec::new(),
            require_servers: false,
            accept: false,
            down: false,
            roundtrip: false,
            ignore_tables: Vec::new(),
            redactions: BTreeMap::new(),
            releases: BTreeMap::new(),
            handle_signals: false,
            from: None,
            statement_timeout: Some(DEFAULT_STATEMENT_TIMEOUT),
        };
        let config = root.join(config::CONFIG_FILE);
        if config.is_file() {
            Ok(ladder.config(Config::load(&config)?))
        } else {
            Ok(ladder)
        }
    }

    /// Applies the settings of a `ladder.toml`.
    pub fn config(mut self, config: Config) -> Ladder {
        if let Some(dir) = config.migrations {
            self.migrations = dir;
        }
        if let Some(dir) = config.testdata {
            self.testdata = Some(dir);
        }
        if let Some(dir) = config.snapshots {
            self.snapshots = dir;
        }
        if let Some(file) = config.lock {
            self.lock = file;
        }
        if let Some(file) = config.schema_file {
            self.schema_file = file;
        }
        self.ignore_tables.extend(config.ignore_tables);
        self.redactions.extend(config.redactions);
        self.releases.extend(config.releases);
        self
    }

    /// Declares a release and the last migration version it shipped, for the upgrade matrix.
    pub fn release(mut self, name: impl Into<String>, last_version: impl Into<String>) -> Ladder {
        self.releases.insert(name.into(), last_version.into());
        self
    }

    /// The configured releases, checked against the plan: each must name a version that
    /// exists.
    pub fn releases(&self, plan: &Plan) -> Result<Vec<matrix::Release>, Error> {
        let mut problems = Vec::new();
        let mut releases = Vec::new();
        for (name, raw) in &self.releases {
            match Version::parse(raw) {
                Some(version) if plan.steps.iter().any(|s| s.version == version) => {
                    releases.push(matrix::Release {
                        name: name.clone(),
                        version,
                    });
                }
                _ => problems.push(format!(
                    "release {name:?} names version {raw:?}, which no migration has"
                )),
            }
        }
        if problems.is_empty() {
            releases.sort_by(|a, b| a.version.cmp(&b.version));
            Ok(releases)
        } else {
            Err(Error::Config {
                path: config::CONFIG_FILE.into(),
                message: format!(
                    "{}\n  hint: [releases] maps each release to the last migration version it \
                     shipped, e.g. \"v1.4.0\" = \"20240301120000\" (`ladder plan` lists the versions)",
                    problems.join("\n")
                ),
            })
        }
    }

    pub fn migrations(mut self, dir: impl Into<Utf8PathBuf>) -> Ladder {
        self.migrations = dir.into();
        self
    }

    /// The testdata folder; it must exist once set.
    pub fn testdata(mut self, dir: impl Into<Utf8PathBuf>) -> Ladder {
        self.testdata = Some(dir.into());
        self
    }

    pub fn snapshots(mut self, dir: impl Into<Utf8PathBuf>) -> Ladder {
        self.snapshots = dir.into();
        self
    }

    /// Adds a database to run on; with none, embedded SQLite.
    pub fn db(mut self, target: Target) -> Ladder {
        self.targets.push(target);
        self
    }

    /// Adds a server to run on if it answers; if it does not, the run skips it and says why
    /// (unless [`Ladder::require_servers`] is set).
    pub fn db_if_reachable(mut self, target: Target) -> Ladder {
        self.optional.push(target);
        self
    }

    /// Turns a skipped optional server into a failure (CI sets `LADDER_REQUIRE_SERVERS=1`).
    pub fn require_servers(mut self, on: bool) -> Ladder {
        self.require_servers = on;
        self
    }

    /// Writes new and changed snapshots instead of failing on them.
    pub fn accept(mut self, accept: bool) -> Ladder {
        self.accept = accept;
        self
    }

    /// After the up pass, walks back from head to zero through the down migrations.
    pub fn down(mut self, on: bool) -> Ladder {
        self.down = on;
        self
    }

    /// Checks up → down → up for each version, on a scratch database of its own: the schema
    /// after the second up must equal the schema after the first.
    pub fn roundtrip(mut self, on: bool) -> Ladder {
        self.roundtrip = on;
        self
    }

    /// The fresh-install schema file compared with the upgraded database (default
    /// `schema.sql`; `schema.<dialect>.sql` beside it wins for that dialect).
    pub fn schema_file(mut self, path: impl Into<Utf8PathBuf>) -> Ladder {
        self.schema_file = path.into();
        self
    }

    /// Leaves tables matching `pattern` (`*` wildcards) out of the snapshots.
    pub fn ignore_table(mut self, pattern: impl Into<String>) -> Ladder {
        self.ignore_tables.push(pattern.into());
        self
    }

    /// Replaces non-NULL values of `table.column` (`*` wildcards) with `replacement`.
    pub fn redact(mut self, selector: impl Into<String>, replacement: impl Into<String>) -> Ladder {
        self.redactions.insert(selector.into(), replacement.into());
        self
    }

    /// On Ctrl-C or SIGTERM, stop, drop the scratch databases and containers, and report
    /// [`Error::Interrupted`]. Off by default, since it takes over those signals for the process;
    /// the `ladder` command turns it on.
    pub fn handle_signals(mut self, on: bool) -> Ladder {
        self.handle_signals = on;
        self
    }

    /// How long one statement may run before it fails, naming its file and line, as timed out
    /// (default [`DEFAULT_STATEMENT_TIMEOUT`]; `None`: no limit). Covers every statement ladder
    /// runs on the scratch database.
    pub fn statement_timeout(mut self, timeout: Option<Duration>) -> Ladder {
        self.statement_timeout = timeout;
        self
    }

    pub fn migrations_dir(&self) -> &Utf8Path {
        &self.migrations
    }

    /// Starts from a real old database instead of an empty one: loads `dump` (`sqlite3 DB
    /// .dump`, plain `pg_dump` or `mysqldump` output), a database at version `at`, then applies
    /// every migration after `at` and its testdata. `at` must be a version of the plan. The
    /// snapshots of such a run live in `<snapshots>/from-<dump file stem>/<dialect>/`, apart
    /// from those of the seeded ladder.
    pub fn from_dump(mut self, dump: impl Into<Utf8PathBuf>, at: impl Into<String>) -> Ladder {
        self.from = Some((dump.into(), at.into()));
        self
    }

    pub fn snapshot_dir(&self) -> &Utf8Path {
        &self.snapshots
    }

    pub fn lock_file(mut self, path: impl Into<Utf8PathBuf>) -> Ladder {
        self.lock = path.into();
        self
    }

    pub fn lock_path(&self) -> &Utf8Path {
        &self.lock
    }

    /// Writes `migrations.lock` for the current migrations (run it when cutting a release).
    pub fn write_lock(&self) -> Result<usize, Error> {
        let plan = self.plan()?;
        let text = lock::render(&plan, &self.migrations)?;
        let tmp = self.lock.with_extension("lock.tmp");
        fs_err::write(&tmp, &text).map_err(Error::io("write", &tmp))?;
        fs_err::rename(&tmp, &self.lock).map_err(Error::io("write", &self.lock))?;
        Ok(text.lines().filter(|l| !l.starts_with('#')).count())
    }

    /// Fails, naming each file, when released history (the lock file, if there is one) was
    /// edited, deleted, or extended before its newest version.
    pub fn check_lock(&self, plan: &Plan) -> Result<(), Error> {
        if !self.lock.is_file() {
            return Ok(());
        }
        let text = fs_err::read_to_string(&self.lock).map_err(Error::io("read", &self.lock))?;
        let entries = lock::parse(&self.lock, &text)?;
        let problems = lock::check(plan, &self.migrations, &self.lock, &entries);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::History(problem::Problems(problems)))
        }
    }

    /// Snapshot files that nothing in the plan produces any more, for each dialect folder under
    /// the snapshot folder: a table the migrations no longer end with, step queries of a
    /// version that has none. Found without a database.
    pub fn orphan_snapshots(&self, plan: &Plan) -> Result<Vec<problem::Problem>, Error> {
        let mut orphans = Vec::new();
        for dialect in Dialect::ALL {
            let folder = self.snapshots.join(dialect.name());
            if !folder.is_dir() {
                continue;
            }
            let tables: std::collections::BTreeSet<String> = coverage::final_tables(plan, dialect)
                .iter()
                .map(|t| snapshot::path_for(&self.snapshots, dialect, t))
                .map(|p| p.file_stem().unwrap_or_default().to_lowercase())
                .collect();
            for path in snapshot::existing_snapshots(&folder)? {
                let stem = path.file_stem().unwrap_or_default();
                let orphan = match stem.strip_prefix("@query-") {
                    Some(version) => !plan
                        .steps
                        .iter()
                        .any(|s| s.version.as_str() == version && s.queries_for(dialect).is_some()),
                    None if stem == "@schema" => false,
                    None => !tables.contains(&stem.to_lowercase()),
                };
                if orphan {
                    orphans.push(
                        problem::Problem::new(
                            path.clone(),
                            format!("no longer produced by the migrations on {dialect}"),
                        )
                        .hint("delete it, or run `ladder run --accept`, which removes it"),
                    );
                }
            }
        }
        Ok(orphans)
    }

    /// The newest version in the lock file, if there is one.
    pub fn newest_locked(&self) -> Result<Option<Version>, Error> {
        if !self.lock.is_file() {
            return Ok(None);
        }
        let text = fs_err::read_to_string(&self.lock).map_err(Error::io("read", &self.lock))?;
        Ok(lock::parse(&self.lock, &text)?
            .into_iter()
            .map(|e| e.version)
            .max())
    }

    /// Flags risky statements in the up migrations for `dialects` (default: every dialect the
    /// files name, and sqlite3), only in migrations newer than the lock when `since_lock`.
    pub fn lint(
        &self,
        dialects: &[Dialect],
        since_lock: bool,
    ) -> Result<Vec<lint::Finding>, Error> {
        let plan = self.plan()?;
        let newer_than = if since_lock {
            match self.newest_locked()? {
                Some(v) => Some(v),
                None => {
                    return Err(Error::Usage(format!(
                        "--since-lock needs a lock file, and {} does not exist\n  hint: run \
                         `ladder lock` when you release, or lint every migration without --since-lock",
                        self.lock
                    )));
                }
            }
        } else {
            None
        };
        let dialects: Vec<Dialect> = if dialects.is_empty() {
            let mut named: std::collections::BTreeSet<Dialect> = plan
                .steps
                .iter()
                .flat_map(|s| s.up.keys().flatten().copied())
                .collect();
            named.insert(Dialect::Sqlite3);
            named.into_iter().collect()
        } else {
            dialects.to_vec()
        };
        Ok(lint::lint_plan(&plan, &dialects, newer_than.as_ref()))
    }

    /// Writes each report of `outcome` (`ladder run --report KIND=FILE`), atomically; the
    /// Markdown and JSON reports carry the lint findings for the dialects that ran.
    pub fn write_reports(
        &self,
        outcome: &Outcome,
        reports: &[export::ReportFile],
    ) -> Result<(), Error> {
        if reports.is_empty() {
            return Ok(());
        }
        let dialects: std::collections::BTreeSet<Dialect> = outcome
            .runs
            .iter()
            .filter(|r| r.skipped.is_none())
            .map(|r| r.dialect)
            .collect();
        let dialects: Vec<Dialect> = dialects.into_iter().collect();
        // A report without lint is still worth writing; lint's own errors show in `ladder lint`.
        let findings = if dialects.is_empty() {
            None
        } else {
            self.lint(&dialects, false).ok()
        };
        export::write_all(
            outcome,
            reports,
            export::Extras {
                lint: findings.as_deref(),
            },
        )
    }

    /// Reads the folders and builds the ordered plan, touching no database.
    pub fn plan(&self) -> Result<Plan, Error> {
        Ok(discover::discover(
            &self.migrations,
            self.testdata.as_deref(),
        )?)
    }

    /// Runs the ladder quietly.
    pub async fn run(&self) -> Result<Outcome, Error> {
        self.run_with_progress(|_| {}).await
    }

    /// Runs the ladder on a runtime of its own, for a product's plain `#[test]`.
    pub fn run_blocking(&self) -> Result<Outcome, Error> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Usage(format!("failed to start the async runtime: {e}")))?
            .block_on(self.run())
    }

    /// Runs the ladder on every engine, concurrently, reporting each step to `progress`.
    ///
    /// Bad input (files, config) is an `Err`; what happened on each engine, failures included,
    /// is in the [`Outcome`], in the order the engines were given.
    pub async fn run_with_progress(
        &self,
        progress: impl FnMut(Progress<'_>) + Send,
    ) -> Result<Outcome, Error> {
        let plan = self.plan()?;
        self.check_lock(&plan)?;
        let releases = self.releases(&plan)?;
        let from = self.read_dump(&plan)?;
        let snapshots = match &from {
            Some(dump) => self.snapshots.join(dump.snapshot_folder()),
            None => self.snapshots.clone(),
        };
        let redactions = Redactions::new(&self.redactions).map_err(|message| Error::Config {
            path: config::CONFIG_FILE.into(),
            message,
        })?;
        let ignore: Vec<Glob> = self.ignore_tables.iter().map(|p| Glob::new(p)).collect();
        let ignore = |table: &str| ignore.iter().any(|g| g.matches(table));
        let mut targets: Vec<(Target, bool)> =
            if self.targets.is_empty() && self.optional.is_empty() {
                vec![(Target::Sqlite, false)]
            } else {
                self.targets.iter().map(|t| (t.clone(), false)).collect()
            };
        targets.extend(
            self.optional
                .iter()
                .map(|t| (t.clone(), !self.require_servers)),
        );
        let progress = std::sync::Mutex::new(progress);
        let report = |event: Progress<'_>| {
            // A panic in the caller's callback poisons the lock; later events still go out.
            let mut callback = progress.lock().unwrap_or_else(|p| p.into_inner());
            callback(event)
        };
        let prepared = &Prepared {
            plan: &plan,
            releases: &releases,
            redactions: &redactions,
            from: from.as_ref(),
            snapshots: &snapshots,
        };
        let (ignore, report) = (&ignore, &report);
        let runs =
            futures_util::future::join_all(targets.iter().map(|(target, optional)| async move {
                let started = Instant::now();
                let mut run = EngineRun {
                    dialect: target.dialect(),
                    describe: String::new(),
                    steps: Vec::new(),
                    dump_time: Duration::ZERO,
                    tables: Vec::new(),
                    error: None,
                    skipped: None,
                    down: None,
                    fresh: None,
                    roundtrips: None,
                    matrix: None,
                    from: None,
                    total: Duration::ZERO,
                };
                match self
                    .run_on(target, prepared, ignore, report, &mut run)
                    .await
                {
                    Ok(()) => {}
                    // An optional server that never answered: skipped, with the reason.
                    Err(e) if *optional && run.describe.is_empty() => {
                        match skip_unreachable(target, e, false) {
                            Ok(reason) => run.skipped = Some(reason),
                            Err(e) => run.error = Some(e),
                        }
                    }
                    Err(e) => run.error = Some(e),
                }
                run.total = started.elapsed();
                run
            }))
            .await;
        par::drop_later((plan, releases, from));
        Ok(Outcome {
            runs,
            accept: self.accept,
            snapshots: snapshots.clone(),
            releases_configured: !self.releases.is_empty(),
        })
    }

    /// The dump of `--from`, read, with its `--at` version checked against the plan.
    fn read_dump(&self, plan: &Plan) -> Result<Option<dump::Dump>, Error> {
        let Some((path, at)) = &self.from else {
            return Ok(None);
        };
        let step = Version::parse(at).and_then(|v| plan.steps.iter().find(|s| s.version == v));
        let Some(step) = step else {
            let range = match (plan.steps.first(), plan.steps.last()) {
                (Some(first), Some(last)) => {
                    format!(
                        "the versions run from {} to {}",
                        first.version, last.version
                    )
                }
                _ => "there are no migrations".to_string(),
            };
            return Err(Error::Usage(format!(
                "--at {at}: no migration in {}/ has this version\n  hint: {range}; `ladder plan` \
                 lists them. --at names the last migration the dumped database had applied",
                self.migrations
            )));
        };
        Ok(Some(dump::Dump::read(
            path,
            step.version.clone(),
            step.name.clone(),
        )?))
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_on(
        &self,
        target: &Target,
        prepared: &Prepared<'_>,
        ignore: &(dyn Fn(&str) -> bool + Sync),
        progress: &(dyn Fn(Progress<'_>) + Sync),
        run: &mut EngineRun,
    ) -> Result<(), Error> {
        let Prepared {
            plan,
            releases,
            redactions,
            from,
            snapshots,
        } = *prepared;
        // Listen before the scratch database exists, so that no signal can kill the process
        // between creating and dropping it.
        let mut interrupt = Interrupt::new(self.handle_signals)?;
        let mut engine = self.open(target).await?;
        run.describe = engine.describe();
        let dialect = engine.dialect();
        // The accepted snapshots are read on another thread while the ladder climbs; before
        // `check`, which may overwrite them (`--accept`).
        let reading = {
            let dir = snapshots.to_owned();
            // On a thread of its own, at a lower priority (not one of tokio's, which it would
            // keep).
            tokio::task::spawn_blocking(move || {
                let read = std::thread::spawn(move || {
                    par::in_background();
                    snapshot::accepted_bodies(&dir, dialect)
                });
                read.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        };
        progress(Progress::Started {
            dialect,
            describe: &run.describe,
            steps: plan.steps.len(),
        });
        let work = async {
            let loaded = match from {
                Some(dump) => {
                    let loaded = dump::load(&mut engine, dump).await?;
                    progress(Progress::Loaded {
                        dialect,
                        loaded: &loaded,
                    });
                    Some(loaded)
                }
                None => None,
            };
            let at = from.map(|d| &d.at);
            let mut on_step = |timing: &StepTiming| progress(Progress::Step { dialect, timing });
            let mut climb = runner::climb_from(&mut engine, plan, at, ignore, &mut on_step).await?;
            // The tables' snapshots are written on other threads while the schema is read.
            let rendering = {
                let tables = std::mem::take(&mut climb.tables);
                let origins = std::mem::take(&mut climb.origins);
                let redactions = redactions.clone();
                tokio::task::spawn_blocking(move || {
                    let pairs: Vec<_> = tables.iter().zip(&origins).collect();
                    let items: Vec<Item> = par::map(&pairs, |(dump, origins)| {
                        Item::table(dump, origins, dialect, &redactions)
                    });
                    drop(pairs);
                    (items, tables, origins)
                })
            };
            let schema = engine.schema(ignore).await.map_err(|message| Error::Dump {
                context: "read the schema".into(),
                dialect,
                message,
            })?;
            let mut on_down = |timing: &StepTiming| progress(Progress::Down { dialect, timing });
            let down = if self.down {
                Some(runner::descend(&mut engine, plan, ignore, &mut on_down).await)
            } else {
                None
            };
            Ok::<_, Error>((loaded, climb, rendering, schema, down))
        };
        let climbed = tokio::select! {
            climbed = work => climbed,
            () = interrupt.recv() => Err(Error::Interrupted),
        };
        // The scratch database goes whatever happened on it; when it cannot, both are said.
        let closed = engine.close().await;
        let (loaded, climb, rendering, schema, down) = match (climbed, closed) {
            (Ok(climbed), Ok(())) => climbed,
            (Err(e), Ok(())) | (Ok(_), Err(e)) => return Err(e),
            (Err(e), Err(cleanup)) => return Err(Error::Also(Box::new(e), Box::new(cleanup))),
        };
        run.from = loaded;
        run.steps = climb.steps;
        run.dump_time = climb.dump_time;

        let (mut items, tables, origins) = rendering
            .await
            .map_err(|e| Error::Usage(format!("writing the snapshots failed: {e}")))?;
        items.push(Item::schema(schema.render(), dialect));
        items.extend(climb.queries.iter().map(|q| Item::queries(q, dialect)));
        let mut accepted = reading
            .await
            .map_err(|e| Error::Usage(format!("reading the accepted snapshots failed: {e}")))??;
        run.tables = snapshot::check(snapshots, dialect, &items, &accepted, self.accept)?;
        // The matrix counts tables' records; ladder's own `@` snapshots hold none.
        accepted.retain(|stem, _| !stem.starts_with('@'));
        run.matrix = Some(upgrade_matrix(
            releases,
            plan,
            dialect,
            items,
            &mut accepted,
        ));
        par::drop_later((tables, origins, accepted));

        if let Some(down) = down {
            run.down = Some(down?);
        }
        if let Some(script) = self.fresh_schema_script(dialect)? {
            let mut engine = self.open(target).await?;
            let loaded = tokio::select! {
                loaded = async {
                    runner::load_fresh(&mut engine, &script).await?;
                    engine.schema(ignore).await.map_err(|message| Error::Dump {
                        context: "read the fresh-install schema".into(),
                        dialect,
                        message,
                    })
                } => loaded,
                () = interrupt.recv() => Err(Error::Interrupted),
            };
            engine.close().await?;
            let differences = loaded?.diff(&schema, "fresh install", "upgraded");
            if !differences.is_empty() {
                return Err(Error::Drift {
                    dialect,
                    path: script.path,
                    differences,
                });
            }
            run.fresh = Some(script.path);
        }
        if self.roundtrip {
            let mut engine = self.open(target).await?;
            let checked = tokio::select! {
                checked = runner::roundtrip(&mut engine, plan, ignore) => checked,
                () = interrupt.recv() => Err(Error::Interrupted),
            };
            engine.close().await?;
            run.roundtrips = Some(checked?);
        }
        Ok(())
    }

    /// A scratch database on `target`, with the statement timeout set.
    async fn open(&self, target: &Target) -> Result<Engine, Error> {
        let mut engine = Engine::open(target).await?;
        if let Err(message) = engine.set_statement_timeout(self.statement_timeout).await {
            let _ = engine.close().await;
            return Err(Error::Connect {
                action: "set the statement timeout on",
                target: target.to_string(),
                message,
            });
        }
        Ok(engine)
    }

    /// The fresh-install schema file for `dialect`: `schema.<dialect>.sql` beside `schema.sql`,
    /// else `schema.sql` itself, when one exists.
    fn fresh_schema_script(&self, dialect: Dialect) -> Result<Option<plan::Script>, Error> {
        let generic = &self.schema_file;
        let specific = generic.with_extension(format!("{}.sql", dialect.name()));
        let Some(path) = [specific, generic.clone()]
            .into_iter()
            .find(|p| p.is_file())
        else {
            return Ok(None);
        };
        let sql = fs_err::read_to_string(&path).map_err(Error::io("read", &path))?;
        let sql = sql.strip_prefix('\u{feff}').unwrap_or(&sql).to_string();
        Ok(Some(plan::Script {
            no_transaction: sql.trim_start().starts_with("-- no-transaction"),
            path,
            sql,
            first_line: 1,
        }))
    }
}

/// Whether LADDER_REQUIRE_SERVERS=1 (as in CI) is set: then an optional server
/// (`--db-if-reachable`) that does not answer fails the run instead of being skipped.
pub fn servers_required() -> bool {
    std::env::var("LADDER_REQUIRE_SERVERS").is_ok_and(|v| v == "1")
}

/// What becomes of an optional server (`--db-if-reachable`) that failed to open with `error`:
/// skipped, with the reason to print, when it never answered and servers are not `required`;
/// otherwise the error stands (a server that answers with an error is not skipped).
pub fn skip_unreachable(target: &Target, error: Error, required: bool) -> Result<String, Error> {
    if !required && error.is_unreachable() {
        Ok(format!("{target}: {error}"))
    } else {
        Err(error)
    }
}

/// What every engine's run shares, read once before they start.
#[derive(Clone, Copy)]
struct Prepared<'a> {
    plan: &'a Plan,
    releases: &'a [matrix::Release],
    redactions: &'a Redactions,
    /// Where the ladder starts: empty, or a dump (`--from`).
    from: Option<&'a dump::Dump>,
    /// Where its snapshots live.
    snapshots: &'a Utf8Path,
}

/// The upgrade matrix of one engine's run: this run's table records against the accepted ones
/// (tables that are gone count with no records at head).
fn upgrade_matrix(
    releases: &[matrix::Release],
    plan: &Plan,
    dialect: Dialect,
    items: Vec<Item>,
    accepted: &mut BTreeMap<String, String>,
) -> matrix::Matrix {
    let mut tables: Vec<matrix::TableRecords> = items
        .into_iter()
        .filter(|item| !item.name.starts_with('@'))
        .map(|item| matrix::TableRecords {
            // An accepted body equal to this run's holds the same records, every one alive:
            // nothing to read or compare.
            accepted: accepted
                .remove(&item.stem)
                .filter(|body| *body != item.body)
                .and_then(|body| matrix::Record::parse_all(&body, &item.key)),
            table: item.name,
            records: item.records,
        })
        .collect();
    tables.extend(
        std::mem::take(accepted)
            .into_iter()
            .map(|(stem, body)| matrix::TableRecords {
                table: stem,
                records: Vec::new(),
                accepted: matrix::Record::parse_all(&body, &[]),
            }),
    );
    let releases = matrix::releases(releases, plan, dialect);
    let matrix = matrix::matrix(&releases, plan, dialect, &tables);
    par::drop_later(tables);
    matrix
}

/// Ctrl-C and SIGTERM, when the ladder handles them.
struct Interrupt(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

impl Interrupt {
    fn new(on: bool) -> Result<Interrupt, Error> {
        use tokio::signal::unix::{SignalKind, signal};
        if !on {
            return Ok(Interrupt(None));
        }
        let listen = |kind| {
            signal(kind).map_err(|e| Error::Usage(format!("failed to listen for signals: {e}")))
        };
        Ok(Interrupt(Some((
            listen(SignalKind::interrupt())?,
            listen(SignalKind::terminate())?,
        ))))
    }

    async fn recv(&mut self) {
        match &mut self.0 {
            Some((int, term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            None => std::future::pending().await,
        }
    }
}
