//! Experiments: many replications of every variant, in parallel, reproducibly.
//!
//! Replication `i` of every variant uses the random streams of (seed, i), so variants are
//! compared under common random numbers. Replications run in parallel (rayon); each worker
//! folds what it runs into its own tally, and tallies merge exactly in any order (integer
//! counts, fixed-point sums, histograms; KPI rows are put back in replication order), so
//! every output byte is the same for any thread count and any completion order.

pub mod accumulate;
pub mod compare;
pub mod precision;
pub mod sweep;

use rayon::prelude::*;

use crate::engine;
use crate::model::Model;
pub use accumulate::{Band, PartialVariant, VariantResult};
pub use precision::{Precision, PrecisionTarget};

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
}

/// Runs replications `from..to` of `model` and appends them to `acc`.
/// `progress` is told of every replication that finishes (from the worker threads).
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
    acc.reserve(to.saturating_sub(from) as usize);
    // Set by the first replication that hits a cap, so that the others stop too.
    let capped = AtomicBool::new(false);
    let stop = || capped.load(Ordering::Relaxed) || (ctl.cancel)();
    let is_cap = |s: &engine::Stop| matches!(s, engine::Stop::EventLimit(_) | engine::Stop::CustomerLimit(_));
    // Each worker folds the replications it runs into its own tally as it goes (no ordered
    // hand-over, no barrier between batches): tallies merge exactly in any order and the rows
    // are put in replication order at the end, so the outputs do not depend on the threads.
    let fresh = || Folded { tally: acc.tally(), incomplete: false, cap: None };
    let folded = (from..to)
        .into_par_iter()
        .fold(fresh, |mut f, i| {
            if stop() {
                f.incomplete = true;
                return f;
            }
            let r = engine::simulate_until(model, seed, i, &stop);
            if is_cap(&r.stop) {
                if ctl.stop_on_cap {
                    capped.store(true, Ordering::Relaxed);
                }
                if f.cap.as_ref().is_none_or(|(k, _)| i < *k) {
                    f.cap = Some((i, r.stop.clone()));
                }
            }
            f.incomplete |= r.stop == engine::Stop::Cancelled;
            f.tally.add(i, r);
            progress(1);
            f
        })
        .reduce(fresh, |a, b| Folded {
            tally: a.tally.merge(b.tally),
            incomplete: a.incomplete || b.incomplete,
            cap: match (a.cap, b.cap) {
                (Some(x), Some(y)) => Some(if x.0 <= y.0 { x } else { y }),
                (x, y) => x.or(y),
            },
        });
    if ctl.stop_on_cap {
        if let Some((replication, stop)) = folded.cap {
            return Err(Halt::Cap { variant: acc.name.clone(), replication, stop });
        }
    }
    if folded.incomplete {
        return Err(Halt::Cancelled);
    }
    acc.absorb_tally(folded.tally);
    Ok(())
}

/// What the workers of `run_range_ctl` fold into: the replications, and whether the run must
/// halt.
struct Folded {
    tally: accumulate::Tally,
    /// A replication was skipped or cancelled.
    incomplete: bool,
    /// The lowest replication that hit a cap, with its stop.
    cap: Option<(u64, engine::Stop)>,
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
