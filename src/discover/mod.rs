//! `branchsim discover`: an as-is scenario from a bank's own event log, and `compare-logs`:
//! how far a simulated log is from a real one.
//!
//! Reading (`csv_log`, `xes`) turns a file into an `EventLog` of interned names and compact
//! events, counting messy data instead of failing on it; inference (`arrivals`, `process`,
//! `pools`, `breaks`, `patience`, `fit`) derives each part of the model with its evidence; `emit`
//! writes the scenario with that evidence as comments. `distance` implements the measures of
//! the `log-distance-measures` Python package, against which `benches/logdist` checks it.

pub mod arrivals;
pub mod baseline;
pub mod batch;
pub mod breaks;
pub mod columns;
pub mod csv_log;
pub mod distance;
pub mod emit;
pub mod events;
pub mod fit;
pub mod hidden_arrivals;
pub mod horizon;
pub mod log;
pub mod parallel;
pub mod patience;
pub mod pools;
pub mod priority;
pub mod process;
pub mod report;
pub mod resumed;
pub mod rows;
pub mod sample;
pub mod special;
pub mod speed;
pub mod spill;
pub mod time;
pub mod xes;

use std::path::Path;

pub use csv_log::Mapping;

/// What kind of file a log is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// From the extension (.xes) or the CSV header (issue and call times: tickets).
    Auto,
    Csv,
    Xes,
    Tickets,
}

/// Reads a log of any supported format. An unusable file (no event with a case, activity and
/// time) is an error.
pub fn read(path: &Path, format: Format, m: &Mapping) -> Result<log::EventLog, String> {
    let format = match format {
        Format::Auto => {
            let ext = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase);
            if ext.as_deref() == Some("xes") {
                Format::Xes
            } else if csv_log::looks_like_tickets(path)? {
                Format::Tickets
            } else {
                Format::Csv
            }
        }
        f => f,
    };
    let log = match format {
        Format::Xes => xes::read(path, m.customer_type.as_deref())?,
        Format::Tickets => csv_log::read_tickets(path, m)?,
        _ => csv_log::read_events(path, m)?,
    };
    if let Some(e) = log.events.failure() {
        return Err(format!("{}: {e}", path.display()));
    }
    if log.events.is_empty() && log.patience.is_empty() {
        let mut msg =
            format!("{}: no usable event (each needs a case id, an activity and a readable time)", path.display());
        let problems = log.issues.report(&path.display().to_string());
        if !problems.is_empty() {
            msg.push('\n');
            msg.push_str(problems.trim_end());
        }
        return Err(msg);
    }
    Ok(log)
}

/// Everything inferred from one log.
pub struct Discovery {
    pub source: String,
    pub source_name: String,
    pub log: log::EventLog,
    pub arrivals: arrivals::Arrivals,
    pub process: process::Process,
    pub pools: Vec<pools::Pool>,
    /// Staff breaks per pool (same order as `pools`).
    pub breaks: Vec<breaks::PoolBreaks>,
    pub patience: Option<patience::Patience>,
    /// Patience per customer type (types with abandonments).
    pub patience_by_type: std::collections::BTreeMap<u32, patience::Patience>,
    /// Balking limit and balks per customer type.
    pub balks: std::collections::BTreeMap<u32, (u32, u64)>,
    /// Timed batch steps.
    pub batches: Vec<batch::Batch>,
    /// Priority per customer type and the overtakes it rests on.
    pub priorities: std::collections::BTreeMap<u32, (i64, u64)>,
    /// Arrivals the log does not record, placed before first starts (see `hidden_arrivals`).
    pub hidden: hidden_arrivals::Summary,
    /// Weeks of the arrival profile (the horizon, rounded up to whole weeks).
    pub weeks: u64,
    /// Arrivals end here rather than after whole weeks (`--until`, `--cases`; see `horizon`).
    pub arrival_end: Option<horizon::ArrivalEnd>,
}

/// Infers the model from a log. `weeks`: simulated horizon; default the log's span.
pub fn discover(mut log: log::EventLog, source: &Path, weeks: Option<u64>) -> Discovery {
    let mut pools = pools::infer(&log);
    // Before anything reads arrivals: the first waits of a log without arrival times.
    let hidden = hidden_arrivals::infer(&mut log, &pools);
    let arrivals = arrivals::Arrivals::from_log(&log);
    let breaks = breaks::infer(&log, &mut pools);
    let process = process::infer(&log, &pools::WorkClock::new(&log, &pools));
    let patience = patience::estimate(log.patience.iter());
    let patience_by_type = patience::by_type(log.patience.iter());
    let balks = patience::balk_limits(&log);
    let batches = batch::infer(&log);
    let priorities = priority::infer(&log);
    // The horizon covers the weeks in which cases arrived (later events finish those cases).
    let span_weeks = match (arrivals.times.first(), arrivals.times.last()) {
        (Some(a), Some(b)) if b > a => ((b - a) / (7.0 * 1440.0)).ceil() as u64,
        _ => 1,
    };
    Discovery {
        source: source.display().to_string(),
        source_name: source
            .file_name()
            .map_or_else(|| source.display().to_string(), |f| f.to_string_lossy().into_owned()),
        log,
        arrivals,
        process,
        pools,
        breaks,
        patience,
        patience_by_type,
        balks,
        batches,
        priorities,
        hidden,
        weeks: weeks.unwrap_or(span_weeks).clamp(1, 520),
        arrival_end: None,
    }
}
