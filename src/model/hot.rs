//! What the engine reads of the model at every event, packed into small flat arrays.
//!
//! Why: in a model of thousands of stations each event touches a different station, so
//! every read of the model is a cache miss, and the model's own layout chains them: a
//! step (a 300-byte record) names its pool, whose group list is a separate allocation,
//! whose group indexes the staff; routing and service times go through two more
//! allocations per step. 10,000 parallel stations cost 12.8× the time per customer of one,
//! with the same instructions ±2×. These tables hold the common case of each lookup in a
//! few bytes per step, stream or resource, computed once when the model is compiled (they
//! depend on the model's structure only, which nothing changes after compiling; `staff`
//! may change, and is not here). Where the common case does not hold, the table says so
//! (`NONE`) and the engine takes the full model's path, with the same result.

use std::collections::HashMap;

use super::{ArrivalStream, Dist, Pool, RateProfile, Resource, Step};

/// An index that is absent: the engine falls back on the full model.
pub const NONE: u32 = u32::MAX;
/// `StepHot::next` of a step after which every customer leaves.
pub const LEAVE: u32 = u32::MAX - 1;

/// A step as the engine sees it at a visit (32 bytes, aligned: two per cache line, none
/// across two).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(align(32))]
pub struct StepHot {
    /// The step's pool, `NONE` for a delay (no resource).
    pub pool: u32,
    /// The pool's only staff group, `NONE` when it has several (or none).
    pub group: u32,
    /// The service distribution (in `Hot::dists`) when every customer type has the same,
    /// else `NONE` (then `Step::service`).
    pub service: u32,
    /// Where every customer goes after the step when that is certain (one successor with
    /// probability 1 for every type): the step, `LEAVE`, or `NONE` (routing is drawn).
    pub next: u32,
    pub service_key: u64,
    pub routing_key: u64,
}

/// An arrival stream as the engine sees it at an arrival (24 bytes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArrivalHot {
    /// Constant rate per minute; NaN for a varying profile (then read `ArrivalStream`).
    pub rate: f64,
    pub customer: u32,
    pub first_step: u32,
    /// The first step's only staff group (`StepHot::group`), `NONE` when it has several or
    /// none: with the step, what an arrival will read next, known from the stream alone.
    pub first_group: u32,
}

/// The packed tables of a model (see the module's doc).
#[derive(Clone, Debug, Default)]
pub struct Hot {
    pub steps: Vec<StepHot>,
    pub arrivals: Vec<ArrivalHot>,
    /// Per resource: its only skill (pool), `NONE` when it serves several.
    pub solo_skill: Vec<u32>,
    /// The distinct service distributions of `StepHot::service`: steps with equal
    /// parameters share one (a region's stations often do), which then stays in cache.
    /// A distribution is its parameters only: the draws are keyed by the step.
    pub dists: Vec<Dist>,
    /// What the engine asks of the whole model once per replication, answered once here:
    /// a scan of 10,000 steps' or streams' full records costs as much as simulating a few
    /// thousand customers.
    pub flags: Flags,
}

/// Yes-or-no questions about all steps, streams or resources (see `Hot::flags`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Flags {
    /// A step uses an optional behaviour (see `Model::uses_optional_features`).
    pub optional_steps: bool,
    /// A resource preempts or works at a speed other than 1.
    pub optional_resources: bool,
    /// A stream books appointments.
    pub booked: bool,
    /// A step forks its cases.
    pub forks: bool,
    /// A step batches its cases.
    pub batches: bool,
    /// A batch step releases at set times.
    pub timed_batches: bool,
    /// A resource preempts.
    pub preempt: bool,
}

impl Hot {
    pub fn of(
        arrivals: &[ArrivalStream],
        resources: &[Resource],
        pools: &[Pool],
        steps: &[Step],
        dists: &[Dist],
    ) -> Hot {
        let mut shared: Vec<Dist> = Vec::new();
        // Keyed by the parameters' `Debug` text: floats print as the shortest text that
        // reads back to the same bits, so equal texts are equal parameters.
        let mut seen: HashMap<String, u32> = HashMap::new();
        let mut share = |d: usize| {
            *seen.entry(format!("{:?}", dists[d])).or_insert_with(|| {
                shared.push(dists[d].clone());
                (shared.len() - 1) as u32
            })
        };
        let flags = Flags::of(arrivals, resources, steps);
        let steps = steps
            .iter()
            .map(|st| {
                let mut h = step_hot(st, pools);
                if h.service != NONE {
                    h.service = share(h.service as usize);
                }
                h
            })
            .collect::<Vec<StepHot>>();
        let arrivals = arrivals
            .iter()
            .map(|a| ArrivalHot {
                rate: match a.profile {
                    RateProfile::Constant(r) => r,
                    _ => f64::NAN,
                },
                customer: a.customer as u32,
                first_step: a.first_step as u32,
                first_group: steps.get(a.first_step).map_or(NONE, |h: &StepHot| h.group),
            })
            .collect();
        Hot {
            steps,
            dists: shared,
            arrivals,
            solo_skill: resources.iter().map(|r| if r.skills.len() == 1 { r.skills[0] as u32 } else { NONE }).collect(),
            flags,
        }
    }
}

impl Flags {
    pub fn of(arrivals: &[ArrivalStream], resources: &[Resource], steps: &[Step]) -> Flags {
        Flags {
            optional_steps: steps.iter().any(|s| {
                s.pass_through
                    || s.batch.is_some()
                    || s.repeat.is_some()
                    || s.automation.is_some()
                    || s.context_factor != 1.0
                    || s.special
                    || s.fork.is_some()
            }),
            optional_resources: resources.iter().any(|r| r.preempt || r.speed != 1.0),
            booked: arrivals.iter().any(|a| a.appointments.is_some()),
            forks: steps.iter().any(|s| s.fork.is_some()),
            batches: steps.iter().any(|s| s.batch.is_some()),
            preempt: resources.iter().any(|r| r.preempt),
            timed_batches: steps.iter().any(|s| s.batch.as_ref().is_some_and(|b| b.at.is_some())),
        }
    }
}

impl super::Model {
    /// The service distribution of step `s` for customer type `ct`.
    #[inline(always)]
    pub fn service_dist(&self, s: usize, ct: usize) -> &Dist {
        match self.hot.steps[s].service {
            NONE => &self.dists[self.steps[s].service[ct]],
            d => &self.hot.dists[d as usize],
        }
    }
}

fn step_hot(st: &Step, pools: &[Pool]) -> StepHot {
    let pool = st.pool.map_or(NONE, |p| p as u32);
    let group = match st.pool.map(|p| pools[p].groups.as_slice()) {
        Some(&[g]) => g as u32,
        _ => NONE,
    };
    let service = match st.service.split_first() {
        Some((&d, rest)) if rest.iter().all(|&x| x == d) => d as u32,
        _ => NONE,
    };
    // A route with one successor whose cumulative probability is at least 1 picks it for
    // every uniform draw in [0, 1): the draw can be skipped (it has no other effect).
    let certain = |r: &super::Route| match (r.to.as_slice(), r.cum.as_slice()) {
        ([], _) => LEAVE,
        (&[to], &[c]) if c >= 1.0 => to as u32,
        _ => NONE,
    };
    let next = match st.route.split_first() {
        Some((first, rest)) => {
            let n = certain(first);
            if rest.iter().all(|r| certain(r) == n) { n } else { NONE }
        }
        None => NONE,
    };
    StepHot { pool, group, service, next, service_key: st.service_key, routing_key: st.routing_key }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> crate::model::Model {
        let loaded = crate::scenario::load_str(text, "test.toml").unwrap_or_else(|e| panic!("{}", e.render()));
        loaded.baseline().model.clone()
    }

    /// Every entry of the packed tables says what the full model says, for every shipped
    /// scenario: a group only for a pool of that one group, a shared distribution with the
    /// parameters of every type's own, a successor only where every draw picks it.
    #[test]
    fn packed_tables_agree_with_the_model() {
        let mut checked = (0, 0, 0);
        for dir in ["scenarios", "scenarios/theory"] {
            for e in std::fs::read_dir(dir).expect("scenario folder") {
                let p = e.expect("entry").path();
                if p.extension().is_none_or(|x| x != "toml") {
                    continue;
                }
                let loaded = crate::scenario::load_file(&p).unwrap_or_else(|e| panic!("{}", e.render()));
                for v in &loaded.variants {
                    let m = &v.model;
                    assert_eq!(m.hot.steps.len(), m.steps.len());
                    for (s, (h, st)) in m.hot.steps.iter().zip(&m.steps).enumerate() {
                        assert_eq!(h.pool, st.pool.map_or(NONE, |p| p as u32));
                        if h.group != NONE {
                            assert_eq!(m.pools[h.pool as usize].groups, [h.group as usize]);
                            checked.0 += 1;
                        }
                        for ct in 0..m.customers.len() {
                            let full = format!("{:?}", m.dists[st.service[ct]]);
                            assert_eq!(format!("{:?}", m.service_dist(s, ct)), full, "{}", p.display());
                            if h.next != NONE {
                                let r = &st.route[ct];
                                for u in [0.0, 0.5, 1.0 - f64::EPSILON] {
                                    let picked = if r.to.is_empty() { None } else { r.pick(u) };
                                    assert_eq!(picked.map_or(LEAVE, |n| n as u32), h.next, "{}", p.display());
                                }
                                checked.1 += 1;
                            }
                        }
                    }
                    for (r, res) in m.resources.iter().enumerate() {
                        let solo = m.hot.solo_skill[r];
                        assert_eq!(solo != NONE, res.skills.len() == 1);
                        if solo != NONE {
                            assert_eq!(res.skills[0], solo as usize);
                        }
                    }
                    for (h, a) in m.hot.arrivals.iter().zip(&m.arrivals) {
                        assert_eq!((h.customer as usize, h.first_step as usize), (a.customer, a.first_step));
                        match a.profile {
                            RateProfile::Constant(r) => assert_eq!(h.rate.to_bits(), r.to_bits()),
                            _ => {
                                assert!(h.rate.is_nan());
                                checked.2 += 1;
                            }
                        }
                    }
                }
            }
        }
        // Each fast path and the varying-rate fallback occur, so the checks bite.
        assert!(checked.0 > 10 && checked.1 > 10 && checked.2 > 0, "{checked:?}");
    }

    /// Stations with equal service parameters share one distribution; a route with a choice
    /// or a chance of leaving, and a pool of two groups, are left to the full model.
    #[test]
    fn shared_distributions_and_fallbacks() {
        let m = model(
            r#"
name = "hot"
horizon = "100min"
[[customers]]
name = "c"
first_step = "a"
[[arrivals]]
customer = "c"
rate = "1/min"
[[resources]]
name = "r"
staff = 1
skills = ["b"]
[[resources]]
name = "b"
staff = 1
[[steps]]
name = "a"
resource = "r"
service = { dist = "exponential", mean = "2min" }
next = [{ step = "b", p = 0.5 }]
[[steps]]
name = "b"
resource = "b"
service = { dist = "exponential", mean = "2min" }
next = [{ step = "c", p = 1 }]
[[steps]]
name = "c"
resource = "r"
service = { dist = "exponential", mean = "3min" }
"#,
        );
        let h = &m.hot;
        assert_eq!(h.dists.len(), 2, "two distinct parameter sets");
        assert_eq!(h.steps[0].service, h.steps[1].service);
        assert_ne!(h.steps[0].service, h.steps[2].service);
        assert_eq!(h.steps[0].next, NONE, "half leave: drawn");
        assert_eq!(h.steps[1].next, 2);
        assert_eq!(h.steps[2].next, LEAVE);
        // Resource r serves its own pool and b's: several skills.
        assert_eq!(h.solo_skill[0], NONE);
        let pool_b = h.steps[1].pool as usize;
        assert_eq!(m.pools[pool_b].groups.len(), 2);
        assert_eq!(h.steps[1].group, NONE);
    }
}
