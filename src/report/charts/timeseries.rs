//! Charts over the day: queue length per step (mean and 5–95% band, variants overlaid) and
//! mean wait by arrival hour.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Clock, GREY, HouseMesh, LIGHT_GREY, LegendItem, OrErr, Swatch, num};
use super::{Chart, Ctx, Job, file_part, fonts};

pub fn queue_jobs<'a>(cx: &'a Ctx<'a>) -> Vec<Job<'a>> {
    let mut steps: Vec<&String> = Vec::new();
    // Every step of the summary (not only those with a queue series, which leaves out the
    // steps nobody waited at): the numbering of the charts stays the steps' own.
    for v in cx.results.variants.values() {
        for s in v.steps.keys() {
            if !steps.contains(&s) {
                steps.push(s);
            }
        }
    }
    // A large model (a region of branches) draws its busiest steps only, beside the network
    // total (`aggregate::network_queue_job`); every step is in the report's drill-down table.
    let shown = crate::report::aggregate::shown_steps(cx.results);
    steps
        .into_iter()
        .enumerate()
        .filter(|(_, step)| !super::omit::queue_never_forms(cx.results, step))
        .filter(|(_, step)| shown.as_ref().is_none_or(|s| s.contains(step)))
        .map(|(i, step)| {
            let part = file_part(step);
            let stem = if part.is_empty() { format!("queue-{}", i + 1) } else { format!("queue-{}-{part}", i + 1) };
            let shown = fonts::clean(step, 40);
            let title = cx.title(&format!("queue at step “{shown}”"));
            let bw = cx
                .results
                .variants
                .values()
                .next()
                .map_or(f64::NAN, |v| v.timeseries.bin_width * cx.minutes_per_unit());
            let with_queue =
                cx.results.variants.values().filter(|v| v.timeseries.queue.contains_key(step.as_str())).count();
            let layout = if with_queue >= PANELS_FROM {
                "One panel a variant, on the same scale, with the baseline's mean as a dashed line."
            } else {
                "Variants overlaid."
            };
            let span = if cx.clock().multi_day { "over the run" } else { "over the day" };
            let caption = format!(
                "Customers waiting at step “{step}” {span}: mean across {} replications in \
                 each {} interval (line) and the range of 90% of replications, 5th to 95th \
                 percentile (shaded). {layout}",
                cx.results.replications,
                crate::scenario::units::human_duration(bw)
            );
            Job::new(stem, title.clone(), caption, QueueChart { cx, step: step.clone(), title, total: false })
        })
        .collect()
}

pub struct QueueChart<'a> {
    pub(super) cx: &'a Ctx<'a>,
    pub(super) step: String,
    pub(super) title: String,
    /// Draw the sum over every step (the network view of a large model) instead of `step`.
    pub(super) total: bool,
}

struct Series {
    colour: RGBColor,
    mean: Vec<(f64, f64)>,
    lo: Vec<f64>,
    hi: Vec<f64>,
}

/// With this many variants or more, each gets its own panel (small multiples) with the
/// baseline repeated as a reference line: overlaid bands of five variants merge into one
/// brown mass and hide the baseline.
const PANELS_FROM: usize = 3;

impl QueueChart<'_> {
    fn panels(&self) -> usize {
        let n = self
            .cx
            .results
            .variants
            .values()
            .filter(|v| self.total || v.timeseries.queue.contains_key(&self.step))
            .count();
        if n >= PANELS_FROM { n } else { 1 }
    }
}

/// One panel of the queue chart: the bands and mean lines of `series`, and the baseline's
/// mean as a dashed reference line when given.
#[allow(clippy::too_many_arguments)]
fn queue_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    font: &'static str,
    caption: Option<&str>,
    clock: &Clock,
    ymax: f64,
    warm: f64,
    series: &[&Series],
    reference: Option<&Series>,
    compact: bool,
) -> Result<(), String> {
    let ticks = clock.ticks(if compact { 8 } else { 12 });
    let mut b = ChartBuilder::on(area);
    b.margin(if compact { 6 } else { 12 })
        .margin_right(24)
        .x_label_area_size(if compact { 40 } else { 64 })
        .y_label_area_size(if compact { 70 } else { 84 });
    if let Some(c) = caption {
        b.caption(c, (font, style::LEGEND_SIZE + 2.0));
    }
    let mut chart = b.build_cartesian_2d(style::Keyed::wrap(0.0..clock.horizon, ticks), 0.0..ymax).or_err()?;
    // Ticks at midnight on a multi-day axis name the day that starts there.
    let xf = |x: &f64| {
        let d = (clock.start + x) / 1440.0;
        if clock.multi_day && (d - d.round()).abs() < 1e-6 {
            clock.day_label(d.round() as i64)
        } else {
            clock.label(*x)
        }
    };
    let yf = |y: &f64| num(*y);
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&xf).y_label_formatter(&yf).y_labels(if compact { 4 } else { 8 }).house(font);
    if !compact {
        mesh.x_desc(if clock.multi_day { "day and time of day" } else { "time of day" }).y_desc("customers waiting");
    }
    mesh.draw().or_err()?;
    if warm.is_finite() && warm > 0.0 {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, 0.0), (warm.min(clock.horizon), ymax)],
                GREY.mix(0.12).filled(),
            )))
            .or_err()?;
    }
    let band_alpha = if series.len() == 1 { 0.18 } else { 0.08 };
    for s in series {
        // The band, one polygon per run of defined bins.
        let pts: Vec<(f64, f64, f64)> =
            s.mean.iter().zip(s.lo.iter().zip(&s.hi)).map(|((x, _), (l, h))| (*x, *l, *h)).collect();
        let mut run: Vec<(f64, f64, f64)> = Vec::new();
        let mut flush = |run: &mut Vec<(f64, f64, f64)>| -> Result<(), String> {
            if run.len() > 1 {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|p| (p.0, p.2)).collect();
                poly.extend(run.iter().rev().map(|p| (p.0, p.1)));
                chart.draw_series(std::iter::once(Polygon::new(poly, s.colour.mix(band_alpha).filled()))).or_err()?;
                // Thin edges tell overlapping bands apart.
                for edge in
                    [run.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(), run.iter().map(|p| (p.0, p.2)).collect()]
                {
                    chart.draw_series(LineSeries::new(edge, s.colour.mix(0.55).stroke_width(1))).or_err()?;
                }
            }
            run.clear();
            Ok(())
        };
        for p in pts {
            if p.0.is_finite() && p.1.is_finite() && p.2.is_finite() {
                run.push(p);
            } else {
                flush(&mut run)?;
            }
        }
        flush(&mut run)?;
    }
    for s in series {
        for run in style::runs(s.mean.iter().copied()) {
            chart.draw_series(LineSeries::new(run, s.colour.stroke_width(3))).or_err()?;
        }
    }
    // The baseline on top, dashed, so it is visible in every panel.
    if let Some(b) = reference {
        for run in style::runs(b.mean.iter().copied()) {
            chart.draw_series(DashedLineSeries::new(run, 8, 5, style::DARK.stroke_width(2))).or_err()?;
        }
    }
    Ok(())
}

impl Chart for QueueChart<'_> {
    fn size(&self) -> (u32, u32) {
        let n = self.panels();
        if n == 1 { (super::WIDTH, super::HEIGHT) } else { (super::WIDTH, (120 + 230 * n as u32).max(super::HEIGHT)) }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let cx = self.cx;
        let r = cx.results;
        let font = cx.font;
        let (plot, leg) = style::framed(root, font, &self.title)?;
        let mpu = cx.minutes_per_unit();
        let clock = cx.clock();
        let mut series = Vec::new();
        let mut names = Vec::new();
        let mut items = Vec::new();
        let mut absent = Vec::new();
        let mut ymax: f64 = 0.0;
        for (name, v) in &r.variants {
            let ts = &v.timeseries;
            let sum;
            let b = if self.total {
                sum = crate::report::aggregate::total_queue_band(v);
                &sum
            } else if let Some(b) = ts.queue.get(&self.step) {
                b
            } else {
                absent.push(name.clone());
                continue;
            };
            let bw = ts.bin_width * mpu;
            let xs: Vec<f64> = ts.bin_start.iter().map(|s| s * mpu + bw / 2.0).collect();
            let mean: Vec<(f64, f64)> = xs.iter().copied().zip(b.mean.iter().copied()).collect();
            for y in b.mean.iter().chain(&b.p95) {
                if y.is_finite() {
                    ymax = ymax.max(*y);
                }
            }
            let colour = cx.colour(name);
            series.push(Series { colour, mean, lo: b.p05.clone(), hi: b.p95.clone() });
            names.push(name.clone());
            items.push(LegendItem::new(fonts::clean(name, 40), Swatch::LineBand(colour)));
        }
        let ymax = style::nice_max(ymax);
        let warm = r.scenario.warmup * mpu;
        let baseline_name = r.variants.keys().next();
        let panels = self.panels();
        if panels == 1 {
            let all: Vec<&Series> = series.iter().collect();
            queue_panel(&plot, font, None, &clock, ymax, warm, &all, None, false)?;
        } else {
            let base = names.iter().position(|n| Some(n) == baseline_name).map(|i| &series[i]);
            let areas = plot.split_evenly((panels, 1));
            for ((area, s), name) in areas.iter().zip(&series).zip(&names) {
                let is_base = Some(name) == baseline_name;
                let caption = format!(
                    "{}{}",
                    fonts::clean(name, 40),
                    if is_base && name != "baseline" { " (baseline)" } else { "" }
                );
                let reference = if is_base { None } else { base };
                queue_panel(area, font, Some(&caption), &clock, ymax, warm, &[s], reference, true)?;
            }
            items.push(LegendItem::new("dashed: baseline mean", Swatch::Dashed(style::DARK)));
            items.push(LegendItem::new("one panel a variant, same scale", Swatch::None));
            items.push(LegendItem::new(
                if clock.multi_day { "x: day and time of day" } else { "x: time of day" },
                Swatch::None,
            ));
            items.push(LegendItem::new("y: customers waiting", Swatch::None));
        }
        items.push(LegendItem::new("line: mean of replications", Swatch::Line(GREY)));
        if self.total {
            items.push(LegendItem::new("sum over every step", Swatch::None));
        } else {
            items.push(LegendItem::new("shaded: 5–95% range", Swatch::Band(GREY)));
        }
        if warm.is_finite() && warm > 0.0 {
            items.push(LegendItem::new("warm-up (not in KPIs)", Swatch::Square(LIGHT_GREY)));
        }
        for a in absent {
            items.push(LegendItem::new(format!("{}: step removed", fonts::clean(&a, 30)), Swatch::None));
        }
        style::legend(&leg, font, "Variant", &items)
    }
}

pub fn wait_by_hour_jobs<'a>(cx: &'a Ctx<'a>) -> Vec<Job<'a>> {
    if cx.results.variants.is_empty() || super::omit::no_waiting(cx.results) {
        return Vec::new();
    }
    let axis = wait_axis(cx);
    let title = if axis.bin == "hour" && !axis.closed_left_out {
        cx.title("mean wait by arrival hour")
    } else {
        cx.title(&format!("mean wait by arrival time ({})", axis.title_part()))
    };
    let caption = format!(
        "Mean waiting time of served customers by the {} in which they arrived, per variant \
         (mean across {} replications; each column averages its shorter time bins{}). The dashed \
         line is the service-level threshold.",
        axis.bin,
        cx.results.replications,
        if axis.closed_left_out { "; periods without arrivals are left out" } else { "" }
    );
    vec![Job::new("wait-by-arrival-hour", title.clone(), caption, WaitByHour { cx, title })]
}

/// Columns of the wait-by-arrival chart: periods in which some variant had arrivals served.
fn wait_axis(cx: &Ctx<'_>) -> style::TimeAxis {
    let r = cx.results;
    cx.bin_axis(|a, k| {
        r.variants.values().any(|v| style::group_mean(&v.timeseries.wait_by_arrival.mean, a, k).is_finite())
    })
}

/// Above this many columns the variants are drawn as lines with markers: bars would be hairlines.
const MAX_BAR_GROUPS: usize = 24;

pub struct WaitByHour<'a> {
    cx: &'a Ctx<'a>,
    title: String,
}

impl Chart for WaitByHour<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let cx = self.cx;
        let r = cx.results;
        let font = cx.font;
        let (plot, leg) = style::framed(root, font, &self.title)?;
        if r.variants.is_empty() {
            return style::legend(&leg, font, "no variants", &[]);
        }
        let axis = wait_axis(cx);
        let groups = &axis.groups;
        let g_n = groups.len().max(1);
        let labels = &axis.ticks;
        let as_lines = g_n > MAX_BAR_GROUPS;
        let nv = r.variants.len().max(1);
        let mut bars = Vec::new();
        let mut lines: Vec<(RGBColor, Vec<(f64, f64)>)> = Vec::new();
        let mut ymax: f64 = 0.0;
        let mut items = Vec::new();
        for (j, (name, v)) in r.variants.iter().enumerate() {
            let c = cx.colour(name);
            let wb = &v.timeseries.wait_by_arrival.mean;
            let mut pts = Vec::new();
            for (g, (a, n)) in groups.iter().enumerate() {
                let y = style::group_mean(wb, *a, *n);
                pts.push((g as f64 + 0.5, y));
                if y.is_finite() {
                    ymax = ymax.max(y);
                    let bw = 0.8 / nv as f64;
                    let x0 = g as f64 + 0.1 + j as f64 * bw;
                    bars.push(Rectangle::new([(x0, 0.0), (x0 + bw * 0.92, y)], c.filled()));
                }
            }
            lines.push((c, pts));
            let swatch = if as_lines { Swatch::Line(c) } else { Swatch::Square(c) };
            items.push(LegendItem::new(fonts::clean(name, 40), swatch));
        }
        let target = r.scenario.service_level;
        let show_target = target.is_finite() && target > 0.0 && target < 3.0 * ymax.max(1e-9);
        if show_target {
            ymax = ymax.max(target);
        }
        let ymax = style::nice_max(ymax * 1.05);
        // Keys only where a label is drawn (the axis chose them so they never overprint).
        let keys: Vec<f64> =
            (0..g_n).filter(|g| labels.get(*g).is_some_and(|l| !l.is_empty())).map(|g| g as f64 + 0.5).collect();
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(64)
            .y_label_area_size(84)
            .build_cartesian_2d(style::Keyed::wrap(0.0..g_n as f64, keys), 0.0..ymax)
            .or_err()?;
        chart
            .configure_mesh()
            .x_desc(if axis.multi_day {
                format!("day of arrival (one {} a {})", if as_lines { "point" } else { "column" }, axis.bin)
            } else if axis.bin == "hour" {
                "hour of arrival".to_string()
            } else {
                format!("time of arrival (one column a {})", axis.bin)
            })
            .y_desc(format!("mean wait ({})", cx.unit))
            .x_label_formatter(&|x| style::label_at(labels, x - 0.5))
            .y_label_formatter(&|y| num(*y))
            .y_labels(8)
            .house(font)
            .disable_x_mesh()
            .draw()
            .or_err()?;
        if as_lines {
            for (c, pts) in &lines {
                for run in style::runs(pts.iter().copied()) {
                    chart.draw_series(LineSeries::new(run.clone(), c.stroke_width(2))).or_err()?;
                    chart.draw_series(run.into_iter().map(|p| Circle::new(p, 3, c.filled()))).or_err()?;
                }
            }
        } else {
            chart.draw_series(bars).or_err()?;
        }
        if show_target {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, target), (g_n as f64, target)],
                    10,
                    6,
                    GREY.stroke_width(2),
                ))
                .or_err()?;
            items.push(LegendItem::new(format!("threshold {} {}", num(target), cx.unit), Swatch::Dashed(GREY)));
        }
        style::legend(&leg, font, "Variant", &items)
    }
}
