//! The event engine: one replication of a compiled model. Pure: no I/O, no clock, no globals.
//!
//! The loop pops the earliest event, updates the state (customers, queues, busy staff) and
//! schedules what follows. Statistics are recorded online as it goes (`observer`), so nothing
//! per customer outlives the customer.

pub mod arrivals;
pub mod customers;
pub mod events;
mod fork;
pub mod observer;
pub mod trace;

use std::collections::VecDeque;

use crate::model::{
    APPOINTMENT_LEAD, ArrivalHot, LEAVE, Model, NONE, Rng, Staffing, draw_rng, replication_seed, stream, uniform01,
};
use customers::{Customer, NO_FORK, NO_GROUP, Slab, State};
use events::{Event, EventList};
use observer::Observer;
pub use observer::ReplicationResult;
use trace::{NoTrace, Outcome, Trace};

/// Why a replication stopped before the event list ran dry.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// Every arrival came and every customer that could finish did.
    Completed,
    /// The events-per-replication cap was hit.
    EventLimit(u64),
    /// The customers-in-system cap was hit (the model is running away).
    CustomerLimit(usize),
    /// A customer made more step visits than the visits cap (a loop that rarely exits).
    VisitLimit(u32),
    /// Stopped from outside (`simulate_until`'s check said so): the run was cancelled.
    Cancelled,
}

#[derive(Clone, Copy)]
struct Staff {
    busy: u32,
    capacity: u32,
}

impl Staff {
    #[inline(always)]
    fn free(self) -> bool {
        self.busy < self.capacity
    }
}

struct Streams {
    /// Sequential arrival streams, one per arrival stream.
    arrivals: Vec<ArrivalStream>,
    /// Seed of this replication, from which every per-customer draw is derived.
    rep_seed: u64,
}

/// The random numbers of one arrival stream, how many arrived from it so far (with the
/// stream index, a customer's identity for its own draws) and what an arrival reads of the
/// model's stream: one cache line per arrival in a model of thousands of streams.
#[repr(align(64))]
struct ArrivalStream {
    rng: Rng,
    arrived: u64,
    hot: ArrivalHot,
}

/// Runs replication `replication` of `model` with base seed `seed`.
///
/// Every random purpose has its own stream derived from (seed, replication, purpose, name),
/// so the same replication of two variants sees the same random numbers wherever the model
/// is the same (common random numbers).
pub fn simulate(model: &Model, seed: u64, replication: u64) -> ReplicationResult {
    simulate_until(model, seed, replication, &|| false)
}

/// Like `simulate`, but asks `cancel` every 65,536 events whether to stop; a replication
/// stopped that way ends with `Stop::Cancelled` (and its results are meaningless).
pub fn simulate_until(model: &Model, seed: u64, replication: u64, cancel: &dyn Fn() -> bool) -> ReplicationResult {
    if model.uses_optional_features() {
        replicate::<true>(model, seed, replication, cancel)
    } else {
        replicate::<false>(model, seed, replication, cancel)
    }
}

fn replicate<const FULL: bool>(
    model: &Model,
    seed: u64,
    replication: u64,
    cancel: &dyn Fn() -> bool,
) -> ReplicationResult {
    replicate_with::<FULL, NoTrace>(model, seed, replication, cancel, NoTrace).0
}

/// Like `simulate`, telling `trace` every event: the same replication, result for result
/// (the trace only observes).
pub fn simulate_traced<T: Trace>(model: &Model, seed: u64, replication: u64, trace: T) -> (ReplicationResult, T) {
    if model.uses_optional_features() {
        replicate_with::<true, T>(model, seed, replication, &|| false, trace)
    } else {
        replicate_with::<false, T>(model, seed, replication, &|| false, trace)
    }
}

fn replicate_with<const FULL: bool, T: Trace>(
    model: &Model,
    seed: u64,
    replication: u64,
    cancel: &dyn Fn() -> bool,
    trace: T,
) -> (ReplicationResult, T) {
    let mut sim = Sim::<FULL, T>::new(model, seed, replication, trace);
    sim.run(cancel);
    sim.finish()
}

/// Starts loading what an arriving customer of the stream `a` describes will read at its
/// first step (the step, its staff and its counters) while the stream's next arrival is
/// filed (`EventList::rearm_arrival` calls it with many streams only: a branch's few steps
/// stay in cache). Without it, each of these loads waited for the one before, which gave its
/// address.
#[inline(always)]
fn prefetch_first_step(a: &ArrivalHot, steps: &[crate::model::StepHot], staff: &[Staff], obs: &Observer) {
    prefetch(steps.as_ptr().wrapping_add(a.first_step as usize));
    if a.first_group != NONE {
        prefetch(staff.as_ptr().wrapping_add(a.first_group as usize));
    }
    obs.prefetch_step(a.first_step as usize);
}

/// Asks the processor to bring the cache line holding `p` closer, without waiting for it.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it reads nothing into the program and never faults,
    // whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Salt of the automation outcome draws (kept apart from routing draws of the same step).
const AUTOMATION_SALT: u64 = 0xA5A5_5A5A_F00D_D00D;

/// Event-list length at which stale events are first dropped (`Sim::compact`); far above
/// what a stable model holds, so ordinary models never compact.
const COMPACT_MIN: usize = 1 << 16;

/// The state of one replication.
///
/// `FULL` is false for a model that uses none of the optional behaviours
/// (`Model::uses_optional_features`): their checks (patience, balking, priorities, batches,
/// rework, automation, context factors, removed steps, speed, preemption, working time) are
/// then compiled out of the event handlers: each is written `FULL && …` or
/// `option.filter(|_| FULL)`, a constant `false` or `None` in the lean instantiation. The two
/// instantiations share every line of code and give the same results for such a model
/// (tested); the lean one runs about 10% fewer instructions.
struct Sim<'m, const FULL: bool, T: Trace> {
    m: &'m Model,
    now: f64,
    events: EventList,
    slab: Slab,
    rng: Streams,
    /// Waiting customers per (pool, priority level): (slot, token); stale entries skipped.
    queues: Vec<VecDeque<(u32, u32)>>,
    /// Real (not stale) waiting customers per pool.
    waiting_p: Vec<u32>,
    /// Busy and scheduled staff per resource (side by side: they are read together).
    staff: Vec<Staff>,
    /// Next schedule entry per resource (n-th change for repeating timelines).
    staff_next: Vec<u64>,
    /// Customers in service per preemptive group (empty for the others).
    in_service: Vec<Vec<u32>>,
    /// Cases waiting at each batch step, oldest first.
    batch_buf: Vec<VecDeque<u32>>,
    /// Next release instant per timed batch step; releases so far per step.
    batch_next: Vec<u64>,
    batches: Vec<u64>,
    /// Next appointment slot per booked stream.
    slot_next: Vec<u64>,
    obs: Observer,
    /// The event number at which `check` must run next, and how many events are left until
    /// then (see `tick`): events so far are `check_at - left`.
    check_at: u64,
    left: u64,
    stop: Stop,
    /// Event-list length above which stale patience events are dropped (see `compact`).
    compact_at: usize,
    /// Latest time of a dropped stale event: the replication still ends there, as if it had
    /// been popped.
    dropped_until: f64,
    /// Told every event (`NoTrace`: nothing, compiled out).
    trace: T,
    /// Cases split into branch tokens (`fork`); `forks_on` is false for a model without forks,
    /// which then never looks at them.
    forks: fork::Forks,
    forks_on: bool,
}

impl<'m, const FULL: bool, T: Trace> Sim<'m, FULL, T> {
    fn new(m: &'m Model, seed: u64, rep: u64, trace: T) -> Self {
        let rng = Streams {
            arrivals: (m.arrivals.iter().zip(&m.hot.arrivals))
                .map(|(a, &hot)| ArrivalStream { rng: stream(seed, rep, a.key), arrived: 0, hot })
                .collect(),
            rep_seed: replication_seed(seed, rep),
        };
        let nr = m.resources.len();
        let f = m.hot.flags;
        Sim {
            m,
            now: 0.0,
            events: EventList::new(m.arrivals.len()),
            slab: Slab::with_capacity(64),
            rng,
            queues: vec![VecDeque::new(); m.pools.len() * m.priority_levels],
            waiting_p: vec![0; m.pools.len()],
            staff: m.resources.iter().map(|r| Staff { busy: 0, capacity: r.staff.at(0.0) }).collect(),
            staff_next: vec![1; nr],
            // What only some features use is allocated for models that use them: a region's
            // 10,000 stations would otherwise fill 0.8 MB in every replication for nothing.
            in_service: if f.preempt { vec![Vec::new(); nr] } else { Vec::new() },
            batch_buf: if f.batches { vec![VecDeque::new(); m.steps.len()] } else { Vec::new() },
            batch_next: if f.batches { vec![0; m.steps.len()] } else { Vec::new() },
            batches: if f.batches { vec![0; m.steps.len()] } else { Vec::new() },
            slot_next: if f.booked { vec![0; m.arrivals.len()] } else { Vec::new() },
            obs: Observer::new(m),
            check_at: m.limits.max_events.saturating_add(1).min(0x10000),
            left: m.limits.max_events.saturating_add(1).min(0x10000),
            stop: Stop::Completed,
            compact_at: COMPACT_MIN,
            dropped_until: 0.0,
            trace,
            forks: fork::Forks::default(),
            forks_on: m.hot.flags.forks,
        }
    }

    fn run(&mut self, cancel: &dyn Fn() -> bool) {
        let m = self.m;
        for (i, a) in m.arrivals.iter().enumerate() {
            if a.appointments.is_some() {
                self.schedule_slot(i);
            } else if let Some(t) = arrivals::next_arrival(&a.profile, 0.0, m.horizon, &mut self.rng.arrivals[i].rng) {
                self.events.push(t, Event::Arrival { stream: i as u32 });
            }
        }
        for r in 0..m.resources.len() {
            self.schedule_staff_change(r);
        }
        // Only a model with timed batches reads every step's record for them.
        let timed_batches = if m.hot.flags.timed_batches { &m.steps[..] } else { &[] };
        for (s, st) in timed_batches.iter().enumerate() {
            if let Some(at) = st.batch.as_ref().and_then(|b| b.at.as_ref()) {
                self.batch_next[s] = at.first_from(0.0);
                self.schedule_batch(s);
            }
        }
        // One unpredictable branch per event: the next arrival, or the heap's earliest event.
        loop {
            if self.events.arrival_is_next() {
                let (t, stream) = self.events.peek_arrival();
                if self.tick(t, cancel) {
                    break;
                }
                let next = self.following_arrival(stream as usize);
                let (streams, steps, staff, obs) = (&self.rng.arrivals, &m.hot.steps, &self.staff, &self.obs);
                let warm = || prefetch_first_step(&streams[stream as usize].hot, steps, staff, obs);
                self.events.rearm_arrival(next, streams, warm);
                self.on_arrival(stream as usize);
                if self.after_event(true) {
                    break;
                }
            } else {
                let Some((t, ev)) = self.events.pop_heap() else { break };
                if t > self.m.horizon + self.m.drain {
                    // The drain is over: whoever is still inside is unfinished, not served on
                    // at the staffing frozen when repeating events stopped.
                    self.now = self.now.max(self.m.horizon + self.m.drain);
                    break;
                }
                if self.tick(t, cancel) {
                    break;
                }
                // Most heap events end a service: tested first, one comparison instead of
                // `on_event`'s jump table; in a lean model nothing follows it (nothing enters
                // the system at a service end, and only full models compact).
                if let Event::Done { slot, token } = ev {
                    self.on_done(slot, token);
                    self.events.settle();
                    if FULL && self.after_event(true) {
                        break;
                    }
                    continue;
                }
                // Only arrivals and booked customers (a full-model feature) enter the system.
                let may_admit = FULL || matches!(ev, Event::Arrival { .. });
                self.on_event(ev);
                self.events.settle();
                if self.after_event(may_admit) {
                    break;
                }
            }
        }
    }

    /// Handles an event taken from the heap.
    #[inline(always)]
    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Arrival { stream } => {
                if let Some(t) = self.following_arrival(stream as usize) {
                    self.events.push(t, Event::Arrival { stream });
                }
                self.on_arrival(stream as usize)
            }
            Event::Done { slot, token } => self.on_done(slot, token),
            Event::Renege { slot, token } => self.on_renege(slot, token),
            Event::Staff { resource } => self.on_staff(resource as usize),
            Event::Batch { step } => self.on_batch_time(step as usize),
            Event::Slot { stream } => self.on_slot(stream as usize),
            Event::Booked { stream, n } => self.on_booked(stream as usize, n),
            Event::Rework { slot, token } => {
                let c = self.slab.get(slot);
                if c.token == token && c.state == State::Busy {
                    let s = c.step as usize;
                    self.enter(slot, s);
                }
            }
        }
    }

    /// After an event: whether the customers-in-system cap stops the run (checked where the
    /// event may have admitted a customer), and dropping stale events when they pile up
    /// (only full models have stale events: patience timers, reneged queue entries).
    #[inline(always)]
    fn after_event(&mut self, may_admit: bool) -> bool {
        let max = self.m.limits.max_in_system;
        if may_admit && self.slab.in_use() > max {
            self.stop = Stop::CustomerLimit(max);
            return true;
        }
        if FULL && self.events.len() > self.compact_at {
            self.compact();
        }
        false
    }

    /// Moves the clock to the event at `t` and counts it; true when the run must stop before
    /// handling it (the events cap, or `cancel` said so, asked every 65,536 events). One
    /// decrement per event: `left` counts down to the next event number where either applies.
    #[inline(always)]
    fn tick(&mut self, t: f64, cancel: &dyn Fn() -> bool) -> bool {
        self.now = t;
        self.left -= 1;
        if self.left != 0 {
            return false;
        }
        self.check(cancel)
    }

    /// Events handled (or refused by `check`) so far.
    fn n_events(&self) -> u64 {
        self.check_at - self.left
    }

    /// Stops the run at the next event (a cap hit while handling this one): the customer
    /// concerned is left where it is, as at any early stop.
    #[cold]
    #[inline(never)]
    fn halt(&mut self, stop: Stop) {
        self.stop = stop;
        self.check_at -= self.left - 1;
        self.left = 1;
    }

    #[cold]
    #[inline(never)]
    fn check(&mut self, cancel: &dyn Fn() -> bool) -> bool {
        if self.stop != Stop::Completed {
            return true;
        }
        let max = self.m.limits.max_events;
        let n = self.n_events();
        if n > max {
            self.stop = Stop::EventLimit(max);
            return true;
        }
        if n & 0xFFFF == 0 && cancel() {
            self.stop = Stop::Cancelled;
            return true;
        }
        self.check_at = (max.saturating_add(1)).min((n | 0xFFFF) + 1);
        self.left = self.check_at - n;
        false
    }

    /// Drops stale patience events (of customers already served or gone) and stale queue
    /// entries (of customers who reneged). Both are normally skipped when reached, but a
    /// model with long patience, or a queue nobody serves, would otherwise keep them by the
    /// million: memory must grow with the customers in the system, not with those served.
    /// The order of the remaining events is unchanged (it is fixed by time and sequence).
    fn compact(&mut self) {
        let slab = &self.slab;
        let live = |slot: u32, token: u32| {
            let c = slab.get(slot);
            c.token == token && c.state == State::Waiting
        };
        let mut latest = self.dropped_until;
        self.events.retain(|t, e| match *e {
            Event::Renege { slot, token } if !live(slot, token) => {
                latest = latest.max(t);
                false
            }
            _ => true,
        });
        self.dropped_until = latest;
        for q in &mut self.queues {
            q.retain(|&(slot, token)| live(slot, token));
        }
        self.compact_at = 2 * self.events.len() + COMPACT_MIN;
    }

    fn finish(mut self) -> (ReplicationResult, T) {
        let end = self.now.max(if self.stop == Stop::Completed { self.dropped_until } else { 0.0 });
        // Customers still inside (a run stopped early) stay, wait or hold their staff until
        // the horizon, as the levels they make up would.
        let until = end.max(self.m.horizon);
        for c in self.slab.inside() {
            // A case split into branches is one case (its record), however many tokens.
            if c.fork == NO_FORK || !FULL {
                self.obs.unfinished(c.ctype as usize, c.counted, c.arrival);
                self.obs.left(c.arrival, until);
            }
            let s = c.step as usize;
            if c.state == State::Waiting {
                self.obs.still_waiting(s, c.since, until);
            } else if c.group != NO_GROUP && self.m.steps[s].pool.is_some() && self.m.steps[s].batch.is_none() {
                // In service (not in a delay, a batch's processing or away for rework).
                self.obs.busy(c.group as usize, c.since, until);
            }
        }
        self.trace.finish(end, until);
        let events = self.n_events();
        (self.obs.finish(self.m, end, events, self.stop.clone()), self.trace)
    }

    /// Whether a repeating event (calendar staffing, batch release) at `t` still matters:
    /// before the horizon always; after it only while customers may still be inside (arrivals
    /// still coming, or work remaining), and for at most `drain` after the horizon.
    fn repeating_ok(&self, t: f64) -> bool {
        t < self.m.horizon
            || ((self.now < self.m.horizon || self.slab.in_use() > 0) && t < self.m.horizon + self.m.drain)
    }

    fn schedule_staff_change(&mut self, r: usize) {
        match &self.m.resources[r].staff {
            Staffing::Schedule { interval, staff } => {
                // Skip entries that do not change the level; stop after the last entry.
                let mut i = self.staff_next[r] as usize;
                while i < staff.len() && staff[i] == staff[i - 1] {
                    i += 1;
                }
                if i < staff.len() {
                    self.staff_next[r] = i as u64;
                    self.events.push(i as f64 * interval, Event::Staff { resource: r as u32 });
                }
            }
            Staffing::Timeline(tl) => {
                let n = self.staff_next[r];
                let len = tl.times.len() as u64;
                if len > 1 {
                    let t = tl.times[(n % len) as usize] + (n / len) as f64 * tl.period;
                    if self.repeating_ok(t) {
                        self.events.push(t, Event::Staff { resource: r as u32 });
                    }
                }
            }
            Staffing::Constant(_) => {}
        }
    }

    fn on_staff(&mut self, r: usize) {
        match &self.m.resources[r].staff {
            Staffing::Schedule { staff, .. } => {
                let i = self.staff_next[r] as usize;
                self.staff[r].capacity = staff[i];
            }
            Staffing::Timeline(tl) => {
                let len = tl.times.len() as u64;
                self.staff[r].capacity = tl.values[(self.staff_next[r] % len) as usize] as u32;
            }
            Staffing::Constant(_) => {}
        }
        self.staff_next[r] += 1;
        self.schedule_staff_change(r);
        if self.m.resources[r].preempt {
            while self.staff[r].busy > self.staff[r].capacity && self.preempt(r) {}
        }
        // Without preemption a drop lets services in progress finish (busy may exceed
        // capacity for a while).
        self.dispatch(r);
    }

    /// Interrupts the most recently started service of group `r` that does not end at this
    /// very moment (the latest start; among equal starts the one listed last): the customer
    /// goes back to the front of its own priority level's queue with the rest of its service
    /// time. Returns false when there is none to interrupt.
    ///
    /// The list is not in start order (a finished service is swap-removed), so the latest
    /// start is searched for; preemption happens only at capacity drops, so the scan is rare.
    fn preempt(&mut self, r: usize) -> bool {
        let now = self.now;
        let mut pick: Option<(usize, f64)> = None;
        for (i, &slot) in self.in_service[r].iter().enumerate() {
            let c = self.slab.get(slot);
            if c.svc_end > now && pick.is_none_or(|(_, since)| c.since >= since) {
                pick = Some((i, c.since));
            }
        }
        let Some((i, _)) = pick else {
            return false;
        };
        let slot = self.in_service[r].swap_remove(i);
        if let Some(&moved) = self.in_service[r].get(i) {
            self.slab.get_mut(moved).in_svc = i as u32;
        }
        let m = self.m;
        let c = self.slab.get_mut(slot);
        c.remaining = c.svc_end - now;
        c.token = c.token.wrapping_add(1);
        c.state = State::Waiting;
        c.group = NO_GROUP;
        let started = std::mem::replace(&mut c.since, now);
        let (s, token) = (c.step as usize, c.token);
        let level = self.level_of(slot, s);
        let Some(p) = m.steps[s].pool else { return false };
        self.queues[p * m.priority_levels + level].push_front((slot, token));
        self.waiting_p[p] += 1;
        self.staff[r].busy -= 1;
        self.obs.busy(r, started, now);
        self.obs.queue_join(s);
        if T::ON {
            let id = self.slab.get(slot).id;
            self.trace.preempt(now, id, s);
            self.trace.enqueue(now, id, s);
        }
        true
    }

    /// The arrival of stream `s` that follows the one now (`None` past the horizon).
    #[inline(always)]
    fn following_arrival(&mut self, s: usize) -> Option<f64> {
        let m = self.m;
        let a = &mut self.rng.arrivals[s];
        if a.hot.rate.is_nan() {
            arrivals::next_arrival(&m.arrivals[s].profile, self.now, m.horizon, &mut a.rng)
        } else {
            arrivals::next_constant(a.hot.rate, self.now, m.horizon, &mut a.rng)
        }
    }

    /// A customer of stream `s` arrives (its stream's next arrival is already scheduled).
    #[inline(always)]
    fn on_arrival(&mut self, s: usize) {
        let a = &mut self.rng.arrivals[s];
        let id = ((s as u64) << 40) | a.arrived;
        a.arrived += 1;
        self.admit(s, id, false);
    }

    /// A customer of stream `s` with identity `id` enters the system.
    #[inline(always)]
    fn admit(&mut self, s: usize, id: u64, booked: bool) {
        let m = self.m;
        let a = self.rng.arrivals[s].hot;
        let ct = a.customer as usize;
        let counted = self.now >= m.warmup;
        let first = a.first_step as usize;
        let slot = self.slab.insert(ct as u32, first as u32, counted, self.now, id, FULL);
        self.trace.arrive(self.now, id, ct, s);
        if booked {
            self.slab.get_mut(slot).booked_step = first as u32;
        }
        self.enter(slot, first);
    }

    /// Schedules the decision of the next appointment slot of stream `s`, `APPOINTMENT_LEAD`
    /// before the slot (so early arrivals are possible).
    fn schedule_slot(&mut self, s: usize) {
        let Some(ap) = &self.m.arrivals[s].appointments else { return };
        if let Some(t) = ap.slots.nth(self.slot_next[s])
            && t < self.m.horizon
        {
            self.events.push((t - APPOINTMENT_LEAD).max(self.now), Event::Slot { stream: s as u32 });
        }
    }

    fn on_slot(&mut self, s: usize) {
        let m = self.m;
        let a = &m.arrivals[s];
        let Some(ap) = &a.appointments else { return };
        let n = self.slot_next[s];
        self.slot_next[s] += 1;
        if let Some(t) = ap.slots.nth(n) {
            let id = ((s as u64) << 40) | n;
            let mut rng = draw_rng(self.rng.rep_seed, a.key, id, 0);
            if uniform01(&mut rng) < ap.no_show {
                self.obs.no_show(a.customer, t >= m.warmup);
                self.trace.no_show(t, id, s);
            } else {
                let z: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
                let offset = (ap.offset_mean + ap.offset_sd * z).max(-APPOINTMENT_LEAD);
                let at = (t + offset).max(self.now);
                self.events.push(at, Event::Booked { stream: s as u32, n: n as u32 });
            }
        }
        self.schedule_slot(s);
    }

    fn on_booked(&mut self, s: usize, n: u32) {
        let id = ((s as u64) << 40) | u64::from(n);
        self.admit(s, id, true);
    }

    /// Priority level of the customer in `slot` at step `s`: booked customers go first at
    /// the step of their appointment.
    #[inline]
    fn level_of(&self, slot: u32, s: usize) -> usize {
        let c = self.slab.get(slot);
        if c.booked_step == s as u32 { 0 } else { self.m.customers[c.ctype as usize].level }
    }

    /// The customer in `slot` enters step `s` (possibly passing through removed steps).
    fn enter(&mut self, slot: u32, mut s: usize) {
        let m = self.m;
        let ct = self.slab.get(slot).ctype as usize;
        loop {
            let step = &m.steps[s];
            let hot = m.hot.steps[s];
            let (id, visit) = {
                let c = self.slab.get_mut(slot);
                c.visits += 1;
                (c.id, c.visits)
            };
            if visit > m.limits.max_visits {
                self.halt(Stop::VisitLimit(m.limits.max_visits));
                return;
            }
            // Removed steps, gateways and joins (one flag: one test for all three).
            if FULL && step.special {
                if step.join_of.is_some() && self.at_own_join(slot, s) {
                    self.join_arrive(slot);
                    return;
                }
                if step.pass_through || step.gateway {
                    let c = *self.slab.get(slot);
                    if step.gateway && !step.pass_through {
                        self.obs.step_served(s, c.counted);
                    }
                    match self.route(&c, s, ct) {
                        Some(next) => {
                            s = next;
                            continue;
                        }
                        None => {
                            self.depart(slot, &c, s);
                            return;
                        }
                    }
                }
            }
            self.slab.get_mut(slot).step = s as u32;
            if let Some(b) = step.batch.as_ref().filter(|_| FULL) {
                self.join_batch(slot, s, b.size, b.max);
                return;
            }
            if hot.pool == NONE {
                let c = self.slab.get_mut(slot);
                let mut d = m.service_dist(s, ct).sample(&mut draw_rng(self.rng.rep_seed, hot.service_key, id, visit));
                if FULL {
                    d *= f64::from(c.factor);
                    c.factor = 1.0;
                }
                c.state = State::Busy;
                let token = c.token;
                self.trace.start(self.now, id, s, None, None);
                self.events.push(self.now + d, Event::Done { slot, token });
            } else {
                let p = hot.pool as usize;
                // A pool of one group (the usual case) is served by it without a look at
                // the pool's list.
                let free = if hot.group != NONE {
                    Some(hot.group as usize).filter(|&g| self.staff[g].free())
                } else {
                    m.pools[p].groups.iter().copied().find(|&g| self.staff[g].free())
                };
                if let Some(g) = free {
                    let counted = self.slab.get(slot).counted;
                    self.obs.step_wait(s, counted, 0.0, self.now);
                    self.start_service(slot, s, g, ct);
                } else {
                    // Only full models look at the customer type here (balking, patience).
                    let cust = FULL.then(|| &m.customers[ct]);
                    if let Some(limit) = cust.and_then(|c| c.balk_at)
                        && self.obs.waiting(s) >= limit
                    {
                        let counted = self.slab.get(slot).counted;
                        let arrival = self.slab.get(slot).arrival;
                        self.obs.balk(ct, counted, arrival, s, self.now);
                        self.trace.balk(self.now, id, s);
                        self.leave(slot, arrival);
                        return;
                    }
                    // Lean models have one priority level: a pool's queue is `queues[p]`.
                    let q = if FULL { p * m.priority_levels + self.level_of(slot, s) } else { p };
                    let c = self.slab.get_mut(slot);
                    c.state = State::Waiting;
                    c.since = self.now;
                    let token = c.token;
                    self.queues[q].push_back((slot, token));
                    self.waiting_p[p] += 1;
                    self.obs.queue_join(s);
                    self.trace.enqueue(self.now, id, s);
                    if let Some((pt, key)) = cust.and_then(|c| Some((c.patience.as_ref()?, c.patience_key))) {
                        let d = pt.sample(&mut draw_rng(self.rng.rep_seed, key, id, visit));
                        self.events.push(self.now + d, Event::Renege { slot, token });
                    }
                }
            }
            return;
        }
    }

    #[inline(always)]
    fn start_service(&mut self, slot: u32, s: usize, g: usize, ct: usize) {
        let m = self.m;
        self.staff[g].busy += 1;
        let res = &m.resources[g];
        let c = self.slab.get_mut(slot);
        let hot = &m.hot.steps[s];
        let d = if FULL && c.remaining > 0.0 {
            std::mem::take(&mut c.remaining)
        } else {
            let d = m.service_dist(s, ct).sample(&mut draw_rng(self.rng.rep_seed, hot.service_key, c.id, c.visits));
            if FULL {
                let f = f64::from(c.factor) * res.speed;
                c.factor = 1.0;
                d * f
            } else {
                d
            }
        };
        c.state = State::Busy;
        c.group = g as u32;
        c.since = self.now;
        let token = c.token;
        self.trace.start(self.now, c.id, s, Some(g), None);
        if FULL && res.preempt {
            c.svc_end = self.now + d;
            c.in_svc = self.in_service[g].len() as u32;
            self.in_service[g].push(slot);
        }
        self.events.push(self.now + d, Event::Done { slot, token });
    }

    /// Starts waiting customers on group `r` while staff is free: its skills in order of
    /// preference, within a skill the highest priority level first, first come first served
    /// within a level (across all steps of the skill).
    #[inline(always)]
    fn dispatch(&mut self, r: usize) {
        let m = self.m;
        let levels = if FULL { m.priority_levels } else { 1 };
        // A group with one skill (the usual case) finds it without reading its record.
        let solo = [m.hot.solo_skill[r] as usize];
        let skills = if solo[0] != NONE as usize { &solo[..] } else { &m.resources[r].skills[..] };
        while self.staff[r].free() {
            let mut found = None;
            for &p in skills {
                if self.waiting_p[p] == 0 {
                    continue;
                }
                for l in 0..levels {
                    let q = &mut self.queues[p * levels + l];
                    while let Some((slot, token)) = q.pop_front() {
                        let c = self.slab.get(slot);
                        // Entries go stale only when their customer reneged (full models).
                        debug_assert!(FULL || (c.token == token && c.state == State::Waiting));
                        if !FULL || (c.token == token && c.state == State::Waiting) {
                            found = Some((slot, p));
                            break;
                        }
                    }
                    if found.is_some() {
                        break;
                    }
                }
                if found.is_some() {
                    break;
                }
                self.waiting_p[p] = 0;
            }
            let Some((slot, p)) = found else {
                break;
            };
            self.waiting_p[p] -= 1;
            let now = self.now;
            let c = self.slab.get_mut(slot);
            let w = now - c.since;
            c.wait += w;
            c.token = c.token.wrapping_add(1);
            let resumed = FULL && c.remaining > 0.0;
            let (s, ct, counted, since) = (c.step as usize, c.ctype as usize, c.counted, c.since);
            self.obs.dequeued(s, since, now, counted, resumed);
            self.start_service(slot, s, r, ct);
        }
    }

    /// A case joins the batch of step `s`; a full batch is released at once.
    fn join_batch(&mut self, slot: u32, s: usize, size: Option<u32>, max: u32) {
        let c = self.slab.get_mut(slot);
        c.state = State::Waiting;
        c.since = self.now;
        let id = c.id;
        self.batch_buf[s].push_back(slot);
        self.obs.queue_join(s);
        self.trace.enqueue(self.now, id, s);
        if let Some(n) = size
            && self.batch_buf[s].len() >= n as usize
        {
            self.release_batch(s, n.min(max) as usize);
        }
    }

    /// Releases up to `n` waiting cases of batch step `s`: one processing time for all.
    fn release_batch(&mut self, s: usize, n: usize) {
        let m = self.m;
        let k = n.min(self.batch_buf[s].len());
        let Some(&first) = self.batch_buf[s].front() else { return };
        let step = &m.steps[s];
        let ct = self.slab.get(first).ctype as usize;
        let b = self.batches[s];
        self.batches[s] += 1;
        let d = m.dists[step.service[ct]].sample(&mut draw_rng(self.rng.rep_seed, step.service_key, b, u32::MAX));
        let now = self.now;
        self.trace.batch(now, s, b, k);
        for _ in 0..k {
            let Some(slot) = self.batch_buf[s].pop_front() else { break };
            let c = self.slab.get_mut(slot);
            let (w, since) = (now - c.since, c.since);
            c.wait += w;
            c.state = State::Busy;
            let (counted, token) = (c.counted, c.token);
            self.obs.dequeued(s, since, now, counted, false);
            self.trace.start(now, c.id, s, None, Some(b));
            self.events.push(now + d, Event::Done { slot, token });
        }
    }

    fn schedule_batch(&mut self, s: usize) {
        let Some(at) = self.m.steps[s].batch.as_ref().and_then(|b| b.at.as_ref()) else { return };
        if let Some(t) = at.nth(self.batch_next[s])
            && self.repeating_ok(t)
        {
            self.events.push(t.max(self.now), Event::Batch { step: s as u32 });
        }
    }

    fn on_batch_time(&mut self, s: usize) {
        self.batch_next[s] += 1;
        let max = self.m.steps[s].batch.as_ref().map_or(u32::MAX, |b| b.max);
        if !self.batch_buf[s].is_empty() {
            self.release_batch(s, max as usize);
        }
        self.schedule_batch(s);
    }

    fn on_done(&mut self, slot: u32, token: u32) {
        let m = self.m;
        let c = *self.slab.get(slot);
        // Only preemption makes a service end stale (a full-model feature).
        debug_assert!(FULL || (c.token == token && c.state == State::Busy));
        if FULL && (c.token != token || c.state != State::Busy) {
            return;
        }
        let s = c.step as usize;
        let ct = c.ctype as usize;
        let step = &m.steps[s];
        self.obs.step_served(s, c.counted);
        self.trace.end(self.now, c.id, s);
        if m.hot.steps[s].pool != NONE && (!FULL || step.batch.is_none()) {
            let g = c.group as usize;
            self.staff[g].busy -= 1;
            self.obs.busy(g, c.since, self.now);
            if FULL && m.resources[g].preempt {
                let list = &mut self.in_service[g];
                let i = c.in_svc as usize;
                if list.get(i) == Some(&slot) {
                    list.swap_remove(i);
                    if let Some(&moved) = list.get(i) {
                        self.slab.get_mut(moved).in_svc = i as u32;
                    }
                }
            }
            // Those already waiting go first, before this customer can queue here again.
            self.dispatch(g);
        }
        if FULL && step.context_factor != 1.0 {
            self.slab.get_mut(slot).factor = step.context_factor as f32;
            self.trace.outcome(self.now, c.id, s, Outcome::Handoff);
        }
        if let Some(rp) = step.repeat.as_ref().filter(|_| FULL)
            && uniform01(&mut draw_rng(self.rng.rep_seed, step.repeat_key, c.id, c.visits)) < rp.p
        {
            self.obs.repeat(s, c.counted);
            self.trace.outcome(self.now, c.id, s, Outcome::Repeat);
            match (rp.back_to, rp.delay) {
                (Some(b), _) => self.enter(slot, b),
                (None, Some(dd)) => {
                    let d = m.dists[dd].sample(&mut draw_rng(self.rng.rep_seed, step.repeat_key ^ 1, c.id, c.visits));
                    // Not in service while away: `finish` must not count it busy.
                    let c = self.slab.get_mut(slot);
                    c.group = NO_GROUP;
                    let token = c.token;
                    self.events.push(self.now + d, Event::Rework { slot, token });
                }
                (None, None) => self.enter(slot, s),
            }
            return;
        }
        if let Some(a) = step.automation.as_ref().filter(|_| FULL) {
            let mut rng = draw_rng(self.rng.rep_seed, step.routing_key ^ AUTOMATION_SALT, c.id, c.visits);
            if uniform01(&mut rng) >= a.success {
                self.obs.failed(s, c.counted);
                self.trace.outcome(self.now, c.id, s, Outcome::AutomationFailed);
                self.enter(slot, a.on_failure);
                return;
            }
            if let Some(t) = a.touchless_to
                && uniform01(&mut rng) < a.touchless
            {
                self.trace.outcome(self.now, c.id, s, Outcome::Touchless);
                self.enter(slot, t);
                return;
            }
        }
        // `c` is still the customer's record: nothing since it was read changes the fields
        // that routing and departure read (identity, visits, arrival, wait, type).
        match self.route(&c, s, ct) {
            Some(next) => self.enter(slot, next),
            None => self.depart(slot, &c, s),
        }
    }

    /// Where customer `c` (of type `ct`) goes after step `s`, `None` when it leaves.
    #[inline(always)]
    fn route(&self, c: &Customer, s: usize, ct: usize) -> Option<usize> {
        let hot = &self.m.hot.steps[s];
        match hot.next {
            LEAVE => None,
            NONE => {
                let route = &self.m.steps[s].route[ct];
                if route.to.is_empty() {
                    return None;
                }
                route.pick(uniform01(&mut draw_rng(self.rng.rep_seed, hot.routing_key, c.id, c.visits)))
            }
            next => Some(next as usize),
        }
    }

    fn on_renege(&mut self, slot: u32, token: u32) {
        let c = *self.slab.get(slot);
        if c.token != token || c.state != State::Waiting {
            return;
        }
        let s = c.step as usize;
        let Some(p) = self.m.steps[s].pool else {
            return;
        };
        self.waiting_p[p] -= 1;
        self.obs.queue_leave(s, c.since, self.now);
        self.obs.renege(c.ctype as usize, c.counted, c.arrival);
        self.trace.renege(self.now, c.id, s);
        self.leave(slot, c.arrival);
    }

    /// The customer in `slot`, whose record is `c`, is done with step `s` and goes nowhere
    /// else: it leaves served, or, at a fork step, splits into its branches.
    #[inline(always)]
    fn depart(&mut self, slot: u32, c: &Customer, s: usize) {
        let m = self.m;
        if FULL && self.forks_on && (c.fork != NO_FORK || m.steps[s].fork.is_some()) {
            self.fork_depart(slot, s);
            return;
        }
        let cycle = self.now - c.arrival;
        let work = m.work_calendar.filter(|_| FULL).map(|k| m.calendars[k].worked(c.arrival, self.now));
        self.obs.served(c.ctype as usize, c.counted, c.wait, cycle, work, c.arrival);
        self.trace.depart(self.now, c.id);
        self.leave(slot, c.arrival);
    }

    /// The customer in `slot`, arrived at `arrival`, leaves the system.
    #[inline(always)]
    fn leave(&mut self, slot: u32, arrival: f64) {
        if FULL && self.forks_on && self.slab.get(slot).fork != NO_FORK {
            // A branch token gave up: the whole case leaves (see `fork`).
            self.withdraw_case(slot);
        }
        self.obs.left(arrival, self.now);
        self.slab.remove(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every model of every shipped scenario (variants included) that the lean instantiation
    /// accepts gives byte-for-byte the same replication in both.
    #[test]
    fn lean_and_full_instantiations_agree() {
        let mut files = Vec::new();
        for dir in ["scenarios", "scenarios/theory", "scenarios/bench"] {
            for e in std::fs::read_dir(dir).expect("scenario folder") {
                let p = e.expect("entry").path();
                if p.extension().is_some_and(|x| x == "toml") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let (mut lean, mut full) = (0, 0);
        for f in &files {
            let loaded = crate::scenario::load_file(f).unwrap_or_else(|e| panic!("{}", e.render()));
            for v in &loaded.variants {
                let m = &v.model;
                if m.uses_optional_features() {
                    full += 1;
                    continue;
                }
                lean += 1;
                for rep in 0..2 {
                    let a = replicate::<false>(m, m.seed, rep, &|| false);
                    let b = replicate::<true>(m, m.seed, rep, &|| false);
                    assert!(a.events > 0, "{} / {}: a real run", f.display(), v.name);
                    assert_eq!(format!("{a:?}"), format!("{b:?}"), "{} / {}", f.display(), v.name);
                }
            }
        }
        // Both kinds occur among the shipped models, so the test compares something.
        assert!(lean >= 5 && full >= 5, "lean {lean}, full {full}");
    }
}
