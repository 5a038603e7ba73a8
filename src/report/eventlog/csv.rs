//! The CSV event log: one row per step visit part, with the columns of business-process
//! simulators (`case_id, activity, enable_time, start_time, end_time, resource`) and then
//! branchsim's (`group, lifecycle, outcome, batch, customer_type, channel, variant,
//! replication`). No byte-order mark: process-mining tools read plain UTF-8. Text cells from
//! the scenario get the formula-injection guard of every branchsim CSV (`csv_out::safe_text`).

use std::io::{self, Write};

use super::{Case, CaseEnd, Life, Log, Record, Sink, outcome_text};
use crate::report::csv_out::safe_text;

pub const COLUMNS: [&str; 14] = [
    "case_id",
    "activity",
    "enable_time",
    "start_time",
    "end_time",
    "resource",
    "group",
    "lifecycle",
    "outcome",
    "batch",
    "customer_type",
    "channel",
    "variant",
    "replication",
];

pub struct CsvSink<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W) -> Self {
        CsvSink { w: csv::Writer::from_writer(out) }
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn begin(&mut self, _log: &Log<'_>) -> io::Result<()> {
        self.w.write_record(COLUMNS)?;
        Ok(())
    }

    fn record(&mut self, log: &Log<'_>, case: &Case, r: &Record) -> io::Result<()> {
        // Rows are visit parts; the transitions that open a part are in the row that closes it.
        if matches!(r.life, Life::Schedule | Life::Start | Life::Resume) {
            return Ok(());
        }
        let m = log.model;
        let stamp = |t: Option<f64>| t.filter(|t| t.is_finite()).map(|t| log.clock.stamp(t)).unwrap_or_default();
        let end = if r.life == Life::Unfinished { None } else { Some(r.t) };
        let (resource, group) = match r.member {
            Some((g, k)) => (safe_text(&log.member_name(g, k)), safe_text(&m.resources[g].name)),
            None => (String::new(), String::new()),
        };
        self.w.write_record([
            safe_text(&case.name).as_str(),
            safe_text(&m.steps[r.step].name).as_str(),
            stamp(r.enable).as_str(),
            stamp(r.start).as_str(),
            stamp(end).as_str(),
            resource.as_str(),
            group.as_str(),
            r.life.csv(),
            outcome_text(r.outcome).as_str(),
            r.batch.map(|b| (b + 1).to_string()).unwrap_or_default().as_str(),
            safe_text(&m.customers[case.ctype].name).as_str(),
            log.channel(case.stream).map(safe_text).unwrap_or_default().as_str(),
            safe_text(log.variant).as_str(),
            log.replication.to_string().as_str(),
        ])?;
        Ok(())
    }

    fn close(&mut self, _log: &Log<'_>, _case: &Case, _end: CaseEnd, _t: Option<f64>) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _log: &Log<'_>, _members: &[u32]) -> io::Result<()> {
        self.w.flush()
    }
}
