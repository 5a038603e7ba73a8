//! Heatmaps: resource utilisation by hour (one panel per variant) and the grid of a
//! two-parameter sweep (`sweep_heatmap`, for the `sweep` command). Both share one panel
//! renderer and a viridis colour scale with its legend bar.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::{self, DARK, DESC_SIZE, LEGEND_SIZE, LIGHT_GREY, NOTE_SIZE, OrErr, TICK_SIZE, num};
use super::{Chart, Ctx, Job, Rendered, fonts};

/// A grid of values: `values[row][col]`, rows drawn top to bottom.
pub struct Grid {
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    pub values: Vec<Vec<f64>>,
}

/// How values map to colours and how they are written.
#[derive(Clone)]
pub struct Scale {
    pub lo: f64,
    pub hi: f64,
    pub percent: bool,
    pub label: String,
}

impl Scale {
    fn t(&self, v: f64) -> f64 {
        if self.hi > self.lo { (v - self.lo) / (self.hi - self.lo) } else { 0.5 }
    }
    fn fmt(&self, v: f64) -> String {
        if !v.is_finite() {
            "–".into()
        } else if self.percent {
            format!("{:.0}%", v * 100.0)
        } else {
            num(v)
        }
    }
}

/// Draws one heatmap panel with its caption, axis labels and cell values.
#[allow(clippy::too_many_arguments)]
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    font: &'static str,
    caption: &str,
    grid: &Grid,
    scale: &Scale,
    x_desc: Option<&str>,
    y_desc: Option<&str>,
    max_x_labels: usize,
) -> Result<(), String> {
    let nr = grid.rows.len().max(1);
    let nc = grid.cols.len().max(1);
    let row_style = style::text_style(font, TICK_SIZE, DARK, HPos::Right, VPos::Center);
    let row_labels: Vec<String> =
        grid.rows.iter().map(|s| style::fit(area, &fonts::clean(s, 30), &row_style, 150)).collect();
    let step = nc.div_ceil(max_x_labels.max(1)).max(1);
    let keys: Vec<f64> = (0..nc).step_by(step).map(|c| c as f64 + 0.5).collect();
    let rkeys: Vec<f64> = (0..nr).map(|r| r as f64 + 0.5).collect();
    let mut b = ChartBuilder::on(area);
    b.margin(6).margin_right(24).y_label_area_size(170);
    if !caption.is_empty() {
        b.caption(caption, (font, LEGEND_SIZE + 2.0));
    }
    b.x_label_area_size(if x_desc.is_some() { 62 } else { 30 });
    let mut chart = b
        .build_cartesian_2d(style::Keyed::wrap(0.0..nc as f64, keys), style::Keyed::wrap(0.0..nr as f64, rkeys))
        .or_err()?;
    let xf = |x: &f64| {
        let c = (x - 0.5).round();
        if c >= 0.0 {
            grid.cols.get(c as usize).map(|s| fonts::clean(s, 16)).unwrap_or_default()
        } else {
            String::new()
        }
    };
    let yf = |y: &f64| {
        let r = (y - 0.5).round();
        if r >= 0.0 && (r as usize) < nr {
            row_labels.get(nr - 1 - r as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((font, TICK_SIZE))
        .axis_desc_style((font, DESC_SIZE))
        .disable_mesh();
    if let Some(d) = x_desc {
        mesh.x_desc(d);
    }
    if let Some(d) = y_desc {
        mesh.y_desc(d);
    }
    mesh.draw().or_err()?;
    let (pw, ph) = chart.plotting_area().dim_in_pixel();
    let cell_w = pw as f64 / nc as f64;
    let cell_h = ph as f64 / nr as f64;
    let text_px = if cell_h >= 40.0 { LEGEND_SIZE } else { NOTE_SIZE };
    let show_text = cell_w >= 46.0 && cell_h >= 18.0;
    let mut cells = Vec::new();
    let mut texts = Vec::new();
    for (r, row) in grid.values.iter().enumerate().take(nr) {
        let y = (nr - 1 - r) as f64;
        for (c, v) in row.iter().enumerate().take(nc) {
            let x = c as f64;
            let colour = if v.is_finite() { style::viridis(scale.t(*v)) } else { LIGHT_GREY };
            cells.push(Rectangle::new([(x, y), (x + 1.0, y + 1.0)], colour.filled()));
            cells.push(Rectangle::new([(x, y), (x + 1.0, y + 1.0)], WHITE.stroke_width(1)));
            if show_text {
                let tc = if style::dark_text_on(colour) { DARK } else { WHITE };
                texts.push(
                    EmptyElement::at((x + 0.5, y + 0.5))
                        + Text::new(
                            scale.fmt(*v),
                            (0, 0),
                            style::text_style(font, text_px, tc, HPos::Center, VPos::Center),
                        ),
                );
            }
        }
    }
    chart.draw_series(cells).or_err()?;
    chart.draw_series(texts).or_err()?;
    Ok(())
}

/// The colour scale legend: a vertical bar from `lo` (bottom) to `hi` (top) with ticks.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    font: &'static str,
    scale: &Scale,
    notes: &[String],
) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let head = style::text_style(font, LEGEND_SIZE, DARK, HPos::Left, VPos::Top);
    let mut y = 20i32;
    for line in wrap(&scale.label, 24) {
        let t = style::fit(area, &line, &head, w.saturating_sub(24));
        area.draw(&Text::new(t, (16, y), head.clone())).or_err()?;
        y += 24;
    }
    let top = y + 14;
    // Notes wrap to the legend's width, so none is cut off.
    let note_lines: Vec<String> = notes.iter().flat_map(|n| wrap(n, 26)).collect();
    let bottom = (h as i32 - 40 - 22 * note_lines.len() as i32).max(top + 60);
    let (x0, x1) = (24, 60);
    let steps = 100;
    for k in 0..steps {
        let t0 = k as f64 / steps as f64;
        let ya = bottom - ((bottom - top) as f64 * (k + 1) as f64 / steps as f64).round() as i32;
        let yb = bottom - ((bottom - top) as f64 * k as f64 / steps as f64).round() as i32;
        area.draw(&Rectangle::new([(x0, ya), (x1, yb)], style::viridis(t0 + 0.5 / steps as f64).filled())).or_err()?;
    }
    area.draw(&Rectangle::new([(x0, top), (x1, bottom)], DARK.stroke_width(1))).or_err()?;
    let tick = style::text_style(font, TICK_SIZE, DARK, HPos::Left, VPos::Center);
    for k in 0..=4 {
        let f = k as f64 / 4.0;
        let v = scale.lo + (scale.hi - scale.lo) * f;
        let yy = bottom - ((bottom - top) as f64 * f).round() as i32;
        area.draw(&PathElement::new(vec![(x1, yy), (x1 + 6, yy)], DARK.stroke_width(1))).or_err()?;
        area.draw(&Text::new(scale.fmt(v), (x1 + 10, yy), tick.clone())).or_err()?;
    }
    let note = style::text_style(font, NOTE_SIZE, DARK, HPos::Left, VPos::Top);
    let mut ny = bottom + 20;
    for n in &note_lines {
        let t = style::fit(area, n, &note, w.saturating_sub(24));
        area.draw(&Text::new(t, (16, ny), note.clone())).or_err()?;
        ny += 22;
    }
    Ok(())
}

/// Splits text into lines of at most about `n` characters at spaces.
fn wrap(text: &str, n: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > n {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

pub fn utilisation_jobs<'a>(cx: &'a Ctx<'a>) -> Vec<Job<'a>> {
    if cx.results.variants.values().all(|v| v.timeseries.utilisation.is_empty()) {
        return Vec::new();
    }
    let axis = util_axis(cx);
    let title = cx.title(&format!("staff utilisation {}", axis.title_part()));
    let caption = format!(
        "Utilisation of {} (busy staff / scheduled staff) {}, per variant, \
         mean across {} replications. Grey cells: no staff scheduled.{}",
        match crate::report::aggregate::shown_resources(cx.results) {
            Some(s) => format!("the {} busiest resources (the drill-down table lists all)", s.len()),
            None => "each resource".to_string(),
        },
        axis.title_part().replace(", open hours only", ""),
        cx.results.replications,
        if axis.closed_left_out {
            " Periods when no resource of any variant is busy (closed hours) are left out."
        } else {
            ""
        }
    );
    vec![Job::new("utilisation-heatmap", title.clone(), caption, Utilisation { cx, title })]
}

/// The columns of the utilisation heatmap: periods when some resource of some variant is
/// busy.
fn util_axis(cx: &Ctx<'_>) -> style::TimeAxis {
    let r = cx.results;
    cx.bin_axis(|a, k| {
        // A column where nobody is scheduled, or only idle automation runs (a bot at night),
        // carries nothing to read.
        r.variants.values().any(|v| v.timeseries.utilisation.values().any(|b| style::group_mean(&b.mean, a, k) > 0.0))
    })
}

pub struct Utilisation<'a> {
    cx: &'a Ctx<'a>,
    title: String,
}

impl Utilisation<'_> {
    fn grids(&self) -> Vec<(String, Grid)> {
        let r = self.cx.results;
        let axis = util_axis(self.cx);
        let groups = &axis.groups;
        r.variants
            .iter()
            .map(|(name, v)| {
                let ts = &v.timeseries;
                let cols = axis.ticks.clone();
                // A large model shows its busiest resources (the drill-down lists every one).
                let shown = crate::report::aggregate::shown_resources(r);
                let kept: Vec<(&String, &crate::report::results::BandOut)> =
                    ts.utilisation.iter().filter(|(k, _)| shown.as_ref().is_none_or(|s| s.contains(k))).collect();
                let rows = kept.iter().map(|(k, _)| (*k).clone()).collect();
                let values = kept
                    .iter()
                    .map(|(_, b)| groups.iter().map(|(a, n)| style::group_mean(&b.mean, *a, *n)).collect())
                    .collect();
                (name.clone(), Grid { rows, cols, values })
            })
            .collect()
    }
}

impl Chart for Utilisation<'_> {
    fn size(&self) -> (u32, u32) {
        let rows: usize = self.grids().iter().map(|(_, g)| 62 + 34 * g.rows.len().max(1)).sum();
        (super::WIDTH, (rows as u32 + 80).clamp(super::HEIGHT, 6000))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let font = self.cx.font;
        let (left, leg) = style::framed(root, font, &self.title)?;
        let grids = self.grids();
        let weights: Vec<u32> = grids.iter().map(|(_, g)| 62 + 34 * g.rows.len().max(1) as u32).collect();
        let total: u32 = weights.iter().sum::<u32>().max(1);
        let (_, lh) = left.dim_in_pixel();
        let mut rest = left;
        let scale = Scale { lo: 0.0, hi: 1.0, percent: true, label: "utilisation (busy / scheduled staff)".into() };
        let last = grids.len().saturating_sub(1);
        for (i, (name, g)) in grids.iter().enumerate() {
            let ph = (u64::from(lh) * u64::from(weights[i]) / u64::from(total)) as u32;
            let (this, below) = if i == last {
                let (rw, rh) = rest.dim_in_pixel();
                let _ = rw;
                rest.split_vertically(rh)
            } else {
                rest.split_vertically(ph)
            };
            let cols = g.cols.len();
            panel(&this, font, &format!("variant: {}", fonts::clean(name, 40)), g, &scale, None, None, cols)?;
            rest = below;
        }
        let axis = util_axis(self.cx);
        let mut notes = vec![format!("one column per {}", axis.bin), "grey: no staff scheduled".to_string()];
        if axis.closed_left_out {
            notes.push("closed periods left out".into());
        }
        if axis.multi_day {
            notes.push("labels: first column of the day".into());
        }
        colour_bar(&leg, font, &scale, &notes)
    }
}

/// The grid of a two-parameter sweep: one KPI for every pair of parameter values.
#[derive(Clone, Debug, Default)]
pub struct SweepGrid {
    /// Scenario name (chart title).
    pub scenario: String,
    /// First parameter (columns), e.g. "resources.teller.staff", and its values as shown.
    pub x_name: String,
    pub x_values: Vec<String>,
    /// Second parameter (rows, top to bottom).
    pub y_name: String,
    pub y_values: Vec<String>,
    /// The KPI shown, with unit: "mean wait (min)".
    pub kpi_label: String,
    /// `values[y][x]`; NaN where a point was not run.
    pub values: Vec<Vec<f64>>,
    /// KPI is a share in [0, 1] (shown as %).
    pub percent: bool,
}

struct SweepChart<'a> {
    g: &'a SweepGrid,
    font: &'static str,
}

impl Chart for SweepChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let g = self.g;
        let title = format!(
            "{} — {} by {} and {}",
            fonts::clean(&g.scenario, 60),
            fonts::clean(&g.kpi_label, 40),
            fonts::clean(&g.x_name, 30),
            fonts::clean(&g.y_name, 30)
        );
        let (left, leg) = style::framed(root, self.font, &title)?;
        let finite = g.values.iter().flatten().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let scale = Scale { lo, hi, percent: g.percent, label: fonts::clean(&g.kpi_label, 60) };
        // Rows as given are top to bottom.
        let grid = Grid { rows: g.y_values.clone(), cols: g.x_values.clone(), values: g.values.clone() };
        let x_desc = fonts::clean(&g.x_name, 60);
        let y_desc = fonts::clean(&g.y_name, 60);
        panel(&left, self.font, "", &grid, &scale, Some(&x_desc), Some(&y_desc), 20)?;
        colour_bar(&leg, self.font, &scale, &["grey: not run".into()])
    }
}

/// Renders the heatmap of a two-parameter sweep (PNG + SVG), for a later `sweep` command to
/// write beside its summary and inline into its report.
pub fn sweep_heatmap(grid: &SweepGrid, font: &fonts::ChartFont, stamp: &super::Stamp) -> Result<Rendered, String> {
    let chart = SweepChart { g: grid, font: font.family };
    let (svg, png) = super::render(&chart, stamp)?;
    let title = format!("{} by {} and {}", grid.kpi_label, grid.x_name, grid.y_name);
    Ok(Rendered {
        stem: "sweep-heatmap".into(),
        caption: format!(
            "{title}: one cell per pair of parameter values, coloured by the KPI's mean across \
             replications."
        ),
        title,
        svg,
        png,
    })
}
