//! The path from untrusted bytes to results, as one function: what the fuzz target
//! (`fuzz/fuzz_targets/scenario.rs`) runs on every input and what `tests/fuzz_regressions.rs`
//! replays on the committed corpus and crash reproducers.
//!
//! Bytes → scenario (TOML parse, validation, variants) → compiled models → a short simulation
//! of every variant → summary, CSV and tables. Nothing on this path may panic, hang or
//! allocate without bound, whatever the bytes are. Each call is kept short by tightening the
//! model's own safety caps (events per replication, customers in system) and simulating two
//! replications of at most four variants: the caps are what a user relies on for a runaway
//! model, so they are exercised too.

use crate::experiment::{self, Job};
use crate::report::results::CompareOptions;
use crate::report::{Results, csv_out, table};
use crate::scenario;

/// Events per replication while fuzzing.
pub const MAX_EVENTS: u64 = 20_000;
/// Customers in the system while fuzzing.
pub const MAX_IN_SYSTEM: usize = 2_000;
const REPLICATIONS: u64 = 2;
const MAX_VARIANTS: usize = 4;

/// Runs the whole path on `bytes`; returns whether the scenario was valid (for statistics).
#[doc(hidden)]
pub fn exercise(bytes: &[u8]) -> bool {
    let mut loaded = match scenario::load_bytes(bytes, "fuzz.toml") {
        Ok(l) => l,
        Err(e) => {
            // Rendering the diagnostics is part of what a user sees.
            let _ = e.render();
            return false;
        }
    };
    let _ = loaded.warnings.render(&loaded.path, &loaded.source);
    let _ = scenario::slug(&loaded.baseline().model.name);
    loaded.variants.truncate(MAX_VARIANTS);
    for v in &mut loaded.variants {
        v.model.limits.max_events = MAX_EVENTS;
        v.model.limits.max_in_system = MAX_IN_SYSTEM;
    }
    let jobs: Vec<Job<'_>> =
        loaded.variants.iter().map(|v| Job { name: &v.name, description: &v.description, model: &v.model }).collect();
    let seed = loaded.baseline().model.seed;
    let (variants, outcome) = experiment::run(&jobs, seed, REPLICATIONS, None, &|_| {});
    let results = Results::build(&loaded, seed, &variants, outcome.as_ref(), &CompareOptions::default());
    let _ = results.to_json();
    let _ = csv_out::kpis_csv(&results);
    let _ = csv_out::timeseries_csv(&results);
    let _ = csv_out::compare_csv(&results);
    let mut sink = Vec::new();
    let prov = csv_out::Provenance::of(&results);
    let _ = csv_out::write_replications_csv(&mut sink, &variants, results.scenario.time_unit, &prov);
    let _ = table::kpi_table(&results);
    let _ = table::bottleneck_lines(&results);
    if results.comparison.is_some() {
        let _ = table::comparison_table(&results);
    }
    let _ = crate::report::html::escape(&results.scenario.name);
    true
}
