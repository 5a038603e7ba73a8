//! The in-memory form of a log after reading: interned names and compact events.
//!
//! Names of activities, resources and customer types are interned once, and case ids are
//! hashed keys numbered after reading (`rows`), so an event is a fixed-size record without
//! allocations of its own; the events are kept in bounded memory (`events::Events`: a buffer,
//! spilled to sorted temporary files for large logs). Inference then walks the events case by
//! case.

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
    /// The customer type of the event's case (`NONE` when the log has none). While reading,
    /// what this row says of its case; after `finish`, the case's (its first row's that says).
    pub ctype: u32,
    /// The arrival of the event's case when the log records it apart from its first event
    /// (ticket issue time, queue entry); NaN otherwise. Set on every event of the case by
    /// `finish`, like `ctype`, so that nothing is kept per case.
    pub arrival: Minutes,
}

impl Event {
    /// A visit that tells how long its customer was patient: one that gave up after waiting
    /// from its enable time, or one a resource served after waiting from it (a censored
    /// observation). Its wait is `start - enable`.
    pub fn is_patience_observation(&self) -> bool {
        match self.left {
            Left::Abandoned => self.enable <= self.start,
            Left::No => !self.enable.is_nan() && self.start >= self.enable && self.resource != NONE,
            Left::Balked => false,
        }
    }
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

    /// Adds `n` occurrences of which `lines` are the first examples.
    pub fn add(&mut self, p: Problem, n: u64, lines: &[u64]) {
        if n == 0 {
            return;
        }
        let e = self.counts.entry(p).or_default();
        e.0 += n;
        for &l in lines {
            if e.1.len() < 5 {
                e.1.push(l);
            }
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
#[derive(Default, Debug)]
pub struct EventLog {
    /// Number of cases (with and without visits), known after `finish`.
    pub cases: usize,
    pub activities: Interner,
    pub resources: Interner,
    pub types: Interner,
    /// The rows being read, keyed by case id (`rows`): numbered into `events` by `finish`.
    pub rows: super::rows::Rows,
    /// The events by case after `finish`, each carrying its case's type and recorded arrival.
    pub events: super::events::Events,
    /// Cases without a visit (tickets that left unserved, customers still waiting at the
    /// end), by case number, after `finish`.
    pub lone: super::spill::Spool<super::rows::LoneCase>,
    pub issues: Issues,
    /// Patience observations in read order, in bounded memory (one per ticket).
    pub patience: super::spill::Spool<PatienceObs>,
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
    /// Numbers the cases read (by first row) and sorts their events by case, then start, then
    /// end; counts rows that came out of order in their case; checks resource overlaps and
    /// unfinished cases. Called once after reading. Each step is a pass over sorted records,
    /// so none holds the events, or anything per case, in memory.
    pub fn finish(&mut self) {
        let rows = std::mem::take(&mut self.rows);
        let n = super::rows::number(rows, &mut self.patience);
        self.events = n.events;
        self.lone = n.lone;
        self.cases = n.cases;
        if let Some(e) = n.error {
            self.events.fail(e);
        }
        let (count, lines) = n.unsorted;
        self.issues.add(Problem::UnsortedRow, count, &lines);
        // Resource overlaps: by resource, then start (a stable sort of the events in order).
        let mut by_res = super::spill::Sorter::new(super::events::buffer_events());
        let mut flagged = NONE;
        for e in &self.events {
            if e.end.is_nan() {
                if flagged != e.case {
                    flagged = e.case;
                    self.issues.note(Problem::UnfinishedCase, u64::from(e.line));
                }
            } else if e.resource != NONE {
                by_res.push(Span { resource: e.resource, start: e.start, end: e.end, line: e.line });
            }
        }
        let mut prev: Option<(u32, Minutes)> = None;
        let mut check = |s: Span| match prev {
            Some((pr, pend)) if pr == s.resource && s.start < pend => {
                self.issues.note(Problem::ResourceOverlap, u64::from(s.line));
                prev = Some((s.resource, pend.max(s.end)));
            }
            _ => prev = Some((s.resource, s.end)),
        };
        match by_res.finish() {
            Ok(super::spill::Sorted::Memory(v)) => v.into_iter().for_each(&mut check),
            Ok(super::spill::Sorted::Merged(mut m)) => loop {
                match m.next_record() {
                    Ok(Some(s)) => check(s),
                    Ok(None) => break,
                    Err(e) => {
                        self.events.fail(e);
                        break;
                    }
                }
            },
            Err(e) => self.events.fail(e),
        }
    }

    /// The events of each case in order (after `finish`).
    pub fn by_case(&self) -> super::events::Cases<'_> {
        self.events.by_case()
    }

    /// Arrival time of a case: the earliest of the recorded one (ticket issue time, or the
    /// queue entry of a row still waiting at the end) and the enable/start of its events.
    pub fn arrival(&self, events: &[Event]) -> Minutes {
        events
            .iter()
            .map(|e| if e.enable.is_nan() { e.start } else { e.enable.min(e.start) })
            .fold(events[0].arrival, f64::min)
    }

    /// Span of the log (first and last timestamp).
    pub fn span(&self) -> (Minutes, Minutes) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for e in self.events.iter() {
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

/// A finished event of a resource, for the overlap check.
#[derive(Clone, Copy)]
struct Span {
    resource: u32,
    start: Minutes,
    end: Minutes,
    line: u32,
}

impl super::spill::Record for Span {
    const SIZE: usize = 24;

    fn write(&self, o: &mut [u8]) {
        o[0..4].copy_from_slice(&self.resource.to_le_bytes());
        o[4..12].copy_from_slice(&self.start.to_bits().to_le_bytes());
        o[12..20].copy_from_slice(&self.end.to_bits().to_le_bytes());
        o[20..24].copy_from_slice(&self.line.to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        use super::spill::{f64_at, u32_at};
        Span { resource: u32_at(b, 0), start: f64_at(b, 4), end: f64_at(b, 12), line: u32_at(b, 20) }
    }

    fn order(&self, o: &Self) -> std::cmp::Ordering {
        self.resource.cmp(&o.resource).then(self.start.total_cmp(&o.start))
    }
}

impl EventLog {
    /// An empty log with the names (activities, resources, types) and facts of `log`, to
    /// receive some of its cases (`rows`, keyed by `CaseKey::index`) and `finish`.
    pub fn like(log: &EventLog) -> EventLog {
        EventLog {
            activities: log.activities.clone(),
            resources: log.resources.clone(),
            types: log.types.clone(),
            type_attribute: log.type_attribute.clone(),
            tickets: log.tickets,
            preempted: log.preempted.clone(),
            resumed: log.resumed.clone(),
            ..Default::default()
        }
    }
}
