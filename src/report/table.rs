//! Compact terminal tables: what a planner reads after a run.

use unicode_width::UnicodeWidthStr;

use crate::kpi;
use crate::report::results::{Results, Stat};

/// A simple left/right aligned text table that measures CJK text by display width.
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: Vec<String>) -> Self {
        Table { rows: vec![header] }
    }

    pub fn row(&mut self, r: Vec<String>) {
        self.rows.push(r);
    }

    pub fn render(&self) -> String {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; cols];
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(UnicodeWidthStr::width(c.as_str()));
            }
        }
        let mut out = String::new();
        for (ri, r) in self.rows.iter().enumerate() {
            let mut line = String::new();
            for (i, c) in r.iter().enumerate() {
                let pad = widths[i] - UnicodeWidthStr::width(c.as_str());
                if i == 0 {
                    line.push_str(c);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str("  ");
                    line.push_str(&" ".repeat(pad));
                    line.push_str(c);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
            if ri == 0 {
                out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * cols.saturating_sub(1)));
                out.push('\n');
            }
        }
        out
    }
}

/// A number with precision suited to its size: 4337, 43.4, 4.34, 0.434; never "-0".
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    let digits = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    let s = format!("{x:.digits$}");
    no_negative_zero(s)
}

/// A rate per second as the progress line shows it: "4337/s", "43.4/s", "0.434/s" (the
/// significant digits of `fmt_num`, no thousands separator).
pub fn rate_text(per_sec: f64) -> String {
    format!("{}/s", fmt_num(per_sec))
}

/// "-0.0" → "0.0": a rounded zero has no sign.
pub fn no_negative_zero(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// "3.21 ± 0.12" with precision suited to the value.
pub fn fmt_stat(s: &Stat, name: &str) -> String {
    if !s.mean.is_finite() {
        return "-".into();
    }
    let hw = s.half_width();
    let pct = kpi::is_share(name);
    if pct {
        return if hw.is_finite() {
            format!("{:.1}% ± {:.1}", s.mean * 100.0, hw * 100.0)
        } else {
            format!("{:.1}%", s.mean * 100.0)
        };
    }
    let digits = if s.mean.abs() >= 1000.0 {
        0
    } else if s.mean.abs() >= 10.0 {
        1
    } else {
        2
    };
    let mean = no_negative_zero(format!("{:.*}", digits, s.mean));
    if hw.is_finite() { format!("{mean} ± {:.*}", digits, hw) } else { mean }
}

pub const HEADLINE: &[&str] = &[
    "arrived",
    "served",
    "abandon_rate",
    "wait_mean",
    "wait_p90",
    "cycle_time_mean",
    "cycle_time_p90",
    "cycle_time_work_mean",
    "service_level",
    "service_level_arrivals",
    "satisfied_rate",
    "throughput_per_hour",
    "staff_cost",
];

/// Whether a headline KPI only repeats another one in this study (working time without a
/// calendar equals calendar time; with no `tolerance` the satisfied rate is the service
/// level), so tables leave it out.
pub fn redundant(r: &Results, name: &str) -> bool {
    let twin = match name {
        "cycle_time_work_mean" => "cycle_time_mean",
        "satisfied_rate" => "service_level",
        _ => return false,
    };
    r.variants.values().all(|v| match (v.kpis.get(name), v.kpis.get(twin)) {
        (Some(a), Some(b)) => a.mean == b.mean || (a.mean.is_nan() && b.mean.is_nan()),
        _ => true,
    })
}

/// A KPI name with its unit, or for service levels their threshold, so that no number is
/// read without knowing what it counts.
fn label(name: &str, r: &Results) -> String {
    let unit = r.scenario.time_unit.label();
    match name {
        "service_level" => format!("{name} (served, ≤ {})", r.sl_threshold()),
        "service_level_arrivals" => format!("{name} (≤ {})", r.sl_threshold()),
        n if kpi::is_duration(n) => format!("{name} ({unit})"),
        _ => name.to_string(),
    }
}

/// The terminal's width: `COLUMNS` when set, else 100.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|&w: &usize| w >= 40).unwrap_or(100)
}

/// The KPI table printed after `branchsim run`: one column per variant.
pub fn kpi_table(r: &Results) -> String {
    let names: Vec<&String> = r.variants.keys().collect();
    let mut header = vec!["KPI (mean ± 95% CI half-width)".to_string()];
    header.extend(names.iter().map(|n| n.to_string()));
    let mut t = Table::new(header);
    let Some(first) = r.variants.values().next() else {
        return String::new();
    };
    let mut paths: Vec<(String, String)> =
        HEADLINE.iter().filter(|k| !redundant(r, k)).map(|k| (k.to_string(), label(k, r))).collect();
    for c in first.customers.keys() {
        for k in ["wait_mean", "abandon_rate", "service_level"] {
            paths.push((format!("customers.{c}.{k}"), format!("{c}: {}", label(k, r))));
        }
    }
    let mut step_names: Vec<&String> = Vec::new();
    let mut res_names: Vec<&String> = Vec::new();
    for v in r.variants.values() {
        for s in v.steps.keys() {
            if !step_names.contains(&s) {
                step_names.push(s);
            }
        }
        for s in v.resources.keys() {
            if !res_names.contains(&s) {
                res_names.push(s);
            }
        }
    }
    // A large model (fifty branches) lists its busiest steps and resources; the report's
    // drill-down and kpis.csv have every one. Two hundred rows scroll the verdict away.
    let (all_steps, all_res) = (step_names.len(), res_names.len());
    if let Some(shown) = crate::report::aggregate::shown_steps(r) {
        step_names.retain(|s| shown.contains(s));
        step_names.sort_by_key(|s| shown.iter().position(|x| x == *s));
    }
    if let Some(shown) = crate::report::aggregate::shown_resources(r) {
        res_names.retain(|s| shown.contains(s));
        res_names.sort_by_key(|s| shown.iter().position(|x| x == *s));
    }
    let more = |n: usize, all: usize, what: &str| {
        (n < all)
            .then(|| format!("The {n} busiest of {all} {what}; report.html's drill-down and kpis.csv list every one."))
    };
    let notes: Vec<String> = [more(step_names.len(), all_steps, "steps"), more(res_names.len(), all_res, "resources")]
        .into_iter()
        .flatten()
        .collect();
    for s in step_names {
        for k in ["wait_mean", "queue_mean"] {
            paths.push((format!("steps.{s}.{k}"), format!("step {s}: {}", label(k, r))));
        }
        // Join steps only (where the branches of a fork meet).
        let sync = format!("steps.{s}.sync_wait");
        if r.variants.values().any(|v| v.get(&sync).is_some()) {
            paths.push((sync, format!("step {s}: {}", label("sync_wait", r))));
        }
    }
    for s in res_names {
        paths.push((format!("resources.{s}.utilisation"), format!("{s}: utilisation")));
    }
    for (path, lab) in paths {
        let name = path.rsplit('.').next().unwrap_or(&path).to_string();
        let mut row = vec![lab];
        for v in r.variants.values() {
            row.push(v.get(&path).map_or("-".into(), |s| fmt_stat(s, &name)));
        }
        t.row(row);
    }
    let mut out = t.render();
    for n in notes {
        out.push_str(&n);
        out.push('\n');
    }
    out
}

/// A change as a reader reads it: shares in percentage points, others in the KPI's unit.
fn change_text(name: &str, diff: f64) -> String {
    if !diff.is_finite() {
        "-".into()
    } else if kpi::is_share(name) {
        no_negative_zero(format!("{:+.1} pp", diff * 100.0))
    } else {
        let s = fmt_num(diff);
        if s.starts_with('-') || s.chars().all(|c| c == '0' || c == '.') { s } else { format!("+{s}") }
    }
}

fn value_text(name: &str, x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if kpi::is_share(name) {
        no_negative_zero(format!("{:.1}%", x * 100.0))
    } else {
        fmt_num(x)
    }
}

/// Whether a change is better, worse or not significant, by the KPI's own direction.
fn judgement(name: &str, diff: f64, significant: bool) -> &'static str {
    if !significant || !diff.is_finite() || diff == 0.0 {
        "no clear change"
    } else if (diff > 0.0) == kpi::higher_is_better(name) {
        "better"
    } else {
        "worse"
    }
}

/// Variants against the baseline on the headline KPIs, plus the verdict, the ranking and the
/// cost view. Wider than the terminal, the table becomes one block per variant.
pub fn comparison_table(r: &Results) -> String {
    comparison_table_width(r, terminal_width())
}

pub fn comparison_table_width(r: &Results, width: usize) -> String {
    let Some(c) = &r.comparison else {
        return String::new();
    };
    let mut out = String::new();
    let mut t = Table::new(vec![
        "variant".into(),
        "KPI".into(),
        "baseline".into(),
        "variant".into(),
        "change [95% CI]".into(),
        "relative".into(),
        "judgement".into(),
    ]);
    let mut rows = Vec::new();
    for d in &c.differences {
        let name = d.kpi.as_str();
        if !HEADLINE.contains(&name) || name == "arrived" || name == "served" || redundant(r, name) {
            continue;
        }
        let row = vec![
            d.variant.clone(),
            label(name, r),
            value_text(name, d.baseline_mean),
            value_text(name, d.variant_mean),
            format!(
                "{} [{}, {}]",
                change_text(name, d.diff),
                change_text(name, d.ci95[0]),
                change_text(name, d.ci95[1])
            ),
            if d.relative.is_finite() && !kpi::is_share(name) {
                no_negative_zero(format!("{:+.1}%", d.relative * 100.0))
            } else {
                "".into()
            },
            judgement(name, d.diff, d.significant).to_string(),
        ];
        rows.push(row.clone());
        t.row(row);
    }
    let wide = t.render();
    if wide.lines().all(|l| unicode_width::UnicodeWidthStr::width(l) <= width) {
        out.push_str(&wide);
    } else {
        // Pivoted: one block per variant, one line per KPI.
        let mut current = String::new();
        for row in rows {
            if row[0] != current {
                current = row[0].clone();
                out.push_str(&format!("{current}:\n"));
            }
            out.push_str(&format!(
                "  {}: {} → {}, change {} {} — {}\n",
                row[1], row[2], row[3], row[4], row[5], row[6]
            ));
        }
    }
    out.push_str("(change: paired difference variant − baseline, common random numbers; pp = points)\n");
    out.push_str(&format!("(better/worse: the Bonferroni-adjusted CI, m = {}, excludes zero)\n", c.compared));
    let v = crate::report::verdict::verdict(r);
    out.push_str(&format!("\nVerdict: {}\n", v.line));
    for s in &v.scores {
        if !s.demand.is_empty() {
            out.push_str(&format!(
                "  warning: {} changes demand ({}): not a like-for-like improvement\n",
                s.variant,
                s.demand.join("; ")
            ));
        }
        if let Some(of) = &s.sensitivity_of {
            out.push_str(&format!(
                "  note: {} is a sensitivity test of {of} ({}), not an option: never recommended\n",
                s.variant, s.assumption
            ));
        }
    }
    if let Some(rk) = &c.ranking {
        let name = rk.kpi.rsplit('.').next().unwrap_or(&rk.kpi);
        let unit = if kpi::is_duration(name) { format!(" {}", r.scenario.time_unit.label()) } else { String::new() };
        out.push_str(&format!(
            "\nRanking by {} ({}; indifference {}{unit}{}):\n",
            rk.kpi,
            if rk.minimise { "lower is better" } else { "higher is better" },
            fmt_num(rk.indifference),
            rk.constraint.as_ref().map_or(String::new(), |t| format!("; constraint {t}"))
        ));
        for (i, (n, m, best)) in rk.order.iter().enumerate() {
            out.push_str(&format!(
                "  {}. {n}  {}{unit}{}{}\n",
                i + 1,
                value_text(name, *m),
                if *best { "  ← cannot be distinguished from the best" } else { "" },
                if rk.infeasible.contains(n) { "  (misses the constraint)" } else { "" }
            ));
        }
    }
    if !c.cost.is_empty() {
        out.push_str(&format!("\nCost vs service level (served within {}):\n", r.sl_threshold()));
        for p in &c.cost {
            out.push_str(&format!(
                "  {}: staff cost {}, service level {}{}\n",
                p.variant,
                fmt_num(p.staff_cost),
                value_text("service_level", p.service_level),
                if p.dominated { "  (dominated)" } else { "" }
            ));
        }
    }
    out
}

/// "Where to act next" lines, one per variant.
pub fn bottleneck_lines(r: &Results) -> String {
    let mut out = String::new();
    for (name, v) in &r.variants {
        let b = &v.bottleneck;
        let step = match &b.step {
            Some(s) if b.step_wait_share.is_finite() => {
                format!("most waiting at `{s}` ({:.0}% of all waiting)", b.step_wait_share * 100.0)
            }
            _ => "no waiting".into(),
        };
        let res = match &b.resource {
            Some(s) if b.utilisation.is_finite() => {
                format!("busiest resource `{s}` ({:.0}% utilised)", b.utilisation * 100.0)
            }
            _ => "no resources".into(),
        };
        out.push_str(&format!("  {name}: {step}; {res}\n"));
    }
    out
}
