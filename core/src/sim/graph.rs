//! The implicit trace graph: five bytes per node.
//!
//! Nodes are numbered `0..N` in breadth-first order of a spanning tree; the seeds are
//! `0..S`. Node `i` stores its kind and the plugin of its parent that produced it
//! (one byte, `tags[i]`) and where its tree children start (`first_child[i]`): its
//! tree children are `first_child[i]..first_child[i + 1]`, and a call of plugin `p`
//! on `i` returns those tagged `p`. Extra edges to other existing nodes (duplicates,
//! cycles) are drawn from a hash at call time and stored nowhere.
//!
//! Exactly `N` traces are reachable when no call fails: every node is a tree
//! descendant of a seed, and extra edges only point at nodes below `N`. The build
//! keeps at least one unexpanded node with plugins in the tree's frontier until all
//! `N` nodes exist, forcing one such child when a node would otherwise be the last.

use std::time::Duration;

use super::config::SimConfig;
use super::kinds::{self, Spec};
use super::rng::{Draws, Geometric, NodeKey, PluginKey, Salt, seed_key};
use crate::plugin::{PluginError, PluginErrorKind};

/// Largest number of new traces one call may create, and of extra edges per call.
const MAX_CHILDREN_PER_CALL: u64 = 4096;
const MAX_EXTRA_PER_CALL: u64 = 64;
/// Attempts to find an extra-edge target of a kind the plugin emits.
const EXTRA_ATTEMPTS: usize = 4;
const PLUGIN_SHIFT: u8 = 5;
const KIND_MASK: u8 = (1 << PLUGIN_SHIFT) - 1;
const SEED_KINDS: [u8; 3] = [kinds::USERNAME, kinds::DOMAIN, kinds::EMAIL];

/// The outcome class of one call, before children are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Ok,
    Failed(PluginError),
    Panicked,
}

/// The outcome class of one call, without its error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Ok,
    Failed,
    Panicked,
}

/// What the draws of one call (plugin `p` on `node`) share, looked up once for all
/// of them: the node's kind, whether the plugin acts on it, and the start of the
/// call's keys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallKey {
    node: u32,
    p: usize,
    kind: u8,
    /// The plugin exists and acts on the node (see [`kinds::active`]).
    active: bool,
    /// The hash of `[seed, node, plugin key]`.
    draws: PluginKey,
}

impl CallKey {
    /// Whether the plugin acts on the node: it exists, and takes the node if it is a
    /// filtering plugin.
    pub(crate) fn active(&self) -> bool {
        self.active
    }
}

#[derive(Debug)]
pub(crate) struct Graph {
    pub(crate) config: SimConfig,
    lognormal: Option<(f64, f64)>,
    /// The hash of the seed, where the keys of the draws start.
    seed_key: u64,
    /// The number of extra edges per call.
    extra: Geometric,
    first_child: Vec<u32>,
    tags: Vec<u8>,
}

impl Graph {
    /// Builds the graph of a validated config.
    pub(crate) fn build(config: SimConfig) -> Self {
        let n = config.traces as u32;
        let seeds = config.seed_traces as u32;
        let mut tags = Vec::with_capacity(n as usize);
        let mut first_child = Vec::with_capacity(n as usize + 1);
        tags.extend((0..seeds).map(|s| SEED_KINDS[s as usize % SEED_KINDS.len()]));
        let mut next = seeds;
        // Created, not yet expanded nodes whose kind has plugins.
        let mut pending = seeds as usize;
        for i in 0..n {
            first_child.push(next);
            if next == n {
                continue;
            }
            let kind = tags[i as usize] & KIND_MASK;
            let specs = kinds::specs(kind);
            if specs.is_empty() {
                continue;
            }
            pending -= 1;
            for (p, spec) in specs.iter().enumerate() {
                if !kinds::active(kind, p, i) {
                    continue;
                }
                let mut draws =
                    Draws::new(config.seed, u64::from(i), plugin_key(kind, p), Salt::Count);
                let count = draws
                    .geometric(spec.mean * config.fan_out, MAX_CHILDREN_PER_CALL)
                    .min(u64::from(n - next));
                let mut kind_draws = Draws::new(
                    config.seed,
                    u64::from(i),
                    plugin_key(kind, p),
                    Salt::ChildKind,
                );
                for _ in 0..count {
                    let child = pick_kind(spec, &mut kind_draws);
                    pending += usize::from(kinds::productive(child));
                    tags.push(child | ((p as u8) << PLUGIN_SHIFT));
                }
                next += count as u32;
            }
            if pending == 0 && next < n {
                // Keep the frontier alive: one productive child from the first active
                // plugin that can emit one.
                let (p, child) = specs
                    .iter()
                    .enumerate()
                    .filter(|&(p, _)| kinds::active(kind, p, i))
                    .find_map(|(p, s)| {
                        s.emits
                            .iter()
                            .find(|&&(k, _)| kinds::productive(k))
                            .map(|&(k, _)| (p, k))
                    })
                    .expect("every productive kind emits a productive kind");
                tags.push(child | ((p as u8) << PLUGIN_SHIFT));
                pending += 1;
                next += 1;
            }
        }
        first_child.push(n);
        debug_assert_eq!(tags.len(), n as usize);
        let lognormal = config.lognormal();
        Graph {
            extra: Geometric::new(config.duplicate_edges),
            seed_key: seed_key(config.seed),
            config,
            lognormal,
            first_child,
            tags,
        }
    }

    pub(crate) fn len(&self) -> u32 {
        self.tags.len() as u32
    }

    pub(crate) fn kind_code(&self, node: u32) -> u8 {
        self.tags[node as usize] & KIND_MASK
    }

    /// The start of the keys of `node`'s draws.
    #[inline]
    fn node_key(&self, node: u32) -> NodeKey {
        NodeKey::new(self.seed_key, u64::from(node))
    }

    /// The nominal latency of plugin `p` on `node` (time scale applied).
    pub(crate) fn latency(&self, node: u32, p: usize) -> Duration {
        let Some((mu, sigma)) = self.lognormal else {
            return Duration::ZERO;
        };
        let kind = self.kind_code(node);
        let Some(spec) = kinds::specs(kind).get(p) else {
            return Duration::ZERO;
        };
        if !spec.io || !kinds::active(kind, p, node) {
            return Duration::ZERO;
        }
        let mut draws = Draws::of_node(self.node_key(node), plugin_key(kind, p), Salt::Latency);
        let z = draws.normal().clamp(-8.0, 8.0);
        let secs = (mu + sigma * z).exp() * self.config.time_scale;
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
    }

    /// What the draws of plugin `p` on `node` share.
    #[inline]
    pub(crate) fn call_key(&self, node: u32, p: usize) -> CallKey {
        let kind = self.kind_code(node);
        CallKey {
            node,
            p,
            kind,
            active: kinds::active(kind, p, node),
            draws: self.node_key(node).plugin(plugin_key(kind, p)),
        }
    }

    /// Whether the call of `call` may wait: whether its [`latency`](Self::latency) is
    /// drawn (it may still round to zero).
    #[inline]
    pub(crate) fn may_wait(&self, call: &CallKey) -> bool {
        self.lognormal.is_some()
            && call.active
            && kinds::specs(call.kind)
                .get(call.p)
                .is_some_and(|spec| spec.io)
    }

    /// Whether plugin `p` on `node` succeeds, fails or panics, without the error.
    #[inline]
    pub(crate) fn verdict_class(&self, node: u32, p: usize) -> Class {
        self.class_of(&self.call_key(node, p))
    }

    /// [`verdict_class`](Self::verdict_class) of `call`.
    #[inline]
    fn class_of(&self, call: &CallKey) -> Class {
        if !call.active {
            return Class::Ok;
        }
        let u = Draws::of_plugin(call.draws, Salt::Outcome).unit();
        if u < self.config.panic_prob {
            Class::Panicked
        } else if u >= self.config.panic_prob + self.config.failure_prob {
            Class::Ok
        } else {
            Class::Failed
        }
    }

    /// Whether plugin `p` on `node` succeeds, fails or panics.
    pub(crate) fn verdict(&self, node: u32, p: usize) -> Verdict {
        self.verdict_of(&self.call_key(node, p))
    }

    /// [`verdict`](Self::verdict) of `call`.
    #[inline]
    pub(crate) fn verdict_of(&self, call: &CallKey) -> Verdict {
        match self.class_of(call) {
            Class::Ok => return Verdict::Ok,
            Class::Panicked => return Verdict::Panicked,
            Class::Failed => {}
        }
        let mut draws = Draws::of_plugin(call.draws, Salt::ErrorKind);
        let name = kinds::specs(call.kind)[call.p].name;
        let (kind, message) = match draws.below(20) {
            0..=5 => (PluginErrorKind::Http(403), "forbidden"),
            6..=10 => (PluginErrorKind::RateLimited, "http 429: too many requests"),
            11..=13 => (PluginErrorKind::Timeout, "no answer within 30 s"),
            14..=16 => (PluginErrorKind::Network, "connection reset"),
            17 => (PluginErrorKind::Http(500), "internal server error"),
            _ => (PluginErrorKind::Http(503), "service unavailable"),
        };
        // Pieced together, not through `format!`: one call in twenty fails.
        let mut text = String::with_capacity(name.len() + 2 + message.len());
        text.push_str(name);
        text.push_str(": ");
        text.push_str(message);
        Verdict::Failed(PluginError::new(kind, text))
    }

    /// The traces plugin `p` returns for `node` when it succeeds: its tree children
    /// tagged `p`, then extra edges to existing nodes of kinds the plugin emits.
    pub(crate) fn children(&self, node: u32, p: usize, out: &mut Vec<u32>) {
        self.each_child(node, p, |child| out.push(child));
    }

    /// Calls `found` with each trace plugin `p` returns for `node` when it succeeds,
    /// in the order of [`children`](Self::children).
    #[inline]
    pub(crate) fn each_child(&self, node: u32, p: usize, found: impl FnMut(u32)) {
        self.each_child_of(&self.call_key(node, p), found);
    }

    /// [`each_child`](Self::each_child) of `call`.
    #[inline]
    pub(crate) fn each_child_of(&self, call: &CallKey, mut found: impl FnMut(u32)) {
        if !call.active {
            return;
        }
        let CallKey {
            node,
            p,
            kind,
            draws,
            ..
        } = *call;
        let start = self.first_child[node as usize];
        let end = self.first_child[node as usize + 1];
        for child in start..end {
            if usize::from(self.tags[child as usize] >> PLUGIN_SHIFT) == p {
                found(child);
            }
        }
        let spec = &kinds::specs(kind)[p];
        let extra = Draws::of_plugin(draws, Salt::Extra).draw(self.extra, MAX_EXTRA_PER_CALL);
        let mut targets = Draws::of_plugin(draws, Salt::ExtraTarget);
        for _ in 0..extra {
            // Every attempt's target is drawn first and their kinds read together: the
            // reads (of random nodes, rarely in cache) overlap instead of waiting on
            // one another. The draws used are those of one attempt after the other.
            let mut ahead = targets.clone();
            let candidates: [u32; EXTRA_ATTEMPTS] =
                std::array::from_fn(|_| ahead.below(u64::from(self.len())) as u32);
            let kinds = candidates.map(|target| self.kind_code(target));
            let hit = (0..EXTRA_ATTEMPTS)
                .find(|&a| candidates[a] != node && spec.emits.iter().any(|&(k, _)| k == kinds[a]));
            match hit {
                Some(a) => {
                    found(candidates[a]);
                    targets.skip(a as u64 + 1);
                }
                None => targets.skip(EXTRA_ATTEMPTS as u64),
            }
        }
    }

    /// Bytes used by the per-node arrays.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.first_child.capacity() * 4 + self.tags.capacity()
    }
}

/// A key naming plugin `p` of kind code `kind` in hashes.
fn plugin_key(kind: u8, p: usize) -> u64 {
    (u64::from(kind) << 8) | p as u64
}

fn pick_kind(spec: &Spec, draws: &mut Draws) -> u8 {
    let total: u32 = spec.emits.iter().map(|&(_, w)| w).sum();
    let mut x = draws.below(u64::from(total)) as u32;
    for &(kind, weight) in spec.emits {
        if x < weight {
            return kind;
        }
        x -= weight;
    }
    spec.emits[spec.emits.len() - 1].0
}
