//! `branchsim discover` and `branchsim compare-logs`: thin layers over `crate::discover`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK, error};
use crate::discover::{self, Format, Mapping};

/// Column names of a CSV log (default: recognised from the header).
#[derive(Args, Debug, Clone)]
pub struct Columns {
    /// Column of the case id (default: case, case_id, case:concept:name …).
    #[arg(long, value_name = "COLUMN")]
    pub case: Option<String>,
    /// Column of the activity name (default: activity, concept:name, task …).
    #[arg(long, value_name = "COLUMN")]
    pub activity: Option<String>,
    /// Column of the start time (default: start, start_time, start_timestamp …).
    #[arg(long, value_name = "COLUMN")]
    pub start: Option<String>,
    /// Column of the end time (default: end, end_time, time:timestamp …).
    #[arg(long, value_name = "COLUMN")]
    pub end: Option<String>,
    /// Column of the resource (default: resource, org:resource, user …).
    #[arg(long, value_name = "COLUMN")]
    pub resource: Option<String>,
    /// Column of the enable time (default: enable_time …; without one, the previous completion
    /// in the case).
    #[arg(long, value_name = "COLUMN")]
    pub enable: Option<String>,
    /// Case attribute giving the customer type (default: customer_type, segment, channel …).
    #[arg(long = "type", value_name = "COLUMN")]
    pub customer_type: Option<String>,
    /// Ticket exports: column of the ticket id.
    #[arg(long, value_name = "COLUMN")]
    pub ticket: Option<String>,
    /// Ticket exports: column of the service or transaction type.
    #[arg(long, value_name = "COLUMN")]
    pub service: Option<String>,
    /// Ticket exports: column of the issue (arrival) time.
    #[arg(long, value_name = "COLUMN")]
    pub issue: Option<String>,
    /// Ticket exports: column of the call time.
    #[arg(long, value_name = "COLUMN")]
    pub call: Option<String>,
    /// Ticket exports: column of the counter or staff id.
    #[arg(long, value_name = "COLUMN")]
    pub counter: Option<String>,
    /// Ticket exports: column saying the customer left unserved (yes/no, 1/0, true/false).
    #[arg(long, value_name = "COLUMN")]
    pub left: Option<String>,
    /// Event logs: column of the lifecycle transition (default: lifecycle …); rows `abandon`
    /// and `balk` are customers who gave up or refused to queue (patience and balking),
    /// `suspend` rows are parts of a visit completed later.
    #[arg(long, value_name = "COLUMN")]
    pub lifecycle: Option<String>,
    /// Kind of log (default: by extension and header).
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
}

impl Columns {
    fn mapping(&self) -> Mapping {
        Mapping {
            case: self.case.clone(),
            activity: self.activity.clone(),
            start: self.start.clone(),
            end: self.end.clone(),
            resource: self.resource.clone(),
            enable: self.enable.clone(),
            customer_type: self.customer_type.clone(),
            ticket: self.ticket.clone(),
            service: self.service.clone(),
            issue: self.issue.clone(),
            call: self.call.clone(),
            counter: self.counter.clone(),
            left: self.left.clone(),
            lifecycle: self.lifecycle.clone(),
        }
    }
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  branchsim discover ../shared/logs/loan_application_sim.csv -o scenarios/loan_as_is.toml
  branchsim discover tickets.csv -o branch.toml --left status
  branchsim discover log.xes -o model.toml --weeks 4
  branchsim discover ../shared/logs/loan_application_sim.csv --first-weeks 3 -o train.toml
  branchsim discover log.csv --until \"2017-02-14 10:05\" -o model.toml
  branchsim discover log.csv --first-weeks 3 --cases 1000 -o held_out.toml")]
pub struct DiscoverArgs {
    /// The event log: CSV, XES, or a queue-ticket export (CSV).
    pub log: PathBuf,
    /// The scenario file to write.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Simulated horizon in weeks (default: the weeks in which cases arrived).
    #[arg(long, conflicts_with_all = ["until", "cases"])]
    pub weeks: Option<u64>,
    /// Take arrivals until this date-time (the log's wall clock, e.g. 2017-02-14T10:05 or
    /// "2017-02-14 10:05"), not whole weeks; the horizon runs on, without arrivals, by the
    /// log's longest case (whole weeks), so the cases inside finish on their calendars.
    #[arg(long, value_name = "DATETIME", conflicts_with = "cases")]
    pub until: Option<String>,
    /// Take arrivals until the model expects N cases since its start (the Monday of the log's
    /// first arrival), e.g. the number of cases of a period to reproduce; then as --until.
    #[arg(long, value_name = "N")]
    pub cases: Option<u64>,
    /// Learn only from cases that start in the log's first N whole weeks (the training part
    /// of the held-out protocol; `compare-logs --split-weeks N` measures against the rest).
    #[arg(long, value_name = "N")]
    pub first_weeks: Option<u64>,
    /// Folder of the fit report (fit_report.html and charts/*.png; default: <scenario stem>_fit
    /// beside the scenario).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write the scenario only, no fit report.
    #[arg(long, conflicts_with = "report")]
    pub no_report: bool,
    /// Font file for the charts' text (default: embedded DejaVu Sans, or an installed font
    /// that has the names' characters).
    #[arg(long, value_name = "PATH")]
    pub font: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub columns: Columns,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  branchsim compare-logs test.csv simulated.csv
  branchsim compare-logs ../shared/logs/loan_application_sim.csv --split-weeks 3   # noise floor
  branchsim compare-logs ../shared/logs/loan_application_sim.csv --split-weeks 3 --markov-baseline 10")]
pub struct CompareArgs {
    /// The real (test) log.
    pub test: PathBuf,
    /// The simulated log.
    pub simulated: Option<PathBuf>,
    /// Split TEST at N whole weeks after its first day. Alone: compare the first part (moved
    /// forward N weeks) with the rest, the noise floor of the measures. With SIMULATED:
    /// compare the rest of TEST (the held-out part) with the simulated cases whose first start
    /// falls in the held-out period (its first to last first start), as the held-out cases
    /// were chosen.
    #[arg(long, value_name = "N")]
    pub split_weeks: Option<u64>,
    /// With --split-weeks: also measure the first-order Markov baseline (learnt from the first
    /// part, simulated over the rest) over this many seeded runs (mean and spread).
    #[arg(long, value_name = "RUNS")]
    pub markov_baseline: Option<u64>,
    /// Print JSON (one object, measure → value) instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub columns: Columns,
}

/// The Markov baseline learnt from the first `weeks` of `log`, simulated over the arrival
/// period of the rest (`test`), measured against it: mean and sample sd over `runs` seeds.
type Measures = Vec<(&'static str, f64)>;
fn markov_runs(
    log: &discover::log::EventLog,
    test: &discover::log::EventLog,
    weeks: u64,
    runs: u64,
) -> (Measures, Measures) {
    let (train, _) = discover::distance::split_at(log, weeks);
    let m = discover::baseline::Markov::learn(&train);
    let firsts: Vec<f64> = test.by_case().map(|e| e.iter().map(|x| x.start).fold(f64::INFINITY, f64::min)).collect();
    let from = firsts.iter().copied().fold(f64::INFINITY, f64::min);
    let until = firsts.iter().copied().fold(f64::NEG_INFINITY, f64::max) + 1e-9;
    let all: Vec<Measures> =
        (0..runs).map(|seed| discover::distance::all(test, &m.simulate(from, until, seed + 1))).collect();
    let n = runs as f64;
    let mean: Measures =
        (0..all[0].len()).map(|i| (all[0][i].0, all.iter().map(|r| r[i].1).sum::<f64>() / n)).collect();
    let sd: Measures = (0..all[0].len())
        .map(|i| {
            let v = all.iter().map(|r| (r[i].1 - mean[i].1).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            (all[0][i].0, v.sqrt())
        })
        .collect();
    (mean, sd)
}

fn print_issues(log: &discover::log::EventLog, path: &Path) {
    let text = log.issues.report(&path.display().to_string());
    for line in text.lines() {
        eprintln!("warning: {line}");
    }
}

/// Applies `--until` or `--cases` (the arrival end) to the discovery.
fn arrival_end(a: &DiscoverArgs, d: &mut discover::Discovery) -> Result<(), String> {
    use discover::horizon::{self, ArrivalEnd};
    let end = match (&a.until, a.cases) {
        (Some(text), _) => {
            let at = discover::time::parse(text).ok_or_else(|| {
                format!("--until {text:?} is not a date-time; write e.g. 2017-02-14T10:05 or \"2017-02-14 10:05\"")
            })?;
            ArrivalEnd { at, why: "--until".into(), longest_case: horizon::longest_case(d) }
        }
        (None, Some(n)) => {
            let at = horizon::after_cases(d, n).map_err(|e| format!("--cases {n}: {e}"))?;
            ArrivalEnd {
                at,
                why: format!("--cases {n}: the model expects {n} cases by then"),
                longest_case: horizon::longest_case(d),
            }
        }
        (None, None) => return Ok(()),
    };
    let flag = if a.until.is_some() { "--until" } else { "--cases" };
    horizon::set(d, end).map_err(|e| format!("{flag}: {e}"))
}

pub fn discover(a: &DiscoverArgs) -> i32 {
    let log = match discover::read(&a.log, a.columns.format, &a.columns.mapping()) {
        Ok(l) => l,
        Err(e) => {
            error(&e);
            return EXIT_BAD_INPUT;
        }
    };
    if !a.quiet {
        print_issues(&log, &a.log);
    }
    let log = match a.first_weeks {
        Some(0) => {
            error("--first-weeks must be at least 1");
            return EXIT_BAD_INPUT;
        }
        Some(w) => {
            let (first, _) = discover::distance::split_at(&log, w);
            if first.events.is_empty() {
                error(&format!("--first-weeks {w}: no case of {} starts in its first {w} weeks", a.log.display()));
                return EXIT_BAD_INPUT;
            }
            first
        }
        None => log,
    };
    if log.events.is_empty() {
        // Only tickets that left unserved: arrivals and patience, but no process to serve them.
        error(&format!("{}: no served ticket or finished event: there is no process to build", a.log.display()));
        return EXIT_BAD_INPUT;
    }
    let mut d = discover::discover(log, &a.log, a.weeks);
    if let Err(e) = arrival_end(a, &mut d) {
        error(&e);
        return EXIT_BAD_INPUT;
    }
    // A large log is read back from temporary files in each pass: a failed read leaves the
    // inference incomplete, so nothing is written.
    if let Some(e) = d.log.events.failure().or_else(|| d.log.patience.failure()) {
        error(&format!("{}: {e}", a.log.display()));
        return EXIT_BAD_INPUT;
    }
    let dir = a.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let schema = dir.join("../docs/scenario.schema.json").is_file();
    let text = discover::emit::scenario(&d, schema);
    // The scenario must load before it is written: a file that does not validate is a bug.
    let loaded = match crate::scenario::load_str(&text, &a.out.display().to_string()) {
        Ok(l) => l,
        Err(e) => {
            error(&format!(
                "the discovered scenario does not validate (a branchsim bug; please report it):\n{}",
                e.render()
            ));
            return EXIT_BAD_INPUT;
        }
    };
    // The fit report first: when it cannot be written, neither is the scenario.
    let report_dir = (!a.no_report).then(|| a.report.clone().unwrap_or_else(|| discover::report::default_dir(&a.out)));
    if let Some(rd) = &report_dir {
        let shown = a.out.display().to_string();
        let w = discover::report::Written { scenario_path: &shown, loaded: &loaded };
        if let Err(e) = discover::report::write(&d, &w, rd, a.font.as_deref()) {
            error(&e);
            return EXIT_BAD_INPUT;
        }
    }
    let written = tempfile::NamedTempFile::new_in(dir).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.persist(&a.out).map(|_| ()).map_err(|e| e.error)
    });
    if let Err(e) = written {
        error(&format!("cannot write {}: {e}", a.out.display()));
        return EXIT_BAD_INPUT;
    }
    if !a.quiet {
        eprintln!(
            "{}: {} cases, {} activities, {} resource pools → {}",
            a.log.display(),
            d.log.cases,
            d.log.activities.len(),
            d.pools.len(),
            a.out.display()
        );
        if let Some(rd) = &report_dir {
            eprintln!("fit report: {}", rd.join(discover::report::PAGE).display());
        }
    }
    EXIT_OK
}

pub fn compare(a: &CompareArgs) -> i32 {
    let m = a.columns.mapping();
    let read = |p: &Path| {
        discover::read(p, a.columns.format, &m).inspect(|l| print_issues(l, p)).map_err(|e| {
            error(&e);
        })
    };
    let Ok(test) = read(&a.test) else { return EXIT_BAD_INPUT };
    let (x, y, original) = match (&a.simulated, a.split_weeks) {
        (Some(s), None) => {
            let Ok(sim) = read(s) else { return EXIT_BAD_INPUT };
            (test, sim, None)
        }
        (None, Some(w)) if w > 0 => {
            let (first, second) = discover::distance::split(&test, w);
            if first.events.is_empty() || second.events.is_empty() {
                error(&format!("--split-weeks {w}: one part of {} has no events", a.test.display()));
                return EXIT_BAD_INPUT;
            }
            (second, first, Some(test))
        }
        (Some(s), Some(w)) if w > 0 => {
            let Ok(sim) = read(s) else { return EXIT_BAD_INPUT };
            let (_, held_out) = discover::distance::split_at(&test, w);
            // Simulated cases count as the held-out ones were chosen: by first start in the
            // held-out period (a warm run also simulates the training weeks).
            let Some((lo, hi)) = discover::distance::first_start_range(&held_out) else {
                error(&format!("--split-weeks {w}: the held-out part of {} has no events", a.test.display()));
                return EXIT_BAD_INPUT;
            };
            let kept = discover::distance::window(&sim, lo, hi);
            if kept.events.is_empty() {
                error(&format!(
                    "{}: no simulated case starts in the held-out period of {} (the dates do not overlap: simulate the scenario `discover` wrote, whose start_date continues the log's)",
                    s.display(),
                    a.test.display()
                ));
                return EXIT_BAD_INPUT;
            }
            eprintln!(
                "{}: {} of {} simulated cases start in the held-out period (as its {} cases were chosen); the others are left out",
                s.display(),
                kept.cases,
                sim.cases,
                held_out.cases
            );
            (held_out, kept, None)
        }
        _ => {
            error("give a SIMULATED log, or --split-weeks N (at least 1) for the noise floor");
            return EXIT_BAD_INPUT;
        }
    };
    let values = discover::distance::all(&x, &y);
    let baseline = match (a.markov_baseline, a.split_weeks, &original) {
        (None, _, _) => None,
        (Some(runs), Some(w), Some(log)) if runs > 0 => Some(markov_runs(log, &x, w, runs)),
        _ => {
            error("--markov-baseline RUNS needs --split-weeks N and at least one run");
            return EXIT_BAD_INPUT;
        }
    };
    if a.json {
        let obj = |v: &[(&str, f64)]| -> serde_json::Value {
            serde_json::Value::Object(v.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect())
        };
        let out = match &baseline {
            None => obj(&values),
            Some((mean, sd)) => {
                serde_json::json!({ "noise_floor": obj(&values), "markov_baseline": { "mean": obj(mean), "sd": obj(sd) } })
            }
        };
        println!("{out}");
    } else {
        match &baseline {
            None => {
                for (k, v) in values {
                    println!("{k:<30} {v:.6}");
                }
            }
            Some((mean, sd)) => {
                println!("{:<30} {:>12} {:>24}", "measure", "noise floor", "Markov baseline (mean ± sd)");
                for ((k, v), ((_, m), (_, s))) in values.iter().zip(mean.iter().zip(sd)) {
                    println!("{k:<30} {v:>12.4} {m:>14.4} ± {s:<8.4}");
                }
            }
        }
    }
    EXIT_OK
}
