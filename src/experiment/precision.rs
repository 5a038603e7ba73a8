//! Precision-driven stopping: add replications until every named KPI's 95% CI is narrow enough.
//!
//! The decision to continue depends only on the results of replications 0..n, which do not
//! depend on the thread count, so the final replication count is reproducible too.

use super::VariantResult;
use crate::kpi;
use crate::scenario::units;

#[derive(Clone, Debug, PartialEq)]
pub struct PrecisionTarget {
    /// KPI path, e.g. `wait_mean` or `steps.teller.queue_mean`.
    pub kpi: String,
    /// Half-width relative to the mean (0.05 = 5%).
    pub relative: Option<f64>,
    /// Absolute half-width (minutes for duration KPIs).
    pub absolute: Option<f64>,
}

impl PrecisionTarget {
    /// Parses `wait_mean=0.05`, `wait_mean=5%`, `wait_mean=0.2min` or `abandon_rate=0.01abs`.
    pub fn parse(s: &str) -> Result<PrecisionTarget, String> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected KPI=TARGET, e.g. wait_mean=0.05 or wait_mean=0.2min"))?;
        let (k, v) = (k.trim().to_string(), v.trim());
        let bad = || {
            format!(
                "`{v}` in `{s}` is not a target: use a relative half-width (0.05 or 5%), a duration (0.2min) or an absolute value (0.01abs)"
            )
        };
        let positive = |x: f64| {
            if x.is_finite() && x > 0.0 { Ok(x) } else { Err(bad()) }
        };
        if let Some(p) = v.strip_suffix('%') {
            let x: f64 = p.trim().parse().map_err(|_| bad())?;
            return Ok(PrecisionTarget { kpi: k, relative: Some(positive(x / 100.0)?), absolute: None });
        }
        if let Some(a) = v.strip_suffix("abs") {
            let x: f64 = a.trim().parse().map_err(|_| bad())?;
            return Ok(PrecisionTarget { kpi: k, relative: None, absolute: Some(positive(x)?) });
        }
        if let Ok(x) = v.parse::<f64>() {
            return Ok(PrecisionTarget { kpi: k, relative: Some(positive(x)?), absolute: None });
        }
        let minutes = units::parse_duration(v).map_err(|_| bad())?;
        let last = k.rsplit('.').next().unwrap_or(&k);
        if !kpi::is_duration(last) {
            return Err(format!(
                "`{s}`: `{k}` is not a duration KPI, so its target cannot be a duration; use 0.05 (relative) or 0.01abs"
            ));
        }
        Ok(PrecisionTarget { kpi: k, relative: None, absolute: Some(positive(minutes)?) })
    }
}

#[derive(Clone, Debug)]
pub struct Precision {
    pub targets: Vec<PrecisionTarget>,
    pub max_replications: u64,
}

impl Precision {
    /// The replication total of the next batch: grow by half (at least 10), up to the cap.
    pub fn next_total(&self, done: u64) -> u64 {
        (done + (done / 2).max(10)).min(self.max_replications)
    }

    pub fn evaluate(&self, variants: &[VariantResult]) -> Outcome {
        let mut rows = Vec::new();
        for v in variants {
            for t in &self.targets {
                let Some(k) = v.find(&t.kpi) else { continue };
                let s = v.summary(k);
                let hw = s.half_width();
                let goal = match (t.relative, t.absolute) {
                    (Some(r), _) => r * s.mean.abs(),
                    (_, Some(a)) => a,
                    _ => f64::NAN,
                };
                rows.push(TargetStatus {
                    variant: v.name.clone(),
                    kpi: t.kpi.clone(),
                    mean: s.mean,
                    half_width: hw,
                    goal,
                    met: hw.is_finite() && hw <= goal,
                });
            }
        }
        Outcome { rows, replications: variants.first().map_or(0, |v| v.replications() as u64) }
    }
}

#[derive(Clone, Debug)]
pub struct TargetStatus {
    pub variant: String,
    pub kpi: String,
    pub mean: f64,
    pub half_width: f64,
    /// Half-width needed, in the KPI's engine unit.
    pub goal: f64,
    pub met: bool,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub rows: Vec<TargetStatus>,
    pub replications: u64,
}

impl Outcome {
    pub fn all_met(&self) -> bool {
        self.rows.iter().all(|r| r.met)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        assert_eq!(PrecisionTarget::parse("wait_mean=0.05").map(|t| t.relative), Ok(Some(0.05)));
        assert_eq!(PrecisionTarget::parse("wait_mean=5%").map(|t| t.relative), Ok(Some(0.05)));
        assert_eq!(PrecisionTarget::parse("wait_mean=30s").map(|t| t.absolute), Ok(Some(0.5)));
        assert_eq!(PrecisionTarget::parse("abandon_rate=0.01abs").map(|t| t.absolute), Ok(Some(0.01)));
        assert!(PrecisionTarget::parse("abandon_rate=1min").is_err());
        assert!(PrecisionTarget::parse("wait_mean").is_err());
        assert!(PrecisionTarget::parse("wait_mean=-1").is_err());
    }
}
