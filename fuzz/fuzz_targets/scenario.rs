//! Bytes → scenario (TOML parse, validation, variants) → compiled models → a short
//! simulation of every variant → summary, CSV and tables. Nothing on this path may panic,
//! hang or allocate without bound, whatever the bytes are.
//!
//! Each execution is kept short by tightening the model's own safety caps (events per
//! replication, customers in system) and simulating two replications of at most four
//! variants: the caps are what a user relies on for a runaway model, so they are fuzzed too.
#![no_main]

use std::sync::Once;

use branchsim::experiment::{self, Job};
use branchsim::report::results::CompareOptions;
use branchsim::report::{Results, csv_out, table};
use branchsim::scenario;
use libfuzzer_sys::fuzz_target;

const MAX_EVENTS: u64 = 20_000;
const MAX_IN_SYSTEM: usize = 2_000;
const REPLICATIONS: u64 = 2;
const MAX_VARIANTS: usize = 4;

static POOL: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    POOL.call_once(|| {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(1).build_global();
    });
    let loaded = match scenario::load_bytes(data, "fuzz.toml") {
        Ok(l) => l,
        Err(e) => {
            // Rendering the diagnostics is part of the path a user sees.
            let _ = e.render();
            return;
        }
    };
    let _ = loaded.warnings.render(&loaded.path, &loaded.source);
    let _ = scenario::slug(&loaded.baseline().model.name);
    let mut loaded = loaded;
    loaded.variants.truncate(MAX_VARIANTS);
    for v in &mut loaded.variants {
        v.model.limits.max_events = MAX_EVENTS;
        v.model.limits.max_in_system = MAX_IN_SYSTEM;
    }
    let jobs: Vec<Job<'_>> = loaded
        .variants
        .iter()
        .map(|v| Job { name: &v.name, description: &v.description, model: &v.model })
        .collect();
    let seed = loaded.baseline().model.seed;
    let (variants, outcome) = experiment::run(&jobs, seed, REPLICATIONS, None, &|_| {});
    let results = Results::build(&loaded, seed, &variants, outcome.as_ref(), &CompareOptions::default());
    let _ = results.to_json();
    let _ = csv_out::kpis_csv(&results);
    let _ = csv_out::timeseries_csv(&results);
    let _ = csv_out::compare_csv(&results);
    let mut sink = Vec::new();
    let _ = csv_out::write_replications_csv(&mut sink, &variants, results.scenario.time_unit);
    let _ = table::kpi_table(&results);
    let _ = table::bottleneck_lines(&results);
    if results.comparison.is_some() {
        let _ = table::comparison_table(&results);
    }
});
