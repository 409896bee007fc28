//! `ladder releases`: the configured table, and a proposal from git tags.

use std::path::Path;
use std::process::Command;

mod common;

use common::{ladder, render};

fn git(dir: &Path, args: &[&str], date: &str) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=ladder",
            "-c",
            "user.email=ladder@example.com",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn add(dir: &Path, file: &str, date: &str) {
    let path = dir.join("db/migrations").join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "SELECT 1;\n").unwrap();
    git(dir, &["add", "."], date);
    git(dir, &["commit", "-q", "-m", file], date);
}

/// Each tag proposes the newest migration of its own tree, whatever was added after it, and
/// tags are listed by date, not by name (v10 after v9).
#[test]
fn from_git_proposes_the_newest_migration_of_each_tag() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    git(dir, &["init", "-q"], "2024-01-01T00:00:00Z");
    add(dir, "1_users.sql", "2024-01-01T00:00:00Z");
    git(dir, &["tag", "v9"], "2024-01-01T00:00:00Z");
    add(dir, "2_email.up.sql", "2024-02-01T00:00:00Z");
    add(dir, "10_posts.sql", "2024-02-02T00:00:00Z");
    git(
        dir,
        &["tag", "-a", "-m", "ten", "v10"],
        "2024-02-03T00:00:00Z",
    );
    add(dir, "11_unreleased.sql", "2024-03-01T00:00:00Z");
    std::fs::write(dir.join("ladder.toml"), "migrations = \"db/migrations\"\n").unwrap();

    let output = ladder(dir, ["releases", "--from-git"]);
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "# proposed from 2 git tags: the newest migration in each tag's db/migrations; paste \
         into ladder.toml\n[releases]\n\"v9\" = \"1\"\n\"v10\" = \"10\"\n"
    );

    // Pasted in, the table is what `ladder releases` lists, with what came since.
    let mut config = std::fs::read_to_string(dir.join("ladder.toml")).unwrap();
    config.push_str("[releases]\n\"v9\" = \"1\"\n\"v10\" = \"10\"\n");
    std::fs::write(dir.join("ladder.toml"), config).unwrap();
    let output = ladder(dir, ["releases"]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "v9  1 users  (3 migrations since)\nv10  10 posts  (1 migration since)\n",
        "{}",
        render(&output)
    );
}

#[test]
fn from_git_outside_a_repository_says_so() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("migrations")).unwrap();
    let output = ladder(work.path(), ["releases", "--from-git"]);
    let text = render(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("error: git for-each-ref in migrations failed"),
        "{text}"
    );
    assert!(text.contains("hint: --from-git reads the tags"), "{text}");
}
