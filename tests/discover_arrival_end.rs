//! `branchsim discover --until` and `--cases` (issue #23, held-out protocol): the discovered
//! scenario takes arrivals until a date-time, or until the model expects a number of cases,
//! rather than for whole weeks. The held-out protocol (benches/logdist/holdout.py) relies on
//! it: arrivals that go on to the end of the held-out period's last week put the held-out
//! cases behind newcomers the real log never had.
//!
//! A known scenario is simulated with an event log, discovered with each option, and the
//! discovered scenario is loaded and run: its start date, horizon, expected arrivals and the
//! arrivals of its own event logs are checked against the option.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Datelike, NaiveDateTime};

/// Four cases an hour around the clock for two weeks, served by three clerks with ample
/// capacity (load 4 × 15 min / 3 = 1/3), so every case finishes soon after it arrives.
const SOURCE: &str = r#"
name = "steady counter"
time_unit = "min"
start = "00:00"
start_day = "mon"
start_date = "2026-01-05"
horizon = "14d"
seed = 5
replications = 1

[[customers]]
name = "visitor"
first_step = "serve"

[[arrivals]]
customer = "visitor"
rate = "4/h"

[[resources]]
name = "clerk"
staff = 3

[[steps]]
name = "serve"
resource = "clerk"
service = { dist = "exponential", mean = "10min" }
next = [{ step = "file", p = 1.0 }]

[[steps]]
name = "file"
resource = "clerk"
service = { dist = "exponential", mean = "5min" }
"#;

fn branchsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_branchsim")).args(args).output().unwrap()
}

fn ok(args: &[&str]) {
    let out = branchsim(args);
    assert!(out.status.success(), "branchsim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { v.extend(walk(&p)) } else { v.push(p) }
    }
    v
}

/// Runs `scenario` for `reps` replications with event logs; returns the output folder.
fn run(scenario: &Path, reps: u32, out: &Path) -> Vec<PathBuf> {
    let n = reps.to_string();
    let events = format!("--events=0-{}", reps - 1);
    ok(&["run", scenario.to_str().unwrap(), "-n", &n, "--out", out.to_str().unwrap(), "-q", "--no-charts", &events]);
    let logs: Vec<PathBuf> = walk(out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "csv") && p.parent().is_some_and(|d| d.ends_with("events")))
        .collect();
    assert_eq!(logs.len(), reps as usize, "one event log per replication under {}", out.display());
    logs
}

fn time(text: &str) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.naive_local())
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
        .unwrap_or_else(|e| panic!("timestamp {text:?}: {e}"))
}

/// Arrival of every case of an event log written by `branchsim run --events`: the enable
/// time of its first visit.
fn arrivals(log: &Path) -> Vec<NaiveDateTime> {
    let mut r = csv::Reader::from_path(log).unwrap();
    let head = r.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h.trim_start_matches('\u{feff}') == name).unwrap();
    let (case, enable) = (col("case_id"), col("enable_time"));
    let mut first: HashMap<String, NaiveDateTime> = HashMap::new();
    for row in r.records() {
        let row = row.unwrap();
        let t = time(&row[enable]);
        first.entry(row[case].to_string()).and_modify(|f| *f = (*f).min(t)).or_insert(t);
    }
    first.into_values().collect()
}

/// The `unfinished` KPI of each replication (cases still inside when the drain ended).
fn unfinished(out: &Path) -> Vec<f64> {
    let file = walk(out).into_iter().find(|p| p.file_name().is_some_and(|n| n == "replications.csv")).unwrap();
    let mut r = csv::Reader::from_path(file).unwrap();
    let head = r.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h.trim_start_matches('\u{feff}') == name).unwrap();
    let (kpi, value) = (col("kpi"), col("value"));
    r.records()
        .map(Result::unwrap)
        .filter(|row| &row[kpi] == "unfinished")
        .map(|row| row[value].parse().unwrap())
        .collect()
}

/// The source scenario's event log (one replication).
fn source_log(dir: &Path) -> PathBuf {
    let scenario = dir.join("source.toml");
    std::fs::write(&scenario, SOURCE).unwrap();
    run(&scenario, 1, &dir.join("source")).remove(0)
}

fn minutes_between(a: NaiveDateTime, b: NaiveDateTime) -> f64 {
    (b - a).num_seconds() as f64 / 60.0
}

#[test]
fn until_ends_the_arrivals_at_the_date_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = source_log(dir.path());
    let first = arrivals(&log).into_iter().min().unwrap();
    // A Wednesday late morning in the week after the log: not whole weeks, and beyond the data.
    let until = NaiveDateTime::parse_from_str("2026-01-21 11:30", "%Y-%m-%d %H:%M").unwrap();
    let scen = dir.path().join("until.toml");
    ok(&[
        "discover",
        log.to_str().unwrap(),
        "--until",
        "2026-01-21 11:30",
        "--no-report",
        "-q",
        "-o",
        scen.to_str().unwrap(),
    ]);

    let loaded = branchsim::scenario::load_file(&scen).unwrap_or_else(|e| panic!("{}", e.render()));
    let s = &loaded.baseline().scenario;
    // t = 0 is the Monday of the log's first arrival; the horizon ends at --until.
    let monday = first.date() - chrono::Duration::days(i64::from(first.weekday().num_days_from_monday()));
    assert_eq!(s.epoch.date, monday);
    let start = monday.and_hms_opt(0, 0, 0).unwrap();
    assert_eq!(s.horizon, minutes_between(start, until), "horizon in minutes from {start} to {until}");
    assert!(std::fs::read_to_string(&scen).unwrap().contains("arrivals until 2026-01-21 11:30 (--until)"));

    // Its own runs: nobody arrives at or after --until, arrivals go on until shortly before it
    // (about 4 an hour: none in its last 6 hours has probability e^-24 per run), and every
    // case finishes within the drain.
    let out = dir.path().join("run-until");
    for sim in run(&scen, 3, &out) {
        let a = arrivals(&sim);
        let last = *a.iter().max().unwrap();
        assert!(last < until, "{}: an arrival at {last}, after {until}", sim.display());
        assert!(minutes_between(last, until) < 360.0, "{}: last arrival {last}, long before {until}", sim.display());
    }
    assert_eq!(unfinished(&out), vec![0.0; 3], "no case is cut off by the drain");
}

#[test]
fn cases_ends_the_arrivals_when_the_model_expects_that_many() {
    let dir = tempfile::tempdir().unwrap();
    let log = source_log(dir.path());
    let seen = arrivals(&log).len();
    // More cases than the log has: the weekly profile carries on after the data.
    let n = (seen * 3 / 2) as u64;
    let scen = dir.path().join("cases.toml");
    let flag = n.to_string();
    ok(&["discover", log.to_str().unwrap(), "--cases", &flag, "--no-report", "-q", "-o", scen.to_str().unwrap()]);

    let loaded = branchsim::scenario::load_file(&scen).unwrap_or_else(|e| panic!("{}", e.render()));
    let m = &loaded.baseline().model;
    let expected =
        |h: f64| m.arrivals.iter().map(|a| branchsim::scenario::compile::expected_arrivals(a, h)).sum::<f64>();
    // The model expects n cases over the horizon: the emitted rates carry 4 significant digits
    // and the horizon is rounded up to a whole minute (about 0.07 cases at 4 an hour), so 0.5
    // is a wide bound; and an hour less expects fewer (it is the first time n is reached).
    let over = expected(m.horizon);
    assert!((over - n as f64).abs() < 0.5, "expected {over} arrivals over the horizon, asked {n}");
    assert!(expected(m.horizon - 60.0) < n as f64 - 1.0, "the horizon is longer than needed");
    assert!(std::fs::read_to_string(&scen).unwrap().contains(&format!("--cases {n}: the model expects {n} cases")));

    // Simulated: the mean arrivals of 4 runs is within 4 standard errors of n (Poisson: sd √n
    // per run, √(n/4) for the mean).
    let sims = run(&scen, 4, &dir.path().join("run-cases"));
    let mean = sims.iter().map(|p| arrivals(p).len() as f64).sum::<f64>() / 4.0;
    let se = (n as f64 / 4.0).sqrt();
    assert!((mean - n as f64).abs() < 4.0 * se, "mean arrivals {mean}, asked {n} (se {se:.1})");
}

#[test]
fn bad_arrival_ends_are_usage_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = source_log(dir.path());
    let scen = dir.path().join("bad.toml");
    let (l, o) = (log.to_str().unwrap(), scen.to_str().unwrap());
    for (args, says) in [
        (vec!["--until", "next tuesday"], "is not a date-time"),
        (vec!["--until", "2025-12-01 09:00"], "is not after the first arrival"),
        (vec!["--cases", "0"], "--cases 0"),
        (vec!["--until", "2026-01-21 11:30", "--weeks", "3"], "cannot be used with"),
        (vec!["--until", "2026-01-21 11:30", "--cases", "10"], "cannot be used with"),
    ] {
        let mut all = vec!["discover", l, "--no-report", "-q", "-o", o];
        all.extend(&args);
        let out = branchsim(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {says:?} not in {err}");
        assert!(!scen.exists(), "{args:?} left {o} behind");
    }
}
