//! The heap a shard keeps its deadlines in: a min-heap with four children per node,
//! of entries ordered by one integer comparison.
//!
//! Against `std`'s binary heap of `(Instant, u64)` keys, a pop walks half as many
//! levels, the four children it compares sit in one or two cache lines and are
//! compared without branches, and each comparison is one of two integers (the deadline
//! in nanoseconds since the shard's origin, then the registration's sequence number).
//! The flat workload's sleeps pop and push one entry each among thousands.

/// One entry: a registration (`slot`, `seq`) due `at` nanoseconds after the shard's
/// origin. Entries are ordered by `at`, then by `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) at: u64,
    pub(super) seq: u64,
    pub(super) slot: u32,
}

impl Entry {
    /// The entry's rank: lower is nearer.
    #[inline]
    fn rank(&self) -> u128 {
        (u128::from(self.at) << 64) | u128::from(self.seq)
    }
}

/// A min-heap of [`Entry`]s, four children per node: the nearest entry on top.
#[derive(Debug, Default)]
pub(super) struct QuadHeap {
    items: Vec<Entry>,
}

/// Children per node.
const ARITY: usize = 4;

impl QuadHeap {
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The nearest entry.
    #[inline]
    pub(super) fn peek(&self) -> Option<&Entry> {
        self.items.first()
    }

    pub(super) fn push(&mut self, entry: Entry) {
        let rank = entry.rank();
        let mut i = self.items.len();
        self.items.push(entry);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.items[parent].rank() <= rank {
                break;
            }
            self.items[i] = self.items[parent];
            i = parent;
        }
        self.items[i] = entry;
    }

    /// Removes the nearest entry.
    pub(super) fn pop(&mut self) -> Option<Entry> {
        let last = self.items.pop()?;
        let Some(&top) = self.items.first() else {
            return Some(last);
        };
        self.sift_down(0, last);
        Some(top)
    }

    /// Keeps only the entries `keep` accepts.
    pub(super) fn retain(&mut self, keep: impl FnMut(&Entry) -> bool) {
        self.items.retain(keep);
        // Bottom-up: every parent, last first.
        for i in (0..self.items.len().div_ceil(ARITY)).rev() {
            self.sift_down(i, self.items[i]);
        }
    }

    /// Puts `entry` at `i` (whose children are heaps) and moves it down to its place.
    #[inline]
    fn sift_down(&mut self, mut i: usize, entry: Entry) {
        let rank = entry.rank();
        let n = self.items.len();
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let end = n.min(first + ARITY);
            let mut child = first;
            let mut child_rank = self.items[first].rank();
            if end - first == ARITY {
                // The four children's minimum by pairs, in selects rather than
                // branches: which child is nearest is a coin toss that a branch
                // predictor loses.
                let r1 = self.items[first + 1].rank();
                let r2 = self.items[first + 2].rank();
                let r3 = self.items[first + 3].rank();
                let (a, ra) = if r1 < child_rank {
                    (first + 1, r1)
                } else {
                    (first, child_rank)
                };
                let (b, rb) = if r3 < r2 {
                    (first + 3, r3)
                } else {
                    (first + 2, r2)
                };
                (child, child_rank) = if rb < ra { (b, rb) } else { (a, ra) };
            } else {
                for c in first + 1..end {
                    let r = self.items[c].rank();
                    if r < child_rank {
                        child = c;
                        child_rank = r;
                    }
                }
            }
            if rank <= child_rank {
                break;
            }
            self.items[i] = self.items[child];
            i = child;
        }
        self.items[i] = entry;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    fn entry(at: u64, seq: u64) -> Entry {
        Entry {
            at,
            seq,
            slot: (seq % 7) as u32,
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(u64),
        Pop,
        /// Drop the entries whose `seq` is a multiple of this.
        Retain(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u64..50).prop_map(Op::Push),
            4 => Just(Op::Pop),
            1 => (2u64..5).prop_map(Op::Retain),
        ]
    }

    proptest! {
        /// Against `std`'s binary heap: the same entries come out in the same order,
        /// deadline first, then registration (few distinct deadlines: many ties).
        #[test]
        fn pops_in_deadline_then_registration_order(ops in prop::collection::vec(op(), 0..400)) {
            let mut heap = QuadHeap::default();
            let mut model = BinaryHeap::new();
            let mut seq = 0;
            for op in ops {
                match op {
                    Op::Push(at) => {
                        heap.push(entry(at, seq));
                        model.push(Reverse((at, seq)));
                        seq += 1;
                    }
                    Op::Pop => {
                        let got = heap.pop().map(|e| (e.at, e.seq, e.slot));
                        let want = model.pop().map(|Reverse((at, s))| (at, s, (s % 7) as u32));
                        prop_assert_eq!(got, want);
                    }
                    Op::Retain(m) => {
                        heap.retain(|e| e.seq % m != 0);
                        model.retain(|Reverse((_, s))| s % m != 0);
                    }
                }
                prop_assert_eq!(heap.len(), model.len());
                prop_assert_eq!(heap.peek().map(|e| (e.at, e.seq)), model.peek().map(|r| r.0));
            }
            while let Some(Reverse((at, s))) = model.pop() {
                prop_assert_eq!(heap.pop().map(|e| (e.at, e.seq)), Some((at, s)));
            }
            prop_assert!(heap.is_empty());
            prop_assert_eq!(heap.pop(), None);
        }
    }

    #[test]
    fn extreme_deadlines_keep_their_order() {
        let mut heap = QuadHeap::default();
        for (seq, at) in [u64::MAX, 0, u64::MAX, 1, 0].into_iter().enumerate() {
            heap.push(entry(at, seq as u64));
        }
        let order: Vec<_> = std::iter::from_fn(|| heap.pop().map(|e| (e.at, e.seq))).collect();
        assert_eq!(
            order,
            [(0, 1), (0, 4), (1, 3), (u64::MAX, 0), (u64::MAX, 2)]
        );
    }
}
