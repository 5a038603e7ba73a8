//! Arrival times of (non-homogeneous) Poisson streams, generated exactly.
//!
//! A piecewise-constant rate is inverted through its cumulative intensity: draw a unit
//! exponential E and walk the intervals until the integrated rate reaches E. This is exact
//! (no clock restarted at interval boundaries) and needs one random number per arrival.

use rand_distr::{Distribution, Exp1};

use crate::model::{RateProfile, Rng};

/// The first arrival strictly after `now`, or `None` when there is none before `horizon`.
/// A constant rate, the common case, is handled inline in the event loop.
#[inline(always)]
pub fn next_arrival(profile: &RateProfile, now: f64, horizon: f64, rng: &mut Rng) -> Option<f64> {
    if let RateProfile::Constant(r) = profile {
        return after_constant(*r, Exp1.sample(rng), now, horizon);
    }
    next_varying(profile, now, horizon, rng)
}

/// `next_arrival` for a constant rate `r` (per minute), known without reading the profile.
#[inline(always)]
pub fn next_constant(r: f64, now: f64, horizon: f64, rng: &mut Rng) -> Option<f64> {
    after_constant(r, Exp1.sample(rng), now, horizon)
}

/// The arrival a unit exponential `e` after `now` at constant rate `r`, if before `horizon`.
#[inline(always)]
fn after_constant(r: f64, e: f64, now: f64, horizon: f64) -> Option<f64> {
    if r <= 0.0 {
        return None;
    }
    let t = now + e / r;
    (t < horizon).then_some(t)
}

#[inline(never)]
fn next_varying(profile: &RateProfile, now: f64, horizon: f64, rng: &mut Rng) -> Option<f64> {
    let e: f64 = Exp1.sample(rng);
    match profile {
        RateProfile::Constant(r) => after_constant(*r, e, now, horizon),
        RateProfile::Piecewise { interval, rates } => {
            let first = (now / interval) as usize;
            let segments = rates.iter().enumerate().skip(first).map(|(i, r)| ((i + 1) as f64 * interval, *r));
            invert(e, now, horizon, segments)
        }
        RateProfile::Timeline(tl) => {
            if tl.per_period <= 0.0 {
                return None;
            }
            let (k0, i0) = tl.locate(now);
            let n = tl.times.len();
            // Segments of the repeating timeline from the one holding `now`, period after period.
            let segments = (i0..).map(move |j| {
                let (k, i) = (k0 + (j / n) as u64, j % n);
                (k as f64 * tl.period + tl.end(i), tl.values[i])
            });
            invert(e, now, horizon, segments)
        }
    }
}

/// Walks piecewise-constant `segments` (end, rate) from `now` until the integrated rate
/// reaches the unit exponential `e`: the arrival time, or `None` past the segments or the
/// horizon.
#[inline]
fn invert(mut e: f64, now: f64, horizon: f64, segments: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let mut t = now;
    for (end, r) in segments {
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
    }
    None
}
