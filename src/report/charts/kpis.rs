//! One chart per headline KPI: every variant's mean with its 95% confidence interval, the
//! baseline's level as a dashed reference line, and the paired change against the baseline.
//!
//! The charts tell the report's story, not a separate one: the objective's KPI (from
//! `report::verdict`, decided once) comes first and says so in its title, its constraint is
//! drawn as a line, the recommended variant is ringed and labelled in every chart, and a
//! variant that changes demand is labelled so its bars are not read as a like-for-like gain.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::{self, GREY, HouseMesh, LegendItem, NOTE_SIZE, OrErr, Swatch, TICK_SIZE, num};
use super::{Chart, Ctx, Job, fonts};

/// The objective's constraint line (vermillion of the Okabe–Ito palette).
const LIMIT: RGBColor = RGBColor(0xd5, 0x5e, 0x00);

/// The headline KPIs that get a comparison chart: (KPI, title, axis label, percent?).
pub const HEADLINE: &[(&str, &str, &str, bool)] = &[
    ("wait_mean", "mean wait", "mean wait", false),
    ("cycle_time_p90", "p90 cycle time", "90th percentile of cycle time", false),
    ("service_level", "service level", "% of served customers who waited at most the threshold", true),
    ("abandon_rate", "abandonment", "customers who left unserved (%)", true),
    ("staff_cost", "staff cost", "staff cost over the horizon (currency)", false),
];

/// What the KPI charts draw besides the numbers, from the report's one verdict.
#[derive(Clone, Debug, Default)]
pub struct Story {
    /// The objective's KPI and whether lower is better.
    pub objective: Option<(String, bool)>,
    /// The constraint a recommended variant must meet: (KPI, "<=" or ">=", value).
    pub constraint: Option<(String, String, f64)>,
    pub winner: Option<String>,
    /// Variants that change demand.
    pub demand: Vec<String>,
    /// Sensitivity tests: (variant, the option whose assumption it varies).
    pub sensitivity: Vec<(String, String)>,
}

impl Story {
    pub fn of(r: &crate::report::Results) -> Story {
        let v = crate::report::verdict::verdict(r);
        let rk = r.comparison.as_ref().and_then(|c| c.ranking.as_ref());
        Story {
            objective: rk.map(|rk| (rk.kpi.clone(), rk.minimise)),
            constraint: rk.and_then(|rk| rk.constraint.as_deref()).and_then(parse_constraint),
            winner: v.winner,
            demand: v.scores.iter().filter(|s| !s.demand.is_empty()).map(|s| s.variant.clone()).collect(),
            sensitivity: v
                .scores
                .iter()
                .filter_map(|s| s.sensitivity_of.as_ref().map(|o| (s.variant.clone(), o.clone())))
                .collect(),
        }
    }
}

/// "service_level >= 0.8" → ("service_level", ">=", 0.8).
fn parse_constraint(c: &str) -> Option<(String, String, f64)> {
    let op = ["<=", ">="].into_iter().find(|op| c.contains(op))?;
    let (k, v) = c.split_once(op)?;
    Some((k.trim().to_string(), op.to_string(), v.trim().parse().ok()?))
}

/// (KPI, title words, axis label, percent?) of every KPI chart: the objective first (also
/// when it is not a headline KPI), then the headline KPIs, with the arrivals-based service
/// level beside the served-based one when customers can leave unserved.
fn chart_kpis(r: &crate::report::Results, story: &Story) -> Vec<(String, String, String, bool)> {
    let mut out: Vec<(String, String, String, bool)> =
        HEADLINE.iter().map(|&(k, w, a, p)| (k.to_string(), w.to_string(), a.to_string(), p)).collect();
    let abandons = r.variants.values().any(|v| v.kpis.get("abandon_rate").is_some_and(|s| s.max > 0.0));
    if abandons {
        let at = out.iter().position(|c| c.0 == "service_level").map_or(out.len(), |i| i + 1);
        out.insert(
            at,
            (
                "service_level_arrivals".into(),
                "service level of arrivals".into(),
                "% of arrivals served within the threshold (gave-ups count as late)".into(),
                true,
            ),
        );
    }
    if let Some((k, _)) = &story.objective {
        let i = out.iter().position(|c| &c.0 == k);
        let c = match i {
            Some(i) => out.remove(i),
            None => {
                let unit = format!(" ({})", r.scenario.time_unit.label());
                let label = crate::report::html::kpi_label(k, r);
                let what = label.strip_suffix(&unit).unwrap_or(&label).to_string();
                (k.clone(), what.clone(), what, crate::kpi::is_share(k))
            }
        };
        out.insert(0, c);
    }
    out
}

pub fn jobs<'a>(cx: &'a Ctx<'a>) -> Vec<Job<'a>> {
    let sl = cx.results.scenario.service_level;
    let story = Story::of(cx.results);
    chart_kpis(cx.results, &story)
        .into_iter()
        .filter(|(k, ..)| cx.results.variants.values().any(|v| v.kpis.contains_key(k.as_str())))
        .filter(|(k, ..)| super::omit::kpi_constant(cx.results, k).is_none())
        .map(|(kpi, what, axis, pct)| {
            let what = match kpi.as_str() {
                "service_level" => format!("service level (served within {} {})", num(sl), cx.unit),
                "service_level_arrivals" => format!("service level of arrivals (within {} {})", num(sl), cx.unit),
                _ => what,
            };
            let objective = story.objective.as_ref().filter(|o| o.0 == kpi).map(|o| o.1);
            let title = match objective {
                Some(_) => cx.title(&format!("objective: {what}")),
                None => cx.title(&format!("{what} by variant")),
            };
            let better =
                objective.map_or(String::new(), |min| format!(" — {} is better", if min { "lower" } else { "higher" }));
            let axis = if crate::kpi::is_duration(&kpi) {
                format!("{axis} ({})", cx.unit)
            } else if kpi.starts_with("service_level") {
                axis.replace("the threshold", &format!("{} {}", num(sl), cx.unit))
            } else {
                axis
            } + &better;
            let caption = format!(
                "{}: mean of {} replications per variant with its 95% confidence interval. The \
                 dashed line is the baseline; labels give the change against the baseline \
                 (paired, common random numbers) and whether it is significant after the \
                 Bonferroni correction.{}",
                what[..1].to_uppercase() + &what[1..],
                cx.results.replications,
                match &story.winner {
                    Some(w) => format!(" The ringed variant ({w}) is the report's recommendation."),
                    None => String::new(),
                }
            );
            Job::new(
                format!("kpi-{}", kpi.replace('_', "-")),
                title.clone(),
                caption,
                KpiChart { cx, kpi, axis, pct, title, story: story.clone() },
            )
        })
        .collect()
}

pub struct KpiChart<'a> {
    cx: &'a Ctx<'a>,
    kpi: String,
    axis: String,
    pct: bool,
    title: String,
    story: Story,
}

impl Chart for KpiChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let cx = self.cx;
        let r = cx.results;
        let font = cx.font;
        let (plot, leg) = style::framed(root, font, &self.title)?;
        let scale = if self.pct { 100.0 } else { 1.0 };
        let names: Vec<&String> = r.variants.keys().collect();
        let n = names.len().max(1);
        let mut pts = Vec::new();
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (i, (name, v)) in r.variants.iter().enumerate() {
            let Some(s) = v.kpis.get(self.kpi.as_str()) else {
                continue;
            };
            let m = s.mean * scale;
            if !m.is_finite() {
                continue;
            }
            let (a, b) = (s.ci95[0] * scale, s.ci95[1] * scale);
            let (a, b) = if a.is_finite() && b.is_finite() { (a.max(0.0), b) } else { (m, m) };
            lo = lo.min(a);
            hi = hi.max(b);
            pts.push((i, name.as_str(), m, a, b));
        }
        let base =
            r.baseline().and_then(|b| b.kpis.get(self.kpi.as_str())).map(|s| s.mean * scale).filter(|m| m.is_finite());
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        // Every headline KPI is non-negative (shares at most 100%): the axis stays in range and
        // a confidence interval reaching past it is cut at the edge.
        // A KPI with no spread in any variant (a fixed staff cost) is shown from zero: there
        // is no interval to zoom in on, and a cut axis would magnify a small difference.
        let fixed = r
            .variants
            .values()
            .filter_map(|v| v.kpis.get(self.kpi.as_str()))
            .all(|s| s.max - s.min <= 1e-9 * s.max.abs().max(1.0));
        // The objective's constraint on this KPI is drawn, so the axis must reach it.
        let limit = self
            .story
            .constraint
            .as_ref()
            .filter(|c| c.0 == self.kpi)
            .map(|c| (c.1.clone(), c.2 * scale))
            .filter(|c| c.1.is_finite());
        if let Some((_, v)) = &limit {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
        let span = (hi - lo).max(hi.abs().max(1e-9) * 0.02);
        let y0 = if fixed { 0.0 } else { (lo - span * 0.35).max(0.0) };
        let mut y1 = hi + span * 0.45;
        if self.pct {
            // A share never passes 100%: the axis stops there, and a change label that would
            // not fit above an interval near the top goes below it (see `note_y`).
            y1 = y1.min(100.0);
        }
        let plot_w = plot.dim_in_pixel().0.saturating_sub(120);
        let per = (plot_w / n as u32).saturating_sub(12);
        let tick_style = style::text_style(font, TICK_SIZE, style::DARK, HPos::Center, VPos::Top);
        let labels: Vec<String> =
            names.iter().map(|s| style::fit(&plot, &fonts::clean(s, 40), &tick_style, per.max(40))).collect();
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(64)
            .y_label_area_size(96)
            .build_cartesian_2d(style::Keyed::wrap(-0.5..n as f64 - 0.5, (0..n).map(|i| i as f64).collect()), y0..y1)
            .or_err()?;
        chart
            .configure_mesh()
            .x_desc("variant")
            .y_desc(self.axis.as_str())
            .x_label_formatter(&|x| style::label_at(&labels, *x))
            .y_label_formatter(&|y| num(*y))
            .y_labels(8)
            .house(font)
            .disable_x_mesh()
            .draw()
            .or_err()?;
        if let Some(b) = base {
            chart
                .draw_series(DashedLineSeries::new(vec![(-0.5, b), (n as f64 - 0.5, b)], 10, 6, GREY.stroke_width(2)))
                .or_err()?;
        }
        if let Some((_, v)) = &limit {
            chart
                .draw_series(DashedLineSeries::new(vec![(-0.5, *v), (n as f64 - 0.5, *v)], 4, 4, LIMIT.stroke_width(2)))
                .or_err()?;
        }
        let diffs = r.comparison.as_ref().map(|c| &c.differences);
        let note = style::text_style(font, NOTE_SIZE, style::DARK, HPos::Center, VPos::Bottom);
        let mut items = Vec::new();
        for &(i, name, m, a, b) in &pts {
            let c = cx.colour(name);
            let x = i as f64;
            let s = c.stroke_width(3);
            chart
                .draw_series([
                    PathElement::new(vec![(x, a), (x, b)], s),
                    PathElement::new(vec![(x - 0.08, a), (x + 0.08, a)], s),
                    PathElement::new(vec![(x - 0.08, b), (x + 0.08, b)], s),
                ])
                .or_err()?;
            chart.draw_series(std::iter::once(Circle::new((x, m), 9, c.filled()))).or_err()?;
            let label = if i == 0 {
                Some("baseline".to_string())
            } else {
                diffs.and_then(|ds| ds.iter().find(|d| d.variant == name && d.kpi == self.kpi)).map(|d| {
                    if d.diff == 0.0 && d.ci95[0] == 0.0 && d.ci95[1] == 0.0 {
                        return "no change".to_string();
                    }
                    // A share changes in percentage points, as the terminal and the report
                    // say: "+8.8 pp", not a relative "+10.7%" that reads as points.
                    let ch = if self.pct && d.diff.is_finite() {
                        format!("{:+.1} pp", d.diff * 100.0).replace('-', "−")
                    } else if d.relative.is_finite() {
                        format!("{:+.1}%", d.relative * 100.0).replace('-', "−")
                    } else {
                        "–".into()
                    };
                    format!("{ch}{}", if d.significant { " *" } else { " n.s." })
                })
            };
            let winner = self.story.winner.as_deref() == Some(name);
            if winner {
                chart.draw_series(std::iter::once(Circle::new((x, m), 17, c.stroke_width(3)))).or_err()?;
            }
            let what_if = self
                .story
                .sensitivity
                .iter()
                .find(|s| s.0 == name)
                .map(|s| format!("what-if of {}", fonts::clean(&s.1, 20)));
            let tags: Vec<&str> = [
                winner.then_some("recommended"),
                self.story.demand.iter().any(|d| d == name).then_some("changes demand"),
                what_if.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            let label = match (label, tags.is_empty()) {
                (Some(l), false) => Some(format!("{l} · {}", tags.join(", "))),
                (None, false) => Some(tags.join(", ")),
                (l, true) => l,
            };
            if let Some(l) = label {
                let px = |y: f64| chart.backend_coord(&(x, y)).1;
                let top = chart.backend_coord(&(x, y1)).1;
                let base_px = base.map(px);
                let (above, dy) = note_y(px(b), px(a), base_px, top, NOTE_SIZE, winner);
                let anchor = if above { b } else { a };
                let style = if above {
                    note.clone()
                } else {
                    style::text_style(font, NOTE_SIZE, style::DARK, HPos::Center, VPos::Top)
                };
                chart
                    .draw_series(std::iter::once(EmptyElement::at((x, anchor)) + Text::new(l, (0, dy), style)))
                    .or_err()?;
            }
            items.push(LegendItem::new(
                format!("{}: {}{}", fonts::clean(name, 26), num(m), if self.pct { "%" } else { "" }),
                Swatch::Whisker(c),
            ));
        }
        items.push(LegendItem::new(
            if fixed { "dot: the same in every replication" } else { "dot: mean; bar: 95% CI" },
            Swatch::None,
        ));
        if base.is_some() {
            items.push(LegendItem::new("baseline level", Swatch::Dashed(GREY)));
        }
        if let Some((op, v)) = &limit {
            let shown = if self.pct { format!("{}%", num(*v)) } else { num(*v) };
            items.push(LegendItem::new(format!("constraint {op} {shown}"), Swatch::Dashed(LIMIT)));
        }
        if self.story.winner.is_some() {
            items.push(LegendItem::new("ring: recommended variant", Swatch::None));
        }
        if r.variants.len() > 1 {
            items.push(LegendItem::new("* significant change", Swatch::None));
            items.push(LegendItem::new("n.s. not significant", Swatch::None));
        }
        style::legend(&leg, font, "Variant", &items)
    }
}

/// Where a change label goes, in pixels (y grows downwards): above the interval's top `b`
/// when it fits there without crossing the baseline's dashed line or leaving the plot (whose
/// top is `top`), otherwise below the interval's bottom `a`, moved past the baseline line if
/// it would cross it there. Returns (above?, offset from the interval end in pixels). A ring
/// around the recommended variant's dot needs a little more room.
pub fn note_y(b: i32, a: i32, base: Option<i32>, top: i32, size: f64, ringed: bool) -> (bool, i32) {
    let h = (size * 1.25).ceil() as i32;
    let gap = if ringed { 14 } else { 10 };
    let crosses = |y0: i32, y1: i32| base.is_some_and(|l| l >= y0 - 3 && l <= y1 + 3);
    // Above: the label's bottom `gap` px over the interval's top, pushed over the line.
    let mut bottom = b - gap;
    if crosses(bottom - h, bottom) {
        bottom = base.unwrap_or(bottom) - 5;
    }
    if bottom - h >= top {
        return (true, bottom - b);
    }
    // Below: the label's top `gap` px under the interval's bottom, pushed under the line.
    let mut y = a + gap;
    if crosses(y, y + h) {
        y = base.unwrap_or(y) + 5;
    }
    (false, y - a)
}
