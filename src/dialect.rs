//! SQL dialects: which files apply to which engine.

use std::fmt;

/// The SQL dialect of an engine, as named in file names (`<ver>_<name>.<dialect>.up.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    Sqlite3,
    Postgres,
    Mysql,
    Cockroach,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [
        Dialect::Sqlite3,
        Dialect::Postgres,
        Dialect::Mysql,
        Dialect::Cockroach,
    ];

    /// The name used in file names and snapshot folders.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite3 => "sqlite3",
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Cockroach => "cockroach",
        }
    }

    /// Reads a dialect from a file-name suffix; `sqlite`, `postgresql` and `mariadb` are accepted
    /// as other spellings.
    pub fn from_name(name: &str) -> Option<Dialect> {
        Some(match name {
            "sqlite3" | "sqlite" => Dialect::Sqlite3,
            "postgres" | "postgresql" => Dialect::Postgres,
            "mysql" | "mariadb" => Dialect::Mysql,
            "cockroach" | "cockroachdb" => Dialect::Cockroach,
            _ => return None,
        })
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Serialised as its name (`sqlite3`), as in file names and reports.
impl serde::Serialize for Dialect {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}
