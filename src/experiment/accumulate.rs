//! Folding replications into per-variant results: KPI rows, pooled histograms, time-series
//! bands. Memory grows with replications × KPIs (small rows), never with customers.

use crate::engine::{ReplicationResult, Stop};
use crate::kpi::{self, KpiId};
use crate::model::Model;
use crate::stats::{Histogram, Summary};

/// Mean and 5–95% band of a time series across replications.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub mean: Vec<f64>,
    pub p05: Vec<f64>,
    pub p95: Vec<f64>,
}

/// All replications of one variant.
#[derive(Clone, Debug)]
pub struct VariantResult {
    pub name: String,
    pub description: String,
    pub catalogue: Vec<KpiId>,
    /// One KPI vector per replication, in replication order (minutes for durations).
    pub rows: Vec<Vec<f64>>,
    /// Pooled over replications: overall, then per customer type.
    pub wait_hist: Vec<Histogram>,
    pub cycle_hist: Vec<Histogram>,
    /// Per-replication series values (f32 keeps 10,000 replications small), [entity][bin][rep].
    queue_vals: Vec<Vec<Vec<f32>>>,
    util_vals: Vec<Vec<Vec<f32>>>,
    wait_vals: Vec<Vec<f32>>,
    pub events: u64,
    /// Replications that stopped early, with the reason.
    pub stops: Vec<(u64, String)>,
    /// Index of the first replication held (non-zero in a shard).
    pub first_rep: u64,
    pub bin_width: f64,
    pub n_bins: usize,
    pub model: Model,
}

impl VariantResult {
    pub fn new(name: &str, description: &str, m: &Model) -> Self {
        let types = m.customers.len() + 1;
        VariantResult {
            name: name.to_string(),
            description: description.to_string(),
            catalogue: kpi::catalogue(m),
            rows: Vec::new(),
            wait_hist: vec![Histogram::default(); types],
            cycle_hist: vec![Histogram::default(); types],
            queue_vals: vec![vec![Vec::new(); m.n_bins]; m.steps.len()],
            util_vals: vec![vec![Vec::new(); m.n_bins]; m.resources.len()],
            wait_vals: vec![Vec::new(); m.n_bins],
            events: 0,
            stops: Vec::new(),
            first_rep: 0,
            bin_width: m.bin_width,
            n_bins: m.n_bins,
            model: m.clone(),
        }
    }

    /// Makes room for `n` more replications at once, so that growing vectors do not hold up
    /// to twice the memory they need (10,000 replications × every series bin adds up).
    pub fn reserve(&mut self, n: usize) {
        self.rows.reserve_exact(n);
        for bin in
            self.queue_vals.iter_mut().chain(self.util_vals.iter_mut()).flatten().chain(self.wait_vals.iter_mut())
        {
            bin.reserve_exact(n);
        }
    }

    pub fn replications(&self) -> usize {
        self.rows.len()
    }

    pub fn add(&mut self, r: ReplicationResult) {
        let rep = self.first_rep + self.rows.len() as u64;
        if r.stop != Stop::Completed {
            self.stops.push((rep, r.stop.describe()));
        }
        self.events += r.events;
        for (a, b) in self.wait_hist.iter_mut().zip(&r.wait_hist) {
            a.merge_sparse(b);
        }
        for (a, b) in self.cycle_hist.iter_mut().zip(&r.cycle_hist) {
            a.merge_sparse(b);
        }
        push_series(&mut self.queue_vals, &r.queue_series);
        push_series(&mut self.util_vals, &r.util_series);
        for (bin, v) in self.wait_vals.iter_mut().zip(&r.wait_series) {
            bin.push(*v as f32);
        }
        self.rows.push(r.kpis);
    }

    /// Values of KPI `k` across replications.
    pub fn column(&self, k: usize) -> Vec<f64> {
        self.rows.iter().map(|r| r[k]).collect()
    }

    pub fn summary(&self, k: usize) -> Summary {
        Summary::of(&self.column(k))
    }

    pub fn summaries(&self) -> Vec<Summary> {
        (0..self.catalogue.len()).map(|k| self.summary(k)).collect()
    }

    pub fn find(&self, path: &str) -> Option<usize> {
        self.catalogue.iter().position(|id| id.path() == path)
    }

    pub fn queue_bands(&self) -> Vec<Band> {
        self.queue_vals.iter().map(|e| band(e)).collect()
    }

    pub fn util_bands(&self) -> Vec<Band> {
        self.util_vals.iter().map(|e| band(e)).collect()
    }

    pub fn wait_band(&self) -> Band {
        band(&self.wait_vals)
    }
}

fn push_series(dst: &mut [Vec<Vec<f32>>], src: &[Vec<f64>]) {
    for (entity, vals) in dst.iter_mut().zip(src) {
        for (bin, v) in entity.iter_mut().zip(vals) {
            bin.push(*v as f32);
        }
    }
}

/// Mean, 5th and 95th percentile (nearest rank) of each bin across replications, ignoring NaN.
fn band(bins: &[Vec<f32>]) -> Band {
    let mut b = Band::default();
    for vals in bins {
        let mut v: Vec<f64> = vals.iter().filter(|x| x.is_finite()).map(|x| f64::from(*x)).collect();
        if v.is_empty() {
            b.mean.push(f64::NAN);
            b.p05.push(f64::NAN);
            b.p95.push(f64::NAN);
            continue;
        }
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        b.mean.push(mean);
        b.p05.push(q(0.05));
        b.p95.push(q(0.95));
    }
    b
}

/// The replications of one variant held by a shard, in a form that survives JSON (NaN as
/// null). Merging shards in replication order rebuilds exactly the single-machine result.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PartialVariant {
    pub name: String,
    pub first_rep: u64,
    pub rows: Vec<Vec<Option<f64>>>,
    pub wait_hist: Vec<Histogram>,
    pub cycle_hist: Vec<Histogram>,
    pub queue_vals: Vec<Vec<Vec<Option<f32>>>>,
    pub util_vals: Vec<Vec<Vec<Option<f32>>>>,
    pub wait_vals: Vec<Vec<Option<f32>>>,
    pub events: u64,
    pub stops: Vec<(u64, String)>,
}

fn opt64(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}
fn opt32(x: f32) -> Option<f32> {
    x.is_finite().then_some(x)
}
fn series_out(v: &[Vec<Vec<f32>>]) -> Vec<Vec<Vec<Option<f32>>>> {
    v.iter().map(|e| e.iter().map(|b| b.iter().map(|x| opt32(*x)).collect()).collect()).collect()
}

impl VariantResult {
    pub fn to_partial(&self) -> PartialVariant {
        PartialVariant {
            name: self.name.clone(),
            first_rep: self.first_rep,
            rows: self.rows.iter().map(|r| r.iter().map(|x| opt64(*x)).collect()).collect(),
            wait_hist: self.wait_hist.clone(),
            cycle_hist: self.cycle_hist.clone(),
            queue_vals: series_out(&self.queue_vals),
            util_vals: series_out(&self.util_vals),
            wait_vals: self.wait_vals.iter().map(|b| b.iter().map(|x| opt32(*x)).collect()).collect(),
            events: self.events,
            stops: self.stops.clone(),
        }
    }

    /// Appends a shard's replications, which must start where this result ends.
    pub fn absorb(&mut self, p: PartialVariant) -> Result<(), String> {
        let next = self.first_rep + self.rows.len() as u64;
        if p.first_rep != next {
            return Err(format!("shard of `{}` starts at replication {}, expected {next}", p.name, p.first_rep));
        }
        let width = self.catalogue.len();
        if p.rows.iter().any(|r| r.len() != width) || p.wait_hist.len() != self.wait_hist.len() {
            return Err(format!("shard of `{}` does not match the scenario's KPI layout", p.name));
        }
        self.rows.extend(p.rows.into_iter().map(|r| r.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect()));
        for (a, b) in self.wait_hist.iter_mut().zip(&p.wait_hist) {
            a.merge(b);
        }
        for (a, b) in self.cycle_hist.iter_mut().zip(&p.cycle_hist) {
            a.merge(b);
        }
        let absorb_series = |dst: &mut Vec<Vec<Vec<f32>>>, src: Vec<Vec<Vec<Option<f32>>>>| -> Result<(), String> {
            if dst.len() != src.len() {
                return Err("shard time series do not match the scenario".to_string());
            }
            for (e, se) in dst.iter_mut().zip(src) {
                if e.len() != se.len() {
                    return Err("shard time series do not match the scenario".to_string());
                }
                for (b, sb) in e.iter_mut().zip(se) {
                    b.extend(sb.into_iter().map(|x| x.unwrap_or(f32::NAN)));
                }
            }
            Ok(())
        };
        absorb_series(&mut self.queue_vals, p.queue_vals)?;
        absorb_series(&mut self.util_vals, p.util_vals)?;
        if self.wait_vals.len() != p.wait_vals.len() {
            return Err("shard time series do not match the scenario".to_string());
        }
        for (b, sb) in self.wait_vals.iter_mut().zip(p.wait_vals) {
            b.extend(sb.into_iter().map(|x| x.unwrap_or(f32::NAN)));
        }
        self.events += p.events;
        self.stops.extend(p.stops);
        Ok(())
    }
}
