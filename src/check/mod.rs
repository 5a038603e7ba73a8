//! `branchsim check` and `branchsim record`: regression checks for CI pipelines.
//!
//! `check` runs scenario files and judges
//! * absolute bounds (`[[expect]]` with `min`/`max`): pass when the KPI's 95% CI lies inside
//!   the bound (`--mode ci`, the default) or when its mean does (`--mode mean`);
//! * comparisons (`[[expect]]` with `better_than`): pass when the paired CI (common random
//!   numbers) of variant − reference excludes zero in the promised direction, at the
//!   Bonferroni-adjusted level 1 − 0.05/m over the m comparative checks of the file;
//! * golden results (`--baseline`, written by `record`): Welch two-sample t test per KPI,
//!   family-wise α (default 0.001) split over the KPIs compared, optional `--tolerance`.
//!
//! Exit codes: 0 everything passed, 1 a check failed, 2 bad input or usage. Every problem in
//! the input is found before anything is simulated. Reports are deterministic: same seed, same
//! bytes, for any thread count. See docs/ci.md.

pub mod baseline;
pub mod evaluate;
pub mod expect;
pub mod inputs;
pub mod output;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Parser};

use crate::cli::run::{Fail, RunOutput, simulate};
use crate::cli::{Caps, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, RunArgs, error, signals};
use crate::report::files::write_file;
use crate::scenario::diag::{Diagnostics, LineIndex, Severity, did_you_mean};
use crate::scenario::{self, Loaded, tree};
use baseline::Baseline;
use evaluate::{BaselineOptions, Mode};
use expect::{Expectation, Kind, Target};
use output::{BaselineInfo, FileReport, Report};

/// Default family-wise significance level of `check --baseline`.
pub const DEFAULT_ALPHA: f64 = 0.001;
/// Expectation files larger than this are refused.
const MAX_EXPECT_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  branchsim check scenarios/
  branchsim check \"scenarios/**/*.toml\" --junit check.xml
  branchsim check scenarios/downtown_branch.toml --baseline golden/downtown.json --tolerance 5%")]
pub struct CheckArgs {
    /// Scenario files, folders (every *.toml inside, recursively) or glob patterns
    /// ("scenarios/**/*.toml").
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// A file of [[expect]] tables checked against every scenario, in addition to the
    /// scenario's own (repeatable).
    #[arg(long = "expect", value_name = "FILE")]
    pub expect: Vec<PathBuf>,
    /// Golden results written by `branchsim record`: fail KPIs that changed significantly.
    /// Runs with the recorded seed and replications unless --seed/--replications say otherwise.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// How min/max bounds pass: `ci` = the KPI's 95% confidence interval lies inside the bound
    /// (demonstrated), `mean` = its mean does (point estimate).
    #[arg(long, value_enum, default_value = "ci")]
    pub mode: Mode,
    /// With --baseline: significant changes smaller than this share of the recorded mean do
    /// not fail (e.g. 5%).
    #[arg(long, value_name = "PCT", value_parser = parse_tolerance)]
    pub tolerance: Option<f64>,
    /// With --baseline: family-wise significance level of the Welch t tests, split over the
    /// KPIs compared (Bonferroni).
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    pub alpha: f64,
    /// With --baseline: compare only these KPI paths (repeatable), e.g. wait_mean.
    #[arg(long = "kpi", value_name = "PATH")]
    pub kpis: Vec<String>,
    /// Print the report as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write a JUnit XML report (one test case per expectation and variant).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Base random seed (overrides the scenario file and the baseline).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of replications (overrides the scenario file and the baseline).
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Worker threads (default: all cores). Verdicts and reports do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print only failures and errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// With --baseline: compare even though the scenario file changed since the baseline was
    /// recorded (its content hash differs), to see what an edit changed. Without it such a
    /// baseline is refused.
    #[arg(long)]
    pub allow_changed_scenario: bool,
    #[command(flatten)]
    pub caps: Caps,
}

#[derive(Args, Debug)]
#[command(after_help = "Example:
  branchsim record scenarios/downtown_branch.toml --to golden/downtown.json -n 200")]
pub struct RecordArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Where to write the golden results (JSON).
    #[arg(long, value_name = "PATH")]
    pub to: PathBuf,
    /// Base random seed (overrides the file).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of replications (overrides the file); at least 2.
    #[arg(long, short = 'n')]
    pub replications: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub caps: Caps,
}

/// Runs the experiment of a loaded scenario with the given overrides.
fn run_scenario(
    loaded: &Loaded,
    seed: Option<u64>,
    replications: Option<u64>,
    threads: Option<usize>,
    quiet: bool,
    budget: &crate::cli::budget::Budget,
) -> Result<RunOutput, Fail> {
    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        run: RunArgs,
    }
    // Built through clap so that defaults of options added to `run` later apply here too.
    let mut w = Wrap::try_parse_from(["branchsim", "scenario.toml"])
        .map_err(|e| Fail::Input(format!("internal: cannot build run options: {e}")))?;
    w.run.seed = seed;
    w.run.replications = replications;
    w.run.threads = threads;
    w.run.quiet = quiet;
    w.run.no_charts = true;
    w.run.caps.budget = budget.clone();
    simulate(loaded, &w.run, None)
}

/// Parses "5%" or "0.05" as a share (a clap value parser, so a bad value gets clap's usage line).
fn parse_tolerance(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
        None => t.parse::<f64>(),
    };
    match v {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err("not a share; write a percentage such as 5% (or 0.05)".into()),
    }
}

/// Where problems and annotations go: stdout normally, stderr when stdout carries JSON.
struct Sink {
    json: bool,
    gha: bool,
}

impl Sink {
    fn annotate(&self, text: &str) {
        if !self.gha || text.is_empty() {
            return;
        }
        if self.json {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }

    /// Prints diagnostics of a file (and their annotations in GitHub Actions).
    fn diagnostics(&self, d: &Diagnostics, file: &str, source: &str) {
        eprint!("{}", d.render(file, source));
        let mut ann = String::new();
        let lines = LineIndex::new(source);
        for item in d.items.iter().filter(|i| i.severity == Severity::Error) {
            let loc = item.span.as_ref().map(|s| lines.line_col(s.start));
            let mut msg = item.message.clone();
            if let Some(h) = &item.help {
                msg.push_str(&format!(" ({h})"));
            }
            ann.push_str(&output::gh_command("error", file, loc, "branchsim check: bad input", &msg));
        }
        self.annotate(&ann);
    }

    fn bad(&self, msg: &str, file: Option<&str>) {
        error(msg);
        self.annotate(&output::gh_command("error", file.unwrap_or(""), None, "branchsim check: bad input", msg));
    }
}

/// A separate expectations file, parsed once.
struct ExpectDoc {
    label: String,
    source: String,
    root: tree::Table,
}

/// Why an expectations file could not be read: a message, or TOML diagnostics.
enum DocError {
    Message(String),
    Toml { label: String, source: String, diags: Diagnostics },
}

impl From<String> for DocError {
    fn from(m: String) -> Self {
        DocError::Message(m)
    }
}

fn read_expect_doc(path: &Path) -> Result<ExpectDoc, DocError> {
    let label = path.display().to_string();
    let bytes = read_input(path, MAX_EXPECT_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{label}: the file is not valid UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
    let mut d = Diagnostics::default();
    match tree::parse(&text, &mut d) {
        Some(root) if !d.has_errors() => Ok(ExpectDoc { label, source: text, root }),
        _ => Err(DocError::Toml { label, source: text, diags: d }),
    }
}

/// Reads an input file within `limit` bytes (never a device or a folder).
fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    crate::input::read_limited(path, limit).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_baseline(path: &Path) -> Result<Baseline, String> {
    let label = path.display().to_string();
    let bytes = read_input(path, baseline::MAX_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{label}: the file is not valid UTF-8"))?;
    Baseline::from_json(&text).map_err(|e| format!("{label}: {e}"))
}

/// Refuses a baseline recorded from another scenario: a different scenario name always, a
/// changed file (content hash) unless `--allow-changed-scenario`. The seed needs no check:
/// the recorded one is used unless `--seed` deliberately asks for another (then both runs are
/// independent samples, which the Welch test is made for, and the report notes it).
fn baseline_matches(b: &Baseline, loaded: &Loaded, a: &CheckArgs) -> Result<(), String> {
    let name = &loaded.baseline().model.name;
    let file = a.baseline.as_ref().map_or_else(String::new, |p| p.display().to_string());
    if &b.scenario.name != name {
        return Err(format!(
            "{file} was recorded from scenario \"{}\" ({}), not from \"{name}\" ({}): refusing to compare different \
             scenarios; record a baseline of this one with `branchsim record {} --to FILE`",
            b.scenario.name, b.scenario.file, loaded.path, loaded.path
        ));
    }
    if b.scenario.content_hash != loaded.content_hash && !a.allow_changed_scenario {
        return Err(format!(
            "{} changed since {file} was recorded (content hash {} then, {} now): refusing to compare; record the \
             baseline again (`branchsim record {} --to {file}`) if the change is intended, or pass \
             --allow-changed-scenario to see what the edit changed",
            loaded.path, b.scenario.content_hash, loaded.content_hash, loaded.path
        ));
    }
    Ok(())
}

/// One scenario file, validated, with its expectations.
struct Planned {
    loaded: Loaded,
    expectations: Vec<Expectation>,
}

pub fn run_check(a: &CheckArgs) -> i32 {
    let sink = Sink { json: a.json, gha: output::github_actions() };
    // Flags first.
    if !(a.alpha > 0.0 && a.alpha < 1.0) {
        sink.bad(&format!("--alpha must be between 0 and 1 (exclusive), got {}", a.alpha), None);
        return EXIT_BAD_INPUT;
    }
    let tolerance = a.tolerance;
    if a.baseline.is_none() && (tolerance.is_some() || !a.kpis.is_empty()) {
        sink.bad("--tolerance and --kpi apply to --baseline checks only", None);
        return EXIT_BAD_INPUT;
    }
    if a.threads == Some(0) {
        sink.bad("--threads must be at least 1", None);
        return EXIT_BAD_INPUT;
    }
    // Before simulating: the JUnit report must be writable at the end.
    if let Some(e) = a.junit.as_deref().and_then(|p| crate::report::files::check_writable_file(p).err()) {
        sink.bad(&e, None);
        return EXIT_BAD_INPUT;
    }
    let files = match inputs::expand(&a.files) {
        Ok(f) => f,
        Err(errs) => {
            for e in errs {
                sink.bad(&e, None);
            }
            return EXIT_BAD_INPUT;
        }
    };
    let baseline = match &a.baseline {
        None => None,
        Some(p) => {
            if files.len() != 1 {
                sink.bad(
                    &format!(
                        "--baseline compares one scenario file with its recording, but {} files were given",
                        files.len()
                    ),
                    None,
                );
                return EXIT_BAD_INPUT;
            }
            match read_baseline(p) {
                Ok(b) => Some(b),
                Err(e) => {
                    sink.bad(&e, Some(&p.display().to_string()));
                    return EXIT_BAD_INPUT;
                }
            }
        }
    };
    if let Some(b) = &baseline {
        let mut known: Vec<&str> = Vec::new();
        for kp in b.variants.values().flat_map(|k| k.keys()) {
            if !known.contains(&kp.as_str()) {
                known.push(kp);
            }
        }
        for k in &a.kpis {
            if !known.contains(&k.as_str()) {
                sink.bad(&format!("--kpi: the baseline has no KPI `{k}`; {}", did_you_mean(k, &known)), None);
                return EXIT_BAD_INPUT;
            }
        }
    }
    let mut docs = Vec::new();
    for p in &a.expect {
        match read_expect_doc(p) {
            Ok(d) => docs.push(d),
            Err(DocError::Toml { label, source, diags }) => {
                sink.diagnostics(&diags, &label, &source);
                return EXIT_BAD_INPUT;
            }
            Err(DocError::Message(e)) => {
                sink.bad(&e, Some(&p.display().to_string()));
                return EXIT_BAD_INPUT;
            }
        }
    }

    // Load and validate every file before simulating anything.
    let mut planned: Vec<Planned> = Vec::new();
    let mut bad = 0usize;
    for f in &files {
        let mut loaded = match scenario::load_file(f) {
            Ok(l) => l,
            Err(e) => {
                sink.diagnostics(&e.diags, &e.path, &e.source);
                bad += 1;
                continue;
            }
        };
        if let Err(e) = a.caps.apply(&mut loaded) {
            sink.bad(&e, None);
            return EXIT_BAD_INPUT;
        }
        if let Some(b) = &baseline
            && let Err(e) = baseline_matches(b, &loaded, a)
        {
            sink.bad(&e, Some(&loaded.path));
            return EXIT_BAD_INPUT;
        }
        if !a.quiet {
            eprint!("{}", loaded.warnings.render(&loaded.path, &loaded.source));
        }
        let target = Target::of(&loaded);
        let mut d = Diagnostics::default();
        let mut list = expect::read(&loaded.tree, &loaded.path, &loaded.source, &target, &mut d);
        let own_ok = !d.has_errors();
        if !own_ok {
            d.sort();
            sink.diagnostics(&d, &loaded.path, &loaded.source);
        }
        let mut docs_ok = true;
        for doc in &docs {
            let mut dd = Diagnostics::default();
            let more = expect::read_file_tables(&doc.root, &doc.label, &doc.source, &target, &mut dd);
            if dd.has_errors() {
                dd.sort();
                for item in &mut dd.items {
                    if item.variant.is_none() && files.len() > 1 {
                        item.message = format!("{} (checking {})", item.message, loaded.path);
                    }
                }
                sink.diagnostics(&dd, &doc.label, &doc.source);
                docs_ok = false;
            }
            list.extend(more);
        }
        if !(own_ok && docs_ok) {
            bad += 1;
            continue;
        }
        planned.push(Planned { loaded, expectations: list });
    }
    if bad > 0 {
        error(&format!("{bad} of {} file(s) have errors; nothing was simulated", files.len()));
        return EXIT_BAD_INPUT;
    }
    let total: usize = planned.iter().map(|p| expect::count_checks(&p.expectations)).sum();
    if total == 0 && baseline.is_none() {
        sink.bad(
            "nothing to check: the files hold no [[expect]] tables; add expectations, pass --expect FILE or --baseline FILE",
            None,
        );
        return EXIT_BAD_INPUT;
    }

    // Replications needed for confidence intervals.
    for p in &planned {
        let needs_ci = baseline.is_some()
            || p.expectations.iter().any(|e| {
                matches!(e.kind, Kind::Better { .. }) || (a.mode == Mode::Ci && matches!(e.kind, Kind::Bound { .. }))
            });
        let reps = a
            .replications
            .or(baseline.as_ref().map(|b| b.replications))
            .unwrap_or(u64::from(p.loaded.baseline().model.replications));
        if p.expectations.is_empty() && baseline.is_none() {
            continue;
        }
        if reps == 0 || (needs_ci && reps < 2) {
            sink.bad(
                &format!(
                    "{}: {reps} replication(s): confidence intervals, comparisons and baseline checks need at least 2 (set `replications` or --replications)",
                    p.loaded.path
                ),
                Some(&p.loaded.path),
            );
            return EXIT_BAD_INPUT;
        }
    }

    // Simulate and judge, file by file, in order.
    let mut reports = Vec::new();
    for p in &planned {
        let l = &p.loaded;
        let base = l.baseline();
        let mut fr = FileReport {
            file: l.path.clone(),
            scenario: base.model.name.clone(),
            content_hash: l.content_hash.clone(),
            time_unit: base.model.time_unit.label().to_string(),
            seed: None,
            replications: None,
            skipped: None,
            notes: Vec::new(),
            baseline: None,
            passed: 0,
            failed: 0,
            not_tested: 0,
            checks: Vec::new(),
        };
        if p.expectations.is_empty() && baseline.is_none() {
            fr.skipped = Some("no [[expect]] tables: not simulated".into());
            reports.push(fr);
            continue;
        }
        let seed = a.seed.or(baseline.as_ref().map(|b| b.seed));
        let reps = a.replications.or(baseline.as_ref().map(|b| b.replications));
        let out = match run_scenario(l, seed, reps, a.threads, a.quiet || a.json, &a.caps.budget) {
            Ok(o) => o,
            Err(Fail::Input(e)) => {
                sink.bad(&format!("{}: {e}", l.path), Some(&l.path));
                return EXIT_BAD_INPUT;
            }
            Err(Fail::Signal(code)) => {
                return signals::stopped(code, "the check was stopped before it finished; no report was written");
            }
        };
        fr.seed = Some(out.results.seed);
        fr.replications = Some(out.results.replications);
        for (name, v) in &out.results.variants {
            if let Some((rep, why)) = v.stopped_early.first() {
                fr.notes.push(format!(
                    "{} replication(s) of `{name}` stopped early (first: replication {rep}, {why}); their KPIs cover less time",
                    v.stopped_early.len()
                ));
            }
        }
        fr.checks = evaluate::expectations(&p.expectations, &out, a.mode);
        if let (Some(b), Some(bpath)) = (&baseline, &a.baseline) {
            let changed = b.scenario.content_hash != l.content_hash;
            if changed {
                fr.notes.push(format!(
                    "the scenario file changed since the baseline was recorded (content hash {} then, {} now): checking anyway (--allow-changed-scenario)",
                    b.scenario.content_hash, l.content_hash
                ));
            }
            if out.results.seed != b.seed {
                fr.notes.push(format!(
                    "run with seed {} (--seed), the baseline was recorded with seed {}: compared as independent samples",
                    out.results.seed, b.seed
                ));
            }
            if b.branchsim_version != env!("CARGO_PKG_VERSION") {
                fr.notes.push(format!(
                    "the baseline was recorded by branchsim {}, this is {}",
                    b.branchsim_version,
                    env!("CARGO_PKG_VERSION")
                ));
            }
            if b.time_unit != out.results.scenario.time_unit {
                fr.notes.push(format!(
                    "the baseline's durations are in {}, converted to the scenario's {}",
                    b.time_unit, out.results.scenario.time_unit
                ));
            }
            let opts = BaselineOptions { alpha: a.alpha, tolerance, kpis: &a.kpis };
            let (rows, notes, m) = evaluate::against_baseline(b, &out, &opts);
            fr.notes.extend(notes);
            fr.checks.extend(rows);
            fr.baseline = Some(BaselineInfo {
                file: bpath.display().to_string(),
                recorded_seed: b.seed,
                recorded_replications: b.replications,
                recorded_branchsim_version: b.branchsim_version.clone(),
                recorded_content_hash: b.scenario.content_hash.clone(),
                scenario_changed: changed,
                test: "Welch two-sample t test (two-sided), Bonferroni over the KPIs compared",
                alpha: a.alpha,
                tolerance,
                kpis_compared: m,
                level_per_kpi: a.alpha / m.max(1) as f64,
            });
        }
        fr.count();
        reports.push(fr);
    }

    if let Some(code) = signals::received() {
        return signals::stopped(code, "the check was stopped before it finished; no report was written");
    }
    let rep = Report::new(a.mode, reports);
    let text = if a.json { rep.to_json() } else { output::human(&rep, a.quiet) };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    drop(stdout);
    sink.annotate(&output::annotations(&rep));
    crate::cli::ci::step_summary(&output::markdown(&rep));
    if let Some(path) = &a.junit
        && let Err(e) = write_file(path, output::junit(&rep).as_bytes())
    {
        sink.bad(&format!("cannot write the JUnit report {}: {e}", path.display()), None);
        return EXIT_BAD_INPUT;
    }
    if rep.passed { EXIT_OK } else { EXIT_FAILED }
}

pub fn run_record(a: &RecordArgs) -> i32 {
    let mut loaded = match scenario::load_file(&a.file) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{}", e.render());
            return EXIT_BAD_INPUT;
        }
    };
    if !a.quiet {
        eprint!("{}", loaded.warnings.render(&loaded.path, &loaded.source));
    }
    let reps = a.replications.unwrap_or(u64::from(loaded.baseline().model.replications));
    if reps < 2 {
        error(&format!("a baseline needs at least 2 replications to record variability, got {reps}"));
        return EXIT_BAD_INPUT;
    }
    if a.threads == Some(0) {
        error("--threads must be at least 1");
        return EXIT_BAD_INPUT;
    }
    if let Err(e) = a.caps.apply(&mut loaded) {
        error(&e);
        return EXIT_BAD_INPUT;
    }
    // Before simulating: a long recording must not be lost because --to cannot be written.
    if let Err(e) = crate::report::files::check_writable_file(&a.to) {
        error(&e);
        return EXIT_BAD_INPUT;
    }
    let out = match run_scenario(&loaded, a.seed, a.replications, a.threads, a.quiet, &a.caps.budget) {
        Ok(o) => o,
        Err(f) => return f.report(None),
    };
    if let Some(code) = signals::received() {
        return signals::stopped(code, &format!("nothing was written; {} is unchanged", a.to.display()));
    }
    let b = Baseline::from_results(&loaded, &out.results);
    if let Err(e) = write_file(&a.to, b.to_json().as_bytes()) {
        error(&format!("cannot write {}: {e}", a.to.display()));
        return EXIT_BAD_INPUT;
    }
    if !a.quiet {
        let kpis: usize = b.variants.values().map(|k| k.len()).sum();
        println!(
            "recorded {kpis} KPIs of {} variant(s) of \"{}\" (seed {}, {} replications) to {}",
            b.variants.len(),
            b.scenario.name,
            b.seed,
            b.replications,
            a.to.display()
        );
    }
    EXIT_OK
}
