//! STUB: replaced by the real discovery.
use camino::Utf8Path;
use crate::plan::{Plan, Script, Step};
use crate::problem::{Problem, Problems};
use crate::version::Version;
pub fn discover(migrations: &Utf8Path, testdata: Option<&Utf8Path>) -> Result<Plan, Problems> {
    let mut steps: Vec<Step> = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(migrations).map_err(|e| Problems(vec![Problem::new(migrations, e.to_string())]))?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_suffix(".up.sql") else { continue };
        let (ver, desc) = rest.split_once('_').unwrap();
        let (desc, dialect) = match desc.split_once('.') { Some((d, x)) => (d, crate::dialect::Dialect::from_name(x)), None => (desc, None) };
        let v = Version::parse(ver).unwrap();
        let path = migrations.join(&name);
        let sql = std::fs::read_to_string(&path).unwrap();
        let script = Script { path, no_transaction: sql.starts_with("-- no-transaction"), sql, first_line: 1 };
        if let Some(s) = steps.iter_mut().find(|s| s.version == v) { s.up.insert(dialect, script); } else { let mut s = Step::new(v, desc); s.up.insert(dialect, script); steps.push(s); }
    }
    steps.sort_by(|a, b| a.version.cmp(&b.version));
    if let Some(td) = testdata {
        for e in std::fs::read_dir(td).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let stem = name.strip_suffix(".sql").unwrap();
            let (ver, dialect) = match stem.split_once('.') { Some((v, d)) => (v, crate::dialect::Dialect::from_name(d)), None => (stem, None) };
            let v = Version::parse(ver).unwrap();
            let path = td.join(&name);
            let sql = std::fs::read_to_string(&path).unwrap();
            if let Some(s) = steps.iter_mut().find(|s| s.version == v) { s.testdata.insert(dialect, Script { path, sql, first_line: 1, no_transaction: false }); }
        }
    }
    Ok(Plan { steps })
}
