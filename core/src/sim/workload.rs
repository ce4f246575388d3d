//! The seeded trace-graph workload and its plugins.

use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{self, BoxFuture, FutureExt, LocalBoxFuture};
use serde::{Deserialize, Serialize};

use super::config::{SimConfig, SimConfigError};
use super::graph::{CallKey, Class, Graph, Verdict};
use super::kinds;
use super::panics::SIMULATED_PANIC;
use super::stats::SleepStats;
use super::values;
use crate::plugin::{
    Found, LocalPlugin, LocalRegistry, Plugin, PluginError, PluginErrorKind, Registry,
};
use crate::timer::{LocalTimer, SharedTimer, Timer};
use crate::trace::{Trace, TraceKind};

/// The index of a trace in a [`SimWorkload`]'s graph (`0..trace_count()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(u32);

impl NodeId {
    /// The index as a `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What one simulated call does, computed without sleeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCall {
    /// How long the call waits on its timer (time scale applied; zero for a call
    /// doing no I/O or a plugin that filters the trace out).
    pub latency: Duration,
    /// CPU time the call burns after its wait (zero for a filtered-out trace).
    pub cpu: Duration,
    /// What the call ends with.
    pub outcome: SimOutcome,
}

/// The end of a simulated call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimOutcome {
    /// The call returns these traces (possibly none, possibly already known ones).
    Found(Vec<NodeId>),
    /// The call returns this error.
    Failed(PluginError),
    /// The call panics.
    Panicked,
}

/// One nominal edge of the graph: plugin `plugin` of `from`'s kind returns `to` when
/// the call succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SimEdge {
    /// The trace followed.
    pub from: NodeId,
    /// The plugin's index among the plugins of `from`'s kind.
    pub plugin: usize,
    /// The trace returned.
    pub to: NodeId,
}

/// A deterministic, seeded trace graph with simulated plugins.
///
/// Built from a [`SimConfig`], it has exactly `config.traces` distinct traces
/// reachable from its seeds when no call fails. Every call's latency and outcome is a
/// pure function of (seed, trace, plugin), so a real crawl (through
/// [`registry`](SimWorkload::registry)) and a discrete-event simulation (through
/// [`call`](SimWorkload::call)) see the same graph, prune the same branches on
/// failure, and wait the same nominal times.
///
/// The graph takes five bytes per trace; cloning the workload is cheap.
///
/// # Examples
///
/// ```
/// use std::collections::HashSet;
/// use tracepool::sim::{SimConfig, SimOutcome, SimWorkload};
///
/// let sim = SimWorkload::new(SimConfig { traces: 500, failure_prob: 0.0, ..SimConfig::default() })?;
/// // Breadth-first crawl without sleeping: every trace is found exactly once.
/// let mut seen: HashSet<_> = sim.seed_nodes().collect();
/// let mut frontier: Vec<_> = seen.iter().copied().collect();
/// while let Some(node) = frontier.pop() {
///     for plugin in 0..sim.plugin_count(node) {
///         if let Some(SimOutcome::Found(children)) = sim.call(node, plugin).map(|c| c.outcome) {
///             frontier.extend(children.into_iter().filter(|c| seen.insert(*c)));
///         }
///     }
/// }
/// assert_eq!(seen.len(), 500);
/// # Ok::<(), tracepool::sim::SimConfigError>(())
/// ```
#[derive(Clone)]
pub struct SimWorkload {
    graph: Arc<Graph>,
    stats: Arc<SleepStats>,
}

impl fmt::Debug for SimWorkload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimWorkload")
            .field("config", &self.graph.config)
            .field("heap_bytes", &self.graph.heap_bytes())
            .finish_non_exhaustive()
    }
}

impl SimWorkload {
    /// Validates `config` and builds the graph (linear time in `config.traces`).
    ///
    /// # Errors
    ///
    /// The first invalid field of `config` (see [`SimConfig::validate`]).
    pub fn new(config: SimConfig) -> Result<Self, SimConfigError> {
        config.validate()?;
        Ok(SimWorkload {
            graph: Arc::new(Graph::build(config)),
            stats: Arc::new(SleepStats::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.graph.config
    }

    /// The number of traces in the graph (`config.traces`).
    pub fn trace_count(&self) -> usize {
        self.graph.len() as usize
    }

    /// Bytes of heap the graph uses.
    pub fn heap_bytes(&self) -> usize {
        self.graph.heap_bytes()
    }

    /// The seed traces a crawl starts from.
    pub fn seeds(&self) -> Vec<Trace> {
        self.seed_nodes().map(|n| self.trace_of(n)).collect()
    }

    /// The seed nodes (`0..config.seed_traces`).
    pub fn seed_nodes(&self) -> impl Iterator<Item = NodeId> + use<> {
        (0..self.graph.config.seed_traces as u32).map(NodeId)
    }

    /// The node of `trace`, or `None` when it is not part of this graph.
    pub fn node(&self, trace: &Trace) -> Option<NodeId> {
        let kind = kinds::code_of_kind(trace.kind())?;
        let index = values::parse_index(kind, trace.value())?;
        (index < self.graph.len() && self.graph.kind_code(index) == kind).then_some(NodeId(index))
    }

    /// The trace of `node`.
    ///
    /// # Panics
    ///
    /// When `node` is not below [`trace_count`](SimWorkload::trace_count) (a node of
    /// another workload).
    pub fn trace_of(&self, node: NodeId) -> Trace {
        let kind = self.graph.kind_code(node.0);
        Trace::new(
            kinds::kind_of_code(kind),
            values::format_value(kind, node.0),
        )
    }

    /// The number of plugins of `node`'s kind (0 for a dead end, or an unknown node).
    pub fn plugin_count(&self, node: NodeId) -> usize {
        if node.0 >= self.graph.len() {
            return 0;
        }
        kinds::specs(self.graph.kind_code(node.0)).len()
    }

    /// The names of the plugins of `kind`, in the order of
    /// [`Registry::plugins_for`] on [`registry`](SimWorkload::registry): the plugin
    /// index used by [`call`](SimWorkload::call) is a position in this list.
    pub fn plugin_names(&self, kind: &TraceKind) -> Vec<String> {
        kinds::code_of_kind(kind)
            .map(|code| {
                kinds::specs(code)
                    .iter()
                    .map(|s| plugin_name(code, s.name))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The nominal latency of plugin `plugin` on `node` (time scale applied), or
    /// `None` when either does not exist.
    pub fn latency(&self, node: NodeId, plugin: usize) -> Option<Duration> {
        (plugin < self.plugin_count(node)).then(|| self.graph.latency(node.0, plugin))
    }

    /// What plugin `plugin` (an index into [`plugin_names`](SimWorkload::plugin_names)
    /// of `node`'s kind) does on `node`, without sleeping; `None` when either does not
    /// exist. The simulated plugins do exactly this.
    pub fn call(&self, node: NodeId, plugin: usize) -> Option<SimCall> {
        if plugin >= self.plugin_count(node) {
            return None;
        }
        let active = kinds::active(self.graph.kind_code(node.0), plugin, node.0);
        let outcome = match self.graph.verdict(node.0, plugin) {
            Verdict::Ok => {
                let mut children = Vec::new();
                self.graph.children(node.0, plugin, &mut children);
                SimOutcome::Found(children.into_iter().map(NodeId).collect())
            }
            Verdict::Failed(error) => SimOutcome::Failed(error),
            Verdict::Panicked => SimOutcome::Panicked,
        };
        Some(SimCall {
            latency: self.graph.latency(node.0, plugin),
            cpu: if active {
                self.graph.config.cpu_per_call
            } else {
                Duration::ZERO
            },
            outcome,
        })
    }

    /// What [`call`](SimWorkload::call) says of plugin `plugin` on `node`, without
    /// listing the traces or making the error: its duration (latency plus CPU time)
    /// and whether it returns traces (listed by [`each_child`](Self::each_child));
    /// `None` when either does not exist. The ideal simulation's cheap path.
    pub(crate) fn call_summary(&self, node: NodeId, plugin: usize) -> Option<(Duration, bool)> {
        if plugin >= self.plugin_count(node) {
            return None;
        }
        let graph = &self.graph;
        let cpu = if kinds::active(graph.kind_code(node.0), plugin, node.0) {
            graph.config.cpu_per_call
        } else {
            Duration::ZERO
        };
        let duration = graph.latency(node.0, plugin).saturating_add(cpu);
        Some((duration, graph.verdict_class(node.0, plugin) == Class::Ok))
    }

    /// Calls `found` with each trace a successful call of plugin `plugin` on `node`
    /// returns, in the order of [`SimOutcome::Found`]; with none when either does not
    /// exist.
    pub(crate) fn each_child(&self, node: NodeId, plugin: usize, mut found: impl FnMut(NodeId)) {
        if plugin < self.plugin_count(node) {
            self.graph
                .each_child(node.0, plugin, |child| found(NodeId(child)));
        }
    }

    /// [`call`](SimWorkload::call) by trace and plugin name.
    pub fn call_trace(&self, trace: &Trace, plugin: &str) -> Option<SimCall> {
        let node = self.node(trace)?;
        let index = self
            .plugin_names(trace.kind())
            .iter()
            .position(|n| n == plugin)?;
        self.call(node, index)
    }

    /// Every node of the graph, in order (seeds first).
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + use<> {
        (0..self.graph.len()).map(NodeId)
    }

    /// Every trace of the graph, in node order (seeds first).
    pub fn traces(&self) -> impl Iterator<Item = Trace> + '_ {
        (0..self.graph.len()).map(|i| self.trace_of(NodeId(i)))
    }

    /// Every nominal edge (as if no call failed), by node then plugin. Includes the
    /// duplicate edges, so a `to` may repeat.
    pub fn edges(&self) -> impl Iterator<Item = SimEdge> + '_ {
        (0..self.graph.len()).flat_map(move |i| {
            let from = NodeId(i);
            (0..self.plugin_count(from)).flat_map(move |plugin| {
                let mut children = Vec::new();
                self.graph.children(i, plugin, &mut children);
                children.into_iter().map(move |to| SimEdge {
                    from,
                    plugin,
                    to: NodeId(to),
                })
            })
        })
    }

    /// The number of traces a complete crawl discovers: the seeds and everything
    /// reachable through calls that neither fail nor panic (`config.traces` when
    /// both probabilities are zero). Timeouts imposed by a pool are not counted.
    pub fn reachable_count(&self) -> usize {
        let n = self.graph.len() as usize;
        let mut seen = vec![false; n];
        let mut stack: Vec<u32> = self.seed_nodes().map(|s| s.0).collect();
        for &s in &stack {
            seen[s as usize] = true;
        }
        let mut count = stack.len();
        let mut children = Vec::new();
        while let Some(node) = stack.pop() {
            for p in 0..kinds::specs(self.graph.kind_code(node)).len() {
                if self.graph.verdict(node, p) != Verdict::Ok {
                    continue;
                }
                children.clear();
                self.graph.children(node, p, &mut children);
                for &c in &children {
                    if !std::mem::replace(&mut seen[c as usize], true) {
                        count += 1;
                        stack.push(c);
                    }
                }
            }
        }
        count
    }

    /// The traces a successful call of plugin `p` on `node` returns.
    fn found(&self, node: u32, p: usize) -> Vec<Trace> {
        // The nodes first, so that the list is allocated once, at its size.
        let mut nodes = [0; 16];
        let mut len = 0;
        let mut more = Vec::new();
        self.graph
            .each_child(node, p, |child| match nodes.get_mut(len) {
                Some(slot) => {
                    *slot = child;
                    len += 1;
                }
                None => more.push(child),
            });
        let mut found = Vec::with_capacity(len + more.len());
        found.extend(
            nodes[..len]
                .iter()
                .chain(&more)
                .map(|&child| self.trace_of(NodeId(child))),
        );
        found
    }

    /// Writes the traces a successful call returns into `found`, in the order of
    /// [`found`](Self::found).
    fn found_into(&self, call: &CallKey, found: &mut Found) {
        let graph = &self.graph;
        graph.each_child_of(call, |child| {
            let kind = graph.kind_code(child);
            found.push_with(kinds::kind_of_code(kind), |value| {
                values::write_value(value, kind, child);
            });
        });
    }

    /// The sleep-accuracy totals the simulated plugins record into.
    pub fn sleep_stats(&self) -> &Arc<SleepStats> {
        &self.stats
    }

    /// The simulated plugins, one per (kind, plugin) of the table, sleeping with
    /// `timer`.
    ///
    /// A call sleeps its [`latency`](SimCall::latency) on `timer` (recording the
    /// accuracy in [`sleep_stats`](SimWorkload::sleep_stats)), busy-spins its
    /// [`cpu`](SimCall::cpu) time, then panics, fails or returns its traces as
    /// [`call`](SimWorkload::call) says. A trace that is not in the graph fails with
    /// [`PluginErrorKind::Invalid`].
    pub fn registry(&self, timer: Arc<dyn Timer>) -> Registry {
        let mut registry = Registry::new();
        for plugin in self.plugins(timer) {
            registry.register(plugin);
        }
        registry
    }

    /// The same plugins as [`registry`](SimWorkload::registry), sleeping with a
    /// [`LocalTimer`] (such as the browser's), for a
    /// [`LocalCrawler`](crate::crawl::LocalCrawler).
    pub fn local_registry(&self, timer: Rc<dyn LocalTimer>) -> LocalRegistry {
        let mut registry = LocalRegistry::new();
        for plugin in self.plugins(timer) {
            registry.register(plugin);
        }
        registry
    }

    fn plugins<T: SharedTimer + 'static>(
        &self,
        timer: T,
    ) -> impl Iterator<Item = SimPlugin<T>> + '_ {
        (0..kinds::KIND_COUNT).flat_map(move |kind| {
            let timer = timer.clone();
            kinds::specs(kind)
                .iter()
                .enumerate()
                .map(move |(index, spec)| SimPlugin {
                    workload: self.clone(),
                    name: plugin_name(kind, spec.name),
                    kind,
                    index,
                    timer: timer.clone(),
                })
        })
    }
}

fn plugin_name(kind: u8, name: &str) -> String {
    format!("{}/{name}", kinds::kind_of_code(kind))
}

/// Sleeps `latency` on `timer` and records its accuracy, then burns `cpu`.
pub(crate) async fn wait_and_work<T: SharedTimer>(
    timer: &T,
    stats: &SleepStats,
    latency: Duration,
    cpu: Duration,
) {
    if !latency.is_zero() {
        let start = web_time::Instant::now();
        timer.sleep(latency).await;
        stats.record(latency, start.elapsed());
    }
    if !cpu.is_zero() {
        let start = web_time::Instant::now();
        while start.elapsed() < cpu {
            std::hint::spin_loop();
        }
    }
}

/// A simulated plugin, sleeping on a sendable (`Arc`) or local (`Rc`) timer.
struct SimPlugin<T> {
    workload: SimWorkload,
    name: String,
    kind: u8,
    index: usize,
    timer: T,
}

type CallResult = Result<Vec<Trace>, PluginError>;

impl<T: SharedTimer> SimPlugin<T> {
    /// The node of `trace`, if this plugin takes it.
    fn node(&self, trace: &Trace) -> Result<NodeId, PluginError> {
        let Some(node) = self.workload.node(trace) else {
            return Err(PluginError::new(
                PluginErrorKind::Invalid,
                format!("{trace} is not part of the simulated graph"),
            ));
        };
        if self.index >= self.workload.plugin_count(node) {
            return Err(PluginError::new(
                PluginErrorKind::Invalid,
                format!("{trace}: wrong kind"),
            ));
        }
        Ok(node)
    }

    /// The result of the call on `trace` when it is known at once, its traces written
    /// into `found`: when the trace is not one of this plugin's, or when the call
    /// neither waits nor works nor panics (what [`call`](Self::call) answers without
    /// a future). `None` for a call that may wait or work (its latency is not drawn),
    /// or that panics.
    fn call_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        let node = match self.node(trace) {
            Ok(node) => node,
            Err(error) => return Some(Err(error)),
        };
        let graph = &self.workload.graph;
        let call = graph.call_key(node.0, self.index);
        if graph.may_wait(&call) || (!graph.config.cpu_per_call.is_zero() && call.active()) {
            return None;
        }
        match graph.verdict_of(&call) {
            Verdict::Ok => {
                self.workload.found_into(&call, found);
                Some(Ok(()))
            }
            Verdict::Failed(error) => Some(Err(error)),
            Verdict::Panicked => None,
        }
    }

    /// The call on `trace`: at once when it is not one of this plugin's, or when it
    /// neither waits nor works nor panics; else the sleeping future.
    fn call(&self, trace: &Trace) -> Result<impl Future<Output = CallResult> + use<T>, CallResult> {
        let node = self.node(trace).map_err(Err)?;
        let graph = &self.workload.graph;
        let latency = graph.latency(node.0, self.index);
        let cpu = if kinds::active(graph.kind_code(node.0), self.index, node.0) {
            graph.config.cpu_per_call
        } else {
            Duration::ZERO
        };
        let verdict = graph.verdict(node.0, self.index);
        if latency.is_zero() && cpu.is_zero() {
            match verdict {
                Verdict::Ok => return Err(Ok(self.workload.found(node.0, self.index))),
                Verdict::Failed(error) => return Err(Err(error)),
                Verdict::Panicked => {}
            }
        }
        let workload = self.workload.clone();
        let timer = self.timer.clone();
        let (kind, index) = (self.kind, self.index);
        Ok(async move {
            wait_and_work(&timer, &workload.stats, latency, cpu).await;
            match verdict {
                Verdict::Ok => Ok(workload.found(node.0, index)),
                Verdict::Failed(error) => Err(error),
                Verdict::Panicked => panic!(
                    "{SIMULATED_PANIC} in plugin {} on node {node}",
                    plugin_name(kind, kinds::specs(kind)[index].name)
                ),
            }
        })
    }
}

impl Plugin for SimPlugin<Arc<dyn Timer>> {
    fn name(&self) -> &str {
        &self.name
    }

    fn accepts(&self) -> TraceKind {
        kinds::kind_of_code(self.kind)
    }

    fn follow(&self, trace: &Trace) -> BoxFuture<'static, CallResult> {
        match self.call(trace) {
            Ok(call) => call.boxed(),
            Err(result) => future::ready(result).boxed(),
        }
    }

    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        self.call_now(trace, found)
    }
}

impl LocalPlugin for SimPlugin<Rc<dyn LocalTimer>> {
    fn name(&self) -> &str {
        &self.name
    }

    fn accepts(&self) -> TraceKind {
        kinds::kind_of_code(self.kind)
    }

    fn follow(&self, trace: &Trace) -> LocalBoxFuture<'static, CallResult> {
        match self.call(trace) {
            Ok(call) => call.boxed_local(),
            Err(result) => future::ready(result).boxed_local(),
        }
    }

    fn follow_now(&self, trace: &Trace, found: &mut Found) -> Option<Result<(), PluginError>> {
        self.call_now(trace, found)
    }
}
