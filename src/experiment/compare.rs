//! Comparing variants: paired differences under common random numbers, Bonferroni-corrected
//! significance, screening for the best variant, cost against service, bottlenecks.

use serde::{Deserialize, Serialize};

use super::VariantResult;
use crate::kpi::{self, Group};
use crate::stats::nan_serde;
use crate::stats::student_t::t_quantile;
use crate::stats::summary::half_width;

/// One KPI of one variant against the baseline.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Difference {
    pub variant: String,
    pub kpi: String,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub baseline_mean: f64,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub variant_mean: f64,
    /// Mean of paired differences (variant − baseline).
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub diff: f64,
    /// 95% CI of the paired difference (not adjusted).
    #[serde(deserialize_with = "nan_serde::pair")]
    #[schemars(with = "[Option<f64>; 2]")]
    pub ci95: [f64; 2],
    /// CI at the Bonferroni-adjusted level 1 − 0.05/m, m = variants compared.
    #[serde(deserialize_with = "nan_serde::pair")]
    #[schemars(with = "[Option<f64>; 2]")]
    pub ci_adjusted: [f64; 2],
    /// Welch CI of the difference of means ignoring the pairing: what CRN gained.
    #[serde(deserialize_with = "nan_serde::pair")]
    #[schemars(with = "[Option<f64>; 2]")]
    pub ci95_unpaired: [f64; 2],
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub relative: f64,
    pub significant: bool,
    pub n: u64,
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    if x.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = x.iter().sum::<f64>() / n;
    let v = if x.len() > 1 { x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0) } else { f64::NAN };
    (m, v.max(0.0).sqrt())
}

/// Paired differences of every KPI the two variants share, for each variant vs `base`.
pub fn differences(base: &VariantResult, others: &[&VariantResult]) -> Vec<Difference> {
    let m = others.len().max(1) as f64;
    let adj_level = 1.0 - 0.05 / m;
    let mut out = Vec::new();
    // Steps a variant removed, by name (a set: a model may have thousands of steps).
    let removed_of = |r: &VariantResult| -> std::collections::HashSet<String> {
        r.model.steps.iter().filter(|s| s.pass_through).map(|s| s.name.clone()).collect()
    };
    let removed_base = removed_of(base);
    for v in others {
        let removed_v = removed_of(v);
        for (kb, id) in base.catalogue.iter().enumerate() {
            let path = id.path();
            if id.group == Group::Step && (removed_base.contains(&id.entity) || removed_v.contains(&id.entity)) {
                continue;
            }
            let Some(kv) = v.find(&path) else { continue };
            let (mut d, mut xb, mut xv) = (Vec::new(), Vec::new(), Vec::new());
            for (rb, rv) in base.rows.iter().zip(&v.rows) {
                let (a, b) = (rb[kb], rv[kv]);
                if a.is_finite() && b.is_finite() {
                    d.push(b - a);
                    xb.push(a);
                    xv.push(b);
                }
            }
            let n = d.len() as u64;
            let (dm, dsd) = mean_sd(&d);
            let (bm, bsd) = mean_sd(&xb);
            let (vm, vsd) = mean_sd(&xv);
            let h = half_width(dsd, n, 0.95);
            let ha = half_width(dsd, n, adj_level);
            let hu = welch_half_width(bsd, vsd, n, n);
            let significant = n > 1 && (dm - ha > 0.0 || dm + ha < 0.0);
            out.push(Difference {
                variant: v.name.clone(),
                kpi: path,
                baseline_mean: bm,
                variant_mean: vm,
                diff: dm,
                ci95: [dm - h, dm + h],
                ci_adjusted: [dm - ha, dm + ha],
                ci95_unpaired: [dm - hu, dm + hu],
                relative: if bm != 0.0 { dm / bm.abs() } else { f64::NAN },
                significant,
                n,
            });
        }
    }
    out
}

fn welch_half_width(s1: f64, s2: f64, n1: u64, n2: u64) -> f64 {
    if n1 < 2 || n2 < 2 {
        return f64::NAN;
    }
    let (a, b) = (s1 * s1 / n1 as f64, s2 * s2 / n2 as f64);
    let se = (a + b).sqrt();
    if se == 0.0 {
        return 0.0;
    }
    let df = (a + b).powi(2) / (a * a / (n1 - 1) as f64 + b * b / (n2 - 1) as f64);
    t_quantile(0.975, df) * se
}

/// Ranking of variants by an objective KPI, with the subset that cannot be told apart from
/// the best (screening of Nelson et al. 2001 with Bonferroni over k−1 paired comparisons and
/// an indifference amount δ).
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Ranking {
    pub kpi: String,
    pub minimise: bool,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub indifference: f64,
    /// Variant names, best first, with their means and whether they are in the best subset.
    #[serde(deserialize_with = "nan_serde::ranked")]
    #[schemars(with = "Vec<(String, Option<f64>, bool)>")]
    pub order: Vec<(String, f64, bool)>,
    /// Where the objective came from: "scenario" (its `objective` key) or "--objective".
    #[serde(default)]
    pub source: String,
    /// The constraint a recommended variant must meet (`service_level >= 0.8`), as written.
    #[serde(default)]
    pub constraint: Option<String>,
    /// Variants whose mean misses the constraint: never recommended.
    #[serde(default)]
    pub infeasible: Vec<String>,
}

impl Ranking {
    /// The recommended variant: the best-ranked one that meets the constraint.
    pub fn winner(&self) -> Option<&(String, f64, bool)> {
        self.order.iter().find(|o| !self.infeasible.contains(&o.0))
    }
}

pub fn rank(variants: &[&VariantResult], kpi_path: &str, minimise: bool, indifference: f64) -> Option<Ranking> {
    let cols: Vec<Vec<f64>> =
        variants.iter().map(|v| v.find(kpi_path).map(|k| v.column(k)).unwrap_or_default()).collect();
    if cols.iter().any(Vec::is_empty) {
        return None;
    }
    let k = variants.len();
    let sign = if minimise { 1.0 } else { -1.0 };
    let means: Vec<f64> =
        cols.iter().map(|c| mean_sd(&c.iter().copied().filter(|x| x.is_finite()).collect::<Vec<_>>()).0).collect();
    let mut keep = vec![true; k];
    if k > 1 {
        let level = 1.0 - 0.05 / (k - 1) as f64;
        for i in 0..k {
            for j in 0..k {
                if i == j {
                    continue;
                }
                let d: Vec<f64> = cols[i]
                    .iter()
                    .zip(&cols[j])
                    .filter(|(a, b)| a.is_finite() && b.is_finite())
                    .map(|(a, b)| sign * (a - b))
                    .collect();
                let (dm, dsd) = mean_sd(&d);
                let w = half_width(dsd, d.len() as u64, level);
                let w = if w.is_finite() { w } else { 0.0 };
                // i stays unless it is worse than j by more than the noise allowance.
                if dm > (w - indifference).max(0.0) {
                    keep[i] = false;
                }
            }
        }
    }
    let mut order: Vec<(String, f64, bool)> =
        variants.iter().enumerate().map(|(i, v)| (v.name.clone(), means[i], keep[i])).collect();
    order.sort_by(|a, b| (sign * a.1).total_cmp(&(sign * b.1)));
    Some(Ranking {
        kpi: kpi_path.to_string(),
        minimise,
        indifference,
        order,
        source: String::new(),
        constraint: None,
        infeasible: Vec::new(),
    })
}

/// Cost against service level for each variant; dominated = another is no dearer and no worse,
/// and better in one.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CostPoint {
    pub variant: String,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub staff_cost: f64,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub service_level: f64,
    pub dominated: bool,
}

pub fn cost_view(variants: &[&VariantResult]) -> Vec<CostPoint> {
    let pts: Vec<(f64, f64)> = variants
        .iter()
        .map(|v| {
            let c = v.find("staff_cost").map_or(f64::NAN, |k| v.summary(k).mean);
            let s = v.find("service_level").map_or(f64::NAN, |k| v.summary(k).mean);
            (c, s)
        })
        .collect();
    variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (c, s) = pts[i];
            let dominated =
                pts.iter().enumerate().any(|(j, (cj, sj))| j != i && *cj <= c && *sj >= s && (*cj < c || *sj > s));
            CostPoint { variant: v.name.clone(), staff_cost: c, service_level: s, dominated }
        })
        .collect()
}

/// Where to act next in a variant: the step with the largest share of total waiting time and
/// the most utilised resource.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Bottleneck {
    pub variant: String,
    pub step: Option<String>,
    /// Share of all waiting time spent at that step.
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub step_wait_share: f64,
    pub resource: Option<String>,
    #[serde(deserialize_with = "nan_serde::f64")]
    #[schemars(with = "Option<f64>")]
    pub utilisation: f64,
}

pub fn bottleneck(v: &VariantResult) -> Bottleneck {
    let mut waits: Vec<(String, f64)> = Vec::new();
    let mut utils: Vec<(String, f64)> = Vec::new();
    for (k, id) in v.catalogue.iter().enumerate() {
        match (&id.group, id.kpi.as_str()) {
            (Group::Step, "wait_mean") => {
                // The step's `served` follows its `wait_mean` in the catalogue.
                let served = v.catalogue[k..]
                    .iter()
                    .position(|x| x.group == Group::Step && x.entity == id.entity && x.kpi == "served")
                    .map_or(0.0, |s| v.summary(k + s).mean);
                let w = v.summary(k).mean;
                waits.push((id.entity.clone(), if w.is_finite() { w * served } else { 0.0 }));
            }
            (Group::Resource, "utilisation") => utils.push((id.entity.clone(), v.summary(k).mean)),
            _ => {}
        }
    }
    let total: f64 = waits.iter().map(|w| w.1).sum();
    let top_w = waits.iter().filter(|w| w.1 > 0.0).max_by(|a, b| a.1.total_cmp(&b.1)).cloned();
    let top_u = utils.iter().filter(|u| u.1.is_finite()).max_by(|a, b| a.1.total_cmp(&b.1)).cloned();
    Bottleneck {
        variant: v.name.clone(),
        step: top_w.as_ref().map(|w| w.0.clone()),
        step_wait_share: top_w.map_or(f64::NAN, |w| if total > 0.0 { w.1 / total } else { f64::NAN }),
        resource: top_u.as_ref().map(|u| u.0.clone()),
        utilisation: top_u.map_or(f64::NAN, |u| u.1),
    }
}

/// Whether lower values of a KPI path are better (for default objective direction).
pub fn lower_is_better(path: &str) -> bool {
    !kpi::higher_is_better(path.rsplit('.').next().unwrap_or(path))
}
