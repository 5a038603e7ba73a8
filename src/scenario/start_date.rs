//! `start_date` and `utc_offset`: the calendar date of t = 0, for the absolute timestamps of
//! event logs (`branchsim run --events`). The simulation itself only needs the clock time
//! (`start`) and the weekday (`start_day`); a date fixes both the weekday and the year, so a
//! date whose weekday contradicts `start_day` is an error rather than a silent choice.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::diag::Diagnostics;
use super::reader::{Obj, Sp};
use super::schema::WEEKDAYS;

/// The fixed Monday that logs start on when a scenario gives no `start_date`: 2024-01-01
/// (shifted forward to `start_day`'s weekday), at UTC.
pub const DEFAULT_DATE: (i32, u32, u32) = (2024, 1, 1);

/// `DEFAULT_DATE` as a date, built when compiling (a valid literal date; `MIN` never happens).
const DEFAULT_MONDAY: NaiveDate = match NaiveDate::from_ymd_opt(DEFAULT_DATE.0, DEFAULT_DATE.1, DEFAULT_DATE.2) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The calendar date and UTC offset of t = 0's day (`start` is the clock time on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Epoch {
    #[serde(serialize_with = "iso_date")]
    pub date: NaiveDate,
    /// Minutes east of UTC (`utc_offset = "+01:00"` is 60).
    pub offset_minutes: i32,
    /// The scenario gave `start_date` (otherwise the documented fixed date).
    pub given: bool,
}

fn iso_date<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.format("%Y-%m-%d").to_string())
}

impl Epoch {
    /// The fixed date used without `start_date`: the first day on or after 2024-01-01 (a
    /// Monday) with weekday `start_day` (0 = Monday), at UTC.
    pub fn fixed(start_day: usize) -> Epoch {
        let date = DEFAULT_MONDAY + chrono::Days::new(start_day as u64 % 7);
        Epoch { date, offset_minutes: 0, given: false }
    }
}

/// Reads `start_date` and `utc_offset`; `start_day` is the weekday key as written (if any)
/// with its value. Returns the epoch and the weekday t = 0 falls on.
pub fn read(top: &Obj<'_>, start_day: Option<(&Sp<String>, usize)>, d: &mut Diagnostics) -> (Epoch, usize) {
    let weekday = start_day.map_or(0, |(_, w)| w);
    let offset_minutes = match top.str("utc_offset", d) {
        None => 0,
        Some(s) => parse_offset(&s.v).unwrap_or_else(|| {
            d.error(Some(s.span.clone()), "utc_offset", format!("`{}` is not a UTC offset", s.v))
                .with_help("expected \"+HH:MM\" or \"-HH:MM\" between -14:00 and +14:00, such as \"+01:00\"");
            0
        }),
    };
    let Some(s) = top.str("start_date", d) else {
        return (Epoch { offset_minutes, ..Epoch::fixed(weekday) }, weekday);
    };
    let Ok(date) = NaiveDate::parse_from_str(s.v.trim(), "%Y-%m-%d") else {
        d.error(Some(s.span.clone()), "start_date", format!("`{}` is not a date", s.v))
            .with_help("expected a calendar date as YYYY-MM-DD, such as \"2026-03-02\"");
        return (Epoch { offset_minutes, ..Epoch::fixed(weekday) }, weekday);
    };
    let wd = date.weekday().num_days_from_monday() as usize;
    if let Some((given, w)) = start_day
        && w != wd
    {
        d.error(
            Some(s.span.clone()),
            "start_date",
            format!(
                "start_date {} is a {}, but start_day = \"{}\" says t = 0 is a {}",
                date.format("%Y-%m-%d"),
                day_name(wd),
                given.v,
                day_name(w)
            ),
        )
        .with_help(format!(
            "remove start_day (the date fixes the weekday) or make it \"{}\", or pick a {} as start_date",
            WEEKDAYS[wd],
            day_name(w)
        ));
    }
    (Epoch { date, offset_minutes, given: true }, wd)
}

fn day_name(w: usize) -> &'static str {
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][w % 7]
}

/// "+01:00", "-05:30", "Z" or "+00:00" as minutes east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    if s == "Z" || s == "z" {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    (m < 60 && total <= 14 * 60).then_some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+01:00"), Some(60));
        assert_eq!(parse_offset("-05:30"), Some(-330));
        assert_eq!(parse_offset("Z"), Some(0));
        assert_eq!(parse_offset("+15:00"), None);
        assert_eq!(parse_offset("01:00"), None);
        assert_eq!(parse_offset("+1:00"), None);
        assert_eq!(parse_offset("+01:60"), None);
    }

    #[test]
    fn fixed_date_has_the_start_weekday() {
        for w in 0..7 {
            let e = Epoch::fixed(w);
            assert_eq!(e.date.weekday().num_days_from_monday() as usize, w);
            assert!(!e.given);
        }
        assert_eq!(Epoch::fixed(0).date, NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
    }
}
