//! Limits on the work a command line can ask for, checked before anything runs.
//!
//! Flags are held to the same limits as the file keys they override (`-n` like
//! `replications`), a sweep grid to a number of points, and the memory a run holds (one row
//! of KPIs per replication and variant) and the bytes it writes (replications.csv dominates:
//! one line per replication, variant and KPI) are estimated from the plan. An estimate over
//! the budget (`--max-memory`, `--max-disk`) or over the free space of the output file system
//! stops the command with exit code 2 before a replication runs.

use std::path::Path;

use clap::Args;

/// Replications of one run: the same limit as the `replications` key of a scenario file.
pub const MAX_REPLICATIONS: u64 = 10_000_000;
/// Points of a sweep grid.
pub const MAX_SWEEP_POINTS: u64 = 10_000;
/// Default budget for the replication rows held in memory.
pub const DEFAULT_MAX_MEMORY: u64 = 2 << 30;
/// Default budget for the bytes one command writes.
pub const DEFAULT_MAX_DISK: u64 = 10 << 30;

/// Budgets from the command line.
#[derive(Args, Debug, Clone, Default)]
pub struct Budget {
    /// Memory budget for the replications' KPI rows (estimated before running; default 2GiB),
    /// e.g. 8GiB or 500MB.
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<String>,
    /// Budget for the bytes written (estimated before running; default 10GiB), e.g. 50GiB.
    #[arg(long, value_name = "SIZE")]
    pub max_disk: Option<String>,
}

/// What a command is about to do, for the estimates.
pub struct Work<'a> {
    /// Replications per variant held at once.
    pub replications: u64,
    /// Per variant: its name and its KPI paths.
    pub variants: Vec<(&'a str, Vec<String>)>,
    /// Bytes of the provenance columns of one CSV line.
    pub provenance: u64,
    /// Whether replications.csv is written.
    pub writes_rows: bool,
    /// Bytes held whatever the replications: the compiled models and their time-series
    /// accumulators (see `fixed_memory`).
    pub fixed: u64,
    /// Time-series bins of the largest model (for the message).
    pub bins: usize,
}

/// Bytes of one time-series bin accumulated across replications (`stats::BandAcc`: counts,
/// a fixed-point sum and a small histogram of the values).
pub const BAND_BYTES: u64 = 160;

/// Memory a plan holds whatever its replication count, per variant: the compiled model (per
/// step and type its service and routing tables) and the time-series accumulators, one per
/// bin for every resource and every step that can queue (an upper bound: a step's bins are
/// allocated only once somebody waits there).
pub fn fixed_memory(models: &[&crate::model::Model]) -> u64 {
    models
        .iter()
        .map(|m| {
            let queueing = m.steps.iter().filter(|s| s.pool.is_some()).count() as u64;
            let series = (queueing + m.resources.len() as u64 + 1).saturating_mul(m.n_bins as u64) * BAND_BYTES;
            let routes: u64 = m.steps.iter().flat_map(|s| &s.route).map(|r| r.to.len() as u64 * 16 + 64).sum();
            let entities = (m.steps.len() + m.resources.len() + m.arrivals.len() + m.customers.len()) as u64 * 512;
            series.saturating_add(routes).saturating_add(entities)
        })
        .fold(0, u64::saturating_add)
}

impl Work<'_> {
    /// Bytes the KPI rows take in memory.
    pub fn rows_memory(&self) -> u64 {
        let per_rep: u64 = self.variants.iter().map(|(_, k)| 24 + 8 * k.len() as u64).sum();
        per_rep.saturating_mul(self.replications)
    }

    /// Bytes held in memory: the KPI rows, the models and their time series.
    pub fn memory(&self) -> u64 {
        self.rows_memory().saturating_add(self.fixed)
    }

    /// Bytes written, an upper estimate: replications.csv line by line, plus 16 MiB for the
    /// other files, charts and the report.
    pub fn disk(&self) -> u64 {
        if !self.writes_rows {
            return 16 << 20;
        }
        let rep_digits = self.replications.max(1).to_string().len() as u64;
        // A value is at most 24 characters (`-1.2345678901234567e-300`); 7 commas and a newline.
        let per_rep: u64 = self
            .variants
            .iter()
            .flat_map(|(name, kpis)| {
                kpis.iter().map(move |k| name.len() as u64 + k.len() as u64 + rep_digits + 24 + 8 + self.provenance)
            })
            .sum();
        per_rep.saturating_mul(self.replications).saturating_add(16 << 20)
    }
}

/// Parses `4GiB`, `500MB`, `2G`, `1048576` (bytes); binary and decimal units both accepted.
pub fn parse_size(flag: &str, s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let x: f64 = num.parse().map_err(|_| format!("{flag}: `{s}` is not a size; write e.g. 4GiB or 500MB"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" => 1e12,
        "tib" => 1024.0f64.powi(4),
        _ => return Err(format!("{flag}: unknown unit in `{s}`; write e.g. 4GiB or 500MB")),
    };
    let v = x * mult;
    if !v.is_finite() || v < 1.0 || v >= u64::MAX as f64 {
        return Err(format!("{flag}: `{s}` is not a usable size"));
    }
    Ok(v as u64)
}

/// A size for messages: 1.5 GiB, 300.0 MiB.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    }
}

/// Refuses a replication count over the limit; `what` names the flag or key.
pub fn check_replications(what: &str, n: u64) -> Result<(), String> {
    if n > MAX_REPLICATIONS {
        return Err(format!(
            "{what}: {n} replications is more than the limit of {MAX_REPLICATIONS} (the same as the `replications` key)"
        ));
    }
    Ok(())
}

impl Budget {
    /// Checks the estimates of `work` against the budgets and, when `out` is given, the free
    /// space of the file system that will hold the output folder.
    pub fn check(&self, work: &Work<'_>, out: Option<&Path>) -> Result<(), String> {
        let mem_limit = self.max_memory.as_deref().map_or(Ok(DEFAULT_MAX_MEMORY), |s| parse_size("--max-memory", s))?;
        let disk_limit = self.max_disk.as_deref().map_or(Ok(DEFAULT_MAX_DISK), |s| parse_size("--max-disk", s))?;
        let mem = work.memory();
        if mem > mem_limit && work.fixed > work.rows_memory() {
            return Err(format!(
                "the model would hold about {} in memory (its compiled tables and time series: {} bins for every \
                 resource and step with a queue, per variant), over the budget of {}: set a wider timeseries_bin, \
                 run fewer variants at once, or raise the budget with --max-memory SIZE",
                human(mem),
                work.bins,
                human(mem_limit)
            ));
        }
        if mem > mem_limit {
            return Err(format!(
                "{} replications would hold about {} of KPI rows in memory, over the budget of {}: run fewer \
                 replications, split the run into shards (--shard K/N), or raise the budget with --max-memory SIZE",
                work.replications,
                human(mem),
                human(mem_limit)
            ));
        }
        let disk = work.disk();
        if disk > disk_limit {
            return Err(format!(
                "{} replications would write about {} (replications.csv has one line per replication, variant \
                 and KPI), over the budget of {}: run fewer replications or raise the budget with --max-disk SIZE",
                work.replications,
                human(disk),
                human(disk_limit)
            ));
        }
        if let Some(dir) = out {
            let probe = dir.ancestors().find(|p| p.exists()).unwrap_or(Path::new("."));
            if let Some(free) = crate::report::files::available_bytes(probe)
                && disk > free
            {
                return Err(format!(
                    "the results would take about {} but only {} are free on the file system of {}: free some \
                         space or write elsewhere with --out",
                    human(disk),
                    human(free),
                    dir.display()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("f", "4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("f", "500MB"), Ok(500_000_000));
        assert_eq!(parse_size("f", "1024"), Ok(1024));
        assert!(parse_size("f", "lots").is_err());
        assert!(parse_size("f", "0").is_err());
        assert!(parse_size("f", "5XB").is_err());
    }

    #[test]
    fn estimates_grow_with_replications() {
        let w = |n| Work {
            replications: n,
            variants: vec![("baseline", vec!["wait_mean".to_string(); 60])],
            provenance: 40,
            writes_rows: true,
            fixed: 0,
            bins: 0,
        };
        // 60 KPIs: 24 + 480 bytes of row per replication.
        assert_eq!(w(1_000_000).memory(), 504_000_000);
        assert!(w(10_000_000).disk() > 39_000_000_000, "{}", w(10_000_000).disk());
        let b = Budget::default();
        assert!(b.check(&w(1_000_000), None).is_ok());
        assert!(b.check(&w(10_000_000), None).is_err_and(|e| e.contains("--max-memory")));
        let big = Budget { max_memory: Some("100GiB".into()), max_disk: None };
        assert!(big.check(&w(10_000_000), None).is_err_and(|e| e.contains("--max-disk")));
    }
}
