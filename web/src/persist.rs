//! The browser's runs across reloads: a report in the page's local storage.
//!
//! Local storage holds about 5 MB per site, and a report with long time series can
//! exceed 1 MB. The report is stored whole while it is small; past
//! [`MAX_STORED_BYTES`] the time series are dropped, oldest runs first, so that the
//! summaries (every run's record, the findings) always survive.

use tracepool::report::record::Report;

/// The local-storage key of the browser's report.
pub const STORAGE_KEY: &str = "tracepool-web.report";

/// The largest stored report, in bytes of JSON.
pub const MAX_STORED_BYTES: usize = 1 << 20;

/// The text to store for `report`: its JSON, without the time series of the oldest runs
/// when the whole would exceed [`MAX_STORED_BYTES`].
pub fn to_stored(report: &Report) -> String {
    let mut json = serde_json::to_string(report).unwrap_or_default();
    if json.len() <= MAX_STORED_BYTES {
        return json;
    }
    let mut trimmed = report.clone();
    for i in 0..trimmed.runs.len() {
        trimmed.runs[i].series = Vec::new();
        json = serde_json::to_string(&trimmed).unwrap_or_default();
        if json.len() <= MAX_STORED_BYTES {
            break;
        }
    }
    json
}

/// The report stored by [`to_stored`].
///
/// # Errors
///
/// What is wrong with the stored text, e.g. a report of an older schema.
pub fn from_stored(text: &str) -> Result<Report, String> {
    Report::from_json(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use tracepool::report::record::{Environment, Sample, ScenarioRun, Settings};

    use super::*;

    fn report(runs: usize, samples: usize) -> Report {
        let mut report = Report::new("test", Environment::default(), Settings::default());
        let native = Report::from_json(include_str!("../e2e/fixtures/report.json")).unwrap();
        let record = native.runs[0].record.clone();
        for i in 0..runs {
            report.runs.push(ScenarioRun {
                scenario: format!("run-{i}"),
                record: record.clone(),
                series: (0..samples)
                    .map(|k| Sample {
                        t_s: k as f64 * 0.05,
                        cpu_percent: 0.0,
                        rss_bytes: 0,
                        os_threads: None,
                        in_flight: k as u64,
                        queued: 0,
                        completed: k as u64,
                    })
                    .collect(),
            });
        }
        report
    }

    #[test]
    fn a_small_report_is_stored_whole() {
        let r = report(3, 10);
        assert_eq!(from_stored(&to_stored(&r)).unwrap(), r);
    }

    #[test]
    fn a_large_report_loses_the_oldest_series_but_no_run() {
        let r = report(4, 6_000);
        assert!(serde_json::to_string(&r).unwrap().len() > MAX_STORED_BYTES);
        let stored = to_stored(&r);
        assert!(stored.len() <= MAX_STORED_BYTES);
        let back = from_stored(&stored).unwrap();
        assert_eq!(back.runs.len(), 4);
        assert!(back.runs[0].series.is_empty());
        assert_eq!(back.runs[3].series, r.runs[3].series);
        assert_eq!(
            back.runs.iter().map(|r| &r.record).collect::<Vec<_>>(),
            r.runs.iter().map(|r| &r.record).collect::<Vec<_>>()
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(from_stored("{").is_err());
        assert!(from_stored("{}").unwrap_err().contains("schema_version"));
    }
}
