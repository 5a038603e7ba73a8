//! Event logs of simulated replications (`branchsim run --events`): every case of a
//! replication as a process-mining log, in CSV (the column convention of business-process
//! simulators), XES (IEEE 1849-2016) or OCEL 2.0 (JSON).
//!
//! A `Recorder` is the engine's `Trace` for one replication: it turns the engine's events into
//! `Record`s (one per lifecycle transition of a case at a step) and hands them to a `Sink`, the
//! writer of one format, as they happen. Nothing is held per case beyond the cases still in the
//! system, so a log of millions of events is streamed to disk. Staff *members* are assigned
//! here, not in the engine (which only counts busy staff): a service takes the lowest-numbered
//! free member of its group and frees it when it ends, which is one valid assignment of the
//! engine's counts to people.
//!
//! Timestamps are `Clock::stamp`: the scenario's `start_date` (or the documented fixed date)
//! plus `start` plus the simulated minutes, in ISO 8601 with the `utc_offset`, to the
//! microsecond. Column and attribute meanings: docs/outputs.md, "Event logs".

pub mod csv;
pub mod ocel;
pub mod xes;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::io;

use chrono::{NaiveDateTime, TimeDelta};

use crate::engine::trace::{Outcome, Trace};
use crate::model::Model;

/// The file format of `--events-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One row per step visit (enable, start and end time), as business-process simulators write.
    Csv,
    /// IEEE 1849-2016 XES: one trace per case, one event per lifecycle transition.
    Xes,
    /// OCEL 2.0 JSON: customers, staff members, batches and channels as objects.
    Ocel,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xes => "xes",
            Format::Ocel => "jsonocel",
        }
    }

    /// Bytes of log per engine event the model expects (`Model::expected_events`), an upper
    /// estimate for the size check before a run: the largest ratio of file size to expected
    /// events over the shipped and theory scenarios, with a margin of a quarter or more
    /// (`tests/eventlog.rs::size_estimate_bounds_the_files` keeps it true).
    pub fn bytes_per_event(self) -> f64 {
        match self {
            Format::Csv => 240.0,
            Format::Xes => 850.0,
            Format::Ocel => 1300.0,
        }
    }
}

/// Where the log of one replication comes from: names, times and the replication.
pub struct Log<'a> {
    pub model: &'a Model,
    pub variant: &'a str,
    pub replication: u64,
    pub clock: Clock,
    /// Display name of each arrival stream's cases (`stream-N` case ids).
    streams: Vec<String>,
}

impl<'a> Log<'a> {
    pub fn new(model: &'a Model, variant: &'a str, replication: u64) -> Self {
        let streams = model.arrivals.iter().map(|a| a.name.clone()).collect();
        Log { model, variant, replication, clock: Clock::of(model), streams }
    }

    /// The case id of the engine's customer `id`: its arrival stream's name and its arrival
    /// number (from 1), unique within the replication.
    pub fn case_id(&self, id: u64) -> String {
        let stream = (id >> 40) as usize;
        let n = id & ((1 << 40) - 1);
        format!("{}-{}", self.streams.get(stream).map_or("case", String::as_str), n + 1)
    }

    /// Name of staff member `member` (from 0) of group `g`: `teller #1`.
    pub fn member_name(&self, g: usize, member: u32) -> String {
        format!("{} #{}", self.model.resources[g].name, member + 1)
    }

    pub fn channel(&self, stream: usize) -> Option<&str> {
        self.model.arrivals[stream].channel.as_deref()
    }
}

/// Absolute time of the simulation clock.
#[derive(Clone, Debug)]
pub struct Clock {
    /// Wall-clock date and time of t = 0 at the scenario's offset.
    zero: NaiveDateTime,
    offset: String,
}

impl Clock {
    pub fn of(m: &Model) -> Clock {
        let midnight = m.epoch.date.and_time(chrono::NaiveTime::MIN);
        let zero = midnight + TimeDelta::microseconds((m.start_clock * 60e6).round() as i64);
        let o = m.epoch.offset_minutes;
        let offset = format!("{}{:02}:{:02}", if o < 0 { '-' } else { '+' }, o.abs() / 60, o.abs() % 60);
        Clock { zero, offset }
    }

    /// ISO 8601 with the offset, to the microsecond: `2026-03-02T08:15:00.000000+01:00`.
    pub fn stamp(&self, t: f64) -> String {
        let at = self.zero + TimeDelta::microseconds((t * 60e6).round() as i64);
        format!("{}{}", at.format("%Y-%m-%dT%H:%M:%S%.6f"), self.offset)
    }

    /// The simulation time (minutes) of a `stamp`: for reading a log back.
    pub fn minutes(&self, stamp: &str) -> Option<f64> {
        let at = chrono::DateTime::parse_from_rfc3339(stamp).ok()?;
        let local = at.naive_local();
        Some((local - self.zero).num_microseconds()? as f64 / 60e6)
    }
}

/// A lifecycle transition of a case at a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    /// Starts waiting (a queue or a batch; again after preemption).
    Schedule,
    Start,
    /// Starts again after preemption, with the rest of its service.
    Resume,
    /// Service interrupted by a staff drop (preemption).
    Suspend,
    Complete,
    /// Gave up waiting (patience ran out): the case leaves.
    Abandon,
    /// Refused to queue (too many waiting): the case leaves.
    Balk,
    /// A booked customer who did not come.
    NoShow,
    /// Still waiting or in service when the replication ended (no end time).
    Unfinished,
}

impl Life {
    /// The CSV `lifecycle` value.
    pub fn csv(self) -> &'static str {
        match self {
            Life::Schedule => "schedule",
            Life::Start => "start",
            Life::Resume => "resume",
            Life::Suspend => "suspend",
            Life::Complete => "complete",
            Life::Abandon => "abandon",
            Life::Balk => "balk",
            Life::NoShow => "no_show",
            Life::Unfinished => "unfinished",
        }
    }

    /// The XES `lifecycle:transition` (standard lifecycle model of the XES lifecycle
    /// extension); `None` for `Unfinished`, which is no event.
    pub fn xes(self) -> Option<&'static str> {
        Some(match self {
            Life::Schedule => "schedule",
            Life::Start => "start",
            Life::Resume => "resume",
            Life::Suspend => "suspend",
            Life::Complete => "complete",
            Life::Abandon => "ate_abort",
            Life::Balk | Life::NoShow => "withdraw",
            Life::Unfinished => return None,
        })
    }
}

/// Outcomes of a step visit (`Trace::outcome`), as bits.
pub const OUTCOMES: [(Outcome, &str); 4] = [
    (Outcome::Handoff, "handoff"),
    (Outcome::Repeat, "repeat"),
    (Outcome::AutomationFailed, "automation_failed"),
    (Outcome::Touchless, "touchless"),
];

fn outcome_bit(o: Outcome) -> u8 {
    1 << OUTCOMES.iter().position(|(x, _)| *x == o).unwrap_or(0)
}

/// The outcome bits as text: `repeat`, `handoff+repeat`, empty for none.
pub fn outcome_text(bits: u8) -> String {
    let names: Vec<&str> =
        OUTCOMES.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, o)| o.1).collect();
    names.join("+")
}

/// One lifecycle transition of a case at a step, with the times of the visit part it belongs
/// to (a visit interrupted by preemption has several parts).
#[derive(Clone, Debug)]
pub struct Record {
    pub t: f64,
    pub step: usize,
    pub life: Life,
    /// When the part became ready (queue entry, or arrival at the step when served at once).
    pub enable: Option<f64>,
    pub start: Option<f64>,
    /// Staff group and member (from 0) serving it.
    pub member: Option<(usize, u32)>,
    /// Batch number at the step (batch steps).
    pub batch: Option<u64>,
    /// `OUTCOMES` bits (on `Complete`).
    pub outcome: u8,
}

/// How a case left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseEnd {
    Served,
    Abandoned,
    Balked,
    NoShow,
    /// Still inside when the replication ended.
    Unfinished,
}

impl CaseEnd {
    pub fn name(self) -> &'static str {
        match self {
            CaseEnd::Served => "served",
            CaseEnd::Abandoned => "abandoned",
            CaseEnd::Balked => "balked",
            CaseEnd::NoShow => "no_show",
            CaseEnd::Unfinished => "unfinished",
        }
    }
}

/// A case in the system (what sinks may read of it).
#[derive(Clone, Debug)]
pub struct Case {
    /// The engine's identity (see `Log::case_id`).
    pub id: u64,
    pub name: String,
    pub ctype: usize,
    pub stream: usize,
    pub arrival: f64,
    /// Arrived at or after the warm-up: counted in the KPIs.
    pub counted: bool,
    // The current visit part.
    step: usize,
    enable: Option<f64>,
    start: Option<f64>,
    member: Option<(usize, u32)>,
    batch: Option<u64>,
    /// The last part was preempted: the next start resumes it.
    suspended: bool,
    /// A `Complete` waiting for the visit's outcomes (reported just after the service end).
    pending: Option<Record>,
}

/// The writer of one format.
pub trait Sink {
    fn begin(&mut self, log: &Log<'_>) -> io::Result<()>;
    /// A case arrives (before its first record).
    fn arrival(&mut self, _log: &Log<'_>, _case: &Case) -> io::Result<()> {
        Ok(())
    }
    fn record(&mut self, log: &Log<'_>, case: &Case, r: &Record) -> io::Result<()>;
    /// The case left at `t` (`None`: still inside at the end), or never came (`NoShow`).
    fn close(&mut self, log: &Log<'_>, case: &Case, end: CaseEnd, t: Option<f64>) -> io::Result<()>;
    /// Batch `batch` of `step` released with `size` cases at `t` (their starts follow).
    fn batch(&mut self, _log: &Log<'_>, _t: f64, _step: usize, _batch: u64, _size: usize) -> io::Result<()> {
        Ok(())
    }
    /// The replication ended; `members[g]` staff members of group `g` served someone.
    fn finish(&mut self, log: &Log<'_>, members: &[u32]) -> io::Result<()>;
}

/// The engine's `Trace` for one replication, writing through `sink`.
pub struct Recorder<'l, 'm, S: Sink> {
    log: &'l Log<'m>,
    sink: S,
    cases: HashMap<u64, Case>,
    /// Keys in `cases` that are branch tokens of a split case (`fork`): their records carry
    /// the case's identity, and they end without closing the case.
    tokens: HashSet<u64>,
    /// Free members per group (lowest first) and members so far.
    free: Vec<BinaryHeap<Reverse<u32>>>,
    members: Vec<u32>,
    /// The first write error: later events are dropped and `finish` returns it.
    error: Option<io::Error>,
}

impl<'l, 'm, S: Sink> Recorder<'l, 'm, S> {
    pub fn new(log: &'l Log<'m>, mut sink: S) -> Self {
        let n = log.model.resources.len();
        let error = sink.begin(log).err();
        Recorder {
            log,
            sink,
            cases: HashMap::new(),
            tokens: HashSet::new(),
            free: vec![BinaryHeap::new(); n],
            members: vec![0; n],
            error,
        }
    }

    /// The sink, once the replication has run (`Trace::finish` called), or the first error.
    pub fn into_sink(self) -> io::Result<S> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.sink),
        }
    }

    fn keep(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.error.get_or_insert(e);
        }
    }

    fn assign(&mut self, g: usize) -> u32 {
        match self.free[g].pop() {
            Some(Reverse(m)) => m,
            None => {
                self.members[g] += 1;
                self.members[g] - 1
            }
        }
    }

    /// Writes `r` for the case `id` (after any `Complete` still waiting for outcomes).
    fn emit(&mut self, id: u64, r: Option<Record>) {
        let Some(c) = self.cases.get_mut(&id) else { return };
        let pending = c.pending.take();
        let c = &self.cases[&id];
        let mut res = Ok(());
        if let Some(p) = pending {
            res = self.sink.record(self.log, c, &p);
        }
        if let Some(r) = r {
            res = res.and_then(|()| self.sink.record(self.log, c, &r));
        }
        self.keep(res);
    }

    /// The record of the case's current part ending with `life` at `t`; the part is closed.
    fn part(&mut self, id: u64, t: f64, life: Life) -> Option<Record> {
        let c = self.cases.get_mut(&id)?;
        let r = Record {
            t,
            step: c.step,
            life,
            enable: c.enable.take(),
            start: c.start.take(),
            member: c.member.take(),
            batch: c.batch.take(),
            outcome: 0,
        };
        if let Some((g, m)) = r.member {
            self.free[g].push(Reverse(m));
        }
        Some(r)
    }

    fn close(&mut self, id: u64, end: CaseEnd, t: Option<f64>) {
        self.emit(id, None);
        if self.tokens.remove(&id) {
            // A branch token ends; its case closes once, by its own record.
            self.cases.remove(&id);
            return;
        }
        if let Some(c) = self.cases.remove(&id) {
            let r = self.sink.close(self.log, &c, end, t);
            self.keep(r);
        }
    }

    fn plain(&self, t: f64, step: usize, life: Life) -> Record {
        Record { t, step, life, enable: Some(t), start: None, member: None, batch: None, outcome: 0 }
    }
}

impl<S: Sink> Trace for Recorder<'_, '_, S> {
    const ON: bool = true;

    fn arrive(&mut self, t: f64, id: u64, ctype: usize, stream: usize) {
        let c = Case {
            id,
            name: self.log.case_id(id),
            ctype,
            stream,
            arrival: t,
            counted: t >= self.log.model.warmup,
            step: self.log.model.arrivals[stream].first_step,
            enable: None,
            start: None,
            member: None,
            batch: None,
            suspended: false,
            pending: None,
        };
        let r = self.sink.arrival(self.log, &c);
        self.keep(r);
        self.cases.insert(id, c);
    }

    fn no_show(&mut self, t: f64, id: u64, stream: usize) {
        let a = &self.log.model.arrivals[stream];
        let c = Case {
            id,
            name: self.log.case_id(id),
            ctype: a.customer,
            stream,
            arrival: t,
            counted: t >= self.log.model.warmup,
            step: a.first_step,
            enable: None,
            start: None,
            member: None,
            batch: None,
            suspended: false,
            pending: None,
        };
        let r = self.plain(t, a.first_step, Life::NoShow);
        let res =
            self.sink.record(self.log, &c, &r).and_then(|()| self.sink.close(self.log, &c, CaseEnd::NoShow, None));
        self.keep(res);
    }

    fn enqueue(&mut self, t: f64, id: u64, step: usize) {
        self.emit(id, None);
        let Some(c) = self.cases.get_mut(&id) else { return };
        c.step = step;
        c.enable = Some(t);
        let r = self.plain(t, step, Life::Schedule);
        self.emit(id, Some(r));
    }

    fn start(&mut self, t: f64, id: u64, step: usize, group: Option<usize>, batch: Option<u64>) {
        self.emit(id, None);
        let member = group.map(|g| (g, self.assign(g)));
        let Some(c) = self.cases.get_mut(&id) else { return };
        if c.step != step || c.enable.is_none() {
            c.enable = Some(t);
        }
        c.step = step;
        c.start = Some(t);
        c.member = member;
        c.batch = batch;
        let life = if std::mem::take(&mut c.suspended) { Life::Resume } else { Life::Start };
        let r = Record { t, step, life, enable: c.enable, start: Some(t), member, batch, outcome: 0 };
        self.emit(id, Some(r));
    }

    fn end(&mut self, t: f64, id: u64, _step: usize) {
        self.emit(id, None);
        if let Some(r) = self.part(id, t, Life::Complete)
            && let Some(c) = self.cases.get_mut(&id)
        {
            c.pending = Some(r);
        }
    }

    fn preempt(&mut self, t: f64, id: u64, _step: usize) {
        self.emit(id, None);
        let r = self.part(id, t, Life::Suspend);
        if let Some(c) = self.cases.get_mut(&id) {
            c.suspended = true;
        }
        self.emit(id, r);
    }

    fn renege(&mut self, t: f64, id: u64, _step: usize) {
        self.emit(id, None);
        let r = self.part(id, t, Life::Abandon);
        self.emit(id, r);
        self.close(id, CaseEnd::Abandoned, Some(t));
    }

    fn balk(&mut self, t: f64, id: u64, step: usize) {
        self.emit(id, None);
        if let Some(c) = self.cases.get_mut(&id) {
            c.step = step;
        }
        let r = self.plain(t, step, Life::Balk);
        self.emit(id, Some(r));
        self.close(id, CaseEnd::Balked, Some(t));
    }

    fn outcome(&mut self, _t: f64, id: u64, _step: usize, outcome: Outcome) {
        if let Some(p) = self.cases.get_mut(&id).and_then(|c| c.pending.as_mut()) {
            p.outcome |= outcome_bit(outcome);
        }
    }

    fn batch(&mut self, t: f64, step: usize, batch: u64, size: usize) {
        let r = self.sink.batch(self.log, t, step, batch, size);
        self.keep(r);
    }

    fn fork(&mut self, _t: f64, parent: u64, token: u64) {
        self.emit(parent, None);
        let Some(p) = self.cases.get(&parent) else { return };
        let c =
            Case { enable: None, start: None, member: None, batch: None, suspended: false, pending: None, ..p.clone() };
        self.cases.insert(token, c);
        self.tokens.insert(token);
    }

    fn join(&mut self, _t: f64, token: u64) {
        self.emit(token, None);
        self.tokens.remove(&token);
        self.cases.remove(&token);
    }

    fn withdraw(&mut self, t: f64, id: u64) {
        self.emit(id, None);
        if self.cases.get(&id).is_some_and(|c| c.enable.is_some() || c.start.is_some()) {
            let r = self.part(id, t, Life::Abandon);
            self.emit(id, r);
        }
        self.close(id, CaseEnd::Abandoned, Some(t));
    }

    fn depart(&mut self, t: f64, id: u64) {
        self.close(id, CaseEnd::Served, Some(t));
    }

    fn finish(&mut self, _end: f64, _until: f64) {
        let mut ids: Vec<u64> = self.cases.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            // Every case still inside gets an `Unfinished` record at its step, also one away
            // between visits (a rework delay), so that a CSV log says which cases never left.
            self.emit(id, None);
            let r = self.part(id, f64::NAN, Life::Unfinished);
            self.emit(id, r);
            self.close(id, CaseEnd::Unfinished, None);
        }
        let members = self.members.clone();
        let r = self.sink.finish(self.log, &members);
        self.keep(r);
    }
}

/// Simulates replication `replication` of `model` (variant `variant`, base seed `seed`) and
/// writes its event log to `out` in `format`. The replication is the one an untraced run
/// gives for the same seed (the trace only observes); its results are returned so callers can
/// check the log against them.
pub fn write_log<W: io::Write>(
    out: W,
    format: Format,
    model: &Model,
    variant: &str,
    seed: u64,
    replication: u64,
) -> io::Result<crate::engine::ReplicationResult> {
    let log = Log::new(model, variant, replication);
    fn run<S: Sink>(log: &Log<'_>, sink: S, seed: u64, rep: u64) -> io::Result<(crate::engine::ReplicationResult, S)> {
        let (res, rec) = crate::engine::simulate_traced(log.model, seed, rep, Recorder::new(log, sink));
        Ok((res, rec.into_sink()?))
    }
    Ok(match format {
        Format::Csv => run(&log, csv::CsvSink::new(out), seed, replication)?.0,
        Format::Xes => run(&log, xes::XesSink::new(out), seed, replication)?.0,
        Format::Ocel => run(&log, ocel::OcelSink::new(out)?, seed, replication)?.0,
    })
}

/// The file name of a log: `<variant slug>-rep<N>.<ext>` (inside the run's `events/` folder).
pub fn file_name(variant: &str, replication: u64, format: Format) -> String {
    format!("{}-rep{}.{}", crate::scenario::slug(variant), replication, format.extension())
}

/// Replication indices from `--events` text: `0`, `0,3`, `2-5`, `0,4-6` (from 0).
pub fn parse_replications(s: &str) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        let bad = || format!("--events: `{part}` is not a replication index or range (such as 0, 3 or 2-5; from 0)");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
                if b < a {
                    return Err(format!("--events: the range `{part}` ends before it starts"));
                }
                if b - a > 1_000_000 {
                    return Err(format!("--events: the range `{part}` is too long"));
                }
                out.extend(a..=b);
            }
            None => out.push(part.parse().map_err(|_| bad())?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replication_lists() {
        assert_eq!(parse_replications("0"), Ok(vec![0]));
        assert_eq!(parse_replications("3, 0,1-2"), Ok(vec![0, 1, 2, 3]));
        assert!(parse_replications("a").is_err());
        assert!(parse_replications("5-2").is_err());
        assert!(parse_replications("-1").is_err());
    }

    #[test]
    fn stamps_round_trip_and_carry_the_offset() {
        let text = "name = \"x\"\nhorizon = \"1h\"\nstart = \"08:30\"\nstart_date = \"2026-03-02\"\nutc_offset = \"-05:30\"\n[[customers]]\nname = \"c\"\nfirst_step = \"s\"\n[[arrivals]]\ncustomer = \"c\"\nrate = \"1/min\"\n[[resources]]\nname = \"r\"\nstaff = 1\n[[steps]]\nname = \"s\"\nresource = \"r\"\nservice = { dist = \"exponential\", mean = \"0.5min\" }\n";
        let loaded = crate::scenario::load_str(text, "t").unwrap_or_else(|e| panic!("{}", e.render()));
        let c = Clock::of(&loaded.baseline().model);
        assert_eq!(c.stamp(0.0), "2026-03-02T08:30:00.000000-05:30");
        // 16 hours on: past midnight into the next day.
        assert_eq!(c.stamp(960.5), "2026-03-03T00:30:30.000000-05:30");
        let t = 123.456_789;
        assert!((c.minutes(&c.stamp(t)).unwrap() - t).abs() < 1e-8);
    }
}
