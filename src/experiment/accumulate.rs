//! Folding replications into per-variant results: KPI rows, pooled histograms, time-series
//! bands. Memory grows with replications × KPIs (small rows), never with customers.

use crate::engine::{ReplicationResult, Stop};
use crate::kpi::{self, KpiId};
use crate::model::Model;
use crate::stats::{BandAcc, Histogram, Summary};

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
    /// Series across replications, [entity][bin]: constant memory whatever the replications.
    /// A step's queue bins stay empty while every replication so far had no queue there
    /// (`queue_zeros` counts those replications): most steps of a large model never queue.
    queue_bins: Vec<Vec<BandAcc>>,
    queue_zeros: Vec<u64>,
    util_bins: Vec<Vec<BandAcc>>,
    wait_bins: Vec<BandAcc>,
    pub events: u64,
    /// Replications that stopped early, with the reason.
    pub stops: Vec<(u64, String)>,
    /// Index of the first replication held (non-zero in a shard).
    pub first_rep: u64,
    pub bin_width: f64,
    pub n_bins: usize,
    pub model: Model,
    /// Position of each KPI path in `catalogue` (`find`: a model with thousands of steps
    /// has tens of thousands of KPIs, looked up by path for each of them).
    index: std::collections::HashMap<String, usize>,
}

impl VariantResult {
    pub fn new(name: &str, description: &str, m: &Model) -> Self {
        let types = m.customers.len() + 1;
        let catalogue = kpi::catalogue(m);
        let index = catalogue.iter().enumerate().map(|(k, id)| (id.path(), k)).collect();
        VariantResult {
            name: name.to_string(),
            description: description.to_string(),
            catalogue,
            index,
            rows: Vec::new(),
            wait_hist: vec![Histogram::default(); types],
            cycle_hist: vec![Histogram::default(); types],
            queue_bins: vec![Vec::new(); m.steps.len()],
            queue_zeros: vec![0; m.steps.len()],
            util_bins: vec![vec![BandAcc::default(); m.n_bins]; m.resources.len()],
            wait_bins: vec![BandAcc::default(); m.n_bins],
            events: 0,
            stops: Vec::new(),
            first_rep: 0,
            bin_width: m.bin_width,
            n_bins: m.n_bins,
            model: m.clone(),
        }
    }

    /// Makes room for `n` more replications at once, so that the rows do not hold up to
    /// twice the memory they need.
    pub fn reserve(&mut self, n: usize) {
        self.rows.reserve_exact(n);
    }

    pub fn replications(&self) -> usize {
        self.rows.len()
    }

    /// Folds replication `r` in; its KPI row is taken, the rest is left for its owner to drop
    /// (see `ordered`).
    pub fn add(&mut self, r: &mut ReplicationResult) {
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
        for (e, vals) in r.queue_series.iter().enumerate() {
            if vals.is_empty() && self.queue_bins[e].is_empty() {
                self.queue_zeros[e] += 1;
                continue;
            }
            self.materialise_queue(e);
            let zero = vec![0.0; if vals.is_empty() { self.n_bins } else { 0 }];
            let vals = if vals.is_empty() { &zero } else { vals };
            for (bin, v) in self.queue_bins[e].iter_mut().zip(vals) {
                bin.add(*v);
            }
        }
        push_series(&mut self.util_bins, &r.util_series);
        for (bin, v) in self.wait_bins.iter_mut().zip(&r.wait_series) {
            bin.add(*v);
        }
        self.rows.push(std::mem::take(&mut r.kpis));
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
        self.index.get(path).copied()
    }

    /// Gives step `e` its bins, holding the zeros of the replications in which nobody
    /// queued there (the same bins as if every zero had been added as it came: the
    /// accumulators do not depend on the order of their values).
    fn materialise_queue(&mut self, e: usize) {
        if self.queue_bins[e].is_empty() {
            self.queue_bins[e] = vec![zeros(std::mem::take(&mut self.queue_zeros[e])); self.n_bins];
        }
    }

    /// Queue-length bands of the steps where somebody waited in some replication (by step
    /// index); the others are zero throughout and left out.
    pub fn queue_bands(&self) -> Vec<(usize, Band)> {
        self.queue_bins
            .iter()
            .enumerate()
            .filter(|(_, e)| e.iter().any(|b| b.max() > 0.0))
            .map(|(s, e)| (s, band(e)))
            .collect()
    }

    /// Queue bins of every step, dense (shards carry them all).
    fn dense_queue_bins(&self) -> Vec<Vec<BandAcc>> {
        self.queue_bins
            .iter()
            .zip(&self.queue_zeros)
            .map(|(e, &z)| if e.is_empty() { vec![zeros(z); self.n_bins] } else { e.clone() })
            .collect()
    }

    pub fn util_bands(&self) -> Vec<Band> {
        self.util_bins.iter().map(|e| band(e)).collect()
    }

    pub fn wait_band(&self) -> Band {
        band(&self.wait_bins)
    }
}

/// One bin holding `n` zeros.
fn zeros(n: u64) -> BandAcc {
    let mut b = BandAcc::default();
    for _ in 0..n {
        b.add(0.0);
    }
    b
}

fn push_series(dst: &mut [Vec<BandAcc>], src: &[Vec<f64>]) {
    for (entity, vals) in dst.iter_mut().zip(src) {
        for (bin, v) in entity.iter_mut().zip(vals) {
            bin.add(*v);
        }
    }
}

/// Mean, 5th and 95th percentile (nearest rank, within 0.8%) of each bin across
/// replications, ignoring NaN.
fn band(bins: &[BandAcc]) -> Band {
    Band {
        mean: bins.iter().map(BandAcc::mean).collect(),
        p05: bins.iter().map(|b| b.quantile(0.05)).collect(),
        p95: bins.iter().map(|b| b.quantile(0.95)).collect(),
    }
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
    pub queue_bins: Vec<Vec<BandAcc>>,
    pub util_bins: Vec<Vec<BandAcc>>,
    pub wait_bins: Vec<BandAcc>,
    pub events: u64,
    pub stops: Vec<(u64, String)>,
}

fn opt64(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl PartialVariant {
    /// Refuses what no run can produce: a time-series bin holding more values than the shard
    /// has replications or whose parts disagree, per-type histograms that do not add up to
    /// the overall one, and early stops. (A shard is a file anyone can edit; merge must not report it.)
    fn consistent(&self) -> Result<(), String> {
        let bad = |what: &str| Err(format!("shard of `{}` is inconsistent: {what}", self.name));
        let reps = self.rows.len() as u64;
        let bins = self.queue_bins.iter().chain(&self.util_bins).flatten().chain(&self.wait_bins);
        for b in bins {
            if !b.consistent() || b.n() > reps {
                return bad("a time-series bin does not match the shard's replications");
            }
        }
        for (label, h) in [("waiting", &self.wait_hist), ("cycle", &self.cycle_hist)] {
            let parts = h.iter().skip(1).try_fold(0u64, |acc, t| acc.checked_add(t.n()));
            if h.first().map(Histogram::n) != parts {
                return bad(&format!(
                    "the {label}-time histograms of the customer types do not add up to the overall one"
                ));
            }
        }
        if let Some((rep, why)) = self.stops.first() {
            // `run --shard` stops the whole shard at a capped replication, so it never
            // writes one: any entry was made up.
            return bad(&format!(
                "it records an early stop of replication {rep} ({why:?}), which `run --shard` never writes"
            ));
        }
        Ok(())
    }
}

impl VariantResult {
    pub fn to_partial(&self) -> PartialVariant {
        PartialVariant {
            name: self.name.clone(),
            first_rep: self.first_rep,
            rows: self.rows.iter().map(|r| r.iter().map(|x| opt64(*x)).collect()).collect(),
            wait_hist: self.wait_hist.clone(),
            cycle_hist: self.cycle_hist.clone(),
            queue_bins: self.dense_queue_bins(),
            util_bins: self.util_bins.clone(),
            wait_bins: self.wait_bins.clone(),
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
        if p.rows.iter().any(|r| r.len() != width)
            || p.wait_hist.len() != self.wait_hist.len()
            || p.cycle_hist.len() != self.cycle_hist.len()
        {
            return Err(format!("shard of `{}` does not match the scenario's KPI layout", p.name));
        }
        p.consistent()?;
        self.rows.extend(p.rows.into_iter().map(|r| r.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect()));
        for (a, b) in self.wait_hist.iter_mut().zip(&p.wait_hist) {
            a.try_merge(b)?;
        }
        for (a, b) in self.cycle_hist.iter_mut().zip(&p.cycle_hist) {
            a.try_merge(b)?;
        }
        let mismatch = || "shard time series do not match the scenario".to_string();
        let absorb_series = |dst: &mut Vec<Vec<BandAcc>>, src: &[Vec<BandAcc>]| -> Result<(), String> {
            if dst.len() != src.len() || dst.iter().zip(src).any(|(e, se)| e.len() != se.len()) {
                return Err(mismatch());
            }
            for (b, sb) in dst.iter_mut().flatten().zip(src.iter().flatten()) {
                b.try_merge(sb)?;
            }
            Ok(())
        };
        for e in 0..self.queue_bins.len() {
            self.materialise_queue(e);
        }
        absorb_series(&mut self.queue_bins, &p.queue_bins)?;
        absorb_series(&mut self.util_bins, &p.util_bins)?;
        if self.wait_bins.len() != p.wait_bins.len() {
            return Err(mismatch());
        }
        for (b, sb) in self.wait_bins.iter_mut().zip(&p.wait_bins) {
            b.try_merge(sb)?;
        }
        self.events = self.events.checked_add(p.events).ok_or("shard event counts overflow")?;
        self.stops.extend(p.stops);
        Ok(())
    }
}
