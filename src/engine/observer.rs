//! Online statistics of one replication.
//!
//! Counters, sums and histograms are updated as events happen; nothing is stored per
//! customer. Customers are counted when they arrive inside the observation window
//! (after the warm-up); time averages cover [warm-up, horizon].

use serde::{Deserialize, Serialize};

use super::Stop;
use crate::kpi::{CUSTOMER_KPIS, JOIN_KPIS, Layout, OVERALL_EXTRA_KPIS, RESOURCE_KPIS, STEP_KPIS};
use crate::model::Model;
use crate::stats::{Histogram, Occupancies, Occupancy, Window};

/// Everything one replication reports.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReplicationResult {
    /// KPI values in the model's catalogue order (`kpi::catalogue`), durations in minutes.
    pub kpis: Vec<f64>,
    /// Waits of served customers: overall, then per customer type.
    pub wait_hist: Vec<Vec<(u32, u64)>>,
    /// Cycle times of served customers: overall, then per customer type.
    pub cycle_hist: Vec<Vec<(u32, u64)>>,
    /// Mean number waiting per step and bin.
    pub queue_series: Vec<Vec<f64>>,
    /// Utilisation per resource and bin (NaN where no staff was scheduled).
    pub util_series: Vec<Vec<f64>>,
    /// Mean wait of served customers by arrival bin (NaN where nobody arrived).
    pub wait_series: Vec<f64>,
    /// Per arrival bin: customers served, of them within the service-level wait, customers
    /// who abandoned (reneged or balked) and customers still inside at the end. For
    /// per-interval targets (`branchsim staff`).
    #[serde(default)]
    pub bin_counts: Vec<BinCounts>,
    /// Every customer and visit, when the model records them (see `Detail`).
    #[serde(skip)]
    pub detail: Option<Box<Detail>>,
    pub events: u64,
    pub end_time: f64,
    pub stop: Stop,
}

impl Serialize for Stop {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.describe())
    }
}

impl<'de> Deserialize<'de> for Stop {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _ = String::deserialize(d)?;
        Ok(Stop::Completed)
    }
}

impl Stop {
    pub fn describe(&self) -> String {
        match self {
            Stop::Completed => "completed".into(),
            Stop::EventLimit(n) => {
                format!("stopped after {n} events (the events-per-replication cap)")
            }
            Stop::CustomerLimit(n) => {
                format!("stopped with more than {n} customers in the system (the customers-in-system cap)")
            }
            Stop::VisitLimit(n) => {
                format!("stopped when a customer made more than {n} step visits (the visits-per-customer cap)")
            }
            Stop::Cancelled => "cancelled before it finished".into(),
        }
    }
}

/// How a customer or a step visit ended (see `Detail`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Served (a customer), or its service started (a step visit).
    Served,
    /// Reneged or balked.
    Abandoned,
    /// Still inside (waiting) when the run ended.
    Unfinished,
}

/// One customer, by type and arrival time, with its total wait (served customers; for the
/// others the wait is not known and is NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CustomerRecord {
    pub ctype: u32,
    pub arrival: f64,
    pub wait: f64,
    pub outcome: Outcome,
}

/// One visit to a step with a queue, by the time the customer reached the step, with its
/// wait there (until its service started, it abandoned, or the run ended).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VisitRecord {
    pub step: u32,
    pub at: f64,
    pub wait: f64,
    pub outcome: Outcome,
}

/// Every customer and step visit of a replication, recorded only when the model asks for it
/// (`Model::record_detail`, set by `branchsim staff` for targets per step, resource or
/// customer type and for wait percentiles): the planner's interval-level statistics need the
/// single waits, which the lean counters do not keep. A run without it pays one
/// predictable branch per customer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Detail {
    pub customers: Vec<CustomerRecord>,
    pub visits: Vec<VisitRecord>,
}

/// Counts of one arrival bin (see `ReplicationResult::bin_counts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BinCounts {
    pub served: u64,
    pub within_sl: u64,
    pub abandoned: u64,
    pub unfinished: u64,
}

#[derive(Clone, Debug, Default)]
struct TypeStats {
    /// Set by `finish`: every arrival is served, reneges, balks or is still `inside`, so
    /// arrivals are not counted one by one.
    arrived: u64,
    /// Counted customers still inside when the run ends.
    inside: u64,
    served: u64,
    reneged: u64,
    balked: u64,
    waited: u64,
    within_sl: u64,
    satisfied: u64,
    no_shows: u64,
    /// Longest wait this type tolerates (`satisfied`); not merged.
    tolerance: f64,
    work_sum: f64,
    wait_sum: f64,
    wait_max: f64,
    cycle_sum: f64,
    wait_hist: Histogram,
    cycle_hist: Histogram,
}

impl TypeStats {
    fn merge(&mut self, o: &TypeStats) {
        self.arrived += o.arrived;
        self.served += o.served;
        self.reneged += o.reneged;
        self.balked += o.balked;
        self.waited += o.waited;
        self.within_sl += o.within_sl;
        self.satisfied += o.satisfied;
        self.no_shows += o.no_shows;
        self.work_sum += o.work_sum;
        self.wait_sum += o.wait_sum;
        self.wait_max = self.wait_max.max(o.wait_max);
        self.cycle_sum += o.cycle_sum;
        self.wait_hist.merge(&o.wait_hist);
        self.cycle_hist.merge(&o.cycle_hist);
    }

    fn write(&self, out: &mut [f64], window_hours: f64) {
        let nan = f64::NAN;
        let served = self.served as f64;
        let abandoned = (self.reneged + self.balked) as f64;
        let div = |a: f64, b: f64| if b > 0.0 { a / b } else { nan };
        let [w50, w90, w95] = self.wait_hist.quantiles([0.5, 0.9, 0.95]);
        let [c50, c90, c95] = self.cycle_hist.quantiles([0.5, 0.9, 0.95]);
        let vals = [
            self.arrived as f64,
            served,
            abandoned,
            self.reneged as f64,
            self.balked as f64,
            div(abandoned, self.arrived as f64),
            div(self.wait_sum, served),
            w50,
            w90,
            w95,
            if self.served > 0 { self.wait_max } else { nan },
            div(self.waited as f64, served),
            div(self.cycle_sum, served),
            c50,
            c90,
            c95,
            div(self.within_sl as f64, served),
            div(served, window_hours),
            div(self.satisfied as f64, served),
            div(self.work_sum, served),
            self.no_shows as f64,
            // Contact-centre service level: customers who gave up count as not answered in time.
            div(self.within_sl as f64, served + abandoned),
        ];
        debug_assert_eq!(vals.len(), CUSTOMER_KPIS.len());
        out[..vals.len()].copy_from_slice(&vals);
    }
}

/// What every visit to a step records, together in 32 bytes (two steps per cache line):
/// a queue change, a wait and a service at the same step are recorded at the same time.
///
/// Why so small: in a model of thousands of stations each visit goes to a step whose record
/// has left the cache since its last visit, so each line it spans is a miss. The queue's
/// time-weighted occupancy (touched only by customers who waited) and the rework counters
/// (only full models) are kept apart.
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(32))]
struct StepStats {
    /// Customers waiting now, and the most at once at or after the warm-up (see `queue_leave`).
    waiting: u32,
    max_waiting: u32,
    waits: u64,
    wait_sum: f64,
    served: u64,
}

/// Above this many resources their busy time is kept in one `Occupancies`.
const SHARED_BUSY_MIN: usize = 64;

/// Staff busy over time, per resource: an `Occupancy` each in a model of a few resources
/// (a branch), where all of them stay in cache and the inlined addition is the cheapest;
/// one `Occupancies` for many (a region), where a resource's own record would be out of
/// cache at nearly every service end. The same results, bit for bit, either way.
///
/// Not an enum: the look-up in `each`, which a vector needs anyway, is the only test.
struct Busy {
    /// One per resource, or none.
    each: Vec<Occupancy>,
    /// All resources when `each` is empty, else none.
    shared: Occupancies,
}

impl Busy {
    fn new(resources: usize, n_bins: usize) -> Self {
        if resources > SHARED_BUSY_MIN {
            Busy { each: Vec::new(), shared: Occupancies::new(resources, n_bins) }
        } else {
            Busy { each: (0..resources).map(|_| Occupancy::new(n_bins)).collect(), shared: Occupancies::new(0, 0) }
        }
    }

    #[inline(always)]
    fn add(&mut self, r: usize, since: f64, now: f64, w: &Window) {
        if let Some(o) = self.each.get_mut(r) {
            o.add(since, now, w);
        } else {
            self.shared.add(r, since, now, w);
        }
    }

    fn finish(&mut self, w: &Window) {
        self.each.iter_mut().for_each(|o| o.finish(w));
        self.shared.finish();
    }

    fn area(&self, r: usize) -> f64 {
        self.each.get(r).map_or_else(|| self.shared.area(r), |o| o.area)
    }

    fn mean(&self, r: usize, w: &Window) -> f64 {
        self.each.get(r).map_or_else(|| self.shared.mean(r, w), |o| o.mean(w))
    }

    /// Resource `r`'s busy staff-minutes in bin `b`.
    fn bin(&self, r: usize, b: usize) -> f64 {
        match self.each.get(r) {
            Some(o) => o.bins.get(b).copied().unwrap_or(0.0),
            None => self.shared.bin(r, b),
        }
    }
}

pub struct Observer {
    w: Window,
    service_level: f64,
    types: Vec<TypeStats>,
    steps: Vec<StepStats>,
    /// Customers waiting per step, over time.
    queues: Vec<Occupancy>,
    /// Per step: repeated visits (rework) and failed automation attempts.
    reworks: Vec<(u64, u64)>,
    /// Staff busy, over time, per resource.
    busy: Busy,
    /// ∫ customers in the system dt over [warm-up, horizon], summed per customer (the part of
    /// its stay inside the window) as it leaves: one addition per customer instead of a
    /// time-weighted update at every arrival and departure.
    stay_area: f64,
    /// Per arrival bin: wait sum, served, served within the service-level threshold (one
    /// entry, one bounds check per served customer).
    wait_bins: Vec<(f64, u64, u64)>,
    /// Abandoned, per arrival bin.
    abandon_bins: Vec<u64>,
    unfinished_bins: Vec<u64>,
    /// Customers still inside when the run ends, counted or not.
    unfinished: u64,
    detail: Option<Box<Detail>>,
    /// Per step: cases whose branches all met there, and the sum of their `sync_wait`s.
    syncs: Vec<(u64, f64)>,
}

impl Observer {
    pub fn new(m: &Model) -> Self {
        let w = Window { warmup: m.warmup, horizon: m.horizon, bin_width: m.bin_width };
        Observer {
            w,
            service_level: m.service_level,
            types: m.customers.iter().map(|c| TypeStats { tolerance: c.tolerance, ..TypeStats::default() }).collect(),
            steps: vec![StepStats::default(); m.steps.len()],
            queues: vec![Occupancy::new(m.n_bins); m.steps.len()],
            reworks: vec![(0, 0); m.steps.len()],
            busy: Busy::new(m.resources.len(), m.n_bins),
            stay_area: 0.0,
            wait_bins: vec![(0.0, 0, 0); m.n_bins],
            abandon_bins: vec![0; m.n_bins],
            unfinished_bins: vec![0; m.n_bins],
            unfinished: 0,
            detail: m.record_detail.then(Box::default),
            syncs: vec![(0, 0.0); m.steps.len()],
        }
    }

    #[inline]
    fn customer(&mut self, ct: usize, arrival: f64, wait: f64, outcome: Outcome) {
        if let Some(d) = &mut self.detail {
            d.customers.push(CustomerRecord { ctype: ct as u32, arrival, wait, outcome });
        }
    }

    #[inline]
    fn visit(&mut self, s: usize, at: f64, wait: f64, outcome: Outcome) {
        if let Some(d) = &mut self.detail {
            d.visits.push(VisitRecord { step: s as u32, at, wait, outcome });
        }
    }

    /// A customer of type `ct` still inside when the run ends (see `TypeStats::arrived`).
    pub fn unfinished(&mut self, ct: usize, counted: bool, arrival: f64) {
        self.customer(ct, arrival, f64::NAN, Outcome::Unfinished);
        self.unfinished += 1;
        if let Some(n) = self.unfinished_bins.get_mut((arrival / self.w.bin_width) as u32 as usize) {
            *n += 1;
        }
        if counted {
            self.types[ct].inside += 1;
        }
    }

    #[inline]
    pub fn left(&mut self, arrival: f64, now: f64) {
        // Plain comparisons rather than `f64::min`/`max`, whose NaN rules cost instructions
        // (the times are never NaN).
        let to = if now < self.w.horizon { now } else { self.w.horizon };
        let from = if arrival > self.w.warmup { arrival } else { self.w.warmup };
        if to > from {
            self.stay_area += to - from;
        }
    }

    /// Starts loading step `s`'s counters (see `engine::prefetch_first_step`).
    #[inline(always)]
    pub fn prefetch_step(&self, s: usize) {
        super::prefetch(self.steps.as_ptr().wrapping_add(s));
    }

    #[inline]
    pub fn waiting(&self, s: usize) -> u32 {
        self.steps[s].waiting
    }

    /// A customer starts waiting at step `s`.
    #[inline]
    pub fn queue_join(&mut self, s: usize) {
        self.steps[s].waiting += 1;
    }

    /// A customer that waited at step `s` since `since` stops waiting (served, reneged).
    ///
    /// The maximum is taken here: every level is left by a departure from the queue (or
    /// lasts to the end, see `finish`), and a level left at or after the warm-up was held
    /// then, even if it was reached before.
    #[inline]
    pub fn queue_leave(&mut self, s: usize, since: f64, now: f64) {
        // Only a reneging customer leaves a queue unserved.
        self.visit(s, since, now - since, Outcome::Abandoned);
        self.leave_queue(s, since, now);
    }

    /// A customer that waited at step `s` since `since` leaves its queue now (see
    /// `queue_leave` for the maximum).
    #[inline(always)]
    fn leave_queue(&mut self, s: usize, since: f64, now: f64) {
        let st = &mut self.steps[s];
        if st.waiting > st.max_waiting && now >= self.w.warmup {
            st.max_waiting = st.waiting;
        }
        st.waiting -= 1;
        self.queues[s].add(since, now, &self.w);
    }

    /// A customer still waiting at step `s` when the run ends: its wait so far counts up to
    /// `until` (it stays in the queue).
    pub fn still_waiting(&mut self, s: usize, since: f64, until: f64) {
        self.visit(s, since, until - since, Outcome::Unfinished);
        self.queues[s].add(since, until, &self.w);
    }

    /// One of group `r`'s staff was busy over `[since, now]` (a service, or its part before
    /// preemption).
    #[inline(always)]
    pub fn busy(&mut self, r: usize, since: f64, now: f64) {
        self.busy.add(r, since, now, &self.w);
    }

    /// A visit to step `s` at `now` served without queueing (`w` = 0).
    #[inline]
    pub fn step_wait(&mut self, s: usize, counted: bool, w: f64, now: f64) {
        self.visit(s, now, w, Outcome::Served);
        if counted {
            let st = &mut self.steps[s];
            st.waits += 1;
            st.wait_sum += w;
        }
    }

    /// A customer that waited at step `s` since `since` is served now: `queue_leave`, and
    /// its wait `now - since` added to the step's wait sum. A visit is counted once, at its
    /// first service start; a customer `resumed` after preemption adds the time it spent back
    /// in the queue to the same visit's wait, so that a step's `wait_mean` is the whole queue
    /// time of a visit (for a one-step process it equals the customer-level wait).
    #[inline]
    pub fn dequeued(&mut self, s: usize, since: f64, now: f64, counted: bool, resumed: bool) {
        // A preempted customer's return to the queue is not a new visit (its record keeps
        // the first wait: `staff` targets look at the wait before service).
        if !resumed {
            self.visit(s, since, now - since, Outcome::Served);
        }
        self.leave_queue(s, since, now);
        if counted {
            let st = &mut self.steps[s];
            st.waits += u64::from(!resumed);
            st.wait_sum += now - since;
        }
    }

    #[inline]
    pub fn step_served(&mut self, s: usize, counted: bool) {
        if counted {
            self.steps[s].served += 1;
        }
    }

    #[inline]
    pub fn renege(&mut self, ct: usize, counted: bool, arrival: f64) {
        self.customer(ct, arrival, f64::NAN, Outcome::Abandoned);
        self.abandoned_at(arrival);
        if counted {
            self.types[ct].reneged += 1;
        }
    }

    #[inline]
    /// A customer balks at step `s` at `now` (the queue was full).
    pub fn balk(&mut self, ct: usize, counted: bool, arrival: f64, s: usize, now: f64) {
        self.customer(ct, arrival, f64::NAN, Outcome::Abandoned);
        self.visit(s, now, 0.0, Outcome::Abandoned);
        self.abandoned_at(arrival);
        if counted {
            self.types[ct].balked += 1;
        }
    }

    /// An abandonment, by the customer's arrival bin (only models with patience or balking
    /// get here, so the lean engine never pays for it).
    fn abandoned_at(&mut self, arrival: f64) {
        if let Some(n) = self.abandon_bins.get_mut((arrival / self.w.bin_width) as u32 as usize) {
            *n += 1;
        }
    }

    /// The branches of a case met at join step `s`, the first having waited `w` for the last.
    pub fn sync_wait(&mut self, s: usize, counted: bool, w: f64) {
        if counted {
            self.syncs[s].0 += 1;
            self.syncs[s].1 += w;
        }
    }

    #[inline]
    pub fn repeat(&mut self, s: usize, counted: bool) {
        if counted {
            self.reworks[s].0 += 1;
        }
    }

    #[inline]
    pub fn failed(&mut self, s: usize, counted: bool) {
        if counted {
            self.reworks[s].1 += 1;
        }
    }

    #[inline]
    pub fn no_show(&mut self, ct: usize, counted: bool) {
        if counted {
            self.types[ct].no_shows += 1;
        }
    }

    /// `work` is `None` when it equals `cycle` (no work calendar): `finish` copies the sum.
    #[inline(always)]
    pub fn served(&mut self, ct: usize, counted: bool, wait: f64, cycle: f64, work: Option<f64>, arrival: f64) {
        // Through u32 (saturating like `as usize`, and cheaper): past the bins either way.
        self.customer(ct, arrival, wait, Outcome::Served);
        let b = (arrival / self.w.bin_width) as u32 as usize;
        if let Some(bin) = self.wait_bins.get_mut(b) {
            bin.0 += wait;
            bin.1 += 1;
            bin.2 += u64::from(wait <= self.service_level);
        }
        if !counted {
            return;
        }
        let sl = self.service_level;
        let t = &mut self.types[ct];
        t.wait_sum += wait;
        t.cycle_sum += cycle;
        if wait > t.wait_max {
            t.wait_max = wait;
        }
        // Counted without branches: whether a customer waited is a coin toss to the predictor.
        t.waited += u64::from(wait > 0.0);
        t.within_sl += u64::from(wait <= sl);
        t.satisfied += u64::from(wait <= t.tolerance);
        if let Some(work) = work {
            t.work_sum += work;
        }
        t.wait_hist.add(wait);
        t.cycle_hist.add(cycle);
    }

    /// The replication's results (the stays and waits of customers still inside are already
    /// recorded, see `unfinished`).
    pub fn finish(mut self, m: &Model, end: f64, events: u64, stop: Stop) -> ReplicationResult {
        let w = self.w;
        for q in &mut self.queues {
            q.finish(&w);
        }
        for st in &mut self.steps {
            // Those still waiting hold until the horizon, which is after the warm-up.
            st.max_waiting = st.max_waiting.max(st.waiting);
        }
        self.busy.finish(&w);
        let window = w.horizon - w.warmup;
        let in_system_mean = if window > 0.0 { self.stay_area / window } else { f64::NAN };
        let layout = Layout::of(m);
        let mut kpis = vec![f64::NAN; layout.len()];
        let window_hours = (w.horizon - w.warmup) / 60.0;
        let mut overall = TypeStats::default();
        for t in &mut self.types {
            // Every counted customer served adds its wait to the histogram.
            t.served = t.wait_hist.n();
            t.arrived = t.served + t.reneged + t.balked + t.inside;
            if m.work_calendar.is_none() {
                t.work_sum = t.cycle_sum;
            }
        }
        for (c, t) in self.types.iter().enumerate() {
            overall.merge(t);
            t.write(&mut kpis[layout.customer(c)..], window_hours);
        }
        overall.write(&mut kpis[layout.overall()..], window_hours);
        let mut total_cost = 0.0;
        for (r, res) in m.resources.iter().enumerate() {
            let scheduled = res.staff.staff_minutes(w.warmup, w.horizon);
            let cost = res.staff.staff_minutes(0.0, w.horizon) / 60.0 * res.cost_per_hour;
            total_cost += cost;
            let o = layout.resource(r);
            let vals = [
                if scheduled > 0.0 { self.busy.area(r) / scheduled } else { f64::NAN },
                cost,
                self.busy.mean(r, &w),
                scheduled / (w.horizon - w.warmup),
            ];
            debug_assert_eq!(vals.len(), RESOURCE_KPIS.len());
            kpis[o..o + vals.len()].copy_from_slice(&vals);
        }
        let extra = [in_system_mean, self.unfinished as f64, total_cost];
        debug_assert_eq!(extra.len(), OVERALL_EXTRA_KPIS.len());
        let o = layout.overall_extra();
        kpis[o..o + extra.len()].copy_from_slice(&extra);
        for (s, (st, q)) in self.steps.iter().zip(&self.queues).enumerate() {
            let o = layout.step(s);
            let (repeats, failed) = self.reworks[s];
            let vals = [
                if st.waits > 0 { st.wait_sum / st.waits as f64 } else { f64::NAN },
                q.mean(&w),
                f64::from(st.max_waiting),
                st.served as f64,
                repeats as f64,
                failed as f64,
            ];
            debug_assert_eq!(vals.len(), STEP_KPIS.len());
            kpis[o..o + vals.len()].copy_from_slice(&vals);
        }
        for (k, &s) in layout.joins.iter().enumerate() {
            let (n, sum) = self.syncs[s];
            let vals = [if n > 0 { sum / n as f64 } else { f64::NAN }];
            debug_assert_eq!(vals.len(), JOIN_KPIS.len());
            let o = layout.join(k);
            kpis[o..o + vals.len()].copy_from_slice(&vals);
        }
        let bw = w.bin_width;
        let bin_len = |b: usize| ((b + 1) as f64 * bw).min(w.horizon) - b as f64 * bw;
        // A step where nobody waited has no bins (see `Occupancy::bins`) and an empty
        // series: all zeros, which `VariantResult` folds without storing them.
        let queue_series =
            self.queues.iter().map(|q| q.bins.iter().enumerate().map(|(b, a)| a / bin_len(b)).collect()).collect();
        // Each bin's [start, end), computed once: a large model has thousands of resources.
        let edges: Vec<(f64, f64)> =
            (0..m.n_bins).map(|b| (b as f64 * bw, (b as f64 * bw + bin_len(b)).min(w.horizon))).collect();
        let util_series = m
            .resources
            .iter()
            .enumerate()
            .map(|(r, res)| {
                edges
                    .iter()
                    .enumerate()
                    .map(|(b, &(lo, hi))| {
                        let cap = res.staff.staff_minutes(lo, hi);
                        if cap > 0.0 { self.busy.bin(r, b) / cap } else { f64::NAN }
                    })
                    .collect()
            })
            .collect();
        let wait_series =
            self.wait_bins.iter().map(|(s, n, _)| if *n > 0 { s / *n as f64 } else { f64::NAN }).collect();
        let bin_counts = (0..self.wait_bins.len())
            .map(|b| BinCounts {
                served: self.wait_bins[b].1,
                within_sl: self.wait_bins[b].2,
                abandoned: self.abandon_bins[b],
                unfinished: self.unfinished_bins[b],
            })
            .collect();
        let mut wait_hist = vec![overall.wait_hist.to_sparse()];
        let mut cycle_hist = vec![overall.cycle_hist.to_sparse()];
        for t in self.types {
            wait_hist.push(t.wait_hist.to_sparse());
            cycle_hist.push(t.cycle_hist.to_sparse());
        }
        ReplicationResult {
            kpis,
            wait_hist,
            cycle_hist,
            queue_series,
            util_series,
            wait_series,
            bin_counts,
            detail: self.detail,
            events,
            end_time: end,
            stop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        let text = r#"
name = "observer test"
horizon = "100min"
warmup = "10min"
[[customers]]
name = "c"
first_step = "s"
[[arrivals]]
customer = "c"
rate = "1/min"
[[resources]]
name = "r"
staff = 1
[[steps]]
name = "s"
resource = "r"
service = { dist = "exponential", mean = "0.5min" }
"#;
        let loaded = crate::scenario::load_str(text, "test").unwrap_or_else(|e| panic!("{}", e.render()));
        loaded.baseline().model.clone()
    }

    /// The queue maximum is the most waiting at any instant from the warm-up on, including a
    /// level reached before the warm-up and still held at it; the queue area is the waits
    /// clipped to the window.
    #[test]
    fn queue_max_and_area_over_the_window() {
        let m = model();
        let mut o = Observer::new(&m);
        o.queue_join(0);
        o.queue_join(0);
        o.queue_join(0);
        o.queue_leave(0, 1.0, 4.0); // 3 → 2 before the warm-up
        o.queue_leave(0, 2.0, 12.0); // 2 → 1 after it: 2 was held at the warm-up
        o.queue_leave(0, 3.0, 13.0);
        let r = o.finish(&m, 100.0, 0, Stop::Completed);
        let layout = Layout::of(&m);
        let k = &r.kpis[layout.step(0)..];
        assert_eq!(k[2], 2.0, "queue_max");
        // Inside [10, 100]: (12 - 10) + (13 - 10) = 5 customer-minutes over 90 minutes.
        assert!((k[1] - 5.0 / 90.0).abs() < 1e-15, "queue_mean {}", k[1]);
    }
}
