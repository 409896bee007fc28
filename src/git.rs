//! Releases proposed from git tags: for each tag, the newest migration its tree holds.

use std::process::Command;

use camino::Utf8Path;

use crate::discover;
use crate::error::Error;
use crate::matrix::Release;

/// For each tag of the repository holding `migrations`, oldest first (by the tag's date), the
/// newest migration version in the tag's copy of that folder. Tags whose tree has no
/// migrations there are left out.
pub fn releases_from_tags(migrations: &Utf8Path) -> Result<Vec<Release>, Error> {
    let dir = if migrations.as_str().is_empty() {
        Utf8Path::new(".")
    } else {
        migrations
    };
    let tags = git(
        dir,
        &[
            "for-each-ref",
            "--sort=creatordate",
            "--format=%(refname:short)",
            "refs/tags",
        ],
    )?;
    let mut releases = Vec::new();
    for tag in tags.lines().filter(|t| !t.is_empty()) {
        // Run inside the folder, ls-tree lists that folder of the tag's tree, relative to it.
        let files = git(dir, &["ls-tree", "-r", "--name-only", tag, "--", "."])?;
        if let Some(version) = files.lines().filter_map(discover::version_of).max() {
            releases.push(Release {
                name: tag.to_string(),
                version,
            });
        }
    }
    Ok(releases)
}

/// The table to paste into `ladder.toml`.
pub fn render(releases: &[Release]) -> String {
    let mut out = String::from("[releases]\n");
    for release in releases {
        out.push_str(&format!("{:?} = \"{}\"\n", release.name, release.version));
    }
    out
}

fn git(dir: &Utf8Path, args: &[&str]) -> Result<String, Error> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| Error::Usage(format!("failed to run git: {e}\n  hint: install git")))?;
    if !output.status.success() {
        return Err(Error::Usage(format!(
            "git {} in {dir} failed: {}\n  hint: --from-git reads the tags of the git \
             repository that holds the migrations folder",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
