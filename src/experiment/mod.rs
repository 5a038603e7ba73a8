//! Experiments: many replications of every variant, in parallel, reproducibly.
//!
//! Replication `i` of every variant uses the random streams of (seed, i), so variants are
//! compared under common random numbers. Replications run in parallel chunks (rayon) but are
//! folded into the accumulators strictly in replication order, so every output byte is the
//! same for any thread count and any completion order.

pub mod accumulate;
pub mod compare;
pub mod precision;
pub mod sweep;

use rayon::prelude::*;

use crate::engine::{self, ReplicationResult};
use crate::model::Model;
pub use accumulate::{Band, PartialVariant, VariantResult};
pub use precision::{Precision, PrecisionTarget};

/// Replications simulated in parallel before they are folded in order; bounds the memory held
/// by results not yet folded.
pub const CHUNK: usize = 64;

/// What may end a run before all its replications are done.
pub struct Control<'a> {
    /// Asked between replications and every 65,536 events inside one: `true` stops the run
    /// (a signal arrived).
    pub cancel: &'a (dyn Fn() -> bool + Sync),
    /// Stop the whole run at the first replication that hits a safety cap (events per
    /// replication, customers in system), instead of recording it and going on.
    pub stop_on_cap: bool,
}

fn never() -> bool {
    false
}

impl Control<'static> {
    /// Never cancelled; capped replications are recorded (`stopped_early`) and the run goes on.
    pub const NONE: Control<'static> = Control { cancel: &never, stop_on_cap: false };
}

/// Why a run ended early.
#[derive(Clone, Debug, PartialEq)]
pub enum Halt {
    /// `Control::cancel` said so.
    Cancelled,
    /// Replication `replication` of variant `variant` hit a safety cap (`stop` says which).
    Cap { variant: String, replication: u64, stop: engine::Stop },
    /// Variant `variant` is expected to need more events per replication than the events
    /// cap allows (`Model::expected_events`): refused before simulating anything.
    TooLarge { variant: String, expected: f64, cap: u64 },
}

/// Whether a replication's stop is a safety cap.
fn is_cap(stop: &engine::Stop) -> bool {
    matches!(stop, engine::Stop::EventLimit(_) | engine::Stop::CustomerLimit(_) | engine::Stop::VisitLimit(_))
}

/// Runs replications `from..to` of `model` and folds them into `acc` in order.
/// `progress` is told how many replications have finished after each chunk.
pub fn run_range(
    model: &Model,
    seed: u64,
    from: u64,
    to: u64,
    acc: &mut VariantResult,
    progress: &(dyn Fn(u64) + Sync),
) {
    let _ = run_range_ctl(model, seed, from, to, acc, progress, &Control::NONE);
}

/// `run_range` under a `Control`: on `Err` the run stopped early and `acc` holds only part of
/// the replications (it must not be reported).
pub fn run_range_ctl(
    model: &Model,
    seed: u64,
    from: u64,
    to: u64,
    acc: &mut VariantResult,
    progress: &(dyn Fn(u64) + Sync),
    ctl: &Control<'_>,
) -> Result<(), Halt> {
    use std::sync::atomic::{AtomicBool, Ordering};
    // A model that needs more events than the cap allows would only be stopped by the cap
    // after minutes of work: refuse it at once (the expectation comes from the traffic
    // equations; a NaN expectation is an overflow and refused too).
    let cap = model.limits.max_events;
    let expected = model.expected_events;
    if ctl.stop_on_cap && from < to && (expected.is_nan() || expected > cap as f64) {
        return Err(Halt::TooLarge { variant: acc.name.clone(), expected: model.expected_events, cap });
    }
    acc.reserve(to.saturating_sub(from) as usize);
    // Set by the first replication that hits a cap, so that the others of its chunk stop too.
    let capped = AtomicBool::new(false);
    let stop = || capped.load(Ordering::Relaxed) || (ctl.cancel)();
    let simulate = |i: u64| -> Option<ReplicationResult> {
        if stop() {
            return None;
        }
        let r = engine::simulate_until(model, seed, i, &stop);
        if ctl.stop_on_cap && is_cap(&r.stop) {
            capped.store(true, Ordering::Relaxed);
        }
        Some(r)
    };
    // Folding is serial (replication order fixes the bytes of every output), so it overlaps
    // with simulating the next chunk: while one thread folds chunk i, the others already run
    // chunk i + 1.
    let mut pending: Vec<ReplicationResult> = Vec::new();
    let mut start = from;
    loop {
        let end = (start + CHUNK as u64).min(to);
        let folding = std::mem::take(&mut pending);
        let ((), next) = rayon::join(
            || {
                let n = folding.len() as u64;
                for r in folding {
                    acc.add(r);
                }
                if n > 0 {
                    progress(n);
                }
            },
            || (start..end).into_par_iter().map(simulate).collect::<Vec<_>>(),
        );
        if ctl.stop_on_cap {
            let first_cap = next
                .iter()
                .enumerate()
                .find_map(|(k, r)| r.as_ref().filter(|r| is_cap(&r.stop)).map(|r| (start + k as u64, r.stop.clone())));
            if let Some((replication, stop)) = first_cap {
                return Err(Halt::Cap { variant: acc.name.clone(), replication, stop });
            }
        }
        if next.iter().any(|r| r.as_ref().is_none_or(|r| r.stop == engine::Stop::Cancelled)) {
            return Err(Halt::Cancelled);
        }
        if next.is_empty() {
            break;
        }
        pending = next.into_iter().flatten().collect();
        start = end;
    }
    Ok(())
}

/// One variant to run, by name.
pub struct Job<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub model: &'a Model,
}

/// Runs every job for `replications` replications (or until the precision targets are met).
pub fn run(
    jobs: &[Job<'_>],
    seed: u64,
    replications: u64,
    precision: Option<&Precision>,
    progress: &(dyn Fn(u64) + Sync),
) -> (Vec<VariantResult>, Option<precision::Outcome>) {
    let (accs, outcome, _) = run_inner(jobs, seed, replications, precision, progress, &Control::NONE);
    (accs, outcome)
}

/// `run` under a `Control`: `Err` when the run was cancelled or hit a safety cap (nothing of
/// it may be reported).
pub fn run_ctl(
    jobs: &[Job<'_>],
    seed: u64,
    replications: u64,
    precision: Option<&Precision>,
    progress: &(dyn Fn(u64) + Sync),
    ctl: &Control<'_>,
) -> Result<(Vec<VariantResult>, Option<precision::Outcome>), Halt> {
    match run_inner(jobs, seed, replications, precision, progress, ctl) {
        (accs, outcome, None) => Ok((accs, outcome)),
        (_, _, Some(h)) => Err(h),
    }
}

type Ran = (Vec<VariantResult>, Option<precision::Outcome>, Option<Halt>);

fn run_inner(
    jobs: &[Job<'_>],
    seed: u64,
    replications: u64,
    precision: Option<&Precision>,
    progress: &(dyn Fn(u64) + Sync),
    ctl: &Control<'_>,
) -> Ran {
    let mut accs: Vec<VariantResult> =
        jobs.iter().map(|j| VariantResult::new(j.name, j.description, j.model)).collect();
    let mut done = 0u64;
    let target = match precision {
        Some(p) => replications.min(p.max_replications),
        None => replications,
    };
    for (j, acc) in jobs.iter().zip(accs.iter_mut()) {
        if let Err(h) = run_range_ctl(j.model, seed, done, target, acc, progress, ctl) {
            return (accs, None, Some(h));
        }
    }
    done = target;
    let mut outcome = None;
    if let Some(p) = precision {
        loop {
            let status = p.evaluate(&accs);
            if status.all_met() || done >= p.max_replications {
                outcome = Some(status);
                break;
            }
            let next = p.next_total(done);
            for (j, acc) in jobs.iter().zip(accs.iter_mut()) {
                if let Err(h) = run_range_ctl(j.model, seed, done, next, acc, progress, ctl) {
                    return (accs, None, Some(h));
                }
            }
            done = next;
        }
    }
    (accs, outcome, None)
}

/// Runs replications `from..to` of every job (one shard of a larger study).
pub fn run_slice(
    jobs: &[Job<'_>],
    seed: u64,
    from: u64,
    to: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<VariantResult> {
    jobs.iter()
        .map(|j| {
            let mut acc = VariantResult::new(j.name, j.description, j.model);
            acc.first_rep = from;
            run_range(j.model, seed, from, to, &mut acc, progress);
            acc
        })
        .collect()
}

/// `run_slice` under a `Control`.
pub fn run_slice_ctl(
    jobs: &[Job<'_>],
    seed: u64,
    from: u64,
    to: u64,
    progress: &(dyn Fn(u64) + Sync),
    ctl: &Control<'_>,
) -> Result<Vec<VariantResult>, Halt> {
    let mut out = Vec::with_capacity(jobs.len());
    for j in jobs {
        let mut acc = VariantResult::new(j.name, j.description, j.model);
        acc.first_rep = from;
        run_range_ctl(j.model, seed, from, to, &mut acc, progress, ctl)?;
        out.push(acc);
    }
    Ok(out)
}

/// The replications of shard `k` (0-based) of `n`: contiguous, sizes differing by at most one.
pub fn shard_range(replications: u64, k: u64, n: u64) -> (u64, u64) {
    (replications * k / n, replications * (k + 1) / n)
}
