//! Golden results: `branchsim record` writes them, `branchsim check --baseline` compares a new
//! run with them KPI by KPI.
//!
//! The test for each KPI is Welch's two-sample t test on the replication means (the recorded
//! run and the new run are treated as independent samples; when they share the seed they are
//! positively correlated, which only makes the test more conservative). The family-wise level
//! α (default 0.001) is split over every KPI compared (Bonferroni), so re-running an unchanged
//! scenario with another seed fails with probability at most α, however many KPIs there are.
//! Differences below 1e-9 of the KPI's size are never reported (they are rounding, not change),
//! and `--tolerance` additionally ignores significant changes smaller than a fraction of the
//! recorded mean.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::report::Results;
use crate::scenario::Loaded;
use crate::scenario::units::TimeUnit;
use crate::stats::nan_serde;
use crate::stats::student_t::t_cdf;

pub const FORMAT: &str = "branchsim-baseline";
pub const FORMAT_VERSION: u32 = 1;
/// Baseline files larger than this are refused (a recorded scenario is a few hundred KB).
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Relative size below which a difference is rounding noise, never a change.
pub const ROUNDING: f64 = 1e-9;

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineScenario {
    pub name: String,
    pub file: String,
    pub content_hash: String,
}

/// One KPI of one variant, in the recorded time unit.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Recorded {
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub sd: f64,
    pub n: u64,
    #[serde(deserialize_with = "nan_serde::pair")]
    #[schemars(with = "[Option<f64>; 2]")]
    pub ci95: [f64; 2],
}

#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Baseline {
    pub format: String,
    pub format_version: u32,
    pub branchsim_version: String,
    pub scenario: BaselineScenario,
    pub seed: u64,
    pub replications: u64,
    pub time_unit: TimeUnit,
    /// variant → KPI path → recorded statistics.
    pub variants: IndexMap<String, IndexMap<String, Recorded>>,
}

impl Baseline {
    pub fn from_results(loaded: &Loaded, r: &Results) -> Baseline {
        let variants = r
            .variants
            .iter()
            .map(|(name, v)| {
                let kpis = v
                    .all()
                    .into_iter()
                    .map(|(path, s)| (path, Recorded { mean: s.mean, sd: s.sd, n: s.n, ci95: s.ci95 }))
                    .collect();
                (name.clone(), kpis)
            })
            .collect();
        Baseline {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            branchsim_version: env!("CARGO_PKG_VERSION").into(),
            scenario: BaselineScenario {
                name: r.scenario.name.clone(),
                file: loaded.path.clone(),
                content_hash: loaded.content_hash.clone(),
            },
            seed: r.seed,
            replications: r.replications,
            time_unit: r.scenario.time_unit,
            variants,
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    /// Parses a baseline file; every failure is a message for the user.
    pub fn from_json(text: &str) -> Result<Baseline, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a branchsim baseline file (not JSON: {e})"))?;
        let fmt = v.get("format").and_then(|f| f.as_str());
        if fmt != Some(FORMAT) {
            let hint = if v.get("schema_version").is_some() {
                "; this looks like a summary.json: record a baseline with `branchsim record FILE --to baseline.json`"
            } else {
                "; record one with `branchsim record FILE --to baseline.json`"
            };
            return Err(format!("not a branchsim baseline file{hint}"));
        }
        let ver = v.get("format_version").and_then(|f| f.as_u64());
        if ver != Some(u64::from(FORMAT_VERSION)) {
            return Err(format!(
                "baseline format_version {} is not supported (this branchsim reads {FORMAT_VERSION}); record the baseline again",
                ver.map_or_else(|| "(missing)".to_string(), |x| x.to_string())
            ));
        }
        let b: Baseline = serde_json::from_value(v).map_err(|e| format!("invalid branchsim baseline file: {e}"))?;
        b.consistent().map_err(|e| format!("invalid branchsim baseline file: {e}"))?;
        Ok(b)
    }

    /// Refuses what `record` can never write: a Welch test fed a negative `sd`, an `n` beyond
    /// the replications or a reversed interval would give a verdict on nonsense.
    fn consistent(&self) -> Result<(), String> {
        let max = crate::cli::budget::MAX_REPLICATIONS;
        if !(2..=max).contains(&self.replications) {
            return Err(format!("`replications` is {}; a baseline holds 2 to {max}", self.replications));
        }
        for (variant, kpis) in &self.variants {
            for (path, r) in kpis {
                let at = format!("variant `{variant}`, KPI `{path}`");
                if r.sd < 0.0 || r.sd.is_infinite() {
                    return Err(format!("{at}: `sd` is {}; a standard deviation is a finite number >= 0", r.sd));
                }
                if r.mean.is_infinite() {
                    return Err(format!("{at}: `mean` is infinite"));
                }
                if r.n > self.replications {
                    return Err(format!(
                        "{at}: `n` is {} but the baseline has {} replications",
                        r.n, self.replications
                    ));
                }
                let [lo, hi] = r.ci95;
                if lo.is_infinite()
                    || hi.is_infinite()
                    || lo > hi
                    || (r.mean.is_finite() && (r.mean < lo || r.mean > hi))
                {
                    return Err(format!("{at}: `ci95` [{lo}, {hi}] is not an interval around the mean {}", r.mean));
                }
            }
        }
        Ok(())
    }
}

/// The outcome of comparing one KPI with its recorded value.
#[derive(Clone, Debug)]
pub struct Welch {
    pub diff: f64,
    /// Two-sided p value (1 when the difference is rounding, 0 when a noise-free KPI moved).
    pub p: f64,
    pub df: f64,
    pub t: f64,
}

/// Welch's test of equal means from summary statistics (`None` when either side has fewer
/// than two defined replications).
pub fn welch(m1: f64, s1: f64, n1: u64, m0: f64, s0: f64, n0: u64) -> Option<Welch> {
    if n1 < 2 || n0 < 2 || !m1.is_finite() || !m0.is_finite() {
        return None;
    }
    let s1 = if s1.is_finite() { s1 } else { 0.0 };
    let s0 = if s0.is_finite() { s0 } else { 0.0 };
    let diff = m1 - m0;
    let scale = m1.abs().max(m0.abs());
    if diff.abs() <= ROUNDING * scale || diff == 0.0 {
        return Some(Welch { diff, p: 1.0, df: f64::NAN, t: 0.0 });
    }
    let (a, b) = (s1 * s1 / n1 as f64, s0 * s0 / n0 as f64);
    let se = (a + b).sqrt();
    if se <= ROUNDING * scale || se == 0.0 {
        // Both sides are (numerically) noise-free and the values differ: a certain change.
        return Some(Welch { diff, p: 0.0, df: f64::INFINITY, t: diff.signum() * f64::INFINITY });
    }
    let df = (a + b).powi(2) / (a * a / (n1 - 1) as f64 + b * b / (n0 - 1) as f64);
    let t = diff / se;
    let p = (2.0 * t_cdf(-t.abs(), df)).min(1.0);
    Some(Welch { diff, p, df, t })
}

/// Minutes of one recorded time unit over minutes of the current one: multiply recorded
/// durations by this to compare them.
pub fn unit_factor(recorded: TimeUnit, current: TimeUnit) -> f64 {
    recorded.minutes() / current.minutes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welch_basics() {
        // Same mean: p = 1.
        let w = welch(5.0, 1.0, 100, 5.0, 1.0, 100);
        assert!(w.is_some_and(|w| w.p == 1.0));
        // A large shift is significant.
        let w = welch(6.0, 1.0, 100, 5.0, 1.0, 100);
        assert!(w.is_some_and(|w| w.p < 1e-9));
        // A small one is not.
        let w = welch(5.1, 1.0, 100, 5.0, 1.0, 100);
        assert!(w.is_some_and(|w| w.p > 0.1));
        // Noise-free KPIs: equal up to rounding passes, a real move is certain.
        let w = welch(2992.0 + 1e-10, 0.0, 50, 2992.0, 0.0, 50);
        assert!(w.is_some_and(|w| w.p == 1.0));
        let w = welch(3048.0, 0.0, 50, 2992.0, 0.0, 50);
        assert!(w.is_some_and(|w| w.p == 0.0));
        // Too few replications: no test.
        assert!(welch(1.0, f64::NAN, 1, 1.0, 0.5, 10).is_none());
    }

    #[test]
    fn rejects_other_json() {
        assert!(Baseline::from_json("{\"schema_version\": 1}").is_err_and(|e| e.contains("summary.json")));
        assert!(Baseline::from_json("not json").is_err());
        assert!(
            Baseline::from_json("{\"format\": \"branchsim-baseline\", \"format_version\": 9}")
                .is_err_and(|e| e.contains("format_version"))
        );
    }
}
