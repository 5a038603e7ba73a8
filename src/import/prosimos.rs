//! Simulation parameters in the JSON format of Prosimos 2.x (the open BPS model format of the
//! Prosimos / Simod tools), and their translation into branchsim's terms.
//!
//! Prosimos' conventions, as its 2.1.0 source applies them (`simulation_properties_parser.py`,
//! `pix_framework.statistics.distribution`): times are seconds; a distribution is a name and a
//! list of `{ "value": x }` — `fix [v]`, `expon [mean, min, max]` (min + an exponential of
//! mean − min), `norm [mean, sd, min, max]`, `uniform [min, max]`, `lognorm [mean, variance,
//! min, max]`, `gamma [mean, variance, min, max]` — redrawn until the value falls in
//! [max(min, 0), max]; a resource entry with `amount` n stands for n identical resources.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    pub resource_profiles: Vec<Profile>,
    pub arrival_time_distribution: Option<DistJson>,
    #[serde(default)]
    pub arrival_time_calendar: Vec<Period>,
    #[serde(default)]
    pub gateway_branching_probabilities: Vec<GatewayJson>,
    #[serde(default)]
    pub task_resource_distribution: Vec<TaskDist>,
    #[serde(default)]
    pub resource_calendars: Vec<CalendarJson>,
    #[serde(default)]
    pub event_distribution: Vec<EventDist>,
    #[serde(default)]
    pub batch_processing: Vec<Value>,
    /// Sections branchsim has no equivalent for; reported when not empty.
    #[serde(default)]
    pub case_attributes: Value,
    #[serde(default)]
    pub prioritisation_rules: Value,
    #[serde(default)]
    pub branch_rules: Value,
    #[serde(default)]
    pub event_attributes: Value,
    #[serde(default)]
    pub global_attributes: Value,
    #[serde(default)]
    pub multitask: Value,
    #[serde(default)]
    pub model_type: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Profile {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub resource_list: Vec<ResourceJson>,
}

#[derive(Debug, Deserialize)]
pub struct ResourceJson {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// A number or a numeric string (both occur in published files).
    #[serde(default = "one")]
    pub amount: Value,
    #[serde(default)]
    pub calendar: String,
    #[serde(default)]
    pub cost_per_hour: Value,
}

fn one() -> Value {
    Value::from(1)
}

/// A number or a numeric string, as Prosimos' `int(...)` / `float(...)` accept.
pub fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct DistJson {
    pub distribution_name: String,
    #[serde(default)]
    pub distribution_params: Vec<ParamJson>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ParamJson {
    pub value: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Period {
    pub from: String,
    pub to: String,
    #[serde(rename = "beginTime")]
    pub begin_time: String,
    #[serde(rename = "endTime")]
    pub end_time: String,
}

#[derive(Debug, Deserialize)]
pub struct GatewayJson {
    pub gateway_id: String,
    #[serde(default)]
    pub probabilities: Vec<PathProb>,
}

#[derive(Debug, Deserialize)]
pub struct PathProb {
    pub path_id: String,
    pub value: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct TaskDist {
    pub task_id: String,
    #[serde(default)]
    pub resources: Vec<ResourceDist>,
}

#[derive(Debug, Deserialize)]
pub struct ResourceDist {
    pub resource_id: String,
    #[serde(flatten)]
    pub dist: DistJson,
}

#[derive(Debug, Deserialize)]
pub struct CalendarJson {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub time_periods: Vec<Period>,
}

#[derive(Debug, Deserialize)]
pub struct EventDist {
    pub event_id: String,
    #[serde(flatten)]
    pub dist: DistJson,
}

/// Reads the JSON; a syntax or shape error names line and column.
pub fn parse(text: &str) -> Result<Params, String> {
    let p: Params = serde_json::from_str(text).map_err(|e| format!("not a Prosimos parameter file: {e}"))?;
    if let Some(t) = &p.model_type
        && t != "CRISP"
        && t != "CRSIP"
    {
        return Err(format!(
            "model_type `{t}` is not supported: only crisp calendars (\"CRISP\") can be imported, fuzzy availability has no branchsim equivalent"
        ));
    }
    Ok(p)
}

impl Params {
    /// Names of the sections that are present, not empty, and not imported.
    pub fn ignored_sections(&self) -> Vec<&'static str> {
        let full = |v: &Value| match v {
            Value::Null => false,
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
            _ => true,
        };
        [
            ("case_attributes", &self.case_attributes),
            ("prioritisation_rules", &self.prioritisation_rules),
            ("branch_rules", &self.branch_rules),
            ("event_attributes", &self.event_attributes),
            ("global_attributes", &self.global_attributes),
            ("multitask", &self.multitask),
        ]
        .into_iter()
        .filter(|(_, v)| full(v))
        .map(|(k, _)| k)
        .collect()
    }
}

/// A duration distribution in seconds, in the families branchsim has.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Fixed(f64),
    Exponential(f64),
    Uniform(f64, f64),
    Normal(f64, f64),
    Lognormal(f64, f64),
    Gamma(f64, f64),
}

impl Dist {
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) | Dist::Exponential(v) => v,
            Dist::Uniform(a, b) => (a + b) / 2.0,
            Dist::Normal(m, _) | Dist::Lognormal(m, _) | Dist::Gamma(m, _) => m,
        }
    }

    pub fn sd(&self) -> f64 {
        match *self {
            Dist::Fixed(_) => 0.0,
            Dist::Exponential(m) => m,
            Dist::Uniform(a, b) => (b - a) / 12f64.sqrt(),
            Dist::Normal(_, s) | Dist::Lognormal(_, s) | Dist::Gamma(_, s) => s,
        }
    }

    /// The distribution of `f` × X (f > 0): the same family, every time parameter scaled.
    pub fn scaled(&self, f: f64) -> Dist {
        match *self {
            Dist::Fixed(v) => Dist::Fixed(v * f),
            Dist::Exponential(m) => Dist::Exponential(m * f),
            Dist::Uniform(a, b) => Dist::Uniform(a * f, b * f),
            Dist::Normal(m, s) => Dist::Normal(m * f, s * f),
            Dist::Lognormal(m, s) => Dist::Lognormal(m * f, s * f),
            Dist::Gamma(m, s) => Dist::Gamma(m * f, s * f),
        }
    }

    /// The same family with another mean and sd (families that cannot take both become a
    /// gamma, or a fixed time when sd is 0).
    fn with_moments(&self, mean: f64, sd: f64) -> Dist {
        if sd <= 1e-9 * mean.max(1.0) {
            return Dist::Fixed(mean);
        }
        match self {
            Dist::Normal(..) => Dist::Normal(mean, sd),
            Dist::Lognormal(..) => Dist::Lognormal(mean, sd),
            Dist::Exponential(_) if ((sd - mean) / mean).abs() < 1e-9 => Dist::Exponential(mean),
            _ => Dist::Gamma(mean, sd),
        }
    }

    /// The inline TOML of the distribution (durations written in readable units).
    pub fn toml(&self) -> String {
        match *self {
            Dist::Fixed(v) => format!("\"{}\"", duration(v)),
            Dist::Exponential(m) => format!("{{ dist = \"exponential\", mean = \"{}\" }}", duration(m)),
            Dist::Uniform(a, b) => {
                format!("{{ dist = \"uniform\", min = \"{}\", max = \"{}\" }}", duration(a), duration(b))
            }
            Dist::Normal(m, s) => {
                format!("{{ dist = \"normal\", mean = \"{}\", sd = \"{}\" }}", duration(m), duration(s))
            }
            Dist::Lognormal(m, s) => {
                format!("{{ dist = \"lognormal\", mean = \"{}\", sd = \"{}\" }}", duration(m), duration(s))
            }
            Dist::Gamma(m, s) => {
                format!("{{ dist = \"gamma\", mean = \"{}\", sd = \"{}\" }}", duration(m), duration(s))
            }
        }
    }
}

/// A number with at most `digits` significant digits, without trailing zeros.
pub fn short(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    let decimals = (digits - 1 - mag).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// Seconds as a readable branchsim duration: `"45s"`, `"27.5min"`, `"4.12h"`.
pub fn duration(secs: f64) -> String {
    let secs = secs.max(0.0);
    if secs < 120.0 {
        format!("{}s", short(secs, 6))
    } else if secs < 3.0 * 3600.0 {
        format!("{}min", short(secs / 60.0, 6))
    } else {
        format!("{}h", short(secs / 3600.0, 6))
    }
}

/// Converts one Prosimos distribution; approximations are returned as a note.
pub fn convert(d: &DistJson) -> Result<(Dist, Option<String>), String> {
    let p: Vec<f64> = d.distribution_params.iter().map(|v| num(&v.value).unwrap_or(f64::NAN)).collect();
    let need = |n: usize| -> Result<(), String> {
        if p.len() < n || p[..n].iter().any(|x| !x.is_finite()) {
            Err(format!("`{}` needs {n} numeric parameters, found {:?}", d.distribution_name, p))
        } else {
            Ok(())
        }
    };
    let mut notes = Vec::new();
    // Bounds [min, max] (Prosimos redraws outside them): checked against mean ± 3 sd.
    let bounds = |mean: f64, sd: f64, lo: f64, hi: f64, notes: &mut Vec<String>| {
        if (lo > 0.0 && lo > mean - 3.0 * sd) || hi < mean + 3.0 * sd {
            notes.push(format!(
                "its truncation to [{}, {}] is not applied (mean {}, sd {}): branchsim draws from the untruncated distribution",
                duration(lo),
                duration(hi),
                duration(mean),
                duration(sd)
            ));
        }
    };
    let dist = match d.distribution_name.as_str() {
        "fix" => {
            need(1)?;
            Dist::Fixed(p[0].max(0.0))
        }
        "expon" => {
            need(1)?;
            let (mean, lo, hi) = (p[0], p.get(1).copied().unwrap_or(0.0), p.get(2).copied().unwrap_or(f64::INFINITY));
            if mean <= 0.0 {
                return Err(format!("`expon` needs a mean above 0, found {mean}"));
            }
            // Prosimos draws min + Exp(mean − min) (mean − min < 0: Exp(mean)).
            let scale = if mean - lo > 0.0 { mean - lo } else { mean };
            let shift = if mean - lo > 0.0 { lo.max(0.0) } else { 0.0 };
            bounds(shift + scale, scale, f64::NEG_INFINITY, hi, &mut notes);
            if shift <= 0.01 * mean {
                // A shift under 1% of the mean (a fitted minimum) changes nothing measurable.
                Dist::Exponential(mean)
            } else {
                notes.push(format!(
                    "a shifted exponential ({} + exponential of mean {}) is approximated by a gamma with the same mean and sd",
                    duration(shift),
                    duration(scale)
                ));
                Dist::Gamma(shift + scale, scale)
            }
        }
        "norm" => {
            need(2)?;
            if let (Some(&lo), Some(&hi)) = (p.get(2), p.get(3)) {
                bounds(p[0], p[1], lo, hi, &mut notes);
            }
            Dist::Normal(p[0], p[1].abs()).with_moments(p[0], p[1].abs())
        }
        "uniform" => {
            need(2)?;
            if p[1] < p[0] {
                return Err(format!("`uniform` needs min <= max, found [{}, {}]", p[0], p[1]));
            }
            if p[1] == p[0] { Dist::Fixed(p[0]) } else { Dist::Uniform(p[0].max(0.0), p[1]) }
        }
        "lognorm" | "gamma" => {
            need(2)?;
            let (mean, sd) = (p[0], p[1].max(0.0).sqrt());
            if mean <= 0.0 {
                return Err(format!("`{}` needs a mean above 0, found {mean}", d.distribution_name));
            }
            if let (Some(&lo), Some(&hi)) = (p.get(2), p.get(3)) {
                bounds(mean, sd, lo, hi, &mut notes);
            }
            let base = if d.distribution_name == "gamma" { Dist::Gamma(mean, sd) } else { Dist::Lognormal(mean, sd) };
            base.with_moments(mean, sd.min(100.0 * mean))
        }
        other => {
            return Err(format!(
                "distribution `{other}` is not supported (Prosimos 2.x: fix, expon, norm, uniform, lognorm, gamma)"
            ));
        }
    };
    Ok((dist, (!notes.is_empty()).then(|| notes.join("; "))))
}

/// The distribution of a task served by several resources with different distributions:
/// the amount-weighted mixture's mean and sd, in the family of the first. Exact when every
/// resource is equally likely to get a case and all share one distribution; otherwise it
/// keeps the first two moments of the pooled service time.
pub fn mixture(parts: &[(Dist, f64)]) -> Dist {
    let w: f64 = parts.iter().map(|p| p.1).sum();
    if parts.windows(2).all(|x| x[0].0 == x[1].0) || w <= 0.0 {
        return parts[0].0.clone();
    }
    let mean = parts.iter().map(|(d, a)| a * d.mean()).sum::<f64>() / w;
    let m2 = parts.iter().map(|(d, a)| a * (d.sd().powi(2) + d.mean().powi(2))).sum::<f64>() / w;
    parts[0].0.with_moments(mean, (m2 - mean * mean).max(0.0).sqrt())
}

/// Opening hours per weekday (Monday first) in minutes after midnight, merged and sorted.
pub type Week = [Vec<(f64, f64)>; 7];

const DAYS: [&str; 7] = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];

fn day(s: &str) -> Result<usize, String> {
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| format!("unknown weekday `{s}` (expected MONDAY … SUNDAY)"))
}

/// `HH:MM[:SS[.fff]]` → minutes; seconds are kept (rounded to the minute on output).
fn clock(s: &str) -> Result<f64, String> {
    let mut it = s.trim().split(':');
    let bad = || format!("unreadable time `{s}` (expected HH:MM:SS)");
    let h: f64 = it.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let m: f64 = it.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let sec: f64 = it.next().map(|x| x.parse().map_err(|_| bad())).transpose()?.unwrap_or(0.0);
    if !(0.0..=24.0).contains(&h) || !(0.0..60.0).contains(&m) || !(0.0..61.0).contains(&sec) {
        return Err(bad());
    }
    Ok(h * 60.0 + m + sec / 60.0)
}

/// A Prosimos calendar as a week of opening hours. Times are rounded to the minute
/// (branchsim calendars are `HH:MM`); an end of 23:59:59 means midnight. A period whose end
/// is before its begin runs past midnight into the next day.
pub fn week(periods: &[Period]) -> Result<(Week, Vec<String>), String> {
    let mut w: Week = Default::default();
    let mut notes = Vec::new();
    for p in periods {
        let (a, b) = (day(&p.from)?, day(&p.to)?);
        let (mut s, mut e) = (clock(&p.begin_time)?, clock(&p.end_time)?);
        if e >= 1439.0 + 58.0 / 60.0 {
            e = 1440.0;
        }
        for x in [&mut s, &mut e] {
            let r = x.round();
            if (r - *x).abs() > 1e-6 {
                notes.push(format!("{} rounded to the minute", p.begin_time.clone() + "–" + &p.end_time));
                *x = r;
            }
        }
        let days: Vec<usize> = if a <= b { (a..=b).collect() } else { (a..7).chain(0..=b).collect() };
        for d in days {
            if s < e {
                w[d].push((s, e));
            } else if s > e {
                w[d].push((s, 1440.0));
                w[(d + 1) % 7].push((0.0, e));
            }
        }
    }
    for d in w.iter_mut() {
        d.sort_by(|x, y| x.0.total_cmp(&y.0));
        let mut merged: Vec<(f64, f64)> = Vec::new();
        for &(s, e) in d.iter() {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        *d = merged;
    }
    notes.dedup();
    Ok((w, notes))
}

/// The TOML table body of a week (`mon = ["09:00-17:00"]`, closed days left out).
pub fn week_toml(w: &Week) -> String {
    const KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let hm = |m: f64| format!("{:02}:{:02}", (m / 60.0).floor() as u32, (m % 60.0).round() as u32);
    let mut out = String::new();
    for (d, ranges) in w.iter().enumerate() {
        if ranges.is_empty() {
            continue;
        }
        let r: Vec<String> = ranges.iter().map(|&(s, e)| format!("\"{}-{}\"", hm(s), hm(e))).collect();
        out.push_str(&format!("{} = [{}]\n", KEYS[d], r.join(", ")));
    }
    out
}

/// Open minutes per week, and the expected number of arrivals Prosimos adds per week by
/// moving each arrival drawn in closed time to the next opening. For exponential
/// inter-arrival times of mean `m` this is exact: the pending arrival at a closing lands in
/// the closed gap of length C with probability 1 − exp(−C/m) and then arrives at the
/// opening; otherwise it arrives later as if the gap were not there.
pub fn arrival_week(w: &Week, mean_min: f64) -> (f64, f64) {
    let mut spans: Vec<(f64, f64)> = Vec::new();
    for (d, r) in w.iter().enumerate() {
        for &(s, e) in r {
            let (s, e) = (d as f64 * 1440.0 + s, d as f64 * 1440.0 + e);
            match spans.last_mut() {
                Some(l) if s <= l.1 + 1e-9 => l.1 = e,
                _ => spans.push((s, e)),
            }
        }
    }
    if spans.len() > 1 && spans[0].0 <= 1e-9 && spans[spans.len() - 1].1 >= 7.0 * 1440.0 - 1e-9 {
        let first = spans.remove(0);
        if let Some(last) = spans.last_mut() {
            last.1 = 7.0 * 1440.0 + first.1;
        }
    }
    let open: f64 = spans.iter().map(|s| s.1 - s.0).sum();
    let mut extra = 0.0;
    for i in 0..spans.len() {
        let prev_end = if i == 0 { spans[spans.len() - 1].1 - 7.0 * 1440.0 } else { spans[i - 1].1 };
        let gap = (spans[i].0 - prev_end).max(0.0);
        if gap > 0.0 {
            extra += 1.0 - (-gap / mean_min).exp();
        }
    }
    (open, extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dj(name: &str, v: &[f64]) -> DistJson {
        DistJson {
            distribution_name: name.into(),
            distribution_params: v.iter().map(|&x| ParamJson { value: Value::from(x) }).collect(),
        }
    }

    #[test]
    fn prosimos_parameters_map_to_mean_and_sd() {
        assert_eq!(convert(&dj("fix", &[60.0])).unwrap().0, Dist::Fixed(60.0));
        assert_eq!(convert(&dj("expon", &[600.0, 0.0, 1e9])).unwrap().0, Dist::Exponential(600.0));
        // lognorm's second parameter is the variance.
        assert_eq!(convert(&dj("lognorm", &[600.0, 3600.0, 0.0, 1e9])).unwrap().0, Dist::Lognormal(600.0, 60.0));
        // A shifted exponential keeps mean and sd, as a gamma, with a note.
        let (d, note) = convert(&dj("expon", &[1650.0, 1500.0, 3600.0])).unwrap();
        assert_eq!(d, Dist::Gamma(1650.0, 150.0));
        assert!(note.unwrap().contains("shifted exponential"));
        assert!(convert(&dj("weibull", &[1.0])).unwrap_err().contains("not supported"));
    }

    #[test]
    fn a_mixture_keeps_the_pooled_mean_and_variance() {
        let d = mixture(&[(Dist::Exponential(100.0), 1.0), (Dist::Exponential(300.0), 1.0)]);
        // mean 200; E[X²] = (2·100² + 2·300²)/2 = 100000 → var 60000.
        let Dist::Gamma(m, s) = d else { panic!("{d:?}") };
        assert!((m - 200.0).abs() < 1e-9 && (s - 60000f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn weekly_periods_become_merged_days_and_end_of_day_is_midnight() {
        let p = |f: &str, t: &str, b: &str, e: &str| Period {
            from: f.into(),
            to: t.into(),
            begin_time: b.into(),
            end_time: e.into(),
        };
        let (w, _) =
            week(&[p("MONDAY", "FRIDAY", "09:00:00", "17:00:00"), p("SATURDAY", "SATURDAY", "10:00", "23:59:59.999")])
                .unwrap();
        assert_eq!(w[0], vec![(540.0, 1020.0)]);
        assert_eq!(w[5], vec![(600.0, 1440.0)]);
        assert!(w[6].is_empty());
        assert_eq!(week_toml(&w).lines().next(), Some("mon = [\"09:00-17:00\"]"));
    }

    #[test]
    fn arrivals_moved_out_of_closed_time_add_one_per_long_gap() {
        let (w, _) = week(&[Period {
            from: "MONDAY".into(),
            to: "FRIDAY".into(),
            begin_time: "09:00".into(),
            end_time: "17:00".into(),
        }])
        .unwrap();
        let (open, extra) = arrival_week(&w, 20.0);
        assert_eq!(open, 5.0 * 480.0);
        // Five gaps of 16 h or more: each almost surely holds the pending arrival.
        assert!((extra - 5.0).abs() < 1e-6, "{extra}");
    }
}
