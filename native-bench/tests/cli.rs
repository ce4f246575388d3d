//! The command line: the JSON run record, the environment variable, traces
//! files, and every bad-input path (exit code 2, one line naming the flag, nothing
//! half-written).

use std::time::Duration;

use serde_json::Value;
use tracepool::sim::{FlatWorkload, ideal_makespan};

mod common;
use common::{assert_usage_error, bench};

fn run_json(args: &[&str]) -> Value {
    let output = bench()
        .arg("run")
        .args(args)
        .arg("--json")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "exactly one JSON line: {stdout}"
    );
    serde_json::from_str(stdout.trim()).expect("stdout is one JSON object")
}

const FIELDS: [(&str, &str); 28] = [
    ("model", "string"),
    ("workload", "string"),
    ("traces", "integer"),
    ("concurrency", "integer"),
    ("wall_s", "number"),
    ("jobs", "integer"),
    ("completed", "integer"),
    ("failed", "integer"),
    ("timed_out", "integer"),
    ("panicked", "integer"),
    ("cancelled", "integer"),
    ("lost", "integer"),
    ("discovered", "integer"),
    ("throughput_per_s", "number"),
    ("error_rate", "number"),
    ("peak_in_flight", "integer"),
    ("ideal_s", "number"),
    ("efficiency", "number"),
    ("cpu_percent", "number"),
    ("peak_rss_bytes", "integer"),
    ("peak_os_threads", "integer"),
    ("latency_p50_ms", "number"),
    ("latency_p99_ms", "number"),
    ("timer_overshoot_us", "number"),
    ("timer_sleeps", "integer"),
    ("timer_requested_ms", "number"),
    ("timer_actual_ms", "number"),
    ("timer", "string"),
];

fn check_record(record: &Value, model: &str, workload: &str, traces: u64, c: u64) {
    for (field, kind) in FIELDS {
        let value = &record[field];
        let ok = match kind {
            "string" => value.is_string(),
            "integer" => value.is_u64(),
            _ => value.is_number(),
        };
        assert!(ok, "field {field} should be a {kind}: {record}");
    }
    let get = |f: &str| record[f].as_u64().expect("integer");
    assert_eq!(record["model"], model);
    assert_eq!(record["workload"], workload);
    assert_eq!(get("traces"), traces);
    assert_eq!(get("concurrency"), c);
    assert_eq!(
        get("completed") + get("failed") + get("timed_out") + get("panicked") + get("cancelled"),
        get("jobs"),
        "outcomes add up: {record}"
    );
    assert_eq!(get("lost"), 0);
    assert!(get("jobs") > 0);
    if model == "pool" {
        assert!(get("peak_in_flight") <= c, "pool bound: {record}");
    }
    assert!(get("peak_rss_bytes") > 0);
    assert!(get("peak_os_threads") >= 1);
}

#[test]
fn json_record_contract_for_every_model_and_workload() {
    for model in ["pool", "previous", "unbounded"] {
        let record = run_json(&[
            "--model",
            model,
            "--traces",
            "300",
            "--concurrency",
            "4",
            "--latency-ms",
            "0.5",
            "--failure-rate",
            "0.1",
            "--panic-rate",
            "0.05",
        ]);
        check_record(&record, model, "crawl", 300, 4);
        assert!(
            record["panicked"].as_u64().unwrap() > 0,
            "panics counted: {record}"
        );
        let (requested, actual) = (
            record["timer_requested_ms"].as_f64().unwrap(),
            record["timer_actual_ms"].as_f64().unwrap(),
        );
        assert!(record["timer_sleeps"].as_u64().unwrap() > 0, "{record}");
        assert!(requested > 0.0 && actual >= requested, "{record}");
        let record = run_json(&[
            "--workload",
            "flat",
            "--model",
            model,
            "--traces",
            "200",
            "--concurrency",
            "8",
            "--latency-ms",
            "0.2",
            "--failure-rate",
            "0",
        ]);
        check_record(&record, model, "flat", 200, 8);
        assert_eq!(record["jobs"], 200);
        assert_eq!(record["discovered"], 200);
    }
}

/// The flat workload's ideal is each model's own schedule of the same jobs: the pool
/// list-schedules them on C slots, the previous model runs batches of C with a barrier
/// after each, the unbounded model runs them all at once.
#[test]
fn flat_ideal_is_each_models_own_schedule() {
    let (jobs, c, mean) = (200, 8, Duration::from_millis(2));
    let durations: Vec<Duration> = FlatWorkload::new(jobs, mean)
        .with_seed(42)
        .durations()
        .collect();
    let longest = |batch: &[Duration]| batch.iter().copied().max().unwrap();
    for (model, ideal) in [
        ("pool", ideal_makespan(durations.iter().copied(), c)),
        ("previous", durations.chunks(c).map(longest).sum()),
        ("unbounded", longest(&durations)),
    ] {
        let record = run_json(&[
            "--workload",
            "flat",
            "--model",
            model,
            "--traces",
            &jobs.to_string(),
            "--concurrency",
            &c.to_string(),
            "--latency-ms",
            "2",
            "--seed",
            "42",
            "--failure-rate",
            "0",
        ]);
        let got = record["ideal_s"].as_f64().unwrap();
        assert!(
            (got - ideal.as_secs_f64()).abs() < 1e-9,
            "{model}: ideal_s {got}, expected {ideal:?}"
        );
    }
}

#[test]
fn same_discoveries_under_every_model() {
    let discovered: Vec<Value> = ["pool", "previous", "unbounded"]
        .iter()
        .map(|m| {
            run_json(&["--model", m, "--traces", "500", "--latency-ms", "0"])["discovered"].clone()
        })
        .collect();
    assert_eq!(discovered[0], discovered[1]);
    assert_eq!(discovered[0], discovered[2]);
}

/// The timer is chosen per run and named in the record; no timer wakes a sleep early,
/// so the requested and actual means keep their order.
#[test]
fn timer_choice_is_recorded() {
    for timer in ["reactor", "finishing", "heap"] {
        let record = run_json(&["--traces", "60", "--latency-ms", "2", "--timer", timer]);
        check_record(&record, "pool", "crawl", 60, 10);
        assert_eq!(record["timer"], timer);
        let requested = record["timer_requested_ms"].as_f64().unwrap();
        let actual = record["timer_actual_ms"].as_f64().unwrap();
        assert!(actual >= requested, "{timer}: {actual} < {requested} ms");
    }
}

#[test]
fn timeouts_are_counted() {
    let record = run_json(&[
        "--traces",
        "200",
        "--concurrency",
        "8",
        "--latency-ms",
        "5",
        "--timeout-ms",
        "2",
        "--failure-rate",
        "0",
    ]);
    assert!(record["timed_out"].as_u64().unwrap() > 0, "{record}");
    check_record(&record, "pool", "crawl", 200, 8);
}

#[test]
fn concurrency_comes_from_the_environment() {
    let output = bench()
        .env("DEEPER_MAX_CONCURRENCY", "7")
        .args(["run", "--traces", "50", "--latency-ms", "0", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["concurrency"], 7);
    // The flag wins over the variable.
    let output = bench()
        .env("DEEPER_MAX_CONCURRENCY", "7")
        .args([
            "run",
            "--traces",
            "50",
            "--latency-ms",
            "0",
            "--concurrency",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["concurrency"], 3);
    // Default without either.
    let record = run_json(&["--traces", "50", "--latency-ms", "0"]);
    assert_eq!(record["concurrency"], 10);
}

#[test]
fn bad_environment_variable() {
    // Values are taken as written: surrounding whitespace is rejected, as by every flag.
    for bad in ["abc", "0", "-3", "1.5", "", " 7", "7 "] {
        let output = bench()
            .env("DEEPER_MAX_CONCURRENCY", bad)
            .args(["run", "--traces", "10", "--json"])
            .output()
            .unwrap();
        assert_usage_error(&output, "DEEPER_MAX_CONCURRENCY");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("1 to 1000000"), "names the range: {stderr}");
    }
}

/// Internal names and parser jargon that a user's error message never shows.
const JARGON: [&str; 6] = [
    "invalid digit",
    "invalid float literal",
    "panic_prob",
    "failure_prob",
    "unexpected argument",
    "number too large",
];

#[test]
fn bad_flags() {
    // (arguments, what the message names, the accepted range it states or "")
    let cases: &[(&[&str], &str, &str)] = &[
        (&["run", "--traces", "0"], "--traces", "1 to 10000000"),
        (
            &["run", "--traces", "10", "--timer", "tokio"],
            "--timer",
            "",
        ),
        (&["report", "--timer", "fast"], "--timer", ""),
        (
            &["run", "--traces", "10", "--timer", "set-timeout"],
            "--timer",
            "",
        ),
        (&["run", "--traces", "abc"], "--traces", "1 to 10000000"),
        (
            &["run", "--traces", "99999999999"],
            "--traces",
            "1 to 10000000",
        ),
        (&["run", "--traces", "-5"], "--traces", "1 to 10000000"),
        (&["run", "--traces", " 5"], "--traces", "1 to 10000000"),
        (&["run", "--traces", "5 "], "--traces", "1 to 10000000"),
        (
            &["run", "--traces", "10", "--concurrency", "0"],
            "--concurrency",
            "1 to 1000000",
        ),
        (
            &["run", "--traces", "10", "--concurrency", "many"],
            "--concurrency",
            "1 to 1000000",
        ),
        (
            &["run", "--traces", "10", "--latency-ms", "-1"],
            "--latency-ms",
            "0 to 60000",
        ),
        (
            &["run", "--traces", "10", "--latency-ms", "-inf"],
            "--latency-ms",
            "0 to 60000",
        ),
        (
            &["run", "--traces", "10", "--latency-ms", "NaN"],
            "--latency-ms",
            "0 to 60000",
        ),
        (
            &["run", "--traces", "10", "--latency-ms", " 5"],
            "--latency-ms",
            "0 to 60000",
        ),
        (
            &["run", "--traces", "10", "--failure-rate", "1.5"],
            "--failure-rate",
            "0 to 1",
        ),
        (
            &["run", "--traces", "10", "--failure-rate", "-.5"],
            "--failure-rate",
            "0 to 1",
        ),
        (
            &["run", "--traces", "10", "--panic-rate", "-0.1"],
            "--panic-rate",
            "0 to 1",
        ),
        (
            &["run", "--traces", "10", "--panic-rate", "1"],
            "--panic-rate",
            "0 to 0.95",
        ),
        (
            &["run", "--traces", "10", "--timeout-ms", "0"],
            "--timeout-ms",
            "0.001 to 3600000",
        ),
        (
            &["run", "--traces", "10", "--timeout-ms", "-.5"],
            "--timeout-ms",
            "0.001 to 3600000",
        ),
        (
            &["run", "--traces", "10", "--cpu-us", "1e9"],
            "--cpu-us",
            "0 to 1000000",
        ),
        (
            &["run", "--traces", "10", "--cpu-us", "-inf"],
            "--cpu-us",
            "0 to 1000000",
        ),
        (
            &["run", "--traces", "10", "--time-scale", "inf"],
            "--time-scale",
            "0 to 1000",
        ),
        (
            &["run", "--traces", "10", "--time-scale", "-.5"],
            "--time-scale",
            "0 to 1000",
        ),
        (&["run", "--traces", "10", "--model", "fifo"], "--model", ""),
        (
            &["run", "--traces", "10", "--model", " pool"],
            "--model",
            "",
        ),
        (
            &["run", "--traces", "10", "--workload", "mesh"],
            "--workload",
            "",
        ),
        (
            &["run", "--traces", "10", "--seed", "-1"],
            "--seed",
            "0 to 18446744073709551615",
        ),
        (
            &["run", "--traces", "10", "--seed", "abc"],
            "--seed",
            "0 to 18446744073709551615",
        ),
        (&["run"], "--traces", ""),
        (
            &[
                "run",
                "--traces",
                "10",
                "--traces-file",
                "/nonexistent/seeds.txt",
            ],
            "--traces-file",
            "",
        ),
        (
            &[
                "run",
                "--workload",
                "flat",
                "--traces",
                "10",
                "--panic-rate",
                "0.5",
            ],
            "--panic-rate",
            "",
        ),
        (
            &[
                "run",
                "--workload",
                "flat",
                "--traces",
                "10",
                "--traces-file",
                "/nonexistent/seeds.txt",
            ],
            "--traces-file",
            "--workload flat",
        ),
        (&["report", "--scenario", "huge"], "--scenario", ""),
        (&["report", "--repeat", "0"], "--repeat", "1 to 100"),
        (&["report", "--repeat", "101"], "--repeat", "1 to 100"),
        (
            &["report", "--time-scale", "-2"],
            "--time-scale",
            "0 to 1000",
        ),
        (
            &["report", "--time-scale", "-inf"],
            "--time-scale",
            "0 to 1000",
        ),
        (
            &["report", "--latency-ms", "-.5"],
            "--latency-ms",
            "0 to 60000",
        ),
        (
            &["report", "--seed", "x"],
            "--seed",
            "0 to 18446744073709551615",
        ),
        (
            &["report", "--compare", "/nonexistent/report.json"],
            "--compare",
            "",
        ),
        (&["gen", "--traces", "0"], "--traces", "1 to 10000000"),
        (&["gen", "--traces", "abc"], "--traces", "1 to 10000000"),
        (
            &["gen", "--traces", "10", "--seed", "-.5"],
            "--seed",
            "0 to 18446744073709551615",
        ),
        (&["frobnicate"], "frobnicate", ""),
    ];
    for (args, names, range) in cases {
        let output = bench().args(*args).output().unwrap();
        assert_usage_error(&output, names);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(range),
            "{args:?}: states `{range}`: {stderr}"
        );
        for word in JARGON {
            assert!(!stderr.contains(word), "{args:?}: says `{word}`: {stderr}");
        }
    }
}

#[test]
fn failure_rate_plus_panic_rate_above_one_is_rejected() {
    let output = bench()
        .args([
            "run",
            "--traces",
            "10",
            "--failure-rate",
            "0.7",
            "--panic-rate",
            "0.6",
        ])
        .output()
        .unwrap();
    assert_usage_error(&output, "panic");
}

#[test]
fn malformed_traces_file_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seeds.txt");
    std::fs::write(&file, "username:alice\nnot a trace at all\n").unwrap();
    let output = bench()
        .args(["run", "--traces", "10", "--traces-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_usage_error(&output, "--traces-file");
    assert!(String::from_utf8_lossy(&output.stderr).contains("line 2"));
    std::fs::write(&file, "# only a comment\n\n").unwrap();
    let output = bench()
        .args(["run", "--traces", "10", "--traces-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_usage_error(&output, "--traces-file");
}

#[test]
fn generated_seeds_feed_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds.txt");
    bench()
        .args(["gen", "--traces", "400", "--seed", "9", "--out"])
        .arg(&seeds)
        .assert()
        .success();
    let text = std::fs::read_to_string(&seeds).unwrap();
    assert!(!tracepool::trace::parse_traces(&text).unwrap().is_empty());
    let from_file = run_json(&[
        "--traces",
        "400",
        "--seed",
        "9",
        "--latency-ms",
        "0",
        "--traces-file",
        seeds.to_str().unwrap(),
    ]);
    let own = run_json(&["--traces", "400", "--seed", "9", "--latency-ms", "0"]);
    assert_eq!(from_file["discovered"], own["discovered"]);
    assert_eq!(from_file["jobs"], own["jobs"]);
    // The file alone is enough: the graph has the workload's default size.
    let file_only = run_json(&[
        "--seed",
        "9",
        "--latency-ms",
        "0",
        "--traces-file",
        seeds.to_str().unwrap(),
    ]);
    assert_eq!(
        file_only["traces"],
        tracepool::sim::SimConfig::default().traces
    );
    assert!(file_only["discovered"].as_u64().unwrap() >= 1);

    let graph = dir.path().join("graph.txt");
    bench()
        .args(["gen", "--traces", "400", "--graph", "--out"])
        .arg(&graph)
        .assert()
        .success();
    let text = std::fs::read_to_string(&graph).unwrap();
    assert_eq!(tracepool::trace::parse_traces(&text).unwrap().len(), 400);
}

#[test]
fn help_lists_the_commands() {
    let output = bench().arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for word in ["report", "run", "gen"] {
        assert!(help.contains(word));
    }
    let output = bench().args(["run", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--workload",
        "--model",
        "--traces",
        "--concurrency",
        "--latency-ms",
        "--failure-rate",
        "--panic-rate",
        "--timeout-ms",
        "--cpu-us",
        "--seed",
        "--json",
        "--traces-file",
        "--profile",
        "DEEPER_MAX_CONCURRENCY",
    ] {
        assert!(help.contains(flag), "run --help mentions {flag}");
    }
}
