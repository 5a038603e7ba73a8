//! Cost against service level: one labelled point per variant (and, after a sweep, per
//! sweep point), the non-dominated ones highlighted and joined as the efficient frontier.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::{self, DARK, GREY, HouseMesh, LegendItem, NOTE_SIZE, OrErr, Swatch, num};
use super::{Chart, Ctx, Job, fonts};

/// One point of the cost/service chart.
#[derive(Clone, Debug)]
pub struct CostServicePoint {
    pub label: String,
    /// Staff cost over the horizon.
    pub cost: f64,
    /// Share served within the threshold, in [0, 1].
    pub service_level: f64,
    pub colour: RGBColor,
    /// A sweep point rather than a named variant (drawn smaller, no colour of its own).
    pub sweep: bool,
}

/// Marks each point: true when no other point is at most as dear and at least as good, and
/// strictly better in one of the two.
pub fn non_dominated(points: &[CostServicePoint]) -> Vec<bool> {
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            p.cost.is_finite()
                && p.service_level.is_finite()
                && !points.iter().enumerate().any(|(j, q)| {
                    j != i
                        && q.cost.is_finite()
                        && q.service_level.is_finite()
                        && q.cost <= p.cost
                        && q.service_level >= p.service_level
                        && (q.cost < p.cost || q.service_level > p.service_level)
                })
        })
        .collect()
}

pub fn jobs<'a>(cx: &'a Ctx<'a>) -> Vec<Job<'a>> {
    let points: Vec<CostServicePoint> = cx
        .results
        .variants
        .iter()
        .map(|(name, v)| CostServicePoint {
            label: name.clone(),
            cost: v.kpis.get("staff_cost").map_or(f64::NAN, |s| s.mean),
            service_level: v.kpis.get("service_level").map_or(f64::NAN, |s| s.mean),
            colour: cx.colour(name),
            sweep: false,
        })
        .collect();
    if points.iter().all(|p| !(p.cost.is_finite() && p.service_level.is_finite())) {
        return Vec::new();
    }
    let title = cx.title("staff cost vs service level");
    let sl = cx.results.scenario.service_level;
    let caption = format!(
        "Staff cost over the horizon against the share of customers served within {} {} \
         (means across replications). Filled points joined by the line are non-dominated: no \
         other option is both cheaper (or equal) and better (or equal). Up and to the left is \
         better.",
        num(sl),
        cx.unit
    );
    vec![Job::new(
        "cost-vs-service",
        title.clone(),
        caption,
        CostChart { font: cx.font, title, points, threshold: format!("{} {}", num(sl), cx.unit) },
    )]
}

pub struct CostChart {
    pub font: &'static str,
    pub title: String,
    pub points: Vec<CostServicePoint>,
    pub threshold: String,
}

impl Chart for CostChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let font = self.font;
        let (plot, leg) = style::framed(root, font, &self.title)?;
        let pts: Vec<&CostServicePoint> =
            self.points.iter().filter(|p| p.cost.is_finite() && p.service_level.is_finite()).collect();
        let nd = non_dominated(&self.points);
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for p in &pts {
            x0 = x0.min(p.cost);
            x1 = x1.max(p.cost);
            y0 = y0.min(p.service_level * 100.0);
            y1 = y1.max(p.service_level * 100.0);
        }
        let xs = (x1 - x0).max(x1.abs() * 0.04).max(1.0);
        let ys = (y1 - y0).max(2.0);
        let (x0, x1) = (x0 - xs * 0.25, x1 + xs * 0.25);
        let (y0, y1) = ((y0 - ys * 0.25).max(0.0), (y1 + ys * 0.25).min(100.0));
        let (y0, y1) = if y1 > y0 { (y0, y1) } else { (0.0, 100.0) };
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(64)
            .y_label_area_size(84)
            .build_cartesian_2d(x0..x1, y0..y1)
            .or_err()?;
        chart
            .configure_mesh()
            .x_desc("staff cost over the horizon (currency)")
            .y_desc(format!("service level: served within {} (% of served)", self.threshold))
            .x_label_formatter(&|x| num(*x))
            .y_label_formatter(&|y| num(*y))
            .x_labels(10)
            .y_labels(8)
            .house(font)
            .draw()
            .or_err()?;
        // The frontier: non-dominated points by cost.
        let mut front: Vec<(f64, f64)> =
            self.points.iter().zip(&nd).filter(|(_, d)| **d).map(|(p, _)| (p.cost, p.service_level * 100.0)).collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0));
        if front.len() > 1 {
            chart.draw_series(LineSeries::new(front, DARK.stroke_width(2))).or_err()?;
        }
        let note = style::text_style(font, NOTE_SIZE + 1.0, DARK, HPos::Left, VPos::Center);
        let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
        let mut items = Vec::new();
        for (p, d) in self.points.iter().zip(&nd) {
            if !(p.cost.is_finite() && p.service_level.is_finite()) {
                items.push(LegendItem::new(
                    format!("{}: no cost or service data", fonts::clean(&p.label, 24)),
                    Swatch::None,
                ));
                continue;
            }
            let xy = (p.cost, p.service_level * 100.0);
            let r = if p.sweep { 6 } else { 10 };
            if *d {
                chart
                    .draw_series([Circle::new(xy, r + 3, DARK.filled()), Circle::new(xy, r, p.colour.filled())])
                    .or_err()?;
            } else {
                chart
                    .draw_series([Circle::new(xy, r, WHITE.filled()), Circle::new(xy, r, p.colour.stroke_width(3))])
                    .or_err()?;
            }
            // Label beside the point, moved down past labels already placed.
            let label = fonts::clean(&p.label, 30);
            let (bx, by) = chart.backend_coord(&xy);
            let (tw, th) =
                plot.estimate_text_size(&label, &note).map(|(a, b)| (a as i32, b as i32)).unwrap_or((100, 18));
            let (pw, _) = chart.plotting_area().dim_in_pixel();
            let (ox, _) = chart.plotting_area().get_base_pixel();
            let right_room = ox + pw as i32 - (bx + 16);
            let mut dx = if right_room >= tw { 16 } else { -16 - tw };
            let mut dy = 0;
            let overlaps = |x: i32, y: i32, placed: &[(i32, i32, i32, i32)]| {
                placed.iter().any(|&(a, b, c, e)| x < c && x + tw > a && y - th / 2 < e && y + th / 2 > b)
            };
            let mut tries = 0;
            while overlaps(bx + dx, by + dy, &placed) && tries < 12 {
                tries += 1;
                dy = if tries % 2 == 1 { (tries + 1) / 2 * (th + 4) } else { -(tries / 2) * (th + 4) };
                if tries == 6 {
                    dx = if dx > 0 { -16 - tw } else { 16 };
                }
            }
            placed.push((bx + dx, by + dy - th / 2, bx + dx + tw, by + dy + th / 2));
            chart
                .draw_series(std::iter::once(EmptyElement::at(xy) + Text::new(label, (dx, dy), note.clone())))
                .or_err()?;
            if !p.sweep {
                items.push(LegendItem::new(
                    format!("{}: {}, {:.1}%", fonts::clean(&p.label, 22), num(p.cost), p.service_level * 100.0),
                    if *d { Swatch::Dot(p.colour) } else { Swatch::Hollow(p.colour) },
                ));
            }
        }
        items.push(LegendItem::new("filled: non-dominated", Swatch::Dot(GREY)));
        items.push(LegendItem::new("hollow: dominated", Swatch::Hollow(GREY)));
        items.push(LegendItem::new("efficient frontier", Swatch::Line(DARK)));
        style::legend(&leg, font, "Variant: cost, service", &items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(cost: f64, sl: f64) -> CostServicePoint {
        CostServicePoint { label: String::new(), cost, service_level: sl, colour: BLACK, sweep: false }
    }

    #[test]
    fn dominance() {
        let pts = [p(10.0, 0.8), p(10.0, 0.9), p(12.0, 0.95), p(12.0, 0.9), p(f64::NAN, 1.0)];
        assert_eq!(non_dominated(&pts), vec![false, true, true, false, false]);
    }
}
