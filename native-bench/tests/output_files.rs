//! Output files: checked before the work, replaced whole when they are regular files,
//! written through (never replaced) when they are FIFOs, devices or symbolic links.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
use std::path::Path;

use tracepool_bench::output::{OutputError, OutputFile};

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_new_file_is_written_whole_and_nothing_else_remains() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    let out = OutputFile::check(&path).unwrap();
    assert!(!path.exists(), "nothing at the path before the write");
    out.write(b"new").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    assert_eq!(entries(dir.path()), ["out.txt"]);
}

#[test]
fn a_regular_file_is_replaced_and_keeps_its_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    fs::write(&path, "old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let out = OutputFile::check(&path).unwrap();
    assert_eq!(
        fs::read(&path).unwrap(),
        b"old",
        "untouched until the write"
    );
    out.write(b"new").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(entries(dir.path()), ["out.txt"]);
}

#[test]
fn an_unwritten_output_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.txt");
    drop(OutputFile::check(&path).unwrap());
    assert!(entries(dir.path()).is_empty());
    fs::write(&path, "old").unwrap();
    drop(OutputFile::check(&path).unwrap());
    assert_eq!(entries(dir.path()), ["out.txt"]);
    assert_eq!(fs::read(&path).unwrap(), b"old");
}

#[test]
fn a_symlink_is_followed_and_stays() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.txt");
    fs::write(&target, "old").unwrap();
    let link = dir.path().join("link.txt");
    symlink(&target, &link).unwrap();
    OutputFile::check(&link).unwrap().write(b"new").unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&target).unwrap(), b"new");
    assert_eq!(entries(dir.path()), ["link.txt", "target.txt"]);
}

#[test]
fn a_symlink_to_a_device_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("null");
    symlink("/dev/null", &link).unwrap();
    let out = OutputFile::check(&link).unwrap();
    assert_eq!(out.path(), Path::new("/dev/null"));
    out.write(b"discarded").unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert_eq!(entries(dir.path()), ["null"]);
}

#[test]
fn a_fifo_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    OutputFile::check(&fifo).unwrap().write(b"through").unwrap();
    assert_eq!(reader.join().unwrap(), b"through");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(entries(dir.path()), ["fifo"]);
}

#[test]
fn unusable_paths_are_refused_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let dangling = dir.path().join("dangling");
    symlink(dir.path().join("nowhere"), &dangling).unwrap();
    let read_only = dir.path().join("read-only.txt");
    fs::write(&read_only, "keep").unwrap();
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o444)).unwrap();
    let socket_path = dir.path().join("socket");
    let _socket = std::os::unix::net::UnixListener::bind(&socket_path).unwrap();
    type Expected = fn(&OutputError) -> bool;
    let cases: Vec<(std::path::PathBuf, Expected)> = vec![
        (dir.path().to_path_buf(), |e| {
            matches!(e, OutputError::IsADirectory)
        }),
        (dir.path().join("missing/out.txt"), |e| {
            matches!(e, OutputError::NoParent(_))
        }),
        (dangling.clone(), |e| {
            matches!(e, OutputError::DanglingLink(_))
        }),
        (read_only.clone(), |e| matches!(e, OutputError::ReadOnly)),
        (socket_path.clone(), |e| {
            matches!(e, OutputError::Unsupported("socket"))
        }),
        ("".into(), |e| matches!(e, OutputError::NoFileName)),
    ];
    for (path, expected) in cases {
        match OutputFile::check(&path) {
            Err(e) => assert!(expected(&e), "{path:?}: {e:?}"),
            Ok(out) => panic!("{path:?} accepted: {out:?}"),
        }
    }
    assert_eq!(fs::read(&read_only).unwrap(), b"keep");
    assert_eq!(
        entries(dir.path()),
        ["dangling", "read-only.txt", "socket"],
        "nothing created, nothing replaced"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_directory_that_takes_no_file_is_found_at_once() {
    // /proc/self takes no new file, even for root.
    match OutputFile::check(Path::new("/proc/self/out.txt")) {
        Err(OutputError::Io { path, .. }) => assert_eq!(path, Path::new("/proc/self")),
        other => panic!("{other:?}"),
    }
}
