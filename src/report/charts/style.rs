//! Shared look of every chart: Okabe–Ito colours, a colour-blind-safe sequential scale, text
//! sizes, the legend panel, clock-time axes and bin grouping.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::scenario::units;

/// Okabe & Ito (2008) colours, baseline first in black so it reads as the reference.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

pub fn variant_colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub const GREY: RGBColor = RGBColor(0x80, 0x80, 0x80);
pub const LIGHT_GREY: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
pub const DARK: RGBColor = RGBColor(0x22, 0x22, 0x22);

/// Viridis (perceptually uniform, readable with colour-vision deficiencies and in grey).
const VIRIDIS: [(u8, u8, u8); 10] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x28, 0x78),
    (0x3E, 0x4A, 0x89),
    (0x31, 0x68, 0x8E),
    (0x26, 0x82, 0x8E),
    (0x1F, 0x9E, 0x89),
    (0x35, 0xB7, 0x79),
    (0x6D, 0xCD, 0x59),
    (0xB4, 0xDE, 0x2C),
    (0xFD, 0xE7, 0x25),
];

/// Colour of `t` in [0, 1] on the viridis scale (clamped).
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Whether black text is more legible than white on `c`.
pub fn dark_text_on(c: RGBColor) -> bool {
    let l = 0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2);
    l > 140.0
}

pub const TITLE_SIZE: f64 = 30.0;
pub const DESC_SIZE: f64 = 22.0;
pub const TICK_SIZE: f64 = 18.0;
pub const LEGEND_SIZE: f64 = 18.0;
pub const NOTE_SIZE: f64 = 16.0;
pub const LEGEND_WIDTH: u32 = 290;

/// Converts any displayable drawing error into the report's error string.
pub trait OrErr<T> {
    fn or_err(self) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> OrErr<T> for Result<T, E> {
    fn or_err(self) -> Result<T, String> {
        self.map_err(|e| format!("drawing failed: {e}"))
    }
}

/// The house look of a chart's grid and axes: tick and axis-title text in the chart's font,
/// light grey major grid lines and no minor ones. One place for it, so that every chart of the
/// run report and of the fit report looks alike.
pub trait HouseMesh<'b> {
    fn house(&mut self, font: &'b str) -> &mut Self;
}

impl<'b, X: Ranged, Y: Ranged, DB: DrawingBackend> HouseMesh<'b> for plotters::chart::MeshStyle<'_, 'b, X, Y, DB> {
    fn house(&mut self, font: &'b str) -> &mut Self {
        self.label_style((font, TICK_SIZE))
            .axis_desc_style((font, DESC_SIZE))
            .bold_line_style(LIGHT_GREY)
            .light_line_style(TRANSPARENT)
    }
}

/// The label of slot `i` of a category axis (rounded to the nearest slot), or "" between and
/// beyond the slots: plotters asks for labels at any key, not only at the categories.
pub fn label_at(labels: &[String], i: f64) -> String {
    let i = i.round();
    if i >= 0.0 { labels.get(i as usize).cloned().unwrap_or_default() } else { String::new() }
}

pub fn text_style(family: &'static str, size: f64, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle { font: (family, size).into_font(), color: colour.to_backend_color(), pos: Pos::new(h, v) }
}

/// A linear f64 axis whose ticks (and grid lines) are exactly the given key points.
#[derive(Clone, Debug)]
pub struct Keyed {
    lo: f64,
    hi: f64,
    keys: Vec<f64>,
}

impl Keyed {
    pub fn new(lo: f64, hi: f64, keys: Vec<f64>) -> Keyed {
        let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi > lo { (lo, hi) } else { (0.0, 1.0) };
        let keys = keys.into_iter().filter(|k| k.is_finite() && *k >= lo - 1e-9 && *k <= hi + 1e-9).collect();
        Keyed { lo, hi, keys }
    }

    pub fn wrap(r: std::ops::Range<f64>, keys: Vec<f64>) -> Keyed {
        Keyed::new(r.start, r.end, keys)
    }
}

impl Ranged for Keyed {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = ((v - self.lo) / (self.hi - self.lo)).clamp(-10.0, 10.0);
        let f = if f.is_finite() { f } else { 0.0 };
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.keys.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Cuts `text` (with an ellipsis) until it fits in `max_px` at `style`.
pub fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    max_px: u32,
) -> String {
    let width = |s: &str| area.estimate_text_size(s, style).map_or(0, |(w, _)| w);
    if width(text) <= max_px {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let s: String = chars[..mid].iter().collect::<String>() + "…";
        if width(&s) <= max_px {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    chars[..lo].iter().collect::<String>().trim_end().to_string() + "…"
}

/// Draws the chart title and returns the area below it.
/// The frame every chart shares: the title on top, then the plot area and, on the right, the
/// legend column.
#[allow(clippy::type_complexity)]
pub fn framed<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    family: &'static str,
    text: &str,
) -> Result<(DrawingArea<DB, Shift>, DrawingArea<DB, Shift>), String> {
    let area = title(root, family, text)?;
    let (w, _) = area.dim_in_pixel();
    Ok(area.split_horizontally(w.saturating_sub(LEGEND_WIDTH)))
}

pub fn title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    family: &'static str,
    text: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).or_err()?;
    let (w, _) = root.dim_in_pixel();
    let style = text_style(family, TITLE_SIZE, DARK, HPos::Center, VPos::Top);
    let t = fit(root, text, &style, w.saturating_sub(40));
    root.draw(&Text::new(t, (w as i32 / 2, 14), style)).or_err()?;
    Ok(root.margin(58, 6, 6, 6))
}

/// What a legend entry shows beside its label.
#[derive(Clone, Copy, Debug)]
pub enum Swatch {
    Line(RGBColor),
    /// A line over a shaded band.
    LineBand(RGBColor),
    Band(RGBColor),
    Dashed(RGBColor),
    Dot(RGBColor),
    Hollow(RGBColor),
    Triangle(RGBColor),
    Square(RGBColor),
    /// A point with whiskers.
    Whisker(RGBColor),
    /// No swatch: a heading or note line.
    None,
}

pub struct LegendItem {
    pub label: String,
    /// A second, smaller line under the label (numbers).
    pub detail: Option<String>,
    pub swatch: Swatch,
}

impl LegendItem {
    pub fn new(label: impl Into<String>, swatch: Swatch) -> LegendItem {
        LegendItem { label: label.into(), detail: None, swatch }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> LegendItem {
        self.detail = Some(detail.into());
        self
    }

    fn height(&self) -> i32 {
        if self.detail.is_some() { 50 } else { 30 }
    }
}

/// Draws a legend panel (entries top to bottom) into `area`.
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    family: &'static str,
    heading: &str,
    items: &[LegendItem],
) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let row = 30i32;
    let mut y = 34i32;
    let head = text_style(family, LEGEND_SIZE, DARK, HPos::Left, VPos::Center);
    let label_style = text_style(family, LEGEND_SIZE, DARK, HPos::Left, VPos::Center);
    let content: i32 = items.iter().map(LegendItem::height).sum::<i32>() + if heading.is_empty() { 0 } else { row };
    let box_h = (content + 8).min(h as i32 - 22);
    let detail_style = text_style(family, NOTE_SIZE, RGBColor(0x55, 0x55, 0x55), HPos::Left, VPos::Center);
    area.draw(&Rectangle::new(
        [(6, 18), (w as i32 - 4, 18 + box_h)],
        ShapeStyle::from(&RGBColor(0xBB, 0xBB, 0xBB)).stroke_width(1),
    ))
    .or_err()?;
    if !heading.is_empty() {
        let t = fit(area, heading, &head, w.saturating_sub(30));
        area.draw(&Text::new(t, (16, y), head.clone())).or_err()?;
        y += row;
    }
    for it in items {
        if y + it.height() > h as i32 - 4 {
            let more = "… (more not shown)".to_string();
            area.draw(&Text::new(more, (16, y), label_style.clone())).or_err()?;
            break;
        }
        let (x0, x1) = (16, 52);
        let mid = (x0 + x1) / 2;
        match it.swatch {
            Swatch::Line(c) => {
                area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(3))).or_err()?;
            }
            Swatch::LineBand(c) => {
                area.draw(&Rectangle::new([(x0, y - 9), (x1, y + 9)], c.mix(0.18).filled())).or_err()?;
                area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(3))).or_err()?;
            }
            Swatch::Band(c) => {
                area.draw(&Rectangle::new([(x0, y - 9), (x1, y + 9)], c.mix(0.25).filled())).or_err()?;
            }
            Swatch::Dashed(c) => {
                for k in 0..3 {
                    let a = x0 + k * 13;
                    area.draw(&PathElement::new(vec![(a, y), (a + 8, y)], c.stroke_width(2))).or_err()?;
                }
            }
            Swatch::Dot(c) => {
                area.draw(&Circle::new((mid, y), 7, c.filled())).or_err()?;
            }
            Swatch::Hollow(c) => {
                area.draw(&Circle::new((mid, y), 7, c.stroke_width(2))).or_err()?;
            }
            Swatch::Triangle(c) => {
                area.draw(&TriangleMarker::new((mid, y), 8, c.filled())).or_err()?;
            }
            Swatch::Square(c) => {
                area.draw(&Rectangle::new([(x0 + 4, y - 10), (x1 - 4, y + 10)], c.filled())).or_err()?;
            }
            Swatch::Whisker(c) => {
                let s = c.stroke_width(2);
                area.draw(&PathElement::new(vec![(mid, y - 11), (mid, y + 11)], s)).or_err()?;
                area.draw(&PathElement::new(vec![(mid - 6, y - 11), (mid + 6, y - 11)], s)).or_err()?;
                area.draw(&PathElement::new(vec![(mid - 6, y + 11), (mid + 6, y + 11)], s)).or_err()?;
                area.draw(&Circle::new((mid, y), 6, c.filled())).or_err()?;
            }
            Swatch::None => {}
        }
        let tx = if matches!(it.swatch, Swatch::None) { x0 } else { x1 + 12 };
        let t = fit(area, &it.label, &label_style, w.saturating_sub(tx as u32 + 12));
        area.draw(&Text::new(t, (tx, y), label_style.clone())).or_err()?;
        if let Some(d) = &it.detail {
            let t = fit(area, d, &detail_style, w.saturating_sub(tx as u32 + 12));
            area.draw(&Text::new(t, (tx, y + 21), detail_style.clone())).or_err()?;
        }
        y += it.height();
    }
    Ok(())
}

/// Clock time on a time axis: engine minutes from t = 0 shown as "09:00" or "d2 09:00".
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub start: f64,
    pub horizon: f64,
    pub multi_day: bool,
    /// Weekday of t = 0 (0 = Monday), when known: multi-day labels then name the day.
    pub weekday: Option<usize>,
}

impl Clock {
    pub fn new(start_minutes: f64, horizon_minutes: f64) -> Clock {
        let start = if start_minutes.is_finite() { start_minutes } else { 0.0 };
        Clock {
            start,
            horizon: horizon_minutes,
            multi_day: start + horizon_minutes > units::MINUTES_PER_DAY,
            weekday: None,
        }
    }

    /// The clock with t = 0 on `weekday` ("mon" … "sun"); unknown names leave days numbered.
    pub fn on(mut self, weekday: Option<&str>) -> Clock {
        self.weekday = weekday.and_then(|w| crate::report::results::WEEKDAYS.iter().position(|d| *d == w));
        self
    }

    /// "Tue" for the day `day` (0 = the first) when the start weekday is known.
    pub fn day_name(&self, day: i64) -> Option<&'static str> {
        const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        self.weekday.map(|w| NAMES[(w as i64 + day).rem_euclid(7) as usize])
    }

    /// The label of day `day` (0 = the first): "Mon d1" when the weekday is known, else "day 1".
    pub fn day_label(&self, day: i64) -> String {
        match self.day_name(day) {
            Some(n) => format!("{n} d{}", day + 1),
            None => format!("day {}", day + 1),
        }
    }

    /// "09:00"; on a multi-day run "d2 09:00", or "Tue d2 09:00" when the weekday is known.
    pub fn label(&self, t: f64) -> String {
        let s = units::clock_label(self.start, t, self.multi_day);
        let day = ((self.start + t) / units::MINUTES_PER_DAY).floor() as i64;
        match self.day_name(day) {
            Some(n) if self.multi_day => format!("{n} {s}"),
            _ => s,
        }
    }

    /// Tick positions (minutes from t = 0) on whole clock hours, at most about `max` of them.
    pub fn ticks(&self, max: usize) -> Vec<f64> {
        let steps = [15.0, 30.0, 60.0, 120.0, 180.0, 240.0, 360.0, 720.0, 1440.0, 2880.0, 10080.0];
        let span = self.horizon.max(1.0);
        let step = steps
            .iter()
            .copied()
            .find(|s| span / s <= max as f64)
            .unwrap_or_else(|| (span / max as f64 / 1440.0).ceil() * 1440.0);
        let first = (self.start / step).ceil() * step - self.start;
        let mut out = Vec::new();
        let mut t = first;
        while t <= self.horizon + 1e-9 && out.len() < 1000 {
            out.push(t);
            t += step;
        }
        out
    }
}

/// Groups of consecutive bins that make up whole hours (or longer blocks when there would
/// be more than `max_groups`): (first bin, bins in group).
pub fn hour_groups(n_bins: usize, bin_minutes: f64, max_groups: usize) -> Vec<(usize, usize)> {
    let mut per = 1usize;
    if bin_minutes.is_finite() && bin_minutes > 0.0 {
        for block in [60.0, 120.0, 240.0, 360.0, 720.0, 1440.0] {
            let k = block / bin_minutes;
            if k >= 1.0 && (k - k.round()).abs() < 1e-9 {
                per = k.round() as usize;
                if n_bins.div_ceil(per) <= max_groups {
                    break;
                }
            }
        }
    }
    (0..n_bins.div_ceil(per.max(1))).map(|g| (g * per, per.min(n_bins - g * per))).collect()
}

/// Mean of the finite values in `v[a..a+n]`.
pub fn group_mean(v: &[f64], a: usize, n: usize) -> f64 {
    let xs: Vec<f64> = v.iter().skip(a).take(n).copied().filter(|x| x.is_finite()).collect();
    if xs.is_empty() { f64::NAN } else { xs.iter().sum::<f64>() / xs.len() as f64 }
}

/// Splits a series at undefined values into drawable runs.
pub fn runs(points: impl IntoIterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in points {
        if x.is_finite() && y.is_finite() {
            if let Some(last) = out.last_mut() {
                last.push((x, y));
            }
        } else if out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// A "nice" upper bound for an axis that starts at zero.
pub fn nice_max(x: f64) -> f64 {
    if !x.is_finite() || x <= 0.0 {
        return 1.0;
    }
    let e = 10f64.powf(x.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * e >= x * 1.0001 {
            return m * e;
        }
    }
    10.0 * e
}

/// Compact number for tick labels.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let a = x.abs();
    let s = if a >= 100.0 || a == 0.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    };
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_ticks_on_the_clock() {
        let c = Clock::new(9.0 * 60.0 + 30.0, 480.0);
        let t = c.ticks(12);
        assert_eq!(t[0], 30.0);
        assert_eq!(c.label(t[0]), "10:00");
        let long = Clock::new(0.0, 7.0 * 1440.0);
        assert!(long.ticks(12).len() <= 13);
        assert!(long.multi_day);
    }

    #[test]
    fn groups_make_hours() {
        assert_eq!(hour_groups(8, 15.0, 100), vec![(0, 4), (4, 4)]);
        assert_eq!(hour_groups(5, 15.0, 100), vec![(0, 4), (4, 1)]);
        assert_eq!(hour_groups(3, 7.0, 100), vec![(0, 1), (1, 1), (2, 1)]);
        assert_eq!(hour_groups(96 * 3, 15.0, 100).len(), 72);
    }

    #[test]
    fn nice_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.3), 8.0);
        assert_eq!(num(2.50), "2.5");
        assert_eq!(num(2992.0), "2992");
    }

    #[test]
    fn runs_split_at_nan() {
        let r = runs(vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 2.0), (3.0, 3.0)]);
        assert_eq!(r.len(), 2);
    }
}

/// The columns of a chart over time bins (heatmap cells, bars): groups of bins, with the
/// groups where nothing happens in any variant (a calendar closed at night and at weekends)
/// left out, and tick labels that stay readable for any horizon: clock times over one day,
/// day numbers over several.
#[derive(Clone, Debug)]
pub struct TimeAxis {
    /// (first bin, bins) of each column shown.
    pub groups: Vec<(usize, usize)>,
    /// Label under each column ("" where none is drawn, so labels never overprint).
    pub ticks: Vec<String>,
    /// Width of a column in words: "hour", "4 h", "day".
    pub bin: String,
    /// Some columns were left out because nothing happened in them.
    pub closed_left_out: bool,
    pub multi_day: bool,
}

impl TimeAxis {
    /// `open(first, n)`: whether anything happens in the group (any variant, any row).
    /// `max_ticks`: most labels along the axis.
    pub fn new(
        clock: &Clock,
        bin_minutes: f64,
        n_bins: usize,
        max_groups: usize,
        max_ticks: usize,
        open: impl Fn(usize, usize) -> bool,
    ) -> TimeAxis {
        // The finest whole-hour (or longer) block whose open columns fit in `max_groups`.
        // (columns, bins a column, closed columns left out)
        type Choice = (Vec<(usize, usize)>, usize, bool);
        let mut chosen: Option<Choice> = None;
        for block in [60.0, 120.0, 240.0, 360.0, 720.0, 1440.0, 10080.0] {
            let k = block / bin_minutes;
            let per = if bin_minutes.is_finite() && bin_minutes > 0.0 && k >= 1.0 && (k - k.round()).abs() < 1e-9 {
                k.round() as usize
            } else if block == 60.0 {
                1
            } else {
                continue;
            };
            let all: Vec<(usize, usize)> =
                (0..n_bins.div_ceil(per)).map(|g| (g * per, per.min(n_bins - g * per))).collect();
            let open_groups: Vec<(usize, usize)> = all.iter().copied().filter(|(a, n)| open(*a, *n)).collect();
            let closed = !open_groups.is_empty() && open_groups.len() < all.len();
            let groups = if open_groups.is_empty() { all } else { open_groups };
            let fits = groups.len() <= max_groups;
            chosen = Some((groups, per, closed));
            if fits {
                break;
            }
        }
        let (groups, per, closed_left_out) = chosen.unwrap_or_default();
        let width = per as f64 * bin_minutes;
        let bin = if (width - 60.0).abs() < 1e-9 {
            "hour".to_string()
        } else if (width - 1440.0).abs() < 1e-9 {
            "day".to_string()
        } else if (width - 10080.0).abs() < 1e-9 {
            "week".to_string()
        } else {
            units::human_duration(width).replace("min", " min").replace('h', " h")
        };
        let start = |g: &(usize, usize)| g.0 as f64 * bin_minutes;
        let ticks = if !clock.multi_day {
            let step = groups.len().div_ceil(max_ticks.max(1)).max(1);
            groups
                .iter()
                .enumerate()
                .map(|(i, g)| if i % step == 0 { clock.label(start(g)) } else { String::new() })
                .collect()
        } else {
            // One label at the first column of a day, every k-th day.
            let day = |g: &(usize, usize)| ((clock.start + start(g)) / units::MINUTES_PER_DAY).floor() as i64;
            // Over more than two weeks, whole weeks: labels fall on the same weekday.
            let span = groups.last().map_or(0, day) - groups.first().map_or(0, day) + 1;
            let m = max_ticks.max(1) as i64;
            let k =
                if span > 14 { 7 * (span + 7 * m - 1).div_euclid(7 * m) } else { (span + m - 1).div_euclid(m) }.max(1);
            let first_day = groups.first().map_or(0, day);
            let mut prev = None;
            groups
                .iter()
                .map(|g| {
                    let d = day(g);
                    let first = prev != Some(d);
                    prev = Some(d);
                    if first && (d - first_day) % k == 0 { clock.day_label(d) } else { String::new() }
                })
                .collect()
        };
        TimeAxis { groups, ticks, bin, closed_left_out, multi_day: clock.multi_day }
    }

    /// "by hour", "per 4 h", with ", open hours only" when closed columns were left out.
    pub fn title_part(&self) -> String {
        let by = if ["hour", "day", "week"].contains(&self.bin.as_str()) {
            format!("by {}", self.bin)
        } else {
            format!("per {}", self.bin)
        };
        if self.closed_left_out { format!("{by}, open hours only") } else { by }
    }
}
