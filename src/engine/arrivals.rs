//! Arrival times of (non-homogeneous) Poisson streams, generated exactly.
//!
//! A piecewise-constant rate is inverted through its cumulative intensity: draw a unit
//! exponential E and walk the intervals until the integrated rate reaches E. This is exact
//! (no clock restarted at interval boundaries) and needs one random number per arrival.

use rand_distr::{Distribution, Exp1};

use crate::model::{RateProfile, Rng};

/// The first arrival strictly after `now`, or `None` when there is none before `horizon`.
#[inline]
pub fn next_arrival(profile: &RateProfile, now: f64, horizon: f64, rng: &mut Rng) -> Option<f64> {
    let mut e: f64 = Exp1.sample(rng);
    match profile {
        RateProfile::Constant(r) => {
            if *r <= 0.0 {
                return None;
            }
            let t = now + e / r;
            (t < horizon).then_some(t)
        }
        RateProfile::Piecewise { interval, rates } => {
            let mut t = now;
            let mut i = (t / interval) as usize;
            while i < rates.len() {
                let end = (i + 1) as f64 * interval;
                let r = rates[i];
                let room = end - t;
                if r > 0.0 && r * room >= e {
                    t += e / r;
                    return (t < horizon).then_some(t);
                }
                e -= r * room.max(0.0);
                t = end;
                if t >= horizon {
                    return None;
                }
                i += 1;
            }
            None
        }
        RateProfile::Timeline(tl) => {
            if tl.per_period <= 0.0 {
                return None;
            }
            let (mut k, mut i) = tl.locate(now);
            let mut t = now;
            loop {
                let base = k as f64 * tl.period;
                let end = base + tl.end(i);
                let r = tl.values[i];
                let room = end - t;
                if r > 0.0 && r * room >= e {
                    t += e / r;
                    return (t < horizon).then_some(t);
                }
                e -= r * room.max(0.0);
                t = end;
                if t >= horizon {
                    return None;
                }
                i += 1;
                if i == tl.times.len() {
                    i = 0;
                    k += 1;
                }
            }
        }
    }
}
