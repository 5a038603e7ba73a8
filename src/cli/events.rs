//! `branchsim run --events`: event logs of chosen replications (see `report::eventlog`), written
//! into the run's `events/` folder with the other results (staged, published together).

use std::collections::HashSet;

use clap::Args;

use super::run::Plan;
use crate::experiment::VariantResult;
use crate::report::eventlog::{self, Format};
use crate::report::files::Stage;

/// Default of `--events-max-mb`: 2 GB of logs, far more than a consultant opens in a
/// process-mining tool, small enough to notice a mistaken `--events=0-9999`.
pub const DEFAULT_MAX_MB: u64 = 2000;

/// The folder of the logs inside the output folder.
pub const FOLDER: &str = "events";

#[derive(Args, Debug, Clone)]
pub struct EventArgs {
    /// Write the event log of these replications (from 0) of every variant run into
    /// OUT/<scenario>/events/: `--events` alone is replication 0, `--events=0,3` or
    /// `--events=2-5` choose others (the `=` is needed).
    #[arg(long, value_name = "REPS", num_args = 0..=1, require_equals = true, default_missing_value = "0")]
    pub events: Option<String>,
    /// Event-log format: `csv` (one row per step visit), `xes` (IEEE 1849) or `ocel` (OCEL 2.0 JSON).
    #[arg(long, value_enum, default_value_t = Format::Csv, value_name = "FORMAT")]
    pub events_format: Format,
    /// Refuse a run whose event logs are estimated above this many megabytes (checked before
    /// anything is simulated).
    #[arg(long, default_value_t = DEFAULT_MAX_MB, value_name = "MB")]
    pub events_max_mb: u64,
}

/// The replications to trace, checked against the run's plan (indices, size cap); `None`
/// when no logs were asked for.
pub fn check(a: &EventArgs, plan: &Plan<'_>) -> Result<Option<Vec<u64>>, String> {
    let Some(text) = &a.events else { return Ok(None) };
    let reps = eventlog::parse_replications(text)?;
    let n = plan.replications;
    if let Some(bad) = reps.iter().find(|&&r| r >= n) {
        return Err(format!(
            "--events: replication {bad} does not exist: this run has {n} replication{}, numbered 0 to {}",
            if n == 1 { "" } else { "s" },
            n - 1
        ));
    }
    let events: f64 = plan.jobs.iter().map(|j| j.model.expected_events).sum();
    let bytes = events * reps.len() as f64 * a.events_format.bytes_per_event();
    let cap = a.events_max_mb as f64 * 1e6;
    if bytes.is_nan() || bytes > cap {
        let size = if bytes.is_finite() { format!("about {:.0} MB", bytes / 1e6) } else { "an unbounded size".into() };
        return Err(format!(
            "--events: the event logs would take {size} ({} replication{} of {} variant{}, about {:.3e} engine events in all), more than the cap of {} MB; nothing was simulated\n  help: trace fewer replications (--events=0), run fewer variants (--variant), or raise the cap with --events-max-mb N",
            reps.len(),
            if reps.len() == 1 { "" } else { "s" },
            plan.jobs.len(),
            if plan.jobs.len() == 1 { "" } else { "s" },
            events * reps.len() as f64,
            a.events_max_mb
        ));
    }
    Ok(Some(reps))
}

/// Stages the logs of replications `reps` of every variant into `events/` (or marks an earlier
/// run's folder for removal when `reps` is `None`). Each traced replication must give the
/// results the untraced run reported for it. Returns the number of files.
pub fn stage(
    a: &EventArgs,
    reps: Option<&[u64]>,
    variants: &[VariantResult],
    seed: u64,
    stage: &mut Stage,
) -> Result<usize, String> {
    let Some(reps) = reps else {
        // Logs of an earlier run would describe other results.
        stage.remove(FOLDER);
        return Ok(0);
    };
    let mut names = HashSet::new();
    for (i, v) in variants.iter().enumerate() {
        for &rep in reps {
            let mut name = eventlog::file_name(&v.name, rep, a.events_format);
            if !names.insert(name.clone()) {
                name = eventlog::file_name(&format!("{}-{i}", v.name), rep, a.events_format);
                names.insert(name.clone());
            }
            let mut result = None;
            stage
                .write_with(&format!("{FOLDER}/{name}"), |w| {
                    result = Some(eventlog::write_log(w, a.events_format, &v.model, &v.name, seed, rep)?);
                    Ok(())
                })
                .map_err(|e| format!("cannot write the event log {FOLDER}/{name}: {e}"))?;
            let row = rep.checked_sub(v.first_rep).and_then(|k| v.rows.get(k as usize));
            let same = match (result, row) {
                (Some(r), Some(row)) => r.kpis.iter().map(|x| x.to_bits()).eq(row.iter().map(|x| x.to_bits())),
                _ => false,
            };
            if !same {
                return Err(format!(
                    "internal error: the traced replication {rep} of `{}` differs from the one simulated; please report it",
                    v.name
                ));
            }
        }
    }
    Ok(names.len())
}
