//! The ordered plan that discovery builds: one step per version, each with its files per dialect.

use std::collections::BTreeMap;

use camino::Utf8PathBuf;

use crate::dialect::Dialect;
use crate::version::Version;

/// SQL read from a file (or from a section of one, for dbmate's `-- migrate:up`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// The file, as given (relative to where ladder runs when the folder was given relative).
    pub path: Utf8PathBuf,
    /// The SQL text; a leading byte-order mark is already removed.
    pub sql: String,
    /// The 1-based line of the file on which `sql` starts (1 unless it is a section).
    pub first_line: usize,
    /// `-- no-transaction` (sqlx) or `-- migrate:up transaction:false` (dbmate): run outside a
    /// transaction.
    pub no_transaction: bool,
}

/// Files that apply to all dialects (`None`) or to one.
pub type Variants = BTreeMap<Option<Dialect>, Script>;

/// One version of the product's schema: its migration and the testdata seeded right after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub version: Version,
    /// The description from the file name (`create_identities`).
    pub name: String,
    pub up: Variants,
    pub down: Variants,
    pub testdata: Variants,
    /// `testdata/<ver>.check.sql`: queries run right after the migration, each must return true.
    pub checks: Variants,
    /// `testdata/<ver>.query.sql`: queries whose results are snapshotted at this step.
    pub queries: Variants,
}

impl Step {
    pub fn new(version: Version, name: impl Into<String>) -> Step {
        Step {
            version,
            name: name.into(),
            up: Variants::new(),
            down: Variants::new(),
            testdata: Variants::new(),
            checks: Variants::new(),
            queries: Variants::new(),
        }
    }

    /// The up migration for `dialect`: its own file, else the generic one.
    pub fn up_for(&self, dialect: Dialect) -> Option<&Script> {
        pick(&self.up, dialect)
    }

    pub fn down_for(&self, dialect: Dialect) -> Option<&Script> {
        pick(&self.down, dialect)
    }

    pub fn testdata_for(&self, dialect: Dialect) -> Option<&Script> {
        pick(&self.testdata, dialect)
    }

    pub fn checks_for(&self, dialect: Dialect) -> Option<&Script> {
        pick(&self.checks, dialect)
    }

    pub fn queries_for(&self, dialect: Dialect) -> Option<&Script> {
        pick(&self.queries, dialect)
    }
}

fn pick(variants: &Variants, dialect: Dialect) -> Option<&Script> {
    variants.get(&Some(dialect)).or_else(|| variants.get(&None))
}

/// Every step, in version order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}
