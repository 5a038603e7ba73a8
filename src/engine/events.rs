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
///   mispredicted about two thirds of all the engine's mispredictions in a model with patience.
#[derive(Debug, Default)]
pub struct EventList {
    /// `len` events in heap order, then at least 3 `PAD` entries.
    heap: Vec<Entry>,
    len: usize,
    seq: u64,
}

impl EventList {
    pub fn with_capacity(n: usize) -> Self {
        let mut heap = Vec::with_capacity(n + 4);
        heap.resize(4, PAD);
        EventList { heap, len: 0, seq: 0 }
    }

    /// Schedules `event` at time `t` (finite, >= 0).
    #[inline(always)]
    pub fn push(&mut self, t: f64, event: Event) {
        // +0.0 normalises -0.0; times are finite and >= 0 so the bits order like the values.
        let key = (t + 0.0).to_bits();
        let e = Entry { ord: (u128::from(key) << 64) | u128::from(self.seq), event };
        self.seq += 1;
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

    #[inline]
    pub fn pop(&mut self) -> Option<(f64, Event)> {
        if self.len == 0 {
            return None;
        }
        let top = self.heap[0];
        self.len -= 1;
        let n = self.len;
        let last = std::mem::replace(&mut self.heap[n], PAD);
        if n > 0 {
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
                if o >= last.ord {
                    break;
                }
                let m = c + j;
                self.heap[i] = self.heap[m];
                i = m;
            }
            self.heap[i] = last;
        }
        Some((f64::from_bits((top.ord >> 64) as u64), top.event))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Keeps only the events for which `keep(time, event)` is true (a sorted array is a valid
    /// heap, and the order of what remains is unchanged).
    pub fn retain(&mut self, mut keep: impl FnMut(f64, &Event) -> bool) {
        self.heap.truncate(self.len);
        self.heap.retain(|e| keep(f64::from_bits((e.ord >> 64) as u64), &e.event));
        self.heap.sort_unstable_by_key(|e| e.ord);
        self.len = self.heap.len();
        self.heap.resize(self.len + 3, PAD);
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_ties_in_order() {
        let mut l = EventList::default();
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

    #[test]
    fn matches_a_sort_on_many_random_times() {
        let mut l = EventList::default();
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
