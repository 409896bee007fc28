//! Several scripts in one round trip to a server ([`super::Engine::execute_batch`]): each in its
//! own transaction with the key queries following its records, each followed by a mark that
//! says it ended and when, so that the results can be told apart and a failure placed.

use std::time::Duration;

use sqlx::Either;

use super::{KeyPlan, TableDump, key_dumps, with_key_queries};

/// One script of a batch: `head` (BEGIN and the script's statements), then the key query of
/// each `planned` table (table and key columns), then `tail` (COMMIT).
pub struct Part<'a> {
    pub head: String,
    pub planned: &'a [(String, Vec<String>)],
    pub tail: &'a str,
}

/// A script of a batch that ran to its end: the keys read after it, and how long it took by
/// the server's clock.
#[derive(Debug)]
pub struct PartDone {
    pub keys: Vec<TableDump>,
    pub took: Duration,
}

/// Where a batch stopped: the script that failed, how many of its statements' results came
/// back before the error (its BEGIN's included), and the error.
#[derive(Debug)]
pub struct PartFailed {
    pub part: usize,
    pub results: usize,
    /// The error, or [`Stop::Over`].
    pub stop: Stop,
}

/// Runs the `parts` (with the key queries `plans`) as one text, which `send` sends, and reads
/// back what each part did ([`read`]); `now` is the server's clock, `time` reads it (in seconds)
/// from a mark's row, `values` reads a key query's rows.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run<'p, Q, R, P, S>(
    parts: &'p [Part<'p>],
    plans: Vec<Vec<(&'p String, KeyPlan<P>)>>,
    now: &str,
    send: impl FnOnce(String) -> S,
    limit: Option<Duration>,
    grace: Duration,
    time: impl Fn(&R) -> Option<f64>,
    values: impl Fn(Vec<&R>, &KeyPlan<P>) -> Result<Vec<Vec<serde_json::Value>>, sqlx::Error>,
) -> Result<(Vec<PartDone>, Option<PartFailed>), sqlx::Error>
where
    S: futures_util::Stream<Item = Result<Either<Q, R>, sqlx::Error>>,
    R: sqlx::Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let mark = mark();
    let text = text(parts, &plans, &mark, now);
    let (results, stop) = collect(send(text), limit, grace).await;
    let marked = |row: &R| {
        let first: String = row.try_get(0).ok()?;
        (first == mark).then(|| time(row).unwrap_or(0.0))
    };
    read(&results, stop, parts, plans, marked, values)
}

/// How a batch's results ended ([`collect`]).
#[derive(Debug)]
pub enum Stop {
    /// Every result came.
    Done,
    /// An error; `slow`: it came `limit` or more after the result before it (the statement
    /// ran out of time on the server).
    Error { error: sqlx::Error, slow: bool },
    /// No result came for `limit` and the grace after it: the connection is mid-statement and
    /// must be given up.
    Over,
}

/// A batch's results as they came, until the first error; with a `limit`, until none came for
/// that long and `grace` more. Each statement's result comes back as it ends, so a limit on the
/// wait for the next one is a limit on each statement, as `--statement-timeout` says.
async fn collect<T>(
    stream: impl futures_util::Stream<Item = Result<T, sqlx::Error>>,
    limit: Option<Duration>,
    grace: Duration,
) -> (Vec<T>, Stop) {
    use futures_util::StreamExt;
    let mut stream = std::pin::pin!(stream);
    let mut results = Vec::new();
    let mut last = std::time::Instant::now();
    loop {
        let next = match limit {
            Some(limit) => match tokio::time::timeout(limit + grace, stream.next()).await {
                Ok(next) => next,
                Err(_) => return (results, Stop::Over),
            },
            None => stream.next().await,
        };
        match next {
            Some(Ok(item)) => {
                results.push(item);
                last = std::time::Instant::now();
            }
            Some(Err(error)) => {
                let slow = limit.is_some_and(|limit| last.elapsed() >= limit);
                return (results, Stop::Error { error, slow });
            }
            None => return (results, Stop::Done),
        }
    }
}

/// The first value of a mark's row; a row of the user's own with that value is most unlikely,
/// and the process id makes it less so still.
fn mark() -> String {
    format!("ladder-mark-{}", std::process::id())
}

/// The batch's text: a mark, then each part and a mark after it. `now` is the server's clock
/// (the mark's second value).
fn text<P>(
    parts: &[Part<'_>],
    plans: &[Vec<(&String, KeyPlan<P>)>],
    mark: &str,
    now: &str,
) -> String {
    let mark = format!("SELECT '{mark}', {now}");
    let mut text = mark.clone();
    for (part, plans) in parts.iter().zip(plans) {
        text.push_str(";\n");
        text.push_str(&with_key_queries(
            &part.head,
            plans.iter().map(|(_, p)| p.sql.as_str()),
            part.tail,
        ));
        text.push_str("\n;");
        text.push_str(&mark);
    }
    text
}

/// Reads a batch's `results` (each statement's rows, then its result) of `parts`, ended by
/// `stop`: each part that ended, its keys read by `values`, and where it stopped. `marked` reads a
/// mark's time (seconds, since some moment or since midnight) from a row, `None` for any
/// other row.
#[allow(clippy::type_complexity)]
fn read<Q, R, P>(
    results: &[Either<Q, R>],
    stop: Stop,
    parts: &[Part<'_>],
    plans: Vec<Vec<(&String, KeyPlan<P>)>>,
    marked: impl Fn(&R) -> Option<f64>,
    values: impl Fn(Vec<&R>, &KeyPlan<P>) -> Result<Vec<Vec<serde_json::Value>>, sqlx::Error>,
) -> Result<(Vec<PartDone>, Option<PartFailed>), sqlx::Error> {
    let mut done = Vec::new();
    let mut plans = plans.into_iter();
    let mut start: Option<f64> = None;
    let mut from = 0;
    let mut i = 0;
    while i < results.len() {
        let Some(at) = results[i].as_ref().right().and_then(&marked) else {
            i += 1;
            continue;
        };
        // The mark's own result follows its row.
        let segment = &results[from..i];
        i += 2;
        from = i.min(results.len());
        let Some(started) = start.replace(at) else {
            continue;
        };
        let part = done.len();
        let plans = plans.next().unwrap_or_default();
        let keys = if plans.is_empty() {
            Vec::new()
        } else {
            key_dumps(
                segment,
                plans,
                parts.get(part).map_or("", |p| p.tail),
                &values,
            )?
        };
        done.push(PartDone {
            keys,
            // A clock read as the time of day (PostgreSQL's) goes round at midnight.
            took: Duration::from_secs_f64(if at >= started {
                at - started
            } else {
                (at + 86_400.0 - started).max(0.0)
            }),
        });
    }
    if matches!(stop, Stop::Done) {
        return Ok((done, None));
    }
    let failed = Some(PartFailed {
        part: done.len(),
        results: if start.is_none() {
            0
        } else {
            results[from..].iter().filter(|r| r.is_left()).count()
        },
        stop,
    });
    Ok((done, failed))
}
