//! Turning a run into verdicts: absolute bounds, comparisons between variants, and the
//! comparison with recorded golden results.

use serde::Serialize;

use super::baseline::{self, Baseline};
use super::expect::{Expectation, Kind, Limit, Source};
use crate::cli::run::RunOutput;
use crate::kpi;
use crate::report::results::Stat;
use crate::stats::summary::half_width;

/// How absolute bounds are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The KPI's 95% confidence interval must lie inside the bound (demonstrated).
    Ci,
    /// The KPI's mean must lie inside the bound (point estimate only).
    Mean,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Ci => "ci",
            Mode::Mean => "mean",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ComparisonDetail {
    pub than: String,
    #[schemars(extend("enum" = ["lower", "higher"]))]
    pub direction: &'static str,
    #[schemars(with = "Option<f64>")]
    pub variant_mean: f64,
    #[schemars(with = "Option<f64>")]
    pub reference_mean: f64,
    /// Pairs (replications) in which both values are defined.
    pub n: u64,
    /// Comparative checks in the file (Bonferroni m).
    pub bonferroni_m: usize,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BaselineDetail {
    #[schemars(with = "Option<f64>")]
    pub recorded_mean: f64,
    #[schemars(with = "Option<f64>")]
    pub recorded_sd: f64,
    pub recorded_n: u64,
    #[schemars(with = "[Option<f64>; 2]")]
    pub recorded_ci95: [f64; 2],
    /// Current mean − recorded mean.
    #[schemars(with = "Option<f64>")]
    pub diff: f64,
    /// diff / |recorded mean|.
    #[schemars(with = "Option<f64>")]
    pub relative: f64,
    #[schemars(with = "Option<f64>")]
    pub p_value: f64,
    /// Per-KPI level: α / KPIs compared.
    pub level: f64,
}

/// One verdict: an expectation for one variant, or one KPI against the baseline.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Row {
    /// "bound", "comparison" or "baseline".
    #[schemars(extend("enum" = ["bound", "comparison", "baseline"]))]
    pub kind: &'static str,
    /// Human label, unique within a file for expectations.
    pub check: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub variant: String,
    pub kpi: String,
    /// Unit of value and CI ("" for counts and fractions).
    pub unit: String,
    /// The KPI mean (bound, baseline) or the mean paired difference variant − reference.
    #[schemars(with = "Option<f64>")]
    pub value: f64,
    #[schemars(with = "[Option<f64>; 2]")]
    pub ci: [f64; 2],
    pub ci_level: f64,
    /// The promise, as text.
    pub bound: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<ComparisonDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineDetail>,
}

/// Numbers at a precision suited to their size (4 significant digits, at most 6 decimals).
pub fn fmt_num(x: f64, scale: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = scale.abs();
    let decimals = if a == 0.0 || !a.is_finite() {
        if x == x.trunc() { 0 } else { 3 }
    } else {
        (3 - a.log10().floor() as i32).clamp(0, 6) as usize
    };
    let s = format!("{x:.decimals$}");
    // No "-0.000".
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// "4.678 [4.555, 4.801] min"
pub fn fmt_ci(value: f64, ci: [f64; 2], unit: &str) -> String {
    let scale = [value, ci[0], ci[1]].iter().filter(|x| x.is_finite()).fold(0.0_f64, |m, x| m.max(x.abs()));
    let u = if unit.is_empty() { String::new() } else { format!(" {unit}") };
    if ci.iter().all(|c| c.is_finite()) {
        format!("{} [{}, {}]{u}", fmt_num(value, scale), fmt_num(ci[0], scale), fmt_num(ci[1], scale))
    } else {
        format!("{}{u}", fmt_num(value, scale))
    }
}

fn unit_of(kpi_path: &str, tu: &str) -> String {
    if kpi::is_duration(kpi_path.rsplit('.').next().unwrap_or(kpi_path)) { tu.to_string() } else { String::new() }
}

fn bound_text(min: &Option<Limit>, max: &Option<Limit>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("[{}, {}]", lo.text, hi.text),
        (Some(lo), None) => format!(">= {}", lo.text),
        (None, Some(hi)) => format!("<= {}", hi.text),
        (None, None) => "-".into(),
    }
}

fn label(e: &Expectation, variant: &str, promise: &str) -> String {
    match &e.name {
        Some(n) => format!("{n} ({variant})"),
        None => format!("{variant}: {} {promise}", e.kpi),
    }
}

/// Evaluates the expectations of one file against a run.
pub fn expectations(list: &[Expectation], out: &RunOutput, mode: Mode) -> Vec<Row> {
    let tu = out.results.scenario.time_unit;
    let m = super::expect::count_comparisons(list);
    let mut rows = Vec::new();
    for e in list {
        for v in &e.variants {
            let unit = unit_of(&e.kpi, tu.label());
            let row = match &e.kind {
                Kind::Bound { min, max } => {
                    let stat = out.results.variants.get(v).and_then(|s| s.get(&e.kpi));
                    bound_row(e, v, stat, min, max, mode, unit)
                }
                Kind::Better { than, lower } => comparison_row(e, v, than, *lower, m, out, tu.minutes(), unit),
            };
            rows.push(row);
        }
    }
    rows
}

fn bound_row(
    e: &Expectation,
    variant: &str,
    stat: Option<&Stat>,
    min: &Option<Limit>,
    max: &Option<Limit>,
    mode: Mode,
    unit: String,
) -> Row {
    let bound = bound_text(min, max);
    let promise = match (min, max) {
        (Some(_), Some(_)) => format!("in {bound}"),
        _ => bound.clone(),
    };
    let mut row = Row {
        kind: "bound",
        check: label(e, variant, &promise),
        name: e.name.clone(),
        variant: variant.to_string(),
        kpi: e.kpi.clone(),
        unit: unit.clone(),
        value: f64::NAN,
        ci: [f64::NAN; 2],
        ci_level: 0.95,
        bound,
        min: min.as_ref().map(|l| l.value),
        max: max.as_ref().map(|l| l.value),
        status: Status::Fail,
        message: String::new(),
        source: Some(e.source.clone()),
        comparison: None,
        baseline: None,
    };
    let Some(s) = stat else {
        row.message = format!("variant `{variant}` did not report KPI `{}`", e.kpi);
        return row;
    };
    row.value = s.mean;
    row.ci = s.ci95;
    if !s.mean.is_finite() {
        row.message = "the KPI is undefined in every replication (e.g. nobody was served)".into();
        return row;
    }
    let u = if unit.is_empty() { String::new() } else { format!(" {unit}") };
    let sc = s.mean.abs().max(s.ci95[0].abs()).max(s.ci95[1].abs());
    let below_min = |x: f64| min.as_ref().is_some_and(|l| x < l.value);
    let above_max = |x: f64| max.as_ref().is_some_and(|l| x > l.value);
    match mode {
        Mode::Mean => {
            if below_min(s.mean) {
                row.message = format!(
                    "the mean {}{u} is below the minimum {}",
                    fmt_num(s.mean, sc),
                    min.as_ref().map_or("", |l| l.text.as_str())
                );
            } else if above_max(s.mean) {
                row.message = format!(
                    "the mean {}{u} is above the maximum {}",
                    fmt_num(s.mean, sc),
                    max.as_ref().map_or("", |l| l.text.as_str())
                );
            } else {
                row.status = Status::Pass;
                row.message = format!("the mean {}{u} is within {}", fmt_num(s.mean, sc), row.bound);
            }
        }
        Mode::Ci => {
            let [lo, hi] = s.ci95;
            if !(lo.is_finite() && hi.is_finite()) {
                row.message = format!(
                    "no confidence interval: the KPI is defined in {} replication(s); --mode ci needs at least 2",
                    s.n
                );
                return row;
            }
            let ci_txt = format!("[{}, {}]{u}", fmt_num(lo, sc), fmt_num(hi, sc));
            if below_min(s.mean) || above_max(s.mean) {
                let (which, l) =
                    if below_min(s.mean) { ("below the minimum", min) } else { ("above the maximum", max) };
                row.message = format!(
                    "the mean {}{u} is {which} {} (95% CI {ci_txt})",
                    fmt_num(s.mean, sc),
                    l.as_ref().map_or("", |l| l.text.as_str())
                );
            } else if below_min(lo) || above_max(hi) {
                let l = if below_min(lo) { min } else { max };
                row.message = format!(
                    "not demonstrated: the mean {}{u} is within the bound but its 95% CI {ci_txt} crosses {} (more replications may settle it; --mode mean judges the mean only)",
                    fmt_num(s.mean, sc),
                    l.as_ref().map_or("", |l| l.text.as_str())
                );
            } else {
                row.status = Status::Pass;
                row.message = format!("the 95% CI {ci_txt} lies within {}", row.bound);
            }
        }
    }
    row
}

#[allow(clippy::too_many_arguments)]
fn comparison_row(
    e: &Expectation,
    variant: &str,
    than: &str,
    lower: bool,
    m: usize,
    out: &RunOutput,
    tu_minutes: f64,
    unit: String,
) -> Row {
    let direction = if lower { "lower" } else { "higher" };
    let level = 1.0 - 0.05 / m.max(1) as f64;
    let mut row = Row {
        kind: "comparison",
        check: label(e, variant, &format!("{direction} than {than}")),
        name: e.name.clone(),
        variant: variant.to_string(),
        kpi: e.kpi.clone(),
        unit: unit.clone(),
        value: f64::NAN,
        ci: [f64::NAN; 2],
        ci_level: level,
        bound: format!("{} 0 ({} CI)", if lower { "<" } else { ">" }, fmt_level(level)),
        min: None,
        max: None,
        status: Status::Fail,
        message: String::new(),
        source: Some(e.source.clone()),
        comparison: None,
        baseline: None,
    };
    let find = |name: &str| out.variants.iter().find(|v| v.name == name);
    let (Some(vr), Some(rr)) = (find(variant), find(than)) else {
        row.message = format!("variant `{variant}` or `{than}` was not simulated");
        return row;
    };
    let (Some(kv), Some(kr)) = (vr.find(&e.kpi), rr.find(&e.kpi)) else {
        row.message = format!("KPI `{}` is not reported by both variants", e.kpi);
        return row;
    };
    let scale = if unit.is_empty() { 1.0 } else { 1.0 / tu_minutes };
    let (mut d, mut xv, mut xr) = (Vec::new(), Vec::new(), Vec::new());
    for (a, b) in vr.rows.iter().zip(&rr.rows) {
        let (x, y) = (a[kv] * scale, b[kr] * scale);
        if x.is_finite() && y.is_finite() {
            d.push(x - y);
            xv.push(x);
            xr.push(y);
        }
    }
    let n = d.len() as u64;
    let mean = |x: &[f64]| {
        if x.is_empty() { f64::NAN } else { x.iter().sum::<f64>() / x.len() as f64 }
    };
    let dm = mean(&d);
    let sd = if d.len() > 1 {
        (d.iter().map(|x| (x - dm).powi(2)).sum::<f64>() / (n - 1) as f64).max(0.0).sqrt()
    } else {
        f64::NAN
    };
    let h = half_width(sd, n, level);
    row.value = dm;
    row.ci = [dm - h, dm + h];
    let vm = mean(&xv);
    let rm = mean(&xr);
    row.comparison = Some(ComparisonDetail {
        than: than.to_string(),
        direction,
        variant_mean: vm,
        reference_mean: rm,
        n,
        bonferroni_m: m.max(1),
    });
    if n < 2 || !h.is_finite() {
        row.message =
            format!("{n} replication(s) define the KPI in both variants; a paired comparison needs at least 2");
        return row;
    }
    let u = if unit.is_empty() { String::new() } else { format!(" {unit}") };
    let sc = dm.abs().max(row.ci[0].abs()).max(row.ci[1].abs());
    let ci_txt = format!(
        "{} CI of {variant} − {than}: [{}, {}]{u}",
        fmt_level(level),
        fmt_num(row.ci[0], sc),
        fmt_num(row.ci[1], sc)
    );
    let means = format!("{} vs {}{u}", fmt_num(vm, vm.abs().max(rm.abs())), fmt_num(rm, vm.abs().max(rm.abs())));
    let good = if lower { row.ci[1] < 0.0 } else { row.ci[0] > 0.0 };
    let wrong_way = if lower { dm > 0.0 } else { dm < 0.0 };
    if good {
        row.status = Status::Pass;
        row.message = format!("{variant} is significantly {direction} ({means}); {ci_txt}");
    } else if wrong_way {
        row.message = format!(
            "{variant} is {} than {than}, not {direction} ({means}); {ci_txt}",
            if lower { "higher" } else { "lower" }
        );
    } else {
        row.message = format!("no significant difference: the {ci_txt} includes 0 ({means})");
    }
    row
}

/// "95%", "98.33%".
pub fn fmt_level(level: f64) -> String {
    let pct = level * 100.0;
    let s = format!("{pct:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// Options for the comparison with a recorded baseline.
pub struct BaselineOptions<'a> {
    pub alpha: f64,
    /// Relative tolerance (0.05 = 5%), or none.
    pub tolerance: Option<f64>,
    /// Only these KPI paths (empty: all recorded KPIs).
    pub kpis: &'a [String],
}

/// Compares every recorded KPI of every recorded variant with the new run. Returns the rows,
/// notes for the report, and the number of KPIs tested (the Bonferroni m).
pub fn against_baseline(b: &Baseline, out: &RunOutput, opts: &BaselineOptions<'_>) -> (Vec<Row>, Vec<String>, usize) {
    let tu = out.results.scenario.time_unit;
    let factor = baseline::unit_factor(b.time_unit, tu);
    let mut notes = Vec::new();
    struct Pending {
        variant: String,
        kpi: String,
        rec: Option<baseline::Recorded>,
        cur: Option<Stat>,
        test: Option<baseline::Welch>,
    }
    let mut pending: Vec<Pending> = Vec::new();
    for (vname, kpis) in &b.variants {
        let cur_v = out.results.variants.get(vname);
        if cur_v.is_none() {
            pending.push(Pending { variant: vname.clone(), kpi: "*".into(), rec: None, cur: None, test: None });
            continue;
        }
        for (path, rec) in kpis {
            if !opts.kpis.is_empty() && !opts.kpis.contains(path) {
                continue;
            }
            let mut rec = rec.clone();
            if kpi::is_duration(path.rsplit('.').next().unwrap_or(path)) && factor != 1.0 {
                rec.mean *= factor;
                rec.sd *= factor;
                rec.ci95 = [rec.ci95[0] * factor, rec.ci95[1] * factor];
            }
            let cur = cur_v.and_then(|v| v.get(path)).cloned();
            let test = cur.as_ref().and_then(|c| baseline::welch(c.mean, c.sd, c.n, rec.mean, rec.sd, rec.n));
            pending.push(Pending { variant: vname.clone(), kpi: path.clone(), rec: Some(rec), cur, test });
        }
    }
    for (vname, v) in &out.results.variants {
        match b.variants.get(vname) {
            None => notes.push(format!(
                "variant `{vname}` is not in the baseline: not compared (record the baseline again to include it)"
            )),
            Some(rec) => {
                let new: Vec<String> = v
                    .all()
                    .into_iter()
                    .map(|(p, _)| p)
                    .filter(|p| !rec.contains_key(p))
                    .filter(|p| opts.kpis.is_empty() || opts.kpis.contains(p))
                    .collect();
                if !new.is_empty() {
                    notes.push(format!(
                        "variant `{vname}` reports {} KPI(s) not in the baseline (e.g. `{}`): not compared",
                        new.len(),
                        new[0]
                    ));
                }
            }
        }
    }
    let m = pending.iter().filter(|p| p.test.is_some()).count();
    let level = opts.alpha / m.max(1) as f64;
    let unit_for = |p: &str| unit_of(p, tu.label());
    let rows = pending
        .into_iter()
        .map(|p| {
            let unit = unit_for(&p.kpi);
            let u = if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            };
            let mut row = Row {
                kind: "baseline",
                check: format!("{}: {} unchanged", p.variant, p.kpi),
                name: None,
                variant: p.variant.clone(),
                kpi: p.kpi.clone(),
                unit: unit.clone(),
                value: f64::NAN,
                ci: [f64::NAN; 2],
                ci_level: 0.95,
                bound: String::new(),
                min: None,
                max: None,
                status: Status::Fail,
                message: String::new(),
                source: None,
                comparison: None,
                baseline: None,
            };
            let Some(rec) = p.rec else {
                row.check = format!("{}: variant present", p.variant);
                row.bound = "in baseline".into();
                row.message = format!(
                    "variant `{}` is in the baseline but the scenario no longer has it (record the baseline again if this is intended)",
                    p.variant
                );
                return row;
            };
            row.bound = format!("recorded {}", fmt_ci(rec.mean, rec.ci95, &unit));
            let Some(cur) = p.cur else {
                row.message = format!(
                    "KPI `{}` of `{}` is in the baseline but no longer reported (record the baseline again if this is intended)",
                    p.kpi, p.variant
                );
                return row;
            };
            row.value = cur.mean;
            row.ci = cur.ci95;
            let rel = if rec.mean != 0.0 {
                (cur.mean - rec.mean) / rec.mean.abs()
            } else {
                f64::NAN
            };
            let Some(t) = p.test else {
                row.status = Status::Skip;
                row.message = format!(
                    "not tested: defined in {} replication(s) now and {} in the baseline; the test needs at least 2 on each side",
                    cur.n, rec.n
                );
                return row;
            };
            row.baseline = Some(BaselineDetail {
                recorded_mean: rec.mean,
                recorded_sd: rec.sd,
                recorded_n: rec.n,
                recorded_ci95: rec.ci95,
                diff: t.diff,
                relative: rel,
                p_value: t.p,
                level,
            });
            let sc = cur.mean.abs().max(rec.mean.abs());
            let change = if rel.is_finite() {
                format!(
                    "{}{}{u} ({:+.1}%)",
                    if t.diff >= 0.0 { "+" } else { "" },
                    fmt_num(t.diff, sc),
                    rel * 100.0
                )
            } else {
                format!(
                    "{}{}{u}",
                    if t.diff >= 0.0 { "+" } else { "" },
                    fmt_num(t.diff, sc)
                )
            };
            let significant = t.p < level;
            let beyond_tol = match opts.tolerance {
                None => true,
                Some(tol) => t.diff.abs() > tol * rec.mean.abs(),
            };
            if significant && beyond_tol {
                row.message = format!(
                    "changed by {change}: p = {} < {} (Welch t test, α = {} over {m} KPIs)",
                    fmt_p(t.p),
                    fmt_p(level),
                    opts.alpha
                );
            } else if significant {
                row.status = Status::Pass;
                row.message = format!(
                    "changed by {change}, significant (p = {}) but within the tolerance of {}%",
                    fmt_p(t.p),
                    opts.tolerance.map_or(0.0, |x| x * 100.0)
                );
            } else {
                row.status = Status::Pass;
                row.message = if t.p >= 1.0 && t.t == 0.0 {
                    "unchanged".to_string()
                } else {
                    format!("no significant change ({change}, p = {})", fmt_p(t.p))
                };
            }
            row
        })
        .collect();
    (rows, notes, m)
}

/// p values in a compact form: "0.41", "3.2e-6", "0".
pub fn fmt_p(p: f64) -> String {
    if !p.is_finite() {
        "-".into()
    } else if p == 0.0 {
        "0".into()
    } else if p >= 0.001 {
        let s = format!("{p:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{p:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(fmt_num(4.6781, 4.8), "4.678");
        assert_eq!(fmt_num(0.09381, 0.09381), "0.09381");
        assert_eq!(fmt_num(0.09381, 0.1), "0.0938");
        assert_eq!(fmt_num(2992.0, 2992.0), "2992");
        assert_eq!(fmt_num(-0.00001, 1.0), "0.000");
        assert_eq!(fmt_level(0.95), "95%");
        assert_eq!(fmt_level(1.0 - 0.05 / 3.0), "98.3333%");
        assert_eq!(fmt_p(0.41), "0.41");
        assert_eq!(fmt_p(3.2e-6), "3.2e-6");
    }
}
