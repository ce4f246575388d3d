//! Names in run records: known names read as enums and write back byte for byte;
//! names this version does not know are kept as written, never rejected.

use std::collections::HashSet;

use tracepool::crawl::Model;
use tracepool::report::findings::findings;
use tracepool::report::record::{Environment, Report, RunRecord, ScenarioRun, Settings};
use tracepool::report::{
    KnownName, ModelName, Named, SleepTimer, TimerName, Workload, WorkloadName,
};

/// A record as `tracepool-bench run --json` prints it.
const KNOWN: &str = r#"{"model":"previous","workload":"flat","traces":20,"concurrency":10,"wall_s":0.000413994,"jobs":20,"completed":20,"failed":0,"timed_out":0,"panicked":0,"cancelled":0,"lost":0,"discovered":20,"throughput_per_s":48309.87888713363,"error_rate":0.0,"peak_in_flight":1,"ideal_s":0.0,"efficiency":0.0,"cpu_percent":96.31525776484797,"peak_rss_bytes":9494528,"peak_os_threads":4,"latency_p50_ms":0.001,"latency_p99_ms":0.007,"timer_overshoot_us":0.0,"timer_sleeps":0,"timer_requested_ms":0.0,"timer_actual_ms":0.0,"timer":"reactor"}"#;

fn with_names(model: &str, workload: &str, timer: &str) -> String {
    KNOWN
        .replace(r#""model":"previous""#, &format!(r#""model":"{model}""#))
        .replace(
            r#""workload":"flat""#,
            &format!(r#""workload":"{workload}""#),
        )
        .replace(r#""timer":"reactor""#, &format!(r#""timer":"{timer}""#))
}

#[test]
fn known_names_read_as_enums_and_write_back_byte_for_byte() {
    for model in Model::ALL {
        for workload in Workload::ALL {
            for timer in SleepTimer::ALL {
                let json = with_names(model.name(), workload.name(), timer.name());
                let record: RunRecord = serde_json::from_str(&json).unwrap();
                assert_eq!(record.model, Named::Known(model));
                assert_eq!(record.workload, Named::Known(workload));
                assert_eq!(record.timer, Named::Known(timer));
                assert_eq!(serde_json::to_string(&record).unwrap(), json);
            }
        }
    }
}

#[test]
fn unknown_names_are_kept_as_written() {
    let json = with_names("work_stealing", "grpc", "wheel");
    let record: RunRecord = serde_json::from_str(&json).expect("an unknown name is no error");
    assert_eq!(record.model, Named::Other("work_stealing".to_owned()));
    assert_eq!(record.workload, Named::Other("grpc".to_owned()));
    assert_eq!(record.timer, Named::Other("wheel".to_owned()));
    assert_eq!(record.model.known(), None);
    assert_eq!(record.timer.to_string(), "wheel");
    assert_eq!(serde_json::to_string(&record).unwrap(), json);
}

#[test]
fn a_report_naming_unknown_models_opens_and_is_judged() {
    let known: RunRecord = serde_json::from_str(&with_names("pool", "crawl", "finishing")).unwrap();
    let unknown: RunRecord =
        serde_json::from_str(&with_names("work_stealing", "grpc", "wheel")).unwrap();
    let mut report = Report::new("0.1.0", Environment::default(), Settings::default());
    for record in [known, unknown] {
        report.runs.push(ScenarioRun {
            scenario: "custom".to_owned(),
            record,
            series: Vec::new(),
        });
    }
    let json = report.to_json_pretty();
    assert!(json.contains(r#""model": "work_stealing""#), "{json}");
    let read = Report::from_json(&json).expect("a report naming an unknown model opens");
    assert_eq!(read, report);
    let models: Vec<&str> = read.models().into_iter().map(ModelName::as_str).collect();
    assert_eq!(models, ["pool", "work_stealing"]);
    let limits = &findings(&read)[0];
    assert!(
        limits.text.contains("The work_stealing model peaked at 1"),
        "{}",
        limits.text
    );
}

#[test]
fn a_record_without_a_timer_used_the_reactor() {
    let json = KNOWN.replace(r#","timer":"reactor""#, "");
    assert!(!json.contains("timer\":"));
    let record: RunRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(record.timer, SleepTimer::Reactor);
}

#[test]
fn names_compare_by_name() {
    let by_hand: ModelName = Named::Other("pool".to_owned());
    assert_eq!(by_hand, Named::Known(Model::Pool));
    assert_eq!(by_hand, Model::Pool);
    assert_eq!(by_hand.known(), Some(Model::Pool));
    assert_eq!(by_hand, "pool");
    let set: HashSet<ModelName> = [by_hand, Model::Pool.into()].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert_eq!(WorkloadName::from("flat"), Workload::Flat);
    assert_eq!(
        TimerName::from("finishing".to_owned()),
        SleepTimer::Finishing
    );
    assert_ne!(TimerName::from("Finishing"), SleepTimer::Finishing);
}

#[test]
fn every_name_parses_back_and_an_unknown_one_is_named_with_the_choices() {
    fn round_trip<T: KnownName>() {
        for &v in T::ALL {
            assert_eq!(T::from_name(v.name()), Some(v));
            assert!(!v.summary().is_empty() && !v.summary().ends_with('.'));
        }
    }
    round_trip::<Model>();
    round_trip::<Workload>();
    round_trip::<SleepTimer>();
    let e = Workload::parse_name("grpc").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown workload `grpc` (expected crawl, flat or http)"
    );
    assert_eq!((e.kind(), e.name()), ("workload", "grpc"));
    assert_eq!(
        <Model as KnownName>::parse_name("x")
            .unwrap_err()
            .to_string(),
        "unknown model `x` (expected pool, previous or unbounded)"
    );
    assert_eq!("finishing".parse::<SleepTimer>(), Ok(SleepTimer::Finishing));
    assert_eq!("heap".parse::<SleepTimer>(), Ok(SleepTimer::Heap));
    assert_eq!(SleepTimer::default(), SleepTimer::Heap);
}

#[test]
fn the_browser_timer_is_a_known_name_and_no_native_one() {
    assert!(matches!(
        TimerName::from("set-timeout"),
        Named::Known(SleepTimer::SetTimeout)
    ));
    assert_eq!(
        TimerName::from("set-timeout").known(),
        Some(SleepTimer::SetTimeout)
    );
    assert_eq!(SleepTimer::SetTimeout.to_string(), "set-timeout");
    assert!(!SleepTimer::SetTimeout.is_native());
    assert!(SleepTimer::NATIVE.iter().all(|t| t.is_native()));
    assert!(!SleepTimer::NATIVE.contains(&SleepTimer::SetTimeout));
}

#[test]
fn the_http_fields_are_additive() {
    // A record without them reads with none, and writes back without them.
    let old: RunRecord = serde_json::from_str(KNOWN).unwrap();
    assert!(old.errors_by_kind.is_empty());
    assert_eq!(
        (
            old.peak_open_fds,
            old.server_peak_requests,
            old.server_peak_connections
        ),
        (None, None, None)
    );
    // A record with them keeps them.
    let json = with_names("pool", "http", "finishing").replace(
        r#""timer":"finishing"}"#,
        r#""timer":"finishing","errors_by_kind":{"exhausted":3,"http_429":2},"peak_open_fds":71,"server_peak_requests":10,"server_peak_connections":12}"#,
    );
    let record: RunRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(record.workload, Workload::Http);
    assert_eq!(record.errors_by_kind["http_429"], 2);
    assert_eq!(record.errors_by_kind["exhausted"], 3);
    assert_eq!(record.peak_open_fds, Some(71));
    assert_eq!(record.server_peak_requests, Some(10));
    assert_eq!(record.server_peak_connections, Some(12));
    assert_eq!(serde_json::to_string(&record).unwrap(), json);
}
