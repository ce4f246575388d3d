//! Captures the compiler version and the git commit for the environment probe.
//!
//! Sets `TRACEPOOL_BENCH_RUSTC` (`rustc -V`) and `TRACEPOOL_BENCH_GIT_COMMIT` (the
//! abbreviated commit, with `-dirty` when tracked files differ from it, or `unknown`
//! when git or the checkout is missing).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");

    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustc_version = run(Command::new(rustc).arg("-V")).unwrap_or_else(unknown);
    println!("cargo:rustc-env=TRACEPOOL_BENCH_RUSTC={rustc_version}");

    let commit = git_commit().unwrap_or_else(unknown);
    println!("cargo:rustc-env=TRACEPOOL_BENCH_GIT_COMMIT={commit}");
    watch_git();
}

fn unknown() -> String {
    "unknown".to_owned()
}

/// The trimmed standard output of a command that succeeded with non-empty output.
fn run(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn git(args: &[&str]) -> Option<String> {
    run(Command::new("git").args(args))
}

fn git_commit() -> Option<String> {
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    // Only tracked files count: a stray untracked file does not change what was built.
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}

/// Reruns this script when the commit or the index changes, and when sources of the
/// crates this one builds from change (they rebuild it anyway, and may make it dirty).
/// Nothing else reruns it, so an edit elsewhere in the tree shows as `-dirty` only
/// once the index changes (any `git add`, `git status` or commit).
fn watch_git() {
    for source in ["src", "Cargo.toml", "../core/src", "../core/Cargo.toml"] {
        println!("cargo:rerun-if-changed={source}");
    }
    let mut watched = vec![
        "HEAD".to_owned(),
        "index".to_owned(),
        "packed-refs".to_owned(),
    ];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
    }
    for name in watched {
        // `--git-path` resolves worktrees and the common directory correctly.
        if let Some(path) = git(&["rev-parse", "--git-path", &name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
