//! Parallel work: a case splits into branch tokens at a fork step and meets again at the join.
//!
//! A branch token is a record of its own in the slab, so it queues, is served, preempted,
//! batched, reworked and routed by exactly the code that moves whole cases; only three
//! moments are different, and they live here:
//!
//! - **split** (a fork step's visit ends): one token per branch taken, each with its own
//!   identity for its random draws: the case's identity, the branch's first step name and the
//!   case's visit count, hashed. A variant that reorders, adds or removes branches therefore
//!   keeps each remaining branch's service times, patience and routing (common random
//!   numbers); whether an inclusive-OR branch is taken is drawn per branch too. The case's
//!   own record waits, parked, holding no staff.
//! - **join** (a token routes into its fork's join step): the token ends, its queue waits are
//!   added to the case's; when the last branch taken arrives, the case record enters the join
//!   step and goes on as usual. The time between the first and the last arrival is the join's
//!   `sync_wait`. An inclusive fork that draws no branch goes straight to the join (no
//!   `sync_wait`).
//! - **abandonment** (a token reneges or balks): the customer gives up on the whole case, so
//!   the case is counted once as abandoned and every other token of it is withdrawn: from
//!   its queue, from its batch, from service (the staff are freed at once and take the next
//!   customer), from an inner fork. Back-office cases (`kind = "case"`) never abandon.
//!
//! A case's cycle time runs from its arrival to leaving the system after the join and what
//! follows it; its wait is the sum of the queue waits of all its tokens (the time branches
//! spend at the join is `sync_wait`, not wait).

use super::Sim;
use super::customers::{NO_FORK, NO_GROUP, State};
use crate::model::{draw_rng, mix64, uniform01};

/// Salt of the draws that decide whether an inclusive-OR branch is taken.
const TAKEN_SALT: u64 = 0x0F0B_1A5E_D00D_FEED;

/// The fork instances of one replication (one per case currently split), reused.
#[derive(Default)]
pub(super) struct Forks {
    insts: Vec<Instance>,
    free: Vec<u32>,
    /// Per slot: the instance a parked case record waits on (`NO_FORK` otherwise).
    inner_of: Vec<u32>,
}

#[derive(Default)]
struct Instance {
    /// The case record (itself a branch token of an outer fork when forks nest).
    parent: u32,
    join: u32,
    /// Branches taken, and how many of them have reached the join.
    taken: u32,
    arrived: u32,
    /// When the first branch reached the join.
    first: f64,
    /// Tokens not yet at the join (slots).
    tokens: Vec<u32>,
}

impl Forks {
    fn alloc(&mut self, parent: u32, join: usize, taken: u32) -> u32 {
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.insts.push(Instance::default());
                (self.insts.len() - 1) as u32
            }
        };
        let inst = &mut self.insts[i as usize];
        (inst.parent, inst.join, inst.taken, inst.arrived, inst.first) = (parent, join as u32, taken, 0, 0.0);
        inst.tokens.clear();
        self.set_inner(parent, i);
        i
    }

    fn release(&mut self, i: u32) {
        let parent = self.insts[i as usize].parent;
        self.set_inner(parent, NO_FORK);
        self.free.push(i);
    }

    fn set_inner(&mut self, slot: u32, i: u32) {
        let s = slot as usize;
        if self.inner_of.len() <= s {
            self.inner_of.resize(s + 1, NO_FORK);
        }
        self.inner_of[s] = i;
    }

    fn inner(&self, slot: u32) -> u32 {
        self.inner_of.get(slot as usize).copied().unwrap_or(NO_FORK)
    }
}

/// The identity of the token of branch `key` of case `id` split at its `visit`-th step entry.
#[inline]
fn token_id(id: u64, key: u64, visit: u32) -> u64 {
    mix64(id ^ key ^ mix64(u64::from(visit).wrapping_add(key)))
}

impl<const FULL: bool, T: super::trace::Trace> Sim<'_, FULL, T> {
    /// Whether the token in `slot` is a branch of the fork that joins at step `s`.
    #[inline]
    pub(super) fn at_own_join(&self, slot: u32, s: usize) -> bool {
        let f = self.slab.get(slot).fork;
        f != NO_FORK && self.forks.insts[f as usize].join as usize == s
    }

    /// `depart` of a model with forks: the record in `slot` is done with step `s` and
    /// routes nowhere: a fork step splits it; a branch token (which validation keeps from
    /// leaving; only a routing total short of 1 by rounding could get here) ends at its join.
    pub(super) fn fork_depart(&mut self, slot: u32, s: usize) {
        if self.m.steps[s].fork.is_some() {
            self.split(slot, s);
        } else {
            self.join_arrive(slot);
        }
    }

    /// The case record in `slot` splits at fork step `s`.
    fn split(&mut self, slot: u32, s: usize) {
        let m = self.m;
        let Some(f) = &m.steps[s].fork else { return };
        let c = *self.slab.get(slot);
        let mut taken: Vec<(usize, u64)> = Vec::with_capacity(f.branches.len());
        for b in &f.branches {
            let on =
                b.p >= 1.0 || uniform01(&mut draw_rng(self.rng.rep_seed, b.key ^ TAKEN_SALT, c.id, c.visits)) < b.p;
            if on {
                taken.push((b.step, b.key));
            }
        }
        if taken.is_empty() {
            self.enter(slot, f.join);
            return;
        }
        let inst = self.forks.alloc(slot, f.join, taken.len() as u32);
        {
            let p = self.slab.get_mut(slot);
            p.token = p.token.wrapping_add(1);
            p.state = State::Busy;
            p.group = NO_GROUP;
            p.since = self.now;
            p.factor = 1.0;
        }
        // Every token exists before any moves: one may reach the join (through gateways) or
        // give up at once, and the join and the withdrawal must see all of them.
        let mut started: Vec<(u32, u32, usize)> = Vec::with_capacity(taken.len());
        for (step, key) in taken {
            let t = self.slab.insert(c.ctype, step as u32, c.counted, self.now, token_id(c.id, key, c.visits), true);
            let tc = self.slab.get_mut(t);
            (tc.arrival, tc.fork, tc.booked_step, tc.factor) = (c.arrival, inst, c.booked_step, c.factor);
            started.push((t, tc.token, step));
            let token_id = tc.id;
            self.forks.insts[inst as usize].tokens.push(t);
            self.trace.fork(self.now, c.id, token_id);
        }
        for (t, token, step) in started {
            let tc = self.slab.get(t);
            if tc.token == token && tc.state != State::Free {
                self.enter(t, step);
            }
        }
    }

    /// The branch token in `slot` reaches its join.
    pub(super) fn join_arrive(&mut self, slot: u32) {
        let c = *self.slab.get(slot);
        let i = c.fork;
        let inst = &mut self.forks.insts[i as usize];
        if inst.arrived == 0 {
            inst.first = self.now;
        }
        inst.arrived += 1;
        if let Some(k) = inst.tokens.iter().position(|&t| t == slot) {
            inst.tokens.swap_remove(k);
        }
        let (parent, join, done, first) = (inst.parent, inst.join as usize, inst.arrived == inst.taken, inst.first);
        self.slab.remove(slot);
        self.trace.join(self.now, c.id);
        self.slab.get_mut(parent).wait += c.wait;
        if done {
            self.forks.release(i);
            let counted = self.slab.get(parent).counted;
            self.obs.sync_wait(join, counted, self.now - first);
            self.enter(parent, join);
        }
    }

    /// The branch token in `slot` gives up (it is removed by the caller): every other token
    /// of its case, and the case's records, leave with it.
    pub(super) fn withdraw_case(&mut self, slot: u32) {
        let mut root = slot;
        while self.slab.get(root).fork != NO_FORK {
            let f = self.slab.get(root).fork;
            root = self.forks.insts[f as usize].parent;
        }
        let mut groups: Vec<usize> = Vec::new();
        self.withdraw(root, slot, &mut groups);
        groups.sort_unstable();
        groups.dedup();
        for g in groups {
            self.dispatch(g);
        }
    }

    /// Removes the record in `slot` (and, when it is split, all its tokens) except `keep`;
    /// staff groups freed go to `groups` (they take their next customers afterwards).
    fn withdraw(&mut self, slot: u32, keep: u32, groups: &mut Vec<usize>) {
        let inner = self.forks.inner(slot);
        if inner != NO_FORK {
            let tokens = std::mem::take(&mut self.forks.insts[inner as usize].tokens);
            for &t in &tokens {
                self.withdraw(t, keep, groups);
            }
            self.forks.insts[inner as usize].tokens = tokens;
            self.forks.release(inner);
        }
        if slot == keep {
            return;
        }
        let m = self.m;
        let c = *self.slab.get(slot);
        let s = c.step as usize;
        let step = &m.steps[s];
        let now = self.now;
        if inner == NO_FORK {
            match c.state {
                State::Waiting => {
                    if step.batch.is_some() {
                        if let Some(k) = self.batch_buf[s].iter().position(|&x| x == slot) {
                            self.batch_buf[s].remove(k);
                        }
                    } else if let Some(p) = step.pool {
                        self.waiting_p[p] -= 1;
                    }
                    self.obs.queue_leave(s, c.since, now);
                }
                State::Busy if c.group != NO_GROUP && step.pool.is_some() && step.batch.is_none() => {
                    let g = c.group as usize;
                    self.staff[g].busy -= 1;
                    self.obs.busy(g, c.since, now);
                    if m.resources[g].preempt {
                        let list = &mut self.in_service[g];
                        if let Some(k) = list.iter().position(|&x| x == slot) {
                            list.swap_remove(k);
                            if let Some(&moved) = list.get(k) {
                                self.slab.get_mut(moved).in_svc = k as u32;
                            }
                        }
                    }
                    groups.push(g);
                }
                // In a delay, a batch's processing or away for rework: its pending event
                // goes stale with the slot.
                _ => {}
            }
        }
        self.trace.withdraw(now, c.id);
        self.slab.remove(slot);
    }
}
