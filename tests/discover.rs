//! `branchsim discover` and `compare-logs` (issue #23): messy data counted with line numbers,
//! the three input kinds, recovery of known parameters from a synthetic log, and the
//! distance measures.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use branchsim::discover::{self, Format, Mapping, distance};
use branchsim::scenario::schema::{DistKind, RateSpec};
use rand::SeedableRng;
use rand_distr::Distribution;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs").join(name)
}

fn bin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_branchsim")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn discover_text(path: &Path) -> String {
    let log = discover::read(path, Format::Auto, &Mapping::default()).unwrap();
    let d = discover::discover(log, path, None);
    discover::emit::scenario(&d, false)
}

#[test]
fn messy_csv_problems_are_counted_with_example_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("messy.toml");
    let (code, _, err) = bin(&["discover", fixture("messy.csv").to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for expected in [
        "1 rows without a case id or activity (skipped) (e.g. line 9)",
        "1 unreadable timestamps (row skipped) (e.g. line 11)",
        "1 events without an end time",
        "1 events ending before they start (skipped) (e.g. line 10)",
        "1 zero-length events (kept for routing, left out of duration fits) (e.g. line 4)",
        "2 events overlapping an earlier event of the same resource (multitasking or a logging error) (e.g. line 4, 5)",
        "1 cases that never finish (an event without end; left out of cycle times) (e.g. line 8)",
        "1 rows earlier than the row before them in their case (sorted before use) (e.g. line 7)",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    let loaded = branchsim::scenario::load_file(&out).unwrap_or_else(|e| panic!("{}", e.render()));
    let s = &loaded.baseline().scenario;
    // Column names in another convention (Case_ID, Start_Time …) and UTF-8 names survive.
    let names: Vec<&str> = s.steps.iter().map(|st| st.name.v.as_str()).collect();
    assert_eq!(names, ["接待 intake", "review"]);
    let types: Vec<&str> = s.customers.iter().map(|c| c.name.v.as_str()).collect();
    assert_eq!(types, ["retail", "business"]);
    // Intake visits: c1, c2, c3, c4 (never finished) and c8 twice; five went on to review
    // (5/6, rounded down to 6 decimals so the list never sums above 1); review → intake once
    // (c8's rework) in 5 review visits.
    let intake = &s.steps[0];
    let p: Vec<(String, f64)> = intake.next.as_ref().unwrap().iter().map(|r| (r.step.v.clone(), r.p.v)).collect();
    assert_eq!(p, vec![("review".to_string(), 0.833333)]);
    let review = &s.steps[1];
    let p: Vec<f64> = review.next.as_ref().unwrap().iter().map(|r| r.p.v).collect();
    assert_eq!(p, vec![0.2]);
    assert!(
        std::fs::read_to_string(&out).unwrap().contains("# service fit: n = 5 (1 zero-length left out of the fit)")
    );
}

#[test]
fn a_log_with_nothing_usable_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("u.toml");
    let (code, _, err) = bin(&["discover", fixture("unusable.csv").to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no usable event"), "{err}");
    assert!(err.contains("(e.g. line 3)"), "{err}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no temporary file left behind");
    // Tickets that all left unserved: arrivals but no process, a clear error.
    let gone = dir.path().join("gone.csv");
    std::fs::write(
        &gone,
        "ticket,service,issue_time,call_time,end_time,left\nA1,deposit,2024-01-01 09:00,,2024-01-01 09:10,yes\n",
    )
    .unwrap();
    let (code, _, err) = bin(&["discover", gone.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no served ticket or finished event"), "{err}");
    assert!(!out.exists());
    // A column flag naming no column: exit 2 with the nearest header.
    let (code, _, err) = bin(&[
        "discover",
        fixture("messy.csv").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--activity",
        "Activty",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--activity \"Activty\": no such column") && err.contains("did you mean \"Activity\""),
        "{err}"
    );
}

#[test]
fn xes_starts_and_completes_are_paired() {
    let log = discover::read(&fixture("small.xes"), Format::Auto, &Mapping::default()).unwrap();
    assert_eq!(log.cases, 2);
    assert_eq!(log.type_attribute.as_deref(), Some("customer_type"));
    let d: Vec<(String, f64)> = log
        .events
        .iter()
        .map(|e| (log.activities.names[e.activity as usize].clone(), e.end - e.start))
        .filter(|(_, d)| !d.is_nan())
        .collect();
    assert_eq!(d, vec![("接待 intake".into(), 10.0), ("review".into(), 30.0), ("接待 intake".into(), 10.0)]);
    // The complete without a resource takes the start's resource.
    assert!(log.events.iter().all(|e| e.resource != discover::log::NONE));
    assert_eq!(log.issues.count(discover::log::Problem::UnfinishedCase), 1);
    let text = discover_text(&fixture("small.xes"));
    branchsim::scenario::load_str(&text, "x.toml").unwrap_or_else(|e| panic!("{}", e.render()));
}

#[test]
fn tickets_give_patience_with_censoring() {
    let text = discover_text(&fixture("tickets.csv"));
    let loaded = branchsim::scenario::load_str(&text, "t.toml").unwrap_or_else(|e| panic!("{}\n{text}", e.render()));
    let s = &loaded.baseline().scenario;
    assert_eq!(s.customers.len(), 1);
    assert!(!s.customers[0].case, "ticket customers wait in person");
    // Served waits 2, 5, 1, 5, 11, 1 (censored) and abandonments after 10 and 3 minutes:
    // 38 minutes at risk over 2 abandonments; Kaplan–Meier falls to 0.4 at 10 min.
    assert_eq!(s.customers[0].patience.as_ref().unwrap().kind, DistKind::Exponential { mean: 19.0 });
    assert!(text.contains("2 left unserved, 6 served (censored at their wait); Kaplan–Meier median 10min"), "{text}");
    // Eight tickets arrived (abandoned ones too) on two Mondays/Tuesdays, 09:00-10:00.
    let total: f64 = s
        .arrivals
        .iter()
        .map(|a| match &a.profile {
            RateSpec::Piecewise { interval, rates, .. } => rates.iter().map(|r| r * interval).sum::<f64>() * a.scale,
            RateSpec::Constant(_) => unreachable!(),
        })
        .sum();
    assert!((total - 8.0).abs() < 1e-6, "{total}");
}

/// A synthetic log from known parameters: Poisson arrivals at 6/h on weekdays 09:00-16:00
/// over 8 weeks (≈ 1,680 cases), intake lognormal (mean 10, sd 5 min), review gamma (mean 20,
/// sd 10 min), rework back to intake after review with p = 0.1 (retail, 70%) or 0.5
/// (business).
fn synthetic_log(path: &Path) {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(23);
    let ln = rand_distr::LogNormal::new(10f64.ln() - 0.5 * (1.25f64).ln(), (1.25f64).ln().sqrt()).unwrap();
    let ga = rand_distr::Gamma::new(4.0, 5.0).unwrap();
    let exp = rand_distr::Exp::new(6.0 / 60.0).unwrap();
    let u = rand_distr::StandardUniform;
    let mut s = String::from("case,activity,start,end,resource,segment\n");
    let day0 = discover::time::parse("2024-01-01T00:00:00").unwrap();
    let mut case = 0;
    for day in 0..56 {
        if day % 7 >= 5 {
            continue;
        }
        let mut t = 9.0 * 60.0;
        loop {
            t += exp.sample(&mut rng);
            if t >= 16.0 * 60.0 {
                break;
            }
            case += 1;
            let business: f64 = u.sample(&mut rng);
            let (ty, rework) = if business < 0.3 { ("business", 0.5) } else { ("retail", 0.1) };
            let mut now = day0 + f64::from(day) * 1440.0 + t;
            loop {
                let d = ln.sample(&mut rng);
                let r: f64 = u.sample(&mut rng);
                let _ = writeln!(
                    s,
                    "{case},intake,{},{},teller-{},{ty}",
                    discover::time::iso(now),
                    discover::time::iso(now + d),
                    1 + (r * 3.0) as u32
                );
                now += d + 2.0;
                let d = ga.sample(&mut rng);
                let _ = writeln!(
                    s,
                    "{case},review,{},{},officer-{},{ty}",
                    discover::time::iso(now),
                    discover::time::iso(now + d),
                    1 + (r * 2.0) as u32
                );
                now += d + 2.0;
                let again: f64 = u.sample(&mut rng);
                if again >= rework {
                    break;
                }
            }
        }
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn known_parameters_are_recovered_from_a_synthetic_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synthetic.csv");
    synthetic_log(&path);
    let text = discover_text(&path);
    let loaded = branchsim::scenario::load_str(&text, "s.toml").unwrap_or_else(|e| panic!("{}", e.render()));
    let s = &loaded.baseline().scenario;
    assert_eq!(s.horizon, 8.0 * 7.0 * 1440.0, "eight weeks of arrivals");
    // Arrival rate of an open hour: 6/h, estimated from 40 such hours (240 arrivals, SE 6.5%):
    // the mean over the 35 open hours of the week is estimated from ~1,680 arrivals (SE 2.4%);
    // 8% is over three standard errors.
    // Each stream (customer type × first step) has its own profile: the total rate is their sum.
    let mut rates = vec![0.0; 168];
    for a in &s.arrivals {
        let RateSpec::Piecewise { rates: r, interval, .. } = &a.profile else { panic!() };
        assert_eq!(*interval, 60.0);
        for (t, x) in rates.iter_mut().zip(r) {
            *t += x * a.scale;
        }
    }
    let open: Vec<f64> =
        (0..168).filter(|i| i / 24 < 5 && (9..16).contains(&(i % 24))).map(|i| rates[i] * 60.0).collect();
    let mean = open.iter().sum::<f64>() / open.len() as f64;
    assert!((mean - 6.0).abs() / 6.0 < 0.08, "{mean}");
    assert!(rates[5 * 24 + 10] == 0.0 && rates[3 * 24 + 20] == 0.0, "closed weekend and night");
    // Durations: the generating families win by AIC, means within 3 SE (CV 0.5, n > 1,700:
    // SE 1.2%; 4% allowed).
    let intake = s.steps.iter().find(|st| st.name.v == "intake").unwrap();
    let review = s.steps.iter().find(|st| st.name.v == "review").unwrap();
    match intake.service.as_ref().unwrap().kind {
        DistKind::Lognormal { mean, sd } => assert!((mean - 10.0).abs() < 0.4 && (sd - 5.0).abs() < 0.5, "{mean} {sd}"),
        ref k => panic!("intake: {k:?}"),
    }
    match review.service.as_ref().unwrap().kind {
        DistKind::Gamma { mean, sd } => assert!((mean - 20.0).abs() < 0.8 && (sd - 10.0).abs() < 1.0, "{mean} {sd}"),
        ref k => panic!("review: {k:?}"),
    }
    // Routing per customer type: rework 0.5 for business (≈ 1,000 review visits, SE 1.6%),
    // 0.1 for retail (≈ 1,300, SE 0.8%); 3 SE allowed.
    let p_back = |ty: &str| -> f64 {
        let routes = &review.next_for.iter().find(|(t, _)| t.v == ty).unwrap().1;
        routes.iter().find(|r| r.step.v == "intake").map_or(0.0, |r| r.p.v)
    };
    assert!((p_back("business") - 0.5).abs() < 0.05, "{}", p_back("business"));
    assert!((p_back("retail") - 0.1).abs() < 0.025, "{}", p_back("retail"));
    // Pools: three tellers, two officers, each with their own activity.
    let pools: Vec<(&str, u32)> = s
        .resources
        .iter()
        .map(|r| {
            let branchsim::scenario::schema::StaffSpec::Constant(n) = r.staff else { panic!() };
            (r.name.v.as_str(), n)
        })
        .collect();
    assert_eq!(pools, vec![("teller", 3), ("officer", 2)]);
    // It runs: one replication serves about as many cases as the log had (Poisson: within
    // 4 standard deviations √N).
    let n = discover::read(&path, Format::Auto, &Mapping::default()).unwrap().cases as f64;
    let model = &loaded.baseline().model;
    let r = branchsim::engine::simulate(model, 1, 0);
    let served: u64 = r.wait_hist[0].iter().map(|(_, c)| c).sum();
    assert!((served as f64 - n).abs() < 4.0 * n.sqrt(), "served {served} of {n}");
}

#[test]
fn identical_logs_are_at_distance_zero_and_shifts_are_measured() {
    let log = discover::read(&fixture("messy.csv"), Format::Auto, &Mapping::default()).unwrap();
    for (name, v) in distance::all(&log, &log) {
        assert_eq!(v, 0.0, "{name}");
    }
    // The same log two hours later: every absolute measure moves by exactly 2 (hours), the
    // relative ones and the n-grams not at all.
    let mut later = discover::read(&fixture("messy.csv"), Format::Auto, &Mapping::default()).unwrap();
    later.events.for_each_mut(|e| {
        e.start += 120.0;
        e.end += 120.0;
    });
    let d: std::collections::BTreeMap<_, _> = distance::all(&log, &later).into_iter().collect();
    assert_eq!(d["absolute_event_distribution"], 2.0);
    assert_eq!(d["case_arrival_distribution"], 2.0);
    assert_eq!(d["circadian_event_distribution"], 2.0 * 3.0 / 7.0, "three weekdays with events, each shifted 2 h");
    assert_eq!(d["relative_event_distribution"], 0.0);
    assert_eq!(d["cycle_time_distribution"], 0.0);
    assert_eq!(d["n_gram_distribution"], 0.0);
}

#[test]
fn compare_logs_prints_json_and_rejects_bad_usage() {
    let f = fixture("messy.csv");
    let (code, out, err) =
        bin(&["compare-logs", f.to_str().unwrap(), fixture("small.xes").to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // messy.csv has traces intake-review (×3) and intake-review-intake-review, small.xes one
    // finished intake-review and one lone intake (its review never finished): 18 and 7
    // 3-grams with the padding, 15 of them unmatched.
    let ng = v["n_gram_distribution"].as_f64().unwrap();
    assert!((ng - 15.0 / 25.0).abs() < 1e-12, "{ng}");
    let (code, _, err) = bin(&["compare-logs", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--split-weeks"), "{err}");
}

/// Values computed by log-distance-measures 2.2.0 on the same two logs (default arguments,
/// cycle time with 1-hour bins): `benches/logdist/run.sh` recomputes them with the pinned
/// package and compares every figure with `compare-logs`.
#[test]
fn distances_match_the_python_package_on_fixture_logs() {
    let a = discover::read(&fixture("cmp_real.csv"), Format::Auto, &Mapping::default()).unwrap();
    let b = discover::read(&fixture("cmp_sim.csv"), Format::Auto, &Mapping::default()).unwrap();
    let package = [
        ("n_gram_distribution", 0.289156627),
        ("absolute_event_distribution", 22.979608051),
        ("case_arrival_distribution", 20.336781609),
        ("circadian_event_distribution", 11.911566884),
        ("relative_event_distribution", 1.426024011),
        ("cycle_time_distribution", 2.360919540),
    ];
    for ((name, ours), (pname, theirs)) in distance::all(&a, &b).into_iter().zip(package) {
        assert_eq!(name, pname);
        assert!((ours - theirs).abs() < 1e-8, "{name}: {ours} vs package {theirs}");
    }
}

/// The Markov baseline reproduces what a first-order chain can: the case count (a renewal
/// process of the observed gaps: over a period T the count has mean T/μ and variance Tσ²/μ³,
/// large here because nights and weekends are among the gaps; 4 sd allowed) and the 3-grams of a process whose routing is first-order (the synthetic log's
/// rework decision depends only on the customer type, mixed here).
#[test]
fn the_markov_baseline_reproduces_counts_and_routing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synthetic.csv");
    synthetic_log(&path);
    let log = discover::read(&path, Format::Auto, &Mapping::default()).unwrap();
    let m = discover::baseline::Markov::learn(&log);
    let (from, until) = log.span();
    let sim = m.simulate(from, until - 1440.0, 7);
    let mut arrivals: Vec<f64> = log.by_case().map(|e| e[0].start).collect();
    arrivals.sort_by(f64::total_cmp);
    let gaps: Vec<f64> = arrivals.windows(2).map(|w| w[1] - w[0]).collect();
    let mu = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let var = gaps.iter().map(|g| (g - mu).powi(2)).sum::<f64>() / gaps.len() as f64;
    let t = until - 1440.0 - from;
    let (mean, sd) = (t / mu, (t * var / mu.powi(3)).sqrt());
    let k = sim.cases as f64;
    assert!((k - mean).abs() < 4.0 * sd, "{k} vs {mean} ± {sd}");
    // The n-gram distance counts absolute 3-grams: a log with k cases instead of n is at
    // |k − n| / (k + n) even with the same routing; the routing adds at most 0.05 here.
    let ng = distance::n_gram(&log, &sim, 3);
    let n = log.cases as f64;
    assert!(ng < (k - n).abs() / (k + n) + 0.05, "{ng} with {k} vs {n} cases");
    assert_eq!(m.simulate(from, until, 7).events.len(), m.simulate(from, until, 7).events.len(), "seeded");
    let (code, out, err) =
        bin(&["compare-logs", path.to_str().unwrap(), "--split-weeks", "4", "--markov-baseline", "3", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for part in [&v["noise_floor"], &v["markov_baseline"]["mean"], &v["markov_baseline"]["sd"]] {
        assert_eq!(part.as_object().unwrap().len(), 6, "{out}");
        assert!(
            part.as_object().unwrap().values().all(|x| x.as_f64().is_some_and(|f| f.is_finite() && f >= 0.0)),
            "{out}"
        );
    }
}

/// A log of the loan process with parallel checks (a fork: every branch must reach its join):
/// routing probabilities rounded to millionths used to leave 1e-6 of a branch step's visits
/// "leaving the system", and the discovered scenario failed its own validation.
#[test]
fn a_log_with_parallel_branches_discovers_a_valid_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let scen = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/loan_approval.toml");
    let out = dir.path().join("run");
    let (code, _, err) = bin(&[
        "run",
        scen.to_str().unwrap(),
        "-q",
        "--no-charts",
        "-n",
        "1",
        "--events",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let log = std::fs::read_dir(out.join("loan-approval-20-working-days/events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("parallel-checks"))
        .expect("the parallel-checks variant's event log");
    let toml = dir.path().join("discovered.toml");
    let (code, _, err) = bin(&["discover", log.to_str().unwrap(), "--no-report", "-q", "-o", toml.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains("join"), "the fork is discovered:\n{text}");
    if let Err(e) = branchsim::scenario::load_str(&text, "discovered.toml") {
        panic!("the discovered scenario does not load:\n{}", e.render());
    }
}

/// `compare-logs TEST SIMULATED --split-weeks N` measures only the simulated cases whose first
/// start falls in the held-out period: a simulated log holding exactly the held-out cases plus
/// the training weeks' and later cases is at distance 0 from the held-out part.
#[test]
fn compare_logs_split_keeps_the_simulated_cases_of_the_held_out_period() {
    let dir = tempfile::tempdir().unwrap();
    let real = fixture("cmp_real.csv");
    let text = std::fs::read_to_string(&real).unwrap();
    // The log spans 2024-01-01 (a Monday) to 01-09: week 2 is held out. The copy moved to
    // February (other case ids) starts after the held-out period.
    let mut sim = text.clone();
    for line in text.lines().skip(1) {
        sim.push_str(&format!("x{}\n", line.replace("2024-01-0", "2024-02-0")));
    }
    let sim_path = dir.path().join("sim.csv");
    std::fs::write(&sim_path, sim).unwrap();
    let (code, out, err) =
        bin(&["compare-logs", real.to_str().unwrap(), sim_path.to_str().unwrap(), "--split-weeks", "1", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for (k, d) in v.as_object().unwrap() {
        assert_eq!(d.as_f64(), Some(0.0), "{k}: {d}");
    }
    let held_out = text.lines().skip(1).filter(|l| l.split(',').nth(2).is_some_and(|s| s >= "2024-01-08")).count();
    assert!(held_out > 0);
    let cases = |filter: &dyn Fn(&str) -> bool| {
        let mut c: Vec<&str> =
            text.lines().skip(1).filter(|l| filter(l)).map(|l| l.split(',').next().unwrap()).collect();
        c.sort();
        c.dedup();
        c.len()
    };
    let all = cases(&|_| true);
    // A case belongs to the held-out part when its first start is in week 2.
    let early: std::collections::BTreeSet<&str> = text
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(2).unwrap() < "2024-01-08")
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let kept = all - early.len();
    assert!(err.contains(&format!("{kept} of {} simulated cases start in the held-out period", 2 * all)), "{err}");
    // A simulated log from other dates is refused, not measured as if it matched.
    let other = dir.path().join("other.csv");
    std::fs::write(&other, text.replace("2024-01-0", "2023-03-0")).unwrap();
    let (code, _, err) = bin(&["compare-logs", real.to_str().unwrap(), other.to_str().unwrap(), "--split-weeks", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no simulated case starts in the held-out period"), "{err}");
}
