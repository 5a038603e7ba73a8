//! `report.html`: one self-contained file that works offline.
//!
//! No scripts, no external resources: styles are inline, charts are inline SVG, and a
//! Content-Security-Policy forbids every request, so opening the file never touches the
//! network. All text from the scenario file (names, descriptions) is escaped.

use std::fmt::Write as _;

use crate::kpi;
use crate::report::charts::fonts::ChartFont;
use crate::report::charts::{Failed, Rendered, diagram};
use crate::report::results::{ModelInfo, ResourceInfo, Results, Stat, StepInfo, VariantSummary};
use crate::scenario::units::human_duration;

/// The policy of the page: nothing may be fetched; inline styles and data: images only.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// Escapes text for HTML element content and attribute values; drops control characters
/// that are not allowed in HTML (keeps newlines and tabs).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink: #222; --muted: #555; --line: #d8d8d8; --head: #f2f4f7; --good: #006b4f; --bad: #a33a00; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", "Segoe UI", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1240px; padding: 24px 28px 60px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 28px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #0072b2; }
h3 { font-size: 17px; margin: 22px 0 8px; }
p.lead { font-size: 17px; margin: 0 0 14px; color: var(--muted); }
nav ol { columns: 2; margin: 8px 0 0; padding-left: 22px; }
a { color: #0059a0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td small, .ci { color: var(--muted); font-size: 12px; }
tr.group th { background: #e6edf5; }
table.kpis thead th { overflow-wrap: anywhere; }
.better { color: var(--good); font-weight: 600; }
.worse { color: var(--bad); font-weight: 600; }
.note { color: var(--muted); font-size: 14px; }
.box { border: 1px solid var(--line); background: #fafbfc; padding: 10px 14px; margin: 10px 0; }
.warn { border-color: #d5a000; background: #fff8e1; }
.warning { border-left: 5px solid #d55e00; background: #fff4ec; padding: 6px 12px; }
.verdict { border-left: 5px solid #009e73; background: #f1faf6; padding: 10px 16px; margin: 12px 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0; font-size: 14px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
figure.chart { margin: 18px 0 26px; }
figure.chart svg { display: block; width: 100%; height: auto; max-width: 1200px; border: 1px solid #eee; }
figure.diagram svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 13.5px; color: var(--muted); margin-top: 6px; max-width: 1000px; }
code { font-size: 13px; background: #f3f3f3; padding: 0 3px; }
.scroll { overflow-x: auto; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-after: avoid; }
  h3 { break-after: avoid; }
  table { font-size: 8.5pt; break-inside: auto; }
  tr, figure, .verdict, .box { break-inside: avoid; }
  thead { display: table-header-group; }
  figure.chart svg, figure.diagram svg { max-height: 245mm; width: 100%; border: none; }
  .scroll { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The whole report as HTML text.
pub fn render(r: &Results, charts: &[Rendered], failed: &[Failed], font: &ChartFont) -> String {
    let mut h = String::with_capacity(1 << 20);
    let name = escape(&r.scenario.name);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"branchsim {}\">\n\
         <title>{name} — branchsim report</title>\n<style>{STYLE}{}</style>\n</head>\n<body>\n",
        escape(&r.branchsim_version),
        crate::report::drilldown::style(r)
    );
    let _ = writeln!(h, "<header>\n<h1 id=\"top\">{name}</h1>");
    if !r.scenario.description.trim().is_empty() {
        let _ = writeln!(h, "<p class=\"lead\">{}</p>", escape(&r.scenario.description));
    }
    let _ = writeln!(
        h,
        "<p class=\"note\">Simulation study: {} variant(s), {} replications each, seed {}.</p>\n</header>",
        r.variants.len(),
        r.replications,
        r.seed
    );
    h.push_str(
        "<nav><strong>Contents</strong><ol>\
         <li><a href=\"#verdict\">Verdict</a></li>\
         <li><a href=\"#assumptions\">Scenario and assumptions</a></li>\
         <li><a href=\"#kpis\">KPIs by variant</a></li>\
         <li><a href=\"#comparison\">Comparison with the baseline</a></li>\
         <li><a href=\"#bottlenecks\">Where to act next</a></li>\
         <li><a href=\"#charts\">Charts</a></li>",
    );
    h.push_str(crate::report::drilldown::nav_item(r));
    h.push_str("</ol></nav>\n");
    verdict(&mut h, r);
    assumptions(&mut h, r);
    kpi_tables(&mut h, r);
    comparison(&mut h, r);
    bottlenecks(&mut h, r);
    crate::report::drilldown::section(&mut h, r);
    charts_section(&mut h, r, charts, failed, font);
    let _ = writeln!(
        h,
        "<footer class=\"note\"><p>Written by branchsim {} from <code>summary.json</code> \
         (schema {}). Scenario file <code>{}</code>, content hash <code>{}</code>. The same \
         file, seed and replications reproduce these numbers exactly.</p></footer>\n</body>\n</html>",
        escape(&r.branchsim_version),
        r.schema_version,
        escape(&r.scenario.file),
        escape(&r.scenario.content_hash)
    );
    h
}

/// A compact number for assumption tables ("0.75", "20", "105").
pub(crate) fn short(x: f64) -> String {
    if x.is_finite() { crate::report::charts::style::num(x) } else { "–".into() }
}

/// The unit of a KPI for display: durations in the time unit, shares in %.
fn is_share(k: &str) -> bool {
    kpi::is_share(k)
}

/// A number as the terminal prints it (`table::fmt_num`: three significant digits, no "-0"),
/// so that the report and the terminal show the same figure.
fn fmt_num(x: f64) -> String {
    if x.is_finite() { crate::report::table::fmt_num(x) } else { "–".into() }
}

fn fmt_value(k: &str, x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if is_share(k) {
        format!("{:.1}%", x * 100.0)
    } else {
        fmt_num(x)
    }
}

/// Mean with its 95% CI as a table cell.
fn stat_cell(k: &str, s: Option<&Stat>) -> String {
    let Some(s) = s else {
        return "<td class=\"num\">–</td>".into();
    };
    // A share cannot leave [0, 100%]: the normal-approximation interval is cut at the edge
    // rather than shown as "[-0.4%, 2.3%]".
    let (lo, hi) = if is_share(k) { (s.ci95[0].max(0.0), s.ci95[1].min(1.0)) } else { (s.ci95[0], s.ci95[1]) };
    let ci = if lo.is_finite() && hi.is_finite() {
        format!("<br><small>[{}, {}]</small>", fmt_value(k, lo), fmt_value(k, hi))
    } else {
        String::new()
    };
    format!("<td class=\"num\">{}{ci}</td>", fmt_value(k, s.mean))
}

pub(crate) fn kpi_label(k: &str, r: &Results) -> String {
    let unit = r.scenario.time_unit.label();
    match k {
        "service_level" => return format!("service level (served within {})", r.sl_threshold()),
        "service_level_arrivals" => {
            return format!("service level of arrivals (within {}, gave-ups count as late)", r.sl_threshold());
        }
        _ => {}
    }
    let base = match k {
        "arrived" => "arrived",
        "served" => "served",
        "abandoned" => "abandoned (left unserved)",
        "reneged" => "reneged (gave up waiting)",
        "balked" => "balked (did not join)",
        "abandon_rate" => "abandonment rate",
        "wait_mean" => "mean wait",
        "wait_p50" => "median wait",
        "wait_p90" => "p90 wait",
        "wait_p95" => "p95 wait",
        "wait_max" => "longest wait",
        "wait_prob" => "share who waited",
        "cycle_time_mean" => "mean cycle time",
        "cycle_time_p50" => "median cycle time",
        "cycle_time_p90" => "p90 cycle time",
        "cycle_time_p95" => "p95 cycle time",
        "service_level" => "service level",
        "satisfied_rate" => "satisfied (waited within tolerance)",
        "cycle_time_work_mean" => "mean cycle time in working time",
        "no_shows" => "appointment no-shows",
        "repeats" => "information asked again",
        "failed" => "automation failures",
        "throughput_per_hour" => "throughput per hour",
        "in_system_mean" => "mean customers in the process (arrived, not yet done)",
        "unfinished" => "still in the process at the end",
        "staff_cost" => "staff cost",
        "queue_mean" => "mean queue length",
        "queue_max" => "longest queue",
        "utilisation" => "utilisation",
        "busy_mean" => "mean busy staff",
        "staff_mean" => "mean staff on duty",
        other => other,
    };
    if kpi::is_duration(k) { format!("{base} ({unit})") } else { base.to_string() }
}

fn verdict(h: &mut String, r: &Results) {
    h.push_str("<section id=\"verdict\">\n<h2>Verdict</h2>\n");
    let names: Vec<&String> = r.variants.keys().collect();
    if names.len() < 2 {
        h.push_str(
            "<div class=\"verdict\">Only the baseline was simulated, so there is nothing to \
             compare. Add <code>[[variants]]</code> to the scenario to test changes.</div>\n</section>\n",
        );
        return;
    }
    let Some(c) = &r.comparison else {
        h.push_str("<div class=\"verdict\">No comparison was made.</div>\n</section>\n");
        return;
    };
    h.push_str("<div class=\"verdict\">");
    let v = crate::report::verdict::verdict(r);
    let _ = write!(
        h,
        "<p class=\"headline\" data-winner=\"{}\"><strong>{}</strong></p>",
        escape(v.winner.as_deref().unwrap_or("")),
        escape(&v.line)
    );
    if let Some(rk) = &c.ranking {
        let best: Vec<String> =
            rk.order.iter().filter(|o| o.2).map(|o| format!("<strong>{}</strong>", escape(&o.0))).collect();
        let name = rk.kpi.rsplit('.').next().unwrap_or("");
        let _ = write!(
            h,
            "<p>Ranked by <code>{}</code> ({}, indifference {}): {}.",
            escape(&rk.kpi),
            if rk.minimise { "lower is better" } else { "higher is better" },
            fmt_num(rk.indifference),
            rk.order
                .iter()
                .map(|o| format!("{} {}", escape(&o.0), fmt_value(name, o.1)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if best.len() > 1 {
            let _ = write!(h, " These cannot be told apart from the best at 95% confidence: {}.", best.join(", "));
        }
        h.push_str("</p>");
    }
    if let Some(rk) = &c.ranking
        && !rk.infeasible.is_empty()
    {
        let _ = write!(
            h,
            "<p class=\"note\">Miss the constraint {}: {}.</p>",
            escape(rk.constraint.as_deref().unwrap_or("")),
            rk.infeasible.iter().map(|n| escape(n)).collect::<Vec<_>>().join(", ")
        );
    }
    for s in &v.scores {
        let list = |l: &[&str]| {
            if l.is_empty() {
                "none".to_string()
            } else {
                l.iter().map(|k| kpi_label(k, r)).collect::<Vec<_>>().join(", ")
            }
        };
        let _ = write!(
            h,
            "<p class=\"note\">{}: better on {}; worse on {}.</p>",
            escape(&s.variant),
            escape(&list(&s.better)),
            escape(&list(&s.worse))
        );
        if !s.demand.is_empty() {
            let _ = write!(
                h,
                "<p class=\"warning demand\" data-variant=\"{}\">⚠ <strong>{}</strong> changes demand: {}. \
                 Its waits, service level and throughput describe a different demand (volume or \
                 channel mix) from the baseline's, so they are not a like-for-like improvement.</p>",
                escape(&s.variant),
                escape(&s.variant),
                s.demand.iter().map(|d| escape(d)).collect::<Vec<_>>().join("; ")
            );
        }
    }
    for s in &v.scores {
        if let Some(of) = &s.sensitivity_of {
            let _ = write!(
                h,
                "<p class=\"warning sensitivity\" data-variant=\"{}\" data-of=\"{}\">⚙ <strong>{}</strong> is a \
                 sensitivity test of <strong>{}</strong>, not an option to choose: it differs only in an \
                 assumption ({}). Read it as how robust {} is if that assumption fails; it is never \
                 recommended.</p>",
                escape(&s.variant),
                escape(of),
                escape(&s.variant),
                escape(of),
                escape(&s.assumption),
                escape(of)
            );
        }
    }
    let efficient: Vec<&str> = c.cost.iter().filter(|p| !p.dominated).map(|p| p.variant.as_str()).collect();
    if !efficient.is_empty() {
        let _ = write!(
            h,
            "<p class=\"note\">Not dominated on staff cost against service level: {}.</p>",
            efficient.iter().map(|n| format!("<strong>{}</strong>", escape(n))).collect::<Vec<_>>().join(", ")
        );
    }
    let _ = write!(
        h,
        "<p class=\"note\">Headline measures: {}; “significant” means the paired 95% confidence interval, \
         Bonferroni-adjusted for {} comparisons, excludes zero.{}</p>",
        crate::report::verdict::HEADLINE.iter().map(|k| escape(&kpi_label(k, r))).collect::<Vec<_>>().join(", "),
        c.compared,
        if c.ranking.is_none() {
            " For one answer on one KPI set <code>objective</code> in the scenario (or run with <code>--objective KPI</code>)."
        } else {
            ""
        }
    );
    h.push_str("</div>\n</section>\n");
}

fn clock(r: &Results, minutes: f64) -> String {
    let horizon = r.scenario.horizon * r.scenario.time_unit.minutes();
    let weekday = r.baseline().and_then(|b| b.model.start.as_ref()).map(|s| s.weekday.as_str());
    // "Mon d1 08:00" on a multi-day run, as on the charts' axes.
    crate::report::charts::style::Clock::new(r.scenario.start_minutes, horizon).on(weekday).label(minutes)
}

fn assumptions(h: &mut String, r: &Results) {
    let s = &r.scenario;
    let unit = s.time_unit.label();
    let mpu = s.time_unit.minutes();
    h.push_str("<section id=\"assumptions\">\n<h2>Scenario and assumptions</h2>\n<dl class=\"meta\">");
    // The weekday of t = 0 (summary.json's model.start): "Monday 00:00 for 21d".
    let day = r.baseline().and_then(|b| b.model.start.as_ref()).and_then(|st| {
        const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
        crate::report::results::WEEKDAYS.iter().position(|w| *w == st.weekday).map(|i| format!("{} ", DAYS[i]))
    });
    let rows = [
        ("Opening", format!("{}{} for {}", day.unwrap_or_default(), escape(&s.start), human_duration(s.horizon * mpu))),
        (
            "Warm-up (not counted)",
            if s.warmup > 0.0 {
                human_duration(s.warmup * mpu)
            } else {
                "none: every customer of the day counts".into()
            },
        ),
        (
            "Service level",
            format!(
                "<code>service_level</code>: {}.<br><code>service_level_arrivals</code>: {}.",
                escape(&kpi::service_level_definition("service_level", &r.sl_threshold()).unwrap_or_default()),
                escape(&kpi::service_level_definition("service_level_arrivals", &r.sl_threshold()).unwrap_or_default())
            ),
        ),
        ("Time unit of results", unit.to_string()),
        (
            "Replications",
            format!("{} per variant (seed {}), common random numbers across variants", r.replications, r.seed),
        ),
        ("Scenario file", format!("<code>{}</code>", escape(&s.file))),
    ];
    for (k, v) in rows {
        let _ = write!(h, "<dt>{k}</dt><dd>{v}</dd>");
    }
    h.push_str("</dl>\n");
    let base = r.baseline().map(|b| &b.model);
    h.push_str(
        "<h3>Variants</h3>\n<table><thead><tr><th>variant</th><th>description</th><th>changes against the \
         baseline</th></tr></thead><tbody>",
    );
    for (i, (n, v)) in r.variants.iter().enumerate() {
        let changes = match base {
            Some(b) if i > 0 => {
                let c = model_changes(r, b, &v.model, unit);
                if c.is_empty() {
                    let other = other_changes(b, &v.model);
                    if other.is_empty() { "none: the simulated model is identical".into() } else { other.join("<br>") }
                } else {
                    // A large model merges the same change of many resources (six closed branches).
                    let resources: Vec<String> = if crate::report::aggregate::is_large(r) {
                        v.model.resources.iter().map(|x| escape(&x.name)).collect()
                    } else {
                        Vec::new()
                    };
                    crate::report::drilldown::condense(c, &resources).join("<br>")
                }
            }
            _ => "–".into(),
        };
        let _ = write!(
            h,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            escape(n),
            if i == 0 { " <small>(reference)</small>" } else { "" },
            escape(&v.description),
            changes
        );
    }
    h.push_str("</tbody></table>\n");
    if let Some((bname, b)) = r.variants.first() {
        if b.model.steps.is_empty() {
            h.push_str(
                "<div class=\"box note\">This summary.json does not describe the process structure \
                 (arrival rates, staffing, service times, routing); the scenario file holds it.</div>\n",
            );
        } else {
            model_tables(h, r, &b.model, bname);
            // Variants that change the flow get their own diagram.
            for (n, v) in r.variants.iter().skip(1) {
                if flow_differs(&b.model, &v.model) && crate::report::drilldown::diagram_note(&v.model).is_none() {
                    let svg = diagram::process_svg(&v.model, unit, n);
                    if !svg.is_empty() {
                        let _ = write!(
                            h,
                            "<h3>Process in variant {}</h3>\n<figure class=\"diagram\">{svg}<figcaption>The \
                             flow as simulated in this variant; dashed boxes are steps it removed \
                             (customers pass through them without waiting).</figcaption></figure>\n",
                            escape(n)
                        );
                    }
                }
            }
        }
    }
    h.push_str("</section>\n");
}

/// Whether a variant's steps or routes differ from the baseline's.
fn flow_differs(a: &ModelInfo, b: &ModelInfo) -> bool {
    a.steps.len() != b.steps.len()
        || a.steps.iter().zip(&b.steps).any(|(x, y)| {
            x.name != y.name
                || x.removed != y.removed
                || x.routes.len() != y.routes.len()
                || x.routes.iter().zip(&y.routes).any(|((c1, l1), (c2, l2))| {
                    c1 != c2
                        || l1.len() != l2.len()
                        || l1.iter().zip(l2).any(|(p, q)| p.to != q.to || (p.p - q.p).abs() > 1e-12)
                })
        })
        || a.customers.iter().zip(&b.customers).any(|(x, y)| x.first_step != y.first_step)
        || a.flow != b.flow
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0) || (a.is_nan() && b.is_nan())
}

/// What a variant changes in the process, as escaped HTML lines.
fn model_changes(r: &Results, b: &ModelInfo, v: &ModelInfo, unit: &str) -> Vec<String> {
    let mut out = Vec::new();
    for st in &v.steps {
        let Some(bs) = b.steps.iter().find(|s| s.name == st.name) else {
            out.push(format!("adds step <strong>{}</strong>", escape(&st.name)));
            continue;
        };
        if st.removed && !bs.removed {
            out.push(format!("removes step <strong>{}</strong>", escape(&st.name)));
            continue;
        }
        if st.resource != bs.resource {
            out.push(format!(
                "step {}: staffed by {} instead of {}",
                escape(&st.name),
                escape(st.resource.as_deref().unwrap_or("no one")),
                escape(bs.resource.as_deref().unwrap_or("no one"))
            ));
        }
        let opt = |x: Option<f64>| x.map_or("none".to_string(), |p| format!("{}%", short(p * 100.0)));
        if st.repeat_p.map(f64::to_bits) != bs.repeat_p.map(f64::to_bits) {
            out.push(format!(
                "step {}: information asked again {} (was {})",
                escape(&st.name),
                opt(st.repeat_p),
                opt(bs.repeat_p)
            ));
        }
        if st.automation_success.map(f64::to_bits) != bs.automation_success.map(f64::to_bits) {
            out.push(format!(
                "step {}: automation success {} (was {})",
                escape(&st.name),
                opt(st.automation_success),
                opt(bs.automation_success)
            ));
        }
        if !same(st.context_factor, bs.context_factor) {
            out.push(format!(
                "step {}: next service takes ×{} with the hand-over context (was ×{})",
                escape(&st.name),
                short(st.context_factor),
                short(bs.context_factor)
            ));
        }
        for (c, m) in &st.service_mean {
            if let Some(bm) = bs.service_mean.get(c)
                && !same(*m, *bm)
            {
                out.push(format!(
                    "step {}: mean service for {} {} {unit} (was {})",
                    escape(&st.name),
                    escape(c),
                    short(*m),
                    short(*bm)
                ));
            }
        }
        for (c, l) in &st.routes {
            if let Some(bl) = bs.routes.get(c) {
                let (now, was) = (next_text(st.fork.as_ref(), l), next_text(bs.fork.as_ref(), bl));
                if now != was {
                    out.push(format!(
                        "step {}: {} then {} (was {})",
                        escape(&st.name),
                        escape(c),
                        escape(&now),
                        escape(&was)
                    ));
                }
            }
        }
    }
    for res in &v.resources {
        match b.resources.iter().find(|x| x.name == res.name) {
            None => {
                // Only what a reader needs: staff (its peak when it varies), other queues it
                // serves, cost, and a speed factor that is not 1.
                let peak = res.staff.iter().copied().max().unwrap_or(0);
                let mut parts = vec![if res.staff.iter().all(|&n| n == peak) {
                    format!("staff {peak}")
                } else {
                    format!("staff up to {peak}")
                }];
                if res.skills.iter().any(|k| k != &res.name) {
                    parts.push(format!("serves {}", escape(&res.skills.join(" then "))));
                }
                parts.push(format!("cost per hour {}", short(res.cost_per_hour)));
                if !same(res.speed, 1.0) {
                    parts.push(format!("service-time factor {}", short(res.speed)));
                }
                out.push(format!("adds resource <strong>{}</strong> ({})", escape(&res.name), parts.join(", ")));
            }
            Some(br) => {
                if (res.staff.len() > 24 || br.staff.len() > 24) && res.staff != br.staff {
                    // Calendar staffing is listed hour by hour: summarise instead.
                    let hours = |s: &[u32]| s.iter().map(|&x| u64::from(x)).sum::<u64>();
                    let peak = |s: &[u32]| s.iter().copied().max().unwrap_or(0);
                    out.push(format!(
                        "{}: staffing changed — peak {} (was {}), {} staff-hours in the first week (was {})",
                        escape(&res.name),
                        peak(&res.staff),
                        peak(&br.staff),
                        hours(&res.staff),
                        hours(&br.staff)
                    ));
                } else if res.staff != br.staff || res.interval != br.interval {
                    // In clock times, as the staffing table shows them: "09:00 4 · 12:00 2 ·
                    // 14:00 4", not a bare list of one value per interval.
                    let staff = |s: &[u32], iv: Option<f64>| {
                        let values: Vec<String> = s.iter().map(u32::to_string).collect();
                        match iv {
                            Some(iv) if s.iter().any(|&x| x != s[0]) => {
                                profile_text(r, iv, &values).replace('\n', "; ")
                            }
                            _ => values.first().cloned().unwrap_or_else(|| "0".into()),
                        }
                    };
                    out.push(format!(
                        "{}: staff {} (was {})",
                        escape(&res.name),
                        staff(&res.staff, res.interval),
                        staff(&br.staff, br.interval)
                    ));
                }
                if res.skills != br.skills {
                    out.push(format!(
                        "{}: serves {} (was {})",
                        escape(&res.name),
                        escape(&res.skills.join(" then ")),
                        escape(&br.skills.join(" then "))
                    ));
                }
                if !same(res.speed, br.speed) {
                    out.push(format!(
                        "{}: service-time factor {} (was {})",
                        escape(&res.name),
                        short(res.speed),
                        short(br.speed)
                    ));
                }
                if !same(res.cost_per_hour, br.cost_per_hour) {
                    out.push(format!(
                        "{}: cost per hour {} (was {})",
                        escape(&res.name),
                        short(res.cost_per_hour),
                        short(br.cost_per_hour)
                    ));
                }
            }
        }
    }
    // Demand: per customer type and moves between channels, never as a bare "×0.75".
    for d in crate::report::verdict::demand_changes(b, v) {
        out.push(format!("demand: {}", escape(&d)));
    }
    for c in &v.customers {
        if let Some(bc) = b.customers.iter().find(|x| x.name == c.name) {
            if c.first_step != bc.first_step {
                out.push(format!(
                    "{} start at {} (was {})",
                    escape(&c.name),
                    escape(&c.first_step),
                    escape(&bc.first_step)
                ));
            }
            if c.priority != bc.priority {
                out.push(format!("{}: priority {} (was {})", escape(&c.name), c.priority, bc.priority));
            }
            if c.patience_mean.map(|x| x.to_bits()) != bc.patience_mean.map(|x| x.to_bits()) {
                let p = |x: Option<f64>| x.map_or("unlimited".to_string(), |m| format!("{} {unit}", short(m)));
                out.push(format!(
                    "{}: mean patience {} (was {})",
                    escape(&c.name),
                    p(c.patience_mean),
                    p(bc.patience_mean)
                ));
            }
            if c.balk_at != bc.balk_at {
                let p = |x: Option<u32>| x.map_or("never".to_string(), |n| n.to_string());
                out.push(format!("{}: balk at queue {} (was {})", escape(&c.name), p(c.balk_at), p(bc.balk_at)));
            }
        }
    }
    out
}

/// Any other field of the simulated model that differs, by its path in summary.json, so that
/// a change the plain-words list does not know yet is still shown, never reported as "none".
fn other_changes(b: &ModelInfo, v: &ModelInfo) -> Vec<String> {
    fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value;
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, va) in x {
                    walk(&format!("{path}.{k}"), va, y.get(k).unwrap_or(&Value::Null), out);
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                    let name = va.get("name").and_then(Value::as_str).map_or(i.to_string(), str::to_string);
                    walk(&format!("{path}[{name}]"), va, vb, out);
                }
            }
            _ if a != b => out.push(format!(
                "{}: {} (was {})",
                escape(path.trim_start_matches('.')),
                escape(&a.to_string()),
                escape(&b.to_string())
            )),
            _ => {}
        }
    }
    let (Ok(x), Ok(y)) = (serde_json::to_value(v), serde_json::to_value(b)) else { return Vec::new() };
    let mut out = Vec::new();
    walk("", &x, &y, &mut out);
    out
}

/// Where a case goes after a step, in words: the parallel branches of a fork, the routes
/// with their probabilities, or "leave".
fn next_text(fork: Option<&crate::report::results::ForkInfo>, routes: &[crate::report::results::RouteInfo]) -> String {
    if let Some(f) = fork {
        let branches: Vec<String> = f
            .branches
            .iter()
            .map(|b| if b.p >= 1.0 { b.to.clone() } else { format!("{} ({:.0}% of cases)", b.to, b.p * 100.0) })
            .collect();
        return format!("split into parallel branches {}, joined at {}", branches.join(" ∥ "), f.join);
    }
    if routes.is_empty() {
        return "done".into();
    }
    let list: Vec<String> = routes.iter().map(|r| format!("{} {:.0}%", r.to, r.p * 100.0)).collect();
    format!("go to {}", list.join(", "))
}

fn model_tables(h: &mut String, r: &Results, m: &ModelInfo, name: &str) {
    let unit = r.scenario.time_unit.label();
    let _ = writeln!(h, "<h3>Process ({})</h3>", escape(name));
    let note = crate::report::drilldown::diagram_note(m);
    h.push_str(note.as_deref().unwrap_or(""));
    let svg = if note.is_some() { String::new() } else { diagram::process_svg(m, unit, name) };
    if !svg.is_empty() {
        let _ = writeln!(
            h,
            "<figure class=\"diagram\">{svg}<figcaption>Customers move from left to right; arrows carry \
             the probability of taking them (per customer type where they differ). Boxes show the staff a \
             step needs and its mean service time.</figcaption></figure>"
        );
    }
    h.push_str(
        "<h3>Customers and arrivals</h3>\n<div class=\"scroll\"><table><thead><tr><th>customer \
         type</th><th>first step</th><th class=\"num\">priority</th><th>mean patience</th><th \
         class=\"num\">balks at queue of</th><th class=\"num\">expected arrivals</th><th>arrivals per \
         hour</th></tr></thead><tbody>",
    );
    for c in &m.customers {
        let arr: Vec<&crate::report::results::ArrivalInfo> =
            m.arrivals.iter().filter(|a| a.customer == c.name).collect();
        let expected: f64 = arr.iter().map(|a| a.expected).sum();
        // A type arriving through several streams (channels) starts where each stream sends
        // it: the customer type's own first step is then empty, and the table said nothing.
        let entry = |stream: &str| m.flow.entries.iter().find(|e| e.stream == stream);
        let named = arr.len() > 1;
        let rates: Vec<String> = arr
            .iter()
            .map(|a| {
                let text = match &a.appointments {
                    Some(ap) => format!(
                        "booked: {} slots, {}% no-show; showing up per hour: {}",
                        ap.slots,
                        short(ap.no_show * 100.0),
                        rate_text(r, a.interval, &a.rates_per_hour)
                    ),
                    None => rate_text(r, a.interval, &a.rates_per_hour),
                };
                if named { format!("{} — {text}", a.name) } else { text }
            })
            .map(|t| escape(&t).replace('\n', "<br>"))
            .collect();
        let mut firsts: Vec<String> = arr
            .iter()
            .filter_map(|a| entry(&a.name))
            .map(|e| match &e.channel {
                Some(ch) => format!("{} (via {ch})", e.to),
                None => e.to.clone(),
            })
            .collect();
        firsts.dedup();
        if firsts.is_empty() && !c.first_step.is_empty() {
            firsts.push(c.first_step.clone());
        }
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"first-step\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td \
             class=\"num\">{}</td><td class=\"rates\">{}</td></tr>",
            escape(&c.name),
            if firsts.is_empty() {
                "–".into()
            } else {
                crate::report::drilldown::first_steps_summary(r, &firsts)
                    .unwrap_or_else(|| firsts.iter().map(|f| escape(f)).collect::<Vec<_>>().join("<br>"))
            },
            c.priority,
            c.patience_mean.map_or("waits indefinitely".into(), |p| format!("{} {unit}", short(p))),
            c.balk_at.map_or("–".into(), |b| b.to_string()),
            if arr.is_empty() { "–".into() } else { short(expected) },
            if rates.is_empty() {
                "–".into()
            } else {
                crate::report::drilldown::arrivals_summary(&arr).unwrap_or_else(|| rates.join("<br>"))
            }
        );
    }
    h.push_str("</tbody></table></div>\n");
    h.push_str("<h3>Staffing</h3>\n");
    // A large model lists its resource groups and busiest resources, all of them folded away.
    if !crate::report::drilldown::staffing(h, r, m) {
        staffing_table(h, r, &m.resources.iter().collect::<Vec<_>>(), "");
    }
    h.push_str("<h3>Steps</h3>\n");
    if !crate::report::drilldown::steps(h, r, m) {
        steps_table(h, r, &m.steps.iter().collect::<Vec<_>>(), "");
    }
    h.push_str(
        "<p class=\"note\">summary.json records mean service times and patience only; the \
         distributions' shapes are in the scenario file.</p>\n",
    );
}

/// The staffing table of `list` (`id`: an HTML id for the table, "" for none).
pub(crate) fn staffing_table(h: &mut String, r: &Results, list: &[&ResourceInfo], id: &str) {
    let _ = write!(
        h,
        "<div class=\"scroll\"><table{}><thead><tr><th>resource</th><th \
         class=\"num\">cost per hour</th><th>staff on duty</th></tr></thead><tbody>",
        id_attr(id)
    );
    for res in list {
        let staff = match res.interval {
            None => res.staff.first().map_or("–".into(), |n| format!("{n} all day")),
            Some(iv) => profile_text(r, iv, &res.staff.iter().map(|n| n.to_string()).collect::<Vec<_>>()),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"staff\">{}</td></tr>",
            escape(&res.name),
            short(res.cost_per_hour),
            escape(&staff).replace('\n', "<br>")
        );
    }
    h.push_str("</tbody></table></div>\n");
}

fn id_attr(id: &str) -> String {
    if id.is_empty() { String::new() } else { format!(" id=\"{}\"", escape(id)) }
}

/// The steps table of `list`: staff, mean service time and routes (`id` as above).
pub(crate) fn steps_table(h: &mut String, r: &Results, list: &[&StepInfo], id: &str) {
    let unit = r.scenario.time_unit.label();
    let _ = write!(
        h,
        "<div class=\"scroll\"><table{}><thead><tr><th>step</th><th>staffed by</th><th>mean \
         service time</th><th>next (probability)</th></tr></thead><tbody>",
        id_attr(id)
    );
    for st in list {
        let service =
            group_by_text(st.service_mean.iter().map(|(c, v)| (c.as_str(), format!("{} {unit}", short(*v)))).collect());
        let routes = group_by_text(
            st.routes
                .iter()
                .map(|(c, list)| {
                    let mut parts: Vec<String> =
                        list.iter().map(|ri| format!("{} {}", ri.to, pct_text(ri.p))).collect();
                    let leave = 1.0 - list.iter().map(|ri| ri.p).sum::<f64>();
                    if leave > 1e-9 {
                        parts.push(format!("done {}", pct_text(leave)));
                    }
                    (c.as_str(), parts.join(", "))
                })
                .collect(),
        );
        let _ = write!(
            h,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&st.name),
            if st.removed { " <small>(removed)</small>" } else { "" },
            escape(st.resource.as_deref().unwrap_or("no staff")),
            service,
            routes
        );
    }
    h.push_str("</tbody></table></div>\n");
}

pub(crate) fn pct_text(p: f64) -> String {
    let v = p * 100.0;
    if (v - v.round()).abs() < 0.05 { format!("{v:.0}%") } else { format!("{v:.1}%") }
}

/// "09:00 4 · 12:00 3 · 14:00 4": runs of equal values shown once.
fn compress(items: Vec<(String, String)>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut last: Option<&String> = None;
    for (t, v) in &items {
        if last != Some(v) {
            out.push(format!("{t} {v}"));
            last = Some(v);
        }
    }
    out.join(" · ")
}

/// "text" when every customer type has the same text, else "type: text" lines (escaped).
pub(crate) fn group_by_text(items: Vec<(&str, String)>) -> String {
    if items.is_empty() {
        return "–".into();
    }
    if items.iter().all(|i| i.1 == items[0].1) {
        return escape(&items[0].1);
    }
    items.iter().map(|(c, t)| format!("{}: {}", escape(c), escape(t))).collect::<Vec<_>>().join("<br>")
}

fn rate_text(r: &Results, interval: Option<f64>, rates: &[f64]) -> String {
    match interval {
        None => format!("{} all day", short(rates.first().copied().unwrap_or(f64::NAN))),
        Some(iv) => profile_text(r, iv, &rates.iter().map(|x| short(*x)).collect::<Vec<_>>()),
    }
}

/// A profile of values per interval (`iv` in the time unit) as a reader wants it. On a run of
/// one day: "09:00 4 · 12:00 3" (runs of equal values once). On a multi-day run the weekly
/// profile is folded into days with the same pattern, one line each: "Mon–Fri: 09:00 10 ·
/// 17:00 0" and "Sat–Sun: none", instead of every interval of every day (a 14-day run listed
/// 50 clock times a stream). Lines are separated by '\n' (the caller turns them into <br>).
pub(crate) fn profile_text(r: &Results, iv: f64, values: &[String]) -> String {
    let mpu = r.scenario.time_unit.minutes();
    let ivm = iv * mpu;
    let day = crate::scenario::units::MINUTES_PER_DAY;
    let week = 7.0 * day;
    let full = values.len() as f64 * ivm;
    let multi_day = r.scenario.start_minutes + r.scenario.horizon * mpu > day;
    let per_day = day / ivm;
    let periodic = (full - week).abs() < 1e-6 || (full - day).abs() < 1e-6;
    if !multi_day || !periodic || (per_day - per_day.round()).abs() > 1e-9 || ivm <= 0.0 {
        return compress(values.iter().enumerate().map(|(i, v)| (clock(r, i as f64 * ivm), v.clone())).collect());
    }
    let per_day = per_day.round() as usize;
    let start_day = r
        .baseline()
        .and_then(|b| b.model.start.as_ref())
        .and_then(|s| crate::report::results::WEEKDAYS.iter().position(|d| *d == s.weekday))
        .unwrap_or(0);
    let days = if (full - day).abs() < 1e-6 { 1 } else { 7 };
    // The value in force at clock `slot` of calendar day `d` (d = 0: the day of t = 0): the
    // profile repeats every `full` minutes from t = 0.
    let at = |d: usize, slot: usize| {
        let t = d as f64 * day + slot as f64 * ivm - r.scenario.start_minutes;
        let i = (t.rem_euclid(full) / ivm).round() as usize % values.len();
        values[i].clone()
    };
    let mut groups: Vec<(Vec<usize>, Vec<String>)> = Vec::new();
    for d in 0..days {
        let prof: Vec<String> = (0..per_day).map(|k| at(d, k)).collect();
        match groups.iter_mut().find(|g| g.1 == prof) {
            Some(g) => g.0.push(d),
            None => groups.push((vec![d], prof)),
        }
    }
    let name = |d: usize| {
        let w = crate::report::results::WEEKDAYS[(start_day + d) % 7];
        let mut c = w.chars();
        c.next().map_or(String::new(), |f| f.to_uppercase().collect::<String>() + c.as_str())
    };
    let day_set = |ds: &[usize]| {
        if days == 1 || ds.len() == 7 {
            return "every day".to_string();
        }
        // Runs of consecutive days: "Mon–Fri", "Sat–Sun", "Tue".
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < ds.len() {
            let mut j = i;
            while j + 1 < ds.len() && ds[j + 1] == ds[j] + 1 {
                j += 1;
            }
            parts.push(if j > i { format!("{}–{}", name(ds[i]), name(ds[j])) } else { name(ds[i]) });
            i = j + 1;
        }
        parts.join(", ")
    };
    let zero = |v: &String| v.parse::<f64>().is_ok_and(|x| x == 0.0);
    groups
        .iter()
        .map(|(ds, prof)| {
            let text = if prof.iter().all(zero) {
                "none".to_string()
            } else {
                compress(
                    prof.iter()
                        .enumerate()
                        .map(|(k, v)| (crate::scenario::units::clock_label(0.0, k as f64 * ivm, false), v.clone()))
                        .collect(),
                )
            };
            format!("{}: {text}", day_set(ds))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Variant columns per KPI table. Five columns of "12.3% [11.4%, 13.2%]" and a KPI column
/// overflow an 800 px page (a laptop split screen, a printed A4 page); beyond this the table
/// wraps into further tables of the remaining variants, each with the baseline again as the
/// reference column, so that every column stays readable without scrolling.
pub const KPI_TABLE_COLUMNS: usize = 4;

/// The variants of each KPI table: all of them when they fit, otherwise the baseline and up
/// to `KPI_TABLE_COLUMNS - 1` others per table.
fn kpi_table_chunks(r: &Results) -> Vec<Vec<(&String, &VariantSummary)>> {
    let all: Vec<(&String, &VariantSummary)> = r.variants.iter().collect();
    if all.len() <= KPI_TABLE_COLUMNS {
        return vec![all];
    }
    all[1..].chunks(KPI_TABLE_COLUMNS - 1).map(|c| std::iter::once(all[0]).chain(c.iter().copied()).collect()).collect()
}

fn kpi_tables(h: &mut String, r: &Results) {
    h.push_str(
        "<section id=\"kpis\">\n<h2>KPIs by variant</h2>\n<p class=\"note\">Mean across \
         replications with its 95% confidence interval below it.",
    );
    let chunks = kpi_table_chunks(r);
    if chunks.len() > 1 {
        let _ = write!(
            h,
            " {} variants do not fit one readable table: they follow in {} tables, each with \
             the baseline again as the reference column.",
            r.variants.len(),
            chunks.len()
        );
    }
    h.push_str("</p>\n");
    for vs in &chunks {
        kpi_table(h, r, vs);
    }
    kpi_notes(h, r);
}

/// One KPI table over the variants `vs` (one column each).
fn kpi_table(h: &mut String, r: &Results, vs: &[(&String, &VariantSummary)]) {
    h.push_str("<div class=\"scroll\"><table class=\"kpis\"><thead><tr><th>KPI</th>");
    for (n, _) in vs {
        let _ = write!(h, "<th class=\"num\">{}</th>", escape(n));
    }
    h.push_str("</tr></thead><tbody>");
    let cols = vs.len() + 1;
    let vs: Vec<&VariantSummary> = vs.iter().map(|(_, v)| *v).collect();
    let row = |h: &mut String, label: &str, path: &str, k: &str| {
        let _ = write!(h, "<tr><td>{}</td>", label);
        for v in &vs {
            h.push_str(&stat_cell(k, v.get(path)));
        }
        h.push_str("</tr>");
    };
    let group = |h: &mut String, title: &str| {
        let _ = write!(h, "<tr class=\"group\"><th colspan=\"{cols}\">{title}</th></tr>");
    };
    group(h, "All customers");
    for k in crate::report::table::HEADLINE.iter().copied().chain([
        "wait_p50",
        "wait_p95",
        "wait_max",
        "wait_prob",
        "in_system_mean",
        "unfinished",
    ]) {
        row(h, &escape(&kpi_label(k, r)), k, k);
    }
    let mut customers: Vec<&String> = Vec::new();
    let mut steps: Vec<&String> = Vec::new();
    let mut resources: Vec<&String> = Vec::new();
    for v in &vs {
        for (list, keys) in [
            (&mut customers, v.customers.keys().collect::<Vec<_>>()),
            (&mut steps, v.steps.keys().collect()),
            (&mut resources, v.resources.keys().collect()),
        ] {
            for k in keys {
                if !list.contains(&k) {
                    list.push(k);
                }
            }
        }
    }
    for c in customers {
        group(h, &format!("Customer type: {}", escape(c)));
        for k in ["arrived", "abandon_rate", "wait_mean", "wait_p90", "cycle_time_mean", "service_level"] {
            row(h, &escape(&kpi_label(k, r)), &format!("customers.{c}.{k}"), k);
        }
    }
    // A large model lists its busiest steps and resources here; the drill-down has them all.
    let (all_steps, all_resources) = (steps.len(), resources.len());
    if let Some(shown) = crate::report::aggregate::shown_steps(r) {
        steps.retain(|s| shown.iter().any(|x| x == *s));
    }
    if let Some(shown) = crate::report::aggregate::shown_resources(r) {
        resources.retain(|s| shown.iter().any(|x| x == *s));
    }
    let more = |h: &mut String, shown: usize, all: usize, what: &str| {
        if shown < all {
            let _ = write!(
                h,
                "<tr><td colspan=\"{cols}\" class=\"note\">the {shown} busiest of {all} {what}; every one is in \
                 <a href=\"#drilldown\">the drill-down</a></td></tr>"
            );
        }
    };
    if !steps.is_empty() {
        group(h, "Steps");
        more(h, steps.len(), all_steps, "steps");
        for s in steps {
            for k in ["wait_mean", "queue_mean", "queue_max"] {
                row(h, &format!("{}: {}", escape(s), escape(&kpi_label(k, r))), &format!("steps.{s}.{k}"), k);
            }
        }
    }
    if !resources.is_empty() {
        group(h, "Resources");
        more(h, resources.len(), all_resources, "resources");
        for s in resources {
            for k in ["utilisation", "staff_cost"] {
                row(h, &format!("{}: {}", escape(s), escape(&kpi_label(k, r))), &format!("resources.{s}.{k}"), k);
            }
        }
    }
    h.push_str("</tbody></table></div>\n");
}

/// Precision targets and early stops under the KPI tables.
fn kpi_notes(h: &mut String, r: &Results) {
    if let Some(p) = &r.precision {
        let _ = write!(
            h,
            "<h3>Precision targets</h3><p class=\"note\">Replications were added until each \
             target half-width was met ({} replications; {}).</p><table><thead><tr><th>variant</th><th>KPI</th><th class=\"num\">mean</th><th class=\"num\">half-width</th><th class=\"num\">target</th><th>met</th></tr></thead><tbody>",
            p.replications,
            if p.all_met { "all met" } else { "NOT all met: the cap was reached" }
        );
        for t in &p.targets {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(&t.variant),
                escape(&t.kpi),
                fmt_num(t.mean),
                fmt_num(t.half_width),
                fmt_num(t.target),
                if t.met { "yes" } else { "<span class=\"worse\">no</span>" }
            );
        }
        h.push_str("</tbody></table>\n");
    }
    for (n, v) in &r.variants {
        if !v.stopped_early.is_empty() {
            let _ = writeln!(
                h,
                "<div class=\"box warn\">{} replication(s) of <strong>{}</strong> stopped early \
                 (safety cap): {}</div>",
                v.stopped_early.len(),
                escape(n),
                escape(
                    &v.stopped_early.iter().take(3).map(|(i, m)| format!("#{i}: {m}")).collect::<Vec<_>>().join("; ")
                )
            );
        }
    }
    h.push_str("</section>\n");
}

fn comparison(h: &mut String, r: &Results) {
    h.push_str("<section id=\"comparison\">\n<h2>Comparison with the baseline</h2>\n");
    let Some(c) = r.comparison.as_ref().filter(|c| !c.differences.is_empty()) else {
        h.push_str("<p>Only one variant: nothing to compare.</p>\n</section>\n");
        return;
    };
    let _ = write!(
        h,
        "<p class=\"note\">Each variant ran on the same random numbers as the baseline \
         (common random numbers), so differences are paired replication by replication. \
         Significance uses the Bonferroni-adjusted interval for {} comparisons. Green: \
         significantly better; red: significantly worse.</p>\n<div class=\"scroll\"><table><thead><tr><th>variant</th><th>KPI</th><th class=\"num\">baseline</th><th class=\"num\">variant</th><th class=\"num\">difference [95% CI]</th><th class=\"num\">change</th><th>significant</th></tr></thead><tbody>",
        c.compared
    );
    let keys: Vec<&str> =
        crate::report::table::HEADLINE.iter().copied().filter(|k| *k != "arrived" && *k != "served").collect();
    for d in &c.differences {
        if !keys.contains(&d.kpi.as_str()) {
            continue;
        }
        let k = d.kpi.as_str();
        let class = if d.significant && d.diff != 0.0 {
            if (d.diff > 0.0) == kpi::higher_is_better(k) { " class=\"better\"" } else { " class=\"worse\"" }
        } else {
            ""
        };
        let diff = |x: f64| {
            if is_share(k) {
                format!("{:+.1} pp", x * 100.0)
            } else {
                format!("{}{}", if x > 0.0 { "+" } else { "" }, fmt_num(x))
            }
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} <small>[{}, {}]</small></td><td class=\"num\"><span{class}>{}</span></td><td>{}</td></tr>",
            escape(&d.variant),
            escape(&kpi_label(k, r)),
            fmt_value(k, d.baseline_mean),
            fmt_value(k, d.variant_mean),
            diff(d.diff),
            diff(d.ci95[0]),
            diff(d.ci95[1]),
            if d.relative.is_finite() { format!("{:+.1}%", d.relative * 100.0) } else { "–".into() },
            if d.significant { "yes" } else { "no" }
        );
    }
    h.push_str("</tbody></table></div>\n");
    if let Some(rk) = &c.ranking {
        let _ = write!(h, "<h3>Ranking by {}</h3><ol>", escape(&rk.kpi));
        for (n, m, best) in &rk.order {
            let _ = write!(
                h,
                "<li>{} — {}{}</li>",
                escape(n),
                fmt_value(rk.kpi.rsplit('.').next().unwrap_or(""), *m),
                if *best { " <small>(cannot be told apart from the best)</small>" } else { "" }
            );
        }
        h.push_str("</ol>\n");
    }
    if !c.cost.is_empty() {
        h.push_str("<h3>Staff cost against service level</h3><table><thead><tr><th>variant</th><th class=\"num\">staff cost</th><th class=\"num\">service level</th><th>efficient?</th></tr></thead><tbody>");
        for p in &c.cost {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(&p.variant),
                fmt_num(p.staff_cost),
                fmt_value("service_level", p.service_level),
                if p.dominated { "dominated" } else { "<strong>non-dominated</strong>" }
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

fn bottlenecks(h: &mut String, r: &Results) {
    h.push_str("<section id=\"bottlenecks\">\n<h2>Where to act next</h2>\n<ul>");
    for (name, v) in &r.variants {
        let b = &v.bottleneck;
        let step = match &b.step {
            Some(s) if b.step_wait_share.is_finite() => format!(
                "most waiting at <strong>{}</strong> ({:.0}% of all waiting)",
                escape(s),
                b.step_wait_share * 100.0
            ),
            _ => "no waiting".into(),
        };
        let res = match &b.resource {
            Some(s) if b.utilisation.is_finite() => {
                format!("busiest resource <strong>{}</strong> ({:.0}% utilised)", escape(s), b.utilisation * 100.0)
            }
            _ => "no resources".into(),
        };
        let _ = write!(h, "<li>{}: {step}; {res}</li>", escape(name));
    }
    h.push_str("</ul>\n</section>\n");
}

fn charts_section(h: &mut String, r: &Results, charts: &[Rendered], failed: &[Failed], font: &ChartFont) {
    h.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">{} charts; each is also in <code>charts/</code> as PNG and SVG. \
         Colours are the Okabe–Ito palette (safe for colour-vision deficiencies); the baseline \
         is black.</p>",
        charts.len()
    );
    if !font.missing.is_empty() {
        let sample: String = font.missing.iter().take(12).collect();
        let _ = writeln!(
            h,
            "<div class=\"box warn\">The chart font ({}) has no glyphs for some characters of \
             the names (for example “{}”): they show as boxes in the PNG files. Install a font \
             that has them (Noto Sans CJK: Debian package fonts-noto-cjk) or pass \
             <code>--font PATH</code>. The charts below render them with the browser’s \
             fonts.</div>",
            escape(&font.source),
            escape(&sample)
        );
    }
    for note in crate::report::charts::omitted(r) {
        let _ = writeln!(h, "<p class=\"note omitted\">{}</p>", escape(&note));
    }
    for f in failed {
        let _ = writeln!(
            h,
            "<div class=\"box warn\">Chart “{}” could not be drawn: {}</div>",
            escape(&f.title),
            escape(&f.error)
        );
    }
    let _ = r;
    for c in charts {
        let _ = write!(
            h,
            "<figure class=\"chart\" id=\"chart-{}\">\n{}<figcaption><strong>{}</strong>. {}</figcaption>\n</figure>\n",
            escape(&c.stem),
            c.svg.trim(),
            escape(&c.title),
            escape(&c.caption)
        );
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\"\u{0}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\u{FFFD}"
        );
    }
}
