//! The fit report's charts, drawn in the run report's style (`report::charts::style`: the
//! Okabe–Ito palette, the title and legend frame, the embedded font).

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::ActivityEvidence;
use crate::discover::Discovery;
use crate::discover::arrivals::BINS;
use crate::discover::fit::Family;
use crate::discover::time;
use crate::report::charts::Chart;
use crate::report::charts::fonts::clean;
use crate::report::charts::style::{self, GREY, HouseMesh, Keyed, LegendItem, OrErr, PALETTE, Swatch, num};

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The weekdays with any activity, in order: the x axis of the weekly charts leaves out the
/// others (a Saturday of zeros says nothing).
fn open_days(open: impl Fn(usize) -> bool) -> Vec<usize> {
    let days: Vec<usize> = (0..7).filter(|wd| open(*wd)).collect();
    if days.is_empty() { (0..7).collect() } else { days }
}

/// A weekly x axis over `days`: 24 units a day, grid lines every 6 hours, the day named at
/// its start and noon labelled (finer labels overprint on a week).
fn week_axis(days: &[usize]) -> (Keyed, impl Fn(&f64) -> String + use<>) {
    let n = days.len() as f64 * 24.0;
    let keys: Vec<f64> = (0..days.len() * 4).map(|k| k as f64 * 6.0).collect();
    let names: Vec<&'static str> = days.iter().map(|d| DAY_NAMES[*d]).collect();
    let label = move |x: &f64| {
        let k = (*x / 24.0).floor() as usize;
        let h = (*x - k as f64 * 24.0).round() as usize;
        match names.get(k) {
            Some(n) if h == 0 => (*n).to_string(),
            Some(_) if h == 12 => "12h".to_string(),
            _ => String::new(),
        }
    };
    (Keyed::new(0.0, n, keys), label)
}

/// A weekly chart's frame on `plot`: the week axis over `days` against 0 to `ymax`, with the
/// y axis titled `y_desc` and about `y_labels` ticks, grid in the house style. The arrival
/// and staffing charts share it so that their weeks line up when read one above the other.
fn week_chart<'a, DB: DrawingBackend>(
    plot: &'a DrawingArea<DB, Shift>,
    font: &'static str,
    days: &[usize],
    ymax: f64,
    y_desc: &str,
    y_labels: usize,
) -> Result<ChartContext<'a, DB, Cartesian2d<Keyed, RangedCoordf64>>, String> {
    let (xaxis, label) = week_axis(days);
    let mut chart = ChartBuilder::on(plot)
        .margin(12)
        .margin_right(24)
        .x_label_area_size(64)
        .y_label_area_size(84)
        .build_cartesian_2d(xaxis, 0.0..ymax)
        .or_err()?;
    chart
        .configure_mesh()
        .x_desc("weekday and hour")
        .y_desc(y_desc)
        .x_label_formatter(&label)
        .y_label_formatter(&|y| num(*y))
        .y_labels(y_labels)
        .house(font)
        .draw()
        .or_err()?;
    Ok(chart)
}

/// Arrivals per hour of the week: the fitted rate (the scenario's `rates`) with its 95%
/// Poisson interval, and the count of every observed date in each hour.
pub struct ArrivalProfile<'a> {
    d: &'a Discovery,
    font: &'static str,
    pub title: String,
    days: Vec<usize>,
    /// (x, count) of each observed date and hour on an open weekday.
    observed: Vec<(f64, u64)>,
}

impl<'a> ArrivalProfile<'a> {
    pub fn new(d: &'a Discovery, font: &'static str) -> Self {
        let a = &d.arrivals;
        let days = open_days(|wd| !a.closed(wd));
        let per = a.times.per_hour();
        let mut observed = Vec::new();
        if let (Some(first), Some(last)) = (a.times.first(), a.times.last()) {
            for day in time::day(*first)..=time::day(*last) {
                let wd = time::weekday(day as f64 * 1440.0);
                let Some(k) = days.iter().position(|x| *x == wd) else { continue };
                for h in 0..BINS {
                    observed.push(((k * 24 + h) as f64 + 0.5, per.get(&(day, h)).copied().unwrap_or(0)));
                }
            }
        }
        ArrivalProfile {
            d,
            font,
            title: "Case arrivals per hour of the week: observed and fitted".into(),
            days,
            observed,
        }
    }

    pub fn caption(&self) -> String {
        let a = &self.d.arrivals;
        let dates: u64 = self.days.iter().map(|wd| a.days[*wd]).sum();
        format!(
            "Black steps: the fitted arrival rate of each weekday hour (the scenario's `rates`: \
             arrivals in that hour over the {n} cases divided by the number of such weekdays), \
             with its 95% Poisson interval shaded. Grey dots: the arrivals of each of the {dates} \
             observed dates in that hour. Weekdays without any arrival are left out (closed).",
            n = a.times.len()
        )
    }
}

impl Chart for ArrivalProfile<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let a = &self.d.arrivals;
        let (plot, leg) = style::framed(root, self.font, &self.title)?;
        let fitted: Vec<(f64, (f64, f64, f64))> = self
            .days
            .iter()
            .enumerate()
            .flat_map(|(k, wd)| (0..BINS).map(move |h| ((k * 24 + h) as f64, a.rate(*wd, h))))
            .collect();
        let ymax = self.observed.iter().map(|o| o.1 as f64).chain(fitted.iter().map(|f| f.1.2)).fold(0.0f64, f64::max);
        let ymax = style::nice_max(ymax);
        let mut chart = week_chart(&plot, self.font, &self.days, ymax, "case arrivals per hour", 10)?;
        let band = PALETTE[1].mix(0.25).filled();
        chart
            .draw_series(fitted.iter().map(|(x, (_, lo, hi))| Rectangle::new([(*x, *lo), (x + 1.0, *hi)], band)))
            .or_err()?;
        chart
            .draw_series(self.observed.iter().map(|(x, c)| Circle::new((*x, *c as f64), 3, GREY.mix(0.6).filled())))
            .or_err()?;
        let steps: Vec<(f64, f64)> = fitted.iter().flat_map(|(x, (r, _, _))| [(*x, *r), (x + 1.0, *r)]).collect();
        chart.draw_series(LineSeries::new(steps, PALETTE[0].stroke_width(2))).or_err()?;
        let total: u64 = a.counts.iter().flatten().sum();
        let items = vec![
            LegendItem::new("fitted rate", Swatch::Line(PALETTE[0])).with_detail(format!("{total} arrivals")),
            LegendItem::new("95% interval", Swatch::Band(PALETTE[1])),
            LegendItem::new("one observed date", Swatch::Dot(GREY)),
        ];
        style::legend(&leg, self.font, "Arrivals", &items)
    }
}

/// The quantile of a fitted distribution at `p` (bisection on its CDF, which every family
/// has; the empirical one answers from its values).
pub fn quantile(f: &Family, p: f64, hint_hi: f64) -> f64 {
    if let Family::Empirical { values } = f {
        let i = ((p * values.len() as f64) as usize).min(values.len().saturating_sub(1));
        return values.get(i).copied().unwrap_or(f64::NAN);
    }
    if let Family::Fixed { value } = f {
        return *value;
    }
    let mut hi = hint_hi.max(1e-9);
    let mut guard = 0;
    while f.cdf(hi) < p && guard < 200 {
        hi *= 2.0;
        guard += 1;
    }
    let mut lo = 0.0;
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f.cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Working times of one activity: a histogram with the fitted distribution's expected count
/// per bin, and beside it a Q–Q plot of the observed quantiles against the fitted ones.
pub struct Durations<'a> {
    e: &'a ActivityEvidence<'a>,
    font: &'static str,
    pub title: String,
}

/// Bins of the histogram.
const HIST_BINS: usize = 30;
/// Points of the Q–Q plot (evenly spaced probabilities when there are more values).
const QQ_POINTS: usize = 200;

impl<'a> Durations<'a> {
    pub fn new(e: &'a ActivityEvidence<'a>, font: &'static str) -> Self {
        let title =
            format!("{} — working time: {} fit, n = {}", clean(e.name, 60), e.fit.family.name(), e.fit.observed);
        Durations { e, font, title }
    }

    pub fn caption(&self) -> String {
        format!(
            "Left: histogram of the {} observed working times (minutes; the x axis ends a tenth past \
             the 99th percentile) with the count per bin the fitted {} distribution expects (line). \
             Right: Q–Q plot, observed quantiles against the fitted distribution's; points on \
             the diagonal mean the fit holds there.",
            if self.e.seen > self.e.values.len() as u64 {
                format!("{} (a uniform sample of the {})", self.e.values.len(), self.e.seen)
            } else {
                self.e.values.len().to_string()
            },
            self.e.fit.family.name()
        )
    }

    /// The x range of the histogram: 0 to a tenth past the 99th percentile of the data or of
    /// the fit, whichever is larger (a fixed duration then sits inside the range, not on its edge).
    fn xmax(&self) -> f64 {
        let v = &self.e.values;
        let i = ((v.len() as f64 * 0.99) as usize).min(v.len().saturating_sub(1));
        let x = v.get(i).copied().unwrap_or(1.0);
        let f = quantile(&self.e.fit.family, 0.99, x.max(1e-9));
        let x = x.max(if f.is_finite() { f } else { 0.0 }) * 1.1;
        if x > 0.0 { x } else { 1.0 }
    }

    /// Observed counts and fitted expected counts per bin of width `w` over [0, w·HIST_BINS).
    pub fn histogram(&self, w: f64) -> (Vec<u64>, Vec<f64>) {
        let mut counts = vec![0u64; HIST_BINS];
        for x in &self.e.values {
            let b = (x / w) as usize;
            if b < HIST_BINS {
                counts[b] += 1;
            }
        }
        let n = self.e.values.len() as f64;
        let f = &self.e.fit.family;
        // Zero-length events were left out of the fit: the fitted law covers the others.
        let share = 1.0 - self.e.fit.zeros as f64 / n.max(1.0);
        let expected = (0..HIST_BINS)
            .map(|b| {
                let (a, z) = (b as f64 * w, (b + 1) as f64 * w);
                let lo = if b == 0 { 0.0 } else { f.cdf(a) };
                n * share * (f.cdf(z) - lo) + if b == 0 { n - n * share } else { 0.0 }
            })
            .collect();
        (counts, expected)
    }

    /// (fitted quantile, observed quantile) pairs.
    pub fn qq(&self) -> Vec<(f64, f64)> {
        let v = &self.e.values;
        let n = v.len();
        let k = n.min(QQ_POINTS);
        let f = &self.e.fit.family;
        let hi = v.last().copied().unwrap_or(1.0);
        (0..k)
            .map(|i| {
                let p = (i as f64 + 0.5) / k as f64;
                let obs = v[((p * n as f64) as usize).min(n - 1)];
                (quantile(f, p, hi), obs)
            })
            .collect()
    }
}

impl Chart for Durations<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = style::title(root, self.font, &self.title)?;
        let (w, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally(w * 3 / 5);
        let xmax = self.xmax();
        let bw = xmax / HIST_BINS as f64;
        let (counts, expected) = self.histogram(bw);
        let ymax =
            style::nice_max(counts.iter().map(|c| *c as f64).chain(expected.iter().copied()).fold(0.0, f64::max));
        let mut h = ChartBuilder::on(&left)
            .margin(12)
            .x_label_area_size(64)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..xmax, 0.0..ymax)
            .or_err()?;
        h.configure_mesh()
            .x_desc("working time (min)")
            .y_desc("events per bin")
            .x_label_formatter(&|x| num(*x))
            .y_label_formatter(&|y| num(*y))
            .x_labels(8)
            .house(self.font)
            .draw()
            .or_err()?;
        h.draw_series(counts.iter().enumerate().map(|(b, c)| {
            Rectangle::new([(b as f64 * bw, 0.0), ((b + 1) as f64 * bw, *c as f64)], PALETTE[6].mix(0.7).filled())
        }))
        .or_err()?;
        let line: Vec<(f64, f64)> = expected.iter().enumerate().map(|(b, e)| ((b as f64 + 0.5) * bw, *e)).collect();
        h.draw_series(LineSeries::new(line.clone(), PALETTE[4].stroke_width(3))).or_err()?;
        h.draw_series(line.iter().map(|p| Circle::new(*p, 4, PALETTE[4].filled()))).or_err()?;

        let qq = self.qq();
        let qmax = style::nice_max(qq.iter().flat_map(|(a, b)| [*a, *b]).filter(|x| x.is_finite()).fold(0.0, f64::max));
        let mut q = ChartBuilder::on(&right)
            .margin(12)
            .margin_right(20)
            .x_label_area_size(64)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..qmax, 0.0..qmax)
            .or_err()?;
        q.configure_mesh()
            .x_desc(format!("fitted {} quantile (min)", self.e.fit.family.name()))
            .y_desc("observed quantile (min)")
            .x_label_formatter(&|x| num(*x))
            .y_label_formatter(&|y| num(*y))
            .x_labels(6)
            .y_labels(6)
            .house(self.font)
            .draw()
            .or_err()?;
        q.draw_series(LineSeries::new(vec![(0.0, 0.0), (qmax, qmax)], GREY.stroke_width(2))).or_err()?;
        q.draw_series(
            qq.iter().filter(|(a, b)| a.is_finite() && b.is_finite()).map(|p| Circle::new(*p, 4, PALETTE[1].filled())),
        )
        .or_err()?;
        Ok(())
    }
}

/// Staff at work per hour of the week, per pool: the mean number of distinct members who
/// started an activity in that hour on the days the pool worked, against the staff the
/// scenario gives the pool (all members seen, dashed).
pub struct Staffing<'a> {
    d: &'a Discovery,
    font: &'static str,
    pub title: String,
    days: Vec<usize>,
}

impl<'a> Staffing<'a> {
    pub fn new(d: &'a Discovery, font: &'static str) -> Self {
        let days = open_days(|wd| d.pools.iter().any(|p| p.busy[wd].iter().any(|b| *b > 0.0)));
        Staffing { d, font, title: "Staff at work per hour of the week, by pool".into(), days }
    }

    pub fn caption(&self) -> String {
        "Solid lines: the mean number of a pool's members who started work in each weekday hour, \
         over the days the pool worked. Dashed: the staff the scenario gives the pool (every \
         member seen in the log), available in the hours of its calendar. The gap is the \
         simulated capacity the log does not show in use: part-time work, other duties."
            .into()
    }
}

impl Chart for Staffing<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (plot, leg) = style::framed(root, self.font, &self.title)?;
        let ymax = self
            .d
            .pools
            .iter()
            .flat_map(|p| p.busy.iter().flatten().copied().chain([p.members.len() as f64]))
            .fold(0.0f64, f64::max);
        let ymax = style::nice_max(ymax);
        let mut chart = week_chart(&plot, self.font, &self.days, ymax, "members at work", 11)?;
        let mut items = Vec::new();
        for (i, p) in self.d.pools.iter().enumerate() {
            let c = PALETTE[(i + 1) % PALETTE.len()];
            let busy: Vec<(f64, f64)> = self
                .days
                .iter()
                .enumerate()
                .flat_map(|(k, wd)| (0..24).map(move |h| ((k * 24 + h) as f64 + 0.5, p.busy[*wd][h])))
                .collect();
            chart.draw_series(LineSeries::new(busy, c.stroke_width(3))).or_err()?;
            let open: Vec<(f64, f64)> = self
                .days
                .iter()
                .enumerate()
                .flat_map(|(k, wd)| {
                    p.hours[*wd].iter().map(move |(a, b)| (k as f64 * 24.0 + a / 60.0, k as f64 * 24.0 + b / 60.0))
                })
                .collect();
            let staff = p.members.len() as f64;
            for (a, b) in open {
                chart
                    .draw_series(DashedLineSeries::new(vec![(a, staff), (b, staff)], 8, 6, c.stroke_width(2)))
                    .or_err()?;
            }
            items.push(LegendItem::new(clean(&p.name, 30), Swatch::Line(c)).with_detail(format!(
                "staff {} · {} events",
                p.members.len(),
                p.events
            )));
        }
        items.push(LegendItem::new("scenario staff (open hours)", Swatch::Dashed(GREY)));
        style::legend(&leg, self.font, "Pool", &items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_invert_the_cdf() {
        let f = Family::Exponential { mean: 2.0 };
        let q = quantile(&f, 0.5, 1.0);
        assert!((q - 2.0 * 2f64.ln()).abs() < 1e-9, "{q}");
        let f = Family::Lognormal { mu: 1.0, sigma: 0.5 };
        assert!((quantile(&f, 0.5, 0.1) - 1f64.exp()).abs() < 1e-9);
    }
}
