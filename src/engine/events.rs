//! The future-event list: a binary min-heap ordered by (time, sequence number).
//!
//! The sequence number makes ties deterministic (first scheduled, first processed) and the
//! comparison uses the bit pattern of non-negative finite times, which orders exactly like the
//! numbers and cannot panic (the compiler guarantees finite, non-negative durations).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What happens at an event. Small and `Copy`: no allocation per event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next arrival of an arrival stream.
    Arrival { stream: u32 },
    /// A customer finishes its current step (service or pure delay).
    Done { slot: u32 },
    /// A waiting customer's patience runs out (ignored if `token` is stale).
    Renege { slot: u32, token: u32 },
    /// A resource's staffing changes to the next entry of its schedule.
    Staff { resource: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key && self.seq == o.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest event first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.key.cmp(&self.key).then_with(|| o.seq.cmp(&self.seq))
    }
}

#[derive(Debug, Default)]
pub struct EventList {
    heap: BinaryHeap<Entry>,
    seq: u64,
}

impl EventList {
    pub fn with_capacity(n: usize) -> Self {
        EventList {
            heap: BinaryHeap::with_capacity(n),
            seq: 0,
        }
    }

    /// Schedules `event` at time `t` (finite, >= 0).
    #[inline]
    pub fn push(&mut self, t: f64, event: Event) {
        // +0.0 normalises -0.0; times are finite and >= 0 so the bits order like the values.
        let key = (t + 0.0).to_bits();
        self.heap.push(Entry {
            key,
            seq: self.seq,
            event,
        });
        self.seq += 1;
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(f64, Event)> {
        self.heap.pop().map(|e| (f64::from_bits(e.key), e.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
}
