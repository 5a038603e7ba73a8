//! Where the discovered scenario's arrivals end.
//!
//! By default the horizon is whole weeks (`--weeks`, or the weeks in which the log's cases
//! arrived). A planner often knows a date-time instead ("simulate until Friday 16:00", "the
//! period the test log covers") or a number of cases ("the next 500 applications"); and the
//! held-out protocol of benches/logdist/holdout.py must end arrivals where the held-out
//! period ends, not at the end of its week, or the simulated held-out cases queue behind
//! newcomers the real log never had.
//!
//! With an arrival end the horizon goes on past it, in whole weeks, by the log's longest case
//! (arrival to last end), and the arrival rates are zero from the end on: the cases inside
//! finish on their pools' calendars. Ending the horizon at the arrival end would leave them
//! to the engine's drain (`scenario::compile::DRAIN_DAYS`, 28 days), shorter than a backlog
//! of weeks takes to clear: the loan log's last cases end 42 days after its last arrival.
//! The profile is hourly: the hour holding the end keeps the share of its rate before it.

use super::Discovery;
use super::time::{self, Minutes};

const WEEK: f64 = 7.0 * 1440.0;

/// Longest arrival period (weeks) a discovered scenario takes, as for `--weeks`.
pub const MAX_WEEKS: u64 = 520;

/// Longest run-on after the arrival end (half a year, minutes): one case open for years in a
/// messy log must not stretch every simulation.
const MAX_WORK_OFF: Minutes = 182.0 * 1440.0;

/// An arrival end given as a date-time (wall clock of the log) and why it is there.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrivalEnd {
    pub at: Minutes,
    /// For the scenario's comment: "--until", "the model expects 1000 cases" ….
    pub why: String,
    /// The log's longest case, arrival to last end (minutes): the horizon runs on this long.
    pub longest_case: Minutes,
}

/// t = 0 of the discovered scenario: the Monday (00:00) of the log's first arrival.
pub fn start(d: &Discovery) -> Option<Minutes> {
    d.arrivals.times.first().map(|first| (time::day(*first) - time::weekday(*first) as i64) as f64 * 1440.0)
}

/// Share of hour `k` (counted from the scenario's start) before the arrival end: 1 without
/// one or before it, 0 after it, the fraction for the hour that holds it.
pub fn open_share(d: &Discovery, k: usize) -> f64 {
    match (&d.arrival_end, start(d)) {
        (Some(e), Some(s)) => ((e.at - s - k as f64 * 60.0) / 60.0).clamp(0.0, 1.0),
        _ => 1.0,
    }
}

/// The horizon for people: "7 week(s)", or with an arrival end "10 week(s): arrivals until
/// 2017-02-01 10:46 (--cases 1000 …), then none while the cases inside finish".
pub fn describe(d: &Discovery) -> String {
    match &d.arrival_end {
        Some(e) => format!(
            "{} week(s): arrivals until {} ({}), then none while the cases inside finish (the log's longest case took {:.0} days)",
            d.weeks,
            time::label(e.at),
            e.why,
            e.longest_case / 1440.0
        ),
        None => format!("{} week(s)", d.weeks),
    }
}

/// The log's longest case, from its arrival to its last end (minutes; 0 for an empty log).
pub fn longest_case(d: &Discovery) -> Minutes {
    d.log
        .by_case()
        .map(|ev| ev.iter().map(|e| e.end).fold(f64::NEG_INFINITY, f64::max) - d.log.arrival(&ev))
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max)
}

/// Ends arrivals at `end`; the horizon covers it and `end.longest_case` after it, in whole
/// weeks over which the weekly arrival profile is repeated (zero after the end).
/// An end before the log's first arrival (nobody would come) or beyond `MAX_WEEKS` is an
/// error for the user.
pub fn set(d: &mut Discovery, end: ArrivalEnd) -> Result<(), String> {
    let (Some(s), Some(first)) = (start(d), d.arrivals.times.first().copied()) else {
        return Err("the log has no arrival to start the scenario from".into());
    };
    if end.at <= first {
        return Err(format!(
            "{} is not after the first arrival ({}): the scenario would take nobody",
            time::label(end.at),
            time::label(first)
        ));
    }
    let end = ArrivalEnd { longest_case: end.longest_case.min(MAX_WORK_OFF), ..end };
    let weeks = ((end.at + end.longest_case - s) / WEEK).ceil() as u64;
    if weeks > MAX_WEEKS {
        return Err(format!(
            "{} is {weeks} weeks after the scenario's start ({}); at most {MAX_WEEKS} weeks are simulated",
            time::label(end.at),
            time::label(s)
        ));
    }
    d.weeks = weeks.max(1);
    d.arrival_end = Some(end);
    Ok(())
}

/// Expected arrivals per hour of the week (Monday 00-01h first) of the discovered profile,
/// summed over its streams: the rates the scenario's `[[arrivals]]` carry.
fn weekly_rates(d: &Discovery) -> Vec<f64> {
    (0..7 * 24)
        .map(|k| d.process.first.keys().map(|key| d.arrivals.stream_rate(*key, k / 24, k % 24)).sum::<f64>())
        .collect()
}

/// The time at which the discovered model expects `cases` arrivals since its start (the
/// rate is constant within an hour, so the end falls inside the hour that completes them).
/// Simod's held-out protocol simulates as many cases as the test period has; this is the
/// same information for a model whose arrivals follow a weekly profile.
pub fn after_cases(d: &Discovery, cases: u64) -> Result<Minutes, String> {
    let s = start(d).ok_or("the log has no arrival to start the scenario from")?;
    let rates = weekly_rates(d);
    let per_week: f64 = rates.iter().sum();
    if cases == 0 {
        return Err("give at least 1 case".into());
    }
    if per_week <= 0.0 {
        return Err("the discovered arrival rate is zero: no case would ever arrive".into());
    }
    let mut seen = 0.0;
    for k in 0..(MAX_WEEKS as usize * rates.len()) {
        let r = rates[k % rates.len()];
        if r > 0.0 && seen + r >= cases as f64 {
            return Ok(s + (k as f64 + (cases as f64 - seen) / r) * 60.0);
        }
        seen += r;
    }
    Err(format!(
        "the discovered model expects {per_week:.1} cases a week: {cases} cases take more than {MAX_WEEKS} weeks"
    ))
}
