//! `fit_report.html`: the run report's conventions (`report::html`): one file, no script, no
//! request (the same Content-Security-Policy), charts inline as SVG, every name escaped.
//!
//! Tables carry stable ids and classes (`#durations td.service`, `#routing td.p` …) so that
//! tests, and a planner's own tools, can read the figures back.

use std::fmt::Write as _;

use super::ActivityEvidence;
use crate::discover::Discovery;
use crate::discover::arrivals::BINS;
use crate::discover::emit;
use crate::discover::process::Routes;
use crate::discover::time::WEEKDAYS;
use crate::report::charts::Rendered;
use crate::report::charts::diagram;
use crate::report::charts::fonts::ChartFont;
use crate::report::html::{CSP, escape};
use crate::report::results::ModelInfo;

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", "Noto Sans", "Noto Sans CJK SC", "Segoe UI", Arial, sans-serif;
  color: #222; margin: 0 auto; max-width: 1240px; padding: 24px 28px 60px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 28px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #0072b2; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #d8d8d8; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; font-weight: 600; }
td.num, th.num, td.n, td.p { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.note { color: #555; font-size: 14px; }
.box { border: 1px solid #d5a000; background: #fff8e1; padding: 10px 14px; margin: 10px 0; }
figure.chart { margin: 18px 0 26px; }
figure svg { display: block; width: 100%; height: auto; max-width: 1200px; border: 1px solid #eee; }
figcaption { font-size: 13.5px; color: #555; margin-top: 6px; max-width: 1000px; }
code { font-size: 13px; background: #f3f3f3; padding: 0 3px; }
.scroll { overflow-x: auto; }
"#;

fn clock(m: f64) -> String {
    format!("{:02}:{:02}", (m / 60.0) as u32, (m % 60.0) as u32)
}

pub fn render(
    d: &Discovery,
    w: &super::Written<'_>,
    ev: &[ActivityEvidence<'_>],
    charts: &[Rendered],
    font: &ChartFont,
) -> String {
    let log = &d.log;
    let mut h = String::with_capacity(1 << 20);
    let title = escape(&format!("Fit report: {}", d.source_name));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"branchsim {}\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        h,
        "<p class=\"note\">What <code>branchsim discover</code> inferred from <code>{}</code> and the evidence behind \
         each value. The scenario written from it: <code>{}</code>. Check the charts before trusting a figure: a fit \
         that misses the data here will miss it in every simulation.</p>",
        escape(&d.source),
        escape(w.scenario_path)
    );
    h.push_str("<section id=\"summary\">\n<h2>The log</h2>\n<table>\n");
    for (k, v) in [
        ("cases", log.cases.to_string()),
        ("events", log.events.len().to_string()),
        ("activities", log.activities.len().to_string()),
        ("resources", log.resources.len().to_string()),
        ("span", log.describe_span()),
        ("simulated horizon", crate::discover::horizon::describe(d)),
    ] {
        let _ = writeln!(h, "<tr><th>{k}</th><td class=\"{}\">{}</td></tr>", k.replace(' ', "_"), escape(&v));
    }
    h.push_str("</table>\n");
    let problems = log.issues.report(&d.source);
    if !problems.trim().is_empty() {
        h.push_str(
            "<div class=\"box\" id=\"data-problems\"><strong>Data problems</strong> (counted, not fatal):<ul>\n",
        );
        for line in problems.lines() {
            let _ = writeln!(h, "<li>{}</li>", escape(line));
        }
        h.push_str("</ul></div>\n");
    }
    h.push_str("</section>\n");

    arrivals(&mut h, d);
    durations(&mut h, ev);
    routing(&mut h, d, w);
    pools(&mut h, d);

    h.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">{} charts; each is also in <code>charts/</code> as PNG. Chart font: {}.</p>",
        charts.len(),
        escape(&font.source)
    );
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
    let _ = writeln!(
        h,
        "<footer class=\"note\"><p>Written by branchsim {} with the scenario (content hash <code>{}</code>).</p></footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        escape(&w.loaded.content_hash)
    );
    h
}

fn arrivals(h: &mut String, d: &Discovery) {
    let a = &d.arrivals;
    h.push_str("<section id=\"arrivals\">\n<h2>Arrivals</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">A non-homogeneous Poisson process: the rate of each weekday hour is the arrivals in that hour \
         divided by the number of such weekdays in the log (its maximum-likelihood estimate), with a 95% interval. \
         See the chart <a href=\"#chart-arrivals\">arrivals</a>.</p>"
    );
    h.push_str("<table id=\"arrival-days\">\n<thead><tr><th>weekday</th><th class=\"num\">dates</th><th class=\"num\">arrivals</th><th>busiest hour: rate per hour [95% CI]</th></tr></thead>\n<tbody>\n");
    for (wd, day) in WEEKDAYS.iter().enumerate() {
        let n: u64 = a.counts[wd].iter().sum();
        let peak = if a.closed(wd) {
            "closed (no arrival)".to_string()
        } else {
            let hmax = (0..BINS).max_by_key(|b| (a.counts[wd][*b], std::cmp::Reverse(*b))).unwrap_or(0);
            let (r, lo, hi) = a.rate(wd, hmax);
            format!("{hmax:02}h: {r:.3} [{lo:.3}, {hi:.3}]")
        };
        let _ = writeln!(
            h,
            "<tr data-weekday=\"{day}\"><td>{day}</td><td class=\"num\">{}</td><td class=\"n\">{n}</td><td>{}</td></tr>",
            a.days[wd],
            escape(&peak)
        );
    }
    h.push_str("</tbody></table>\n");
    if !a.quiet_dates.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"note\">Dates without arrivals on open weekdays (holidays? not modelled): {}.</p>",
            escape(&a.quiet_dates.join(", "))
        );
    }
    h.push_str("</section>\n");
}

fn durations(h: &mut String, ev: &[ActivityEvidence<'_>]) {
    h.push_str("<section id=\"activities\">\n<h2>Working times</h2>\n");
    h.push_str(
        "<p class=\"note\">Per activity, the maximum-likelihood fit chosen by AIC among exponential, lognormal, gamma, \
         Weibull, normal (truncated at 0) and fixed, checked with the Kolmogorov–Smirnov statistic (its p-value is \
         optimistic with fitted parameters); the empirical distribution replaces a clearly rejected family. \
         <em>service</em> is the value written into the scenario.</p>\n",
    );
    h.push_str(
        "<div class=\"scroll\"><table id=\"durations\">\n<thead><tr><th>step</th><th class=\"num\">n</th>\
         <th class=\"num\">zero-length</th><th>family</th><th>service</th><th class=\"num\">mean (min)</th>\
         <th class=\"num\">AIC</th><th class=\"num\">BIC</th><th class=\"num\">KS D</th><th class=\"num\">KS p</th>\
         <th>AIC of the candidates</th><th>note</th></tr></thead>\n<tbody>\n",
    );
    for e in ev {
        let f = e.fit;
        let fin = |x: f64, p: usize| if x.is_finite() { format!("{x:.p$}") } else { "—".into() };
        let cands: Vec<String> = f.candidates.iter().map(|(n, a)| format!("{n} {a:.1}")).collect();
        let _ = writeln!(
            h,
            "<tr data-step=\"{name}\"><td class=\"step\">{name}</td><td class=\"n\">{}</td><td class=\"num zeros\">{}</td>\
             <td class=\"family\">{}</td><td class=\"service\"><code>{}</code></td><td class=\"num\">{:.3}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num ks\">{:.3}</td><td class=\"num\">{:.2}</td>\
             <td>{}</td><td>{}</td></tr>",
            f.observed,
            f.zeros,
            f.family.name(),
            escape(&emit::dist(&f.family)),
            f.family.mean(),
            fin(f.aic, 1),
            fin(f.bic, 1),
            f.ks,
            f.ks_p,
            escape(&cands.join(", ")),
            escape(&f.note),
            name = escape(e.name)
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn route_rows(h: &mut String, from: &str, ty: Option<&str>, r: &Routes, names: &[String]) {
    let total = r.total();
    let ty_cell = ty.map_or(String::new(), |t| format!("<td class=\"type\">{}</td>", escape(t)));
    for ((a, n), p) in r.next.iter().zip(crate::discover::emit::route_probabilities(r)) {
        let _ = writeln!(
            h,
            "<tr><td class=\"from\">{}</td>{ty_cell}<td class=\"to\">{}</td><td class=\"n\">{n}</td><td class=\"p\">{}</td></tr>",
            escape(from),
            escape(&names[*a as usize]),
            p
        );
    }
    if r.ended > 0 {
        let _ = writeln!(
            h,
            "<tr class=\"end\"><td class=\"from\">{}</td>{ty_cell}<td class=\"to\"><em>(case ends)</em></td><td class=\"n\">{}</td><td class=\"p\">{:.6}</td></tr>",
            escape(from),
            r.ended,
            r.ended as f64 / total.max(1) as f64
        );
    }
}

fn routing(h: &mut String, d: &Discovery, w: &super::Written<'_>) {
    let names = &d.log.activities.names;
    h.push_str("<section id=\"routing\">\n<h2>Routing</h2>\n");
    h.push_str(
        "<p class=\"note\">The process as it will be simulated (the scenario compiled): boxes are steps, arrows carry \
         the share of visits that go on that way. The table gives the counts behind each share; probabilities are \
         rounded down to 6 decimals, as in the scenario, and the remainder ends the case.</p>\n",
    );
    let model = &w.loaded.baseline().model;
    let svg = diagram::process_svg(&ModelInfo::of(model), "min", "fit");
    if !svg.is_empty() {
        let _ = writeln!(h, "<figure class=\"diagram\" id=\"routing-graph\">{svg}</figure>");
    }
    let typed = d.process.cases_by_type.len() > 1;
    h.push_str("<table id=\"routing-table\">\n<thead><tr><th>from</th>");
    if typed {
        h.push_str("<th>customer type</th>");
    }
    h.push_str("<th>to</th><th class=\"num\">visits</th><th class=\"num\">p</th></tr></thead>\n<tbody>\n");
    for s in &d.process.steps {
        let from = &names[s.activity as usize];
        if typed {
            for (t, r) in &s.routes_for {
                route_rows(h, from, Some(&d.log.types.names[*t as usize]), r, names);
            }
        } else {
            route_rows(h, from, None, &s.routes, names);
        }
    }
    h.push_str("</tbody></table>\n</section>\n");
}

fn pools(h: &mut String, d: &Discovery) {
    let log = &d.log;
    h.push_str("<section id=\"pools\">\n<h2>Resource pools and staffing</h2>\n");
    h.push_str(
        "<p class=\"note\">Resources that performed the same set of activities form a pool; its staff is the number of \
         distinct members seen, its calendar the weekday hours in which members start work. See the chart \
         <a href=\"#chart-staffing\">staffing</a> for the members at work hour by hour.</p>\n",
    );
    h.push_str("<table id=\"pools-table\">\n<thead><tr><th>pool</th><th class=\"num\">staff</th><th class=\"num\">events</th><th>members</th><th>activities</th><th>calendar</th></tr></thead>\n<tbody>\n");
    for p in &d.pools {
        let members: Vec<&str> = p.members.iter().map(|m| log.resources.names[*m as usize].as_str()).collect();
        let acts: Vec<&str> = p.activities.iter().map(|a| log.activities.names[*a as usize].as_str()).collect();
        let cal: Vec<String> = p
            .hours
            .iter()
            .enumerate()
            .filter(|(_, hs)| !hs.is_empty())
            .map(|(wd, hs)| {
                let r: Vec<String> = hs.iter().map(|(a, b)| format!("{}-{}", clock(*a), clock(*b))).collect();
                format!("{} {}", WEEKDAYS[wd], r.join(", "))
            })
            .collect();
        let _ = writeln!(
            h,
            "<tr data-pool=\"{name}\"><td>{name}</td><td class=\"n staff\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.members.len(),
            p.events,
            escape(&members.join(", ")),
            escape(&acts.join(", ")),
            escape(&cal.join("; ")),
            name = escape(&p.name)
        );
    }
    h.push_str("</tbody></table>\n</section>\n");
}
