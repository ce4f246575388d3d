//! Fixed hashing and the distributions drawn from it.
//!
//! Every random quantity of the simulation is a pure function of a key (seed, node,
//! plugin, purpose), so it can be recomputed anywhere in any order. The mixer is the
//! SplitMix64 finaliser, fixed forever: never std's `RandomState`.

/// Mixes 64 bits into 64 well-distributed bits (SplitMix64 finaliser).
#[inline]
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The hash of an empty key, where every key's hash starts.
const EMPTY_KEY: u64 = 0x243F_6A88_85A3_08D3;

/// A hash of a key made of several words.
pub(crate) fn hash(words: &[u64]) -> u64 {
    words.iter().fold(EMPTY_KEY, |h, &w| mix(h ^ w))
}

/// The hash of the start of a key, `[seed, node]`, shared by every draw about one node
/// (its plugins' outcomes, children, latencies): hashed once for all of them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeKey(u64);

impl NodeKey {
    /// The start of the keys of `node`'s draws under the seed hashed by
    /// [`seed_key`].
    #[inline]
    pub(crate) fn new(seed_key: u64, node: u64) -> Self {
        NodeKey(mix(seed_key ^ node))
    }

    /// The start of the keys of the draws about plugin `plugin` on this node.
    #[inline]
    pub(crate) fn plugin(self, plugin: u64) -> PluginKey {
        PluginKey(mix(self.0 ^ plugin))
    }
}

/// The hash of the start of a key, `[seed, node, plugin]`, shared by every draw about
/// one call (its outcome, its error, its extra edges): hashed once for all of them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PluginKey(u64);

/// The hash of `[seed]`, the start of every key of a seed's draws.
pub(crate) fn seed_key(seed: u64) -> u64 {
    hash(&[seed])
}

/// The purpose of a draw, so that draws for one (node, plugin) are independent.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Salt {
    Count = 1,
    ChildKind = 2,
    Latency = 3,
    Outcome = 4,
    ErrorKind = 5,
    Extra = 6,
    ExtraTarget = 7,
    Flat = 8,
}

/// `mix(counter)` for the first counters, computed at compile time: most draw
/// sequences (a call's outcome, its extra edges) use only these.
const MIXED_COUNTERS: [u64; 16] = {
    let mut mixed = [0; 16];
    let mut counter = 0;
    while counter < mixed.len() {
        mixed[counter] = mix(counter as u64);
        counter += 1;
    }
    mixed
};

/// A small generator over one key: successive draws hash an increasing counter.
#[derive(Debug, Clone)]
pub(crate) struct Draws {
    key: u64,
    counter: u64,
}

impl Draws {
    pub(crate) fn new(seed: u64, node: u64, plugin: u64, salt: Salt) -> Self {
        Draws {
            key: hash(&[seed, node, plugin, salt as u64]),
            counter: 0,
        }
    }

    /// The draws [`new`](Self::new) makes for `[seed, node, plugin, salt]`, with the
    /// hash of `[seed, node]` made already.
    #[inline]
    pub(crate) fn of_node(node: NodeKey, plugin: u64, salt: Salt) -> Self {
        Draws::of_plugin(node.plugin(plugin), salt)
    }

    /// The draws [`new`](Self::new) makes for `[seed, node, plugin, salt]`, with the
    /// hash of `[seed, node, plugin]` made already.
    #[inline]
    pub(crate) fn of_plugin(plugin: PluginKey, salt: Salt) -> Self {
        Draws {
            key: mix(plugin.0 ^ salt as u64),
            counter: 0,
        }
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        let mixed = usize::try_from(self.counter)
            .ok()
            .and_then(|counter| MIXED_COUNTERS.get(counter));
        let mixed = match mixed {
            Some(&mixed) => mixed,
            None => mix(self.counter),
        };
        mix(self.key ^ mixed)
    }

    /// Skips `n` draws: the next draw is the one after them.
    pub(crate) fn skip(&mut self, n: u64) {
        self.counter += n;
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// Uniform in (0, 1], safe for `ln`.
    pub(crate) fn unit_open(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// Uniform in [0, n) (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A standard normal draw (Box-Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let r = (-2.0 * self.unit_open().ln()).sqrt();
        r * (std::f64::consts::TAU * self.unit()).cos()
    }

    /// A geometric count on {0, 1, 2, ...} with the given mean, capped at `cap`.
    pub(crate) fn geometric(&mut self, mean: f64, cap: u64) -> u64 {
        self.draw(Geometric::new(mean), cap)
    }

    /// A count of the geometric distribution `of`, capped at `cap`: what
    /// [`geometric`](Self::geometric) draws for its mean.
    pub(crate) fn draw(&mut self, of: Geometric, cap: u64) -> u64 {
        let Some(ln_q) = of.ln_q else {
            return 0;
        };
        let u = self.unit_open();
        if u > of.zero_above {
            // `ln(u) / ln(q)` is below 1: the count is 0, known without the logarithm.
            return 0;
        }
        let k = (u.ln() / ln_q).floor();
        if k.is_finite() && k >= 0.0 {
            (k as u64).min(cap)
        } else {
            cap
        }
    }
}

/// A geometric distribution on {0, 1, 2, ...} of a given mean, with the logarithm
/// every draw divides by computed once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometric {
    /// `ln(q)` with `q = mean / (1 + mean)`; `None` for a mean of zero (or less).
    ln_q: Option<f64>,
    /// A uniform draw above this bound makes a count of 0 (`ln(u) / ln(q) < 1`):
    /// `q` with a relative margin far wider than the rounding of `ln` and of the
    /// division, so that the count is the one the logarithm gives. Most draws of a
    /// small mean are above it.
    zero_above: f64,
}

impl Geometric {
    /// The margin of [`zero_above`](Self::zero_above) over `q`.
    const MARGIN: f64 = 1e-9;

    pub(crate) fn new(mean: f64) -> Self {
        let q = mean / (1.0 + mean);
        Geometric {
            ln_q: (mean > 0.0).then(|| q.ln()),
            zero_above: q * (1.0 + Self::MARGIN),
        }
    }
}

/// The top 53 bits of `x` as a float in [0, 1).
pub(crate) fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_mean_is_close() {
        let mut d = Draws::new(1, 2, 3, Salt::Count);
        let n = 100_000;
        let total: u64 = (0..n).map(|_| d.geometric(2.5, u64::MAX)).sum();
        let mean = total as f64 / n as f64;
        assert!((mean - 2.5).abs() < 0.1, "mean {mean}");
    }

    #[test]
    fn draws_of_a_node_key_are_the_draws_of_the_whole_key() {
        for (seed, node, plugin) in [(0, 0, 0), (42, 7, 3), (u64::MAX, 123_456, 1 << 8 | 2)] {
            for salt in [Salt::Outcome, Salt::Extra, Salt::ExtraTarget, Salt::Latency] {
                let mut whole = Draws::new(seed, node, plugin, salt);
                let mut by_node = Draws::of_node(NodeKey::new(seed_key(seed), node), plugin, salt);
                for _ in 0..10 {
                    assert_eq!(whole.next_u64(), by_node.next_u64());
                }
            }
        }
        // Another node, plugin or seed draws otherwise.
        let first = |seed, node, plugin| {
            Draws::of_node(NodeKey::new(seed_key(seed), node), plugin, Salt::Outcome).next_u64()
        };
        assert_ne!(first(42, 7, 3), first(42, 8, 3));
        assert_ne!(first(42, 7, 3), first(42, 7, 4));
        assert_ne!(first(42, 7, 3), first(43, 7, 3));
    }

    #[test]
    fn draws_past_the_mixed_counters_hash_their_counter() {
        let mut draws = Draws::new(11, 22, 33, Salt::Extra);
        let key = draws.key;
        for counter in 1..=(MIXED_COUNTERS.len() as u64 + 8) {
            assert_eq!(
                draws.next_u64(),
                mix(key ^ mix(counter)),
                "counter {counter}"
            );
        }
        draws.skip(1 << 40);
        let counter = draws.counter + 1;
        assert_eq!(draws.next_u64(), mix(key ^ mix(counter)));
    }

    #[test]
    fn skipped_draws_are_the_ones_drawn_in_between() {
        let mut drawn = Draws::new(3, 1, 4, Salt::ExtraTarget);
        let mut skipped = drawn.clone();
        for _ in 0..5 {
            drawn.below(1_000);
        }
        skipped.skip(5);
        assert_eq!(skipped.below(1_000_000), drawn.below(1_000_000));
    }

    #[test]
    fn a_distribution_made_once_draws_what_its_mean_draws() {
        for mean in [0.0, 0.5, 3.0, 100.0] {
            let mut by_mean = Draws::new(9, 2, 6, Salt::Extra);
            let mut by_distribution = by_mean.clone();
            let of = Geometric::new(mean);
            for _ in 0..100 {
                assert_eq!(by_mean.geometric(mean, 64), by_distribution.draw(of, 64));
            }
        }
    }

    /// What [`Draws::draw`] drew before it skipped the logarithm of a count of 0.
    fn draw_by_logarithm(draws: &mut Draws, of: Geometric, cap: u64) -> u64 {
        let Some(ln_q) = of.ln_q else {
            return 0;
        };
        let k = (draws.unit_open().ln() / ln_q).floor();
        if k.is_finite() && k >= 0.0 {
            (k as u64).min(cap)
        } else {
            cap
        }
    }

    #[test]
    fn counts_of_zero_known_without_the_logarithm_are_the_logarithm_s() {
        let mut zeros = 0;
        for mean in [0.0, 1e-6, 0.01, 0.5, 1.0, 3.0, 100.0, 1e6] {
            let of = Geometric::new(mean);
            let mut fast = Draws::new(5, 8, 13, Salt::Extra);
            let mut slow = fast.clone();
            for _ in 0..20_000 {
                let count = fast.draw(of, 64);
                assert_eq!(count, draw_by_logarithm(&mut slow, of, 64), "mean {mean}");
                zeros += usize::from(count == 0);
            }
        }
        assert!(zeros > 20_000, "{zeros} counts of 0");
        // Draws at the bound and either side of it.
        for mean in [0.01, 0.5, 3.0, 100.0] {
            let of = Geometric::new(mean);
            let q = mean / (1.0 + mean);
            for u in [q, of.zero_above, q * (1.0 + 1e-12), q * (1.0 - 1e-12), 1.0] {
                let by_log = (u.ln() / of.ln_q.unwrap()).floor() as u64;
                if u > of.zero_above {
                    assert_eq!(by_log, 0, "mean {mean}, u {u}");
                }
            }
        }
    }

    #[test]
    fn normal_moments_are_close() {
        let mut d = Draws::new(7, 0, 0, Salt::Latency);
        let n = 100_000;
        let xs: Vec<f64> = (0..n).map(|_| d.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var - 1.0).abs() < 0.03, "var {var}");
    }
}
