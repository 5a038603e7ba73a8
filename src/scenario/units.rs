//! Units of time: durations ("90s", "2.5min", "1h", "2d"), rates ("90/h") and clock labels.
//!
//! Inside the engine every time is in minutes (f64). The scenario's `time_unit` only says what
//! a bare number in the file means and in which unit results are reported.

use std::fmt;

use serde::{Deserialize, Serialize};

pub const MINUTES_PER_DAY: f64 = 1440.0;

/// The unit of bare numbers in a scenario file and of durations in its results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub enum TimeUnit {
    #[serde(rename = "s")]
    Seconds,
    #[default]
    #[serde(rename = "min")]
    Minutes,
    #[serde(rename = "h")]
    Hours,
}

impl TimeUnit {
    pub fn parse(s: &str) -> Option<TimeUnit> {
        match s {
            "s" => Some(TimeUnit::Seconds),
            "min" => Some(TimeUnit::Minutes),
            "h" => Some(TimeUnit::Hours),
            _ => None,
        }
    }

    /// Minutes in one of this unit.
    pub fn minutes(self) -> f64 {
        match self {
            TimeUnit::Seconds => 1.0 / 60.0,
            TimeUnit::Minutes => 1.0,
            TimeUnit::Hours => 60.0,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "min",
            TimeUnit::Hours => "h",
        }
    }

    /// Converts engine minutes into this unit.
    pub fn from_minutes(self, minutes: f64) -> f64 {
        minutes / self.minutes()
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Minutes in one of a unit suffix as written in a file.
fn unit_minutes(unit: &str) -> Option<f64> {
    match unit {
        "s" => Some(1.0 / 60.0),
        "min" => Some(1.0),
        "h" => Some(60.0),
        "d" => Some(MINUTES_PER_DAY),
        _ => None,
    }
}

const UNIT_HELP: &str = "write a number followed by one of s, min, h, d (e.g. \"90s\", \"2.5min\", \"1h\", \"2d\")";

/// Splits "2.5min" into (2.5, "min"). One optional space is allowed between them.
fn split_number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '-' || *c == '+' || *c == 'e' || *c == 'E'))
        .map_or(s.len(), |(i, _)| i);
    // "e" may start a unit-less exponent only when followed by a digit or sign; units never start with e.
    let (num, rest) = s.split_at(end);
    let value: f64 = num.parse().ok()?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    Some((value, rest))
}

/// Parses a duration string into minutes. Errors are messages for the user.
pub fn parse_duration(s: &str) -> Result<f64, String> {
    let Some((value, unit)) = split_number(s) else {
        return Err(format!("`{s}` is not a duration; {UNIT_HELP}"));
    };
    if unit.is_empty() {
        return Err(format!("`{s}` has no unit; {UNIT_HELP}, or a bare number in the scenario's time_unit"));
    }
    let Some(per) = unit_minutes(unit) else {
        return Err(format!("unknown time unit `{unit}` in `{s}`; {UNIT_HELP}"));
    };
    check_duration(value * per, s)
}

/// Accepts finite, non-negative minutes.
pub fn check_duration(minutes: f64, text: &str) -> Result<f64, String> {
    if !minutes.is_finite() {
        return Err(format!("`{text}` is not a finite duration"));
    }
    if minutes < 0.0 {
        return Err(format!("`{text}` is negative; durations must be >= 0"));
    }
    if minutes > MAX_DURATION_MIN {
        return Err(format!(
            "`{text}` is longer than 100 years (36500d), the longest duration a scenario may give; leave an optional key out instead of writing a huge value"
        ));
    }
    Ok(minutes)
}

/// Longest duration accepted anywhere (100 years, in minutes): far beyond any branch study,
/// and it keeps every sum of durations a replication forms finite and exact enough.
pub const MAX_DURATION_MIN: f64 = 36_500.0 * MINUTES_PER_DAY;

/// Parses a rate string ("90/h", "1.5/min") into events per minute.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let help = "write a number per unit, e.g. \"90/h\", \"1.5/min\", \"2/s\", \"40/d\"";
    let Some((num, unit)) = s.split_once('/') else {
        return Err(format!("`{s}` is not a rate; {help}"));
    };
    let value: f64 = num.trim().parse().map_err(|_| format!("`{num}` in `{s}` is not a number; {help}"))?;
    let Some(per) = unit_minutes(unit.trim()) else {
        return Err(format!("unknown time unit `{}` in rate `{s}`; {help}", unit.trim()));
    };
    check_rate(value / per, s)
}

pub fn check_rate(per_minute: f64, text: &str) -> Result<f64, String> {
    if !per_minute.is_finite() {
        return Err(format!("rate `{text}` is not finite"));
    }
    if per_minute < 0.0 {
        return Err(format!("rate `{text}` is negative; rates must be >= 0"));
    }
    Ok(per_minute)
}

/// Parses a clock label "09:00" or "9:30" into minutes after midnight.
pub fn parse_clock(s: &str) -> Result<f64, String> {
    let err = || format!("`{s}` is not a clock time; write HH:MM, e.g. \"09:00\"");
    let (h, m) = s.trim().split_once(':').ok_or_else(err)?;
    let h: u32 = h.parse().map_err(|_| err())?;
    let m: u32 = m.parse().map_err(|_| err())?;
    if h > 23 || m > 59 {
        return Err(err());
    }
    Ok(f64::from(h * 60 + m))
}

/// Formats engine minutes (from t = 0) as a clock label, with a day prefix past the first day.
pub fn clock_label(start_minutes: f64, t: f64, multi_day: bool) -> String {
    let abs = start_minutes + t;
    let day = (abs / MINUTES_PER_DAY).floor();
    let in_day = abs - day * MINUTES_PER_DAY;
    let total = in_day.round() as i64;
    let (h, m) = (total / 60 % 24, total % 60);
    if multi_day { format!("d{} {h:02}:{m:02}", day as i64 + 1) } else { format!("{h:02}:{m:02}") }
}

/// A compact human duration for messages and tables: "45s", "3.2min", "2.5h", "3d".
pub fn human_duration(minutes: f64) -> String {
    if !minutes.is_finite() {
        return "-".into();
    }
    let trim = |x: f64, unit: &str| {
        let s = format!("{x:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s}{unit}")
    };
    if minutes < 1.0 {
        trim(minutes * 60.0, "s")
    } else if minutes < 120.0 && (minutes % 60.0 != 0.0 || minutes < 60.0) {
        trim(minutes, "min")
    } else if minutes < 2.0 * MINUTES_PER_DAY || minutes % MINUTES_PER_DAY != 0.0 && minutes < 7.0 * MINUTES_PER_DAY {
        trim(minutes / 60.0, "h")
    } else {
        trim(minutes / MINUTES_PER_DAY, "d")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(1.5));
        assert_eq!(parse_duration("2.5min"), Ok(2.5));
        assert_eq!(parse_duration("1h"), Ok(60.0));
        assert_eq!(parse_duration("2d"), Ok(2880.0));
        assert_eq!(parse_duration("0min"), Ok(0.0));
        assert!(parse_duration("5 mins").is_err());
        assert!(parse_duration("-3min").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("1e400min").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("90/h"), Ok(1.5));
        assert_eq!(parse_rate("1.5/min"), Ok(1.5));
        assert!(parse_rate("abc/h").is_err());
        assert!(parse_rate("5/week").is_err());
        assert!(parse_rate("-1/h").is_err());
        assert!(parse_rate("NaN/h").is_err());
    }

    #[test]
    fn clocks() {
        assert_eq!(parse_clock("09:00"), Ok(540.0));
        assert!(parse_clock("25:00").is_err());
        assert_eq!(clock_label(540.0, 90.0, false), "10:30");
        assert_eq!(clock_label(540.0, 1440.0, true), "d2 09:00");
        assert_eq!(human_duration(60.0), "1h");
        assert_eq!(human_duration(90.0), "90min");
        assert_eq!(human_duration(0.5), "30s");
        assert_eq!(human_duration(2.5), "2.5min");
        assert_eq!(human_duration(480.0), "8h");
        assert_eq!(human_duration(28800.0), "20d");
    }
}
