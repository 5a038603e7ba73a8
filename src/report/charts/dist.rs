//! Distributions of cycle time and waiting time as empirical cumulative distribution
//! functions (ECDF) pooled over replications, one curve per variant, with the mean and the
//! p90 marked on each curve.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, GREY, HouseMesh, LegendItem, OrErr, Swatch, num};
use super::{Chart, Ctx, Job, fonts};
use crate::report::results::{Distribution, VariantSummary};

#[derive(Clone, Copy)]
pub enum Which {
    CycleTime,
    Wait,
}

impl Which {
    fn dist(self, v: &VariantSummary) -> &Distribution {
        match self {
            Which::CycleTime => &v.distributions.cycle_time,
            Which::Wait => &v.distributions.wait,
        }
    }
    fn kpi(self) -> &'static str {
        match self {
            Which::CycleTime => "cycle_time",
            Which::Wait => "wait",
        }
    }
}

pub fn jobs<'a>(cx: &'a Ctx<'a>) -> Vec<Job<'a>> {
    let mut out = Vec::new();
    for (which, stem, what, desc) in [
        (
            Which::CycleTime,
            "cycle-time-distribution",
            "cycle time distribution",
            "Cycle time (arrival to departure, all steps) of served customers",
        ),
        (
            Which::Wait,
            "wait-distribution",
            "waiting time distribution",
            "Total waiting time in queues of served customers",
        ),
    ] {
        let title = cx.title(what);
        let caption = format!(
            "{desc}: share of customers served within each time, pooled over all {} \
             replications (ECDF), per variant. Dots mark the mean, triangles the p90 (the mean \
             over replications of each replication's 90th percentile). The x axis ends at the \
             99th percentile.",
            cx.results.replications
        );
        out.push(Job::new(stem, title.clone(), caption, Ecdf { cx, which, title }));
    }
    out
}

pub struct Ecdf<'a> {
    cx: &'a Ctx<'a>,
    which: Which,
    title: String,
}

/// ECDF points (x, share ≤ x) from histogram bins: the start of the first bin, then the
/// end of every bin (linear in between, which is exact to within a bin width).
pub fn ecdf(d: &Distribution) -> Vec<(f64, f64)> {
    let bins: Vec<&(f64, f64, u64)> = d.bins.iter().filter(|b| b.0.is_finite() && b.1.is_finite()).collect();
    let total: u64 = bins.iter().map(|b| b.2).sum();
    if total == 0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(bins.len() + 1);
    out.push((bins[0].0, 0.0));
    let mut acc = 0u64;
    for b in bins {
        acc += b.2;
        out.push((b.1, acc as f64 / total as f64));
    }
    out
}

/// Drops points closer than `dx` to the last one kept (the last point is always kept), so a
/// curve has about as many points as it has pixels.
pub fn thin(pts: &[(f64, f64)], dx: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(pts.len().min(4096));
    for (i, p) in pts.iter().enumerate() {
        let keep = out.last().is_none_or(|l| p.0 - l.0 >= dx) || i + 1 == pts.len();
        if keep {
            out.push(*p);
        }
    }
    out
}

/// The share at `x` on an ECDF (linear between points).
pub fn share_at(pts: &[(f64, f64)], x: f64) -> f64 {
    if pts.is_empty() || !x.is_finite() {
        return f64::NAN;
    }
    if x <= pts[0].0 {
        return pts[0].1;
    }
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x <= x1 {
            return if x1 > x0 { y0 + (y1 - y0) * (x - x0) / (x1 - x0) } else { y1 };
        }
    }
    1.0
}

/// The x where the ECDF reaches `q`.
pub fn quantile(pts: &[(f64, f64)], q: f64) -> f64 {
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if y1 >= q {
            return if y1 > y0 { x0 + (x1 - x0) * (q - y0) / (y1 - y0) } else { x1 };
        }
    }
    pts.last().map_or(f64::NAN, |p| p.0)
}

impl Chart for Ecdf<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let cx = self.cx;
        let r = cx.results;
        let font = cx.font;
        let (plot, leg) = style::framed(root, font, &self.title)?;
        let k = self.which.kpi();
        let mut curves = Vec::new();
        let mut xmax: f64 = 0.0;
        let mut items = Vec::new();
        for (name, v) in &r.variants {
            let pts = ecdf(self.which.dist(v));
            if pts.is_empty() {
                items.push(LegendItem::new(format!("{}: no customer served", fonts::clean(name, 30)), Swatch::None));
                continue;
            }
            let q99 = quantile(&pts, 0.99);
            if q99.is_finite() {
                xmax = xmax.max(q99);
            }
            let mean = v.kpis.get(&format!("{k}_mean")).map_or(f64::NAN, |s| s.mean);
            let p90 = v.kpis.get(&format!("{k}_p90")).map_or(f64::NAN, |s| s.mean);
            let c = cx.colour(name);
            items.push(LegendItem::new(fonts::clean(name, 40), Swatch::Line(c)).with_detail(format!(
                "mean {} · p90 {} {}",
                num(mean),
                num(p90),
                cx.unit
            )));
            curves.push((c, pts, mean, p90));
        }
        for (_, _, mean, p90) in &curves {
            for x in [mean, p90] {
                if x.is_finite() {
                    xmax = xmax.max(*x);
                }
            }
        }
        let xmax = style::nice_max(xmax);
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(64)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..xmax, 0.0..100.0)
            .or_err()?;
        let (xdesc, ydesc) = match self.which {
            Which::CycleTime => {
                (format!("cycle time x, arrival to departure ({})", cx.unit), "customers with cycle time ≤ x (%)")
            }
            Which::Wait => (format!("total waiting time x ({})", cx.unit), "customers who waited ≤ x (%)"),
        };
        chart
            .configure_mesh()
            .x_desc(xdesc)
            .y_desc(ydesc)
            .x_label_formatter(&|x| num(*x))
            .y_label_formatter(&|y| format!("{y:.0}%"))
            .x_labels(12)
            .y_labels(11)
            .house(font)
            .draw()
            .or_err()?;
        chart
            .draw_series(DashedLineSeries::new(vec![(0.0, 90.0), (xmax, 90.0)], 8, 6, GREY.stroke_width(1)))
            .or_err()?;
        for (c, pts, _, _) in &curves {
            let line: Vec<(f64, f64)> =
                thin(pts, xmax / 1500.0).iter().filter(|p| p.0 <= xmax * 1.01).map(|p| (p.0, p.1 * 100.0)).collect();
            chart.draw_series(LineSeries::new(line, c.stroke_width(3))).or_err()?;
        }
        for (c, pts, mean, p90) in &curves {
            if mean.is_finite() && *mean <= xmax {
                let y = share_at(pts, *mean) * 100.0;
                chart.draw_series(std::iter::once(Circle::new((*mean, y), 8, c.filled()))).or_err()?;
            }
            if p90.is_finite() && *p90 <= xmax {
                let y = share_at(pts, *p90) * 100.0;
                chart.draw_series(std::iter::once(TriangleMarker::new((*p90, y), 10, c.filled()))).or_err()?;
            }
        }
        items.push(LegendItem::new("mean", Swatch::Dot(GREY)));
        items.push(LegendItem::new("p90 (mean of replications)", Swatch::Triangle(GREY)));
        items.push(LegendItem::new("90% of customers", Swatch::Dashed(GREY)));
        style::legend(&leg, font, "Variant", &items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdf_from_bins() {
        let d = Distribution { n: 4, bins: vec![(0.0, 0.0, 2), (1.0, 2.0, 1), (3.0, 4.0, 1)] };
        let p = ecdf(&d);
        assert_eq!(p, vec![(0.0, 0.0), (0.0, 0.5), (2.0, 0.75), (4.0, 1.0)]);
        assert!((share_at(&p, 1.0) - 0.625).abs() < 1e-12);
        assert!((quantile(&p, 0.75) - 2.0).abs() < 1e-12);
        assert_eq!(thin(&p, 1.5), vec![(0.0, 0.0), (2.0, 0.75), (4.0, 1.0)]);
        assert!(ecdf(&Distribution::default()).is_empty());
    }
}
