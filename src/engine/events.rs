//! The future-event list: a min-heap ordered by (time, sequence number).
//!
//! The sequence number makes ties deterministic (first scheduled, first processed) and the
//! comparison uses the bit pattern of non-negative finite times, which orders exactly like the
//! numbers and cannot panic (the compiler guarantees finite, non-negative durations).

/// What happens at an event. Small and `Copy`: no allocation per event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next arrival of an arrival stream.
    Arrival { stream: u32 },
    /// A customer finishes its current step (ignored if `token` is stale: preempted).
    Done { slot: u32, token: u32 },
    /// A waiting customer's patience runs out (ignored if `token` is stale).
    Renege { slot: u32, token: u32 },
    /// A resource's staffing changes to the next entry of its schedule.
    Staff { resource: u32 },
    /// A timed batch step releases the cases waiting for it.
    Batch { step: u32 },
    /// The next appointment slot of a booked stream is decided (show or no-show, offset).
    Slot { stream: u32 },
    /// A booked customer (slot `n` of `stream`) arrives.
    Booked { stream: u32, n: u32 },
    /// A customer back from a rework delay redoes its step.
    Rework { slot: u32, token: u32 },
}

/// A scheduled event; `ord` packs (time bits, sequence number) so that one integer
/// comparison orders entries.
#[derive(Clone, Copy, Debug)]
struct Entry {
    ord: u128,
    event: Event,
}

/// The ordering key of an event at time `t` scheduled as number `seq`.
#[inline(always)]
fn key(t: f64, seq: u64) -> u128 {
    // +0.0 normalises -0.0; times are finite and >= 0 so the bits order like the values.
    (u128::from((t + 0.0).to_bits()) << 64) | u128::from(seq)
}

/// Padding after the last event: every node's four children exist in memory.
const PAD: Entry = Entry { ord: u128::MAX, event: Event::Arrival { stream: u32::MAX } };

/// A 4-ary min-heap written for the event loop.
///
/// - It moves entries through a "hole" instead of swapping (the standard library's
///   `BinaryHeap::pop` swaps the root out first, which stalls on store forwarding).
/// - A 4-ary tree has half the levels of a binary one.
/// - The array is padded with entries that sort last, so every node has four children in
///   memory and the smallest child is picked with fixed, branch-free selects. Which child is
///   smallest is a coin toss the branch predictor cannot learn: with branches, sifting down
///   caused about two thirds of all the engine's mispredictions in a model with patience.
/// - The root taken by `pop_heap` stays in place until the event is handled, so that the
///   service end a service end usually schedules replaces it in one pass (`settle`).
///
/// Arrivals do not enter the heap: each stream has exactly one next arrival pending, kept in
/// its own slot beside the heap, and `pop` takes the earlier of the heap's root and the
/// earliest slot. Half the events of a typical model are arrivals, and this spares each of
/// them a sift up and a sift down. The order is unchanged: slots carry the same
/// (time, sequence) key.
///
/// The earliest slot is found by a scan when there are few streams (a branch has a handful:
/// a scan of a few adjacent entries is cheaper than any tree), and through a winner tree
/// above `SCAN_MAX` streams (a region has thousands): each internal node holds the earlier
/// of its two children, so a changed slot costs log2(streams) comparisons on its path to the
/// root instead of a scan over every stream. Both give the same earliest slot, as the keys
/// are unique.
#[derive(Debug)]
pub struct EventList {
    /// `len` events in heap order, then at least 3 `PAD` entries.
    heap: Vec<Entry>,
    len: usize,
    /// The root was handed out by `pop_heap` and is still in place (see `settle`).
    vacant: bool,
    seq: u64,
    /// The pending arrival of each stream (`PAD` when none; one `PAD` slot without streams),
    /// up to `SCAN_MAX` streams; above, the slots are the winner tree's leaves and this is
    /// empty.
    arrivals: Vec<Entry>,
    streams: usize,
    /// Index of the earliest pending arrival and its key (`u128::MAX` when none: the check
    /// for the next event reads it without indexing), and how many are pending.
    first: usize,
    next: u128,
    pending: usize,
    /// The winner tree over the slots (empty up to `SCAN_MAX` streams), as two arrays: the
    /// time (the key's high half, `u64::MAX` for none) and the stream of node `i`. Nodes
    /// 1..P hold the earliest of their subtree, children `2i` and `2i + 1`; node `j` >= P is
    /// the slot of stream `j - P` (P a power of two, the slots past the last stream empty).
    /// A node's full key is its time and its stream's sequence number (`tree_seq`), which
    /// only a tie of times needs: 12 bytes a node instead of a 32-byte entry, every level the
    /// same code, and an arrival writes its stream's key once, into the leaf (with thousands
    /// of streams each write is a cache miss).
    tree: Vec<u64>,
    tree_stream: Vec<u32>,
    /// Per stream, the sequence number of its pending arrival (`u64::MAX` for none).
    tree_seq: Vec<u64>,
}

/// Whether stream `a`'s pending arrival comes before stream `b`'s, at equal times: by their
/// sequence numbers (`tree_update`'s comparison on a tie). Out of line and cold, so that the
/// comparison stays a branch there rather than joining the select chain.
#[cold]
#[inline(never)]
fn tie(seqs: &[u64], a: u32, b: u32) -> bool {
    seqs.get(a as usize) < seqs.get(b as usize)
}

/// Most arrival streams whose earliest pending arrival is found by a scan (see `EventList`).
const SCAN_MAX: usize = 8;

impl EventList {
    /// An empty list for a model with `streams` arrival streams.
    pub fn new(streams: usize) -> Self {
        let mut heap = Vec::with_capacity(68);
        heap.resize(4, PAD);
        // At least one slot, so that `arrival_is_next` needs no length check.
        let (slots, tree, tree_stream, tree_seq) = if streams > SCAN_MAX {
            let p = streams.next_power_of_two();
            (0, vec![u64::MAX; 2 * p], (0..2 * p).map(|j| j.saturating_sub(p) as u32).collect(), vec![u64::MAX; p])
        } else {
            (streams.max(1), Vec::new(), Vec::new(), Vec::new())
        };
        EventList {
            heap,
            len: 0,
            vacant: false,
            seq: 0,
            arrivals: vec![PAD; slots],
            streams,
            first: 0,
            next: u128::MAX,
            pending: 0,
            tree,
            tree_stream,
            tree_seq,
        }
    }

    /// Schedules `event` at time `t` (finite, >= 0). A stream has at most one arrival
    /// pending at a time.
    #[inline(always)]
    pub fn push(&mut self, t: f64, event: Event) {
        let e = Entry { ord: key(t, self.seq), event };
        self.seq += 1;
        if let Event::Arrival { stream } = event
            && (stream as usize) < self.streams
        {
            self.pending += 1;
            if !self.tree.is_empty() {
                debug_assert_eq!(self.leaf_key(stream as usize), u128::MAX, "one pending arrival per stream");
                self.set_leaf(stream as usize, e.ord);
                return;
            }
            let slot = &mut self.arrivals[stream as usize];
            debug_assert_eq!(slot.ord, u128::MAX, "one pending arrival per stream");
            *slot = e;
            if e.ord < self.next {
                self.first = stream as usize;
                self.next = e.ord;
            }
            return;
        }
        if self.vacant {
            // The root's event was just taken: the new one takes its place and sinks.
            self.vacant = false;
            self.sift_down(e, self.len);
            return;
        }
        let mut i = self.len;
        self.len += 1;
        if self.heap.len() < self.len + 3 {
            self.grow();
        }
        while i > 0 {
            let p = (i - 1) / 4;
            if self.heap[p].ord <= e.ord {
                break;
            }
            self.heap[i] = self.heap[p];
            i = p;
        }
        self.heap[i] = e;
    }

    /// Keeps the padding behind the last event (out of line: the push stays small).
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        self.heap.resize(self.len + 3, PAD);
    }

    /// The earliest event, if any. The event loop uses the parts below directly; this is
    /// their composition, for the order tests.
    #[cfg(test)]
    pub fn pop(&mut self) -> Option<(f64, Event)> {
        self.settle();
        if self.arrival_is_next() {
            let (t, stream) = self.take_arrival();
            return Some((t, Event::Arrival { stream }));
        }
        self.pop_heap()
    }

    /// Whether the earliest event is a pending arrival (then `take_arrival` returns it, else
    /// `pop_heap` returns the earliest event). The event loop branches on this once instead
    /// of popping and then matching on the event's kind: in a typical model which of the two
    /// comes next is a coin toss, and one unpredictable branch per event is cheaper than two.
    #[inline(always)]
    pub fn arrival_is_next(&self) -> bool {
        // An empty heap's root is padding and an absent arrival is padding: neither wins.
        self.next < self.heap[0].ord
    }

    /// The earliest pending arrival: its time and stream. Only after `arrival_is_next` said
    /// so; it stays pending until `rearm_arrival`.
    #[inline(always)]
    pub fn peek_arrival(&self) -> (f64, u32) {
        (f64::from_bits((self.next >> 64) as u64), self.first as u32)
    }

    /// Replaces the arrival `peek_arrival` returned by its stream's next one, at `t`, or by
    /// none. One write of the slot instead of a removal and a push: every arrival event ends
    /// this way.
    ///
    /// With many streams (a winner tree), what they read has left the cache since their last
    /// arrival: `warm` is called first (to prefetch what the arrival being handled will read
    /// while the tree is updated), then the record in `records` (the caller's, per stream) of
    /// the stream now earliest is prefetched. With few streams everything is in cache and
    /// neither is done.
    #[inline(always)]
    pub fn rearm_arrival<R>(&mut self, t: Option<f64>, records: &[R], warm: impl FnOnce()) {
        let stream = self.first as u32;
        let single = self.arrivals.len() == 1;
        let Some(slot) = self.arrivals.get_mut(self.first) else {
            // No slots: the winner tree's leaves are the slots.
            warm();
            self.rearm_leaf(t);
            super::prefetch(records.as_ptr().wrapping_add(self.first));
            return;
        };
        match t {
            Some(t) => {
                *slot = Entry { ord: key(t, self.seq), event: Event::Arrival { stream } };
                self.seq += 1;
            }
            None => {
                *slot = PAD;
                self.pending -= 1;
            }
        }
        if single {
            // One stream (the common case): its slot is the earliest.
            self.next = slot.ord;
        } else {
            self.rescan();
        }
    }

    /// `find_first` out of line, so that the one-stream path of `rearm_arrival` stays as
    /// small as it was.
    #[inline(never)]
    fn rescan(&mut self) {
        self.find_first();
    }

    /// `rearm_arrival` with many streams: the leaf and its path to the root of the winner
    /// tree. Out of line, so that the one-stream path stays as small as it was.
    #[inline(never)]
    fn rearm_leaf(&mut self, t: Option<f64>) {
        let ord = match t {
            Some(t) => {
                let k = key(t, self.seq);
                self.seq += 1;
                k
            }
            None => {
                self.pending -= 1;
                u128::MAX
            }
        };
        self.set_leaf(self.first, ord);
    }

    /// Files key `ord` in stream `s`'s leaf (`u128::MAX` for none) and updates its path.
    #[inline(always)]
    fn set_leaf(&mut self, s: usize, ord: u128) {
        let leaf = self.tree.len() / 2 + s;
        if let (Some(t), Some(q)) = (self.tree.get_mut(leaf), self.tree_seq.get_mut(s)) {
            (*t, *q) = ((ord >> 64) as u64, ord as u64);
            self.tree_update(s);
        }
    }

    /// The full key of tree node `i`: its time and its stream's sequence number.
    fn node_key(&self, i: usize) -> u128 {
        (u128::from(self.tree[i]) << 64) | u128::from(self.tree_seq[self.tree_stream[i] as usize])
    }

    /// The key of stream `s`'s pending arrival (`u128::MAX` for none).
    fn leaf_key(&self, s: usize) -> u128 {
        self.node_key(self.tree.len() / 2 + s)
    }

    /// Removes the earliest pending arrival: its time and stream (for the order tests).
    #[cfg(test)]
    fn take_arrival(&mut self) -> (f64, u32) {
        let (t, stream) = self.peek_arrival();
        self.rearm_arrival::<()>(None, &[], || {});
        (t, stream)
    }

    /// Takes the earliest event of the heap (not the arrival slots).
    ///
    /// The root stays where it is, vacant, until the event has been handled: handling a
    /// service end usually schedules the next service end at once (the freed server takes
    /// the next customer), and that event then takes the root's place and sinks, one pass
    /// instead of a removal and an insertion. `settle` removes a root nobody replaced; the
    /// event loop calls it after every event. The order of events is unchanged: it is fixed
    /// by their (time, sequence) keys, whatever the heap's layout.
    #[inline(always)]
    pub fn pop_heap(&mut self) -> Option<(f64, Event)> {
        debug_assert!(!self.vacant);
        if self.len == 0 {
            return None;
        }
        let top = self.heap[0];
        self.vacant = true;
        Some((f64::from_bits((top.ord >> 64) as u64), top.event))
    }

    /// Removes the root `pop_heap` handed out, unless an event pushed since took its place.
    #[inline(always)]
    pub fn settle(&mut self) {
        if self.vacant {
            self.vacant = false;
            self.len -= 1;
            let n = self.len;
            let last = std::mem::replace(&mut self.heap[n], PAD);
            if n > 0 {
                self.sift_down(last, n);
            }
        }
    }

    /// Puts `e` at the root of the first `n` entries and lets it sink to its place.
    #[inline(always)]
    fn sift_down(&mut self, e: Entry, n: usize) {
        let mut i = 0;
        loop {
            let c = 4 * i + 1;
            if c >= n {
                break;
            }
            let Some(k) = self.heap.get(c..c + 4) else { break };
            // The smallest of the four children, by selects (compiled to conditional moves).
            let (o01, i01) = if k[1].ord < k[0].ord { (k[1].ord, 1) } else { (k[0].ord, 0) };
            let (o23, i23) = if k[3].ord < k[2].ord { (k[3].ord, 3) } else { (k[2].ord, 2) };
            let (o, j) = if o23 < o01 { (o23, i23) } else { (o01, i01) };
            if o >= e.ord {
                break;
            }
            let m = c + j;
            self.heap[i] = self.heap[m];
            i = m;
        }
        self.heap[i] = e;
    }

    /// Leaf `s` changed: recomputes the nodes on its path to the root, then `first` and
    /// `next` from the root. Out of line: only models with many streams get here.
    ///
    /// Which sibling is earlier is a coin toss at every level: the choice is made with
    /// selects, not branches (with branches a 10,000-stream tree mispredicted about half of
    /// its 14 levels, and the pipeline restarted each time). Times decide; the sequence
    /// numbers only on a tie of times (rare: a branch the predictor gets right).
    #[inline(never)]
    fn tree_update(&mut self, s: usize) {
        let p = self.tree.len() / 2;
        let mut i = p + s;
        let (Some(times), Some(streams)) = (self.tree.get_mut(..2 * p), self.tree_stream.get_mut(..2 * p)) else {
            return;
        };
        let seqs = &self.tree_seq;
        let Some(&leaf) = times.get(i) else { return };
        let (mut o, mut w) = (leaf, s as u32);
        while i > 1 {
            let sib = i ^ 1;
            let (so, sw) = (times[sib], streams[sib]);
            let earlier = if so == o { tie(seqs, sw, w) } else { so < o };
            // The earlier time is the smaller (equal on a tie).
            o = so.min(o);
            w = std::hint::select_unpredictable(earlier, sw, w);
            i >>= 1;
            times[i] = o;
            streams[i] = w;
        }
        // The root from the registers, not read back from the tree.
        self.first = if o == u64::MAX { 0 } else { w as usize };
        self.next = (u128::from(o) << 64) | u128::from(seqs.get(w as usize).copied().unwrap_or(u64::MAX));
    }

    /// `first` and `next` from the tree's root (`first` 0 when nothing is pending).
    #[inline(always)]
    fn set_first_from_root(&mut self) {
        self.next = self.node_key(1);
        self.first = if self.next == u128::MAX { 0 } else { self.tree_stream[1] as usize };
    }

    /// Points `first` at the earliest pending arrival: a scan over the few streams of a
    /// small model, a rebuild of the whole winner tree for a large one (`retain` only).
    #[inline]
    fn find_first(&mut self) {
        let p = self.tree.len() / 2;
        if p > 0 {
            for i in (1..p).rev() {
                let b = usize::from(self.node_key(2 * i + 1) < self.node_key(2 * i));
                self.tree[i] = self.tree[2 * i + b];
                self.tree_stream[i] = self.tree_stream[2 * i + b];
            }
            self.set_first_from_root();
            return;
        }
        let (mut first, mut next) = (0, u128::MAX);
        for (s, a) in self.arrivals.iter().enumerate() {
            if a.ord < next {
                (first, next) = (s, a.ord);
            }
        }
        (self.first, self.next) = (first, next);
    }

    pub fn len(&self) -> usize {
        self.len - usize::from(self.vacant) + self.pending
    }

    /// Keeps only the events for which `keep(time, event)` is true (a sorted array is a valid
    /// heap, and the order of what remains is unchanged).
    pub fn retain(&mut self, mut keep: impl FnMut(f64, &Event) -> bool) {
        self.settle();
        let mut keep = |e: &Entry| keep(f64::from_bits((e.ord >> 64) as u64), &e.event);
        self.heap.truncate(self.len);
        self.heap.retain(&mut keep);
        self.heap.sort_unstable_by_key(|e| e.ord);
        self.len = self.heap.len();
        self.heap.resize(self.len + 3, PAD);
        for a in &mut self.arrivals {
            if a.ord != u128::MAX && !keep(a) {
                *a = PAD;
                self.pending -= 1;
            }
        }
        let p = self.tree.len() / 2;
        for s in 0..self.streams.min(p) {
            let ord = self.leaf_key(s);
            if ord != u128::MAX && !keep(&Entry { ord, event: Event::Arrival { stream: s as u32 } }) {
                self.tree[p + s] = u64::MAX;
                self.tree_seq[s] = u64::MAX;
                self.pending -= 1;
            }
        }
        self.find_first();
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_ties_in_order() {
        let mut l = EventList::new(0);
        l.push(5.0, Event::Staff { resource: 0 });
        l.push(1.0, Event::Arrival { stream: 1 });
        l.push(5.0, Event::Staff { resource: 1 });
        l.push(0.0, Event::Arrival { stream: 2 });
        let order: Vec<Event> = std::iter::from_fn(|| l.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            vec![
                Event::Arrival { stream: 2 },
                Event::Arrival { stream: 1 },
                Event::Staff { resource: 0 },
                Event::Staff { resource: 1 }
            ]
        );
    }

    /// Arrivals held beside the heap come out in the same (time, sequence) order as
    /// everything else, ties included.
    #[test]
    fn arrival_slots_keep_the_total_order() {
        total_order_with_streams(3);
    }

    /// The winner tree of a model with many streams (more than `SCAN_MAX`, not a power of
    /// two) gives the same order as the scan and as a sort.
    #[test]
    fn winner_tree_keeps_the_total_order() {
        total_order_with_streams(SCAN_MAX as u32 + 1);
        total_order_with_streams(37);
        total_order_with_streams(1000);
    }

    fn total_order_with_streams(streams: u32) {
        let mut l = EventList::new(streams as usize);
        assert_eq!(l.tree.is_empty(), streams as usize <= SCAN_MAX);
        let mut expect: Vec<(f64, u64, Event)> = Vec::new();
        let mut seq = 0u64;
        let mut push = |l: &mut EventList, expect: &mut Vec<(f64, u64, Event)>, t: f64, e: Event| {
            l.push(t, e);
            expect.push((t, seq, e));
            seq += 1;
        };
        let mut x: u64 = 99;
        let mut rnd = move || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((x >> 33) % 40) as f64 / 4.0
        };
        for s in 0..streams {
            push(&mut l, &mut expect, rnd(), Event::Arrival { stream: s });
        }
        let mut now = 0.0;
        for i in 0..3000u32 {
            expect.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let (t, _, e) = expect.remove(0);
            assert_eq!(l.pop(), Some((t, e)), "event {i}");
            now = t;
            if let Event::Arrival { stream } = e {
                push(&mut l, &mut expect, now + rnd(), Event::Arrival { stream });
            }
            // Ties with pending arrivals are common: times are multiples of 0.25.
            push(&mut l, &mut expect, now + rnd(), Event::Done { slot: i, token: 0 });
            if i == 1500 {
                // `retain` drops from the heap and the slots (or the tree's leaves) alike.
                let keep = |e: &Event| match *e {
                    Event::Arrival { stream } => stream % 3 != 1,
                    Event::Done { slot, .. } => slot % 2 == 0,
                    _ => true,
                };
                l.retain(|_, e| keep(e));
                expect.retain(|(_, _, e)| keep(e));
                assert_eq!(l.len(), expect.len());
            }
            if i % 2 == 0 && !expect.is_empty() {
                expect.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let (t, _, e) = expect.remove(0);
                assert_eq!(l.pop(), Some((t, e)));
                if let Event::Arrival { stream } = e {
                    push(&mut l, &mut expect, t + rnd(), Event::Arrival { stream });
                }
            }
        }
        assert_eq!(l.len(), expect.len());
        assert!(now > 0.0);
    }

    /// A root handed out by `pop_heap` is replaced by the next push (which sinks to its
    /// place) or removed by `settle`; either way the count and the order stay right.
    #[test]
    fn vacant_root_is_replaced_or_settled() {
        let mut l = EventList::new(0);
        for (i, t) in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0].into_iter().enumerate() {
            l.push(t, Event::Staff { resource: i as u32 });
        }
        assert_eq!(l.pop_heap(), Some((1.0, Event::Staff { resource: 0 })));
        assert_eq!(l.len(), 5, "the vacant root does not count");
        l.push(4.5, Event::Staff { resource: 9 });
        l.settle();
        assert_eq!(l.len(), 6);
        assert_eq!(l.pop_heap(), Some((2.0, Event::Staff { resource: 1 })));
        l.settle();
        let rest: Vec<u32> = std::iter::from_fn(|| l.pop())
            .map(|(_, e)| match e {
                Event::Staff { resource } => resource,
                _ => u32::MAX,
            })
            .collect();
        assert_eq!(rest, vec![2, 3, 9, 4, 5]);
        assert!(l.is_empty());
    }

    #[test]
    fn matches_a_sort_on_many_random_times() {
        let mut l = EventList::new(0);
        let mut x: u64 = 12345;
        let mut expect = Vec::new();
        for i in 0..2000u32 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let t = ((x >> 33) % 500) as f64 / 7.0;
            l.push(t, Event::Arrival { stream: i });
            expect.push((t, i));
            if i % 3 == 0 {
                expect.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let (t0, i0) = expect.remove(0);
                assert_eq!(l.pop(), Some((t0, Event::Arrival { stream: i0 })));
            }
        }
        expect.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (t, i) in expect {
            assert_eq!(l.pop(), Some((t, Event::Arrival { stream: i })));
        }
        assert!(l.is_empty());
    }
}
