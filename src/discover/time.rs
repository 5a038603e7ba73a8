//! Timestamps of event logs, read as the wall clock they were written in.
//!
//! Why the wall clock: arrival profiles, calendars and the circadian distance are about the
//! branch's local day (09:00 is opening time whatever the offset), so a timestamp with an
//! offset keeps its local clock and the offset is dropped. Durations are measured on that
//! clock too; a log that crosses a daylight-saving change is off by the change for the events
//! spanning it (rare for branch work, which does not run at 02:00).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};

/// Minutes since 1970-01-01 00:00 of the wall clock.
pub type Minutes = f64;

const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
];

const OFFSET_FORMATS: &[&str] =
    &["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f %z"];

/// Parses a timestamp with or without an offset (`Z`, `+02:00`, `+0200`); `None` if it is
/// none of the accepted forms.
pub fn parse(text: &str) -> Option<Minutes> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let naive = if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        dt.naive_local()
    } else if let Some(dt) = NAIVE_FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(t, f).ok()) {
        dt
    } else if let Some(dt) = OFFSET_FORMATS.iter().find_map(|f| DateTime::parse_from_str(t, f).ok()) {
        dt.naive_local()
    } else if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        d.and_hms_opt(0, 0, 0)?
    } else {
        return None;
    };
    let secs = naive.and_utc().timestamp() as f64 + f64::from(naive.nanosecond()) * 1e-9;
    Some(secs / 60.0)
}

/// Day number since 1970-01-01 (may be negative).
pub fn day(t: Minutes) -> i64 {
    (t / 1440.0).floor() as i64
}

/// Weekday, Monday = 0 (1970-01-01 was a Thursday).
pub fn weekday(t: Minutes) -> usize {
    (day(t) + 3).rem_euclid(7) as usize
}

/// Minutes since midnight.
pub fn clock(t: Minutes) -> f64 {
    t - day(t) as f64 * 1440.0
}

/// `2017-01-09 15:40` for messages and comments.
pub fn label(t: Minutes) -> String {
    let secs = (t * 60.0).round() as i64;
    match DateTime::from_timestamp(secs, 0) {
        Some(dt) => {
            let n = dt.naive_utc();
            format!("{:04}-{:02}-{:02} {:02}:{:02}", n.year(), n.month(), n.day(), n.hour(), n.minute())
        }
        None => format!("{t} min"),
    }
}

/// ISO form without offset, as the CSV writer of `compare-logs` fixtures and the baseline use.
pub fn iso(t: Minutes) -> String {
    let secs = (t * 60.0).round() as i64;
    DateTime::from_timestamp(secs, 0)
        .map(|dt| dt.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_keep_the_local_clock() {
        let a = parse("2017-01-09T15:40:00").unwrap();
        assert_eq!(parse("2017-01-09T15:40:00+02:00"), Some(a));
        assert_eq!(parse("2017-01-09 15:40:00.000+0200"), Some(a));
        assert_eq!(parse("2017-01-09T15:40:00Z"), Some(a));
        assert_eq!(parse("2017-01-09 15:40"), Some(a));
        assert_eq!(weekday(a), 0, "2017-01-09 was a Monday");
        assert_eq!(clock(a), 15.0 * 60.0 + 40.0);
        assert_eq!(label(a), "2017-01-09 15:40");
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse(""), None);
    }
}
