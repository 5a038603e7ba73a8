//! Calendars: opening hours per weekday, and the weekly timelines built from them.
//!
//! A calendar, a daily staff schedule, breaks and weekday factors are all functions of the
//! clock time and the weekday, so each compiles to a `Timeline` that repeats every week of
//! simulation time (t = 0 is `start` on `start_day`). The engine then only walks timelines.

use super::diag::{Diagnostics, did_you_mean};
use super::reader::{Sp, name_ok};
use super::schema::{CalendarSpec, WEEKDAYS};
use super::tree::{Node, Val};
use super::units;
use crate::model::{DAY, Instants, Timeline, WEEK};

pub const CAL_KEYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun", "weekdays", "weekend"];

/// Reads `[calendars.NAME]`: `mon = "09:00-17:00"`, `sat = "closed"`,
/// `weekdays = ["08:30-12:00", "13:00-17:00"]` (Monday to Friday). Days not given are closed.
///
/// A calendar with a bad day is still returned (that day closed; the error stops the load):
/// its name stays known, so every use of it is not also reported as "unknown calendar".
pub fn read_calendar(name: Sp<String>, n: &Node, path: &str, d: &mut Diagnostics) -> Option<CalendarSpec> {
    let cpath = format!("{path}.{}", name.v);
    if !name_ok(&name.v, &name.span, &cpath, d) {
        return None;
    }
    let mut hours: [Vec<(f64, f64)>; 7] = Default::default();
    let Some(t) = n.as_table() else {
        d.error(Some(n.span.clone()), cpath, format!("expected a table of opening hours, found {}", n.type_name()))
            .with_help("e.g. [calendars.office] weekdays = \"09:00-17:00\"");
        return Some(CalendarSpec { name, hours });
    };
    let errors = d.error_count();
    // Group keys first so that a single day can override them.
    let order = ["weekdays", "weekend", "mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    for key in t.entries.iter().map(|(k, _)| k) {
        if !CAL_KEYS.contains(&key.name.as_str()) {
            d.error(
                Some(key.span.clone()),
                format!("{cpath}.{}", key.name),
                format!("unknown key `{}` in calendar `{}`", key.name, name.v),
            )
            .with_help(format!(
                "weekday keys are mon … sun, weekdays (mon–fri), weekend (sat–sun); {}",
                did_you_mean(&key.name, CAL_KEYS)
            ));
        }
    }
    for key in order {
        let Some(v) = t.get(key) else { continue };
        let Some(ranges) = read_hours(v, &format!("{cpath}.{key}"), d) else { continue };
        let days: Vec<usize> = match key {
            "weekdays" => (0..5).collect(),
            "weekend" => vec![5, 6],
            k => WEEKDAYS.iter().position(|w| *w == k).into_iter().collect(),
        };
        for day in days {
            hours[day] = ranges.clone();
        }
    }
    if hours.iter().all(Vec::is_empty) && d.error_count() == errors {
        d.error(Some(n.span.clone()), cpath, format!("calendar `{}` is never open", name.v))
            .with_help("give opening hours, e.g. weekdays = \"09:00-17:00\"");
    }
    Some(CalendarSpec { name, hours })
}

/// `"09:00-17:00"`, `"closed"`, or an array of ranges; "24:00" is accepted as an end.
fn read_hours(n: &Node, key: &str, d: &mut Diagnostics) -> Option<Vec<(f64, f64)>> {
    let items: Vec<&Node> = match &n.val {
        Val::Array(a) => a.iter().collect(),
        _ => vec![n],
    };
    let mut out: Vec<(f64, f64)> = Vec::new();
    for it in items {
        let Some(s) = it.as_str() else {
            d.error(
                Some(it.span.clone()),
                key,
                format!("expected opening hours such as \"09:00-17:00\", found {}", it.type_name()),
            );
            return None;
        };
        if s.trim() == "closed" {
            continue;
        }
        let parsed = s.split_once('-').and_then(|(a, b)| {
            let a = units::parse_clock(a).ok()?;
            let b = if b.trim() == "24:00" { Some(DAY) } else { units::parse_clock(b).ok() }?;
            Some((a, b))
        });
        match parsed {
            Some((a, b)) if b > a => out.push((a, b)),
            Some(_) => {
                d.error(Some(it.span.clone()), key, format!("`{s}`: closing time must be after opening time (hours cannot span midnight; split them over two days)"));
                return None;
            }
            None => {
                d.error(Some(it.span.clone()), key, format!("`{s}` is not a range of clock times"))
                    .with_help("write \"HH:MM-HH:MM\", e.g. \"09:00-17:00\", or \"closed\"");
                return None;
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    if out.windows(2).any(|w| w[1].0 < w[0].1) {
        d.error(Some(n.span.clone()), key, "opening hours overlap");
        return None;
    }
    Some(out)
}

/// Clock of t = 0 (minutes after midnight) and its weekday: turns clock/weekday rules into
/// simulation times.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub start: f64,
    pub start_day: usize,
}

impl Clock {
    /// Weekday (0 = Monday) and minute of the day at simulation time `t`.
    pub fn at(&self, t: f64) -> (usize, f64) {
        let abs = self.start + t;
        let day = (abs / DAY).floor();
        let wd = (self.start_day as i64 + day as i64).rem_euclid(7) as usize;
        (wd, abs - day * DAY)
    }

    /// Simulation times within one week [0, WEEK) at which the clock shows `minute`.
    pub fn daily(&self, minute: f64) -> Vec<f64> {
        (-1..=8).map(|k| k as f64 * DAY + minute - self.start).filter(|t| (0.0..WEEK).contains(t)).collect()
    }

    /// Builds the weekly timeline of `f`, which may change only at the given clock minutes.
    pub fn timeline(&self, minutes: &[f64], f: impl Fn(f64) -> f64) -> Timeline {
        let mut cuts: Vec<f64> = vec![0.0];
        for m in minutes {
            cuts.extend(self.daily(*m));
        }
        cuts.extend(self.daily(0.0));
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let mut times = Vec::new();
        let mut values: Vec<f64> = Vec::new();
        for t in cuts {
            let v = f(t);
            if values.last() != Some(&v) {
                times.push(t);
                values.push(v);
            }
        }
        Timeline::new(times, values, WEEK)
    }

    /// Whether the calendar hours are open at `t`.
    pub fn open(&self, hours: &[Vec<(f64, f64)>; 7], t: f64) -> bool {
        let (wd, m) = self.at(t);
        hours[wd].iter().any(|&(a, b)| a <= m && m < b)
    }

    /// Clock minutes at which the hours open or close.
    pub fn edges(hours: &[Vec<(f64, f64)>; 7]) -> Vec<f64> {
        hours.iter().flatten().flat_map(|&(a, b)| [a, b % DAY]).collect()
    }

    /// The daily clock times `at`, on days when `hours` (if any) are open at some time.
    pub fn instants(&self, at: &[f64], hours: Option<&[Vec<(f64, f64)>; 7]>) -> Instants {
        let mut times: Vec<f64> = at
            .iter()
            .flat_map(|m| self.daily(*m))
            .filter(|t| hours.is_none_or(|h| !h[self.at(*t).0].is_empty()))
            .collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        Instants { times, period: WEEK }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> [Vec<(f64, f64)>; 7] {
        let mut h: [Vec<(f64, f64)>; 7] = Default::default();
        for d in h.iter_mut().take(5) {
            d.push((540.0, 1020.0));
        }
        h
    }

    #[test]
    fn weekly_open_hours_from_a_monday_8am_start() {
        let c = Clock { start: 480.0, start_day: 0 };
        let h = office();
        let tl = c.timeline(&Clock::edges(&h), |t| if c.open(&h, t) { 1.0 } else { 0.0 });
        assert_eq!(tl.at(0.0), 0.0); // Monday 08:00
        assert_eq!(tl.at(60.0), 1.0); // Monday 09:00
        assert_eq!(tl.at(539.0), 1.0);
        assert_eq!(tl.at(540.0), 0.0); // Monday 17:00
        assert_eq!(tl.per_period, 5.0 * 480.0);
        // Friday 16:00 is open, Saturday 10:00 is closed, next Monday 09:30 open.
        assert_eq!(tl.at(4.0 * DAY + 480.0), 1.0);
        assert_eq!(tl.at(5.0 * DAY + 120.0), 0.0);
        assert_eq!(tl.at(7.0 * DAY + 90.0), 1.0);
        assert!((tl.integral(2.0 * WEEK + 61.0) - (10.0 * 480.0 + 1.0)).abs() < 1e-9);
    }

    #[test]
    fn daily_instants_skip_closed_days() {
        let c = Clock { start: 0.0, start_day: 4 }; // Friday midnight
        let h = office();
        let i = c.instants(&[900.0], Some(&h));
        // Friday 15:00, then Monday .. Thursday 15:00.
        assert_eq!(i.nth(0), Some(900.0));
        assert_eq!(i.nth(1), Some(3.0 * DAY + 900.0));
        assert_eq!(i.times.len(), 5);
        assert_eq!(i.first_from(901.0), 1);
    }
}
