//! The event engine: one replication of a compiled model. Pure: no I/O, no clock, no globals.
//!
//! The loop pops the earliest event, updates the state (customers, queues, busy staff) and
//! schedules what follows. Statistics are recorded online as it goes (`observer`), so nothing
//! per customer outlives the customer.

pub mod arrivals;
pub mod customers;
pub mod events;
pub mod observer;

use std::collections::VecDeque;

use crate::model::{Model, Rng, draw_rng, replication_seed, stream, uniform01};
use customers::{Slab, State};
use events::{Event, EventList};
use observer::Observer;
pub use observer::ReplicationResult;

/// Why a replication stopped before the event list ran dry.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// Every arrival came and every customer that could finish did.
    Completed,
    /// The events-per-replication cap was hit.
    EventLimit(u64),
    /// The customers-in-system cap was hit (the model is running away).
    CustomerLimit(usize),
    /// Stopped from outside (`simulate_until`'s check said so): the run was cancelled.
    Cancelled,
}

struct Streams {
    /// Sequential arrival streams, one per arrival stream.
    arrivals: Vec<Rng>,
    /// Arrivals so far per stream: with the stream index, a customer's identity for its draws.
    arrived: Vec<u64>,
    /// Seed of this replication, from which every per-customer draw is derived.
    rep_seed: u64,
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
    let mut sim = Sim::new(model, seed, replication);
    sim.run(cancel);
    sim.finish()
}

/// Event-list length at which stale events are first dropped (`Sim::compact`); far above
/// what a stable model holds, so ordinary models never compact.
const COMPACT_MIN: usize = 1 << 16;

struct Sim<'m> {
    m: &'m Model,
    now: f64,
    events: EventList,
    slab: Slab,
    rng: Streams,
    /// Waiting customers per (resource, priority level): (slot, token); stale entries skipped.
    queues: Vec<VecDeque<(u32, u32)>>,
    /// Real (not stale) waiting customers per resource.
    waiting_r: Vec<u32>,
    busy: Vec<u32>,
    capacity: Vec<u32>,
    /// Next schedule entry per resource.
    staff_next: Vec<usize>,
    obs: Observer,
    n_events: u64,
    stop: Stop,
    /// Event-list length above which stale patience events are dropped (see `compact`).
    compact_at: usize,
    /// Latest time of a dropped stale event: the replication still ends there, as if it had
    /// been popped.
    dropped_until: f64,
}

impl<'m> Sim<'m> {
    fn new(m: &'m Model, seed: u64, rep: u64) -> Self {
        let rng = Streams {
            arrivals: m.arrivals.iter().map(|a| stream(seed, rep, a.key)).collect(),
            arrived: vec![0; m.arrivals.len()],
            rep_seed: replication_seed(seed, rep),
        };
        let nr = m.resources.len();
        Sim {
            m,
            now: 0.0,
            events: EventList::with_capacity(64),
            slab: Slab::with_capacity(64),
            rng,
            queues: vec![VecDeque::new(); nr * m.priority_levels],
            waiting_r: vec![0; nr],
            busy: vec![0; nr],
            capacity: m.resources.iter().map(|r| r.staff.at(0.0)).collect(),
            staff_next: vec![1; nr],
            obs: Observer::new(m),
            n_events: 0,
            stop: Stop::Completed,
            compact_at: COMPACT_MIN,
            dropped_until: 0.0,
        }
    }

    fn run(&mut self, cancel: &dyn Fn() -> bool) {
        let m = self.m;
        for (i, a) in m.arrivals.iter().enumerate() {
            if let Some(t) = arrivals::next_arrival(&a.profile, 0.0, m.horizon, &mut self.rng.arrivals[i]) {
                self.events.push(t, Event::Arrival { stream: i as u32 });
            }
        }
        for r in 0..m.resources.len() {
            self.schedule_staff_change(r);
        }
        while let Some((t, ev)) = self.events.pop() {
            self.now = t;
            self.n_events += 1;
            if self.n_events > m.limits.max_events {
                self.stop = Stop::EventLimit(m.limits.max_events);
                break;
            }
            if self.n_events & 0xFFFF == 0 && cancel() {
                self.stop = Stop::Cancelled;
                break;
            }
            match ev {
                Event::Arrival { stream } => self.on_arrival(stream as usize),
                Event::Done { slot } => self.on_done(slot),
                Event::Renege { slot, token } => self.on_renege(slot, token),
                Event::Staff { resource } => self.on_staff(resource as usize),
            }
            if self.slab.in_use() > m.limits.max_in_system {
                self.stop = Stop::CustomerLimit(m.limits.max_in_system);
                break;
            }
            if self.events.len() > self.compact_at {
                self.compact();
            }
        }
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

    fn finish(self) -> ReplicationResult {
        let unfinished = self.slab.in_use() as u64;
        let end = self.now.max(if self.stop == Stop::Completed { self.dropped_until } else { 0.0 });
        self.obs.finish(self.m, end, self.n_events, unfinished, self.stop.clone())
    }

    fn schedule_staff_change(&mut self, r: usize) {
        if let crate::model::Staffing::Schedule { interval, staff } = &self.m.resources[r].staff {
            // Skip entries that do not change the level; stop after the last entry.
            let mut i = self.staff_next[r];
            while i < staff.len() && staff[i] == staff[i - 1] {
                i += 1;
            }
            if i < staff.len() {
                self.staff_next[r] = i;
                self.events.push(i as f64 * interval, Event::Staff { resource: r as u32 });
            }
        }
    }

    fn on_staff(&mut self, r: usize) {
        if let crate::model::Staffing::Schedule { staff, .. } = &self.m.resources[r].staff {
            let i = self.staff_next[r];
            self.capacity[r] = staff[i];
            self.staff_next[r] = i + 1;
        }
        self.schedule_staff_change(r);
        // A drop lets services in progress finish (busy may exceed capacity for a while).
        self.dispatch(r);
    }

    fn on_arrival(&mut self, s: usize) {
        let m = self.m;
        let a = &m.arrivals[s];
        if let Some(t) = arrivals::next_arrival(&a.profile, self.now, m.horizon, &mut self.rng.arrivals[s]) {
            self.events.push(t, Event::Arrival { stream: s as u32 });
        }
        let ct = a.customer;
        let counted = self.now >= m.warmup;
        let first = m.customers[ct].first_step;
        let id = ((s as u64) << 40) | self.rng.arrived[s];
        self.rng.arrived[s] += 1;
        let slot = self.slab.insert(ct as u32, first as u32, counted, self.now, id);
        self.obs.arrive(ct, counted, self.now, self.slab.in_use());
        self.enter(slot, first);
    }

    /// The customer in `slot` enters step `s` (possibly passing through removed steps).
    fn enter(&mut self, slot: u32, mut s: usize) {
        let m = self.m;
        let ct = self.slab.get(slot).ctype as usize;
        loop {
            let step = &m.steps[s];
            let (id, visit) = {
                let c = self.slab.get_mut(slot);
                c.visits += 1;
                (c.id, c.visits)
            };
            if step.pass_through {
                match self.route(slot, s, ct) {
                    Some(next) => {
                        s = next;
                        continue;
                    }
                    None => {
                        self.depart(slot);
                        return;
                    }
                }
            }
            self.slab.get_mut(slot).step = s as u32;
            match step.resource {
                None => {
                    let d =
                        m.dists[step.service[ct]].sample(&mut draw_rng(self.rng.rep_seed, step.service_key, id, visit));
                    self.slab.get_mut(slot).state = State::Busy;
                    self.events.push(self.now + d, Event::Done { slot });
                }
                Some(r) => {
                    if self.busy[r] < self.capacity[r] {
                        let counted = self.slab.get(slot).counted;
                        self.obs.step_wait(s, counted, 0.0);
                        self.start_service(slot, s, r, ct);
                    } else {
                        let cust = &m.customers[ct];
                        if let Some(limit) = cust.balk_at {
                            if self.obs.waiting(s) >= limit {
                                let counted = self.slab.get(slot).counted;
                                self.obs.balk(ct, counted);
                                self.leave(slot);
                                return;
                            }
                        }
                        let c = self.slab.get_mut(slot);
                        c.state = State::Waiting;
                        c.enqueued = self.now;
                        let token = c.token;
                        self.queues[r * m.priority_levels + cust.level].push_back((slot, token));
                        self.waiting_r[r] += 1;
                        self.obs.queue_change(s, self.now, 1.0);
                        if let Some(p) = &cust.patience {
                            let d = p.sample(&mut draw_rng(self.rng.rep_seed, cust.patience_key, id, visit));
                            self.events.push(self.now + d, Event::Renege { slot, token });
                        }
                    }
                }
            }
            return;
        }
    }

    #[inline]
    fn start_service(&mut self, slot: u32, s: usize, r: usize, ct: usize) {
        let m = self.m;
        self.busy[r] += 1;
        self.obs.busy_change(r, self.now, 1.0);
        let c = self.slab.get_mut(slot);
        let step = &m.steps[s];
        let d = m.dists[step.service[ct]].sample(&mut draw_rng(self.rng.rep_seed, step.service_key, c.id, c.visits));
        c.state = State::Busy;
        self.events.push(self.now + d, Event::Done { slot });
    }

    /// Starts waiting customers on resource `r` while staff is free: highest priority level
    /// first, first come first served within a level (across all steps using `r`).
    fn dispatch(&mut self, r: usize) {
        let levels = self.m.priority_levels;
        while self.busy[r] < self.capacity[r] && self.waiting_r[r] > 0 {
            let mut found = None;
            for l in 0..levels {
                let q = &mut self.queues[r * levels + l];
                while let Some((slot, token)) = q.pop_front() {
                    let c = self.slab.get(slot);
                    if c.token == token && c.state == State::Waiting {
                        found = Some(slot);
                        break;
                    }
                }
                if found.is_some() {
                    break;
                }
            }
            let Some(slot) = found else {
                self.waiting_r[r] = 0;
                break;
            };
            self.waiting_r[r] -= 1;
            let now = self.now;
            let c = self.slab.get_mut(slot);
            let w = now - c.enqueued;
            c.wait += w;
            c.token = c.token.wrapping_add(1);
            let (s, ct, counted) = (c.step as usize, c.ctype as usize, c.counted);
            self.obs.queue_change(s, now, -1.0);
            self.obs.step_wait(s, counted, w);
            self.start_service(slot, s, r, ct);
        }
    }

    fn on_done(&mut self, slot: u32) {
        let m = self.m;
        let c = *self.slab.get(slot);
        let s = c.step as usize;
        let ct = c.ctype as usize;
        self.obs.step_served(s, c.counted);
        if let Some(r) = m.steps[s].resource {
            self.busy[r] -= 1;
            self.obs.busy_change(r, self.now, -1.0);
            // Those already waiting go first, before this customer can queue here again.
            self.dispatch(r);
        }
        match self.route(slot, s, ct) {
            Some(next) => self.enter(slot, next),
            None => self.depart(slot),
        }
    }

    #[inline]
    fn route(&mut self, slot: u32, s: usize, ct: usize) -> Option<usize> {
        let step = &self.m.steps[s];
        let route = &step.route[ct];
        if route.to.is_empty() {
            return None;
        }
        let c = self.slab.get(slot);
        route.pick(uniform01(&mut draw_rng(self.rng.rep_seed, step.routing_key, c.id, c.visits)))
    }

    fn on_renege(&mut self, slot: u32, token: u32) {
        let c = *self.slab.get(slot);
        if c.token != token || c.state != State::Waiting {
            return;
        }
        let s = c.step as usize;
        let Some(r) = self.m.steps[s].resource else {
            return;
        };
        self.waiting_r[r] -= 1;
        self.obs.queue_change(s, self.now, -1.0);
        self.obs.renege(c.ctype as usize, c.counted);
        self.leave(slot);
    }

    fn depart(&mut self, slot: u32) {
        let c = *self.slab.get(slot);
        self.obs.served(c.ctype as usize, c.counted, c.wait, self.now - c.arrival, c.arrival);
        self.leave(slot);
    }

    fn leave(&mut self, slot: u32) {
        self.slab.remove(slot);
        self.obs.in_system(self.now, self.slab.in_use());
    }
}
