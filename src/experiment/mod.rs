//! Experiments: many replications of every variant, in parallel, reproducibly.
//!
//! Replication `i` of every variant uses the random streams of (seed, i), so variants are
//! compared under common random numbers. Replications run in parallel on every thread of the
//! rayon pool without barriers (`ordered`) but are folded into the accumulators strictly in
//! replication order, so every output byte is the same for any thread count and any
//! completion order.

pub mod accumulate;
pub mod compare;
pub mod ordered;
pub mod precision;
pub mod sweep;

use crate::engine::{self, ReplicationResult};
use crate::model::Model;
pub use accumulate::{Band, PartialVariant, VariantResult};
pub use precision::{Precision, PrecisionTarget};

/// Replications that may be simulated ahead of the fold (which goes in replication order):
/// bounds the memory held by results not yet folded.
pub const WINDOW: usize = 128;

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
/// `progress` is told each replication that has been folded.
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
    run_jobs_range(&[model], seed, from..to, std::slice::from_mut(acc), progress, ctl, &mut |_, _| {})
}

/// Told each replication as soon as it is folded, in fold order: the index of its job and the
/// job's results so far (the new replication's KPIs are the last of `rows`). It runs on the
/// thread that folds, while the other threads simulate: work that needs only the replication
/// rows (`report::xlsx::Book`) is done there instead of after the last replication.
pub type OnFold<'a> = dyn FnMut(usize, &VariantResult) + Send + 'a;

/// Runs replications `from..to` of every model and folds them into the matching `accs` in
/// replication order. All (model, replication) pairs form one parallel loop (see `ordered`):
/// no thread waits at the end of a chunk or of a variant.
fn run_jobs_range(
    models: &[&Model],
    seed: u64,
    reps: std::ops::Range<u64>,
    accs: &mut [VariantResult],
    progress: &(dyn Fn(u64) + Sync),
    ctl: &Control<'_>,
    on_fold: &mut OnFold<'_>,
) -> Result<(), Halt> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};
    debug_assert_eq!(models.len(), accs.len());
    let std::ops::Range { start: from, end: to } = reps;
    if from >= to {
        return Ok(());
    }
    // A model that needs more events than the cap allows would only be stopped by the cap
    // after minutes of work: refuse it at once (the expectation comes from the traffic
    // equations; a NaN expectation is an overflow and refused too).
    if ctl.stop_on_cap {
        for (m, acc) in models.iter().zip(accs.iter()) {
            let cap = m.limits.max_events;
            let expected = m.expected_events;
            if expected.is_nan() || expected > cap as f64 {
                return Err(Halt::TooLarge { variant: acc.name.clone(), expected, cap });
            }
        }
    }
    let per = to - from;
    for acc in accs.iter_mut() {
        acc.reserve(per as usize);
    }
    // Item k of the loop is replication from + k % per of model k / per.
    let split = |k: u64| ((k / per) as usize, from + k % per);
    // Set by the first replication that hits a cap, so that the others stop too; the lowest
    // capped item is the one reported.
    let capped = AtomicBool::new(false);
    let first_cap: Mutex<Option<(u64, engine::Stop)>> = Mutex::new(None);
    let cancelled = AtomicBool::new(false);
    let stop = || capped.load(Ordering::Relaxed) || (ctl.cancel)();
    let simulate = |k: u64| -> Option<ReplicationResult> {
        if stop() {
            cancelled.store(true, Ordering::Relaxed);
            return None;
        }
        let (j, i) = split(k);
        let r = engine::simulate_until(models[j], seed, i, &stop);
        if ctl.stop_on_cap && is_cap(&r.stop) {
            let mut first = first_cap.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if first.as_ref().is_none_or(|(f, _)| k < *f) {
                *first = Some((k, r.stop.clone()));
            }
            capped.store(true, Ordering::Relaxed);
            return None;
        }
        if r.stop == engine::Stop::Cancelled {
            cancelled.store(true, Ordering::Relaxed);
            return None;
        }
        Some(r)
    };
    let fold = |k: u64, r: &mut ReplicationResult| {
        let j = split(k).0;
        accs[j].add(r);
        on_fold(j, &accs[j]);
        progress(1);
        true
    };
    let folded = ordered::for_each_ordered(per * models.len() as u64, WINDOW, simulate, fold);
    if let Some((k, stop)) = first_cap.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
        let (j, replication) = split(k);
        return Err(Halt::Cap { variant: accs[j].name.clone(), replication, stop });
    }
    if cancelled.into_inner() || folded < per * models.len() as u64 {
        return Err(Halt::Cancelled);
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

/// `run_ctl` without precision targets, telling `on_fold` each replication as it is folded:
/// job by job, each in replication order (one pass over all replications).
pub fn run_ctl_folding(
    jobs: &[Job<'_>],
    seed: u64,
    replications: u64,
    progress: &(dyn Fn(u64) + Sync),
    ctl: &Control<'_>,
    on_fold: &mut OnFold<'_>,
) -> Result<Vec<VariantResult>, Halt> {
    let mut accs = new_accs(jobs, 0);
    run_jobs_range(&job_models(jobs), seed, 0..replications, &mut accs, progress, ctl, on_fold)?;
    Ok(accs)
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
    let mut accs = new_accs(jobs, 0);
    let models = job_models(jobs);
    let mut done = 0u64;
    let target = match precision {
        Some(p) => replications.min(p.max_replications),
        None => replications,
    };
    if let Err(h) = run_jobs_range(&models, seed, done..target, &mut accs, progress, ctl, &mut |_, _| {}) {
        return (accs, None, Some(h));
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
            if let Err(h) = run_jobs_range(&models, seed, done..next, &mut accs, progress, ctl, &mut |_, _| {}) {
                return (accs, None, Some(h));
            }
            done = next;
        }
    }
    (accs, outcome, None)
}

/// Empty results for every job, holding replications from `first_rep` on.
fn new_accs(jobs: &[Job<'_>], first_rep: u64) -> Vec<VariantResult> {
    jobs.iter()
        .map(|j| {
            let mut acc = VariantResult::new(j.name, j.description, j.model);
            acc.first_rep = first_rep;
            acc
        })
        .collect()
}

fn job_models<'a>(jobs: &[Job<'a>]) -> Vec<&'a Model> {
    jobs.iter().map(|j| j.model).collect()
}

/// Runs replications `from..to` of every job (one shard of a larger study).
pub fn run_slice(
    jobs: &[Job<'_>],
    seed: u64,
    from: u64,
    to: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<VariantResult> {
    let mut out = new_accs(jobs, from);
    // Without a cancel or a stop on caps nothing ends the loop early.
    let _ = run_jobs_range(&job_models(jobs), seed, from..to, &mut out, progress, &Control::NONE, &mut |_, _| {});
    out
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
    let mut out = new_accs(jobs, from);
    run_jobs_range(&job_models(jobs), seed, from..to, &mut out, progress, ctl, &mut |_, _| {})?;
    Ok(out)
}

/// The replications of shard `k` (0-based) of `n`: contiguous, sizes differing by at most one.
pub fn shard_range(replications: u64, k: u64, n: u64) -> (u64, u64) {
    (replications * k / n, replications * (k + 1) / n)
}
