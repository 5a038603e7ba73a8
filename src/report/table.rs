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
    if hw.is_finite() {
        format!("{:.*} ± {:.*}", digits, s.mean, digits, hw)
    } else {
        format!("{:.*}", digits, s.mean)
    }
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

fn label(name: &str, unit: &str) -> String {
    if kpi::is_duration(name) { format!("{name} ({unit})") } else { name.to_string() }
}

/// The KPI table printed after `branchsim run`: one column per variant.
pub fn kpi_table(r: &Results) -> String {
    let unit = r.scenario.time_unit.label();
    let names: Vec<&String> = r.variants.keys().collect();
    let mut header = vec!["KPI (mean ± 95% CI half-width)".to_string()];
    header.extend(names.iter().map(|n| n.to_string()));
    let mut t = Table::new(header);
    let Some(first) = r.variants.values().next() else {
        return String::new();
    };
    let mut paths: Vec<(String, String)> =
        HEADLINE.iter().filter(|k| !redundant(r, k)).map(|k| (k.to_string(), label(k, unit))).collect();
    for c in first.customers.keys() {
        for k in ["wait_mean", "abandon_rate", "service_level"] {
            paths.push((format!("customers.{c}.{k}"), format!("{c}: {}", label(k, unit))));
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
    for s in step_names {
        for k in ["wait_mean", "queue_mean"] {
            paths.push((format!("steps.{s}.{k}"), format!("step {s}: {}", label(k, unit))));
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
    t.render()
}

/// Variants against the baseline on the headline KPIs, plus bottlenecks and the ranking.
pub fn comparison_table(r: &Results) -> String {
    let Some(c) = &r.comparison else {
        return String::new();
    };
    let unit = r.scenario.time_unit.label();
    let mut out = String::new();
    let mut t = Table::new(vec![
        "variant".into(),
        "KPI".into(),
        "baseline".into(),
        "variant".into(),
        "paired diff [95% CI]".into(),
        "change".into(),
        "unpaired CI ±".into(),
        format!("signif. (Bonferroni m={})", c.compared),
    ]);
    for d in &c.differences {
        let name = d.kpi.as_str();
        if !HEADLINE.contains(&name) || name == "arrived" || name == "served" || redundant(r, name) {
            continue;
        }
        let f = |x: f64| {
            if x.is_finite() {
                if x.abs() >= 100.0 { format!("{x:.0}") } else { format!("{x:.3}") }
            } else {
                "-".into()
            }
        };
        t.row(vec![
            d.variant.clone(),
            label(name, unit),
            f(d.baseline_mean),
            f(d.variant_mean),
            format!("{} [{}, {}]", f(d.diff), f(d.ci95[0]), f(d.ci95[1])),
            if d.relative.is_finite() { format!("{:+.1}%", d.relative * 100.0) } else { "-".into() },
            f((d.ci95_unpaired[1] - d.ci95_unpaired[0]) / 2.0),
            if d.significant { "yes".into() } else { "no".into() },
        ]);
    }
    out.push_str(&t.render());
    if let Some(rk) = &c.ranking {
        out.push_str(&format!(
            "\nRanking by {} ({}; indifference {}):\n",
            rk.kpi,
            if rk.minimise { "lower is better" } else { "higher is better" },
            rk.indifference
        ));
        for (i, (n, m, best)) in rk.order.iter().enumerate() {
            out.push_str(&format!(
                "  {}. {n}  {m:.4}{}\n",
                i + 1,
                if *best { "  ← cannot be distinguished from the best" } else { "" }
            ));
        }
    }
    if !c.cost.is_empty() {
        out.push_str("\nCost vs service level:\n");
        for p in &c.cost {
            out.push_str(&format!(
                "  {}: staff cost {:.0}, service level {:.1}%{}\n",
                p.variant,
                p.staff_cost,
                p.service_level * 100.0,
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
