//! Network views of a large model (see `report::aggregate`): the customers waiting at every
//! step added up over time, and the spread of the steps' mean waits per variant. They stand in
//! for fifty queue charts: the total shows *when* the network queues, the spread *where* (the
//! worst step is named; the drill-down table lists them all), and the utilisation of each group
//! of resources (a branch size class, a centre) per variant.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::{self, DARK, HouseMesh, LegendItem, NOTE_SIZE, OrErr, Swatch, num};
use super::timeseries::QueueChart;
use super::{Chart, Ctx, Job, fonts};
use crate::report::aggregate;

/// The network charts, only for a large model.
pub fn jobs<'a>(cx: &'a Ctx<'a>) -> Vec<Job<'a>> {
    let r = cx.results;
    if !aggregate::is_large(r) {
        return Vec::new();
    }
    let steps = aggregate::ranked_steps(r);
    let mut out = Vec::new();
    let title = cx.title(&format!("customers waiting at all {} steps together", steps.len()));
    let caption = format!(
        "Customers waiting anywhere in the network over time: the sum over all {} steps of the \
         mean number waiting across {} replications, per variant. The queue charts that follow \
         show the {} busiest steps one by one; the drill-down table lists every step.",
        steps.len(),
        r.replications,
        aggregate::TOP_STEPS.min(steps.len())
    );
    out.push(Job::new(
        "network-queue",
        title.clone(),
        caption,
        QueueChart { cx, step: String::new(), title, total: true },
    ));
    let title = cx.title("mean wait at each step");
    let caption = format!(
        "One dot per step with staff: its mean wait per visit ({}, mean across {} replications; \
         log scale), one row per variant. The bar marks the median step; the step with the \
         longest wait is named. Waits under {} {} are drawn at the left edge.",
        cx.unit,
        r.replications,
        num(FLOOR),
        cx.unit
    );
    out.push(Job::new("step-wait-spread", title.clone(), caption, Spread { cx, title }));
    let groups: Vec<aggregate::Group> = aggregate::groups(r).into_iter().filter(|g| !g.resources.is_empty()).collect();
    if groups.len() > 1 {
        let title = cx.title("utilisation by group of resources");
        let caption = format!(
            "One row per group of resources that work the same hours (the report's staffing table lists \
             them), one bar per variant: busy staff over staff on duty, all the group's resources \
             together, mean across {} replications. The busiest resource of each group is named; the \
             drill-down lists every one.",
            r.replications
        );
        out.push(Job::new("group-utilisation", title.clone(), caption, GroupUtilisation { cx, title, groups }));
    }
    out
}

/// The frame of a chart with one row per name, drawn from the top: row i spans
/// [n − i − 1, n − i) on the y axis (n the number of rows, at least one) and is labelled with
/// `names[i]` in a margin `label_width` pixels wide; `x` is the keyed x axis, labelled by
/// `x_label`. No horizontal grid lines: they would cut through the rows.
fn rows_chart<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    font: &'static str,
    x: style::Keyed,
    x_desc: &str,
    x_label: &dyn Fn(&f64) -> String,
    names: &[String],
    label_width: u32,
) -> Result<ChartContext<'a, DB, Cartesian2d<style::Keyed, style::Keyed>>, String> {
    let n = names.len().max(1) as f64;
    let ykeys: Vec<f64> = (0..names.len()).map(|i| i as f64 + 0.5).collect();
    let mut chart = ChartBuilder::on(plot)
        .margin(12)
        .margin_right(24)
        .x_label_area_size(64)
        .y_label_area_size(label_width)
        .build_cartesian_2d(x, style::Keyed::wrap(0.0..n, ykeys))
        .or_err()?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_label_formatter(x_label)
        .y_label_formatter(&|y| style::label_at(names, n - y - 0.5))
        .house(font)
        .disable_y_mesh()
        .draw()
        .or_err()?;
    Ok(chart)
}

pub struct GroupUtilisation<'a> {
    cx: &'a Ctx<'a>,
    title: String,
    groups: Vec<aggregate::Group>,
}

impl Chart for GroupUtilisation<'_> {
    fn size(&self) -> (u32, u32) {
        let bars = self.groups.len() as u32 * (self.cx.results.variants.len() as u32 + 1);
        (super::WIDTH, (200 + 22 * bars).max(super::HEIGHT))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let cx = self.cx;
        let r = cx.results;
        let font = cx.font;
        let (plot, leg) = style::framed(root, font, &self.title)?;
        let nv = r.variants.len();
        // Row i (from the top) spans [n - i - 1, n - i); its bars are stacked inside it.
        let n = self.groups.len() as f64;
        let names: Vec<String> = self.groups.iter().map(|g| fonts::clean(&g.label, 30)).collect();
        let x = style::Keyed::wrap(0.0..1.0, (0..=5).map(|k| k as f64 / 5.0).collect());
        let percent = |x: &f64| format!("{:.0}%", x * 100.0);
        let mut chart = rows_chart(&plot, font, x, "busy staff over staff on duty (%)", &percent, &names, 330)?;
        let label = style::text_style(font, NOTE_SIZE, DARK, HPos::Left, VPos::Center);
        let ranked = aggregate::ranked_resources(r);
        // A row: the note in its top strip, then one bar per variant.
        let slot = 0.7 / nv.max(1) as f64;
        for (i, g) in self.groups.iter().enumerate() {
            let top = n - i as f64 - 0.25;
            let set = aggregate::name_set(&g.resources);
            let members: Vec<&str> = ranked.iter().map(String::as_str).filter(|x| set.contains(x)).collect();
            for (j, (name, v)) in r.variants.iter().enumerate() {
                let u = aggregate::pooled_utilisation(v, &members);
                if !u.is_finite() {
                    continue;
                }
                let (y0, y1) = (top - (j as f64 + 1.0) * slot, top - j as f64 * slot - 0.1 * slot);
                let bar = Rectangle::new([(0.0, y0), (u.min(1.0), y1)], cx.colour(name).filled());
                chart.draw_series(std::iter::once(bar)).or_err()?;
            }
            let text = format!(
                // Members and ranking span every variant: a variant may add a resource the
                // baseline-named group label does not list.
                "{} resource(s) over all variants; busiest in any variant: {}",
                members.len(),
                fonts::clean(members.first().copied().unwrap_or(""), 40)
            );
            chart.draw_series(std::iter::once(Text::new(text, (0.005, top + 0.12), label.clone()))).or_err()?;
        }
        let items: Vec<LegendItem> = r
            .variants
            .keys()
            .map(|name| LegendItem::new(fonts::clean(name, 40), Swatch::Square(cx.colour(name))))
            .collect();
        style::legend(&leg, font, "Variant", &items)
    }
}

/// Waits below this (in the time unit) sit on the axis's left edge.
const FLOOR: f64 = 0.01;

pub struct Spread<'a> {
    cx: &'a Ctx<'a>,
    title: String,
}

/// Mean wait per visit of each staffed step of a variant, in scenario order.
fn waits(v: &crate::report::results::VariantSummary) -> Vec<(&str, f64)> {
    v.timeseries
        .queue
        .keys()
        .filter_map(|s| {
            let w = v.steps.get(s)?.get("wait_mean")?.mean;
            w.is_finite().then_some((s.as_str(), w))
        })
        .collect()
}

impl Chart for Spread<'_> {
    fn size(&self) -> (u32, u32) {
        (super::WIDTH, (200 + 110 * self.cx.results.variants.len() as u32).max(super::HEIGHT))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let cx = self.cx;
        let r = cx.results;
        let font = cx.font;
        let (plot, leg) = style::framed(root, font, &self.title)?;
        let rows: Vec<(&String, Vec<(&str, f64)>)> = r.variants.iter().map(|(n, v)| (n, waits(v))).collect();
        let hi = rows.iter().flat_map(|(_, w)| w.iter().map(|p| p.1)).fold(FLOOR, f64::max);
        let (x0, x1) = (FLOOR.log10(), hi.log10().ceil().max(FLOOR.log10() + 1.0));
        let keys: Vec<f64> = ((x0 as i64)..=(x1 as i64)).map(|d| d as f64).collect();
        let n = rows.len().max(1) as f64;
        let names: Vec<String> = rows.iter().map(|(v, _)| fonts::clean(v, 20)).collect();
        let x_desc = format!("mean wait per visit ({}, log scale)", cx.unit);
        let log = |x: &f64| num(10f64.powf(*x));
        let mut chart = rows_chart(&plot, font, style::Keyed::wrap(x0..x1, keys), &x_desc, &log, &names, 170)?;
        let label = style::text_style(font, NOTE_SIZE, DARK, HPos::Right, VPos::Bottom);
        let mut items = Vec::new();
        for (i, (name, w)) in rows.iter().enumerate() {
            let y = n - i as f64 - 0.5;
            let c = cx.colour(name);
            let x = |v: f64| v.max(FLOOR).log10();
            chart.draw_series(w.iter().map(|p| Circle::new((x(p.1), y), 7, c.mix(0.45).filled()))).or_err()?;
            let mut sorted: Vec<f64> = w.iter().map(|p| p.1).collect();
            sorted.sort_by(f64::total_cmp);
            if let Some(med) = sorted.get(sorted.len() / 2) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x(*med), y - 0.3), (x(*med), y + 0.3)],
                        DARK.stroke_width(3),
                    )))
                    .or_err()?;
            }
            if let Some(top) = w.iter().max_by(|a, b| a.1.total_cmp(&b.1)) {
                let text = format!("{} {}", fonts::clean(top.0, 28), num(top.1));
                chart.draw_series(std::iter::once(Text::new(text, (x(top.1), y + 0.22), label.clone()))).or_err()?;
            }
            items.push(LegendItem::new(fonts::clean(name, 40), Swatch::Dot(c)).with_detail(format!(
                "{} steps, median {} {}",
                w.len(),
                sorted.get(sorted.len() / 2).map_or("–".into(), |m| num(*m)),
                cx.unit
            )));
        }
        items.push(LegendItem::new("dot: one step", Swatch::None));
        items.push(LegendItem::new("bar: the median step", Swatch::Line(DARK)));
        items.push(LegendItem::new("named: the longest wait", Swatch::None));
        style::legend(&leg, font, "Variant", &items)
    }
}
