//! Round trip of `branchsim discover` (issue #23): simulate a shipped scenario's baseline with
//! an event log (`run --events`), discover a scenario from the log, simulate that, and compare.
//!
//! Tolerances. Both models are simulated with fixed seeds; a KPI of the discovered model
//! passes when the difference of the two replication means lies within the 99.9% interval of
//! a difference of two independent means, z·√(se₁² + se₂²) with z = 3.29: the original's CI
//! alone would ignore that the discovered model's mean is an estimate too. Discovery from a
//! finite log adds estimation error on top (the parameters are estimates); the log is made long
//! enough (several replications, laid end to end a whole number of weeks apart) that this error
//! is small against the simulation noise, and each scenario states what its log holds.
//!
//! What a log cannot tell, and so is not compared or is set alike in both models:
//! - costs (`staff_cost`): no cost per hour is in an event log;
//! - the warm-up and the service-level threshold: analysis choices, not properties of the
//!   process; the discovered model gets the original's so that both measure the same thing;
//! - distribution families the fit does not offer (triangular, uniform): their means are
//!   compared, not the family.
//!
//! What discovery recovers from these logs (and the tests check): arrival rates per stream
//! (customer type × first step) and hour of the week; routing probabilities per type; rework
//! after a delay (`repeat_info` with the fitted delay, from enable times later than the previous
//! end); service families and means, per customer type where they differ; timed batches (the
//! credit committee at 15:00 on Tuesdays and Thursdays); staff schedules per half-hour (lunch
//! cover, evening shifts), staff breaks and calendars; preemption at closing (`suspend` rows);
//! patience per type (censored MLE) and balking limits; priorities (from overtaking).
//!
//! What it approximates, because the log does not record it:
//! - appointments (`downtown_branch`'s booked customers): the log has arrivals, not bookings;
//!   they come back as Poisson arrivals with the observed hourly rate;
//! - triangular and uniform services: fitted by the closest offered family (means compared);
//! - patience distributions: exponential (the censored MLE); the shipped ones are exponential;
//! - staggered staff: as the most members seen working per half-hour, so changes inside a
//!   half-hour are rounded to it. Breaks (fewer on duty at a time of day while work waits) are
//!   stated as `breaks` to the 5 minutes; how they are split (three half-hours of four, or one
//!   90-minute break of four) is not in the log, only who is away when, which is compared.

mod common;

use common::files_under;

use std::path::{Path, PathBuf};
use std::process::Command;

use branchsim::experiment::VariantResult;
use branchsim::scenario::schema::DistKind;
use chrono::{DateTime, Duration};

fn bin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_branchsim")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The baseline of a shipped scenario: the file up to its variants and expectations.
fn baseline_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(path).unwrap();
    let cut = ["\n[[variants]]", "\n[[expect]]"].iter().filter_map(|m| text.find(m)).min().unwrap_or(text.len());
    text[..cut].to_string()
}

/// Shifts an ISO timestamp with offset by whole days (empty cells stay empty).
fn shift(stamp: &str, days: i64) -> String {
    if stamp.is_empty() {
        return String::new();
    }
    let t = DateTime::parse_from_rfc3339(stamp).unwrap_or_else(|e| panic!("{stamp}: {e}"));
    (t + Duration::days(days)).format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string()
}

/// Simulates `text` with event logs of replications 0..k and lays them end to end, replication
/// r shifted by r × `weeks` weeks (same weekdays and hours) with its case ids prefixed: one log
/// of k periods. Returns its path.
fn long_log(dir: &Path, text: &str, variant: Option<&str>, k: u64, weeks: i64) -> PathBuf {
    let scenario = dir.join("original.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.join("out");
    let reps = k.to_string();
    let events = format!("--events=0-{}", k - 1);
    let mut args = vec!["run", scenario.to_str().unwrap(), "-n", &reps, "--out", out.to_str().unwrap(), "-q"];
    args.extend([events.as_str(), "--events-format", "csv"]);
    if let Some(v) = variant {
        args.extend(["--variant", v]);
    }
    let (code, _, err) = bin(&args);
    assert_eq!(code, 0, "{err}");
    let mut files: Vec<PathBuf> =
        files_under(&out).into_iter().filter(|p| p.extension().is_some_and(|e| e == "csv")).collect();
    files.retain(|p| p.components().any(|c| c.as_os_str() == "events"));
    // One file per variant and replication, named after the variant's slug.
    let slug = variant.unwrap_or("baseline").replace('_', "-");
    files.retain(|p| p.file_name().unwrap().to_string_lossy().starts_with(&format!("{slug}-rep")));
    files.sort();
    assert_eq!(files.len() as u64, k, "{files:?}");
    let merged = dir.join("log.csv");
    let mut w = csv::Writer::from_path(&merged).unwrap();
    for (r, f) in files.iter().enumerate() {
        let mut rd = csv::Reader::from_path(f).unwrap();
        let headers = rd.headers().unwrap().clone();
        if r == 0 {
            w.write_record(&headers).unwrap();
        }
        let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
        let (case, times) = (col("case_id"), [col("enable_time"), col("start_time"), col("end_time")]);
        for rec in rd.records() {
            let rec = rec.unwrap();
            let mut row: Vec<String> = rec.iter().map(str::to_string).collect();
            row[case] = format!("r{r}-{}", row[case]);
            for t in times {
                row[t] = shift(&row[t], r as i64 * 7 * weeks);
            }
            w.write_record(&row).unwrap();
        }
    }
    w.flush().unwrap();
    merged
}

/// Discovers a scenario from `log` and gives it the original's simulated period: the
/// discovered model starts on Monday 00:00 (its weekly arrival profile is per hour of the
/// week, repeated for `weeks`), so it runs to `until` (the original's end, counted from that Monday midnight) with
/// the original's warm-up `warmup` (see the module doc).
fn discover(dir: &Path, log: &Path, weeks: u64, until: &str, warmup: &str, original: &str) -> String {
    let out = dir.join("discovered.toml");
    let weeks = weeks.to_string();
    let (code, _, err) =
        bin(&["discover", log.to_str().unwrap(), "-o", out.to_str().unwrap(), "-q", "--weeks", &weeks]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let start = text.find("\nhorizon = ").unwrap() + 1;
    let end = start + text[start..].find('\n').unwrap();
    // The service-level threshold is the study's target, not the process's: the original's.
    let target = original.lines().find(|l| l.starts_with("service_level")).map_or(String::new(), |l| format!("\n{l}"));
    format!("{}horizon = {until:?}\nwarmup = {warmup:?}{target}{}", &text[..start], &text[end..])
}

struct Compared {
    kpi: String,
    original: (f64, f64),
    discovered: (f64, f64),
    /// Standard error the discovered value inherits from estimating the model from a finite
    /// log (see `compare`).
    estimation: f64,
}

impl Compared {
    fn within(&self) -> bool {
        let half = 3.29 * (self.original.1.powi(2) + self.discovered.1.powi(2) + self.estimation.powi(2)).sqrt();
        (self.original.0 - self.discovered.0).abs() <= half
    }
}

fn mean_se(v: &VariantResult, path: &str) -> (f64, f64) {
    let s = common::kpi(v, path);
    (s.mean, s.sd / (s.n as f64).sqrt())
}

/// Simulates both models and compares `kpis`; prints the table (the figures of the report).
/// The number served follows the arrival rate, which the discovered model estimates from the
/// log's `cases` arrivals (Poisson: relative standard error 1/√cases); that error is added to
/// the tolerance of `served`. The other KPIs depend on many estimates at once; their logs are
/// long enough that simulation noise dominates.
fn compare(name: &str, original: &str, discovered: &str, reps: u64, kpis: &[&str]) -> Vec<Compared> {
    let o = common::run_text(original, reps);
    let d = common::run_text(discovered, reps);
    let cases: f64 = discovered
        .lines()
        .find_map(|l| l.strip_prefix("# ")?.split_once(" cases, ")?.0.parse().ok())
        .expect("the case count in the header");
    let rows: Vec<Compared> = kpis
        .iter()
        .map(|k| {
            let dm = mean_se(&d[0], k);
            let estimation = if *k == "served" { dm.0 / cases.sqrt() } else { 0.0 };
            Compared { kpi: k.to_string(), original: mean_se(&o[0], k), discovered: dm, estimation }
        })
        .collect();
    eprintln!("{name}: KPI, original mean ± se, discovered mean ± se ({reps} replications each)");
    for r in &rows {
        eprintln!(
            "  {:<22} {:>12.4} ± {:<9.4} {:>12.4} ± {:<9.4} {}",
            r.kpi,
            r.original.0,
            r.original.1,
            r.discovered.0,
            r.discovered.1,
            if r.within() { "ok" } else { "OUTSIDE" }
        );
    }
    rows
}

fn assert_all_within(rows: &[Compared]) {
    let bad: Vec<&Compared> = rows.iter().filter(|r| !r.within()).collect();
    assert!(
        bad.is_empty(),
        "outside the combined 99.9% interval: {}",
        bad.iter()
            .map(|r| format!("{} {:.4} vs {:.4}", r.kpi, r.original.0, r.discovered.0))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

fn loaded(text: &str) -> branchsim::scenario::Loaded {
    branchsim::scenario::load_str(text, "x.toml").unwrap_or_else(|e| panic!("{}", e.render()))
}

/// Mean of a scenario distribution (Normal: the engine redraws below 0, negligible for the
/// means 4 sd above 0 used here).
fn mean_of(k: &DistKind) -> f64 {
    match k {
        DistKind::Exponential { mean }
        | DistKind::Normal { mean, .. }
        | DistKind::Lognormal { mean, .. }
        | DistKind::Gamma { mean, .. }
        | DistKind::Erlang { mean, .. } => *mean,
        DistKind::Deterministic { value } => *value,
        DistKind::Uniform { min, max } => (min + max) / 2.0,
        DistKind::Triangular { min, mode, max } => (min + mode + max) / 3.0,
        DistKind::Weibull { shape, scale } => scale * branchsim::stats::student_t::ln_gamma(1.0 + 1.0 / shape).exp(),
        DistKind::Empirical { values } => values.iter().sum::<f64>() / values.len() as f64,
    }
}

/// Service means of every step of the original found (by name) in the discovered model,
/// within `tol` relative.
fn assert_service_means(original: &str, discovered: &str, tol: f64) {
    let (o, d) = (loaded(original), loaded(discovered));
    for st in &o.baseline().scenario.steps {
        let Some(os) = &st.service else { continue };
        let Some(ds) = d.baseline().scenario.steps.iter().find(|x| x.name.v == st.name.v) else {
            panic!("step {} not discovered", st.name.v)
        };
        let (a, b) = (mean_of(&os.kind), mean_of(&ds.service.as_ref().unwrap().kind));
        assert!((a - b).abs() <= tol * a, "{}: service mean {a} vs discovered {b}", st.name.v);
    }
}

/// Routing and families recovered: every `next` probability of the original (steps without
/// per-type routes) and every `repeat_info` probability within 0.03 of the discovered one
/// (binomial SE below 0.01 with the 2,000 or more visits per step of these logs: three SE);
/// lognormal and exponential services fitted as their family (exponential may come out as a
/// gamma or Weibull of shape ≈ 1, which contain it). Triangular and uniform are not among the
/// fitted families: their means are checked (`assert_service_means`).
fn assert_routing_and_families(original: &str, discovered: &str) {
    let (o, d) = (loaded(original), loaded(discovered));
    let ds = &d.baseline().scenario;
    for st in &o.baseline().scenario.steps {
        let Some(dst) = ds.steps.iter().find(|x| x.name.v == st.name.v) else { continue };
        if let (Some(next), true) = (&st.next, st.next_for.is_empty()) {
            let total: f64 = next.iter().map(|r| r.p.v).sum();
            for r in next {
                // The original's p of a route, given no repeat (the discovered `next` is
                // conditional on not repeating, as the engine applies it).
                let found = dst.next.iter().flatten().find(|x| x.step.v == r.step.v).map_or(0.0, |x| x.p.v);
                let mut want = if total > 1.0 { r.p.v / total } else { r.p.v };
                if let (Some(rep), None) = (&st.repeat_info, &dst.repeat_info) {
                    // A repeat without delay is discovered as an ordinary route back: the other
                    // routes share what is left.
                    want *= 1.0 - rep.p;
                }
                assert!((found - want).abs() < 0.03, "{} → {}: p {want} vs discovered {found}", st.name.v, r.step.v);
            }
        }
        if let Some(rep) = &st.repeat_info {
            let found = dst.repeat_info.as_ref().map(|r| r.p);
            let got = found.or_else(|| {
                // A repeat without delay is an ordinary route back (the log cannot tell them apart).
                let to = rep.back_to.as_ref().map_or(st.name.v.as_str(), |b| b.v.as_str());
                dst.next.iter().flatten().find(|x| x.step.v == to).map(|x| x.p.v)
            });
            let got = got.unwrap_or(0.0);
            assert!((got - rep.p).abs() < 0.03, "{}: repeat p {} vs discovered {got}", st.name.v, rep.p);
        }
        let (Some(os), Some(dsv)) = (&st.service, &dst.service) else { continue };
        let ok = match os.kind {
            DistKind::Lognormal { .. } => matches!(dsv.kind, DistKind::Lognormal { .. }),
            DistKind::Exponential { .. } => {
                matches!(dsv.kind, DistKind::Exponential { .. } | DistKind::Gamma { .. } | DistKind::Weibull { .. })
            }
            _ => true,
        };
        assert!(ok, "{}: {:?} discovered as {:?}", st.name.v, os.kind, dsv.kind);
    }
}

const HEADLINE: &[&str] = &["wait_mean", "cycle_time_p90", "service_level", "abandon_rate", "served"];

/// The round trip of one shipped scenario: `k` replications' logs end to end, each period
/// `weeks` long; the discovered model simulated to `until` with warm-up `warmup`; `reps`
/// replications of each model. Returns the compared rows and both scenario texts.
fn round_trip(name: &str, k: u64, weeks: u64, until: &str, warmup: &str, reps: u64) -> (Vec<Compared>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = baseline_text(name);
    let log = long_log(dir.path(), &text, None, k, weeks as i64);
    let disc = discover(dir.path(), &log, weeks, until, warmup, &text);
    if std::env::var_os("ROUNDTRIP_PRINT").is_some() {
        eprintln!("{disc}");
    }
    let rows = compare(name, &text, &disc, reps, HEADLINE);
    (rows, text, disc)
}

/// A shipped scenario's round trip (see `round_trip` for the arguments) and every check on
/// it: service means within 10%, the same routing and families, for each resource named in
/// `same_breaks` the same breaks, no invented breaks, every headline KPI within its tolerance.
fn check_round_trip(name: &str, k: u64, weeks: u64, until: &str, warmup: &str, reps: u64, same_breaks: &[&str]) {
    let (rows, text, disc) = round_trip(name, k, weeks, until, warmup, reps);
    assert_service_means(&text, &disc, 0.1);
    assert_routing_and_families(&text, &disc);
    for resource in same_breaks {
        assert_same_breaks(&text, &disc, resource);
    }
    assert_no_invented_breaks(&text, &disc);
    assert_all_within(&rows);
}

#[test]
fn loan_approval_round_trip() {
    check_round_trip("loan_approval", 4, 5, "35d", "7d", 30, &["underwriter"]);
}

#[test]
fn downtown_branch_round_trip() {
    check_round_trip("downtown_branch", 30, 1, "17h", "0min", 60, &[]);
}

#[test]
fn smart_customer_service_round_trip() {
    check_round_trip("smart_customer_service", 12, 1, "20h", "0min", 60, &[]);
}

#[test]
fn omnichannel_round_trip() {
    check_round_trip("omnichannel", 4, 2, "14d", "7d", 30, &["bo_clerk"]);
}

/// The staggered lunch (11:30, 12:30, 13:30, one hour, 4/3/3 clerks) comes back as the same
/// breaks. Twelve three-week periods: the tail of the cycle time (its 90th percentile) depends
/// on the arrival profile per hour of the week, estimated per hour from one day per period;
/// with four periods, logs of different seeds gave discovered p90s of 2,448 and 2,594 min
/// against the original's 2,589 (simulation SE about 20 and 30): the estimation error was not
/// small against the simulation noise. Twelve periods make it so (2,553 and 2,590).
#[test]
fn account_opening_rpa_round_trip() {
    check_round_trip("account_opening_rpa", 12, 3, "21d", "7d", 30, &["ops_clerk"]);
}

/// Members away per 5 minutes of the day under a resource's breaks: equal profiles simulate
/// alike however the breaks are split (three half-hour breaks of four or one of 90 minutes).
fn away_profile(breaks: &[branchsim::scenario::schema::BreakSpec]) -> Vec<u32> {
    (0..288)
        .map(|k| {
            let m = k as f64 * 5.0 + 2.5;
            breaks.iter().filter(|b| (m - b.start).rem_euclid(1440.0) < b.length).map(|b| b.staff).sum()
        })
        .collect()
}

/// The discovered resource `name` has breaks taking away the same staff at the same times as
/// the original's, and a schedule (if any) that does not take them away a second time.
fn assert_same_breaks(original: &str, discovered: &str, name: &str) {
    let (o, d) = (loaded(original), loaded(discovered));
    let find = |l: &branchsim::scenario::Loaded| {
        l.baseline().scenario.resources.iter().find(|r| r.name.v == name).cloned().unwrap_or_else(|| panic!("{name}"))
    };
    let (or, dr) = (find(&o), find(&d));
    assert!(!or.breaks.is_empty());
    assert_eq!(away_profile(&dr.breaks), away_profile(&or.breaks), "{name}: {:?}\n{discovered}", dr.breaks);
    assert!(
        matches!(dr.staff, branchsim::scenario::schema::StaffSpec::Constant(_)),
        "{name}: the schedule folds the breaks in again\n{discovered}"
    );
}

/// Resources of the original with neither breaks nor a staff schedule (staff at full strength
/// whenever open) have no breaks in the discovered scenario.
fn assert_no_invented_breaks(original: &str, discovered: &str) {
    let (o, d) = (loaded(original), loaded(discovered));
    for r in &o.baseline().scenario.resources {
        if !r.breaks.is_empty() || !matches!(r.staff, branchsim::scenario::schema::StaffSpec::Constant(_)) {
            continue;
        }
        if let Some(dr) = d.baseline().scenario.resources.iter().find(|x| x.name.v == r.name.v) {
            assert!(dr.breaks.is_empty(), "{}: invented breaks {:?}", r.name.v, dr.breaks);
        }
    }
}

/// A clerk pool loaded to the limit all day (work always waiting) with and without a staggered
/// lunch: discovery states the lunch as breaks with the original's staff away per time of day,
/// and invents none when there is none.
#[test]
fn breaks_are_found_and_not_invented() {
    let text = |breaks: &str| {
        format!(
            r#"
name = "lunch"
time_unit = "min"
horizon = "14d"
seed = 5
replications = 1

[calendars.office]
weekdays = "09:00-17:00"

[[customers]]
name = "c"
kind = "case"
first_step = "serve"

[[arrivals]]
customer = "c"
calendar = "office"
rate = "38/h"

[[resources]]
name = "clerk"
staff = 8
calendar = "office"
{breaks}

[[steps]]
name = "serve"
resource = "clerk"
service = {{ dist = "exponential", mean = "12min" }}
"#
        )
    };
    let with = text(
        r#"breaks = [{ start = "12:00", length = "30min", staff = 3 }, { start = "12:30", length = "1h", staff = 2 }]"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let log = long_log(dir.path(), &with, None, 1, 2);
    let disc = discover(dir.path(), &log, 2, "14d", "0min", &with);
    assert_same_breaks(&with, &disc, "clerk");
    assert!(disc.contains("# breaks: fewer than 8 members on duty while work waited"), "{disc}");
    let without = text("");
    let dir = tempfile::tempdir().unwrap();
    let log = long_log(dir.path(), &without, None, 1, 2);
    let disc = discover(dir.path(), &log, 2, "14d", "0min", &without);
    assert!(!disc.contains("breaks"), "{disc}");
    assert_no_invented_breaks(&without, &disc);
    let l = loaded(&disc);
    assert!(
        matches!(l.baseline().scenario.resources[0].staff, branchsim::scenario::schema::StaffSpec::Constant(8)),
        "{disc}"
    );
}

/// Two pools do the same work at different speeds (trainees take 40% longer): the discovered
/// scenario keeps them as two pools sharing the step and gives the trainees their speed factor,
/// the step's service being the reference (clerks') time.
#[test]
fn pools_working_at_different_speeds_get_a_speed_factor() {
    let text = r#"
name = "two speeds"
time_unit = "min"
horizon = "7d"
seed = 3
replications = 1

[[customers]]
name = "c"
kind = "case"
first_step = "serve"

[[arrivals]]
customer = "c"
rate = "24/h"

[[resources]]
name = "clerk"
staff = 3

[[resources]]
name = "trainee"
staff = 2
skills = ["clerk"]
speed = 1.4

[[steps]]
name = "serve"
resource = "clerk"
service = { dist = "lognormal", mean = "8min", sd = "4min" }
"#;
    let dir = tempfile::tempdir().unwrap();
    let log = long_log(dir.path(), text, None, 1, 1);
    let disc = discover(dir.path(), &log, 1, "7d", "0min", text);
    let l = loaded(&disc);
    let s = &l.baseline().scenario;
    let names: Vec<&str> = s.resources.iter().map(|r| r.name.v.as_str()).collect();
    assert_eq!(names, ["clerk", "trainee"], "{disc}");
    // About 4,000 visits, 1,000 or more by trainees: the SE of the speed ratio (CV 0.5 on each
    // side) is about 2%; 0.1 is five of them.
    let (clerk, trainee) = (&s.resources[0], &s.resources[1]);
    assert_eq!(clerk.speed, 1.0, "{disc}");
    assert!((trainee.speed - 1.4).abs() < 0.1, "trainee speed {}\n{disc}", trainee.speed);
    let serve = s.steps.iter().find(|st| st.name.v == "serve").unwrap();
    let m = mean_of(&serve.service.as_ref().unwrap().kind);
    assert!((m - 8.0).abs() < 0.4, "reference service mean {m}\n{disc}");
}

/// The parallel_checks variant of loan_approval forks after intake into the document check and
/// credit scoring, joined at underwriting: the two overlap in time in most cases, and the
/// discovered scenario has that fork (and no route between the branches).
#[test]
fn concurrent_activities_become_a_fork() {
    let dir = tempfile::tempdir().unwrap();
    let full = {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/loan_approval.toml");
        std::fs::read_to_string(path).unwrap()
    };
    let cut = full.find("\n[[expect]]").unwrap_or(full.len());
    let text = &full[..cut];
    let log = long_log(dir.path(), text, Some("parallel_checks"), 2, 5);
    let disc = discover(dir.path(), &log, 5, "35d", "7d", text);
    let l = loaded(&disc);
    let s = &l.baseline().scenario;
    let step = |n: &str| s.steps.iter().find(|st| st.name.v == n).unwrap_or_else(|| panic!("{n}\n{disc}"));
    let intake = step("intake");
    let fork = intake.fork.as_ref().unwrap_or_else(|| panic!("no fork at intake\n{disc}"));
    let mut branches: Vec<&str> = fork.branches.iter().map(|b| b.step.v.as_str()).collect();
    branches.sort_unstable();
    assert_eq!(branches, ["credit_scoring", "doc_check"], "{disc}");
    assert_eq!(fork.join.v, "underwriting");
    for b in ["doc_check", "credit_scoring"] {
        let other = if b == "doc_check" { "credit_scoring" } else { "doc_check" };
        let next = step(b).next.as_ref().map(|n| n.iter().map(|r| r.step.v.clone()).collect::<Vec<_>>());
        assert!(!next.unwrap_or_default().iter().any(|n| n == other), "{b} routes into the other branch\n{disc}");
    }
    // The serial baseline (the same activities, one after the other) has no fork.
    let dir = tempfile::tempdir().unwrap();
    let serial = baseline_text("loan_approval");
    let log = long_log(dir.path(), &serial, None, 1, 5);
    let disc = discover(dir.path(), &log, 5, "35d", "7d", &serial);
    assert!(!disc.contains("fork ="), "{disc}");
}
