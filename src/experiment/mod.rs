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

use crate::engine;
use crate::model::Model;
pub use accumulate::{Band, Block, PartialVariant, VariantResult};
pub use precision::{Precision, PrecisionTarget};

/// Replications simulated in parallel before they are folded in order; bounds the memory held
/// by results not yet folded.
pub const CHUNK: usize = 64;

/// Replications one worker simulates and pre-folds as a unit (see `accumulate::Block`).
pub const BLOCK: u64 = 8;

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
    acc.reserve(to.saturating_sub(from) as usize);
    // Folding is serial (replication order fixes the bytes of every output), so it overlaps
    // with simulating the next chunk: while one thread folds chunk i, the others already run
    // chunk i + 1.
    let mut pending: Vec<Block> = Vec::new();
    let mut start = from;
    loop {
        let end = (start + CHUNK as u64).min(to);
        let folding = std::mem::take(&mut pending);
        let ((), next) = rayon::join(
            || {
                let n: u64 = folding.iter().map(|b| b.len() as u64).sum();
                for b in folding {
                    acc.add_block(b);
                }
                if n > 0 {
                    progress(n);
                }
            },
            || {
                let blocks: Vec<(u64, u64)> =
                    (start..end).step_by(BLOCK as usize).map(|a| (a, (a + BLOCK).min(end))).collect();
                blocks
                    .into_par_iter()
                    .map(|(a, b)| Block::run(model, a, b, |i| engine::simulate(model, seed, i)))
                    .collect::<Vec<_>>()
            },
        );
        if next.is_empty() {
            break;
        }
        pending = next;
        start = end;
    }
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
    let mut accs: Vec<VariantResult> =
        jobs.iter().map(|j| VariantResult::new(j.name, j.description, j.model)).collect();
    let mut done = 0u64;
    let target = match precision {
        Some(p) => replications.min(p.max_replications),
        None => replications,
    };
    for (j, acc) in jobs.iter().zip(accs.iter_mut()) {
        run_range(j.model, seed, done, target, acc, progress);
    }
    done = target;
    let outcome = precision.map(|p| {
        loop {
            let status = p.evaluate(&accs);
            if status.all_met() || done >= p.max_replications {
                break status;
            }
            let next = p.next_total(done);
            for (j, acc) in jobs.iter().zip(accs.iter_mut()) {
                run_range(j.model, seed, done, next, acc, progress);
            }
            done = next;
        }
    });
    (accs, outcome)
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

/// The replications of shard `k` (0-based) of `n`: contiguous, sizes differing by at most one.
pub fn shard_range(replications: u64, k: u64, n: u64) -> (u64, u64) {
    (replications * k / n, replications * (k + 1) / n)
}
