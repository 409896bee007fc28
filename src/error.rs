//! The errors ladder reports, and the exit code each one maps to.

use camino::Utf8PathBuf;

use crate::problem::Problems;
use crate::runner::StepFailure;

/// Exit code: everything passed.
pub const EXIT_OK: i32 = 0;
/// Exit code: verification failed (a snapshot differs, a migration or testdata statement failed).
pub const EXIT_FAILED: i32 = 1;
/// Exit code: bad input or usage (unrecognised files, bad config, unreachable database).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code: interrupted by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems with the migration or testdata files, all of them.
    #[error("{0}")]
    Input(#[from] Problems),

    /// Released history was edited, deleted, or extended out of order (`migrations.lock`).
    #[error("{}", history(.0))]
    History(Problems),

    #[error("{path}: {message}")]
    Config { path: Utf8PathBuf, message: String },

    #[error("{0}")]
    Usage(String),

    /// The database could not be reached or a scratch database could not be made.
    #[error("failed to {action} {target}: {message}")]
    Connect {
        action: &'static str,
        target: String,
        message: String,
    },

    /// `docker://` was asked for but no Docker engine answered.
    #[error(
        "no Docker engine answered at {host} ({reason}); start Docker, or run on an existing server with --db postgres://USER@HOST:5432/DB or --db mysql://USER@HOST:3306"
    )]
    NoDocker { host: String, reason: String },

    /// The run was interrupted (Ctrl-C, SIGTERM); the scratch database was dropped.
    #[error("interrupted; the scratch database was dropped")]
    Interrupted,

    /// A migration or testdata statement failed.
    #[error(transparent)]
    Step(#[from] Box<StepFailure>),

    /// Walking down (`--down`) found a version it cannot revert, or tables left at the bottom.
    #[error("{message} on {dialect}\n  hint: {hint}")]
    Down {
        dialect: crate::Dialect,
        message: String,
        hint: String,
    },

    /// The schema after up → down → up differs from the schema after the first up.
    #[error(
        "{path}: the round trip of {version} ({name}) on {dialect} does not restore the schema:\n  {}\n  hint: the down migration must undo exactly what the up migration does",
        differences.join("\n  ")
    )]
    Roundtrip {
        dialect: crate::Dialect,
        version: String,
        name: String,
        path: Utf8PathBuf,
        differences: Vec<String>,
    },

    /// The fresh-install schema file and the upgraded database differ.
    #[error(
        "{path}: a fresh install differs from an upgraded database on {dialect}:\n  {}\n  hint: update {path} to match the migrations (or the migrations to match it)",
        differences.join("\n  ")
    )]
    Drift {
        dialect: crate::Dialect,
        path: Utf8PathBuf,
        differences: Vec<String>,
    },

    /// Reading the database at the end of the ladder failed.
    #[error("failed to {context} on {dialect}: {message}")]
    Dump {
        context: String,
        dialect: crate::Dialect,
        message: String,
    },

    /// A scratch database could not be dropped (the server went away): it is named, to be
    /// dropped by hand.
    #[error(
        "failed to drop the scratch database {database} on {server}: {message}\n  hint: drop it by hand: {drop};"
    )]
    Leftover {
        database: String,
        server: String,
        message: String,
        drop: String,
    },

    /// A run failed, and cleaning up after it failed too: both are reported.
    #[error("{0}\nerror: {1}")]
    Also(Box<Error>, Box<Error>),

    #[error("failed to {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: Utf8PathBuf,
        // Shown in Display; not exposed as source() so it is printed once.
        source: std::io::Error,
    },
}

fn history(problems: &Problems) -> String {
    let lines: Vec<String> = problems.0.iter().map(|p| p.to_string()).collect();
    format!(
        "released migrations changed since they were locked:\n{}",
        lines.join("\n")
    )
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Step(_)
            | Error::Dump { .. }
            | Error::History(_)
            | Error::Down { .. }
            | Error::Roundtrip { .. }
            | Error::Drift { .. }
            | Error::Leftover { .. } => EXIT_FAILED,
            Error::Also(first, _) => first.exit_code(),
            Error::Interrupted => EXIT_INTERRUPTED,
            Error::Input(_)
            | Error::Config { .. }
            | Error::Usage(_)
            | Error::Connect { .. }
            | Error::NoDocker { .. }
            | Error::Io { .. } => EXIT_BAD_INPUT,
        }
    }

    /// The server or Docker engine did not answer (as opposed to answering with an error).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Error::NoDocker { .. }
                | Error::Connect {
                    action: "connect to",
                    ..
                }
        )
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}
