//! The ladder loop, written once for every engine: each migration, then its testdata, in order.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use camino::Utf8PathBuf;

use crate::dialect::Dialect;
use crate::engine::{Engine, Keys, QueryResult, TableDump};
use crate::error::Error;
use crate::origin::{After, Origin, Origins, Scan, Told};
use crate::plan::{Plan, Script};
use crate::sql;
use crate::version::Version;

/// What one step did, and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct StepTiming {
    pub version: Version,
    pub name: String,
    /// `None` when the version has no migration for this dialect (it exists for others only).
    pub migration: Option<Duration>,
    /// When `migration` is `None`: the dialects that do have a file for this version.
    pub only_for: Vec<Dialect>,
    /// `None` when the version has no testdata for this dialect.
    pub testdata: Option<Duration>,
    /// `Some(at)` when the step was skipped because the dump the run started from is at `at`
    /// (`--from DUMP --at VERSION`), which stands in for it.
    pub in_dump: Option<Version>,
}

/// Everything a finished ladder read back from the database.
#[derive(Debug, Clone)]
pub struct Climb {
    pub steps: Vec<StepTiming>,
    pub tables: Vec<TableDump>,
    /// For each table, the origin of each row (in row order): which version's testdata
    /// inserted it.
    pub origins: Vec<Vec<Option<std::sync::Arc<Origin>>>>,
    /// Results of the step queries (`testdata/<ver>.query.sql`), in version order.
    pub queries: Vec<StepQueries>,
    pub dump_time: Duration,
}

/// What one version's step queries returned, right after its migration.
#[derive(Debug, Clone, PartialEq)]
pub struct StepQueries {
    pub version: Version,
    pub path: Utf8PathBuf,
    /// Each query's file line, text and result.
    pub results: Vec<(usize, String, QueryResult)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Migration,
    Testdata,
    /// The down migration, walking back from head (`--down`).
    Down,
    /// Step checks (`testdata/<ver>.check.sql`).
    Check,
    /// The fresh-install schema file, loaded into its own scratch database.
    Fresh,
    /// The up → down → up round trip of a version (`--roundtrip`).
    Roundtrip,
    /// The dump of an old release the run starts from (`--from DUMP --at VERSION`).
    Dump,
}

/// A statement that failed, where it is, and how far the ladder got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    pub dialect: Dialect,
    pub version: Version,
    pub name: String,
    pub phase: Phase,
    pub path: Utf8PathBuf,
    /// 1-based line of the failing statement in `path`.
    pub line: usize,
    /// 1-based position of the statement in its file, and how many the file has.
    pub statement: usize,
    pub statements: usize,
    pub sql: String,
    /// The database's own message.
    pub message: String,
    /// The last version whose migration and testdata were fully applied.
    pub reached: Option<Version>,
    /// Whether the file ran in a transaction.
    pub transaction: bool,
    /// Whether that transaction undid the whole file (not so where DDL commits implicitly).
    pub rolled_back: bool,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}: statement {} of {} failed on {}: {}",
            self.path, self.line, self.statement, self.statements, self.dialect, self.message
        )?;
        writeln!(f, "  statement: {}", excerpt(&self.sql))?;
        let reached = match (&self.reached, self.phase) {
            (Some(v), Phase::Down) => format!("walked down to {v}"),
            (None, Phase::Down) => "walked down from head".to_string(),
            (Some(v), _) => format!("reached {v}"),
            (None, _) => "reached no version".to_string(),
        };
        let what = match self.phase {
            Phase::Migration => format!("failed applying {} ({})", self.version, self.name),
            Phase::Testdata => format!(
                "migration {} ({}) applied; failed applying its testdata",
                self.version, self.name
            ),
            Phase::Down => format!(
                "failed applying the down migration of {} ({})",
                self.version, self.name
            ),
            Phase::Check => format!(
                "migration {} ({}) applied; failed running its checks",
                self.version, self.name
            ),
            Phase::Fresh => "failed loading the fresh-install schema".to_string(),
            Phase::Roundtrip => format!(
                "failed the up/down/up round trip of {} ({})",
                self.version, self.name
            ),
            Phase::Dump => format!(
                "failed loading the dump, a database at {} ({})",
                self.version, self.name
            ),
        };
        if self.phase == Phase::Check {
            return write!(f, "  {reached}; {what}");
        }
        if self.phase == Phase::Dump {
            // A dump runs outside ladder's transactions: what it loaded before stays.
            let state = match self.statement {
                1 => "nothing of it was loaded".to_string(),
                n => format!("statements 1-{} of it were loaded", n - 1),
            };
            return write!(f, "  {what}; {state}");
        }
        let state = if self.rolled_back {
            "the file was rolled back".to_string()
        } else if self.statement > 1 {
            let why = if self.transaction {
                format!(
                    "{} commits DDL implicitly, so a rollback cannot undo them",
                    self.dialect
                )
            } else {
                "no transaction".to_string()
            };
            format!(
                "statements 1-{} of the file had already been applied ({why})",
                self.statement - 1
            )
        } else {
            "nothing of the file was applied".to_string()
        };
        write!(f, "  {reached}; {what}; {state}")
    }
}

impl std::error::Error for StepFailure {}

/// The first line of a statement, shortened, for error messages.
fn excerpt(sql: &str) -> String {
    let first = sql.lines().next().unwrap_or("").trim_end();
    let mut out: String = first.chars().take(100).collect();
    if out.len() < first.len() || sql.lines().nth(1).is_some() {
        out.push_str(" …");
    }
    out
}

/// Walks the plan on `engine`: after each migration its testdata; then reads every table not in
/// `ignore`. `on_step` hears about each step as it finishes.
pub async fn climb(
    engine: &mut Engine,
    plan: &Plan,
    ignore: &dyn Fn(&str) -> bool,
    on_step: &mut (dyn FnMut(&StepTiming) + Send),
) -> Result<Climb, Error> {
    climb_from(engine, plan, None, ignore, on_step).await
}

/// [`climb`] on a database already at version `at` (a loaded dump, see [`crate::dump`]): the
/// steps up to and including `at` are skipped, since the dump stands in for them, and reported
/// as such; the rest run as usual.
pub async fn climb_from(
    engine: &mut Engine,
    plan: &Plan,
    at: Option<&Version>,
    ignore: &dyn Fn(&str) -> bool,
    on_step: &mut (dyn FnMut(&StepTiming) + Send),
) -> Result<Climb, Error> {
    let dialect = engine.dialect();
    let mut steps = Vec::with_capacity(plan.steps.len());
    let mut queries = Vec::new();
    let mut reached: Option<Version> = None;
    let mut origins = Origins::new();
    let mut scripts = Scripts::start(plan, dialect, at);
    let dump_err = |context: String| {
        move |message| Error::Dump {
            context,
            dialect,
            message,
        }
    };
    if let Some(at) = at {
        origins
            .observe(engine, ignore, at, After::Dump, "")
            .await
            .map_err(dump_err("follow the records of the dump".into()))?;
    }
    for step in &plan.steps {
        let mut timing = StepTiming {
            version: step.version.clone(),
            name: step.name.clone(),
            migration: None,
            only_for: Vec::new(),
            testdata: None,
            in_dump: None,
        };
        if let Some(at) = at.filter(|at| step.version <= **at) {
            timing.in_dump = Some(at.clone());
            reached = Some(step.version.clone());
            on_step(&timing);
            steps.push(timing);
            continue;
        }
        let fail = |phase| Failing {
            dialect,
            version: &step.version,
            name: &step.name,
            phase,
            reached: reached.clone(),
            transaction: false,
        };
        if step.up_for(dialect).is_some() {
            let ran = scripts
                .run(engine, &origins, fail(Phase::Migration))
                .await?;
            timing.migration = Some(ran.took);
            let told = Told {
                written: None,
                keys: ran.keys,
            };
            origins
                .observe_scanned(
                    engine,
                    ignore,
                    &step.version,
                    After::Migration,
                    &ran.scan,
                    told,
                )
                .await
                .map_err(dump_err(format!(
                    "follow the records through {}",
                    step.version
                )))?;
        } else {
            timing.only_for = step.up.keys().flatten().copied().collect();
        }
        // Checks and queries see the database right after the migration, before the version's
        // own testdata: what the migration did to the records of older versions.
        if let Some(script) = step.checks_for(dialect) {
            run_checks(engine, script, fail(Phase::Check)).await?;
        }
        if let Some(script) = step.queries_for(dialect) {
            let results = run_queries(engine, script, fail(Phase::Check)).await?;
            queries.push(StepQueries {
                version: step.version.clone(),
                path: script.path.clone(),
                results,
            });
        }
        if step.testdata_for(dialect).is_some() {
            let ran = scripts.run(engine, &origins, fail(Phase::Testdata)).await?;
            timing.testdata = Some(ran.took);
            let told = Told {
                written: ran.written,
                keys: ran.keys,
            };
            origins
                .observe_scanned(
                    engine,
                    ignore,
                    &step.version,
                    After::Testdata,
                    &ran.scan,
                    told,
                )
                .await
                .map_err(dump_err(format!("follow the records of {}", step.version)))?;
        }
        reached = Some(step.version.clone());
        on_step(&timing);
        steps.push(timing);
    }

    let started = Instant::now();
    let names = engine
        .tables_kept(ignore)
        .await
        .map_err(dump_err("list tables".into()))?;
    // All at once; should that fail, one by one to name the table that does.
    let tables = match engine.dump_all(&names).await {
        Ok(tables) => tables,
        Err(_) => {
            let mut tables = Vec::with_capacity(names.len());
            for name in names {
                let dump = engine
                    .dump(&name)
                    .await
                    .map_err(dump_err(format!("read table {name}")))?;
                tables.push(dump);
            }
            tables
        }
    };
    let origins = crate::par::map(&tables, |dump| origins.of(dump));
    Ok(Climb {
        steps,
        tables,
        origins,
        queries,
        dump_time: started.elapsed(),
    })
}

/// The scripts a climb runs (each step's migration, then its testdata), in order: their scans
/// ([`Scan`]), worked out on another thread while the climb runs them, and, on a server, what a
/// batch of them sent in one round trip did ([`Engine::execute_batch`]).
struct Scripts<'p> {
    units: Vec<Unit<'p>>,
    /// The unit [`Self::run`] runs next.
    next: usize,
    scans: std::sync::mpsc::Receiver<Scan>,
    /// The scans received so far, by unit, until the climb takes them.
    scanned: Vec<Option<Scan>>,
    dialect: crate::Dialect,
    /// What a batch did of the units after `next`.
    ready: HashMap<usize, Left>,
    /// Units that failed in a batch and were rolled back: they run again alone, to say where.
    alone: std::collections::HashSet<usize>,
    /// The scripts, freed by this thread when the climb is done.
    _scripts: Arc<[String]>,
}

struct Unit<'p> {
    script: &'p Script,
    after: After,
    /// Whether it runs in a transaction.
    transaction: bool,
    /// Whether check or query files run right after it: a batch ends with it.
    checked: bool,
}

/// A script run: the keys read in its own round trip, how long it took, the rows it wrote
/// (SQLite), and its scan.
struct Ran {
    keys: HashMap<String, Keys>,
    took: Duration,
    written: Option<crate::engine::Written>,
    scan: Scan,
}

/// What a batch left for a unit it ran: done, or, on MySQL, failed at a statement whose
/// statements before it were applied (those of the units before, committed).
enum Left {
    Done(HashMap<String, Keys>, Duration),
    Failed { statement: usize, message: String },
}

/// A unit picked for a batch, with the tables whose keys it reads ([`Origins::planned`]).
type Picked = (usize, Vec<(String, Vec<String>)>);

/// At most this many scripts, or this many bytes of them, go in one round trip.
const BATCH_PARTS: usize = 200;
const BATCH_BYTES: usize = 1 << 20;

impl<'p> Scripts<'p> {
    fn start(plan: &'p Plan, dialect: crate::Dialect, at: Option<&Version>) -> Scripts<'p> {
        let mut units: Vec<Unit<'p>> = Vec::new();
        for step in plan
            .steps
            .iter()
            .filter(|step| at.is_none_or(|at| step.version > *at))
        {
            if let Some(up) = step.up_for(dialect) {
                units.push(Unit {
                    script: up,
                    after: After::Migration,
                    transaction: !up.no_transaction,
                    checked: false,
                });
            }
            if (step.checks_for(dialect).is_some() || step.queries_for(dialect).is_some())
                && let Some(last) = units.last_mut()
            {
                last.checked = true;
            }
            if let Some(testdata) = step.testdata_for(dialect) {
                units.push(Unit {
                    script: testdata,
                    after: After::Testdata,
                    transaction: true,
                    checked: false,
                });
            }
        }
        // Shared, so that the other thread frees none of them: glibc's allocator locks the
        // heap of the thread that allocated what another thread frees.
        let scripts: Arc<[String]> = units.iter().map(|u| u.script.sql.clone()).collect();
        let (send, scans) = std::sync::mpsc::channel();
        let theirs = Arc::clone(&scripts);
        std::thread::spawn(move || {
            for sql in theirs.iter() {
                // The climb stopped: no one wants the rest.
                if send.send(Scan::of(sql, dialect)).is_err() {
                    return;
                }
            }
        });
        Scripts {
            units,
            next: 0,
            scans,
            scanned: Vec::new(),
            dialect,
            ready: HashMap::new(),
            alone: std::collections::HashSet::new(),
            _scripts: scripts,
        }
    }

    /// The scan of unit `i`.
    fn scan(&mut self, i: usize) -> &Scan {
        while self.scanned.len() <= i {
            let n = self.scanned.len();
            // Were the thread gone, the scan is worked out here.
            let scan = self
                .scans
                .recv()
                .unwrap_or_else(|_| Scan::of(&self.units[n].script.sql, self.dialect));
            self.scanned.push(Some(scan));
        }
        self.scanned[i]
            .as_ref()
            .expect("a unit's scan is taken once, when it has run")
    }

    /// Whether unit `i` can go in a batch with others: on a server, in a transaction, with
    /// nothing left open at its end that would take in the scripts after it.
    fn batchable(&mut self, engine: &Engine, i: usize) -> bool {
        engine.batches()
            && self.units[i].transaction
            && !self.units[i].script.sql.contains("/*")
            && self.scan(i).closed
    }

    /// Runs the next script ([`apply_reading`]), or takes what a batch did of it. Where the
    /// engine allows, it goes in one round trip with the scripts after it, up to one after which
    /// following the records reads more than the keys of its own round trip
    /// ([`Origins::settled`]), or before which check files run.
    async fn run(
        &mut self,
        engine: &mut Engine,
        origins: &Origins,
        failing: Failing<'_>,
    ) -> Result<Ran, Error> {
        let i = self.next;
        self.next += 1;
        loop {
            if let Some(left) = self.ready.remove(&i) {
                let scan = self.take_scan(i);
                return match left {
                    Left::Done(keys, took) => Ok(Ran {
                        keys,
                        took,
                        written: None,
                        scan,
                    }),
                    Left::Failed { statement, message } => {
                        let script = self.units[i].script;
                        let statements = sql::split(&script.sql, failing.dialect);
                        let failing = Failing {
                            transaction: true,
                            ..failing
                        };
                        Err(failure(
                            &failing,
                            script,
                            &statements,
                            statement,
                            message,
                            false,
                        ))
                    }
                };
            }
            let picked = if self.alone.contains(&i) || !self.batchable(engine, i) {
                Vec::new()
            } else {
                self.pick(engine, origins, i)
            };
            if picked.len() < 2 {
                return self.run_alone(engine, origins, i, failing).await;
            }
            self.run_batch(engine, picked).await?;
        }
    }

    fn take_scan(&mut self, i: usize) -> Scan {
        self.scan(i);
        self.scanned[i].take().expect("a unit's scan is taken once")
    }

    /// The units from `i` on that go in one batch, with the tables each will read the keys of.
    fn pick(&mut self, engine: &Engine, origins: &Origins, i: usize) -> Vec<Picked> {
        let mut picked = Vec::new();
        let mut bytes = 0;
        for j in i..self.units.len() {
            bytes += self.units[j].script.sql.len();
            if j > i
                && (self.alone.contains(&j) || !self.batchable(engine, j) || bytes > BATCH_BYTES)
            {
                break;
            }
            let after = self.units[j].after;
            let scan = self.scan(j);
            let planned = origins.planned(scan, after);
            // Only a script after which nothing changes but records, their keys read in its own
            // round trip, can have others after it before its keys are looked at.
            let settled =
                origins.settled(scan, after, &planned) && engine.reads_keys_inline(&planned);
            picked.push((j, planned));
            if !settled || self.units[j].checked || picked.len() == BATCH_PARTS {
                break;
            }
        }
        picked
    }

    async fn run_alone(
        &mut self,
        engine: &mut Engine,
        origins: &Origins,
        i: usize,
        failing: Failing<'_>,
    ) -> Result<Ran, Error> {
        let (script, after, transaction) = {
            let unit = &self.units[i];
            (unit.script, unit.after, unit.transaction)
        };
        let scan = self.scan(i);
        // SQLite reads keys when asked: nothing to plan.
        let planned = if engine.dialect() == crate::Dialect::Sqlite3 {
            Vec::new()
        } else {
            origins.planned(scan, after)
        };
        let one_statement = scan.one_statement;
        let started = Instant::now();
        // Which rows testdata writes, where the engine can say (SQLite): following them then
        // needs no reading.
        let testdata = after == After::Testdata;
        if testdata {
            engine.record_rows(true);
        }
        let applied = apply_reading(
            engine,
            script,
            transaction,
            one_statement,
            failing,
            &planned,
        )
        .await;
        let written = if testdata {
            engine.record_rows(false)
        } else {
            None
        };
        let keys = applied?;
        Ok(Ran {
            keys,
            took: started.elapsed(),
            written,
            scan: self.take_scan(i),
        })
    }

    /// Runs the `picked` units in one round trip, and leaves what it did of each for
    /// [`Self::run`].
    async fn run_batch(&mut self, engine: &mut Engine, picked: Vec<Picked>) -> Result<(), Error> {
        let mysql = !engine.transactional_ddl();
        // MySQL says which statement failed by how many results came back before it: its
        // scripts go as their statements, one by one, as `apply_each` would run them.
        let mut counts = Vec::with_capacity(picked.len());
        let parts: Vec<crate::engine::Part<'_>> = picked
            .iter()
            .map(|(j, planned)| {
                let sql = &self.units[*j].script.sql;
                let head = if mysql {
                    let statements = sql::split(sql, self.dialect);
                    counts.push(statements.len());
                    let mut head = String::from("BEGIN");
                    for statement in &statements {
                        head.push_str("\n;\n");
                        head.push_str(&statement.sql);
                    }
                    head
                } else {
                    format!("BEGIN;\n{sql}")
                };
                crate::engine::Part {
                    head,
                    planned,
                    tail: "COMMIT",
                }
            })
            .collect();
        let started = Instant::now();
        let batched = engine
            .execute_batch(&parts)
            .await
            .map_err(|message| Error::Dump {
                context: "read the results of scripts run together".into(),
                dialect: self.dialect,
                message,
            })?;
        let mut took = Duration::ZERO;
        for (n, (keys, time)) in batched.done.into_iter().enumerate() {
            took += time;
            self.ready.insert(picked[n].0, Left::Done(keys, time));
        }
        if let Some((n, results, message)) = batched.failed {
            let j = picked[n].0;
            let statements = counts.get(n).copied().unwrap_or(0);
            if batched.gave_up {
                // The connection is gone: the statement after the last result ran too long.
                self.ready.insert(
                    j,
                    Left::Failed {
                        statement: results.saturating_sub(1),
                        message,
                    },
                );
            } else if !mysql {
                // Rolled back: it runs again alone, to say where it fails.
                let _ = engine.execute("ROLLBACK").await;
                self.alone.insert(j);
            } else if results <= statements {
                // The statement after those whose results came back (the first is BEGIN's)
                // failed; those before it are applied, DDL being committed.
                let _ = engine.execute("ROLLBACK").await;
                self.ready.insert(
                    j,
                    Left::Failed {
                        statement: results.saturating_sub(1),
                        message,
                    },
                );
            } else {
                // Every statement ran; reading the keys after them failed: its records are
                // followed by reading them again.
                let left = match engine.execute("COMMIT").await {
                    Ok(()) => Left::Done(HashMap::new(), started.elapsed().saturating_sub(took)),
                    Err(message) => Left::Failed {
                        statement: statements.saturating_sub(1),
                        message,
                    },
                };
                self.ready.insert(j, left);
            }
        }
        Ok(())
    }
}

/// Runs each query of a check file; each must return one row whose first value is true.
async fn run_checks(
    engine: &mut Engine,
    script: &Script,
    failing: Failing<'_>,
) -> Result<(), Error> {
    let statements = sql::split(&script.sql, failing.dialect);
    for (i, statement) in statements.iter().enumerate() {
        let result = engine
            .query(&statement.sql)
            .await
            .map_err(|message| failure(&failing, script, &statements, i, message, false))?;
        let verdict = match result.rows.as_slice() {
            [row] => match row.first() {
                Some(value) if truthy(value) => None,
                Some(value) => Some(format!("returned {value}, not true")),
                None => Some("returned no column".to_string()),
            },
            rows => Some(format!("returned {} rows, not one", rows.len())),
        };
        if let Some(message) = verdict {
            return Err(failure(&failing, script, &statements, i, message, false));
        }
    }
    Ok(())
}

/// `true`, a non-zero number, or the text `t`/`true`/`1`: how each engine says true.
fn truthy(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        serde_json::Value::String(s) => matches!(s.as_str(), "t" | "true" | "1"),
        _ => false,
    }
}

async fn run_queries(
    engine: &mut Engine,
    script: &Script,
    failing: Failing<'_>,
) -> Result<Vec<(usize, String, QueryResult)>, Error> {
    let statements = sql::split(&script.sql, failing.dialect);
    let mut results = Vec::with_capacity(statements.len());
    for (i, statement) in statements.iter().enumerate() {
        let result = engine
            .query(&statement.sql)
            .await
            .map_err(|message| failure(&failing, script, &statements, i, message, false))?;
        results.push((
            statement.line + script.first_line - 1,
            statement.sql.clone(),
            result,
        ));
    }
    Ok(results)
}

/// Walks back from head to zero through the down migrations (after the up pass), then checks
/// that no table is left. `on_step` hears about each reverted step.
pub async fn descend(
    engine: &mut Engine,
    plan: &Plan,
    ignore: &dyn Fn(&str) -> bool,
    on_step: &mut (dyn FnMut(&StepTiming) + Send),
) -> Result<Vec<StepTiming>, Error> {
    let dialect = engine.dialect();
    let mut steps = Vec::with_capacity(plan.steps.len());
    let mut reached: Option<Version> = None;
    for step in plan.steps.iter().rev() {
        let mut timing = StepTiming {
            version: step.version.clone(),
            name: step.name.clone(),
            migration: None,
            only_for: Vec::new(),
            testdata: None,
            in_dump: None,
        };
        match step.down_for(dialect) {
            Some(script) => {
                let failing = Failing {
                    dialect,
                    version: &step.version,
                    name: &step.name,
                    phase: Phase::Down,
                    reached: reached.clone(),
                    transaction: false,
                };
                let started = Instant::now();
                apply(engine, script, !script.no_transaction, failing).await?;
                timing.migration = Some(started.elapsed());
            }
            // A version that never ran on this dialect has nothing to revert.
            None if step.up_for(dialect).is_none() => {
                timing.only_for = step.up.keys().flatten().copied().collect();
            }
            None => {
                return Err(Error::Down {
                    dialect,
                    message: format!(
                        "version {} ({}) has no down migration",
                        step.version, step.name
                    ),
                    hint: "add a down file (an empty or comment-only one if the migration \
                           cannot be reverted), or run without --down"
                        .to_string(),
                });
            }
        }
        reached = Some(step.version.clone());
        on_step(&timing);
        steps.push(timing);
    }
    let left = engine
        .tables_kept(ignore)
        .await
        .map_err(|message| Error::Dump {
            context: "list tables".into(),
            dialect,
            message,
        })?;
    if !left.is_empty() {
        return Err(Error::Down {
            dialect,
            message: format!(
                "after every down migration, tables are left: {}",
                left.join(", ")
            ),
            hint: "the down migrations should drop what the up migrations created".to_string(),
        });
    }
    Ok(steps)
}

/// Loads a fresh-install schema file (`schema.sql`) into an empty scratch database.
pub async fn load_fresh(engine: &mut Engine, script: &Script) -> Result<(), Error> {
    let version = Version::parse("0").expect("0 is a version");
    let failing = Failing {
        dialect: engine.dialect(),
        version: &version,
        name: "fresh install",
        phase: Phase::Fresh,
        reached: None,
        transaction: false,
    };
    apply(engine, script, !script.no_transaction, failing).await
}

/// For each version in turn: up, then down, then up again; the schema after the second up must
/// equal the schema after the first. Runs without testdata, on its own scratch database.
pub async fn roundtrip(
    engine: &mut Engine,
    plan: &Plan,
    ignore: &(dyn Fn(&str) -> bool + Sync),
) -> Result<usize, Error> {
    let dialect = engine.dialect();
    let mut reached: Option<Version> = None;
    let mut checked = 0;
    for step in &plan.steps {
        let Some(up) = step.up_for(dialect) else {
            continue;
        };
        let fail = || Failing {
            dialect,
            version: &step.version,
            name: &step.name,
            phase: Phase::Roundtrip,
            reached: reached.clone(),
            transaction: false,
        };
        let schema_err = |message| Error::Dump {
            context: "read the schema".into(),
            dialect,
            message,
        };
        apply(engine, up, !up.no_transaction, fail()).await?;
        let first = engine.schema(ignore).await.map_err(schema_err)?;
        let Some(down) = step.down_for(dialect) else {
            return Err(Error::Down {
                dialect,
                message: format!(
                    "version {} ({}) has no down migration",
                    step.version, step.name
                ),
                hint: "add a down file, or run without --roundtrip".to_string(),
            });
        };
        apply(engine, down, !down.no_transaction, fail()).await?;
        apply(engine, up, !up.no_transaction, fail()).await?;
        let second = engine.schema(ignore).await.map_err(schema_err)?;
        let differences = first.diff(&second, "first up", "up after down");
        if !differences.is_empty() {
            return Err(Error::Roundtrip {
                dialect,
                version: step.version.to_string(),
                name: step.name.clone(),
                path: down.path.clone(),
                differences,
            });
        }
        reached = Some(step.version.clone());
        checked += 1;
    }
    Ok(checked)
}

struct Failing<'a> {
    dialect: Dialect,
    version: &'a Version,
    name: &'a str,
    phase: Phase,
    reached: Option<Version>,
    transaction: bool,
}

/// Runs a script so that a failure can name its line.
///
/// Where a failure can be undone (in a transaction, on an engine whose DDL is transactional) the
/// whole file goes to the database in one round trip; only if that fails is it rolled back and
/// run again statement by statement, to find the statement and its line. Elsewhere it runs
/// statement by statement from the start, so that a failure can say what was applied.
async fn apply(
    engine: &mut Engine,
    script: &Script,
    transaction: bool,
    failing: Failing<'_>,
) -> Result<(), Error> {
    apply_reading(engine, script, transaction, false, failing, &[])
        .await
        .map(|_| ())
}

/// [`apply`], and, where the engine can read them in the script's own round trip, the keys of
/// the `planned` tables ([`Origins::planned`]). `one_statement`: the script is one statement
/// that SQLite runs whole or not at all by itself ([`Scan::one_statement`]).
async fn apply_reading(
    engine: &mut Engine,
    script: &Script,
    transaction: bool,
    one_statement: bool,
    failing: Failing<'_>,
    planned: &[(String, Vec<String>)],
) -> Result<HashMap<String, Keys>, Error> {
    if transaction && engine.transactional_ddl() {
        // BEGIN and COMMIT go in the same round trip; the newlines end a `--` comment, never a
        // statement. A failure anywhere, the COMMIT's own included (a deferred constraint),
        // leaves the transaction to roll back, and the file runs again statement by statement
        // to say where it failed.
        // SQLite reads an unclosed `/*` to the end, COMMIT included: with a block comment,
        // COMMIT goes on its own.
        // The keys following will read come back in the same round trip, read inside the
        // transaction: were a key query to fail, the file would be rolled back too.
        let done = if one_statement && engine.dialect() == crate::Dialect::Sqlite3 {
            // No BEGIN and COMMIT to parse and run: as a transaction of its own, the same.
            engine.execute(&script.sql).await.map(|()| HashMap::new())
        } else if script.sql.contains("/*") {
            match engine.execute(&format!("BEGIN;\n{}", script.sql)).await {
                Ok(()) => engine.execute("COMMIT").await.map(|()| HashMap::new()),
                Err(e) => Err(e),
            }
        } else {
            let head = format!("BEGIN;\n{}", script.sql);
            engine.execute_then_keys(&head, planned, "COMMIT;").await
        };
        match done {
            Ok(keys) => return Ok(keys),
            // The rollback's own error would hide the real one; the database is scratch.
            Err(_) => {
                let _ = engine.execute("ROLLBACK").await;
            }
        }
    }
    let statements = sql::split(&script.sql, failing.dialect);
    if transaction && engine.dialect() == crate::Dialect::Mysql {
        // MySQL commits DDL by itself, so a file runs statement by statement to say what was
        // applied before a failure; a file of one statement has nothing before it, and goes in
        // one round trip with its BEGIN and COMMIT. Whichever of the three fails, the outcome
        // is the one `apply_each` gives: statement 1 of 1 failed, nothing rolled back. The keys
        // following the records will read come back in the same round trip.
        if let [statement] = statements.as_slice() {
            let head = format!("BEGIN;\n{}", statement.sql);
            let message = match engine.execute_then_keys(&head, planned, "COMMIT").await {
                Ok(keys) => return Ok(keys),
                Err(message) => message,
            };
            // The rollback's own error would hide the real one; the database is scratch.
            let _ = engine.execute("ROLLBACK").await;
            let failing = Failing {
                transaction,
                ..failing
            };
            return Err(failure(&failing, script, &statements, 0, message, false));
        }
    }
    apply_each(engine, script, &statements, transaction, failing).await?;
    Ok(HashMap::new())
}

/// Runs a script statement by statement (`statements`: the script, split).
async fn apply_each(
    engine: &mut Engine,
    script: &Script,
    statements: &[sql::Statement],
    transaction: bool,
    failing: Failing<'_>,
) -> Result<(), Error> {
    let failing = Failing {
        transaction,
        ..failing
    };
    if transaction {
        engine
            .execute("BEGIN")
            .await
            .map_err(|message| failure(&failing, script, statements, 0, message, false))?;
    }
    for (i, statement) in statements.iter().enumerate() {
        if let Err(message) = engine.execute(&statement.sql).await {
            if transaction {
                // The rollback's own error would hide the real one; the database is scratch.
                let _ = engine.execute("ROLLBACK").await;
            }
            let rolled_back = transaction && engine.transactional_ddl();
            return Err(failure(
                &failing,
                script,
                statements,
                i,
                message,
                rolled_back,
            ));
        }
    }
    if transaction {
        engine.execute("COMMIT").await.map_err(|message| {
            let last = statements.len().saturating_sub(1);
            failure(&failing, script, statements, last, message, false)
        })?;
    }
    Ok(())
}

fn failure(
    failing: &Failing<'_>,
    script: &Script,
    statements: &[sql::Statement],
    index: usize,
    message: String,
    rolled_back: bool,
) -> Error {
    let statement = statements.get(index);
    Error::Step(Box::new(StepFailure {
        dialect: failing.dialect,
        version: failing.version.clone(),
        name: failing.name.to_string(),
        phase: failing.phase,
        path: script.path.clone(),
        line: statement.map_or(script.first_line, |s| s.line + script.first_line - 1),
        statement: index + 1,
        statements: statements.len(),
        sql: statement.map_or_else(String::new, |s| s.sql.clone()),
        message,
        reached: failing.reached.clone(),
        transaction: failing.transaction,
        rolled_back,
    }))
}
