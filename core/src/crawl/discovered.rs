//! The in-memory seen set, which is also the discovery graph of the report: every
//! value in one arena, a few bytes of bookkeeping per trace.
//!
//! Per trace it keeps the value's bytes in one `String` (no allocation of its own),
//! the start of the value in it (4 bytes), its parent (4 bytes), 32 bits of its hash
//! (4 bytes), and one byte each for its kind, the plugin that found it and its depth
//! (a value past what a byte holds goes to a side table), plus a slot of the hash
//! table indexing it (4 bytes and a control byte, at a load of 44 to 88 %).
//!
//! The table is `hashbrown`'s, whose probe reads a control byte and then a slot far
//! from it. A table of one word per slot (the id and the 32 bits of hash, eight to a
//! cache line, grown in place from the values hashed again) reads one line per probe
//! and holds about as many bytes, yet on the simulated crawl of 1,000,000 traces it
//! was no faster: the wall per call was 1.03 times this one's (median of 30
//! alternating pairs). The two reads of a `hashbrown` probe overlap, so the one line
//! left costs what the two did, and hashing the values again at each growth costs
//! more than keeping their hashes.

use std::fmt;
use std::hash::{BuildHasher, Hasher};

use hashbrown::hash_table::Entry;
use hashbrown::{HashMap, HashTable};

use super::store::{Insert, SeenSet, TraceId};
use crate::trace::{Trace, TraceKind, TraceRef};

/// No parent, no plugin.
const NONE: u32 = u32::MAX;

type FastState = foldhash::fast::RandomState;

/// Small numbers, one byte each; a number past 254 goes to a side table.
#[derive(Clone, Default)]
struct Bytes {
    small: Vec<u8>,
    large: HashMap<u32, u32, FastState>,
}

impl Bytes {
    const LARGE: u8 = u8::MAX;

    #[inline]
    fn push(&mut self, value: u32) {
        match u8::try_from(value) {
            Ok(byte) if byte != Self::LARGE => self.small.push(byte),
            _ => self.push_large(value),
        }
    }

    /// [`push`](Self::push) of a number past a byte: out of line, so that the usual
    /// push (a byte) is inlined where it is made.
    #[cold]
    #[inline(never)]
    fn push_large(&mut self, value: u32) {
        self.large.insert(self.small.len() as u32, value);
        self.small.push(Self::LARGE);
    }

    #[inline]
    fn get(&self, index: usize) -> u32 {
        match self.small[index] {
            Self::LARGE => self.get_large(index),
            byte => u32::from(byte),
        }
    }

    /// [`get`](Self::get) of a number past a byte, out of line.
    #[cold]
    #[inline(never)]
    fn get_large(&self, index: usize) -> u32 {
        self.large[&(index as u32)]
    }

    fn heap_bytes(&self) -> usize {
        self.small.capacity() + self.large.capacity() * 9
    }
}

/// Every trace a crawl recorded, seeds first, in discovery order: the discovery graph,
/// and the crawl's seen set ([`SeenSet`]).
///
/// The values live in one arena; read them through [`get`](Self::get) and
/// [`iter`](Self::iter), which borrow them as [`TraceRef`]s. A trace is identified by
/// its index in discovery order.
///
/// # Examples
///
/// ```
/// use tracepool::crawl::{Discovered, SeenSet, Insert};
/// use tracepool::trace::{Trace, TraceKind};
///
/// let mut graph = Discovered::new();
/// let seed = Trace::new(TraceKind::Domain, "example.org");
/// let Insert::New(root) = graph.insert_if_absent(&seed, None) else { unreachable!() };
/// let found = Trace::new(TraceKind::Email, "alice@example.org");
/// assert!(matches!(graph.insert_if_absent(&found, Some((root, 3))), Insert::New(_)));
/// assert_eq!(graph.insert_if_absent(&found, Some((root, 3))), Insert::Present);
///
/// let last = graph.get(1).unwrap();
/// assert_eq!(last.trace, found);
/// assert_eq!((last.parent, last.plugin, last.depth), (Some(0), Some(3), 1));
/// assert_eq!(graph.position(&seed), Some(0));
/// assert_eq!(graph.iter().count(), 2);
/// ```
#[derive(Clone)]
pub struct Discovered {
    /// Every value, one after the other.
    values: String,
    /// Where each value starts in `values`, modulo 2^32.
    starts: Vec<u32>,
    /// The indices at which a value starts past one more multiple of 2^32 bytes.
    wraps: Vec<u32>,
    /// Kind per trace, as an index in `kinds`.
    kind_ids: Bytes,
    /// The kinds seen: the known ones at their index in [`TraceKind::KNOWN`], then
    /// the others in order of appearance.
    kinds: Vec<TraceKind>,
    /// Index in `kinds` of the kinds outside [`TraceKind::KNOWN`], by name.
    other_kinds: HashMap<String, u32, FastState>,
    /// Index of each trace's parent; `NONE` for a seed.
    parents: Vec<u32>,
    /// The plugin that found each trace, plus one (0 for a seed).
    plugins: Bytes,
    depths: Bytes,
    /// 32 bits of each trace's hash: the table grows from them, without reading the
    /// traces again.
    hashes: Vec<u32>,
    index: HashTable<u32>,
    hasher: FastState,
}

impl Default for Discovered {
    fn default() -> Self {
        Discovered {
            values: String::new(),
            starts: Vec::new(),
            wraps: Vec::new(),
            kind_ids: Bytes::default(),
            kinds: TraceKind::KNOWN.to_vec(),
            other_kinds: HashMap::default(),
            parents: Vec::new(),
            plugins: Bytes::default(),
            depths: Bytes::default(),
            hashes: Vec::new(),
            index: HashTable::new(),
            hasher: FastState::default(),
        }
    }
}

/// One recorded trace and where it came from: a node of the discovery graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discovery<'a> {
    /// The trace.
    pub trace: TraceRef<'a>,
    /// Index (in [`CrawlReport::discovered`](super::CrawlReport::discovered)) of the
    /// trace it was found from; `None` for a seed.
    pub parent: Option<usize>,
    /// Index (in [`CrawlReport::plugin_names`](super::CrawlReport::plugin_names)) of
    /// the plugin that found it; `None` for a seed.
    pub plugin: Option<usize>,
    /// Seeds are at depth 0.
    pub depth: u32,
}

impl Discovered {
    /// An empty graph.
    pub fn new() -> Self {
        Discovered::default()
    }

    /// The number of traces recorded.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether no trace is recorded.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The trace at `index` (in discovery order) and where it came from.
    pub fn get(&self, index: usize) -> Option<Discovery<'_>> {
        (index < self.len()).then(|| self.discovery(index))
    }

    /// Every recorded trace, in discovery order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            graph: self,
            next: 0,
        }
    }

    /// Every recorded trace, in discovery order, without where it came from.
    pub fn traces(&self) -> impl ExactSizeIterator<Item = TraceRef<'_>> + '_ {
        (0..self.len()).map(|i| self.trace_ref(i))
    }

    /// The index of `trace`, if it is recorded.
    pub fn position(&self, trace: &Trace) -> Option<usize> {
        let kind = self.find_kind(trace.kind())?;
        let hash = self.hash(kind, trace.value());
        self.find(hash, kind, trace.value()).map(|i| i as usize)
    }

    /// Bytes of heap in use (capacity included), the hash table's included.
    pub fn heap_bytes(&self) -> usize {
        self.values.capacity()
            + self.starts.capacity() * 4
            + self.wraps.capacity() * 4
            + self.kind_ids.heap_bytes()
            + self.parents.capacity() * 4
            + self.plugins.heap_bytes()
            + self.depths.heap_bytes()
            + self.hashes.capacity() * 4
            + self.index.capacity() * 5
    }

    fn discovery(&self, index: usize) -> Discovery<'_> {
        let parent = self.parents[index];
        let plugin = self.plugins.get(index);
        Discovery {
            trace: self.trace_ref(index),
            parent: (parent != NONE).then_some(parent as usize),
            plugin: plugin.checked_sub(1).map(|p| p as usize),
            depth: self.depths.get(index),
        }
    }

    /// The values and their kinds, borrowed apart from the rest.
    #[inline]
    fn arena(&self) -> Arena<'_> {
        Arena {
            values: &self.values,
            starts: &self.starts,
            wraps: &self.wraps,
            kind_ids: &self.kind_ids,
        }
    }

    #[inline]
    fn value(&self, index: usize) -> &str {
        self.arena().value(index)
    }

    #[inline]
    fn trace_ref(&self, index: usize) -> TraceRef<'_> {
        let kind = &self.kinds[self.kind_ids.get(index) as usize];
        TraceRef::new(kind, self.value(index))
    }

    /// The index of `kind` in `kinds`, if it was seen.
    #[inline]
    fn find_kind(&self, kind: &TraceKind) -> Option<u32> {
        match (kind.known_index(), kind) {
            (Some(known), _) => Some(known as u32),
            (None, other) => self.other_kinds.get(other.as_str()).copied(),
        }
    }

    /// The index of `kind` in `kinds`, added if new.
    fn intern_kind(&mut self, kind: &TraceKind) -> u32 {
        if let Some(id) = self.find_kind(kind) {
            return id;
        }
        let id = self.kinds.len() as u32;
        self.kinds.push(kind.clone());
        self.other_kinds.insert(kind.as_str().to_owned(), id);
        id
    }

    #[inline]
    fn hash(&self, kind: u32, value: &str) -> u32 {
        hash_with(&self.hasher, kind, value)
    }

    #[inline]
    fn find(&self, hash: u32, kind: u32, value: &str) -> Option<u32> {
        let arena = self.arena();
        self.index
            .find(table_hash(hash), |&i| {
                let i = i as usize;
                arena.kind_ids.get(i) == kind && arena.value(i) == value
            })
            .copied()
    }

    /// Replaces the full hash table by one twice its size, filled in discovery order.
    ///
    /// The table is built anew from the stored hashes, read from start to end, rather
    /// than grown in place: growing in place rehashes the entries in the table's own
    /// (random) order, each a read of a hash far from the last. No trace is read. The
    /// old table goes first, so the two are never held at once.
    #[cold]
    fn regrow(&mut self) {
        let wanted = self.index.capacity() + 1;
        self.index = HashTable::new();
        let mut table = HashTable::with_capacity(wanted);
        let hashes = &self.hashes;
        for (i, &hash) in hashes.iter().enumerate() {
            // `with_capacity` made room for every trace: the hasher is not called.
            table.insert_unique(table_hash(hash), i as u32, |&i| {
                table_hash(hashes[i as usize])
            });
        }
        self.index = table;
    }
}

/// The values of a [`Discovered`] and their kinds, borrowed apart from its table.
#[derive(Clone, Copy)]
struct Arena<'a> {
    values: &'a str,
    starts: &'a [u32],
    wraps: &'a [u32],
    kind_ids: &'a Bytes,
}

impl<'a> Arena<'a> {
    #[inline]
    fn start(self, index: usize) -> usize {
        let wraps = self.wraps.partition_point(|&w| w as usize <= index) as u64;
        ((wraps << 32) | u64::from(self.starts[index])) as usize
    }

    #[inline]
    fn value(self, index: usize) -> &'a str {
        let start = self.start(index);
        let end = if index + 1 < self.starts.len() {
            self.start(index + 1)
        } else {
            self.values.len()
        };
        &self.values[start..end]
    }
}

/// 32 bits of the hash of a trace of kind `kind` (an index in `kinds`) and `value`.
#[inline]
fn hash_with(state: &FastState, kind: u32, value: &str) -> u32 {
    let mut hasher = state.build_hasher();
    hasher.write_u32(kind);
    hasher.write(value.as_bytes());
    (hasher.finish() >> 32) as u32
}

/// The hash the table uses for a stored hash: spread over 64 bits (the table picks a
/// bucket with the low bits and tags it with the top ones).
#[inline]
fn table_hash(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl SeenSet for Discovered {
    fn insert_if_absent(&mut self, trace: &Trace, origin: Option<(TraceId, usize)>) -> Insert {
        let kind = self.intern_kind(trace.kind());
        let value = trace.value();
        let hash = self.hash(kind, value);
        let index = self.len();
        // Ids are `u32`, one of them reserved: the set holds `u32::MAX` traces.
        let id = u32::try_from(index).ok().filter(|&id| id != NONE);
        if id.is_some() && self.index.len() == self.index.capacity() {
            self.regrow();
        }
        let Discovered {
            index: table,
            hashes,
            values,
            starts,
            wraps,
            kind_ids,
            ..
        } = self;
        let arena = Arena {
            values,
            starts,
            wraps,
            kind_ids,
        };
        // One probe finds the trace or the slot for it. The table has room (see
        // `regrow`): the hasher, for a table that would grow, is never called.
        let slot = match table.entry(
            table_hash(hash),
            |&i| {
                let i = i as usize;
                arena.kind_ids.get(i) == kind && arena.value(i) == value
            },
            |&i| table_hash(hashes[i as usize]),
        ) {
            Entry::Occupied(_) => return Insert::Present,
            Entry::Vacant(slot) => slot,
        };
        let Some(id) = id else {
            return Insert::Full;
        };
        slot.insert(id);
        // Offsets in 64 bits, also where `usize` has 32.
        let start = self.values.len() as u64;
        let wraps = (start >> 32) as usize;
        if wraps > self.wraps.len() {
            self.wraps.resize(wraps, id);
        }
        self.values.push_str(value);
        self.starts.push(start as u32);
        self.hashes.push(hash);
        self.kind_ids.push(kind);
        let (parent, plugin, depth) = match origin {
            Some((parent, plugin)) => (
                parent.0,
                u32::try_from(plugin).map_or(NONE, |p| p.saturating_add(1)),
                self.depths.get(parent.index()).saturating_add(1),
            ),
            None => (NONE, 0, 0),
        };
        self.parents.push(parent);
        self.plugins.push(plugin);
        self.depths.push(depth);
        Insert::New(TraceId(id))
    }

    fn contains(&self, trace: &Trace) -> bool {
        self.position(trace).is_some()
    }

    fn len(&self) -> usize {
        Discovered::len(self)
    }

    fn trace(&self, id: TraceId) -> Trace {
        self.trace_ref(id.index()).to_trace()
    }

    fn trace_into(&self, id: TraceId, into: &mut Trace) {
        into.assign(self.trace_ref(id.index()));
    }

    fn depth(&self, id: TraceId) -> u32 {
        self.depths.get(id.index())
    }
}

impl PartialEq for Discovered {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Discovered {}

impl fmt::Debug for Discovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        let mut list = f.debug_list();
        list.entries(self.iter().take(SHOWN));
        if self.len() > SHOWN {
            list.entry(&format_args!("... {} more", self.len() - SHOWN));
        }
        list.finish()
    }
}

/// The traces of a [`Discovered`] graph in discovery order: see [`Discovered::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    graph: &'a Discovered,
    next: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Discovery<'a>;

    fn next(&mut self) -> Option<Discovery<'a>> {
        let found = self.graph.get(self.next)?;
        self.next += 1;
        Some(found)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.graph.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Discovered {
    type Item = Discovery<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_written_into_another_is_the_recorded_trace() {
        let mut graph = Discovered::new();
        let traces = [
            Trace::new(TraceKind::Url, "https://www.example-1.org/about"),
            Trace::new(TraceKind::Other("badge".into()), "b"),
            Trace::new(TraceKind::Asn, "AS7"),
        ];
        for trace in &traces {
            graph.insert_if_absent(trace, None);
        }
        let mut into = Trace::new(TraceKind::Email, "a value longer than the others, kept");
        // Longer, shorter, another kind's: each overwrite is the recorded trace.
        for id in [0, 2, 1, 0] {
            graph.trace_into(TraceId(id), &mut into);
            assert_eq!(into, traces[id as usize]);
            assert_eq!(into, graph.trace(TraceId(id)));
        }
    }

    #[test]
    fn numbers_past_a_byte_go_to_the_side_table() {
        let mut bytes = Bytes::default();
        for value in [0, 1, 254, 255, 256, 70_000, u32::MAX, 3] {
            bytes.push(value);
        }
        let read: Vec<u32> = (0..8).map(|i| bytes.get(i)).collect();
        assert_eq!(read, [0, 1, 254, 255, 256, 70_000, u32::MAX, 3]);
        assert_eq!(bytes.large.len(), 4);
    }

    #[test]
    fn kinds_outside_the_known_list_are_interned_by_name() {
        let mut graph = Discovered::new();
        let custom = |name: &str, value: &str| Trace::new(TraceKind::Other(name.into()), value);
        for trace in [
            custom("ticket", "1"),
            custom("badge", "1"),
            Trace::new(TraceKind::Username, "1"),
            custom("ticket", "2"),
        ] {
            assert!(matches!(
                graph.insert_if_absent(&trace, None),
                Insert::New(_)
            ));
        }
        assert_eq!(
            graph.insert_if_absent(&custom("badge", "1"), None),
            Insert::Present
        );
        assert_eq!(graph.kinds.len(), TraceKind::KNOWN.len() + 2);
        assert_eq!(graph.position(&custom("ticket", "2")), Some(3));
        assert_eq!(graph.position(&custom("nobody", "1")), None);
        assert_eq!(graph.get(1).unwrap().trace, custom("badge", "1"));
    }

    #[test]
    fn values_keep_their_bounds_and_the_table_survives_growth() {
        let mut graph = Discovered::new();
        let traces: Vec<Trace> = (0..5_000)
            .map(|i| Trace::new(TraceKind::Name, "x".repeat(i % 7) + &i.to_string()))
            .collect();
        for (i, trace) in traces.iter().enumerate() {
            let origin = (i > 0).then_some((TraceId((i / 2) as u32), i % 300));
            assert_eq!(
                graph.insert_if_absent(trace, origin),
                Insert::New(TraceId(i as u32))
            );
        }
        // Empty values are values too.
        assert!(matches!(
            graph.insert_if_absent(&Trace::new(TraceKind::Name, ""), None),
            Insert::New(_)
        ));
        for (i, trace) in traces.iter().enumerate() {
            assert_eq!(graph.position(trace), Some(i));
            let found = graph.get(i).unwrap();
            assert_eq!(found.trace, *trace);
            if i > 0 {
                assert_eq!(found.parent, Some(i / 2));
                assert_eq!(found.plugin, Some(i % 300));
                let parent = graph.get(i / 2).unwrap();
                assert_eq!(found.depth, parent.depth + 1);
            }
        }
        assert_eq!(graph.get(5_000).unwrap().trace.value(), "");
        assert_eq!(graph.get(5_001), None);
    }
}
