//! The report layer's sorts: counts, and floats in [`f64::total_cmp`] order, all by one
//! sort of `u64` (each element type and comparator of a sort is its own copy of the
//! sort's code, which the browser bundle pays for).

use std::collections::BinaryHeap;

/// `values` in ascending order. A heapsort (the standard library's binary heap): the
/// report layer sorts a few dozen values at a time, and the standard slice sorts, tuned
/// for large slices, are some 4 KB of WebAssembly each.
pub(crate) fn sorted(values: Vec<u64>) -> Vec<u64> {
    BinaryHeap::from(values).into_sorted_vec()
}

/// The key of `v` whose `u64` order is [`f64::total_cmp`]'s order of the floats: the
/// sign bit flipped for positive floats, every bit flipped for negative ones.
fn key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The float of a [`key`].
fn float(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// Sorts `values` in [`f64::total_cmp`] order. Exactly `values.sort_by(f64::total_cmp)`:
/// floats equal under `total_cmp` have the same bits.
pub(crate) fn sort_floats(values: &mut [f64]) {
    let keys = sorted(values.iter().map(|&v| key(v)).collect());
    for (v, k) in values.iter_mut().zip(keys) {
        *v = float(k);
    }
}

/// Sorts `pairs` by their first float, then by their second, in [`f64::total_cmp`]
/// order. Exactly a sort by `a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1))`: pairs equal
/// under it have the same bits.
pub(crate) fn sort_pairs(pairs: &mut [(f64, f64)]) {
    // Each pair becomes the ranks of its floats among the distinct firsts and seconds,
    // in one `u64`: ranks are below 2^32, as a slice on any target is shorter than that
    // many pairs of 16 bytes.
    let distinct = |of: fn(&(f64, f64)) -> f64| {
        let mut keys = sorted(pairs.iter().map(|p| key(of(p))).collect());
        keys.dedup();
        keys
    };
    let firsts = distinct(|p| p.0);
    let seconds = distinct(|p| p.1);
    let rank = |keys: &[u64], v: f64| keys.partition_point(|&k| k < key(v)) as u64;
    let ranks = sorted(
        pairs
            .iter()
            .map(|&(a, b)| rank(&firsts, a) << 32 | rank(&seconds, b))
            .collect(),
    );
    for (pair, r) in pairs.iter_mut().zip(ranks) {
        *pair = (
            float(firsts[(r >> 32) as usize]),
            float(seconds[(r & 0xffff_ffff) as usize]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Awkward floats: both zeros, both infinities, NaNs of both signs, subnormals,
    /// neighbours.
    fn awkward() -> Vec<f64> {
        vec![
            1.5,
            -0.0,
            f64::NAN,
            0.0,
            f64::INFINITY,
            -f64::NAN,
            -1.5,
            f64::MIN_POSITIVE / 4.0,
            f64::NEG_INFINITY,
            -f64::MIN_POSITIVE / 4.0,
            1.5,
            f64::MAX,
            f64::MIN,
            1.5_f64.next_up(),
            -0.0,
            42.0,
        ]
    }

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn counts_sort_ascending() {
        let values = vec![5, 3, u64::MAX, 0, 3, 9, 1 << 40, 2];
        let mut std = values.clone();
        std.sort_unstable();
        assert_eq!(sorted(values), std);
        assert_eq!(sorted(Vec::new()), Vec::<u64>::new());
    }

    #[test]
    fn keys_order_floats_as_total_cmp_and_read_back() {
        let values = awkward();
        for &a in &values {
            assert_eq!(float(key(a)).to_bits(), a.to_bits());
            for &b in &values {
                assert_eq!(key(a).cmp(&key(b)), a.total_cmp(&b), "{a} against {b}");
            }
        }
    }

    #[test]
    fn floats_sort_as_total_cmp_sorts_them() {
        let mut ours = awkward();
        let mut std = ours.clone();
        sort_floats(&mut ours);
        std.sort_by(f64::total_cmp);
        assert_eq!(bits(&ours), bits(&std));
    }

    #[test]
    fn pairs_sort_by_first_then_second() {
        let values = awkward();
        let mut ours: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .flat_map(|(i, &a)| [(a, values[(i * 7 + 3) % values.len()]), (a, -a), (1.5, a)])
            .collect();
        let mut std = ours.clone();
        sort_pairs(&mut ours);
        std.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let pair_bits = |pairs: &[(f64, f64)]| -> Vec<(u64, u64)> {
            pairs
                .iter()
                .map(|p| (p.0.to_bits(), p.1.to_bits()))
                .collect()
        };
        assert_eq!(pair_bits(&ours), pair_bits(&std));
        sort_pairs(&mut []);
    }
}
