//! `branchsim run FILE`: simulate, summarise, write the output folder, print the tables.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use super::{EXIT_BAD_INPUT, EXIT_OK, RunArgs, error, signals};
use crate::engine::Stop;
use crate::experiment::{self, Control, Halt, Job, Precision, VariantResult};
use crate::report::results::CompareOptions;
use crate::report::{Results, charts, csv_out, files, table, xlsx};
use crate::scenario::{self, Loaded, units};
use crate::stats::mser;

/// Everything a run produced, before it is written.
pub struct RunOutput {
    pub results: Results,
    pub variants: Vec<VariantResult>,
    pub dir: PathBuf,
    /// `--xlsx-replications`: results.xlsx lists every replication, however many (see
    /// `report::xlsx::Sheet`).
    pub xlsx_replications: bool,
}

/// Why a simulation produced no results.
#[derive(Debug)]
pub enum Fail {
    /// Bad input or a flag that does not fit, or a safety cap was hit: exit code 2.
    Input(String),
    /// SIGINT or SIGTERM: the exit code for it (130 or 143).
    Signal(i32),
}

impl From<String> for Fail {
    fn from(m: String) -> Self {
        Fail::Input(m)
    }
}

impl Fail {
    /// Prints the failure and returns the exit code; `dir` is the output folder left untouched.
    pub fn report(&self, dir: Option<&Path>) -> i32 {
        match self {
            Fail::Input(m) => {
                error(m);
                EXIT_BAD_INPUT
            }
            Fail::Signal(code) => {
                let kept = match dir {
                    Some(d) => format!("; earlier results in {} are unchanged", d.display()),
                    None => String::new(),
                };
                signals::stopped(
                    *code,
                    &format!("the run was stopped before it finished and nothing was written{kept}"),
                )
            }
        }
    }
}

/// The failure for a run that ended early, naming the cause; `warnings` are the scenario's
/// own, whose load warnings explain most runaway models.
pub fn halted(h: Halt, warnings: &scenario::Diagnostics) -> Fail {
    match h {
        Halt::Cancelled => Fail::Signal(signals::received().unwrap_or(signals::EXIT_SIGINT)),
        Halt::Cap { variant, replication, stop } => {
            let (what, cause, flag) = match stop {
                Stop::EventLimit(n) => (
                    format!(
                        "replication {replication} of `{variant}` needed more than {n} events (the events-per-replication cap)"
                    ),
                    "very high arrival rates, a very long horizon or a rework loop that rarely lets customers leave make one replication this long",
                    "--max-events",
                ),
                Stop::CustomerLimit(n) => (
                    format!(
                        "replication {replication} of `{variant}` had more than {n} customers in the system at once (the customers-in-system cap)"
                    ),
                    "customers arrive faster than they are served, so the queues grow without bound",
                    "--max-in-system",
                ),
                Stop::VisitLimit(n) => (
                    format!(
                        "in replication {replication} of `{variant}` a customer made more than {n} step visits (the visits-per-customer cap)"
                    ),
                    "a routing loop (rework, `repeat_info`, or a delay step that sends customers back) rarely lets customers leave",
                    "",
                ),
                Stop::Completed | Stop::Cancelled => {
                    (format!("replication {replication} of `{variant}` stopped early"), "", "--max-events")
                }
            };
            let mut msg = format!("the run was stopped: {what}\n  cause: {cause}");
            push_load_warnings(&mut msg, warnings);
            if flag.is_empty() {
                msg.push_str("\n  nothing was written; fix the routing so that customers leave");
            } else {
                msg.push_str(&format!(
                    "\n  nothing was written; fix the scenario, or raise the cap with {flag} N if the model really is this large"
                ));
            }
            Fail::Input(msg)
        }
        Halt::TooLarge { variant, expected, cap } => {
            let expected =
                if expected.is_finite() { format!("about {expected:.3e}") } else { "an unbounded number of".into() };
            let mut msg = format!(
                "`{variant}` is expected to need {expected} events per replication, more than the events-per-replication cap ({cap}); nothing was simulated\n  cause: very high arrival rates, a very long horizon or a routing loop that rarely lets customers leave"
            );
            push_load_warnings(&mut msg, warnings);
            msg.push_str("\n  nothing was written; fix the scenario, or raise the cap with --max-events N if the model really is this large");
            Fail::Input(msg)
        }
    }
}

/// Adds the scenario's load and visits warnings, which explain most runaway models.
fn push_load_warnings(msg: &mut String, warnings: &scenario::Diagnostics) {
    let explains = |d: &&scenario::diag::Diagnostic| {
        (d.key.starts_with("resources[") && d.message.contains("(load ")) || d.message.contains("step visits each")
    };
    for d in warnings.items.iter().filter(explains) {
        msg.push_str(&format!("\n  see the warning: {}", d.message));
    }
}

pub fn run(a: &RunArgs) -> i32 {
    let hint = super::path_hint(&a.file);
    let mut loaded = match scenario::load_file(&a.file) {
        Ok(l) => l,
        Err(e) => {
            eprint!("{}", e.render());
            if let Some(h) = hint {
                eprintln!("help: {h}");
            }
            return EXIT_BAD_INPUT;
        }
    };
    if !a.quiet {
        eprint!("{}", loaded.warnings.render(&loaded.path, &loaded.source));
    }
    if super::ci::github_actions() {
        print!("{}", super::ci::annotations(&loaded.warnings, &loaded.path, &loaded.source, "branchsim run"));
    }
    if let Err(e) = a.caps.apply(&mut loaded) {
        error(&e);
        return EXIT_BAD_INPUT;
    }
    if let Some(spec) = a.shard {
        if a.events.events.is_some() {
            error("--events cannot be combined with --shard: trace the replications in an ordinary run");
            return EXIT_BAD_INPUT;
        }
        if a.xlsx_replications {
            error(
                "--xlsx-replications does nothing with --shard (a shard writes no workbook): give it to `branchsim merge`",
            );
            return EXIT_BAD_INPUT;
        }
        return super::shard::run_shard(&loaded, a, spec);
    }
    let dir = output_dir(&a.out, &loaded);
    // Everything that can refuse the run is checked before a replication runs: the folder
    // (locked, writable, no link), the font, the budgets.
    let prepared =
        check_plan(&loaded, a, Some(&dir)).and_then(|()| prepare_output(&dir, a.font.as_deref(), !a.no_charts));
    let (_lock, mut stage) = match prepared {
        Ok(x) => x,
        Err(e) => {
            error(&e);
            return EXIT_BAD_INPUT;
        }
    };
    let (out, book) = match simulate_inner(&loaded, a, Some(&dir), true) {
        Ok(o) => o,
        Err(f) => return f.report(Some(&dir)),
    };
    // Every file of the run is staged first; nothing reaches the folder until all are written.
    let traced = match plan(&loaded, a).and_then(|p| super::events::check(&a.events, &p)) {
        Ok(t) => t,
        Err(e) => {
            error(&e);
            return EXIT_BAD_INPUT;
        }
    };
    let logs = super::events::stage(&a.events, traced.as_deref(), &out.variants, out.results.seed, &mut stage);
    let logs = match logs {
        Ok(n) => n,
        Err(e) => {
            error(&format!("{e}; nothing was written, earlier results in {} are unchanged", dir.display()));
            return EXIT_BAD_INPUT;
        }
    };
    // Every output file is rendered on as many threads as the simulation had (see
    // `stage_outputs`), and synced before anything is published.
    let staged = build_pool(a.threads).and_then(|pool| {
        let charts = (!a.no_charts).then_some(a.font.as_deref());
        pool.install(|| stage_outputs(&out, book, &stage, charts))
    });
    if let Err(e) = staged.and_then(|()| stage.synced().map_err(|e| e.to_string())) {
        error(&format!(
            "cannot write the results: {e}; nothing was written, earlier results in {} are unchanged",
            dir.display()
        ));
        return EXIT_BAD_INPUT;
    }
    match publish(stage, &dir) {
        Ok(None) => {}
        Ok(Some(code)) => return code,
        Err(code) => return code,
    }
    if !a.quiet {
        print_summary(&out, a);
        if logs > 0 {
            println!("\nEvent logs: {logs} file(s) in {}", dir.join(super::events::FOLDER).display());
        }
    }
    EXIT_OK
}

/// Opens and locks the output folder, checks that the files of a run can replace the
/// earlier ones and that the font loads, and makes the staging folder: all before simulating.
pub fn prepare_output(
    dir: &Path,
    font: Option<&Path>,
    with_charts: bool,
) -> Result<(files::OutputDir, files::Stage), String> {
    let out = files::OutputDir::open(dir)?;
    out.preflight(&RUN_FILES, &["charts", super::events::FOLDER])?;
    if with_charts && let Some(f) = font {
        charts::fonts::choose(Some(f), &[])?;
    }
    let stage = out.stage().map_err(|e| format!("cannot write to the output folder {}: {e}", dir.display()))?;
    Ok((out, stage))
}

/// The files a run publishes at the top of its folder.
pub const RUN_FILES: [&str; 6] =
    ["summary.json", "kpis.csv", "replications.csv", "timeseries.csv", "compare.csv", "report.html"];

/// Publishes a complete stage, unless a signal came first (then nothing is written).
/// `Ok(None)`: published; `Ok(Some(code))` / `Err(code)`: the exit code to return.
pub fn publish(stage: files::Stage, dir: &Path) -> Result<Option<i32>, i32> {
    if let Some(code) = signals::received() {
        return Ok(Some(Fail::Signal(code).report(Some(dir))));
    }
    // A signal from here on only sets the flag: the renames below always finish.
    if let Err(e) = stage.publish() {
        error(&format!(
            "publishing the results in {} failed: {e}; the next branchsim command into this folder completes it",
            dir.display()
        ));
        return Err(EXIT_BAD_INPUT);
    }
    if let Some(code) = signals::received() {
        return Ok(Some(signals::stopped(
            code,
            &format!(
                "the signal came while the results were published; {} holds the complete new results",
                dir.display()
            ),
        )));
    }
    Ok(None)
}

/// OUT/<slug of the scenario name>: the only place a run writes to.
pub fn output_dir(out: &Path, loaded: &Loaded) -> PathBuf {
    out.join(scenario::slug(&loaded.baseline().model.name))
}

pub fn build_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, String> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        if n == 0 {
            return Err("--threads must be at least 1".into());
        }
        b = b.num_threads(n);
    }
    b.build().map_err(|e| format!("cannot start worker threads: {e}"))
}

/// "unknown KPI `x`; did you mean `y`?" against the model's catalogue, or `Ok` if it exists.
fn check_kpi(flag: &str, path: &str, model: &crate::model::Model) -> Result<(), String> {
    let paths: Vec<String> = crate::kpi::catalogue(model).iter().map(|id| id.path()).collect();
    if paths.iter().any(|p| p == path) {
        return Ok(());
    }
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    Err(format!("{flag}: unknown KPI `{path}`; {}", scenario::diag::did_you_mean(path, &refs)))
}

/// What the flags ask for, checked against the scenario before anything runs.
pub struct Plan<'a> {
    pub seed: u64,
    pub replications: u64,
    pub jobs: Vec<Job<'a>>,
    pub precision: Option<Precision>,
    pub opts: CompareOptions,
}

pub fn plan<'a>(loaded: &'a Loaded, a: &RunArgs) -> Result<Plan<'a>, String> {
    let base = loaded.baseline();
    let seed = a.seed.unwrap_or(base.model.seed);
    let reps = a.replications.unwrap_or(u64::from(base.model.replications));
    if reps == 0 {
        return Err("--replications must be at least 1".into());
    }
    super::budget::check_replications("--replications", reps)?;
    super::budget::check_replications("--max-replications", a.max_replications)?;
    for v in &a.variants {
        if !loaded.variants.iter().any(|x| &x.name == v) {
            let names: Vec<&str> = loaded.variants.iter().map(|x| x.name.as_str()).collect();
            return Err(format!("unknown variant `{v}`; {}", scenario::diag::did_you_mean(v, &names)));
        }
    }
    let jobs: Vec<Job<'_>> = loaded
        .variants
        .iter()
        .enumerate()
        .filter(|(i, v)| *i == 0 || a.variants.is_empty() || a.variants.contains(&v.name))
        .map(|(_, v)| Job { name: &v.name, description: &v.description, model: &v.model })
        .collect();
    let precision = if a.precision.is_empty() {
        None
    } else {
        let targets = a.precision.clone();
        for t in &targets {
            check_kpi("--precision", &t.kpi, &base.model)?;
        }
        if a.max_replications < 2 {
            return Err("--max-replications must be at least 2".into());
        }
        Some(Precision { targets, max_replications: a.max_replications })
    };
    let indifference = match a.indifference {
        None => 0.0,
        // A bare number is in the objective's own unit: the time unit for duration KPIs.
        Some(Indifference::Number(x)) => {
            let duration =
                a.objective.as_deref().is_some_and(|o| crate::kpi::is_duration(o.rsplit('.').next().unwrap_or(o)));
            if duration { x * base.model.time_unit.minutes() } else { x }
        }
        Some(Indifference::Minutes(m)) => m,
    };
    if let Some(obj) = &a.objective {
        check_kpi("--objective", obj, &base.model)?;
    }
    // The flag overrides the scenario's `objective`; without either there is no ranking.
    let opts = match (&a.objective, &base.scenario.objective) {
        (None, Some(o)) => CompareOptions { indifference, ..CompareOptions::from_scenario(o) },
        _ => CompareOptions {
            objective: a.objective.clone(),
            maximise: a.maximise.then_some(true),
            indifference,
            constraint: None,
            source: "--objective".into(),
        },
    };
    Ok(Plan { seed, replications: reps, jobs, precision, opts })
}

/// Runs the experiment described by the file and the flags; stops early (with `Err`) on
/// SIGINT/SIGTERM or when a replication hits a safety cap.
/// Checks the flags against the scenario and the estimates against the budgets (see
/// `simulate` for `out`).
pub fn check_plan(loaded: &Loaded, a: &RunArgs, out: Option<&Path>) -> Result<(), String> {
    let Plan { replications: reps, jobs, precision, .. } = plan(loaded, a)?;
    let held = precision.as_ref().map_or(reps, |p| reps.max(p.max_replications));
    a.caps.budget.check(&work(&jobs, held, out.is_some()), out)?;
    // Event-log indices and size, refused before anything runs.
    super::events::check(&a.events, &plan(loaded, a)?).map(|_| ())
}

/// `out`: the folder the run will write (its free space and the disk budget are checked);
/// `None` for commands that write no replication rows (`check`, `record`).
pub fn simulate(loaded: &Loaded, a: &RunArgs, out: Option<&Path>) -> Result<RunOutput, Fail> {
    simulate_inner(loaded, a, out, false).map(|(o, _)| o)
}

/// results.xlsx's Replications sheet, filled while the replications were folded.
type Book = Result<xlsx::Book, rust_xlsxwriter::XlsxError>;

/// `simulate`; with `book`, also fills results.xlsx's Replications sheet as the replications
/// are folded (see `report::xlsx::Book`), unless there are precision targets (their
/// replications come in several passes, not in the sheet's order) or the sheet will hold only
/// a note (`report::xlsx::Sheet`).
fn simulate_inner(
    loaded: &Loaded,
    a: &RunArgs,
    out: Option<&Path>,
    book: bool,
) -> Result<(RunOutput, Option<Book>), Fail> {
    check_plan(loaded, a, out)?;
    let Plan { seed, replications: reps, jobs, precision, opts } = plan(loaded, a)?;
    let pool = build_pool(a.threads)?;
    let total = match &precision {
        Some(p) => reps.min(p.max_replications) * jobs.len() as u64,
        None => reps * jobs.len() as u64,
    };
    let bar = progress_bar(total, a.quiet);
    let tick = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let ctl = Control { cancel: &signals::cancelled, stop_on_cap: true };
    let mut sheet: Option<Book> = None;
    let rows = xlsx::Sheet::for_run(reps, a.xlsx_replications) == xlsx::Sheet::Rows;
    if book && precision.is_none() && rows {
        let catalogues: Vec<Vec<crate::kpi::KpiId>> = jobs.iter().map(|j| crate::kpi::catalogue(j.model)).collect();
        let list: Vec<(&str, &[crate::kpi::KpiId])> =
            jobs.iter().zip(&catalogues).map(|(j, c)| (j.name, c.as_slice())).collect();
        sheet = Some(xlsx::Book::new(&list, loaded.baseline().model.time_unit));
    }
    let ran = pool.install(|| match sheet.as_mut() {
        Some(sheet) => {
            // The first error is kept and reported when the workbook is written.
            let mut row = |j: usize, v: &VariantResult| {
                let Some(values) = v.rows.last() else { return };
                let failed = match sheet.as_mut() {
                    Ok(s) => s.add_row(j, values).err(),
                    Err(_) => None,
                };
                if let Some(e) = failed {
                    *sheet = Err(e);
                }
            };
            experiment::run_ctl_folding(&jobs, seed, reps, &tick, &ctl, &mut row).map(|v| (v, None))
        }
        None => experiment::run_ctl(&jobs, seed, reps, precision.as_ref(), &tick, &ctl),
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let (variants, outcome) = ran.map_err(|h| halted(h, &loaded.warnings))?;
    // On the run's pool: the summaries and the comparison are built side by side.
    let results = pool.install(|| Results::build(loaded, seed, &variants, outcome.as_ref(), &opts));
    let dir = output_dir(&a.out, loaded);
    Ok((RunOutput { results, variants, dir, xlsx_replications: a.xlsx_replications }, sheet))
}

pub fn progress_bar(total: u64, quiet: bool) -> Option<ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(progress_style());
    Some(bar)
}

/// The progress line. indicatif's own `{per_sec}` prints four decimals and a thousands
/// separator ("4,336.6548/s"); the rate is drawn with the same significant digits as every
/// other number branchsim prints.
fn progress_style() -> ProgressStyle {
    let rate = |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{}", table::rate_text(s.per_sec()));
    };
    ProgressStyle::with_template("{spinner} replications {pos}/{len} [{bar:40}] {rate} eta {eta}")
        .map_or_else(|_| ProgressStyle::default_bar(), |s| s.with_key("rate", rate).progress_chars("=> "))
}

/// What a plan holds in memory and writes, for the budgets.
pub fn work<'a>(jobs: &[Job<'a>], replications: u64, writes_rows: bool) -> super::budget::Work<'a> {
    super::budget::Work {
        replications,
        variants: jobs
            .iter()
            .map(|j| (j.name, crate::kpi::catalogue(j.model).iter().map(|id| id.path()).collect()))
            .collect(),
        provenance: 16 + 20 + 8 + env!("CARGO_PKG_VERSION").len() as u64 + 4,
        writes_rows,
        fixed: super::budget::fixed_memory(&jobs.iter().map(|j| j.model).collect::<Vec<_>>()),
        bins: jobs.iter().map(|j| j.model.n_bins).max().unwrap_or(0),
    }
}

/// Stages summary.json and the CSV files (compare.csv is removed when there is nothing to
/// compare), side by side on the pool's threads.
pub fn write_outputs(out: &RunOutput, stage: &files::Stage) -> std::io::Result<()> {
    let (book, (rows, small)) = rayon::join(
        || stage_workbook(out, None, stage),
        || rayon::join(|| stage_rows(out, stage), || stage_small(out, stage)),
    );
    book.and(rows).and(small)
}

/// Stages every file of a run: the data files of `write_outputs` and, when `charts` is
/// `Some(font)`, the charts and report.html (when `None`, those of an earlier run are removed:
/// they would describe other results). `book`: the workbook's Replications sheet, when it was
/// filled during the simulation.
///
/// Why this order: the workbook is the longest chain of work after the simulation (its cells,
/// then each sheet's XML, then one deflate stream per sheet, one after another inside
/// rust_xlsxwriter: about a fifth of a 1,000-replication run, all on one thread), so it starts
/// first, on this thread, and replications.csv, the charts and the small files fill the other
/// threads meanwhile. Started after them, as before, it ran alone at the end while the other
/// core idled.
pub fn stage_outputs(
    out: &RunOutput,
    book: Option<Book>,
    stage: &files::Stage,
    charts: Option<Option<&Path>>,
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    let (book, (rows, (small, drawn))) = rayon::join(
        || stage_workbook(out, book, stage).map_err(io),
        || {
            rayon::join(
                || stage_rows(out, stage).map_err(io),
                || {
                    rayon::join(
                        || stage_small(out, stage).map_err(io),
                        || match charts {
                            Some(font) => charts::stage_charts_and_report(&out.results, stage, font),
                            None => {
                                stage.remove("charts");
                                stage.remove("report.html");
                                Ok(())
                            }
                        },
                    )
                },
            )
        },
    );
    book.and(rows).and(small).and(drawn)
}

/// results.xlsx, finishing `book` when the simulation filled its Replications sheet.
fn stage_workbook(out: &RunOutput, book: Option<Book>, stage: &files::Stage) -> std::io::Result<()> {
    let bytes = match book {
        Some(b) => b.and_then(|b| b.finish(&out.results)),
        None => xlsx::workbook(&out.results, &out.variants, out.xlsx_replications),
    };
    stage.write("results.xlsx", &bytes.map_err(std::io::Error::other)?)
}

/// replications.csv, streamed.
fn stage_rows(out: &RunOutput, stage: &files::Stage) -> std::io::Result<()> {
    let r = &out.results;
    let prov = csv_out::Provenance::of(r);
    stage.write_with("replications.csv", |w| {
        csv_out::write_replications_csv(w, &out.variants, r.scenario.time_unit, &prov)
    })
}

/// summary.json, kpis.csv, timeseries.csv and compare.csv.
fn stage_small(out: &RunOutput, stage: &files::Stage) -> std::io::Result<()> {
    let r = &out.results;
    stage.write("summary.json", r.to_json().as_bytes())?;
    stage.write("kpis.csv", &csv_out::kpis_csv(r))?;
    stage.write("timeseries.csv", &csv_out::timeseries_csv(r))?;
    match csv_out::compare_csv(r) {
        Some(c) => stage.write("compare.csv", &c),
        None => {
            stage.remove("compare.csv");
            Ok(())
        }
    }
}

fn print_summary(out: &RunOutput, a: &RunArgs) {
    let r = &out.results;
    // Names cannot hold control or bidi characters (validation rejects them) and the
    // description can: everything from the scenario is cleaned before it reaches the terminal.
    let clean = scenario::diag::printable;
    println!("{} — {} replications, seed {}", clean(&r.scenario.name), r.replications, r.seed);
    if !r.scenario.description.is_empty() {
        println!("{}", clean(&r.scenario.description));
    }
    println!();
    print!("{}", clean(&table::kpi_table(r)));
    println!("\nWhere to act next:");
    print!("{}", clean(&table::bottleneck_lines(r)));
    if r.comparison.is_some() {
        println!("\nVariants against the baseline (common random numbers):");
        print!("{}", clean(&table::comparison_table(r)));
    }
    if let Some(p) = &r.precision {
        println!("\nPrecision targets ({} replications):", p.replications);
        for t in &p.targets {
            println!(
                "  {} {}: half-width {:.4} (target {:.4}) {}",
                t.variant,
                t.kpi,
                t.half_width,
                t.target,
                if t.met { "met" } else { "NOT met (hit --max-replications)" }
            );
        }
    }
    for (name, v) in &r.variants {
        if !v.stopped_early.is_empty() {
            println!(
                "\nwarning: {} replication(s) of `{name}` stopped early: {}",
                v.stopped_early.len(),
                v.stopped_early[0].1
            );
        }
    }
    if a.suggest_warmup {
        println!("\nWarm-up (MSER-5 on the total queue length):");
        for (name, v) in &r.variants {
            let n = v.timeseries.bin_start.len();
            let total: Vec<f64> = (0..n)
                .map(|i| v.timeseries.queue.values().map(|b| b.mean.get(i).copied().unwrap_or(0.0)).sum())
                .collect();
            match mser::mser5(&total) {
                Some(m) if m.settled => println!(
                    "  {name}: warmup = \"{}\" ({} bins of {} {})",
                    units::human_duration(m.delete as f64 * v.timeseries.bin_width * r.scenario.time_unit.minutes()),
                    m.delete,
                    v.timeseries.bin_width,
                    r.scenario.time_unit
                ),
                Some(_) => println!(
                    "  {name}: the queue-length series does not settle within the horizon (no steady state to estimate)"
                ),
                None => println!("  {name}: too few time bins for MSER-5 (need at least 20)"),
            }
        }
    }
    println!("\nResults written to {}", out.dir.display());
}

/// `--indifference`: a bare number (in the objective's unit) or a duration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Indifference {
    Number(f64),
    Minutes(f64),
}

impl Indifference {
    /// Parses `--indifference` (a clap value parser, so a bad value gets clap's usage line).
    pub fn parse(s: &str) -> Result<Indifference, String> {
        match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(Indifference::Number(x)),
            Ok(_) => Err("expected a non-negative number or duration, e.g. 0.5min".into()),
            Err(_) => units::parse_duration(s).map(Indifference::Minutes),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::{ProgressBar, ProgressDrawTarget, TermLike};

    /// A terminal that keeps what is written to it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<String>>);

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            200
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            self.0.lock().unwrap().push('\n');
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The progress line's rate has a few significant digits, never indicatif's
    /// "4,336.6548/s".
    #[test]
    fn progress_rate_has_few_digits() {
        let screen = Screen::default();
        let bar = ProgressBar::with_draw_target(Some(100_000), ProgressDrawTarget::term_like(Box::new(screen.clone())));
        bar.set_style(super::progress_style());
        for _ in 0..50 {
            bar.inc(997);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        bar.tick();
        let text = screen.0.lock().unwrap().clone();
        let rates: Vec<&str> = text.split_whitespace().filter(|w| w.ends_with("/s")).collect();
        assert!(!rates.is_empty(), "no rate drawn: {text}");
        for r in rates {
            let digits: String = r.trim_end_matches("/s").chars().filter(|c| c.is_ascii_digit()).collect();
            assert!(!r.contains(','), "thousands separator in {r}");
            assert!(digits.len() <= 4 || !r.contains('.'), "too many digits in {r}");
            let decimals = r.trim_end_matches("/s").split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 3, "too many decimals in {r}");
        }
        assert_eq!(crate::report::table::rate_text(4336.6548), "4337/s");
        assert_eq!(crate::report::table::rate_text(0.43366), "0.434/s");
    }
}
