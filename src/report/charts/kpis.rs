//! One chart per headline KPI: every variant's mean with its 95% confidence interval, the
//! baseline's level as a dashed reference line, and the paired change against the baseline.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::{self, DESC_SIZE, GREY, LIGHT_GREY, LegendItem, NOTE_SIZE, OrErr, Swatch, TICK_SIZE, num};
use super::{Chart, Ctx, Job, fonts};

/// The headline KPIs that get a comparison chart: (KPI, title, axis label, percent?).
pub const HEADLINE: &[(&str, &str, &str, bool)] = &[
    ("wait_mean", "mean wait", "mean wait", false),
    ("cycle_time_p90", "p90 cycle time", "90th percentile of cycle time", false),
    ("service_level", "service level", "served within the threshold (%)", true),
    ("abandon_rate", "abandonment", "customers who left unserved (%)", true),
    ("staff_cost", "staff cost", "staff cost over the horizon (currency)", false),
];

pub fn jobs<'a>(cx: &'a Ctx<'a>) -> Vec<Job<'a>> {
    let sl = cx.results.scenario.service_level;
    HEADLINE
        .iter()
        .filter(|(k, ..)| cx.results.variants.values().any(|v| v.kpis.contains_key(*k)))
        .filter(|(k, ..)| super::omit::kpi_constant(cx.results, k).is_none())
        .map(|&(kpi, what, axis, pct)| {
            let title = cx.title(&format!("{what} by variant"));
            let axis = if crate::kpi::is_duration(kpi) {
                format!("{axis} ({})", cx.unit)
            } else if kpi == "service_level" {
                format!("waited at most {} {} (%)", num(sl), cx.unit)
            } else {
                axis.to_string()
            };
            let caption = format!(
                "{}: mean of {} replications per variant with its 95% confidence interval. The \
                 dashed line is the baseline; labels give the change against the baseline \
                 (paired, common random numbers) and whether it is significant after the \
                 Bonferroni correction.",
                what[..1].to_uppercase() + &what[1..],
                cx.results.replications
            );
            Job::new(
                format!("kpi-{}", kpi.replace('_', "-")),
                title.clone(),
                caption,
                KpiChart { cx, kpi, axis, pct, title },
            )
        })
        .collect()
}

pub struct KpiChart<'a> {
    cx: &'a Ctx<'a>,
    kpi: &'static str,
    axis: String,
    pct: bool,
    title: String,
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
            let Some(s) = v.kpis.get(self.kpi) else {
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
        let base = r.baseline().and_then(|b| b.kpis.get(self.kpi)).map(|s| s.mean * scale).filter(|m| m.is_finite());
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let span = (hi - lo).max(hi.abs().max(1e-9) * 0.02);
        // Every headline KPI is non-negative (shares at most 100%): the axis stays in range and
        // a confidence interval reaching past it is cut at the edge.
        // A KPI with no spread in any variant (a fixed staff cost) is shown from zero: there
        // is no interval to zoom in on, and a cut axis would magnify a small difference.
        let fixed = r
            .variants
            .values()
            .filter_map(|v| v.kpis.get(self.kpi))
            .all(|s| s.max - s.min <= 1e-9 * s.max.abs().max(1.0));
        let y0 = if fixed { 0.0 } else { (lo - span * 0.35).max(0.0) };
        let mut y1 = hi + span * 0.45;
        if self.pct {
            y1 = y1.min(100.0 + span * 0.45);
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
            .x_label_formatter(&|x| {
                let i = x.round();
                if i >= 0.0 { labels.get(i as usize).cloned().unwrap_or_default() } else { String::new() }
            })
            .y_label_formatter(&|y| num(*y))
            .y_labels(8)
            .label_style((font, TICK_SIZE))
            .axis_desc_style((font, DESC_SIZE))
            .bold_line_style(LIGHT_GREY)
            .light_line_style(TRANSPARENT)
            .disable_x_mesh()
            .draw()
            .or_err()?;
        if let Some(b) = base {
            chart
                .draw_series(DashedLineSeries::new(vec![(-0.5, b), (n as f64 - 0.5, b)], 10, 6, GREY.stroke_width(2)))
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
                    let ch = if d.relative.is_finite() {
                        format!("{:+.1}%", d.relative * 100.0).replace('-', "−")
                    } else {
                        "–".into()
                    };
                    format!("{ch}{}", if d.significant { " *" } else { " n.s." })
                })
            };
            if let Some(l) = label {
                chart
                    .draw_series(std::iter::once(EmptyElement::at((x, b)) + Text::new(l, (0, -12), note.clone())))
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
        if r.variants.len() > 1 {
            items.push(LegendItem::new("* significant change", Swatch::None));
            items.push(LegendItem::new("n.s. not significant", Swatch::None));
        }
        style::legend(&leg, font, "Variant", &items)
    }
}
