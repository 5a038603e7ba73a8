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

/// Arrival and last end of every case of an event log written by `branchsim run --events`
/// (the arrival is the enable time of its first visit).
fn cases(log: &Path) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let mut r = csv::Reader::from_path(log).unwrap();
    let head = r.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h.trim_start_matches('\u{feff}') == name).unwrap();
    let (case, enable, end) = (col("case_id"), col("enable_time"), col("end_time"));
    let mut span: HashMap<String, (NaiveDateTime, NaiveDateTime)> = HashMap::new();
    for row in r.records() {
        let row = row.unwrap();
        let (a, b) = (time(&row[enable]), time(&row[end]));
        span.entry(row[case].to_string()).and_modify(|(x, y)| (*x, *y) = ((*x).min(a), (*y).max(b))).or_insert((a, b));
    }
    span.into_values().collect()
}

fn arrivals(log: &Path) -> Vec<NaiveDateTime> {
    cases(log).into_iter().map(|c| c.0).collect()
}

/// The arrival end the scenario's horizon comment gives ("arrivals until 2026-01-21 11:00").
fn stated_end(scenario: &Path) -> NaiveDateTime {
    let text = std::fs::read_to_string(scenario).unwrap();
    let line = text.lines().find(|l| l.starts_with("horizon")).unwrap();
    let at = line.split("arrivals until ").nth(1).unwrap_or_else(|| panic!("no arrival end in {line:?}"));
    NaiveDateTime::parse_from_str(&at[..16], "%Y-%m-%d %H:%M").unwrap()
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

/// Expected arrivals of the loaded scenario over [0, t) (minutes).
fn expected(loaded: &branchsim::scenario::Loaded, t: f64) -> f64 {
    let m = &loaded.baseline().model;
    m.arrivals.iter().map(|a| branchsim::scenario::compile::expected_arrivals(a, t)).sum()
}

#[test]
fn until_ends_the_arrivals_at_the_date_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = source_log(dir.path());
    let real = cases(&log);
    let first = real.iter().map(|c| c.0).min().unwrap();
    let longest = real.iter().map(|(a, b)| minutes_between(*a, *b)).fold(0.0, f64::max);
    // A Wednesday in the week after the log: not whole weeks, and beyond the data.
    let until = NaiveDateTime::parse_from_str("2026-01-21 11:00", "%Y-%m-%d %H:%M").unwrap();
    let scen = dir.path().join("until.toml");
    ok(&[
        "discover",
        log.to_str().unwrap(),
        "--until",
        "2026-01-21 11:00",
        "--no-report",
        "-q",
        "-o",
        scen.to_str().unwrap(),
    ]);

    let loaded = branchsim::scenario::load_file(&scen).unwrap_or_else(|e| panic!("{}", e.render()));
    let s = &loaded.baseline().scenario;
    // t = 0 is the Monday of the log's first arrival; the horizon runs on past --until by the
    // log's longest case, in whole weeks, and the model expects nobody after --until.
    let monday = first.date() - chrono::Duration::days(i64::from(first.weekday().num_days_from_monday()));
    assert_eq!(s.epoch.date, monday);
    let start = monday.and_hms_opt(0, 0, 0).unwrap();
    let to_end = minutes_between(start, until);
    let week = 7.0 * 1440.0;
    assert_eq!(s.horizon, ((to_end + longest) / week).ceil() * week, "horizon: longest case {longest} min");
    assert_eq!(stated_end(&scen), until);
    assert!(expected(&loaded, to_end) > 100.0);
    assert!(expected(&loaded, s.horizon) - expected(&loaded, to_end) < 1e-9, "arrivals expected after --until");

    // Its own runs: nobody arrives at or after --until, arrivals go on until shortly before it
    // (about 4 an hour: none in its last 6 hours has probability e^-24 per run), and every
    // case finishes.
    let out = dir.path().join("run-until");
    for sim in run(&scen, 3, &out) {
        let a = arrivals(&sim);
        let last = *a.iter().max().unwrap();
        assert!(last < until, "{}: an arrival at {last}, after {until}", sim.display());
        assert!(minutes_between(last, until) < 360.0, "{}: last arrival {last}, long before {until}", sim.display());
    }
    assert_eq!(unfinished(&out), vec![0.0; 3], "no case is left unfinished");
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
    let s = &loaded.baseline().scenario;
    let start = s.epoch.date.and_hms_opt(0, 0, 0).unwrap();
    let end = minutes_between(start, stated_end(&scen));
    // The model expects n cases by the end the scenario states, none after it, and an hour
    // before it fewer (it is the first time n is reached). Tolerance: the emitted rates carry
    // 4 significant digits and the stated end is rounded to the minute (about 0.07 cases at 4
    // an hour), so 0.5 is a wide bound.
    let by_end = expected(&loaded, end);
    assert!((by_end - n as f64).abs() < 0.5, "expected {by_end} arrivals by the stated end, asked {n}");
    assert!((expected(&loaded, s.horizon) - by_end).abs() < 0.5, "arrivals expected after the end");
    assert!(expected(&loaded, end - 60.0) < n as f64 - 1.0, "the end is later than needed");
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
