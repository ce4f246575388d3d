//! Running a plan on the page's event loop.
//!
//! Each run of the plan crawls its workload with a [`LocalCrawler`] sleeping on the
//! browser's timer (core's `BrowserTimer`, `setTimeout`), polled in slices ([`Sliced`]) so
//! that the page keeps rendering and answering input; an interval timer samples the
//! crawl's gauge into the run's time series and the live figures. The synthetic graph
//! is built once per plan and its ideal schedule simulated once per run, before the
//! clock starts.

mod macrotask;
mod yielding;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use gloo_timers::callback::Interval;
use gloo_timers::future::TimeoutFuture;
use tracepool::LocalRegistry;
use tracepool::Trace;
use tracepool::crawl::ideal::{IdealLimits, simulate};
use tracepool::crawl::{Canceller, GaugeReader, LocalCrawlConfig, LocalCrawler, Model};
use tracepool::report::record::{Sample, ScenarioRun};
use tracepool::sim::{FlatWorkload, SimWorkload, SleepStats};
use tracepool::timer::LocalTimer;
use web_time::Instant;

use crate::browser;
use crate::measure::{Measured, run_record};
use crate::plan::{RunPlan, SAMPLE_INTERVAL_MS, Workload};
use crate::state::{Action, LiveRun};

pub use macrotask::{EventLoop, NextTurn, Sliced};

/// The longest a crawl runs before the page gets the event loop back.
pub const SLICE: Duration = Duration::from_millis(8);

/// The live figures go to the page every this many samples.
const LIVE_EVERY: usize = 2;

/// Cancels a running plan; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RunHandle {
    cancelled: Rc<Cell<bool>>,
    crawl: Rc<RefCell<Option<Canceller>>>,
}

impl RunHandle {
    /// Stops the run in progress and the plan's later runs.
    pub fn cancel(&self) {
        self.cancelled.set(true);
        if let Some(crawl) = self.crawl.borrow().as_ref() {
            crawl.cancel();
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
}

/// A workload ready to crawl under one model and limit.
struct Prepared {
    registry: LocalRegistry,
    seeds: Vec<Trace>,
    ideal: Duration,
    expected_calls: u64,
    stats: Arc<SleepStats>,
}

/// The plan's workload, built once for all its runs.
struct Source {
    generator: Generator,
    /// Whether its calls sleep: calls that never do yield once instead
    /// ([`yielding`](yielding::yielding)), or the crawl would not either.
    sleeps: bool,
}

/// What generates the calls: the trace graph, or the flat list of calls.
enum Generator {
    Graph(SimWorkload),
    Flat(FlatWorkload),
}

impl Source {
    fn new(plan: &RunPlan) -> Result<Source, String> {
        let generator = match plan.workload {
            Workload::Crawl => {
                Generator::Graph(SimWorkload::new(plan.sim_config()).map_err(|e| e.to_string())?)
            }
            Workload::Flat => Generator::Flat(
                FlatWorkload::new(plan.traces, plan.scaled_latency()).with_seed(plan.seed),
            ),
        };
        Ok(Source {
            generator,
            sleeps: plan.latency_ms > 0.0,
        })
    }

    fn prepare(
        &self,
        model: Model,
        concurrency: usize,
        timer: Rc<dyn LocalTimer>,
        event_loop: Option<&Rc<EventLoop>>,
    ) -> Prepared {
        let mut prepared = self.prepare_calls(model, concurrency, timer);
        if let (false, Some(event_loop)) = (self.sleeps, event_loop) {
            prepared.registry = yielding::yielding(&prepared.registry, event_loop);
        }
        prepared
    }

    fn prepare_calls(
        &self,
        model: Model,
        concurrency: usize,
        timer: Rc<dyn LocalTimer>,
    ) -> Prepared {
        match &self.generator {
            Generator::Graph(sim) => {
                let ideal = simulate(sim, model, concurrency, &IdealLimits::default());
                Prepared {
                    registry: sim.local_registry(timer),
                    seeds: sim.seeds(),
                    ideal: ideal.makespan,
                    expected_calls: ideal.calls,
                    stats: Arc::clone(sim.sleep_stats()),
                }
            }
            Generator::Flat(flat) => Prepared {
                registry: flat.local_registry(timer),
                seeds: flat.seeds(),
                ideal: flat.ideal_makespan(concurrency),
                expected_calls: flat.jobs() as u64,
                stats: Arc::clone(flat.sleep_stats()),
            },
        }
    }
}

/// The browser's timer, `setTimeout`.
#[cfg(target_arch = "wasm32")]
fn browser_timer() -> Result<Rc<dyn LocalTimer>, String> {
    Ok(Rc::new(tracepool::timer::BrowserTimer))
}

/// Outside a browser there is no page to run on.
#[cfg(not(target_arch = "wasm32"))]
fn browser_timer() -> Result<Rc<dyn LocalTimer>, String> {
    Err("runs need a browser (wasm32): there is no setTimeout here".to_owned())
}

/// Lets the page render what the state shows before a long synchronous step.
async fn let_the_page_paint() {
    TimeoutFuture::new(20).await;
}

/// Samples a crawl's gauge every [`SAMPLE_INTERVAL_MS`] into its time series, and
/// reports the live figures.
struct Sampler {
    series: Rc<RefCell<Vec<Sample>>>,
    peak_memory: Rc<Cell<u64>>,
    // Dropping it stops the sampling.
    _interval: Interval,
}

fn sample(gauge: &GaugeReader, started: Instant, peak_memory: &Cell<u64>) -> Sample {
    let g = gauge.read();
    let memory = browser::memory_bytes().unwrap_or(0);
    peak_memory.set(peak_memory.get().max(memory));
    Sample {
        t_s: started.elapsed().as_secs_f64(),
        cpu_percent: 0.0,
        rss_bytes: memory,
        os_threads: None,
        in_flight: g.in_flight,
        queued: g.queued,
        completed: g.finished,
    }
}

impl Sampler {
    fn start(
        gauge: GaugeReader,
        started: Instant,
        live: LiveRun,
        sink: Rc<dyn Fn(Action)>,
    ) -> Sampler {
        let series = Rc::new(RefCell::new(Vec::new()));
        let peak_memory = Rc::new(Cell::new(0));
        let interval = {
            let series = Rc::clone(&series);
            let peak_memory = Rc::clone(&peak_memory);
            Interval::new(SAMPLE_INTERVAL_MS, move || {
                let s = sample(&gauge, started, &peak_memory);
                let count = {
                    let mut series = series.borrow_mut();
                    series.push(s);
                    series.len()
                };
                if count % LIVE_EVERY == 1 {
                    sink(Action::Live(LiveRun {
                        elapsed_s: s.t_s,
                        gauge: gauge.read(),
                        series: Rc::new(series.borrow().clone()),
                        ..live.clone()
                    }));
                }
            })
        };
        Sampler {
            series,
            peak_memory,
            _interval: interval,
        }
    }
}

/// Runs every run of `plan` in turn, reporting the live figures and each finished run
/// through `sink`. Returns whether it was cancelled; a cancelled run is not reported.
///
/// # Errors
///
/// Why the plan's workload or a run could not be set up.
pub async fn run_plan(
    plan: &RunPlan,
    handle: &RunHandle,
    sink: Rc<dyn Fn(Action)>,
) -> Result<bool, String> {
    let timer = browser_timer()?;
    let event_loop = EventLoop::new().map(Rc::new);
    let_the_page_paint().await;
    let source = Source::new(plan)?;
    for (index, (model, concurrency)) in plan.runs().into_iter().enumerate() {
        if handle.is_cancelled() {
            return Ok(true);
        }
        let_the_page_paint().await;
        let prepared = source.prepare(model, concurrency, Rc::clone(&timer), event_loop.as_ref());
        let crawler = LocalCrawler::new(
            prepared.registry,
            LocalCrawlConfig {
                model,
                max_concurrency: concurrency,
                ..LocalCrawlConfig::default()
            },
        )
        .map_err(|e| e.to_string())?;
        *handle.crawl.borrow_mut() = Some(crawler.canceller());
        if handle.is_cancelled() {
            return Ok(true);
        }
        prepared.stats.reset();
        let gauge = crawler.gauge();
        let started = Instant::now();
        let live = LiveRun {
            index,
            model,
            concurrency,
            expected_calls: prepared.expected_calls,
            elapsed_s: 0.0,
            gauge: gauge.read(),
            series: Rc::default(),
        };
        let sampler = Sampler::start(gauge.clone(), started, live, Rc::clone(&sink));
        browser::mark(&format!("tracepool: run {} crawl start", index + 1));
        let crawl = Sliced::new(
            crawler.run(prepared.seeds, |_| {}),
            SLICE,
            event_loop.clone(),
        )
        .await;
        let wall = started.elapsed();
        browser::mark(&format!("tracepool: run {} crawl end", index + 1));
        handle.crawl.borrow_mut().take();
        let Sampler {
            series,
            peak_memory,
            _interval,
        } = sampler;
        drop(_interval);
        let last = sample(&gauge, started, &peak_memory);
        let mut series = Rc::try_unwrap(series)
            .map(RefCell::into_inner)
            .unwrap_or_else(|rc| rc.borrow().clone());
        series.push(last);
        if crawl.was_cancelled {
            return Ok(true);
        }
        let measured = Measured {
            wall,
            ideal: prepared.ideal,
            sleeps: prepared.stats.snapshot(),
            peak_memory_bytes: peak_memory.get(),
        };
        sink(Action::RunDone(ScenarioRun {
            scenario: plan.scenario.clone(),
            record: run_record(plan, model, concurrency, &crawl, &measured),
            series,
        }));
    }
    Ok(false)
}
