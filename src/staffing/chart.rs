//! `staffing.png`: the staffing chart drawn with the report's chart machinery (plotters, the
//! report's fonts and provenance stamp), so that it can go into a slide deck like the run's
//! charts. The top panel shows SIPP, required and rostered staff per resource and interval;
//! below it, one panel per target shows the final plan's estimate per interval with its 95%
//! confidence interval, SIPP's estimate, and the target line. `staffing.svg` shows the same.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::charts::style::{self, DARK, GREY, LIGHT_GREY, OrErr, TICK_SIZE};
use crate::report::charts::{Chart, fonts};

/// One staffed resource's rows.
pub struct StaffRows {
    pub name: String,
    pub sipp: Vec<u32>,
    pub required: Vec<u32>,
    /// Rostered (or, without shifts, the final plan).
    pub rostered: Vec<u32>,
}

/// One target's panel: per interval the plan's (value, CI low, CI high) and SIPP's value.
pub struct KpiPanel {
    pub title: String,
    pub target: f64,
    pub plan: Vec<(f64, f64, f64)>,
    pub sipp: Vec<f64>,
}

pub struct StaffChart {
    pub font: &'static str,
    pub title: String,
    /// Clock label of each interval's start.
    pub labels: Vec<String>,
    pub resources: Vec<StaffRows>,
    pub rostered_label: &'static str,
    pub panels: Vec<KpiPanel>,
}

const PANEL_HEIGHT: u32 = 320;
const STAFF_HEIGHT: u32 = 520;

impl StaffChart {
    fn x_label(&self, x: f64) -> String {
        let i = x.round();
        if (x - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        self.labels.get(i as usize).cloned().unwrap_or_default()
    }
}

impl Chart for StaffChart {
    fn size(&self) -> (u32, u32) {
        (1200, STAFF_HEIGHT + 80 + PANEL_HEIGHT * self.panels.len() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let font = self.font;
        root.fill(&WHITE).or_err()?;
        let body = style::title(root, font, &self.title)?;
        let (_, h) = body.dim_in_pixel();
        let staff_h = h.saturating_sub(PANEL_HEIGHT * self.panels.len() as u32);
        let (top, rest) = body.split_vertically(staff_h);
        let n = self.labels.len() as f64;
        let max = self
            .resources
            .iter()
            .flat_map(|r| r.sipp.iter().chain(&r.required).chain(&r.rostered))
            .copied()
            .max()
            .unwrap_or(1)
            .max(1);
        let every = (self.labels.len() / 12).max(1);
        let mut chart = ChartBuilder::on(&top)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..n, 0.0..f64::from(max) + 1.0)
            .or_err()?;
        chart
            .configure_mesh()
            .y_desc("staff")
            .x_labels(self.labels.len().div_ceil(every) + 1)
            .x_label_formatter(&|x| self.x_label(*x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((font, TICK_SIZE))
            .axis_desc_style((font, TICK_SIZE))
            .bold_line_style(LIGHT_GREY)
            .light_line_style(TRANSPARENT)
            .draw()
            .or_err()?;
        // A step line: value `v[i]` over [i, i + 1).
        let steps = |v: &[u32], lift: f64| -> Vec<(f64, f64)> {
            v.iter()
                .enumerate()
                .flat_map(|(i, &s)| [(i as f64, f64::from(s) + lift), (i as f64 + 1.0, f64::from(s) + lift)])
                .collect()
        };
        for (k, r) in self.resources.iter().enumerate() {
            let c = style::variant_colour(k);
            let name = fonts::clean(&r.name, 30);
            // Small vertical offsets keep equal lines of one resource apart.
            for (row, width, mix, what, lift) in [
                (&r.sipp, 1, 0.45, "SIPP", -0.06),
                (&r.required, 2, 0.7, "required", 0.0),
                (&r.rostered, 4, 1.0, self.rostered_label, 0.06),
            ] {
                let colour = c.mix(mix);
                chart
                    .draw_series(LineSeries::new(steps(row, lift), colour.stroke_width(width)))
                    .or_err()?
                    .label(format!("{name} {what}"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(width)));
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((font, TICK_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .draw()
            .or_err()?;
        let areas = rest.split_evenly((self.panels.len().max(1), 1));
        for (p, area) in self.panels.iter().zip(&areas) {
            self.panel(p, area, n, every)?;
        }
        Ok(())
    }
}

impl StaffChart {
    fn panel<DB: DrawingBackend>(
        &self,
        p: &KpiPanel,
        area: &DrawingArea<DB, Shift>,
        n: f64,
        every: usize,
    ) -> Result<(), String> {
        let font = self.font;
        let vals = p.plan.iter().flat_map(|&(v, a, b)| [v, a, b]).chain(p.sipp.iter().copied()).chain([p.target]);
        let (mut lo, mut hi) =
            vals.filter(|v| v.is_finite()).fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        if hi - lo < 1e-9 {
            (lo, hi) = (lo - 0.05, hi + 0.05);
        }
        let pad = (hi - lo) * 0.08;
        let mut chart = ChartBuilder::on(area)
            .caption(fonts::clean(&p.title, 120), (font, TICK_SIZE + 2.0))
            .margin(12)
            .margin_right(24)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..n, (lo - pad)..(hi + pad))
            .or_err()?;
        chart
            .configure_mesh()
            .x_labels(self.labels.len().div_ceil(every) + 1)
            .x_label_formatter(&|x| self.x_label(*x))
            .y_label_formatter(&|y| format!("{y:.3}"))
            .label_style((font, TICK_SIZE))
            .bold_line_style(LIGHT_GREY)
            .light_line_style(TRANSPARENT)
            .draw()
            .or_err()?;
        let red = RGBColor(0xD6, 0x27, 0x28);
        chart
            .draw_series(LineSeries::new([(0.0, p.target), (n, p.target)], red.stroke_width(2)))
            .or_err()?
            .label("target")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], red.stroke_width(2)));
        let blue = style::variant_colour(0);
        let bars =
            p.plan.iter().enumerate().filter(|(_, (v, a, b))| v.is_finite() && a.is_finite() && b.is_finite()).map(
                |(i, &(_, a, b))| {
                    PathElement::new(vec![(i as f64 + 0.5, a), (i as f64 + 0.5, b)], blue.stroke_width(2))
                },
            );
        chart.draw_series(bars).or_err()?;
        chart
            .draw_series(
                p.plan
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.0.is_finite())
                    .map(|(i, e)| Circle::new((i as f64 + 0.5, e.0), 5, blue.filled())),
            )
            .or_err()?
            .label("plan (95% CI)")
            .legend(move |(x, y)| Circle::new((x + 12, y), 5, blue.filled()));
        chart
            .draw_series(
                p.sipp
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(i, &v)| Circle::new((i as f64 + 0.62, v), 5, DARK.stroke_width(1))),
            )
            .or_err()?
            .label("SIPP")
            .legend(move |(x, y)| Circle::new((x + 12, y), 5, DARK.stroke_width(1)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((font, TICK_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .draw()
            .or_err()
    }
}
