//! The in-memory form of a log after reading: interned names and compact events.
//!
//! Names (cases, activities, resources, customer types) are interned once, so an event is
//! 40 bytes without allocations of its own: a log of 10⁶ events needs one growing vector,
//! not 10⁶ strings. Inference then walks the events case by case.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::time::{self, Minutes};

pub const NONE: u32 = u32::MAX;

/// How a visit ended when the case did not wait for service: event logs of simulators and
/// contact centres record customers who gave up (`abandon`) or refused to queue (`balk`).
/// Such a visit has no duration and routes nowhere; it is evidence of patience and balking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Left {
    #[default]
    No,
    /// Gave up waiting at the step (its end time is when it left).
    Abandoned,
    /// Refused to join the queue at the step.
    Balked,
}

/// One activity instance.
#[derive(Clone, Copy, Debug)]
pub struct Event {
    pub case: u32,
    pub activity: u32,
    /// `NONE` when the log names no resource.
    pub resource: u32,
    pub start: Minutes,
    pub end: Minutes,
    /// Enable time from the log, NaN when it has none.
    pub enable: Minutes,
    pub left: Left,
    pub line: u32,
}

/// Names mapped to dense indices, first come first numbered.
#[derive(Default, Debug, Clone)]
pub struct Interner {
    pub names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    pub fn get(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A kind of messy data, counted with the first few line numbers as examples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Problem {
    MissingField,
    BadTimestamp,
    MissingEnd,
    EndBeforeStart,
    ZeroLength,
    ResourceOverlap,
    UnfinishedCase,
    UnsortedRow,
    BadFlag,
}

impl Problem {
    pub fn describe(self) -> &'static str {
        match self {
            Problem::MissingField => "rows without a case id or activity (skipped)",
            Problem::BadTimestamp => "unreadable timestamps (row skipped)",
            Problem::MissingEnd => "events without an end time (no duration; their case counts as unfinished)",
            Problem::EndBeforeStart => "events ending before they start (skipped)",
            Problem::ZeroLength => "zero-length events (kept for routing, left out of duration fits)",
            Problem::ResourceOverlap => {
                "events overlapping an earlier event of the same resource (multitasking or a logging error)"
            }
            Problem::UnfinishedCase => "cases that never finish (an event without end; left out of cycle times)",
            Problem::UnsortedRow => "rows earlier than the row before them in their case (sorted before use)",
            Problem::BadFlag => "unreadable 'left unserved' values (read as served)",
        }
    }
}

/// Messy-data counts of one log.
#[derive(Default, Debug, Clone)]
pub struct Issues {
    pub counts: std::collections::BTreeMap<Problem, (u64, Vec<u64>)>,
}

impl Issues {
    pub fn note(&mut self, p: Problem, line: u64) {
        let e = self.counts.entry(p).or_default();
        e.0 += 1;
        if e.1.len() < 5 {
            e.1.push(line);
        }
    }

    pub fn count(&self, p: Problem) -> u64 {
        self.counts.get(&p).map_or(0, |e| e.0)
    }

    /// One line per problem: count, meaning, example lines.
    pub fn report(&self, file: &str) -> String {
        let mut s = String::new();
        for (p, (n, lines)) in &self.counts {
            let ex: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let _ = writeln!(s, "{file}: {n} {} (e.g. line {})", p.describe(), ex.join(", "));
        }
        s
    }
}

/// A ticket that left unserved, or a served one (censored) for the patience estimate.
#[derive(Clone, Copy, Debug)]
pub struct PatienceObs {
    pub wait: f64,
    pub abandoned: bool,
    /// Customer type (`NONE` when the log has none).
    pub ctype: u32,
}

/// A whole log, read.
#[derive(Default, Debug, Clone)]
pub struct EventLog {
    pub cases: Interner,
    pub activities: Interner,
    pub resources: Interner,
    pub types: Interner,
    /// Customer type of each case (`NONE` when the log has no type attribute).
    pub case_type: Vec<u32>,
    /// Arrival time of each case when the log records it apart from the first event (ticket
    /// issue time); NaN otherwise.
    pub case_arrival: Vec<Minutes>,
    pub events: Vec<Event>,
    pub issues: Issues,
    pub patience: Vec<PatienceObs>,
    /// Name of the case attribute giving the customer type, if any.
    pub type_attribute: Option<String>,
    /// True for queue-ticket exports: customers who wait in person (they may abandon).
    pub tickets: bool,
    /// Resources whose work was interrupted and resumed later (`suspend` rows): their pools
    /// preempt at a capacity drop.
    pub preempted: std::collections::BTreeSet<u32>,
    /// Visits interrupted and resumed, by the line completing them: the working time of the
    /// earlier parts and the start of the last part.
    pub resumed: std::collections::HashMap<u32, (Minutes, Minutes)>,
}

impl EventLog {
    pub fn case(&mut self, id: &str) -> u32 {
        let c = self.cases.get(id);
        if c as usize == self.case_type.len() {
            self.case_type.push(NONE);
            self.case_arrival.push(f64::NAN);
        }
        c
    }

    /// Sorts the events by case, then start, then end, and counts rows that came out of order
    /// in their case; checks resource overlaps and unfinished cases. Called once after reading.
    pub fn finish(&mut self) {
        let mut last: Vec<Minutes> = vec![f64::NEG_INFINITY; self.cases.len()];
        for e in &self.events {
            let c = e.case as usize;
            if e.start < last[c] {
                self.issues.note(Problem::UnsortedRow, u64::from(e.line));
            }
            last[c] = last[c].max(e.start);
        }
        self.events.sort_by(|a, b| {
            a.case
                .cmp(&b.case)
                .then(a.start.total_cmp(&b.start))
                .then(a.end.total_cmp(&b.end))
                .then(a.line.cmp(&b.line))
        });
        let mut unfinished = vec![false; self.cases.len()];
        for e in &self.events {
            if e.end.is_nan() && !unfinished[e.case as usize] {
                unfinished[e.case as usize] = true;
                self.issues.note(Problem::UnfinishedCase, u64::from(e.line));
            }
        }
        // Resource overlaps: by resource, then start.
        let mut by_res: Vec<(u32, Minutes, Minutes, u32)> = self
            .events
            .iter()
            .filter(|e| e.resource != NONE && !e.end.is_nan())
            .map(|e| (e.resource, e.start, e.end, e.line))
            .collect();
        by_res.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut prev: Option<(u32, Minutes)> = None;
        for &(r, s, e, line) in &by_res {
            match prev {
                Some((pr, pend)) if pr == r && s < pend => {
                    self.issues.note(Problem::ResourceOverlap, u64::from(line));
                    prev = Some((r, pend.max(e)));
                }
                _ => prev = Some((r, e)),
            }
        }
    }

    /// The events of each case in order (after `finish`).
    pub fn by_case(&self) -> impl Iterator<Item = &[Event]> + '_ {
        self.events.chunk_by(|a, b| a.case == b.case)
    }

    /// Arrival time of a case: the earliest of the recorded one (ticket issue time, or the
    /// queue entry of a row still waiting at the end) and the enable/start of its events.
    pub fn arrival(&self, events: &[Event]) -> Minutes {
        let c = events[0].case as usize;
        events
            .iter()
            .map(|e| if e.enable.is_nan() { e.start } else { e.enable.min(e.start) })
            .fold(self.case_arrival[c], f64::min)
    }

    /// Span of the log (first and last timestamp).
    pub fn span(&self) -> (Minutes, Minutes) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for e in &self.events {
            lo = lo.min(e.start);
            hi = hi.max(if e.end.is_nan() { e.start } else { e.end });
        }
        (lo, hi)
    }

    pub fn describe_span(&self) -> String {
        let (a, b) = self.span();
        format!("{} to {}", time::label(a), time::label(b))
    }
}
