//! The events of a log in bounded memory: sorted by case with an external merge sort
//! (`spill`), kept in memory when they fit the buffer and in one temporary file otherwise.
//!
//! Inference reads the events in passes (`iter`, `by_case`), each a sequential read of the
//! sorted file for a large log, so that holding a log of 10⁶ events costs a few megabytes of
//! buffer instead of 48 bytes per event plus the sort's scratch space (issue #23). A log that
//! fits the buffer is sorted in memory exactly as before, and the merge of a spilled one is
//! the same stable sort, so both give the same scenario byte for byte.

use std::borrow::Cow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::io::BufReader;

use super::log::{Event, Left};
use super::spill::{self, Record, Sorted, Sorter, Spilled};

/// Events held in memory before a sorted run goes to disk: 2¹⁷ events are 6 MB.
pub const BUFFER_EVENTS: usize = 1 << 17;

/// The buffer size: `BUFFER_EVENTS`, or `BRANCHSIM_DISCOVER_BUFFER` events when set (tests
/// use a tiny buffer to run the spilling path on small logs).
pub fn buffer_events() -> usize {
    std::env::var("BRANCHSIM_DISCOVER_BUFFER")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(BUFFER_EVENTS)
}

impl Record for Event {
    const SIZE: usize = 53;

    fn write(&self, o: &mut [u8]) {
        o[0..4].copy_from_slice(&self.case.to_le_bytes());
        o[4..8].copy_from_slice(&self.activity.to_le_bytes());
        o[8..12].copy_from_slice(&self.resource.to_le_bytes());
        o[12..20].copy_from_slice(&self.start.to_bits().to_le_bytes());
        o[20..28].copy_from_slice(&self.end.to_bits().to_le_bytes());
        o[28..36].copy_from_slice(&self.enable.to_bits().to_le_bytes());
        o[36..40].copy_from_slice(&self.line.to_le_bytes());
        o[40] = match self.left {
            Left::No => 0,
            Left::Abandoned => 1,
            Left::Balked => 2,
        };
        o[41..45].copy_from_slice(&self.ctype.to_le_bytes());
        o[45..53].copy_from_slice(&self.arrival.to_bits().to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        let (u, f) = (|i| spill::u32_at(b, i), |i| spill::f64_at(b, i));
        Event {
            case: u(0),
            activity: u(4),
            resource: u(8),
            start: f(12),
            end: f(20),
            enable: f(28),
            line: u(36),
            left: match b[40] {
                1 => Left::Abandoned,
                2 => Left::Balked,
                _ => Left::No,
            },
            ctype: u(41),
            arrival: f(45),
        }
    }

    /// Case, then start, then end, then line: the order inference walks a log in.
    fn order(&self, b: &Self) -> Ordering {
        self.case
            .cmp(&b.case)
            .then(self.start.total_cmp(&b.start))
            .then(self.end.total_cmp(&b.end))
            .then(self.line.cmp(&b.line))
    }
}

enum State {
    /// Being read: in push order, not yet sorted.
    Open(Sorter<Event>),
    Memory(Vec<Event>),
    Disk(Spilled, usize),
}

/// The events of a log; sorted by `sort` (called by `EventLog::finish`).
pub struct Events {
    state: State,
    cap: usize,
    /// The first I/O error with the temporary files, if any: the log is then incomplete.
    failed: RefCell<Option<String>>,
}

impl Default for Events {
    fn default() -> Self {
        let cap = buffer_events();
        Events { state: State::Open(Sorter::new(cap)), cap, failed: RefCell::default() }
    }
}

impl Clone for Events {
    fn clone(&self) -> Self {
        let mut c = Events { cap: self.cap, ..Default::default() };
        c.state = match &self.state {
            State::Memory(v) => State::Memory(v.clone()),
            State::Open(_) | State::Disk(..) => {
                let mut s = Sorter::new(self.cap);
                for e in self.iter() {
                    s.push(e);
                }
                State::Open(s)
            }
        };
        if matches!(self.state, State::Disk(..)) {
            c.sort();
        }
        *c.failed.borrow_mut() = self.failed.borrow().clone();
        c
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Events({} events, {})", self.len(), if self.spilled() { "spilled" } else { "in memory" })
    }
}

impl Events {
    /// Adds an event (numbered: `e.case` is its case's number); `sort` puts it in place.
    pub fn push(&mut self, e: Event) {
        if !matches!(self.state, State::Open(_)) {
            self.reopen();
        }
        if let State::Open(s) = &mut self.state {
            s.push(e);
        }
    }

    /// Back to the open state for more events.
    fn reopen(&mut self) {
        let len = self.len();
        let state = std::mem::replace(&mut self.state, State::Memory(Vec::new()));
        self.state = State::Open(match state {
            State::Memory(v) => {
                let mut s = Sorter::new(self.cap);
                for e in v {
                    s.push(e);
                }
                s
            }
            State::Disk(f, _) => f.into_sorter(self.cap, len as u64),
            State::Open(s) => s,
        });
    }

    pub fn len(&self) -> usize {
        match &self.state {
            State::Open(s) => s.len() as usize,
            State::Memory(v) => v.len(),
            State::Disk(_, n) => *n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the events are in a temporary file rather than in memory.
    pub fn spilled(&self) -> bool {
        match &self.state {
            State::Open(s) => s.spilled(),
            State::Memory(_) => false,
            State::Disk(..) => true,
        }
    }

    /// The first I/O error with the temporary files: the events read are then incomplete.
    pub fn failure(&self) -> Option<String> {
        self.failed.borrow().clone()
    }

    pub(crate) fn fail(&self, e: std::io::Error) {
        let mut f = self.failed.borrow_mut();
        if f.is_none() {
            *f = Some(format!("temporary file of the sorted events: {e}"));
        }
    }

    /// Events already in order (case, start, end, line): kept in memory when they fit the
    /// buffer, else written straight to one temporary file, with no sort.
    pub fn from_ordered(cap: usize, mut events: impl Iterator<Item = Event>) -> Events {
        let mut out = Events { state: State::Memory(Vec::new()), cap, failed: RefCell::default() };
        let mut v: Vec<Event> = events.by_ref().take(out.cap).collect();
        if v.len() < out.cap {
            out.state = State::Memory(v);
            return out;
        }
        // No room on disk for a file: the events stay in memory (slower to fail than to finish).
        let Ok(mut w) = Spilled::writer() else {
            v.extend(events);
            out.state = State::Memory(v);
            return out;
        };
        let mut b = [0u8; Event::SIZE];
        let mut n = 0;
        let mut write = |e: Event| {
            n += 1;
            w.write(&e, &mut b)
        };
        // The buffer is freed before the rest streams through.
        let head = v.into_iter().try_for_each(&mut write);
        let written = head.and_then(|()| events.try_for_each(&mut write));
        match written.and_then(|()| w.finish()) {
            Ok(f) => out.state = State::Disk(f, n),
            Err(e) => out.fail(e),
        }
        out
    }

    /// Sorts the events by case, start, end and line (stable).
    pub fn sort(&mut self) {
        let State::Open(s) = std::mem::replace(&mut self.state, State::Memory(Vec::new())) else {
            return;
        };
        let len = s.len() as usize;
        let merged = match s.finish() {
            Ok(Sorted::Memory(v)) => {
                self.state = State::Memory(v);
                return;
            }
            Ok(Sorted::Merged(m)) => m,
            Err(e) => return self.fail(e),
        };
        match write_all(merged) {
            Ok(f) => self.state = State::Disk(f, len),
            Err(e) => self.fail(e),
        }
    }

    /// The events in order (after `sort`; before it, those still in the buffer).
    pub fn iter(&self) -> Iter<'_> {
        match &self.state {
            State::Memory(v) => Iter::Slice(v.iter()),
            State::Open(s) => Iter::Slice(s.buffered().iter()),
            State::Disk(f, _) => match f.reader() {
                Ok(r) => Iter::Disk { r, b: [0; Event::SIZE], events: self },
                Err(e) => {
                    self.fail(e);
                    Iter::Slice([].iter())
                }
            },
        }
    }

    /// The events of each case in order (after `sort`).
    pub fn by_case(&self) -> Cases<'_> {
        match &self.state {
            State::Memory(v) => Cases::Slice(v),
            _ => Cases::Stream { it: self.iter(), next: None },
        }
    }

    /// Changes every event in place without moving it: `f` must keep the order (case, start,
    /// end, line), as setting a case's arrival does. One pass, no sort.
    pub fn rewrite(&mut self, mut f: impl FnMut(&mut Event)) {
        match &mut self.state {
            State::Memory(v) => return v.iter_mut().for_each(f),
            State::Open(_) => return self.for_each_mut(f),
            State::Disk(..) => {}
        }
        let events = Events::from_ordered(
            self.cap,
            self.iter().map(|mut e| {
                f(&mut e);
                e
            }),
        );
        let failed = self.failure().or(events.failure());
        *self = events;
        *self.failed.borrow_mut() = failed;
    }

    /// Changes every event in place (for example, shifts its times).
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut Event)) {
        if let State::Memory(v) = &mut self.state {
            v.iter_mut().for_each(f);
            return;
        }
        let mut s = Sorter::new(self.cap);
        for mut e in self.iter() {
            f(&mut e);
            s.push(e);
        }
        self.state = State::Open(s);
        self.sort();
    }
}

fn write_all(mut m: spill::Merge<Event>) -> std::io::Result<Spilled> {
    let mut w = Spilled::writer()?;
    let mut b = [0u8; Event::SIZE];
    while let Some(e) = m.next_record()? {
        w.write(&e, &mut b)?;
    }
    w.finish()
}

/// Events in order, by value.
pub enum Iter<'a> {
    Slice(std::slice::Iter<'a, Event>),
    Disk { r: BufReader<std::fs::File>, b: [u8; Event::SIZE], events: &'a Events },
}

impl Iterator for Iter<'_> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        match self {
            Iter::Slice(it) => it.next().copied(),
            Iter::Disk { r, b, events } => match spill::read_record::<Event, _>(r, b) {
                Ok(e) => e,
                Err(e) => {
                    events.fail(e);
                    None
                }
            },
        }
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = Event;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The events of one case after another: slices of the vector in memory, or one case at a
/// time read from the file.
pub enum Cases<'a> {
    Slice(&'a [Event]),
    Stream { it: Iter<'a>, next: Option<Event> },
}

impl<'a> Iterator for Cases<'a> {
    type Item = Cow<'a, [Event]>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Cases::Slice(rest) => {
                let first = rest.first()?;
                let n = rest.iter().position(|e| e.case != first.case).unwrap_or(rest.len());
                let (head, tail) = rest.split_at(n);
                *rest = tail;
                Some(Cow::Borrowed(head))
            }
            Cases::Stream { it, next } => {
                let first = next.take().or_else(|| it.next())?;
                let mut case = vec![first];
                for e in it.by_ref() {
                    if e.case != first.case {
                        *next = Some(e);
                        break;
                    }
                    case.push(e);
                }
                Some(Cow::Owned(case))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(case: u32, start: f64, line: u32) -> Event {
        Event {
            case,
            activity: line % 3,
            resource: 7,
            start,
            end: start + 1.0,
            enable: f64::NAN,
            left: Left::Balked,
            line,
            ctype: 2,
            arrival: f64::NAN,
        }
    }

    fn key(e: &Event) -> (u32, u64, u64, u32, u32) {
        (e.case, e.start.to_bits(), e.enable.to_bits(), e.line, e.activity)
    }

    #[test]
    fn spilled_events_read_back_as_in_memory() {
        let input: Vec<Event> = (0..500u32).map(|i| ev((i * 31) % 17, f64::from((i * 13) % 11), i)).collect();
        let mut mem = Events { cap: usize::MAX, ..Default::default() };
        mem.state = State::Open(Sorter::new(usize::MAX));
        let mut disk = Events { cap: 16, ..Default::default() };
        disk.state = State::Open(Sorter::new(16));
        for &e in &input {
            mem.push(e);
            disk.push(e);
        }
        mem.sort();
        disk.sort();
        assert!(!mem.spilled() && disk.spilled());
        assert_eq!(disk.len(), 500);
        let a: Vec<_> = mem.iter().map(|e| key(&e)).collect();
        let b: Vec<_> = disk.iter().map(|e| key(&e)).collect();
        assert_eq!(a, b);
        assert!(disk.iter().all(|e| e.left == Left::Balked && e.resource == 7));
        let ca: Vec<Vec<u32>> = mem.by_case().map(|c| c.iter().map(|e| e.line).collect()).collect();
        let cb: Vec<Vec<u32>> = disk.by_case().map(|c| c.iter().map(|e| e.line).collect()).collect();
        assert_eq!(ca.len(), 17);
        assert_eq!(ca, cb);
        // Shifting the times of a spilled log keeps it spilled and in order.
        disk.for_each_mut(|e| e.start += 2.0);
        mem.for_each_mut(|e| e.start += 2.0);
        let a: Vec<_> = mem.iter().map(|e| key(&e)).collect();
        let b: Vec<_> = disk.iter().map(|e| key(&e)).collect();
        assert_eq!(a, b);
        assert_eq!(disk.clone().iter().map(|e| key(&e)).collect::<Vec<_>>(), b);
        assert!(disk.failure().is_none());
        // Setting a case's arrival rewrites a spilled log in place, in order.
        disk.rewrite(|e| e.arrival = f64::from(e.case) * 10.0);
        mem.rewrite(|e| e.arrival = f64::from(e.case) * 10.0);
        assert!(disk.spilled());
        assert_eq!(disk.iter().map(|e| key(&e)).collect::<Vec<_>>(), b);
        assert!(
            disk.iter().zip(mem.iter()).all(|(x, y)| x.arrival == y.arrival && x.arrival == f64::from(x.case) * 10.0)
        );
        assert!(disk.failure().is_none());
    }
}
