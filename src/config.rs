//! `ladder.toml`: optional settings that a product keeps beside its migrations.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Deserialize;

use crate::error::Error;

pub const CONFIG_FILE: &str = "ladder.toml";

/// The contents of `ladder.toml`. Every key is optional; unknown keys are an error so that a
/// typo does not silently do nothing.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Migrations folder (default `migrations`), relative to the config file.
    pub migrations: Option<Utf8PathBuf>,
    /// Testdata folder (default `testdata`).
    pub testdata: Option<Utf8PathBuf>,
    /// Snapshot folder (default `snapshots`).
    pub snapshots: Option<Utf8PathBuf>,
    /// Lock file of released migrations (default `migrations.lock`).
    pub lock: Option<Utf8PathBuf>,
    /// Fresh-install schema compared with the upgraded database (default `schema.sql`).
    pub schema_file: Option<Utf8PathBuf>,
    /// Tables left out of the snapshots, e.g. a migration tool's own bookkeeping.
    #[serde(default)]
    pub ignore_tables: Vec<String>,
    /// `"table.column" = "replacement"`; `*` matches any run of characters in either part.
    #[serde(default)]
    pub redactions: BTreeMap<String, String>,
    /// `"v1.4.0" = "20240301120000"`: each release and the last migration version it shipped.
    #[serde(default)]
    pub releases: BTreeMap<String, String>,
}

impl Config {
    /// Reads `path`; paths inside are made relative to the file's folder.
    pub fn load(path: &Utf8Path) -> Result<Config, Error> {
        let text = fs_err::read_to_string(path).map_err(|e| Error::Config {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| Error::Config {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let base = path.parent().unwrap_or(Utf8Path::new(""));
        for dir in [
            &mut config.migrations,
            &mut config.testdata,
            &mut config.snapshots,
            &mut config.lock,
            &mut config.schema_file,
        ]
        .into_iter()
        .flatten()
        {
            if dir.is_relative() && !base.as_str().is_empty() {
                *dir = base.join(&*dir);
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected() {
        let err = toml::from_str::<Config>("migratons = 'x'").unwrap_err();
        assert!(
            err.to_string().contains("unknown field `migratons`"),
            "{err}"
        );
    }

    #[test]
    fn reads_every_key() {
        let config: Config = toml::from_str(
            r#"
            migrations = "db/migrations"
            ignore_tables = ["schema_migrations"]
            [redactions]
            "*.updated_at" = "[now]"
            "#,
        )
        .unwrap();
        assert_eq!(
            config.migrations.as_deref(),
            Some(Utf8Path::new("db/migrations"))
        );
        assert_eq!(config.ignore_tables, ["schema_migrations"]);
        assert_eq!(config.redactions["*.updated_at"], "[now]");
    }
}
