//! The environment probe: where and with what a report was measured.

use std::fs;
use std::thread;
use std::time::SystemTime;

use tracepool::report::record::Environment;

/// What a probe reports when it cannot find out.
const UNKNOWN: &str = "unknown";

/// Describes the machine, the build and the moment, for a report's header.
///
/// - `cpu_model`: the first `model name` of `/proc/cpuinfo`;
/// - `cores`: [`std::thread::available_parallelism`], so CPU affinity and cgroup
///   quotas are taken into account;
/// - `os`: `PRETTY_NAME` of `os-release` and the kernel release, e.g.
///   `Debian GNU/Linux 12 (bookworm), kernel 6.1.0-18-amd64`;
/// - `rustc` and `git_commit`: captured when this crate was built (`git_commit` ends in
///   `-dirty` when tracked files differed from the commit);
/// - `timestamp`: now, RFC 3339 in UTC to the second;
/// - `load_avg_1m`: the first field of `/proc/loadavg`.
///
/// Never fails: a probe that cannot find out gives `unknown`, or 0 for a number.
pub fn probe_environment() -> Environment {
    Environment {
        cpu_model: read("/proc/cpuinfo")
            .and_then(|text| cpu_model(&text))
            .unwrap_or_else(|| UNKNOWN.to_owned()),
        cores: thread::available_parallelism()
            .map_or(0, |n| u64::try_from(n.get()).unwrap_or(u64::MAX)),
        os: os_description(),
        rustc: build_value(env!("TRACEPOOL_BENCH_RUSTC")),
        git_commit: build_value(env!("TRACEPOOL_BENCH_GIT_COMMIT")),
        timestamp: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        load_avg_1m: read("/proc/loadavg")
            .and_then(|text| load_avg_1m(&text))
            .unwrap_or(0.0),
    }
}

fn read(path: &str) -> Option<String> {
    fs::read_to_string(path).ok()
}

fn build_value(value: &str) -> String {
    if value.is_empty() { UNKNOWN } else { value }.to_owned()
}

fn os_description() -> String {
    let name = read("/etc/os-release")
        .or_else(|| read("/usr/lib/os-release"))
        .and_then(|text| pretty_name(&text));
    let kernel = read("/proc/sys/kernel/osrelease")
        .map(|text| text.trim().to_owned())
        .filter(|release| !release.is_empty());
    match (name, kernel) {
        (Some(name), Some(kernel)) => format!("{name}, kernel {kernel}"),
        (Some(name), None) => name,
        (None, Some(kernel)) => format!("{}, kernel {kernel}", std::env::consts::OS),
        (None, None) => std::env::consts::OS.to_owned(),
    }
}

/// The value of the first `model name` line of `/proc/cpuinfo`.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let value = value.trim();
        (key.trim() == "model name" && !value.is_empty()).then(|| value.to_owned())
    })
}

/// The value of `PRETTY_NAME` in an `os-release` file, without its quotes.
fn pretty_name(os_release: &str) -> Option<String> {
    os_release.lines().find_map(|line| {
        let value = line.trim().strip_prefix("PRETTY_NAME=")?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value)
            .trim();
        (!value.is_empty()).then(|| value.to_owned())
    })
}

/// The 1-minute load average, the first field of `/proc/loadavg`.
fn load_avg_1m(loadavg: &str) -> Option<f64> {
    loadavg.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_model_takes_the_first_model_name() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\n\
                       model name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\nflags\t\t: fpu\n\n\
                       processor\t: 1\nmodel name\t: Other\n";
        assert_eq!(
            cpu_model(cpuinfo).as_deref(),
            Some("Intel(R) Xeon(R) CPU @ 2.20GHz")
        );
        assert_eq!(cpu_model("processor\t: 0\nBogoMIPS\t: 50.00\n"), None);
    }

    #[test]
    fn pretty_name_strips_quotes() {
        let os_release =
            "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            pretty_name(os_release).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(pretty_name("PRETTY_NAME=Alpine").as_deref(), Some("Alpine"));
        assert_eq!(pretty_name("PRETTY_NAME=''\nID=x"), None);
    }

    #[test]
    fn load_avg_reads_the_first_field() {
        assert_eq!(load_avg_1m("0.52 0.58 0.59 1/467 12345\n"), Some(0.52));
        assert_eq!(load_avg_1m(""), None);
    }

    #[test]
    fn empty_build_values_are_unknown() {
        assert_eq!(build_value(""), "unknown");
        assert_eq!(build_value("abc"), "abc");
    }
}
