//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use branchsim::experiment::{self, Job, VariantResult};
use branchsim::scenario;
use branchsim::stats::Summary;
use branchsim::stats::student_t::t_quantile;

/// Loads a scenario from text and runs every variant for `reps` replications.
pub fn run_text(text: &str, reps: u64) -> Vec<VariantResult> {
    let loaded = match scenario::load_str(text, "test.toml") {
        Ok(l) => l,
        Err(e) => panic!("scenario does not load:\n{}", e.render()),
    };
    let jobs: Vec<Job<'_>> =
        loaded.variants.iter().map(|v| Job { name: &v.name, description: &v.description, model: &v.model }).collect();
    let seed = loaded.baseline().model.seed;
    experiment::run(&jobs, seed, reps, None, &|_| {}).0
}

pub fn kpi(v: &VariantResult, path: &str) -> Summary {
    let k = v.find(path).unwrap_or_else(|| panic!("no KPI {path}"));
    v.summary(k)
}

/// The rendered errors of a scenario text that must not load, as `file` (panics, showing the
/// text, when it loads).
pub fn load_errors(text: &str, file: &str) -> String {
    match scenario::load_str(text, file) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.render(),
    }
}

/// Asserts that `text` does not load and that its rendered errors contain every one of
/// `needles`.
pub fn assert_load_errors(text: &str, file: &str, needles: &[&str]) {
    let e = load_errors(text, file);
    for n in needles {
        assert!(e.contains(n), "expected `{n}` in:\n{e}");
    }
}

/// Asserts that the theory value lies in the 99.9% confidence interval of the replication
/// means (Student t, n − 1 df). With a fixed seed the outcome is deterministic; the 99.9%
/// level keeps the chance that a correct engine fails a check at 0.1% per check when seeds
/// are changed.
pub fn assert_ci(v: &VariantResult, path: &str, theory: f64) {
    let s = kpi(v, path);
    let half = t_quantile(0.9995, (s.n - 1) as f64) * s.sd / (s.n as f64).sqrt();
    let err = (s.mean - theory).abs();
    assert!(
        err <= half,
        "{path}: simulated {:.5} ± {:.5} (99.9% CI, n = {}), theory {:.5}, off by {:.2} half-widths",
        s.mean,
        half,
        s.n,
        theory,
        err / half
    );
    eprintln!(
        "{path}: simulated {:.5} ± {:.5}, theory {:.5} (relative error {:.3}%)",
        s.mean,
        half,
        theory,
        100.0 * err / theory.abs()
    );
}

/// A scenario with one customer type `c` arriving at `rate_per_min` per minute (Poisson) into
/// the step `first`, with `extra` keys on the customer type and `body` (TOML: resources,
/// steps, calendars, more types, variants).
pub fn one_type(
    rate_per_min: f64,
    first: &str,
    warmup: f64,
    horizon: f64,
    seed: u64,
    extra: &str,
    body: &str,
) -> String {
    format!(
        r#"
name = "test"
time_unit = "min"
horizon = {horizon}
warmup = {warmup}
seed = {seed}
replications = 10
service_level = "5min"

[[customers]]
name = "c"
first_step = "{first}"
{extra}

[[arrivals]]
customer = "c"
rate = {rate_per_min}

{body}
"#
    )
}

/// A single-station scenario: one customer type, Poisson arrivals, one resource.
pub fn single_station(
    rate_per_min: f64,
    servers: u32,
    service: &str,
    extra_customer: &str,
    warmup: f64,
    horizon: f64,
    seed: u64,
) -> String {
    let body = format!(
        r#"[[resources]]
name = "r"
staff = {servers}

[[steps]]
name = "s"
resource = "r"
service = {service}"#
    );
    one_type(rate_per_min, "s", warmup, horizon, seed, extra_customer, &body)
}

/// Every file under `dir`, recursively (directories themselves are not listed); none when
/// `dir` does not exist, so that "nothing was written" reads as an empty list.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}
